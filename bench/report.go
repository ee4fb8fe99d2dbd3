package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// columns head the rows of both the table and the markdown.
var columns = []string{"run", "accepted/s", "delivered/s", "p50 ms", "p95 ms", "p99 ms", "history events/delivery", "CPU ms/delivery"}

// cells are one run's figures as the table and the markdown print them.
func (x Result) cells() []string {
	history := "–" // the pool has no workflows
	if x.HistoryEventsPerDelivery > 0 {
		history = fmt.Sprintf("%.1f", x.HistoryEventsPerDelivery)
	}
	return []string{x.Name, fmt.Sprintf("%.0f", x.AcceptedPerSecond), fmt.Sprintf("%.1f", x.DeliveredPerSecond),
		fmt.Sprintf("%.1f", x.LatencyP50Ms), fmt.Sprintf("%.1f", x.LatencyP95Ms), fmt.Sprintf("%.1f", x.LatencyP99Ms),
		history, fmt.Sprintf("%.2f", x.CPUMsPerDelivery)}
}

// pace says how events were sent.
func (r Report) pace() string {
	if r.Rate > 0 {
		return fmt.Sprintf("%g events/s", r.Rate)
	}
	return "as fast as accepted"
}

// WriteTable writes the report for people: what ran, a row per run, and
// hookflow's ratios to the references.
func (r Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "hookflow bench: %d events × %d webhook(s), ingest %s, %d clients, %s\n", r.Events, r.Webhooks, r.Ingest, r.Clients, r.pace())
	fmt.Fprintf(w, "machine: %s; Temporal: %s; database: %s\n\n", r.Machine, r.Setup.Temporal, r.Setup.Database)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(columns, "\t")+"\t")
	for _, x := range r.Results {
		fmt.Fprintln(tw, strings.Join(x.cells(), "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.ToFloor > 0 {
		fmt.Fprintf(w, "\nhookflow delivers %.2f× the Temporal floor's rate and %.2f× the machine's limit.\n", r.ToFloor, r.ToMachine)
	}
	_, err := fmt.Fprintf(w, "peak RSS: %.0f MiB\n", r.PeakRSSMiB)
	return err
}

// WriteMarkdown writes the report as docs/benchmarks.md shows it: what
// ran, a table row per run, and the ratios.
func (r Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "%d events × %d webhook(s), ingest %s, %d clients, %s; %s; Temporal %s; database %s.\n\n",
		r.Events, r.Webhooks, r.Ingest, r.Clients, r.pace(), r.Machine, r.Setup.Temporal, r.Setup.Database)
	fmt.Fprintln(w, "| "+strings.Join(columns, " | ")+" |")
	fmt.Fprintln(w, "|---"+strings.Repeat("|---:", len(columns)-1)+"|")
	for _, x := range r.Results {
		fmt.Fprintln(w, "| "+strings.Join(x.cells(), " | ")+" |")
	}
	if r.ToFloor > 0 {
		fmt.Fprintf(w, "\nhookflow ÷ Temporal floor: **%.2f×** deliveries/s; hookflow ÷ machine's limit: %.2f×; peak RSS %.0f MiB.\n", r.ToFloor, r.ToMachine, r.PeakRSSMiB)
	}
	return nil
}

// WriteJSON writes the report for programs.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

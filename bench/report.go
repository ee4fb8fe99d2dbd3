package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes the report for people: what ran, a row per run, and
// hookflow's ratios to the references.
func (r Report) WriteTable(w io.Writer) error {
	rate := "as fast as accepted"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%g events/s", r.Rate)
	}
	fmt.Fprintf(w, "hookflow bench: %d events × %d webhook(s), ingest %s, %d clients, %s\n", r.Events, r.Webhooks, r.Ingest, r.Clients, rate)
	fmt.Fprintf(w, "machine: %s; Temporal: %s; database: %s\n\n", r.Machine, r.Setup.Temporal, r.Setup.Database)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\taccepted/s\tdelivered/s\tp50 ms\tp95 ms\tp99 ms\thistory events/delivery\tCPU ms/delivery\t")
	for _, x := range r.Results {
		history := "-"
		if x.HistoryEventsPerDelivery > 0 {
			history = fmt.Sprintf("%.1f", x.HistoryEventsPerDelivery)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%.2f\t\n", x.Name, x.AcceptedPerSecond, x.DeliveredPerSecond,
			x.LatencyP50Ms, x.LatencyP95Ms, x.LatencyP99Ms, history, x.CPUMsPerDelivery)
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

// WriteJSON writes the report for programs.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes the report as docs/benchmarks.md shows it: what
// ran, a table row per run, and the ratios.
func (r Report) WriteMarkdown(w io.Writer) error {
	rate := "as fast as accepted"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%g events/s", r.Rate)
	}
	fmt.Fprintf(w, "%d events × %d webhook(s), ingest %s, %d clients, %s; %s; Temporal %s; database %s.\n\n",
		r.Events, r.Webhooks, r.Ingest, r.Clients, rate, r.Machine, r.Setup.Temporal, r.Setup.Database)
	fmt.Fprintln(w, "| run | accepted/s | delivered/s | p50 ms | p95 ms | p99 ms | history events/delivery | CPU ms/delivery |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.Results {
		history := "–"
		if x.HistoryEventsPerDelivery > 0 {
			history = fmt.Sprintf("%.1f", x.HistoryEventsPerDelivery)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.1f | %.1f | %.1f | %s | %.2f |\n", x.Name, x.AcceptedPerSecond, x.DeliveredPerSecond,
			x.LatencyP50Ms, x.LatencyP95Ms, x.LatencyP99Ms, history, x.CPUMsPerDelivery)
	}
	if r.ToFloor > 0 {
		fmt.Fprintf(w, "\nhookflow ÷ Temporal floor: **%.2f×** deliveries/s; hookflow ÷ machine's limit: %.2f×; peak RSS %.0f MiB.\n", r.ToFloor, r.ToMachine, r.PeakRSSMiB)
	}
	return nil
}

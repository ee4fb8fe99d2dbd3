// Package bench measures hookflow on the machine it runs on: events go in
// through the public API and out, signed, to a local receiver that checks
// every signature, and two references run against the same receiver in the
// same process: Temporal's floor (a minimal workflow with one local
// activity making the same signed POSTs) and the machine's limit (the same
// POSTs from a plain pool of goroutines). hookflow's figures are reported
// as ratios to both, which hold across machines better than the figures.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/workflows"
)

// Options say what to measure, and against which running hookflow.
type Options struct {
	API      apiclient.Client // the running API, with the operator token
	Temporal client.Client    // the Temporal hookflow runs on, for histories and the floor
	Signer   signing.Signer   // the references sign with it, as hookflow's worker does
	Events   int              // events per run
	Webhooks int              // matching webhooks per event (and endpoints per reference event)
	Clients  int              // concurrent API clients
	Rate     float64          // events a second; 0 = as fast as they are accepted
	Batch    bool             // ingest through the batch endpoint
	Batched  bool             // the webhooks deliver in batches (benchBatchSettings)
	SkipRefs bool             // measure hookflow only
	Wait     time.Duration    // longest wait for the deliveries of a run
	Progress io.Writer        // where the progress bar goes; nil = none
	Describe Setup            // how hookflow runs, for the report
}

// historySample is how many of a run's workflows have their history read.
const historySample = 20

// Setup describes what the figures were measured on.
type Setup struct {
	Temporal string `json:"temporal"`
	Database string `json:"database"`
}

// Result is one run's figures.
type Result struct {
	Name                     string  `json:"name"`
	Events                   int     `json:"events"`
	Deliveries               int     `json:"deliveries"`
	Missing                  int     `json:"missing"` // deliveries that did not arrive within the wait
	Forged                   int64   `json:"forged"`  // requests whose signature did not verify
	IngestSeconds            float64 `json:"ingest_seconds"`
	Seconds                  float64 `json:"seconds"` // from the first event sent to the last delivery
	AcceptedPerSecond        float64 `json:"accepted_per_second"`
	DeliveredPerSecond       float64 `json:"delivered_per_second"`
	LatencyP50Ms             float64 `json:"latency_p50_ms"`
	LatencyP95Ms             float64 `json:"latency_p95_ms"`
	LatencyP99Ms             float64 `json:"latency_p99_ms"`
	HistoryEventsPerDelivery float64 `json:"history_events_per_delivery,omitempty"`
	CPUMsPerDelivery         float64 `json:"cpu_ms_per_delivery"`
}

// Report is a whole benchmark: hookflow, the references, and the ratios.
type Report struct {
	Machine  string  `json:"machine"`
	Setup    Setup   `json:"setup"`
	Events   int     `json:"events"`
	Webhooks int     `json:"webhooks"`
	Clients  int     `json:"clients"`
	Rate     float64 `json:"rate"`
	Ingest   string  `json:"ingest"`
	// Batched: the webhooks delivered in batches; a delivery is then one
	// event arriving inside a batch.
	Batched    bool     `json:"batched,omitempty"`
	Results    []Result `json:"results"`
	ToFloor    float64  `json:"deliveries_ratio_to_floor,omitempty"`
	ToMachine  float64  `json:"deliveries_ratio_to_machine,omitempty"`
	PeakRSSMiB float64  `json:"peak_rss_mib"`
}

// Run measures hookflow, then (unless SkipRefs) the floor and the pool.
func Run(ctx context.Context, o Options) (Report, error) {
	o.Events, o.Webhooks, o.Clients = max(1, o.Events), max(1, o.Webhooks), max(1, o.Clients)
	if o.Wait <= 0 {
		o.Wait = 2*time.Minute + time.Duration(o.Events*o.Webhooks)*20*time.Millisecond
	}
	rc, err := startReceiver()
	if err != nil {
		return Report{}, err
	}
	defer rc.Close()
	ingest := "single"
	if o.Batch {
		ingest = "batch"
	}
	if o.Batched {
		ingest += "; delivered in batches (max_events 100, max_wait_ms 1000; a delivery is an event inside a batch)"
	}
	rep := Report{
		Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Setup:   o.Describe, Events: o.Events, Webhooks: o.Webhooks, Clients: o.Clients, Rate: o.Rate, Ingest: ingest,
		Batched: o.Batched,
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	hf, err := measureHookflow(ctx, o, rc, run)
	if err != nil {
		return rep, err
	}
	rep.Results = append(rep.Results, hf)
	if !o.SkipRefs {
		p := &poster{signer: o.Signer, http: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
		reqs := referenceRequests(rc, run, o)
		stop, err := startFloorWorker(o.Temporal, p)
		if err != nil {
			return rep, fmt.Errorf("floor worker: %w", err)
		}
		floor, err := measure(ctx, o, rc, "Temporal floor", func(progress func(int)) (map[string]time.Time, error) {
			return spread(ctx, reqs, o.Clients, o.Rate, startFloorWorkflow(o.Temporal, run), progress)
		}, func(eventID string) string { return floorWorkflowID(run, eventID) })
		stop()
		if err != nil {
			return rep, err
		}
		pool, err := measure(ctx, o, rc, "plain worker pool", func(progress func(int)) (map[string]time.Time, error) {
			return spread(ctx, reqs, o.Clients, o.Rate, p.Post, progress)
		}, nil)
		if err != nil {
			return rep, err
		}
		rep.Results = append(rep.Results, floor, pool)
		rep.ToFloor = ratio(hf.DeliveredPerSecond, floor.DeliveredPerSecond)
		rep.ToMachine = ratio(hf.DeliveredPerSecond, pool.DeliveredPerSecond)
	}
	rep.PeakRSSMiB = float64(peakRSS()) / (1 << 20)
	return rep, nil
}

// referenceRequests are the references' events: as many as hookflow's
// run, each to as many endpoints, with secrets of their own.
func referenceRequests(rc *receiver, run string, o Options) []referenceRequest {
	endpoints := make([]referenceEndpoint, o.Webhooks)
	for i := range endpoints {
		path := fmt.Sprintf("/reference/%d", i)
		endpoints[i] = referenceEndpoint{URL: rc.URL + path, Secret: newSecret()}
		_ = rc.endpoint(path, endpoints[i].Secret) // a secret of our own making is valid
	}
	reqs := make([]referenceRequest, o.Events)
	for i := range reqs {
		reqs[i] = referenceRequest{EventID: fmt.Sprintf("ref_%s_%d", run, i), Endpoints: endpoints}
	}
	return reqs
}

// measureHookflow sets up K verified webhooks through the API and sends the
// events through it.
func measureHookflow(ctx context.Context, o Options, rc *receiver, run string) (Result, error) {
	var batch map[string]any
	workflowID := workflows.DeliveryWorkflowID
	if o.Batched {
		// Batched events have no workflow of their own to read.
		batch, workflowID = benchBatchSettings, nil
	}
	event, cleanup, err := setUp(ctx, o.API, rc, run, o.Webhooks, batch)
	if err != nil {
		return Result{}, fmt.Errorf("set up through the API: %w", err)
	}
	defer cleanup()
	return measure(ctx, o, rc, "hookflow", func(progress func(int)) (map[string]time.Time, error) {
		in := ingest(ctx, o.API, event, o.Events, o.Clients, o.Rate, o.Batch, progress)
		if in.refused > 0 {
			return in.sent, fmt.Errorf("%d of %d events refused; first: %w", in.refused, o.Events, in.firstErr)
		}
		return in.sent, nil
	}, workflowID)
}

// benchBatchSettings are the batch settings of the webhooks of a --batch run.
var benchBatchSettings = map[string]any{"max_events": 100, "max_wait_ms": 1000}

// measure runs one phase: send starts the events (reporting progress) and
// says when each began; then it waits for every delivery, and reads the
// histories of a sample of workflows when workflowID names them.
func measure(ctx context.Context, o Options, rc *receiver, name string, send func(progress func(int)) (map[string]time.Time, error), workflowID func(eventID string) string) (Result, error) {
	rc.reset()
	want := o.Events * o.Webhooks
	bar := newProgress(o.Progress, name, want)
	cpu0 := cpuTime()
	start := time.Now()
	sent, err := send(bar.sent)
	ingested := time.Since(start)
	if err != nil {
		bar.done()
		return Result{Name: name}, err
	}
	deadline := time.Now().Add(o.Wait)
	for int(rc.deliveries.Load()) < want && time.Now().Before(deadline) && ctx.Err() == nil {
		bar.delivered(int(rc.deliveries.Load()))
		time.Sleep(20 * time.Millisecond)
	}
	bar.delivered(int(rc.deliveries.Load()))
	bar.done()
	arrived := rc.arrivals()
	last := start
	for _, at := range arrived {
		if at.After(last) {
			last = at
		}
	}
	took := last.Sub(start)
	cpu := cpuTime() - cpu0
	lat := latencies(sent, arrived)
	res := Result{
		Name: name, Events: len(sent), Deliveries: len(arrived), Missing: want - len(arrived), Forged: rc.forged.Load(),
		IngestSeconds: ingested.Seconds(), Seconds: took.Seconds(),
		AcceptedPerSecond:  float64(len(sent)) / ingested.Seconds(),
		DeliveredPerSecond: float64(len(arrived)) / took.Seconds(),
		LatencyP50Ms:       ms(percentile(lat, 50)), LatencyP95Ms: ms(percentile(lat, 95)), LatencyP99Ms: ms(percentile(lat, 99)),
		CPUMsPerDelivery: ms(cpu) / float64(max(1, len(arrived))),
	}
	if workflowID != nil {
		res.HistoryEventsPerDelivery, err = historyEventsPerDelivery(ctx, o, sent, workflowID)
		if err != nil {
			return res, err
		}
	}
	if res.Missing > 0 {
		return res, fmt.Errorf("%s: %d of %d deliveries did not arrive within %v", name, res.Missing, want, o.Wait)
	}
	if res.Forged > 0 {
		return res, fmt.Errorf("%s: %d requests did not verify", name, res.Forged)
	}
	return res, nil
}

// historyEventsPerDelivery reads the histories of a sample of the run's
// workflows: events in them per delivery they made.
func historyEventsPerDelivery(ctx context.Context, o Options, sent map[string]time.Time, workflowID func(string) string) (float64, error) {
	total, n := 0, 0
	for eventID := range sent {
		if n == historySample {
			break
		}
		// The last deliveries arrive before their workflows record it.
		if err := o.Temporal.GetWorkflow(ctx, workflowID(eventID), "").Get(ctx, nil); err != nil {
			return 0, fmt.Errorf("workflow %s: %w", workflowID(eventID), err)
		}
		iter := o.Temporal.GetWorkflowHistory(ctx, workflowID(eventID), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			if _, err := iter.Next(); err != nil {
				return 0, fmt.Errorf("history of %s: %w", workflowID(eventID), err)
			}
			total++
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("no workflow to read a history of")
	}
	return float64(total) / float64(n*o.Webhooks), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

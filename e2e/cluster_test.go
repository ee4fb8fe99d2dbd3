package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	sqliteschema "go.temporal.io/server/schema/sqlite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/tracking"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

const (
	clusterNamespace = "hookflow-cluster"
	clusterShards    = 4
	// clusterEvents are posted in all, half through each API; the node is
	// killed once clusterEventsBeforeKill of them are accepted.
	clusterEvents           = 300
	clusterEventsBeforeKill = 100
	// clusterPostEvery paces each of the posters: the events span the
	// failover rather than all landing before it.
	clusterPosters   = 4
	clusterPostEvery = 250 * time.Millisecond
)

// A Temporal cluster of two nodes (each a process running frontend,
// history, matching and worker) on one PostgreSQL, two hookflow workers and
// two API servers, each a client of its own node. One node is killed
// (SIGKILL) while events are posted and delivered; its history shards and
// task queues move to the survivor, its clients reconnect to the survivor,
// and every accepted event reaches every webhook, duplicates only as
// retries with the webhook-id of the first.
func TestNothingIsLostWhenATemporalNodeDies(t *testing.T) {
	persistence, visibility := temporalDatabases(t)
	// The namespace, with hookflow's search attributes, is in the store
	// before the nodes start, so both load it at once. The "sqlite"
	// package's function writes through the generic SQL persistence, so it
	// serves PostgreSQL as well.
	ns, err := sqliteschema.NewNamespaceConfig(devstack.ClusterName, clusterNamespace, false, workflows.SearchAttributes())
	require.NoError(t, err)
	require.NoError(t, sqliteschema.CreateNamespaces(persistence, ns))

	started := time.Now()
	nodes := startTemporalNodes(t, temporalNodeConfig{Persistence: persistence, Visibility: visibility, NumHistoryShards: clusterShards}, "a", "b")
	survivor, doomed := nodes[0], nodes[1]
	t.Logf("cluster of 2 nodes on PostgreSQL up in %v: shards of node a %v, of node b %v; hookflow's database: %s",
		time.Since(started).Round(100*time.Millisecond), shardsOf(t.Context(), survivor), shardsOf(t.Context(), doomed), modelstest.Describe())

	// Each client prefers its own node and falls back on the other.
	clientOf := map[*temporalNode]client.Client{}
	for _, n := range nodes {
		frontends := []string{n.frontend()}
		for _, o := range nodes {
			if o != n {
				frontends = append(frontends, o.frontend())
			}
		}
		c, err := dialFrontends(frontends, clusterNamespace)
		require.NoError(t, err)
		t.Cleanup(c.Close)
		require.NoError(t, worker.EnsureSearchAttributes(t.Context(), c, clusterNamespace), "node %s", n.name)
		clientOf[n] = c
	}

	// Two workers: one in this process on node a, one a process of its own
	// on node b. Two API servers over the same database: one on each node,
	// both sweeping (one at a time, by the database lease).
	dsn := modelstest.DSN(t)
	key, err := signing.GenerateKeyPair()
	require.NoError(t, err)
	network := netpolicy.Policy{AllowPrivate: true}
	settings := activities.Settings{RequestTimeout: 5 * time.Second}
	store := modelstest.OpenAt(t, dsn)
	w := worker.New(clientOf[survivor], taskQueue, &activities.Activities{
		Store: store, HTTP: network.NewHTTPClient(settings.RequestTimeout), Signer: signing.Signer{Keys: &key},
		UserAgent: "hookflow/e2e", Settings: settings,
	}, sdkworker.Options{})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	startWorkerProcess(t, workerProcessConfig{Frontends: []string{doomed.frontend(), survivor.frontend()}, Namespace: clusterNamespace,
		TaskQueue: taskQueue, DSN: dsn, SigningKey: key.SecretKeyString(), Settings: settings})
	apis := make([]*system, len(nodes))
	for i, n := range nodes {
		apis[i] = startClusterAPI(t, modelstest.OpenAt(t, dsn), clientOf[n], key)
	}

	message := apis[0].sendMessage(map[string]any{"email": "eve@example.com"}, map[string]any{})
	receivers := []*receiver{newReceiver(t), newReceiver(t)}
	for _, rc := range receivers {
		rc.arrived = make(chan receivedRequest, 2*clusterEvents)
		apis[0].registerWebhook(rc, "delivery")
	}

	// Post through both APIs, paced; kill node b once enough are accepted.
	// The nodes' CPU from here on is what the events cost Temporal.
	cpuBefore := survivor.cpu() + doomed.cpu()
	var doomedCPU time.Duration
	var book ledger
	var killedAt time.Time // set once, before killed is closed
	killed := make(chan struct{})
	var kill sync.Once
	posted := time.Now()
	var posters sync.WaitGroup
	for p := range clusterPosters {
		posters.Go(func() {
			for i := p; i < clusterEvents; i += clusterPosters {
				book.post(apis[i%len(apis)], map[string]any{"type": "delivery", "message_id": message["id"]})
				if len(book.acceptedIDs()) >= clusterEventsBeforeKill {
					kill.Do(func() {
						doomedCPU = doomed.cpu()
						if err := doomed.process.Kill(); err != nil {
							t.Errorf("kill node b: %v", err)
						}
						killedAt = time.Now()
						close(killed)
					})
				}
				time.Sleep(clusterPostEvery)
			}
		})
	}
	// Shards move once the survivor's ring has lost node b and it has
	// acquired them.
	var shardsMovedAfter time.Duration
	shardsMoved := make(chan struct{})
	go func() {
		defer close(shardsMoved)
		<-killed
		for time.Since(killedAt) < 2*time.Minute {
			if len(shardsOf(context.Background(), survivor)) == clusterShards {
				shardsMovedAfter = time.Since(killedAt)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// How soon each API's client serves again: DescribeWorkflowExecution of
	// the first 20 workflows (spread over the shards by their ids) answers.
	reachable := map[*temporalNode]time.Duration{}
	var probes sync.WaitGroup
	var probed sync.Mutex
	for n, c := range clientOf {
		probes.Go(func() {
			<-killed
			ids := book.acceptedIDs()[:20]
			for time.Since(killedAt) < time.Minute {
				ok := true
				for _, id := range ids {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					_, err := c.DescribeWorkflowExecution(ctx, workflows.DeliveryWorkflowID(id), "")
					cancel()
					if err != nil {
						ok = false
						break
					}
				}
				if ok {
					probed.Lock()
					reachable[n] = time.Since(killedAt)
					probed.Unlock()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	posters.Wait()
	select {
	case <-killed:
	default:
		t.Fatal("node b was not killed: too few events were accepted")
	}
	probes.Wait()
	t.Logf("clients reach every shard again: of node a %v after the kill, of node b %v", reachable[survivor].Round(10*time.Millisecond), reachable[doomed].Round(10*time.Millisecond))
	for _, n := range nodes {
		require.NotZero(t, reachable[n], "the client of node %s reached every shard within a minute of the kill", n.name)
	}
	t.Logf("posted %d events in %v; node b killed %v after the first", clusterEvents, time.Since(posted).Round(100*time.Millisecond),
		killedAt.Sub(posted).Round(100*time.Millisecond))

	t.Cleanup(func() {
		if t.Failed() {
			explainUndelivered(t, store, clientOf[survivor], &book, receivers)
		}
	})
	tl := book.awaitDelivered(t, "a Temporal node killed mid-run, 2 nodes, "+modelstest.Describe(), 90*time.Second, receivers...)
	temporalCPU := survivor.cpu() + doomedCPU - cpuBefore
	<-shardsMoved
	require.NotZero(t, shardsMovedAfter, "the survivor took every shard within 2 minutes")
	everyShard := make([]int32, clusterShards)
	for i := range everyShard {
		everyShard[i] = int32(i + 1)
	}
	require.Equal(t, everyShard, shardsOf(t.Context(), survivor), "the survivor has every shard")

	// Deliveries after the kill: the first, the last, and the longest
	// pause between two (while node b's shards had no owner, and events
	// whose start failed waited for the sweeper).
	var arrivals []time.Time
	for _, rc := range receivers {
		for _, r := range rc.received() {
			if r.Status == http.StatusOK && r.At.After(killedAt) {
				arrivals = append(arrivals, r.At)
			}
		}
	}
	require.NotEmpty(t, arrivals, "deliveries arrived after the kill")
	slices.SortFunc(arrivals, time.Time.Compare)
	first, last := arrivals[0], arrivals[len(arrivals)-1]
	var stall time.Duration
	for i := 1; i < len(arrivals); i++ {
		stall = max(stall, arrivals[i].Sub(arrivals[i-1]))
	}
	all := book.acceptedIDs()
	t.Logf("failover: node b's shards on node a %v after the kill; deliveries after the kill: the first %v after it, the last %v, the longest pause between two %v",
		shardsMovedAfter.Round(100*time.Millisecond), first.Sub(killedAt).Round(10*time.Millisecond), last.Sub(killedAt).Round(100*time.Millisecond), stall.Round(100*time.Millisecond))
	t.Logf("throughput: %d events (%d deliveries) accepted and delivered %v after the first was posted: %.1f events/s through the failover",
		tl.Accepted, tl.Delivered, last.Sub(posted).Round(100*time.Millisecond), float64(tl.Accepted)/last.Sub(posted).Seconds())
	if temporalCPU > 0 {
		t.Logf("Temporal's CPU (both nodes' processes, PostgreSQL not counted): %v for %d events, %v an event",
			temporalCPU.Round(100*time.Millisecond), tl.Accepted, (temporalCPU / time.Duration(tl.Accepted)).Round(100*time.Microsecond))
	}
	require.Equal(t, clusterEvents, tl.Sent)
	require.Equal(t, tl.Sent, tl.Accepted, "the API accepts events while a Temporal node is down: they are stored first")

	// Every workflow completed with both deliveries succeeded, and every
	// event is settled in hookflow's database, however its workflow was
	// started (by an API's dispatcher, or by the sweeper after the start
	// failed).
	for _, id := range all {
		var res workflows.DeliveryResult
		require.NoError(t, clientOf[survivor].GetWorkflow(t.Context(), workflows.DeliveryWorkflowID(id), "").Get(t.Context(), &res), "event %s", id)
		require.Equal(t, workflows.DeliveryResult{Webhooks: 2, Succeeded: 2}, res, "event %s", id)
	}
	var unsettled int64
	require.NoError(t, store.DB(t.Context()).Model(&models.Event{}).Where("id IN ? AND settled_at IS NULL", all).Count(&unsettled).Error)
	require.Zero(t, unsettled, "events not settled")
}

// explainUndelivered says, for the first few accepted events that did not
// reach every receiver, whether their workflow was started and where it is.
func explainUndelivered(t testing.TB, store *models.Store, c client.Client, book *ledger, receivers []*receiver) {
	got := map[string]int{}
	for _, rc := range receivers {
		for _, r := range rc.received() {
			if r.Status == http.StatusOK {
				got[r.Headers.Get(activities.HeaderEventID)]++
			}
		}
	}
	shown := 0
	for _, id := range book.acceptedIDs() {
		if got[id] >= len(receivers) || shown == 5 {
			continue
		}
		shown++
		var e models.Event
		if err := store.DB(context.Background()).First(&e, "id = ?", id).Error; err != nil {
			t.Logf("undelivered %s: %v", id, err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		desc, err := c.DescribeWorkflowExecution(ctx, workflows.DeliveryWorkflowID(id), "")
		cancel()
		t.Logf("undelivered %s: dispatched %v, settled %v; workflow: %v %v, pending activities %v", id, e.DispatchedAt, e.SettledAt,
			desc.GetWorkflowExecutionInfo().GetStatus(), err, desc.GetPendingActivities())
	}
}

// startClusterAPI is one API server of the cluster test: its own store on
// the shared database, its own Temporal client, a sweeper that starts the
// events whose start failed (quickly, for the test: every second, events
// older than 2 s).
func startClusterAPI(t testing.TB, store *models.Store, c client.Client, key signing.KeyPair) *system {
	api := httptest.NewServer(nil)
	t.Cleanup(api.Close)
	srv := server.New(server.Options{
		Store:       store,
		APIToken:    apiToken,
		PublicURL:   api.URL,
		Network:     netpolicy.Policy{AllowPrivate: true},
		Tracking:    tracking.NewTokens("e2e-tracking"),
		Workflows:   workflows.Starter{Client: c, TaskQueue: taskQueue},
		SigningKeys: []signing.PublicKey{key.Public()},
	})
	api.Config.Handler = srv.Handler()
	t.Cleanup(func() {
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = srv.Shutdown(shutdown)
	})
	startSweeper(t, srv, server.SweepOptions{Every: time.Second, MinAge: 2 * time.Second, MaxBackoff: 4 * time.Second})
	return &system{t: t, api: api, store: store, temporal: c, ns: clusterNamespace}
}

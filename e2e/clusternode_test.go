package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/api/adminservice/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/hookflow/hookflow/devstack"
)

// envTemporalNode, when set in the environment of this test binary, makes
// it a node of a multi-node Temporal cluster (see runTemporalNode): the
// cluster test starts two so, as OS processes it can kill.
const envTemporalNode = "HOOKFLOW_E2E_TEMPORAL_NODE"

// temporalNodeConfig is what a node process needs: the JSON value of
// envTemporalNode.
type temporalNodeConfig struct {
	Ports                   devstack.NodePorts
	ClusterAddress          string
	Persistence, Visibility *config.SQL
	NumHistoryShards        int32
}

// runTemporalNode runs one Temporal node until killed or interrupted. Its
// log (warnings and errors) goes to stderr, which the test keeps.
func runTemporalNode(raw string) error {
	var cfg temporalNodeConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	srv, err := devstack.StartClusterNode(devstack.ClusterNodeOptions{
		Ports:            cfg.Ports,
		ClusterAddress:   cfg.ClusterAddress,
		Persistence:      cfg.Persistence,
		Visibility:       cfg.Visibility,
		NumHistoryShards: cfg.NumHistoryShards,
		DynamicConfig:    clusterDynamicConfig(),
		Logger:           slog.New(slog.NewTextHandler(os.Stderr, nil)),
		LogLevel:         slog.LevelWarn,
	})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Println(processReady)
	awaitStopSignal()
	return nil
}

// clusterDynamicConfig is the test cluster's dynamic config: Temporal's
// defaults, production-shaped (four partitions per task queue, spread over
// the matching nodes), but for one safety net: a history node looks for
// shards it should own every 5 s rather than every minute, in case it
// missed the membership change that gave it a dead node's shards (it
// normally acts on that change at once).
func clusterDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.AcquireShardInterval.Key(): 5 * time.Second,
	}
}

// temporalNode is a running node process of the test's cluster.
type temporalNode struct {
	name    string
	process *os.Process
	ports   devstack.NodePorts
	admin   adminservice.AdminServiceClient
}

func (n *temporalNode) frontend() string { return loopbackAddr(n.ports.Frontend.GRPC) }
func (n *temporalNode) history() string  { return loopbackAddr(n.ports.History.GRPC) }

func loopbackAddr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// startTemporalNodes starts the nodes of one cluster as processes of their
// own and returns when each answers with a ring of every node's
// history service: the shards are then spread over them.
func startTemporalNodes(t testing.TB, cfg temporalNodeConfig, names ...string) []*temporalNode {
	t.Helper()
	nodes := make([]*temporalNode, len(names))
	for i, name := range names {
		ports, err := devstack.FreeNodePorts()
		require.NoError(t, err)
		nodes[i] = &temporalNode{name: name, ports: ports}
		conn, err := grpc.NewClient(nodes[i].frontend(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		nodes[i].admin = adminservice.NewAdminServiceClient(conn)
	}
	cfg.ClusterAddress = nodes[0].frontend()
	// One after the other: the first node of a new cluster writes its
	// metadata, and two doing so at once fail one of them on a duplicate key.
	for _, n := range nodes {
		nodeCfg := cfg
		nodeCfg.Ports = n.ports
		p := launchProcess(t, "temporal-"+n.name, envTemporalNode, nodeCfg)
		p.awaitReady(t)
		n.process = p.process
	}
	for _, n := range nodes {
		require.Eventually(t, func() bool { return historyMembers(t.Context(), n) == len(nodes) }, 60*time.Second, 200*time.Millisecond,
			"node %s sees every node's history service in its ring", n.name)
	}
	return nodes
}

// cpu is the CPU time (user and system) a node's process has used so far,
// from /proc (Linux; 0 elsewhere). /proc counts in USER_HZ, 100 a second.
func (n *temporalNode) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (in parentheses, which may hold
	// spaces) start at the state, the 3rd; utime and stime are the 14th
	// and 15th.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// historyMembers is how many history services the node's ring has; 0 when
// it does not answer.
func historyMembers(ctx context.Context, n *temporalNode) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := n.admin.DescribeCluster(ctx, &adminservice.DescribeClusterRequest{})
	if err != nil {
		return 0
	}
	for _, ring := range resp.GetMembershipInfo().GetRings() {
		if ring.GetRole() == "history" {
			return int(ring.GetMemberCount())
		}
	}
	return 0
}

// shardsOf lists the history shards a node has loaded, asked through its
// own frontend; nil when it does not answer.
func shardsOf(ctx context.Context, n *temporalNode) []int32 {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := n.admin.DescribeHistoryHost(ctx, &adminservice.DescribeHistoryHostRequest{HostAddress: n.history()})
	if err != nil {
		return nil
	}
	shards := resp.GetShardIds()
	slices.Sort(shards)
	return shards
}

// dialFrontends is a Temporal client of a multi-node cluster whose
// frontends are all on one host: a static gRPC resolver lists them,
// preferred first, and pick_first keeps to the first that answers. When
// that node dies, the next call connects to the next address: a client
// of a node that died carries on with a survivor. (In production a DNS
// name with every frontend's address, dialled as dns:///name:7233, or a
// load balancer does this; see docs/scaling.md.)
func dialFrontends(frontends []string, namespace string) (client.Client, error) {
	r := manual.NewBuilderWithScheme("hookflow-frontends")
	var state resolver.State
	for _, addr := range frontends {
		state.Addresses = append(state.Addresses, resolver.Address{Addr: addr})
	}
	r.InitialState(state)
	return client.Dial(client.Options{
		HostPort:  r.Scheme() + ":///temporal",
		Namespace: namespace,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ConnectionOptions: client.ConnectionOptions{DialOptions: []grpc.DialOption{
			grpc.WithResolvers(r),
			// The SDK's default is round_robin over every address; the test
			// wants each client on its own node until that node dies.
			grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"pick_first":{}}]}`),
		}},
	})
}

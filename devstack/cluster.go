package devstack

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// A node of a multi-node Temporal cluster is a server running frontend,
// history, matching and worker, on a SQL store that every node shares
// (PostgreSQL: MariaDB is not a store Temporal supports). The nodes find
// each other by gossip (ringpop), bootstrapped from the cluster_membership
// table of that store, so a node that dies leaves the ring and its history
// shards and task queues move to the nodes left. "hookflow dev" runs one
// node on SQLite instead (StartTemporal); the cluster is what e2e tests run
// to show how hookflow grows past one machine.

// ServicePorts are the ports of one service of a node: gRPC, and the
// membership (gossip) port its peers reach it on.
type ServicePorts struct{ GRPC, Membership int }

// NodePorts are the ports of a node's four services.
type NodePorts struct{ Frontend, History, Matching, Worker ServicePorts }

// ClusterNodeOptions describe one node of a cluster.
type ClusterNodeOptions struct {
	// Ports of this node's services, on 127.0.0.1. Every port must be below
	// 32768: Temporal keeps membership ports in a smallint column.
	Ports NodePorts
	// ClusterAddress is the frontend address recorded in the cluster
	// metadata: the same on every node (a load balancer's in production).
	ClusterAddress string
	// Persistence and Visibility are the shared SQL databases, each with
	// its schema already applied (Temporal's SQL schema tool).
	Persistence, Visibility *config.SQL
	// NumHistoryShards is the same on every node and for the life of the
	// persistence database: it cannot change once the cluster ran.
	NumHistoryShards int32
	// DynamicConfig overrides the server's defaults, as a dynamic config
	// file would.
	DynamicConfig dynamicconfig.StaticClient
	// Logger receives the server's log at LogLevel and above.
	Logger   *slog.Logger
	LogLevel slog.Level
}

// FrontendAddr is the address clients of this node dial.
func (o ClusterNodeOptions) FrontendAddr() string { return loopback(o.Ports.Frontend.GRPC) }

// ClusterNodeConfig is the server configuration of one node.
func ClusterNodeConfig(opts ClusterNodeOptions) (*config.Config, error) {
	if opts.Persistence == nil || opts.Visibility == nil {
		return nil, errors.New("a cluster node needs its persistence and visibility databases")
	}
	if opts.NumHistoryShards <= 0 {
		return nil, errors.New("a cluster node needs the cluster's number of history shards")
	}
	const persistenceStore, visibilityStore = "persistence", "visibility"
	cfg := baseConfig(opts.FrontendAddr(), opts.ClusterAddress, config.Persistence{
		DefaultStore:     persistenceStore,
		VisibilityStore:  visibilityStore,
		NumHistoryShards: opts.NumHistoryShards,
		DataStores: map[string]config.DataStore{
			persistenceStore: {SQL: opts.Persistence},
			visibilityStore:  {SQL: opts.Visibility},
		},
	})
	cfg.Services = map[string]config.Service{}
	for name, p := range map[primitives.ServiceName]ServicePorts{
		primitives.FrontendService: opts.Ports.Frontend,
		primitives.HistoryService:  opts.Ports.History,
		primitives.MatchingService: opts.Ports.Matching,
		primitives.WorkerService:   opts.Ports.Worker,
	} {
		for _, port := range []int{p.GRPC, p.Membership} {
			if port <= 0 || port >= 1<<15 {
				return nil, fmt.Errorf("%s port %d: need a port from 1 to 32767", name, port)
			}
		}
		cfg.Services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: p.GRPC, MembershipPort: p.Membership, BindOnIP: "127.0.0.1"}}
	}
	return cfg, nil
}

// StartClusterNode starts one node; it joins the ring of the nodes already
// running on the same store. Stop it with the server's Stop, or kill its
// process: the others notice by gossip.
func StartClusterNode(opts ClusterNodeOptions) (temporal.Server, error) {
	cfg, err := ClusterNodeConfig(opts)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	level := new(slog.LevelVar)
	level.Set(opts.LogLevel)
	dc := opts.DynamicConfig
	if dc == nil {
		dc = dynamicconfig.StaticClient{}
	}
	return startServer(cfg, newTemporalLogger(opts.Logger, level), dc)
}

// FreeNodePorts picks free loopback ports for a node's services, all below
// 32768 (the kernel's ephemeral ports are often above). Another process
// could take one before the node binds it; on a test machine it won't.
func FreeNodePorts() (NodePorts, error) {
	var ports [8]int
	taken := map[int]bool{}
	for i := range ports {
		p, err := freeLowPort(taken)
		if err != nil {
			return NodePorts{}, err
		}
		ports[i], taken[p] = p, true
	}
	return NodePorts{
		Frontend: ServicePorts{ports[0], ports[1]},
		History:  ServicePorts{ports[2], ports[3]},
		Matching: ServicePorts{ports[4], ports[5]},
		Worker:   ServicePorts{ports[6], ports[7]},
	}, nil
}

// FreeLoopbackAddr is a loopback address whose port is free now and below
// the kernel's ephemeral range, so that no outgoing connection takes it
// before a server started with it binds it (or binds it again, restarted).
func FreeLoopbackAddr() (string, error) {
	p, err := freeLowPort(nil)
	if err != nil {
		return "", err
	}
	return loopback(p), nil
}

// freeLowPort tries random ports from 20000 to 32767 (below the usual
// ephemeral range of 32768 and up, above most services') until one is free.
func freeLowPort(taken map[int]bool) (int, error) {
	for range 100 {
		p := 20000 + rand.IntN(1<<15-20000)
		if taken[p] {
			continue
		}
		if ln, err := net.Listen("tcp", loopback(p)); err == nil {
			ln.Close()
			return p, nil
		}
	}
	return 0, errors.New("no free port from 20000 to 32767 on 127.0.0.1")
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

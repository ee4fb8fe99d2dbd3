package e2e

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// switchboard puts a receiver on an address of its own that can go away
// and come back, as a customer's host that goes down does: while it is
// down, connections are refused (nothing listens) and those open are cut;
// once up, the same address answers again. It forwards bytes, so the
// receiver behind it sees the requests exactly as sent.
type switchboard struct {
	t      testing.TB
	addr   string // the address webhooks are registered at
	target string // the receiver's own address
	mu     sync.Mutex
	ln     net.Listener // nil while down
	conns  map[net.Conn]bool
}

// putBehindSwitchboard moves rc to a switchboard's address: webhooks
// registered for rc afterwards go through it.
func putBehindSwitchboard(t testing.TB, rc *receiver) *switchboard {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sb := &switchboard{t: t, addr: ln.Addr().String(), target: rc.Listener.Addr().String(), conns: map[net.Conn]bool{}}
	sb.serve(ln)
	rc.URL = "http://" + sb.addr
	t.Cleanup(sb.down)
	return sb
}

// down closes the listener and every open connection.
func (sb *switchboard) down() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.ln != nil {
		sb.ln.Close()
		sb.ln = nil
	}
	for c := range sb.conns {
		c.Close()
	}
	clear(sb.conns)
}

// up listens on the same address again (Go's listeners set SO_REUSEADDR,
// so the port is free at once).
func (sb *switchboard) up() {
	ln, err := net.Listen("tcp", sb.addr)
	require.NoError(sb.t, err, "listen again on %s", sb.addr)
	sb.serve(ln)
}

func (sb *switchboard) serve(ln net.Listener) {
	sb.mu.Lock()
	sb.ln = ln
	sb.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go sb.forward(ln, c)
		}
	}()
}

// forward carries one connection to the receiver and back, unless the
// listener that accepted it went down meanwhile.
func (sb *switchboard) forward(ln net.Listener, c net.Conn) {
	upstream, err := net.Dial("tcp", sb.target)
	if err != nil {
		c.Close()
		return
	}
	sb.mu.Lock()
	if sb.ln != ln {
		sb.mu.Unlock()
		c.Close()
		upstream.Close()
		return
	}
	sb.conns[c], sb.conns[upstream] = true, true
	sb.mu.Unlock()
	defer func() {
		sb.mu.Lock()
		delete(sb.conns, c)
		delete(sb.conns, upstream)
		sb.mu.Unlock()
		c.Close()
		upstream.Close()
	}()
	go func() {
		_, _ = io.Copy(upstream, c)
		upstream.Close()
	}()
	_, _ = io.Copy(c, upstream)
}

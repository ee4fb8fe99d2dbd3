package netpolicy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is wrapped by dial errors for connections the policy
// refuses; match it with errors.Is through *url.Error and *net.OpError.
var ErrForbiddenAddress = errors.New("netpolicy: destination address is not public")

// DialContext returns a dial function for http.Transport. Unless
// AllowPrivate, it refuses to connect to non-public addresses. The check runs
// in net.Dialer.Control, i.e. on the resolved IP actually being connected to,
// after DNS: whatever the name resolves to now (DNS rebinding, a changed
// record, getaddrinfo quirks), an internal host is never reached. Names are
// resolved with the policy's Resolver, the same one CheckURL asks.
func (p Policy) DialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Resolver: p.Resolver}
	if !p.AllowPrivate {
		d.Control = refuseNonPublic
	}
	return d.DialContext
}

// refuseNonPublic is a net.Dialer.Control hook; address is "ip:port" here.
// Anything unparseable is refused: fail closed.
func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !IsPublic(ap.Addr()) {
		return fmt.Errorf("refusing to connect to %s over %s: %w", address, network, ErrForbiddenAddress)
	}
	return nil
}

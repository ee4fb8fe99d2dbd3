package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDialContext(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	tests := []struct {
		name    string
		policy  Policy
		addr    string
		refused bool
	}{
		{"loopback IP refused", Policy{}, srv.Listener.Addr().String(), true},
		{"name resolving to loopback refused", Policy{}, net.JoinHostPort("localhost", port), true},
		{"loopback IP allowed in dev", Policy{AllowPrivate: true}, srv.Listener.Addr().String(), false},
		{"name allowed in dev", Policy{AllowPrivate: true}, net.JoinHostPort("localhost", port), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dial := tt.policy.DialContext(2 * time.Second)
			conn, err := dial(context.Background(), "tcp", tt.addr)
			if tt.refused {
				if conn != nil {
					conn.Close()
				}
				if !errors.Is(err, ErrForbiddenAddress) {
					t.Fatalf("dial %s = %v, want error wrapping ErrForbiddenAddress", tt.addr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial %s: %v", tt.addr, err)
			}
			conn.Close()
		})
	}
}

// refuseNonPublic is checked directly for public addresses, which the tests
// cannot actually dial.
func TestRefuseNonPublic(t *testing.T) {
	tests := []struct {
		address string
		ok      bool
	}{
		{"8.8.8.8:443", true},
		{"[2001:4860:4860::8888]:443", true},
		{"127.0.0.1:80", false},
		{"[::ffff:10.0.0.1]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"not-an-address", false}, // fail closed
	}
	for _, tt := range tests {
		err := refuseNonPublic("tcp", tt.address, nil)
		if tt.ok && err != nil {
			t.Errorf("refuseNonPublic(%s) = %v, want nil", tt.address, err)
		}
		if !tt.ok && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("refuseNonPublic(%s) = %v, want ErrForbiddenAddress", tt.address, err)
		}
	}
}

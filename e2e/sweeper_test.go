package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/server"
)

// sweepUndispatched runs the API's sweeper, as the API process does: an
// event whose workflow start failed or timed out (Temporal busy, as on a
// loaded CI machine) is started by it, not left until the reconciler. It
// sweeps every second what is 5 s old (the dispatcher's start takes at
// most 3 s), where production sweeps every 30 s what is a minute old, so
// that fault tests stay bounded.
func sweepUndispatched(t testing.TB, srv *server.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.SweepUndispatched(ctx, server.SweepOptions{Every: time.Second, MinAge: 5 * time.Second, MaxBackoff: 2 * time.Second})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

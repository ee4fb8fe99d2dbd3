// Package server is hookflow's HTTP face: the management API under /v1,
// health checks, and the public tracking endpoints.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/tracking"
)

// Options are the server's dependencies and settings.
type Options struct {
	Store        *models.Store
	APIToken     string
	PublicURL    string // base of tracking links, without trailing slash
	MaxBodyBytes int64
	Network      netpolicy.Policy
	Tracking     tracking.Tokens
	// Workflows starts deliveries and verifications; nil serves the API
	// without Temporal (events are stored for the sweeper to start later).
	Workflows Workflows
	// SigningKeys are the public keys receivers verify v1a signatures with.
	SigningKeys []signing.PublicKey
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// DispatchWorkers and DispatchQueue size the background starting of
	// delivery workflows (0: 4 workers, 10,000 queued events).
	DispatchWorkers, DispatchQueue int
	// TrackingRate (hits a second) and TrackingBurst limit the opens and
	// clicks recorded per client IP and per message (0: 20 and 100).
	TrackingRate  float64
	TrackingBurst int
	// Metrics is the process's registry: the server adds its metrics and
	// serves all of it at /metrics. Nil: a registry of the server's own.
	Metrics *prometheus.Registry
	// Console builds the web console served under /console, given the
	// way to call this API in-process; nil serves no console.
	Console func(InProcess) http.Handler
}

// Server serves the API. Its handlers hold no state of their own; the
// server has a dispatcher that starts workflows in the background, the
// tracking rate limit and its metrics.
type Server struct {
	Options
	metrics       *metrics
	dispatcher    *dispatcher
	trackingLimit *trackingLimit
}

// New returns a server; call Handler to serve it and Shutdown when done.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	m := newMetrics(opts.Metrics)
	return &Server{
		Options:       opts,
		metrics:       m,
		dispatcher:    newDispatcher(opts.Workflows, opts.Store, opts.DispatchWorkers, opts.DispatchQueue, m.leftToSweeper),
		trackingLimit: newTrackingLimit(opts.TrackingRate, opts.TrackingBurst, m.trackingOverLimit),
	}
}

// Shutdown stops the background work: it waits until the workflow starts
// under way end, or ctx does. Stop serving HTTP first; events accepted
// after this are left to the sweeper.
func (s *Server) Shutdown(ctx context.Context) error { return s.dispatcher.stop(ctx) }

func init() { gin.SetMode(gin.ReleaseMode) }

// Handler builds the router.
func (s *Server) Handler() http.Handler {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// No redirect to the path without its trailing slash: it would be an
	// HTML 301 where an API client wants a problem, and a tracking link
	// with an extra slash is not one of ours.
	r.RedirectTrailingSlash = false
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		panic("invalid trusted proxies: " + err.Error()) // checked at start-up by the caller
	}
	// A panic is logged through slog, as everything else is, so that it is
	// in the process's format and the commands' masking of secrets applies;
	// Gin's own report would go straight to stderr.
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, recovered any) {
		slog.Error("panic serving a request", "method", c.Request.Method, "route", c.FullPath(),
			"panic", fmt.Sprint(recovered), "stack", string(debug.Stack()))
		abortProblem(c, http.StatusInternalServerError, "internal error")
	}))
	r.Use(limitBody(s.MaxBodyBytes))
	r.NoRoute(func(c *gin.Context) { abortProblem(c, http.StatusNotFound, "no such endpoint") })
	r.NoMethod(func(c *gin.Context) { abortProblem(c, http.StatusMethodNotAllowed, "method not allowed here") })

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/openapi.json", serveOpenAPI)
	r.GET("/metrics", s.authenticate(), requireOperator, s.metrics.serve())
	r.GET("/t/o/:token", s.trackOpen)
	r.GET("/t/c/:token", s.trackClick)

	v1 := r.Group("/v1", s.authenticate(), s.idempotent)
	s.routeAccounts(v1.Group("/accounts", requireOperator))
	s.routeAudience(v1)
	s.routeMessages(v1)
	s.routeWebhooks(v1)
	v1.POST("/events", s.createEvent)
	v1.POST("/events/batch", s.createEventBatch)
	s.routeDeliveries(v1)
	s.routeRecoveries(v1)
	v1.GET("/signing-keys", s.listSigningKeys)
	if s.Console != nil {
		console := gin.WrapH(s.Console(InProcess{s: s, handler: r}))
		r.Any("/console", console)
		r.Any("/console/*path", console)
	}
	return r
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz says whether the server can take events: whether the database
// takes a write, which a ping does not tell (a read-only database answers
// pings, and would refuse every event).
func (s *Server) readyz(c *gin.Context) {
	if err := s.Store.CheckWritable(c.Request.Context()); err != nil {
		detail := "database unreachable"
		if errors.Is(err, models.ErrReadOnly) {
			detail = "the database is read-only"
		}
		abortProblem(c, http.StatusServiceUnavailable, detail)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

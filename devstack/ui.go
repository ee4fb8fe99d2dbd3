package devstack

import (
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	uiapi "github.com/temporalio/ui-server/v2/server/api"
	"github.com/temporalio/ui-server/v2/server/auth"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/cors"
	"github.com/temporalio/ui-server/v2/server/csrf"
	"github.com/temporalio/ui-server/v2/server/headers"
	"github.com/temporalio/ui-server/v2/server/route"
	"github.com/temporalio/ui-server/v2/ui"
)

// UIOptions configure the Temporal Web UI.
type UIOptions struct {
	// TemporalAddr is the frontend the UI's API calls go to.
	TemporalAddr string
	// Namespace is the one the UI opens.
	Namespace string
}

// NewUI returns the Temporal Web UI, with its embedded assets, as a
// handler to serve on a listener of the caller's.
//
// It is the router that ui-server's server.NewServer (v2.54.1) builds, with
// the same middleware in the same order. That constructor binds the port
// itself and exits the process when it cannot; as a handler, a taken port is
// an error and shutdown drains like the API's.
func NewUI(opts UIOptions) (http.Handler, error) {
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: opts.TemporalAddr,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		// Plain HTTP on loopback: a Secure cookie would never come back.
		CORS:             uiconfig.CORS{CookieInsecure: true},
		HideLogs:         true,
		DisableNewsFetch: true,
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("Web UI config: %w", err)
	}
	provider, err := uiconfig.NewConfigProviderWithRefresh(cfg) // no refresh interval: no goroutine
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Use(middleware.Gzip())
	e.Use(cors.CORSMiddleware(cors.CORSConfig{
		AllowHeaders: []string{
			echo.HeaderOrigin, echo.HeaderContentType, echo.HeaderAccept,
			echo.HeaderXCSRFToken, echo.HeaderAuthorization, auth.AuthorizationExtrasHeader,
			"Caller-Type",
		},
		AllowCredentials: true,
		ConfigProvider:   provider,
	}))
	e.Use(middleware.Secure())
	cookieSecure := !cfg.CORS.CookieInsecure
	e.Use(csrf.EnsureTokenCookie(cookieSecure))
	e.Use(middleware.CSRFWithConfig(csrf.MiddlewareConfig(provider, cookieSecure)))
	e.Pre(route.PublicPath(cfg.PublicPath))

	route.SetHealthRoute(e)
	forward := []uiapi.Middleware{headers.WithForwardHeaders([]string{auth.AuthorizationExtrasHeader, "Caller-Type"})}
	if err := route.SetAPIRoutes(e, provider, forward); err != nil {
		return nil, err
	}
	route.SetAuthRoutes(e, provider)
	assets, err := ui.Assets()
	if err != nil {
		return nil, err
	}
	if assets, err = fs.Sub(assets, "local"); err != nil {
		return nil, err
	}
	if err := route.SetUIRoutes(e, cfg.PublicPath, assets); err != nil {
		return nil, err
	}
	route.SetRenderRoute(e, cfg.PublicPath)
	return e, nil
}

//go:build tools

// Package hookflow pins modules that later packages import, so go mod tidy keeps them.
package hookflow

import (
	_ "github.com/standard-webhooks/standard-webhooks/libraries/go"
	_ "github.com/temporalio/ui-server/v2/server"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/temporaltest"
)

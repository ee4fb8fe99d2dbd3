package workflows

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// requireContinuedAsNew fails the test unless the workflow continued as
// new, and decodes the input of its next run into in.
func requireContinuedAsNew(t *testing.T, env *testsuite.TestWorkflowEnvironment, in any) {
	t.Helper()
	var continued *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &continued), "err %v", env.GetWorkflowError())
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(continued.Input, in))
}

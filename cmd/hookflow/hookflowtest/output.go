package hookflowtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// CleanEnv is the test's environment without hookflow's and Temporal's
// settings, so the developer's own cannot change what is tested.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKFLOW_") && !strings.HasPrefix(kv, "TEMPORAL_") {
			env = append(env, kv)
		}
	}
	return env
}

// Output is a file a process writes to. A file, not a pipe: what the
// process wrote before it answered a request is there to read once it has.
type Output struct{ f *os.File }

// NewOutput creates the file in the test's temporary directory.
func NewOutput(t testing.TB, name string) Output {
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return Output{f}
}

// File is what to give the process as its stdout or stderr.
func (o Output) File() *os.File { return o.f }

func (o Output) String() string {
	data, _ := os.ReadFile(o.f.Name())
	return string(data)
}

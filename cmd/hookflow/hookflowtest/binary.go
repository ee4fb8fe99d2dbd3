// Package hookflowtest runs the real hookflow binary in tests, as a
// developer would: build it once, start "hookflow dev" on free ports with
// its own data directory, talk to it over HTTP, stop it with SIGINT.
package hookflowtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// Binary builds the binary once for all the tests of a package; its
// TestMain calls RemoveBinary when they are done.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "hookflow-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "hookflow")
		out, err := exec.Command("go", "build", "-o", built.path, "github.com/hookflow/hookflow/cmd/hookflow").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, built.err)
	return built.path
}

// RemoveBinary deletes what Binary built, if it built anything.
func RemoveBinary() {
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
}

package devstack

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/log/tag"
	_ "modernc.org/sqlite"

	"github.com/hookflow/hookflow/workflows"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// One server for the package: starting Temporal is the slow part.
func TestTemporalOnSQLiteFileWithTheWebUI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	dir := t.TempDir()
	var logs bytes.Buffer
	ts, err := StartTemporal(t.Context(), TemporalOptions{
		Addr:             freeAddr(t),
		DataDir:          dir,
		Namespace:        "default",
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           slog.New(slog.NewTextHandler(&logs, nil)),
		LogLevel:         slog.LevelWarn,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ts.Stop()) })
	require.Equal(t, filepath.Join(dir, TemporalDBFile), ts.DBPath())

	t.Run("the namespace has the search attributes", func(t *testing.T) {
		c, err := client.Dial(client.Options{HostPort: ts.Addr(), Namespace: "default"})
		require.NoError(t, err)
		defer c.Close()
		resp, err := c.OperatorService().ListSearchAttributes(t.Context(), &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
		require.NoError(t, err)
		for name, typ := range workflows.SearchAttributes() {
			require.Equal(t, typ, resp.GetCustomAttributes()[name], name)
		}
	})

	t.Run("the SQLite pragmas took effect", func(t *testing.T) {
		// journal_mode=wal is kept in the file, so another connection sees it.
		db, err := sql.Open("sqlite", "file:"+ts.DBPath()+"?mode=ro")
		require.NoError(t, err)
		defer db.Close()
		var mode string
		require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
		require.Equal(t, "wal", mode)
		var namespaces int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM namespaces WHERE name = 'default'").Scan(&namespaces))
		require.Equal(t, 1, namespaces)
	})

	t.Run("visibility records have a file of their own", func(t *testing.T) {
		c, err := client.Dial(client.Options{HostPort: ts.Addr(), Namespace: "default"})
		require.NoError(t, err)
		defer c.Close()
		// No worker: starting it writes its visibility record all the same.
		run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: "visibility-file", TaskQueue: "nobody"}, "Nothing")
		require.NoError(t, err)
		defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()
		count := func(file string) int {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, file)+"?mode=ro")
			require.NoError(t, err)
			defer db.Close()
			var n int
			require.NoError(t, db.QueryRow("SELECT count(*) FROM executions_visibility WHERE workflow_id = 'visibility-file'").Scan(&n))
			return n
		}
		require.Eventually(t, func() bool { return count(TemporalVisibilityDBFile) == 1 }, 10*time.Second, 50*time.Millisecond)
		require.Zero(t, count(TemporalDBFile), "the execution store has no visibility records")
	})

	t.Run("the Web UI serves its pages and Temporal's API", func(t *testing.T) {
		h, err := NewUI(UIOptions{TemporalAddr: ts.Addr(), Namespace: "default"})
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		defer srv.Close()

		body, ctype := get(t, srv.URL+"/namespaces/default/workflows")
		require.Contains(t, ctype, "text/html")
		require.Contains(t, strings.ToLower(body), "<!doctype html>")
		body, _ = get(t, srv.URL+"/api/v1/namespaces/default")
		require.Contains(t, body, `"name": "default"`)
		body, _ = get(t, srv.URL+"/api/v1/settings")
		require.Contains(t, body, `"DefaultNamespace":"default"`)
	})

	t.Run("a taken port is an error", func(t *testing.T) {
		_, err := StartTemporal(t.Context(), TemporalOptions{Addr: ts.Addr(), Ephemeral: true})
		require.ErrorContains(t, err, ts.Addr())
	})

	require.NotContains(t, logs.String(), "Nexus", "the irrelevant Nexus notice is dropped")
}

// TestSQLiteFilesKeepTheLayoutTheyWereMadeIn: a new data directory gets
// the visibility store in a file of its own; one made before that keeps it
// inside Temporal's database, where its records are.
func TestSQLiteFilesKeepTheLayoutTheyWereMadeIn(t *testing.T) {
	fresh := t.TempDir()
	store, visibility, path, err := sqliteConfig(TemporalOptions{DataDir: fresh})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(fresh, TemporalDBFile), path)
	require.Equal(t, path, store.DatabaseName)
	require.Equal(t, filepath.Join(fresh, TemporalVisibilityDBFile), visibility.DatabaseName)
	require.FileExists(t, visibility.DatabaseName, "created with its schema")
	again, visibilityAgain, _, err := sqliteConfig(TemporalOptions{DataDir: fresh})
	require.NoError(t, err)
	require.Equal(t, store.DatabaseName, again.DatabaseName)
	require.Equal(t, visibility.DatabaseName, visibilityAgain.DatabaseName, "a restart keeps it apart")

	old := t.TempDir()
	_, err = sqliteFile(TemporalOptions{}, filepath.Join(old, TemporalDBFile)) // as made before
	require.NoError(t, err)
	store, visibility, _, err = sqliteConfig(TemporalOptions{DataDir: old})
	require.NoError(t, err)
	require.Equal(t, store, visibility, "the visibility store stays inside")
	require.NoFileExists(t, filepath.Join(old, TemporalVisibilityDBFile))

	ephemeral, visibility, path, err := sqliteConfig(TemporalOptions{Ephemeral: true})
	require.NoError(t, err)
	require.Empty(t, path)
	require.Equal(t, ephemeral, visibility, "one in-memory database")
}

func get(t *testing.T, url string) (body, contentType string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, data)
	return string(data), resp.Header.Get("Content-Type")
}

func TestTemporalLoggerLevelAndTags(t *testing.T) {
	var buf bytes.Buffer
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	l := newTemporalLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), level)
	l.Info("chatter")
	l.With(tag.NewStringTag("service", "history")).Warn("worth seeing", tag.NewInt("shard", 1))
	level.Set(slog.LevelError)
	l.SLog().Warn("quiet while stopping")
	out := buf.String()
	require.NotContains(t, out, "chatter")
	require.NotContains(t, out, "quiet while stopping")
	require.Contains(t, out, `msg="worth seeing" component=temporal-server service=history shard=1`)
}

func TestSplitAddr(t *testing.T) {
	host, port, err := splitAddr("127.0.0.1:7233")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host)
	require.Equal(t, 7233, port)
	for _, bad := range []string{"7233", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:http", "127.0.0.1:70000"} {
		_, _, err := splitAddr(bad)
		require.Error(t, err, bad)
	}
}

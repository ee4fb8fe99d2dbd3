package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
)

// withInProcess mounts a console that only hands the server's in-process
// access to the test.
func withInProcess(got *server.InProcess) func(*server.Options) {
	return func(o *server.Options) {
		o.Console = func(p server.InProcess) http.Handler {
			*got = p
			return http.NotFoundHandler()
		}
	}
}

// databaseIDs lists the databases through an in-process transport.
func databaseIDs(t *testing.T, rt http.RoundTripper, header http.Header) (int, []string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://in-process/v1/databases", nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Items []struct{ ID string } }
	_ = json.NewDecoder(resp.Body).Decode(&page)
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return resp.StatusCode, ids
}

func TestInProcessCallsActAsTheIdentityGiven(t *testing.T) {
	var p server.InProcess
	h := newServer(t, withInProcess(&p))
	accountB, keyB := newAccountWithKey(t, h, "Beta")
	defaultDB := createDatabase(t, h, "Default's")
	r := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Beta's"}, asKey(keyB))
	want(t, r, http.StatusCreated)
	betaDB := r.str("id")

	id, err := p.Identify(context.Background(), keyB)
	if err != nil || id.AccountID != accountB || id.Operator || id.APIKeyID == "" {
		t.Fatalf("Identify(key) = %+v, %v; want account %s with its key", id, err, accountB)
	}
	if id, err := p.Identify(context.Background(), testToken); err != nil || !id.Operator || id.AccountID != models.DefaultAccountID {
		t.Fatalf("Identify(operator token) = %+v, %v", id, err)
	}
	for _, bad := range []string{"", "hfk_nope", testToken + "x"} {
		if _, err := p.Identify(context.Background(), bad); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Identify(%q) = %v; want ErrNotFound", bad, err)
		}
	}

	status, ids := databaseIDs(t, p.Transport(id), nil)
	if status != http.StatusOK || !slices.Equal(ids, []string{betaDB}) {
		t.Fatalf("as Beta's key: %d %v; want only %s", status, ids, betaDB)
	}
	// The account's identity cannot be stretched by a header: it is ignored.
	status, ids = databaseIDs(t, p.Transport(id), http.Header{server.AccountHeader: {models.DefaultAccountID}})
	if status != http.StatusOK || !slices.Equal(ids, []string{betaDB}) {
		t.Fatalf("as Beta's key naming the default account: %d %v; want only %s", status, ids, betaDB)
	}
	status, ids = databaseIDs(t, p.Transport(server.Identity{AccountID: accountB, Operator: true}), nil)
	if status != http.StatusOK || !slices.Equal(ids, []string{betaDB}) {
		t.Fatalf("as the operator in Beta: %d %v", status, ids)
	}
	status, ids = databaseIDs(t, p.Transport(server.Identity{Operator: true}), nil)
	if status != http.StatusOK || !slices.Equal(ids, []string{defaultDB}) {
		t.Fatalf("as the operator: %d %v; want the default account's", status, ids)
	}
	if status, _ := databaseIDs(t, p.Transport(server.Identity{AccountID: "acc_missing", Operator: true}), nil); status != http.StatusNotFound {
		t.Fatalf("as the operator in a missing account: %d; want 404", status)
	}

	// From outside, nothing but a token authenticates.
	want(t, do(t, h, http.MethodGet, "/v1/databases", nil, withToken("")), http.StatusUnauthorized)
}

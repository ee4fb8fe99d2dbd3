package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// fuzzSeeds are malformed and edge-case bodies. $DB, $COL, $PRF, $SUB and
// $MSG stand for the ids of existing fixtures, so the fuzzer can reach the
// checks behind the decoder too.
func fuzzSeeds() []string {
	encode := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	return []string{
		"", " ", "\x00", "{", "}", "[", "[]", "null", "true", "0", "-1e999", `"x"`, "{}", "{}}", "{}]", "{} {}", "{},",
		`{"name":}`, `{"name":"x",}`, `{"name":"x"`, `{name:"x"}`, `{"name":"x","name":"y"}`,
		`{"name":"\ud800"}`, `{"name":"\u0000"}`, "{\"name\":\"\xff\xfe\"}", `{"name":"` + strings.Repeat("é", 256) + `"}`,
		`{"name":["x"]}`, `{"name":{"x":1}}`, `{"name":1e400}`, `{"bogus":null}`, `{"Name":"case"}`,
		`{"fields":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"email":"a@example.com","fields":{"a":1e999}}`,
		`{"email":"a@example.com","fields":{"":null,"x":{"y":[1,null,{"z":true}]}},"interests":["x",""]}`,
		`{"email":"\"quoted\"@example.com"}`, `{"email":"a@[127.0.0.1]"}`, `{"email":null}`,
		`{"collection_id":"$COL","fields":{"k":"v"}}`, `{"collection_id":"$PRF"}`, `{"collection_id":""}`,
		`{"profile_id":"$PRF","subprofile_id":"$SUB","tags":["t"],"links":[{"url":"https://example.com/","tags":["a"]}]}`,
		`{"profile_id":"$PRF","links":[null,{"url":null},{"url":"javascript:alert(1)"},{"url":"http://[::1"}]}`,
		`{"profile_id":"$PRF","subprofile_id":"$COL"}`, `{"profile_id":"$SUB"}`,
		`{"url":"https://93.184.216.34/h","events":["open"],"database_id":"$DB","collection_id":"$COL","format":"form"}`,
		`{"url":"https://93.184.216.34/h","events":["open","open","x"],"database_id":null,"collection_id":null}`,
		`{"url":"http://169.254.169.254/latest","events":["click"],"status":"active"}`,
		`{"url":"http://[fe80::1%25eth0]/","events":["open"]}`, `{"url":"http://0x7f000001/","events":["open"]}`,
		`{"url":"https://93.184.216.34/h","events":["open"],"database_id":"$COL","collection_id":"$DB"}`,
		`{"url":"https://93.184.216.34/h","events":["open"],"database_id":1}`,
		`{"type":"open","message_id":"$MSG","ip":"fe80::1%` + strings.Repeat("z", 100) + `","useragent":"ua","url":"https://example.com/"}`,
		`{"type":"profile.update","profile_id":"$PRF","subprofile_id":"$SUB","timestamp":"2026-01-02T03:04:05Z","data":{"a":1}}`,
		`{"type":"bounce","message_id":"$MSG","timestamp":"not a time"}`, `{"id":"","type":"click"}`,
		`{"id":"dup-1","type":"delivery","message_id":"$MSG","timestamp":"9999-12-31T23:59:59+14:00"}`,
		`{"type":"open","message_id":"$MSG","timestamp":"0001-01-01T00:00:00Z","referer":"` + strings.Repeat("r", 2048) + `"}`,
		`{"events":[{"id":"dup-2","type":"open","message_id":"$MSG"},{"id":"dup-2","type":"open","message_id":"$MSG"},null,3,[],"x",{"type":"open"}]}`,
		`{"events":[{"type":"profile.update","subprofile_id":"$SUB","data":` + strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40) + `}]}`,
		`{"events":null}`, `{"events":[{}],"events":[]}`, `{"events":[` + strings.Repeat(`{"type":"click","message_id":"$MSG"},`, 1000) + `{}]}`,
		// Values that pass the field checks but grow when stored: JSON
		// escaping of '<' and percent-escaping of URL paths.
		encode(map[string]any{"email": "big@example.com", "interests": repeated(100, strings.Repeat("<", 255))}),
		encode(map[string]any{"email": "big@example.com", "fields": map[string]any{"big": strings.Repeat(">", 20000)}}),
		encode(map[string]any{"collection_id": "$COL", "fields": map[string]any{"big": strings.Repeat("x", 70000)}}),
		encode(map[string]any{"profile_id": "$PRF", "tags": repeated(100, strings.Repeat("<", 255))}),
		encode(map[string]any{"profile_id": "$PRF", "links": []map[string]any{{"url": "https://example.com/", "tags": repeated(100, strings.Repeat("&", 255))}}}),
		encode(map[string]any{"url": "https://93.184.216.34/" + strings.Repeat(" ", 2000), "events": []string{"open"}}),
		encode(map[string]any{"url": "https://93.184.216.34/" + strings.Repeat("é", 1000), "events": []string{"open"}}),
		encode(map[string]any{"url": "https://93.184.216.34/" + strings.Repeat("x", 2027), "events": []string{"open"}}),
	}
}

// FuzzCreateEndpoints posts each body to every create endpoint of the
// audience (events and webhooks have targets of their own): none may
// answer 5xx (a panic is recovered as 500), and every refusal must be
// problem details. Plain `go test` runs the seed corpus.
func FuzzCreateEndpoints(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	h := newServer(f)
	a := createAudience(f, h)
	msg := mustCreate(f, h, "/v1/messages", map[string]any{"profile_id": a.Profile, "links": []map[string]any{{"url": "https://example.com/"}}})
	ids := fixtureIDs(a, msg)
	endpoints := []string{
		"/v1/databases",
		"/v1/databases/" + a.DB + "/collections",
		"/v1/databases/" + a.DB + "/profiles",
		"/v1/profiles/" + a.Profile + "/subprofiles",
		"/v1/messages",
	}
	f.Fuzz(func(t *testing.T, body string) {
		body = ids.Replace(body)
		for _, path := range endpoints {
			wantHandled(t, do(t, h, http.MethodPost, path, body), "POST "+path, body, http.StatusCreated)
		}
	})
}

// fixtureIDs replaces the placeholders of fuzzSeeds with the fixtures' ids.
func fixtureIDs(a audience, msg string) *strings.Replacer {
	return strings.NewReplacer("$DB", a.DB, "$COL", a.Collection, "$PRF", a.Profile, "$SUB", a.Subprofile, "$MSG", msg)
}

// wantHandled is what every fuzzed request must get: no 5xx (a panic is
// recovered as 500), a refusal as problem details, anything else one of
// the success statuses.
func wantHandled(t *testing.T, r response, request, input string, success ...int) {
	t.Helper()
	switch {
	case r.Code >= 500:
		t.Fatalf("%s answered %d: %s\ninput: %.300q", request, r.Code, r.Raw, input)
	case r.Code >= 400:
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s answered %d as %q: %s\ninput: %.300q", request, r.Code, ct, r.Raw, input)
		}
		var p struct {
			Status int    `json:"status"`
			Title  string `json:"title"`
		}
		if err := json.Unmarshal(r.Raw, &p); err != nil || p.Status != r.Code || p.Title == "" {
			t.Errorf("%s answered %d with a malformed problem: %s\ninput: %.300q", request, r.Code, r.Raw, input)
		}
	case !slices.Contains(success, r.Code):
		t.Errorf("%s answered %d, want one of %v: %s\ninput: %.300q", request, r.Code, success, r.Raw, input)
	}
}

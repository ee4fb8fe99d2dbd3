package activities

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/hookflow/hookflow/models"
)

func TestRenderFormNestsMapsAndLists(t *testing.T) {
	payload := models.Fields{
		"type":    "open",
		"time":    1767225600.0,
		"vip":     true,
		"missing": nil,
		"tags":    []any{"a", "b"},
		"profile": map[string]any{"id": "prf_1", "fields": map[string]any{"name": "Ann", "age": 41.5, "nick": nil}},
		"orders":  []any{map[string]any{"sku": "X"}, map[string]any{"sku": "Y"}},
	}
	body := renderForm(payload)
	got, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"type":                  {"open"},
		"time":                  {"1767225600"},
		"vip":                   {"true"},
		"tags[]":                {"a", "b"},
		"profile[id]":           {"prf_1"},
		"profile[fields][name]": {"Ann"},
		"profile[fields][age]":  {"41.5"},
		"orders[0][sku]":        {"X"},
		"orders[1][sku]":        {"Y"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("form decodes to\n%v\nwant\n%v", got, want)
	}
	if again := renderForm(payload); string(again) != string(body) {
		t.Errorf("rendering is not deterministic:\n%s\n%s", body, again)
	}
}

func TestRenderFormOrdersKeys(t *testing.T) {
	got := string(renderForm(models.Fields{"b": "2", "a": map[string]any{"z": "1", "y": "&"}}))
	if want := "a%5By%5D=%26&a%5Bz%5D=1&b=2"; got != want {
		t.Errorf("form = %s, want %s", got, want)
	}
}

func TestRenderJSONKeepsURLsReadable(t *testing.T) {
	body, contentType, err := renderBody(models.Fields{"url": "https://x.example/?a=1&b=<2>", "id": "e"}, models.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"e","url":"https://x.example/?a=1&b=<2>"}`; string(body) != want || contentType != "application/json" {
		t.Errorf("body %s (%s), want %s", body, contentType, want)
	}
}

func BenchmarkRenderForm(b *testing.B) {
	payload := models.Fields{
		"id": "evt_1", "type": "click", "time": 1767225600.0, "tags": []any{"a", "b", "c"},
		"profile": map[string]any{"id": "prf_1", "fields": map[string]any{"name": "Ann", "city": "Amsterdam", "age": 41.0}},
	}
	for b.Loop() {
		renderForm(payload)
	}
}

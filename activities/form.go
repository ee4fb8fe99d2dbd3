package activities

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hookflow/hookflow/models"
)

// renderForm encodes a payload as application/x-www-form-urlencoded the way
// Copernica (and PHP's $_POST) do: nested maps as k[key]=v, lists as
// k[]=v, recursively, e.g. profile[fields][name]=Ann&tags[]=a. Booleans and
// numbers are written as their JSON text and nulls are left out. Keys are
// sorted so the same payload always gives the same bytes (and signature).
func renderForm(payload models.Fields) []byte {
	var b strings.Builder
	appendFormMap(&b, "", payload)
	return []byte(b.String())
}

func appendFormMap(b *strings.Builder, prefix string, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "[" + k + "]"
		}
		appendFormValue(b, name, m[k])
	}
}

func appendFormValue(b *strings.Builder, name string, v any) {
	switch v := v.(type) {
	case nil:
	case models.Fields:
		appendFormMap(b, name, v)
	case map[string]any:
		appendFormMap(b, name, v)
	case []any:
		for i, elem := range v {
			appendFormValue(b, listElementName(name, i, elem), elem)
		}
	case []string:
		for _, elem := range v {
			appendFormPair(b, name+"[]", elem)
		}
	case string:
		appendFormPair(b, name, v)
	default:
		text, err := json.Marshal(v)
		if err != nil {
			return // not a JSON value; the JSON format could not send it either
		}
		appendFormPair(b, name, string(text))
	}
}

// listElementName keys scalar list elements k[] and nested maps or lists
// k[i]: with k[] a form decoder could not tell where one element ends.
func listElementName(name string, i int, elem any) string {
	switch elem.(type) {
	case map[string]any, models.Fields, []any, []string:
		return name + "[" + strconv.Itoa(i) + "]"
	}
	return name + "[]"
}

func appendFormPair(b *strings.Builder, name, value string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(name))
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(value))
}

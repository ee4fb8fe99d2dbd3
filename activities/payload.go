package activities

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hookflow/hookflow/models"
)

// renderBody encodes a payload in the webhook's format and returns the
// body with its Content-Type.
func renderBody(payload models.Fields, format models.PayloadFormat) ([]byte, string, error) {
	switch format {
	case models.FormatForm:
		return renderForm(payload), "application/x-www-form-urlencoded", nil
	case models.FormatJSON, "":
		body, err := renderJSON(payload)
		return body, "application/json", err
	}
	return nil, "", fmt.Errorf("unknown payload format %q", format)
}

// renderJSON is encoding/json (map keys sorted) without HTML escaping, so
// URLs keep their & and receivers see the text they expect.
func renderJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Package apiclient calls hookflow's management API as a customer's program
// would: JSON over HTTP with a bearer token. The dev demo and the benchmark
// seed what they need through it, so they go through the same checks as
// everyone else.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client is one API base URL and the token to present there.
type Client struct {
	BaseURL, Token string
	// HTTP is the client requests go through; nil is http.DefaultClient.
	HTTP *http.Client
}

// Call makes a request with body (if any) as JSON and decodes a 2xx answer
// into out (if any); any other answer is an error quoting it.
func (c Client) Call(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Each calls fn for every item of a paginated list.
func (c Client) Each(ctx context.Context, path string, fn func(json.RawMessage) error) error {
	cursor := ""
	for {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := c.Call(ctx, "GET", path+sep+"limit=200&cursor="+url.QueryEscape(cursor), nil, &page); err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

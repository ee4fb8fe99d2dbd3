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

// Error is an answer other than 2xx, with its problem details (RFC 9457)
// when the API sent them.
type Error struct {
	Method, Path string
	StatusCode   int
	Status       string
	Problem      Problem
	Body         string
}

// Problem is the API's problem details: what went wrong, and which
// fields of the request were wrong and why.
type Problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Path, e.Status, e.Body)
}

// Call makes a request with body (if any) as JSON and decodes a 2xx answer
// into out (if any); any other answer is an *Error quoting it.
func (c Client) Call(ctx context.Context, method, path string, body, out any) error {
	data, _, err := c.Fetch(ctx, method, path, body)
	if err != nil {
		return err
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Fetch makes a request with body (if any) as JSON and returns a 2xx
// answer's body and headers as they are; any other answer is an *Error.
func (c Client) Fetch(ctx context.Context, method, path string, body any) ([]byte, http.Header, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, r)
	if err != nil {
		return nil, nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Method: method, Path: path, StatusCode: resp.StatusCode, Status: resp.Status, Body: strings.TrimSpace(string(data))}
		_ = json.Unmarshal(data, &e.Problem) // not every answer is a problem; Body has it as it came
		return nil, nil, e
	}
	return data, resp.Header, nil
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

package activities

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// response is what one request to a receiver came back with.
type response struct {
	StatusCode int // 0 when no answer came
	RetryAfter string
	// AsksToDisable: the receiver answered 410 Gone, or any answer with
	// Hookflow-Delivery: disable.
	AsksToDisable bool
	Excerpt       string
	Latency       time.Duration
	// Err is why no final answer came: a network error, a timeout, a
	// refused address or redirect (then StatusCode is the refused 3xx).
	Err error
}

// DeliveryControlHeader is the response header by which a receiver may ask
// hookflow to disable its webhook at once ("disable"), as 410 Gone does.
const DeliveryControlHeader = "Hookflow-Delivery"

// send makes one request and reads at most MaxResponseBytes of the answer,
// keeping an excerpt; the rest is discarded and the body closed.
func (a *Activities) send(req *http.Request) response {
	start := time.Now()
	resp, err := a.HTTP.Do(req)
	r := response{Err: err}
	if resp != nil {
		r.StatusCode = resp.StatusCode
		r.RetryAfter = resp.Header.Get("Retry-After")
		r.AsksToDisable = resp.StatusCode == http.StatusGone || strings.EqualFold(strings.TrimSpace(resp.Header.Get(DeliveryControlHeader)), "disable")
		r.Excerpt = a.readExcerpt(resp.Body)
		resp.Body.Close()
	}
	r.Latency = time.Since(start)
	return r
}

// readExcerpt reads a response body up to the cap and returns its start.
// A body cut short by an error still counts: the status decides.
func (a *Activities) readExcerpt(body io.Reader) string {
	limit := a.MaxResponseBytes
	if limit <= 0 {
		limit = defaultMaxResponseBytes
	}
	body = io.LimitReader(body, limit)
	// One byte more than kept, so the cut can see whether it splits a character.
	head := make([]byte, excerptBytes+1)
	n, _ := io.ReadFull(body, head)
	_, _ = io.Copy(io.Discard, body)
	return models.FitText(string(head[:n]), excerptBytes)
}

// summary is the response in a few words, for errors and logs.
func (r response) summary() string {
	if r.Err != nil {
		return describeError(r.Err)
	}
	return "HTTP " + strconv.Itoa(r.StatusCode)
}

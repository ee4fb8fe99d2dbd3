package netpolicy

// URLError is returned when a callback URL is refused. Reason is a human
// readable sentence fragment meant to be shown to the customer next to the
// offending field, e.g. "must not contain credentials".
type URLError struct {
	Reason string
	// Err is the underlying cause, if any (a parse or DNS error). It lets
	// callers tell a transient lookup failure (errors.Is context.DeadlineExceeded,
	// *net.DNSError.IsTemporary) from a policy refusal. May be nil.
	Err error
}

func (e *URLError) Error() string { return e.Reason }

func (e *URLError) Unwrap() error { return e.Err }

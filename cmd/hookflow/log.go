package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hookflow/hookflow/config"
)

// newLogger is a command's logger: one JSON object a line on w, or
// key=value text for humans, with every secret masked wherever it shows.
//
// Every part of hookflow names the ids it logs alike: account_id, event_id,
// delivery_id, webhook_id, message_id; an error is "error".
func newLogger(w io.Writer, format string, secrets ...string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{ReplaceAttr: readableDuration}
	var h slog.Handler
	switch format {
	case config.LogFormatJSON, "":
		h = slog.NewJSONHandler(w, opts)
	case config.LogFormatText:
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("HOOKFLOW_LOG_FORMAT must be %s or %s, not %q", config.LogFormatJSON, config.LogFormatText, format)
	}
	return withSecrets(slog.New(h), secrets...), nil
}

// readableDuration writes durations as "1m30s", not as JSON's nanoseconds.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

// withSecrets masks secrets, such as a token read after the logger was
// made, in everything l logs.
func withSecrets(l *slog.Logger, secrets ...string) *slog.Logger {
	var kept []string
	for _, s := range secrets {
		if s != "" {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return l
	}
	return slog.New(redacting{next: l.Handler(), secrets: kept})
}

// redacted replaces a secret in the logs.
const redacted = "[redacted]"

// redacting masks secrets in the message and attributes of every record,
// errors and other values included, before the next handler writes it.
type redacting struct {
	next    slog.Handler
	secrets []string
}

func (h redacting) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h redacting) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redacting) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.attr(a)
	}
	return redacting{next: h.next.WithAttrs(masked), secrets: h.secrets}
}

func (h redacting) WithGroup(name string) slog.Handler {
	return redacting{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h redacting) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.mask(v.String()))
	case slog.KindGroup:
		group := v.Group()
		masked := make([]any, len(group))
		for i, g := range group {
			masked[i] = h.attr(g)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); h.mask(s) != s {
			return slog.String(a.Key, h.mask(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h redacting) mask(s string) string {
	for _, secret := range h.secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

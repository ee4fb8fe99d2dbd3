package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// temporalLogger adapts the server's logger interface to slog, dropping
// records below its level.
type temporalLogger struct {
	log *slog.Logger
}

// ignoredMessages are warnings that say nothing to a developer: hookflow
// uses no Nexus endpoints, so the frontend needs no HTTP port.
var ignoredMessages = map[string]bool{
	"HTTP API port has not been set. Nexus HTTP endpoints will not be available. To enable Nexus, follow these instructions: https://github.com/temporalio/temporal/blob/main/docs/architecture/nexus.md#enabling-nexus.": true,
}

var (
	_ log.Logger      = temporalLogger{}
	_ log.WithLogger  = temporalLogger{}
	_ log.SLogWrapper = temporalLogger{}
)

func newTemporalLogger(base *slog.Logger, level *slog.LevelVar) temporalLogger {
	return temporalLogger{log: slog.New(levelHandler{level: level, Handler: base.Handler()}).With("component", "temporal-server")}
}

func (l temporalLogger) Debug(msg string, tags ...tag.Tag) { l.emit(slog.LevelDebug, msg, tags) }
func (l temporalLogger) Info(msg string, tags ...tag.Tag)  { l.emit(slog.LevelInfo, msg, tags) }
func (l temporalLogger) Warn(msg string, tags ...tag.Tag)  { l.emit(slog.LevelWarn, msg, tags) }
func (l temporalLogger) Error(msg string, tags ...tag.Tag) { l.emit(slog.LevelError, msg, tags) }

// DPanic and Fatal are logged as errors: a dev server keeps going, as the
// Temporal CLI's does. Panic keeps its contract.
func (l temporalLogger) DPanic(msg string, tags ...tag.Tag) { l.emit(slog.LevelError, msg, tags) }
func (l temporalLogger) Fatal(msg string, tags ...tag.Tag)  { l.emit(slog.LevelError, msg, tags) }
func (l temporalLogger) Panic(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, msg, tags)
	panic(msg)
}

// With keeps tags for every later record.
func (l temporalLogger) With(tags ...tag.Tag) log.Logger {
	return temporalLogger{log: l.log.With(attrs(tags)...)}
}

// SLog lets server components that log through slog share the level.
func (l temporalLogger) SLog() *slog.Logger { return l.log }

func (l temporalLogger) emit(level slog.Level, msg string, tags []tag.Tag) {
	if !l.log.Enabled(context.Background(), level) || ignoredMessages[msg] {
		return
	}
	l.log.Log(context.Background(), level, msg, attrs(tags)...)
}

func attrs(tags []tag.Tag) []any {
	out := make([]any, len(tags))
	for i, t := range tags {
		out[i] = slog.Any(t.Key(), loggable(t.Value()))
	}
	return out
}

// loggable is a tag's value as a JSON log shows it well: errors and
// enums by their text, not as the structs or numbers they are.
func loggable(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	}
	return v
}

// levelHandler raises the minimum level of the handler it wraps.
type levelHandler struct {
	level *slog.LevelVar
	slog.Handler
}

func (h levelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.level.Level() && h.Handler.Enabled(ctx, level)
}

func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{level: h.level, Handler: h.Handler.WithAttrs(as)}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{level: h.level, Handler: h.Handler.WithGroup(name)}
}

// quietSDKLogger silences the SDK client used only to wait for readiness.
type quietSDKLogger struct{}

func (quietSDKLogger) Debug(string, ...any) {}
func (quietSDKLogger) Info(string, ...any)  {}
func (quietSDKLogger) Warn(string, ...any)  {}
func (quietSDKLogger) Error(string, ...any) {}

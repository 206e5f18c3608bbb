package tunnel

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

const redacted = "[authtoken]"

// newLogger is the logger handed to ngrok-go. It is never nil, because
// ngrok-go falls back to slog.Default, which writes to the terminal the TUI
// draws on (that is where its eMudhra CA warning would otherwise land).
// ngrok-go redacts the token in the messages it knows about; the service's
// own auth errors quote it, so every record is scrubbed once more here.
func newLogger(base *slog.Logger, secret string) *slog.Logger {
	if base == nil {
		return slog.New(slog.DiscardHandler)
	}
	h := base.Handler()
	if secret != "" {
		h = redactHandler{next: h, secret: secret}
	}
	return slog.New(h).With("component", "ngrok")
}

type redactHandler struct {
	next   slog.Handler
	secret string
}

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.next.Enabled(ctx, l)
}

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.scrub(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = r.attr(a)
	}
	return redactHandler{next: r.next.WithAttrs(clean), secret: r.secret}
}

func (r redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{next: r.next.WithGroup(name), secret: r.secret}
}

func (r redactHandler) scrub(s string) string {
	return strings.ReplaceAll(s, r.secret, redacted)
}

func (r redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		v = slog.StringValue(r.scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = r.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		// Text handlers print with fmt and JSON handlers marshal, and a
		// type can hide a field from one but not the other, so check both.
		text := fmt.Sprintf("%+v", v.Any())
		js, _ := json.Marshal(v.Any())
		if strings.Contains(text, r.secret) || strings.Contains(string(js), r.secret) {
			v = slog.StringValue(r.scrub(text))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

package detail

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/tui/styles"
)

// The render functions turn a record into the text of one tab. They are
// pure, so tests pin them without a terminal. Everything taken from the
// record passes a sanitiser first.

func renderPayload(st *styles.Styles, r *inspect.Record, body string, kind payload.Kind) string {
	var b strings.Builder
	if !r.BodyKept() {
		size := r.SizeLabel()
		if r.Size < 0 {
			size = "no length announced"
		}
		fmt.Fprintf(&b, "%s\n", st.Error.Render(fmt.Sprintf("Refused with %d: hookscope did not keep the body (%s).",
			r.Refused, size)))
		if r.Signature.Detail != "" {
			b.WriteString(st.Muted.Render(payload.SanitizeLine(r.Signature.Detail)) + "\n")
		}
		return b.String()
	}
	meta := kind.String() + " · " + payload.HumanSize(r.Size)
	if kind == payload.Binary {
		meta += " · hex dump"
	}
	if ct := headerValue(r.Headers, "Content-Type"); ct != "" {
		meta += " · Content-Type: " + payload.SanitizeLine(ct)
	}
	b.WriteString(st.Muted.Render(meta) + "\n\n")
	if body == "" {
		b.WriteString(st.Muted.Render("(empty body)"))
		return b.String()
	}
	b.WriteString(body)
	return b.String()
}

func renderHeaders(st *styles.Styles, r *inspect.Record, now time.Time) string {
	var b strings.Builder
	line := payload.SanitizeLine(r.Method) + " " + payload.SanitizeLine(r.URI())
	if r.Proto != "" {
		line += " " + payload.SanitizeLine(r.Proto)
	}
	b.WriteString(st.Strong.Render(line) + "\n")
	field := func(name, val string) {
		if val != "" {
			b.WriteString(st.Muted.Render(fmt.Sprintf("%-9s", name)) + val + "\n")
		}
	}
	field("Received", r.ReceivedAt.In(now.Location()).Format("2006-01-02 15:04:05.000 MST")+
		" ("+ago(now.Sub(r.ReceivedAt))+")")
	field("Host", payload.SanitizeLine(r.Host))
	field("From", payload.SanitizeLine(r.RemoteAddr))
	field("Size", payload.HumanSize(r.Size)+" ("+strconv.FormatInt(r.Size, 10)+" bytes)")
	field("ID", r.ID)
	fmt.Fprintf(&b, "\n%s\n", st.Strong.Render(fmt.Sprintf("Headers (%d, as received)", len(r.Headers))))
	if len(r.Headers) == 0 {
		b.WriteString(st.Muted.Render("(none)") + "\n")
	}
	for _, h := range r.Headers {
		b.WriteString(st.HeaderName.Render(payload.SanitizeLine(h.Name)+":") + " " + payload.SanitizeLine(h.Value) + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func renderSignature(st *styles.Styles, r *inspect.Record, secretMask string) string {
	var b strings.Builder
	v := r.Signature
	head := v.Status.Label()
	b.WriteString(st.Verdict(v.Status).Render(head))
	if v.Scheme != "" {
		b.WriteString(st.Muted.Render("   scheme " + payload.SanitizeLine(v.Scheme)))
	}
	b.WriteString("\n\n")
	if exp, got, ok := mismatch(v.Detail); ok {
		b.WriteString(st.Muted.Render("expected  ") + exp + st.Muted.Render("   HMAC-SHA256 of the raw body with the first secret") + "\n")
		b.WriteString(st.Muted.Render("received  ") + got + st.Muted.Render("   from "+signature.VideoNestHeader) + "\n")
		if rest := strings.TrimSpace(v.Detail[strings.LastIndex(v.Detail, "…")+len("…"):]); rest != "" {
			b.WriteString(st.Muted.Render(payload.SanitizeLine(rest)) + "\n")
		}
	} else if v.Detail != "" {
		b.WriteString(payload.SanitizeLine(v.Detail) + "\n")
	}
	mask := secretMask
	if mask == "" {
		mask = "none"
	}
	b.WriteString(st.Muted.Render("secret    ") + payload.SanitizeLine(mask))
	if v.Status == signature.Valid && v.SecretIndex >= 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("   matched secret #%d", v.SecretIndex+1)))
	}
	b.WriteString("\n")
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, signature.VideoNestHeader) {
			b.WriteString(st.Muted.Render("header    ") + payload.SanitizeLine(h.Name) + ": " + payload.SanitizeLine(h.Value) + "\n")
		}
	}
	b.WriteString("\n")
	switch v.Status {
	case signature.Valid:
		b.WriteString(st.OK.Render("The body is exactly what VideoNest signed."))
	case signature.Invalid:
		b.WriteString(st.Warn.Render("The body or the secret differs from what VideoNest signed: check the secret, and that nothing re-encoded the body on the way."))
	case signature.Missing:
		b.WriteString(st.Warn.Render("No " + signature.VideoNestHeader + " header: this did not come from VideoNest, or signing is off for this endpoint."))
	default:
		b.WriteString(st.Muted.Render("Not checked: start with --secret or set VIDEONEST_WEBHOOK_SECRET to judge signatures."))
	}
	b.WriteString("\n")
	if r.Duplicate {
		b.WriteString("\n" + st.Duplicate.Render("↻ same body as an earlier request: a re-sent delivery, or a copy (the mark compares bodies only).") + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// mismatch pulls the two prefixes out of the scheme's detail
// ("mismatch: expected 1a2b3c4d…, received 9f8e7d6c…").
func mismatch(d string) (exp, got string, ok bool) {
	rest, found := strings.CutPrefix(d, "mismatch: expected ")
	if !found {
		return "", "", false
	}
	exp, rest, found = strings.Cut(rest, ", received ")
	if !found {
		return "", "", false
	}
	got, _, _ = strings.Cut(rest, " ")
	return payload.SanitizeLine(exp), payload.SanitizeLine(got), true
}

// maxRespLines bounds each answer shown; the Attempts tab is for seeing
// what came back, not for reading a whole HTML error page.
const maxRespLines = 30

// renderOwed says where each delivery the outbox owes stands: "pending,
// next try in 40s", delivered, or given up.
func renderOwed(st *styles.Styles, owed []inspect.Delivery, now time.Time) string {
	if len(owed) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(st.Strong.Render("Outbox") + "\n")
	for i := range owed {
		d := &owed[i]
		line := inspect.DeliverySummary(d, now)
		style := st.Muted
		switch d.State {
		case inspect.Pending:
			style = st.Warn
		case inspect.Undelivered:
			style = st.NoAnswer
		}
		b.WriteString("  " + d.Sink + " → " + payload.SanitizeLine(d.Target) + "  " + style.Render(payload.SanitizeLine(line)) + "\n")
	}
	return b.String() + "\n"
}

func renderAttempts(st *styles.Styles, atts []inspect.Attempt, none string) string {
	if len(atts) == 0 {
		return st.Muted.Render(none)
	}
	var b strings.Builder
	for i := len(atts) - 1; i >= 0; i-- {
		a := atts[i]
		kind := "live  "
		switch {
		case a.Replay && a.Edited:
			kind = "replay (edited)"
		case a.Replay:
			kind = "replay"
		case a.DeliveryID != 0:
			kind = "outbox"
		}
		fmt.Fprintf(&b, "%s %s  %s  → %s\n", st.Strong.Render("#"+strconv.Itoa(i+1)), kind,
			a.At.Format("15:04:05.000"), payload.SanitizeLine(a.URL))
		if a.Status == 0 {
			msg := "no answer"
			if a.Error != "" {
				msg += ": " + payload.SanitizeLine(a.Error)
			}
			b.WriteString("    " + st.NoAnswer.Render("ERR "+msg) + st.Muted.Render(" after "+a.Latency.Round(time.Millisecond).String()) + "\n")
		} else {
			b.WriteString("    " + st.HTTPStatus(a.Status).Render(strconv.Itoa(a.Status)) + st.Muted.Render(" in "+latency(a.Latency)) + "\n")
		}
		if a.TimedOutForProvider {
			b.WriteString("    " + st.Warn.Render("answered after VideoNest's 10 s limit: VideoNest would have retried") + "\n")
		}
		for _, h := range a.RespHeaders {
			b.WriteString("    " + st.HeaderName.Render(payload.SanitizeLine(h.Name)+":") + " " + payload.SanitizeLine(h.Value) + "\n")
		}
		if len(a.RespBody) > 0 {
			lines := strings.Split(payload.Pretty(a.RespBody), "\n")
			more := len(lines) - maxRespLines
			if more > 0 {
				lines = lines[:maxRespLines]
			}
			for _, l := range lines {
				b.WriteString("    " + l + "\n")
			}
			if more > 0 {
				b.WriteString("    " + st.Muted.Render(fmt.Sprintf("… %d more lines", more)) + "\n")
			}
		}
		if i > 0 {
			b.WriteString("\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func latency(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d ago"
}

func headerValue(hs []inspect.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

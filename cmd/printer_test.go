package cmd

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
)

// The plain lines are built by appending; fmt, as they were first written,
// is the reference for their exact shape.
func TestPlainLinesMatchTheirFormat(t *testing.T) {
	at := time.Date(2026, 3, 30, 10, 15, 0, 6e6, time.Local)
	recs := []*inspect.Record{
		{ID: "0aaaaaaaa001", ReceivedAt: at, Method: "POST", Path: "/webhooks", Event: "video.processed", Size: 1024,
			Signature: signature.Verdict{Status: signature.Valid}},
		{ID: "0aaaaaaaa002", ReceivedAt: at, Method: "OPTIONS", Path: "/x", Query: "a=1", Size: 0,
			Signature: signature.Verdict{Status: signature.Missing}},
		{ID: "0aaaaaaaa003", ReceivedAt: at, Method: "PÖST", Path: "/\x1b[2J", Event: "evil\x1b]0;x\a", Size: 20 << 20, Refused: 413,
			Signature: signature.Verdict{Status: signature.Unchecked}},
	}
	atts := []*inspect.Attempt{
		{RequestID: "0aaaaaaaa001", At: at, URL: "http://127.0.0.1:3000/webhooks", Status: 200, Latency: 1500 * time.Microsecond},
		{RequestID: "0aaaaaaaa002", At: at, URL: "http://127.0.0.1:3000/x", Error: "connection refused\x1b[31m", Latency: 300 * time.Microsecond},
		{RequestID: "0aaaaaaaa003", At: at, URL: "http://127.0.0.1:3000/", Status: 204, Latency: 11 * time.Second, TimedOutForProvider: true},
	}
	var want strings.Builder
	var evs []inspect.Event
	for i, r := range recs {
		ev := r.Event
		if ev == "" {
			ev = "-"
		}
		line := fmt.Sprintf("%s  %s  %-6s %s  %s  %s  %s", r.ReceivedAt.Local().Format("15:04:05.000"), r.ID,
			payload.SanitizeLine(r.Method), payload.SanitizeLine(r.URI()), payload.SanitizeLine(ev),
			r.Signature.Status.Label(), r.SizeLabel())
		if r.Refused != 0 {
			line += fmt.Sprintf("  refused %d", r.Refused)
		}
		fmt.Fprintln(&want, line)
		a := atts[i]
		res := fmt.Sprint(a.Status)
		if a.Error != "" {
			res = "error: " + a.Error
		}
		line = fmt.Sprintf("%s  %s  → %s  %s  %s", a.At.Local().Format("15:04:05.000"), a.RequestID,
			payload.SanitizeLine(a.URL), payload.SanitizeLine(res), inspect.FormatLatency(a.Latency))
		if a.TimedOutForProvider {
			line += "  (VideoNest would have timed out after 10s)"
		}
		fmt.Fprintln(&want, line)
		evs = append(evs, inspect.Event{Type: inspect.Captured, Record: r}, inspect.Event{Type: inspect.Forwarded, Record: r, Attempt: a})
	}
	var out bytes.Buffer
	p := newPrinter(&IOStreams{Out: &out}, false)
	p.events(evs)
	if out.String() != want.String() {
		t.Errorf("plain lines:\n%s\nwant:\n%s", out.String(), want.String())
	}
	if strings.ContainsRune(out.String(), 0x1b) {
		t.Errorf("an escape sequence reached the terminal: %q", out.String())
	}
}

// TestReadyLineAndDuplicateMark: --path shows in the ready line without a
// tunnel, and a duplicate is marked in both live outputs.
func TestReadyLineAndDuplicateMark(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(&IOStreams{Out: &out, ErrOut: &out}, false)
	p.ready(readyInfo{LocalURL: "http://127.0.0.1:7717", Path: "/webhooks", DB: "x.db"})
	if !strings.Contains(out.String(), "Send webhooks to: http://127.0.0.1:7717/webhooks\n") {
		t.Errorf("ready without a tunnel:\n%s", out.String())
	}
	dup := &inspect.Record{ID: "0aaaaaaaa009", Method: "POST", Path: "/", Duplicate: true,
		Signature: signature.Verdict{Status: signature.Missing}}
	out.Reset()
	p.events([]inspect.Event{{Type: inspect.Captured, Record: dup}})
	if !strings.Contains(out.String(), "↻ same body as an earlier request") || strings.Contains(out.String(), "VideoNest") {
		t.Errorf("--no-tui duplicate: %q", out.String())
	}
	out.Reset()
	pj := newPrinter(&IOStreams{Out: &out, ErrOut: &out}, true)
	pj.ready(readyInfo{LocalURL: "http://127.0.0.1:7717", Path: "/webhooks"})
	pj.events([]inspect.Event{{Type: inspect.Captured, Record: dup}})
	if !strings.Contains(out.String(), `"path":"/webhooks"`) || !strings.Contains(out.String(), `"duplicate":true`) {
		t.Errorf("--json:\n%s", out.String())
	}
}

package tui

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/edit"
	"github.com/hookscope/hookscope/inspect/fixture"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/tui/components/footer"
	"github.com/hookscope/hookscope/tui/components/header"
	"github.com/hookscope/hookscope/tui/components/list"
)

// Every function here that touches the store, the handler, a file, the
// terminal or a clock-driven wait returns a tea.Cmd: Bubble Tea runs it
// on its own goroutine and hands the result back to Update as a message.

// batchGap is the least time between two batches of arrivals. At 1 000
// webhooks/s the UI then redraws 20 times a second for 50 requests each,
// instead of a thousand times for one.
const batchGap = 50 * time.Millisecond

func waitEvents(ctx context.Context, ev Events, last time.Time) tea.Cmd {
	if ev == nil {
		return nil
	}
	return func() tea.Msg {
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ev.Ready():
		}
		if wait := batchGap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		return arrivalsMsg{events: ev.Drain(), dropped: ev.Dropped(), at: time.Now()}
	}
}

func waitTunnel(ctx context.Context, ch <-chan inspect.TunnelEvent) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			return header.TunnelMsg(ev)
		}
	}
}

// healthEvery spaces probes of the forward target; probeTimeout keeps a
// hung handler from looking "up".
const (
	healthEvery  = 3 * time.Second
	probeTimeout = 2 * time.Second
)

func probe(ctx context.Context, h func(context.Context) error) tea.Cmd {
	if h == nil {
		return nil
	}
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		return header.HealthMsg{Err: h(c)}
	}
}

const noTarget = "nothing to replay to: hookscope is not forwarding (start it with --forward-to URL)"

// replayable returns the selected row when r or e can act on it (ok);
// when they cannot, the command puts the reason on the status line.
func (m *Model) replayable(what string) (row list.Row, why tea.Cmd, ok bool) {
	row, ok = m.list.Selected()
	switch {
	case !ok:
		return row, m.footer.SetStatus(footer.Warning, "no request selected"), false
	case m.o.Replay == nil:
		return row, m.footer.SetStatus(footer.Warning, noTarget), false
	case !row.Rec.BodyKept():
		return row, m.footer.SetStatus(footer.Warning, "this request was refused, so its body was not kept: nothing to "+what), false
	}
	return row, nil, true
}

func (m *Model) replay() tea.Cmd {
	row, why, ok := m.replayable("replay")
	if !ok {
		return why
	}
	m.list.Pin()
	ctx, replay, rec := m.ctx, m.o.Replay, row.Rec
	return tea.Batch(
		m.footer.SetStatus(footer.Info, "replaying "+rec.ID+"…"),
		func() tea.Msg {
			a, err := replay(ctx, rec.ID, nil)
			return replayDoneMsg{id: rec.ID, rec: rec, attempt: a, err: err}
		})
}

func (m *Model) replayDone(msg replayDoneMsg) tea.Cmd {
	what := "replay"
	if msg.edited {
		what = "edited replay"
	}
	if msg.err != nil {
		return m.footer.SetStatus(footer.Failure, what+" of "+msg.id+" failed: "+msg.err.Error())
	}
	if msg.attempt == nil {
		return m.footer.SetStatus(footer.Success, what+" of "+msg.id+" sent")
	}
	a := *msg.attempt
	if a.RequestID == "" {
		a.RequestID = msg.id
	}
	m.detail.AddAttempt(a)
	cmd := m.list.Forwarded([]list.Delivery{{Rec: msg.rec, Att: a}})
	level, text := footer.Success, fmt.Sprintf("%s of %s → %d in %s", what, msg.id, a.Status, list.Latency(a.Latency))
	switch {
	case a.Status == 0:
		level, text = footer.Failure, fmt.Sprintf("%s of %s got no answer: %s", what, msg.id, a.Error)
	case a.Status < 200 || a.Status > 299:
		level = footer.Warning
	}
	if msg.edited && !m.o.CanResign {
		text += " (no secret configured: the edited body went out with a signature that does not match)"
		level = max(level, footer.Warning)
	}
	return tea.Batch(cmd, m.footer.SetStatus(level, text))
}

// edit writes the selected body to a temp file for $VISUAL/$EDITOR.
func (m *Model) edit() tea.Cmd {
	row, why, ok := m.replayable("edit")
	if !ok {
		return why
	}
	m.list.Pin()
	id := row.Rec.ID
	read := m.recordOf(id, false)
	return func() tea.Msg {
		rec, _, err := read()
		if err != nil {
			return statusMsg{footer.Failure, err.Error()}
		}
		text, ext, err := edit.Text(rec.Body)
		if err != nil {
			return statusMsg{footer.Warning, err.Error()}
		}
		path, err := edit.TempFile(id, text, ext)
		if err != nil {
			return statusMsg{footer.Failure, err.Error()}
		}
		r := *rec
		captured := r.Body
		r.Body, r.Headers = nil, nil
		return editReadyMsg{id: id, rec: r, captured: captured, path: path, original: text, editor: edit.Command(path)}
	}
}

func (m *Model) openEditor(msg editReadyMsg) tea.Cmd {
	c := msg.editor
	if m.editorIn != nil {
		c.Stdin, c.Stdout, c.Stderr = m.editorIn, m.editorOut, m.editorOut
	}
	return tea.ExecProcess(c, func(err error) tea.Msg { return editDoneMsg{editReadyMsg: msg, err: err} })
}

func (m *Model) editDone(msg editDoneMsg) tea.Cmd {
	ctx, replay := m.ctx, m.o.Replay
	read := func() ([]byte, error) {
		defer os.Remove(msg.path)
		if msg.err != nil {
			return nil, fmt.Errorf("the editor failed (%v): nothing replayed", msg.err)
		}
		b, err := os.ReadFile(msg.path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the edited file: %v", err)
		}
		return b, nil
	}
	return tea.Batch(
		m.footer.SetStatus(footer.Info, "replaying the edited body of "+msg.id+"…"),
		func() tea.Msg {
			b, err := read()
			if err != nil {
				return statusMsg{footer.Failure, err.Error()}
			}
			body, cancelled := edit.Result(msg.captured, msg.original, b)
			if cancelled != "" {
				return statusMsg{footer.Info, "edit cancelled: " + cancelled}
			}
			a, err := replay(ctx, msg.id, body)
			return replayDoneMsg{id: msg.id, rec: msg.rec, attempt: a, err: err, edited: true}
		})
}

// copy puts text on the clipboard through the terminal.
func (m *Model) copy(what, text string) tea.Cmd {
	clip := m.clipboard
	return func() tea.Msg {
		if err := clip(text); err != nil {
			return statusMsg{footer.Failure, "cannot copy: " + err.Error()}
		}
		return statusMsg{footer.Success, "copied " + what}
	}
}

// copyCurl copies the selected request as a curl command aimed at where
// it was last delivered, else the forward target, else hookscope itself.
func (m *Model) copyCurl() tea.Cmd {
	row, ok := m.list.Selected()
	if !ok {
		return m.footer.SetStatus(footer.Warning, "no request selected")
	}
	id, clip := row.Rec.ID, m.clipboard
	read := m.recordOf(id, true)
	target := ""
	if len(m.o.Targets) > 0 {
		target = m.o.Targets[0]
	}
	local := strings.TrimSuffix(m.o.LocalURL, "/")
	return func() tea.Msg {
		rec, atts, err := read()
		if err != nil {
			return statusMsg{footer.Failure, err.Error()}
		}
		url := local + rec.URI()
		switch {
		case len(atts) > 0:
			url = atts[len(atts)-1].URL
		case target != "":
			url = target
		}
		cmd := fixture.Curl(rec, url)
		if err := clip(cmd); err != nil {
			return statusMsg{footer.Failure, "cannot copy: " + err.Error()}
		}
		return statusMsg{footer.Success, "copied a curl command for " + id + " (" + payload.HumanSize(int64(len(cmd))) + ") to " + url}
	}
}

// recordOf returns how a command reads request id off the update loop:
// from the detail pane when it already shows that request, else from the
// backend (its attempts too, when withAttempts).
func (m *Model) recordOf(id string, withAttempts bool) func() (*inspect.Record, []inspect.Attempt, error) {
	if loaded, atts, have := m.detail.Record(); have && loaded.ID == id {
		return func() (*inspect.Record, []inspect.Attempt, error) { return loaded, atts, nil }
	}
	ctx, be := m.ctx, m.o.Backend
	return func() (*inspect.Record, []inspect.Attempt, error) {
		rec, err := be.Get(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", id, err)
		}
		var atts []inspect.Attempt
		if withAttempts {
			atts, _ = be.Attempts(ctx, id)
		}
		return rec, atts, nil
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

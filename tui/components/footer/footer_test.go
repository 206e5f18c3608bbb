package footer

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/tui/internal/tuitest"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

func newFooter(w int) Model {
	f := New(new(keys.Default()), new(styles.Default()))
	f.SetWidth(w)
	return f
}

func send(f Model, msgs ...tea.Msg) (Model, []tea.Msg) {
	var out []tea.Msg
	for _, msg := range msgs {
		var cmd tea.Cmd
		f, cmd = f.Update(msg)
		if cmd != nil {
			out = append(out, cmd())
		}
	}
	return f, out
}

func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

func TestHelpLineFits(t *testing.T) {
	k := keys.Default()
	for _, w := range []int{30, 60, 80, 200} {
		f := newFooter(w)
		v := tuitest.Plain(f.View(k.ListHelp()))
		if ansi.StringWidth(v) != w || strings.Contains(v, "\n") {
			t.Fatalf("width %d: %q", w, v)
		}
		if !strings.Contains(v, "↓/j down") {
			t.Errorf("width %d: %q", w, v)
		}
	}
}

func TestFilterPrompt(t *testing.T) {
	f := newFooter(80)
	f.StartFilter("sig:invalid")
	if !f.Filtering() || !strings.Contains(tuitest.Plain(f.View(nil)), "/sig:invalid") {
		t.Fatalf("%q", tuitest.Plain(f.View(nil)))
	}
	msgs := append(typed(" x"), tuitest.Key("left"), tuitest.Key("backspace"), tuitest.Key("ctrl+w"),
		tea.PasteMsg{Content: "status:5xx\x1b[2J\n"}, tuitest.Key("enter"))
	f, out := send(f, msgs...)
	if f.Filtering() {
		t.Fatal("enter did not close the prompt")
	}
	got := out[len(out)-1].(FilterMsg).Text
	if got != "status:5xx[2Jx" { // ctrl+w took "sig:invalid"; the paste lost its ESC and newline
		t.Fatalf("edited filter %q", got)
	}
	f.StartFilter("")
	if !strings.Contains(tuitest.Plain(f.View(nil)), "event:video.*") {
		t.Errorf("no hint on an empty prompt: %q", tuitest.Plain(f.View(nil)))
	}
	f, out = send(f, append(typed("abc"), tuitest.Key("esc"))...)
	if f.Filtering() || len(out) != 0 {
		t.Fatal("esc must cancel without a filter")
	}
}

func TestPromptScrollsLongText(t *testing.T) {
	f := newFooter(20)
	f.StartFilter(strings.Repeat("abcdefghij", 5))
	v := tuitest.Plain(f.View(nil))
	if ansi.StringWidth(v) != 20 || !strings.Contains(v, "hij") {
		t.Fatalf("%q", v)
	}
}

func TestStatusExpires(t *testing.T) {
	f := newFooter(80)
	cmd := f.SetStatus(Failure, "replay failed: \x1b]52;c;eA==\x07 boom")
	v := tuitest.Plain(f.View(keys.Default().ListHelp()))
	if !strings.Contains(v, `replay failed: \x1b]52;c;eA==\x07 boom`) || strings.Contains(v, "\x1b") {
		t.Fatalf("%q", v)
	}
	second := f.SetStatus(Info, "newer")
	_ = cmd
	f, _ = f.Update(clearMsg{seq: 1}) // the first message's timer
	if f.Status() != "newer" {
		t.Fatal("an old timer cleared a newer message")
	}
	_ = second
	f, _ = f.Update(clearMsg{seq: 2})
	if f.Status() != "" || !strings.Contains(tuitest.Plain(f.View(keys.Default().ListHelp())), "down") {
		t.Fatal("status did not expire")
	}
}

func TestFullHelp(t *testing.T) {
	f := newFooter(100)
	v := tuitest.Plain(f.FullHelp(100, 25))
	lines := strings.Split(v, "\n")
	if len(lines) != 25 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, want := range []string{"e edit+replay", "/ filter", "✓ valid  ✗ invalid  – missing  ? unchecked", "↻"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q", want)
		}
	}
}

package keys

import (
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/hookscope/hookscope/tui/internal/tuitest"
)

// TestNoConflicts: an action key must never also move the cursor, or a
// keystroke would do two things.
func TestNoConflicts(t *testing.T) {
	k := Default()
	actions := []key.Binding{k.Replay, k.Edit, k.Filter, k.CopyCurl, k.CopyID, k.CopyURL, k.Help, k.Quit}
	moves := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Open, k.Back, k.NextTab, k.PrevTab, k.Tab1, k.Tab2, k.Tab3, k.Tab4}
	owner := map[string]string{}
	for _, group := range [][]key.Binding{actions, moves} {
		for _, b := range group {
			for _, s := range b.Keys() {
				if o, ok := owner[s]; ok && o != b.Help().Desc && !(s == "tab" && (o == "detail" || o == "next tab")) {
					t.Errorf("key %q is both %q and %q", s, o, b.Help().Desc)
				}
				owner[s] = b.Help().Desc
			}
		}
	}
	for _, want := range []string{"up", "k", "down", "j", "pgup", "pgdown", "g", "G", "enter", "esc", "/", "r", "e", "c", "y", "?", "q", "ctrl+c"} {
		if _, ok := owner[want]; !ok {
			t.Errorf("%q is not bound", want)
		}
	}
}

func TestHelpLinesAreBound(t *testing.T) {
	k := Default()
	for _, group := range append(k.FullHelp(), k.ListHelp(), k.DetailHelp(), k.FilterHelp()) {
		for _, b := range group {
			if len(b.Keys()) == 0 || b.Help().Key == "" || b.Help().Desc == "" {
				t.Errorf("binding %+v lacks keys or help", b.Help())
			}
		}
	}
}

// TestKeysAreNamesBubbleTeaSends: a binding matches a key press by the
// name Bubble Tea v2 gives it, so a name it never sends (v1's " " for
// the space bar, now "space") binds nothing.
func TestKeysAreNamesBubbleTeaSends(t *testing.T) {
	k := Default()
	for _, group := range append(k.FullHelp(), k.FilterHelp()) {
		for _, b := range group {
			for _, name := range b.Keys() {
				if got := tuitest.Key(name).String(); got != name {
					t.Errorf("%q (%s) is sent as %q", name, b.Help().Desc, got)
				}
			}
		}
	}
}

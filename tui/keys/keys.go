// Package keys owns the terminal UI's one key map: every binding, once,
// with the help text that the footer and the full help show. It reads no
// input itself; components match messages against these bindings.
package keys

import "charm.land/bubbles/v2/key"

// KeyMap is every key the UI answers to. Vim keys and arrows both work.
type KeyMap struct {
	Up, Down         key.Binding
	PageUp, PageDown key.Binding
	Top, Bottom      key.Binding

	Open    key.Binding // into the detail pane
	Back    key.Binding // out of the detail pane, or clear the filter
	NextTab key.Binding
	PrevTab key.Binding
	Tab1    key.Binding
	Tab2    key.Binding
	Tab3    key.Binding
	Tab4    key.Binding

	Replay   key.Binding
	Edit     key.Binding
	Filter   key.Binding
	CopyCurl key.Binding
	CopyID   key.Binding
	CopyURL  key.Binding
	Help     key.Binding
	Quit     key.Binding

	// Used while typing a filter.
	Apply  key.Binding
	Cancel key.Binding
}

// Default returns the key map.
func Default() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup/b", "page up", "pgup", "b", "ctrl+u"),
		PageDown: b("pgdn/f", "page down", "pgdown", "f", "ctrl+d", "space"),
		Top:      b("g/home", "newest", "g", "home"),
		Bottom:   b("G/end", "oldest", "G", "end"),

		Open:    b("enter/tab", "detail", "enter", "tab"),
		Back:    b("esc", "back", "esc"),
		NextTab: b("tab/→/l", "next tab", "tab", "right", "l"),
		PrevTab: b("shift+tab/←/h", "prev tab", "shift+tab", "left", "h"),
		Tab1:    b("1", "payload", "1"),
		Tab2:    b("2", "headers", "2"),
		Tab3:    b("3", "signature", "3"),
		Tab4:    b("4", "attempts", "4"),

		Replay:   b("r", "replay", "r"),
		Edit:     b("e", "edit+replay", "e"),
		Filter:   b("/", "filter", "/"),
		CopyCurl: b("c", "copy curl", "c"),
		CopyID:   b("y", "copy id", "y"),
		CopyURL:  b("u", "copy URL", "u"),
		Help:     b("?", "help", "?"),
		Quit:     b("q", "quit", "q", "ctrl+c"),

		Apply:  b("enter", "apply", "enter"),
		Cancel: b("esc", "cancel", "esc"),
	}
}

// ListHelp is the one-line help while the list has the focus.
func (k KeyMap) ListHelp() []key.Binding {
	return []key.Binding{k.Down, k.Up, k.Open, k.Replay, k.Edit, k.Filter, k.CopyCurl, k.CopyID, k.CopyURL, k.Help, k.Quit}
}

// DetailHelp is the one-line help while the detail pane has the focus.
func (k KeyMap) DetailHelp() []key.Binding {
	return []key.Binding{k.Back, k.NextTab, k.Down, k.Up, k.Replay, k.Edit, k.CopyCurl, k.CopyID, k.Help, k.Quit}
}

// FilterHelp is the one-line help while a filter is typed.
func (k KeyMap) FilterHelp() []key.Binding {
	return []key.Binding{k.Apply, k.Cancel}
}

// FullHelp is every binding, grouped for the ? screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Back, k.NextTab, k.PrevTab, k.Tab1, k.Tab2, k.Tab3, k.Tab4},
		{k.Replay, k.Edit, k.Filter, k.CopyCurl, k.CopyID, k.CopyURL},
		{k.Help, k.Quit},
	}
}

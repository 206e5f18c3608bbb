// Package styles owns every colour and text attribute of the terminal UI,
// and the symbols that keep meaning when colour is off (NO_COLOR, pipes):
// a verdict always carries ✓ ✗ – ? beside its colour. It draws no layout
// and reads no record beyond a verdict's status or an HTTP code.
package styles

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Styles is the UI's one set of styles. Colours are the 16 ANSI ones so
// they follow the user's terminal theme; Bubble Tea drops them under
// NO_COLOR (and every attribute when the output is no terminal), which is
// why nothing may rely on colour alone.
type Styles struct {
	Title  lipgloss.Style
	Muted  lipgloss.Style
	Strong lipgloss.Style
	URL    lipgloss.Style
	Hint   lipgloss.Style
	OK     lipgloss.Style
	Warn   lipgloss.Style
	Error  lipgloss.Style
	Rule   lipgloss.Style // pane separators and their titles

	ColumnHeader lipgloss.Style
	Selected     lipgloss.Style // the cursor row in the list
	Duplicate    lipgloss.Style

	Valid, Invalid, Missing, Unchecked lipgloss.Style

	Status2xx, Status3xx, Status4xx, Status5xx, NoAnswer lipgloss.Style

	TabActive, TabInactive lipgloss.Style
	HeaderName             lipgloss.Style

	JSONKey, JSONString, JSONNumber, JSONBool, JSONNull, JSONPunct lipgloss.Style

	FilterPrompt lipgloss.Style
	Help         help.Styles
}

// Default returns the UI's styles.
func Default() Styles {
	fg := func(c string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color(c)) }
	muted := fg("8")
	s := Styles{
		Title:        lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("5")),
		Muted:        muted,
		Strong:       lipgloss.NewStyle().Bold(true),
		URL:          lipgloss.NewStyle().Bold(true).Underline(true).Foreground(lipgloss.Color("6")),
		Hint:         muted.Italic(true),
		OK:           fg("2"),
		Warn:         fg("3"),
		Error:        fg("1").Bold(true),
		Rule:         muted,
		ColumnHeader: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("7")),
		Selected:     lipgloss.NewStyle().Reverse(true),
		Duplicate:    fg("3"),
		Valid:        fg("2"),
		Invalid:      fg("1").Bold(true),
		Missing:      fg("3"),
		Unchecked:    muted,
		Status2xx:    fg("2"),
		Status3xx:    fg("6"),
		Status4xx:    fg("3"),
		Status5xx:    fg("1").Bold(true),
		NoAnswer:     fg("1").Bold(true),
		TabActive:    lipgloss.NewStyle().Bold(true).Reverse(true),
		TabInactive:  muted,
		HeaderName:   fg("6"),
		JSONKey:      fg("4").Bold(true),
		JSONString:   fg("2"),
		JSONNumber:   fg("6"),
		JSONBool:     fg("5"),
		JSONNull:     fg("5").Italic(true),
		JSONPunct:    muted,
		FilterPrompt: fg("5").Bold(true),
	}
	// bubbles/help's defaults pick colours for a dark or a light
	// background; knowing which means asking the terminal. The theme's own
	// ANSI colours never need to ask.
	s.Help = help.Styles{
		Ellipsis:       muted,
		ShortKey:       lipgloss.NewStyle().Bold(true),
		ShortDesc:      muted,
		ShortSeparator: muted,
		FullKey:        lipgloss.NewStyle().Bold(true),
		FullDesc:       muted,
		FullSeparator:  muted,
	}
	return s
}

// Palette hands the JSON token styles to payload.Highlight.
func (s Styles) Palette() payload.Palette {
	r := func(st lipgloss.Style) func(string) string {
		return func(tok string) string { return st.Render(tok) }
	}
	return payload.Palette{
		Key:    r(s.JSONKey),
		String: r(s.JSONString),
		Number: r(s.JSONNumber),
		Bool:   r(s.JSONBool),
		Null:   r(s.JSONNull),
		Punct:  r(s.JSONPunct),
	}
}

// Verdict is the colour for a verdict.
func (s Styles) Verdict(st signature.Status) lipgloss.Style {
	switch st {
	case signature.Valid:
		return s.Valid
	case signature.Invalid:
		return s.Invalid
	case signature.Missing:
		return s.Missing
	}
	return s.Unchecked
}

// HTTPStatus is the colour for a handler's answer; code 0 means none came.
func (s Styles) HTTPStatus(code int) lipgloss.Style {
	switch {
	case code == 0:
		return s.NoAnswer
	case code < 300:
		return s.Status2xx
	case code < 400:
		return s.Status3xx
	case code < 500:
		return s.Status4xx
	}
	return s.Status5xx
}

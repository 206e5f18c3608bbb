package styles

import (
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/hookscope/hookscope/inspect/signature"
)

// TestVerdictsReadWithoutColour: under NO_COLOR lipgloss drops every
// colour, so each verdict must still differ in its symbol.
func TestVerdictsReadWithoutColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	s := Default()
	seen := map[string]bool{}
	for st, want := range map[signature.Status]string{
		signature.Valid: "✓ valid", signature.Invalid: "✗ invalid", signature.Missing: "– missing",
		signature.Unchecked: "? unchecked", "": "? unchecked",
	} {
		got := s.Verdict(st).Render(st.Label())
		if got != want {
			t.Errorf("%q renders %q, want %q", st, got, want)
		}
		seen[st.Symbol()] = true
	}
	if len(seen) != 4 {
		t.Errorf("symbols are not distinct: %v", seen)
	}
	if p := s.Palette(); p.Key(`"k"`) != `"k"` {
		t.Error("the palette adds text")
	}
}

func TestHTTPStatusClasses(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI)
	s := Default()
	if s.HTTPStatus(204).Render("x") == s.HTTPStatus(503).Render("x") || s.HTTPStatus(0).Render("x") == s.HTTPStatus(200).Render("x") {
		t.Error("success and failure look the same in colour")
	}
}

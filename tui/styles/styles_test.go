package styles

import (
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect/signature"
)

// as is what a terminal of profile p shows of styled text s: Bubble Tea
// v2 downsamples every frame this way (lipgloss v2 renders full colour).
func as(p colorprofile.Profile, s string) string {
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	if _, err := w.WriteString(s); err != nil {
		panic(err)
	}
	return b.String()
}

// TestVerdictsReadWithoutColour: under NO_COLOR Bubble Tea drops every
// colour, so each verdict must still differ in its symbol.
func TestVerdictsReadWithoutColour(t *testing.T) {
	s := Default()
	seen := map[string]bool{}
	for st, want := range map[signature.Status]string{
		signature.Valid: "✓ valid", signature.Invalid: "✗ invalid", signature.Missing: "– missing",
		signature.Unchecked: "? unchecked", "": "? unchecked",
	} {
		if got := ansi.Strip(as(colorprofile.ASCII, s.Verdict(st).Render(st.Label()))); got != want {
			t.Errorf("%q renders %q, want %q", st, got, want)
		}
		seen[st.Symbol()] = true
	}
	if len(seen) != 4 {
		t.Errorf("symbols are not distinct: %v", seen)
	}
	if p := s.Palette(); ansi.Strip(p.Key(`"k"`)) != `"k"` {
		t.Error("the palette adds text")
	}
}

func TestHTTPStatusClasses(t *testing.T) {
	s := Default()
	r := func(code int) string { return as(colorprofile.ANSI, s.HTTPStatus(code).Render("x")) }
	if r(204) == r(503) || r(0) == r(200) {
		t.Error("success and failure look the same in colour")
	}
}

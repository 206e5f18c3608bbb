package tuitest

import (
	"reflect"
	"strings"
	"sync"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/tui/styles"
)

// Plain is a screen with the UI's own styling taken out, so goldens hold
// text whatever the terminal. Lip Gloss v2 always renders full colour
// (Bubble Tea downsamples on output), so there is no profile to pin as in
// v1. Only the exact SGR sequences that styles.Default produces are taken
// out: any other escape, even an SGR one that came off the network, stays
// for the test to catch.
func Plain(s string) string {
	own := ownSGR()
	var b strings.Builder
	var state byte
	p := ansi.GetParser()
	defer ansi.PutParser(p)
	for len(s) > 0 {
		p.Reset()
		seq, _, n, next := ansi.DecodeSequence(s, state, p)
		if !own[seq] {
			b.WriteString(seq)
		}
		s, state = s[n:], next
	}
	return b.String()
}

var ownSGR = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if st, ok := v.Interface().(lipgloss.Style); ok {
			for _, seq := range sgrIn(st.Render("x")) {
				set[seq] = true
			}
			return
		}
		if v.Kind() == reflect.Struct {
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(styles.Default()))
	return set
})

func sgrIn(s string) []string {
	var out []string
	var state byte
	p := ansi.GetParser()
	defer ansi.PutParser(p)
	for len(s) > 0 {
		p.Reset()
		seq, _, n, next := ansi.DecodeSequence(s, state, p)
		if ansi.HasCsiPrefix(seq) && p.Command() == 'm' {
			out = append(out, seq)
		}
		s, state = s[n:], next
	}
	return out
}

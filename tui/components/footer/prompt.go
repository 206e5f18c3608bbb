package footer

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect/payload"
)

// prompt is a one-line editor for the filter. bubbles/textinput would do,
// but it imports a clipboard module that this build does not carry, and a
// filter needs only typing, moving and deleting.
type prompt struct {
	value  []rune
	pos    int
	prefix string
	hint   string
	width  int
	styles promptStyles
}

type promptStyles struct {
	prefix, hint, cursor lipgloss.Style
}

func (p *prompt) set(s string) {
	p.value = []rune(s)
	p.pos = len(p.value)
}

func (p prompt) text() string { return string(p.value) }

// maxPrompt bounds what a paste can put in the filter.
const maxPrompt = 256

func (p prompt) update(msg tea.KeyPressMsg) prompt {
	if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
		return p.insert(msg.Text)
	}
	switch msg.Keystroke() {
	case "backspace":
		if p.pos > 0 {
			p.value = append(p.value[:p.pos-1:p.pos-1], p.value[p.pos:]...)
			p.pos--
		}
	case "delete", "ctrl+d":
		if p.pos < len(p.value) {
			p.value = append(p.value[:p.pos:p.pos], p.value[p.pos+1:]...)
		}
	case "left", "ctrl+b":
		p.pos = max(0, p.pos-1)
	case "right", "ctrl+f":
		p.pos = min(len(p.value), p.pos+1)
	case "home", "ctrl+a":
		p.pos = 0
	case "end", "ctrl+e":
		p.pos = len(p.value)
	case "ctrl+u":
		p.value, p.pos = append([]rune(nil), p.value[p.pos:]...), 0
	case "ctrl+k":
		p.value = p.value[:p.pos:p.pos]
	case "ctrl+w":
		i := p.pos
		for i > 0 && p.value[i-1] == ' ' {
			i--
		}
		for i > 0 && p.value[i-1] != ' ' {
			i--
		}
		p.value = append(p.value[:i:i], p.value[p.pos:]...)
		p.pos = i
	}
	return p
}

// insert puts typed or pasted text at the cursor. A paste may carry
// newlines or escapes: only printable runes are kept.
func (p prompt) insert(s string) prompt {
	var in []rune
	for _, r := range s {
		if r >= 0x20 && r != 0x7f && !(r >= 0x80 && r <= 0x9f) {
			in = append(in, r)
		}
	}
	if len(p.value)+len(in) > maxPrompt {
		in = in[:max(0, maxPrompt-len(p.value))]
	}
	v := make([]rune, 0, len(p.value)+len(in))
	v = append(v, p.value[:p.pos]...)
	v = append(v, in...)
	v = append(v, p.value[p.pos:]...)
	p.value, p.pos = v, p.pos+len(in)
	return p
}

// view draws prefix, text and a block cursor; the text scrolls so the
// cursor stays in sight.
func (p prompt) view() string {
	avail := max(1, p.width-ansi.StringWidth(p.prefix)-1)
	if len(p.value) == 0 {
		return p.styles.prefix.Render(p.prefix) + p.styles.cursor.Render(" ") +
			p.styles.hint.Render(ansi.Truncate(p.hint, avail, "…"))
	}
	before := payload.SanitizeLine(string(p.value[:p.pos]))
	at := " "
	after := ""
	if p.pos < len(p.value) {
		at = payload.SanitizeLine(string(p.value[p.pos]))
		after = payload.SanitizeLine(string(p.value[p.pos+1:]))
	}
	if w := ansi.StringWidth(before); w+1 > avail {
		before = ansi.TruncateLeft(before, w+1-avail, "")
	}
	rest := max(0, avail-ansi.StringWidth(before)-ansi.StringWidth(at))
	after = ansi.Truncate(after, rest, "")
	var b strings.Builder
	b.WriteString(p.styles.prefix.Render(p.prefix))
	b.WriteString(before)
	b.WriteString(p.styles.cursor.Render(at))
	b.WriteString(after)
	return b.String()
}

package tuitest

import (
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// Driver feeds a model messages and runs the commands it returns, as
// Bubble Tea does, but deterministically: each round runs the pending
// commands concurrently and delivers their messages in the order the
// commands were issued. A command still running after Patience (a long
// timer: a status message expiring, the next health probe) is dropped,
// so a screen can be captured while such a message is still shown.
type Driver struct {
	M        tea.Model
	Patience time.Duration
	Quit     bool
	// Skip drops messages the test does not want delivered.
	Skip func(tea.Msg) bool
}

// NewDriver wraps m, sends it a window size and runs its Init.
func NewDriver(m tea.Model, w, h int) *Driver {
	d := &Driver{M: m, Patience: 300 * time.Millisecond}
	d.Send(tea.WindowSizeMsg{Width: w, Height: h})
	d.Run(m.Init())
	return d
}

// Send delivers msg and settles.
func (d *Driver) Send(msg tea.Msg) {
	m, cmd := d.M.Update(msg)
	d.M = m
	d.Run(cmd)
}

// Keys sends each key in turn (see Key for names).
func (d *Driver) Keys(names ...string) {
	for _, n := range names {
		d.Send(Key(n))
	}
}

// Type sends each rune of s as a key.
func (d *Driver) Type(s string) {
	for _, r := range s {
		d.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// View is the model's screen as text: the UI's own styling removed,
// anything else left for the test to see (see Plain).
func (d *Driver) View() string { return Plain(d.M.View().Content) }

// Raw is the model's screen as Bubble Tea would draw it, styling and all.
func (d *Driver) Raw() string { return d.M.View().Content }

// Run runs cmd and everything it leads to, round by round.
func (d *Driver) Run(cmd tea.Cmd) {
	pending := nonNil([]tea.Cmd{cmd})
	for round := 0; round < 50 && len(pending) > 0; round++ {
		results := make([]chan tea.Msg, len(pending))
		for i, c := range pending {
			ch := make(chan tea.Msg, 1)
			results[i] = ch
			go func() { ch <- c() }()
		}
		deadline := time.After(d.Patience)
		late := false
		var msgs []tea.Msg
		for _, ch := range results {
			if late {
				select {
				case msg := <-ch:
					msgs = append(msgs, msg)
				default:
				}
				continue
			}
			select {
			case msg := <-ch:
				msgs = append(msgs, msg)
			case <-deadline:
				late = true // the rest count only if already done
				select {
				case msg := <-ch:
					msgs = append(msgs, msg)
				default:
				}
			}
		}
		pending = nil
		var flat []tea.Msg
		for _, msg := range msgs {
			flat = append(flat, flatten(msg)...)
		}
		for _, msg := range flat {
			if cmds, ok := msg.(tea.BatchMsg); ok {
				pending = append(pending, nonNil(cmds)...)
				continue
			}
			if msg == nil || (d.Skip != nil && d.Skip(msg)) {
				continue
			}
			if isQuit(msg) {
				d.Quit = true
				continue
			}
			if isInternal(msg) {
				continue // Bubble Tea's own (exec, sequence): nothing to run here
			}
			m, c := d.M.Update(msg)
			d.M = m
			if c != nil {
				pending = append(pending, c)
			}
		}
	}
}

func flatten(msg tea.Msg) []tea.Msg {
	if cmds, ok := msg.(tea.BatchMsg); ok {
		return []tea.Msg{tea.BatchMsg(nonNil(cmds))}
	}
	return []tea.Msg{msg}
}

func nonNil(cmds []tea.Cmd) []tea.Cmd {
	var out []tea.Cmd
	for _, c := range cmds {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func isQuit(msg tea.Msg) bool {
	_, ok := msg.(tea.QuitMsg)
	return ok
}

// isInternal spots Bubble Tea's unexported messages (execMsg and the like).
func isInternal(msg tea.Msg) bool {
	t := reflect.TypeOf(msg)
	if t == nil || t.PkgPath() != "charm.land/bubbletea/v2" || t.Name() == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t.Name())
	return !unicode.IsUpper(r)
}

// Key makes a key message from a name: "up", "down", "enter", "esc",
// "tab", "shift+tab", "pgup", "pgdown", "home", "end", "ctrl+c",
// "backspace", "space", or runes such as "j" or "G".
func Key(name string) tea.KeyPressMsg {
	codes := map[string]rune{
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace, "delete": tea.KeyDelete,
	}
	if c, ok := codes[name]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	switch name {
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	if mod, r, ok := strings.Cut(name, "+"); ok && mod == "ctrl" && utf8.RuneCountInString(r) == 1 {
		c, _ := utf8.DecodeRuneInString(r)
		return tea.KeyPressMsg{Code: c, Mod: tea.ModCtrl}
	}
	c, _ := utf8.DecodeRuneInString(name)
	return tea.KeyPressMsg{Code: c, Text: name}
}

// Lines splits a screen into lines.
func Lines(s string) []string { return strings.Split(s, "\n") }

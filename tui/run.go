package tui

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/aymanbagabas/go-osc52/v2"
)

// Run shows the UI full-screen (alternate screen, mouse wheel) until the
// user quits or ctx ends, and leaves the terminal as it found it. The
// caller decides whether stdout is a terminal at all.
func Run(ctx context.Context, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	term := &terminal{f: os.Stdout}
	m := newModel(ctx, o)
	m.clipboard = term.copy
	m.editorIn, m.editorOut = os.Stdin, os.Stdout
	// The alternate screen and the mouse are asked for by Model.View.
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(os.Stdin),
		tea.WithOutput(term),
	)
	_, err := p.Run()
	switch {
	case err == nil, errors.Is(err, tea.ErrInterrupted):
		return nil
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return nil // the caller ended the session
	}
	return err
}

// terminal is stdout shared by Bubble Tea's renderer and the clipboard:
// one lock keeps an OSC 52 sequence from landing inside a frame. It is a
// term.File, so Bubble Tea still sees a terminal (size, raw mode).
type terminal struct {
	mu sync.Mutex
	f  *os.File
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.f.Write(p)
}

func (t *terminal) Read(p []byte) (int, error) { return t.f.Read(p) }
func (t *terminal) Fd() uintptr                { return t.f.Fd() }

// Close leaves stdout open: it belongs to the process, not the UI.
func (t *terminal) Close() error { return nil }

// copy sets the clipboard with OSC 52. Under GNU screen the sequence must
// be wrapped to pass through; tmux passes it on when set-clipboard is on.
func (t *terminal) copy(s string) error {
	seq := osc52.New(s)
	if os.Getenv("TMUX") == "" && strings.HasPrefix(os.Getenv("TERM"), "screen") {
		seq = seq.Screen()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, err := seq.WriteTo(t.f)
	return err
}

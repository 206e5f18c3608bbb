package cmd

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are a command's standard streams. Tests hand in buffers; the
// TTY flags decide between output for people and output for scripts.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	OutTTY bool
	ErrTTY bool
	InTTY  bool
	// NoColor honours NO_COLOR (https://no-color.org) and non-terminals.
	NoColor bool
}

// System returns the process's streams.
func System() *IOStreams {
	tty := func(f *os.File) bool { return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()) }
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: tty(os.Stdout), ErrTTY: tty(os.Stderr), InTTY: tty(os.Stdin)}
	_, noColor := os.LookupEnv("NO_COLOR")
	s.NoColor = noColor || !s.OutTTY
	return s
}

// Test returns buffer-backed streams for tests.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: &bytes.Buffer{}, Out: out, ErrOut: errOut, NoColor: true}, out, errOut
}

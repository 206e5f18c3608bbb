package tui

import (
	"os"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	// Goldens hold plain text: pin the profile so they do not depend on
	// the terminal running the tests. The demo keeps the real one.
	if os.Getenv("HOOKSCOPE_TUI_DEMO") == "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	code := m.Run()
	cleanupBenchStores()
	os.Exit(code)
}

func mkdirTemp() (string, error) { return os.MkdirTemp("", "hookscope-tui-bench-") }

func removeAll(dir string) { os.RemoveAll(dir) }

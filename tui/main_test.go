package tui

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupBenchStores()
	os.Exit(code)
}

func mkdirTemp() (string, error) { return os.MkdirTemp("", "hookscope-tui-bench-") }

func removeAll(dir string) { os.RemoveAll(dir) }

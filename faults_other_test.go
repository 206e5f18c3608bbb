//go:build !linux

package main

import (
	"os"
	"testing"
)

func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	t.Skip("RLIMIT_FSIZE on another process needs Linux")
}

func mountTmpfs(t *testing.T, dir string, size int) { t.Skip("tmpfs needs Linux") }

func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Skip("the pseudo-terminal helper is Linux-only")
	return nil, nil
}

func residentBytes(pid int) int64 { return 0 }

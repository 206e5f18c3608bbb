// Package proc answers one question about other processes on this machine:
// is this one still running. hookscope processes share a store and a
// state directory, and a PID left behind by one that was killed must not
// be taken for a live one.
package proc

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

// Alive reports whether a process with this PID is running.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess already failed for a process that is gone
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

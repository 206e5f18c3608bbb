//go:build !linux

package cmd

import "time"

// startedAfter cannot tell a reused pid here: the state file is trusted
// while a process with its pid runs.
func startedAfter(pid int, t time.Time) (after, ok bool) { return false, false }

package cmd

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// startedAfter reports whether process pid started after t, which proves
// the pid was reused: a listen writes its state file after it starts. It
// reads the start time Linux keeps in /proc (clock ticks after boot, boot
// time in whole seconds). ok is false when that cannot be read.
func startedAfter(pid int, t time.Time) (after, ok bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false, false
	}
	// The command name, field 2, may hold spaces and parentheses: count
	// fields after its last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return false, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return false, false
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64) // field 22: starttime
	if err != nil {
		return false, false
	}
	boot, ok := bootTime()
	if !ok {
		return false, false
	}
	// USER_HZ is 100 on every Linux that Go supports.
	started := boot.Add(time.Duration(ticks) * 10 * time.Millisecond)
	// The boot time is whole seconds: allow for that, and a little more.
	return started.After(t.Add(2 * time.Second)), true
}

func bootTime() (time.Time, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(s, 0), err == nil
		}
	}
	return time.Time{}, false
}

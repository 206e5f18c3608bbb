package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ageValue is a pflag value for ages and retention periods: a Go duration
// (90m, 1h30m) or days ("7d", "30d", "1d12h"), which Go's parser lacks and
// which is how people say how long to keep webhooks.
type ageValue time.Duration

func (a *ageValue) String() string { return time.Duration(*a).String() }
func (a *ageValue) Type() string   { return "duration" }

func (a *ageValue) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*a = ageValue(d)
	return nil
}

// parseAge reads a Go duration with an optional leading number of days.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a duration: use 7d, 30d, 12h, 90m or 1d12h", s)
	days := time.Duration(0)
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, bad
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return days + d, nil
}

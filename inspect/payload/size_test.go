package payload_test

import (
	"math"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/payload"
)

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1229, "1.2 KiB"},
		{1536, "1.5 KiB"},
		{10239, "10 KiB"}, // 9.999 rounds up a digit
		{10 << 10, "10 KiB"},
		{1023 << 10, "1023 KiB"},
		{1<<20 - 1, "1.0 MiB"}, // rounding carries into the next unit
		{10 << 20, "10 MiB"},
		{5 << 30, "5.0 GiB"},
		{1 << 40, "1.0 TiB"},
		{1 << 50, "1.0 PiB"},
		{1 << 60, "1.0 EiB"},
		{math.MaxInt64, "8.0 EiB"},
		{-1536, "-1.5 KiB"},
		{math.MinInt64, "-8.0 EiB"},
	}
	for _, tt := range tests {
		if got := payload.HumanSize(tt.n); got != tt.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1048576},
		{in: "512B", want: 512},
		{in: "512 b", want: 512},
		{in: "512KB", want: 512000},
		{in: "512KiB", want: 512 << 10},
		{in: "512kib", want: 512 << 10},
		{in: "1MB", want: 1000000},
		{in: "10MiB", want: 10 << 20},
		{in: "10 MIB", want: 10 << 20},
		{in: "  1.5MiB ", want: 3 << 19},
		{in: ".5KiB", want: 512},
		{in: "1.", want: 1},
		{in: "1.0B", want: 1},
		{in: "1.0009KB", want: 1000}, // rounded down to whole bytes
		{in: "2GiB", want: 2 << 30},
		{in: "3TB", want: 3e12},
		{in: "7EiB", want: 7 << 60},
		{in: "8EB", want: 8e18},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "0.9999999999999999999999999EiB", want: 1<<60 - 1},
		{in: "1.5 KiB", want: 1536}, // HumanSize output reads back
		{in: "", err: "empty"},
		{in: "   ", err: "empty"},
		{in: "-1", err: "negative"},
		{in: "MiB", err: "want a number"},
		{in: ".KB", err: "want a number"},
		{in: "+5", err: "want a number"},
		{in: "10M", err: `unit "M" is ambiguous: use MB (decimal) or MiB (binary)`},
		{in: "10k", err: `unit "k" is ambiguous: use KB (decimal) or KiB (binary)`},
		{in: "10QB", err: `unknown unit "QB"`},
		{in: "10 MiB x", err: `unknown unit "MiB x"`},
		{in: "1e6", err: `unknown unit "e6"`},
		{in: "1,5MB", err: `unknown unit ",5MB"`},
		{in: "1.5", err: "whole"},
		{in: "1.5B", err: "whole"},
		{in: "9223372036854775808", err: "too large"},
		{in: "99999999999999999999", err: "too large"},
		{in: "8EiB", err: "too large"},
		{in: "7.99999999999999999999EiB", want: math.MaxInt64},
		{in: "16EiB", err: "too large"},
	}
	for _, tt := range tests {
		got, err := payload.ParseSize(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSize(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

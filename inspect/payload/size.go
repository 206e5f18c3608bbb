package payload

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

var iecUnits = [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// HumanSize renders a byte count in IEC units (powers of 1024), the units
// body limits are set in: "512 B", "1.5 KiB", "10 MiB". Values under 10 of
// a unit get one decimal. ParseSize reads the result back.
func HumanSize(n int64) string {
	if n < 0 {
		if n == math.MinInt64 {
			return "-8.0 EiB"
		}
		return "-" + HumanSize(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, u := float64(n), 0
	for v >= 1024 && u < len(iecUnits)-1 {
		v /= 1024
		u++
	}
	// Rounding can carry into the next unit: 1048575 B is "1.0 MiB", not
	// "1024 KiB".
	if math.Round(v) >= 1024 && u < len(iecUnits)-1 {
		v /= 1024
		u++
	}
	if math.Round(v*10) < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + iecUnits[u]
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " " + iecUnits[u]
}

var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15, "eb": 1e18,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50, "eib": 1 << 60,
}

// ParseSize reads a byte count such as "1048576", "512KB", "512 KiB",
// "1.5MiB", case-insensitively. KB, MB… are decimal (1000) and KiB, MiB…
// binary (1024), as the units say. A bare K, M or G is refused rather
// than guessed, since tools disagree on which it means. A fractional
// result is rounded down to whole bytes; a fraction of a byte is an error.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("size %q: empty", s)
	}
	if t[0] == '-' {
		return 0, fmt.Errorf("size %q: must not be negative", s)
	}
	i := 0
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	intPart := t[:i]
	var frac string
	if i < len(t) && t[i] == '.' {
		j := i + 1
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		frac, i = t[i+1:j], j
	}
	if intPart == "" && frac == "" {
		return 0, fmt.Errorf("size %q: want a number followed by an optional unit, e.g. 10MiB", s)
	}
	unit := strings.TrimSpace(t[i:])
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		switch strings.ToLower(unit) {
		case "k", "m", "g", "t", "p", "e":
			u := strings.ToUpper(unit)
			return 0, fmt.Errorf("size %q: unit %q is ambiguous: use %sB (decimal) or %siB (binary)", s, unit, u, u)
		}
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KB, KiB, MB, MiB, GB, GiB, TB, TiB…)", s, unit)
	}
	if mult == 1 && strings.TrimRight(frac, "0") != "" {
		return 0, fmt.Errorf("size %q: a byte count must be whole", s)
	}

	tooLarge := fmt.Errorf("size %q: too large (max %d bytes)", s, int64(math.MaxInt64))
	var whole uint64
	if intPart != "" {
		var err error
		if whole, err = strconv.ParseUint(intPart, 10, 64); err != nil {
			return 0, tooLarge // digits only, so range is the only failure
		}
	}
	hi, total := bits.Mul64(whole, mult)
	if hi != 0 {
		return 0, tooLarge
	}
	// 10^19 is the largest power of ten a uint64 holds; with mult ≤ 2^60
	// the digits past it are worth less than a byte.
	if len(frac) > 19 {
		frac = frac[:19]
	}
	if frac != "" {
		f, _ := strconv.ParseUint(frac, 10, 64)
		den := uint64(1)
		for range len(frac) {
			den *= 10
		}
		// f < den, so f*mult/den < mult and the quotient fits.
		fh, fl := bits.Mul64(f, mult)
		q, _ := bits.Div64(fh, fl, den)
		var carry uint64
		if total, carry = bits.Add64(total, q, 0); carry != 0 {
			return 0, tooLarge
		}
	}
	if total > math.MaxInt64 {
		return 0, tooLarge
	}
	return int64(total), nil
}

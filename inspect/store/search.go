package store

import (
	"database/sql/driver"
	"encoding/binary"
	"unsafe"

	"github.com/hookscope/hookscope/inspect"
	"modernc.org/sqlite"
)

// Free text is found by scanning rows with hs_search, not through an
// index: an FTS5 index written in the capture's transaction cost capture
// throughput 5.7× (words) to 35× (trigrams), while a scan of 100 000
// captures of 1 KB takes about half a second and a common word's first
// page a few milliseconds (bench/README.md, BenchmarkSearch).
func init() {
	sqlite.MustRegisterFunction("hs_search", &sqlite.FunctionImpl{
		NArgs:         5,
		Deterministic: true,
		// The row's bytes are read in place, never copied: the function
		// keeps nothing once it returns.
		VolatileArgs: true,
		Scalar: func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			needle, _ := args[0].(string)
			if searchRow(needle, bytesOf(args[1]), bytesOf(args[2]), bytesOf(args[3]), bytesOf(args[4])) {
				return int64(1), nil
			}
			return int64(0), nil
		},
	})
}

// bytesOf reads a TEXT or BLOB argument without copying it.
func bytesOf(v driver.Value) string {
	switch v := v.(type) {
	case []byte:
		// A view of SQLite's memory, valid until the call returns, which
		// searchRow never outlives.
		return unsafe.String(unsafe.SliceData(v), len(v))
	case string:
		return v
	}
	return ""
}

// searchRow is inspect.TextMatch over a stored row, its headers read from
// their encoding in place.
func searchRow(needle string, path, event, headers, body string) bool {
	if inspect.ContainsFold(path, needle) || inspect.ContainsFold(event, needle) || inspect.ContainsFold(body, needle) {
		return true
	}
	next := func() (string, bool) {
		l, n := uvarint(headers)
		if n <= 0 || uint64(len(headers)-n) < l {
			return "", false
		}
		s := headers[n : n+int(l)]
		headers = headers[n+int(l):]
		return s, true
	}
	for len(headers) > 0 {
		name, ok := next()
		if !ok {
			return false
		}
		value, ok := next()
		if !ok {
			return false
		}
		if inspect.HeaderMatch(name, value, needle) {
			return true
		}
	}
	return false
}

// uvarint is binary.Uvarint over a string, which would otherwise need a
// copy to []byte.
func uvarint(s string) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(c)<<sh, i + 1
		}
		x |= uint64(c&0x7f) << sh
		sh += 7
	}
	return 0, 0
}

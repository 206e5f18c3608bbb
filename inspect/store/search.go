package store

import (
	"database/sql/driver"
	"encoding/binary"

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
func bytesOf(v driver.Value) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v) // path and event: short
	}
	return nil
}

// searchRow is inspect.TextMatch over a stored row, its headers read from
// their encoding in place.
func searchRow(needle string, path, event, headers, body []byte) bool {
	if inspect.ContainsFold(path, needle) || inspect.ContainsFold(event, needle) || inspect.ContainsFold(body, needle) {
		return true
	}
	next := func() ([]byte, bool) {
		l, n := binary.Uvarint(headers)
		if n <= 0 || uint64(len(headers)-n) < l {
			return nil, false
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

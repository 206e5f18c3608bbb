// Package wire recovers what net/http throws away: the order and original
// casing of request header lines as they crossed the wire.
package wire

// Field is one header line: name as sent (not canonicalised) and value.
type Field struct {
	Name  string
	Value string
}

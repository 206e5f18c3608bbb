package inspect

import "strings"

// IDLen and IDAlphabet are the shape of a request id: twelve characters of
// lower-case Crockford base32, sorting by arrival.
const (
	IDLen      = 12
	IDAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

// NormalizeIDPrefix reads a user-typed id prefix: lower-cased, with the
// letters Crockford base32 treats as look-alikes mapped (o→0, i/l→1), so
// ids read aloud or copied from a screenshot still resolve. ok is false
// for text no id starts with.
func NormalizeIDPrefix(p string) (string, bool) {
	p = strings.TrimSpace(strings.ToLower(p))
	if p == "" || len(p) > IDLen {
		return "", false
	}
	b := []byte(p)
	for i, c := range b {
		switch c {
		case 'o':
			b[i] = '0'
		case 'i', 'l':
			b[i] = '1'
		}
		if strings.IndexByte(IDAlphabet, b[i]) < 0 {
			return "", false
		}
	}
	return string(b), true
}

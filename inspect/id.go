package inspect

import (
	"fmt"
	"strings"
)

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

// maxInstance bounds an instance id read from outside (a relayed message,
// an imported file): hookscope's own are 22 bytes.
const maxInstance = 64

// CheckInstance says why s cannot name the hookscope that captured a
// request (such as hookscope-3f9a0c12d4e5), or nil when it can; the
// reason reads after the value's name ("relay is empty"). A value read
// from the wire or a file is shown in lists and headers: it must be short
// and plain.
func CheckInstance(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if len(s) > maxInstance {
		return fmt.Errorf("is %d bytes long; a hookscope instance id (such as hookscope-3f9a0c12d4e5) has at most %d", len(s), maxInstance)
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%q is not a hookscope instance id (letters, digits, '-', '_' and '.', such as hookscope-3f9a0c12d4e5)", s)
		}
	}
	return nil
}

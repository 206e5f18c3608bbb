package payload

// validJSON reports whether doc is exactly one JSON value, accepting and
// refusing precisely what encoding/json.Valid does (FuzzValidJSON holds the
// two together), including its nesting limit and its tolerance of invalid
// UTF-8 inside strings.
//
// It exists because Decode runs on every captured request, and there
// json.Valid's byte-at-a-time state machine (a function call per byte) was
// the largest cost outside the store and net/http (bench/README.md). This
// loop reads string contents, most of a webhook, with one table lookup per
// byte.
func validJSON(doc []byte) bool {
	var stackBuf [32]byte
	stack := stackBuf[:0] // '{' or '[' for each open container
	i := 0
	for {
		// A value is expected at i.
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return false
		}
		switch c := doc[i]; c {
		case '{', '[':
			j := skipSpace(doc, i+1)
			if j < len(doc) && doc[j] == c+2 { // '{'+2 is '}', '['+2 is ']'
				i = j + 1
				break
			}
			stack = append(stack, c)
			if len(stack) > maxNesting {
				return false
			}
			if c == '[' {
				i = j
				continue // the first element
			}
			var ok bool
			if i, ok = member(doc, j); !ok {
				return false
			}
			continue // the first member's value
		case '"':
			var ok bool
			if i, ok = validString(doc, i); !ok {
				return false
			}
		case 't':
			if !hasLiteral(doc, i, "true") {
				return false
			}
			i += 4
		case 'f':
			if !hasLiteral(doc, i, "false") {
				return false
			}
			i += 5
		case 'n':
			if !hasLiteral(doc, i, "null") {
				return false
			}
			i += 4
		default:
			var ok bool
			if i, ok = validNumber(doc, i); !ok {
				return false
			}
		}
		// A value ended at i: close what it completes, then expect the next
		// element or member.
		for {
			i = skipSpace(doc, i)
			if len(stack) == 0 {
				return i == len(doc)
			}
			if i >= len(doc) {
				return false
			}
			top := stack[len(stack)-1]
			if doc[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if doc[i] != ',' {
				return false
			}
			if top == '{' {
				var ok bool
				if i, ok = member(doc, i+1); !ok {
					return false
				}
			} else {
				i++
			}
			break
		}
	}
}

// maxNesting is encoding/json's limit on open arrays and objects.
const maxNesting = 10000

// member reads `"key" :` starting at or after whitespace at i and returns
// the index where the member's value starts.
func member(doc []byte, i int) (int, bool) {
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != '"' {
		return i, false
	}
	i, ok := validString(doc, i)
	if !ok {
		return i, false
	}
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != ':' {
		return i, false
	}
	return i + 1, true
}

// strPlain marks the bytes a string holds without further checks: not the
// closing quote, not a backslash, not a control character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// validString checks the string starting at doc[i] == '"' and returns the
// index just past its closing quote.
func validString(doc []byte, i int) (int, bool) {
	i++
	for {
		for i < len(doc) && strPlain[doc[i]] {
			i++
		}
		if i >= len(doc) {
			return i, false
		}
		switch doc[i] {
		case '"':
			return i + 1, true
		case '\\':
			if i+1 >= len(doc) {
				return i, false
			}
			switch doc[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(doc) {
					return i, false
				}
				for _, h := range doc[i+2 : i+6] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default: // a control character
			return i, false
		}
	}
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hasLiteral(doc []byte, i int, lit string) bool {
	return len(doc)-i >= len(lit) && string(doc[i:i+len(lit)]) == lit
}

// validNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i
// and returns the index just past it.
func validNumber(doc []byte, i int) (int, bool) {
	if i < len(doc) && doc[i] == '-' {
		i++
	}
	if i >= len(doc) || !isDigit(doc[i]) {
		return i, false
	}
	if doc[i] == '0' {
		i++
	} else {
		i = digits(doc, i)
	}
	if i < len(doc) && doc[i] == '.' {
		j := digits(doc, i+1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		j := digits(doc, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(doc []byte, i int) int {
	for i < len(doc) && isDigit(doc[i]) {
		i++
	}
	return i
}

package payload

import (
	"bytes"
	"unicode/utf8"
)

// Kind is what a body is, which decides how it can be shown.
type Kind uint8

const (
	Empty  Kind = iota // no bytes at all
	JSON               // valid JSON (any top-level value), optionally after a BOM
	Text               // valid UTF-8 that is not JSON
	Binary             // invalid UTF-8, NUL bytes, or mostly control bytes
)

func (k Kind) String() string {
	switch k {
	case Empty:
		return "empty"
	case JSON:
		return "json"
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return "unknown"
}

// Envelope is what the capture path and list views need from a body,
// lifted without decoding the rest of it.
type Envelope struct {
	Kind Kind

	// BOM reports a leading UTF-8 byte order mark. It is skipped when
	// classifying, but strict parsers (encoding/json among them) reject such
	// a body, which is exactly what someone debugging a handler needs to see.
	BOM bool

	// VideoNest envelope fields. Each is set only when the body is a JSON
	// object carrying that field as a string. Values are JSON-decoded but
	// otherwise verbatim: not sanitised (pass them through Sanitize before
	// display) and not parsed (a malformed timestamp is still worth seeing).
	// With duplicate keys the last one wins, as it does for encoding/json
	// and JavaScript receivers.
	Event     string // "event"
	Timestamp string // "timestamp"
	DataID    string // "data"."id"
	Status    string // "data"."status"
	ErrorCode string // "data"."error_code", on *.failed events
}

// Decode classifies body and reads the VideoNest envelope fields from it.
// It runs once per captured request, so it validates with validJSON (what
// json.Valid accepts, faster, no allocation) and then hops over the top-level members, descending only
// into "data"; nothing else is decoded. The walk covers the whole top level
// rather than stopping at the first hit so duplicate keys resolve the way
// receivers resolve them; skipping a value costs far less than the
// validation pass that already read every byte.
func Decode(body []byte) Envelope {
	if len(body) == 0 {
		return Envelope{Kind: Empty}
	}
	var env Envelope
	doc, hasBOM := cutBOM(body)
	env.BOM = hasBOM
	if !mayBeJSON(doc) || !validJSON(doc) {
		env.Kind = textOrBinary(body)
		return env
	}
	env.Kind = JSON
	i := skipSpace(doc, 0)
	if doc[i] != '{' {
		return env
	}
	it := open(doc, i)
	for {
		ks, ke, vs, ve, ok := it.next()
		if !ok {
			break
		}
		val := doc[vs:ve]
		switch string(keyName(doc[ks:ke])) {
		case "event":
			env.Event, _ = stringValue(val)
		case "timestamp":
			env.Timestamp, _ = stringValue(val)
		case "data":
			env.readData(val)
		}
	}
	return env
}

func (env *Envelope) readData(val []byte) {
	env.DataID, env.Status, env.ErrorCode = "", "", ""
	if val[0] != '{' {
		return
	}
	it := open(val, 0)
	for {
		ks, ke, vs, ve, ok := it.next()
		if !ok {
			return
		}
		v := val[vs:ve]
		switch string(keyName(val[ks:ke])) {
		case "id":
			env.DataID, _ = stringValue(v)
		case "status":
			env.Status, _ = stringValue(v)
		case "error_code":
			env.ErrorCode, _ = stringValue(v)
		}
	}
}

// mayBeJSON rules out most text and binary bodies by their first
// significant byte, before any validation.
func mayBeJSON(doc []byte) bool {
	i := skipSpace(doc, 0)
	if i == len(doc) {
		return false
	}
	switch c := doc[i]; c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	default:
		return isDigit(c)
	}
}

// textOrBinary tells printable text from everything else for a body that
// is not JSON. A NUL or invalid UTF-8 means binary outright; otherwise a
// body is binary when more than a quarter of its bytes are controls, which
// keeps ANSI-coloured logs and CRLF text on the text side.
func textOrBinary(b []byte) Kind {
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return Binary
	}
	ctl := 0
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') || c == 0x7f {
			ctl++
		}
	}
	if ctl*4 > len(b) {
		return Binary
	}
	return Text
}

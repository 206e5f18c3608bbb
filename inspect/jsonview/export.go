package jsonview

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Where a record came from, as "source" says in every shape that has it.
const (
	SourceLocal = "local" // captured by this store's own hookscope
	SourceTeam  = "team"  // brought by the team relay; "relay" names the publisher
)

// source says where r came from. list, show, the web API and export all
// ask here, so no two of them can disagree about a record's origin.
func source(r *inspect.Record) (src, relay string) {
	if r.Relay != "" {
		return SourceTeam, r.Relay
	}
	return SourceLocal, ""
}

// ExportLine is one line of `hookscope export` (JSONL), which import reads
// back: what arrived, hookscope's verdict and where the record came from,
// under the keys `show --json` uses for them, so import reads either. A
// struct, unlike the other shapes: fixtures are committed and diffed, so
// the keys keep this order, and import decodes into the same type.
type ExportLine struct {
	ID         string `json:"id"`
	ReceivedAt string `json:"received_at"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Query      string `json:"query"`
	// QueryBase64 holds the exact bytes of a query that is not UTF-8, which
	// a JSON string cannot (the encoder writes U+FFFD in their place).
	QueryBase64 string           `json:"query_base64,omitempty"`
	Proto       string           `json:"proto"`
	Host        string           `json:"host"`
	RemoteAddr  string           `json:"remote_addr"`
	Headers     []ExportHeader   `json:"headers"`
	BodyBase64  string           `json:"body_base64"`
	Size        int64            `json:"size"`
	Refused     int              `json:"refused,omitempty"`
	Event       string           `json:"event"`
	Signature   *ExportSignature `json:"signature"`
	Source      string           `json:"source"`
	Relay       string           `json:"relay,omitempty"`
}

// ExportHeader is one header line, in arrival order.
type ExportHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// ValueBase64 holds the exact bytes of a value that is not UTF-8
	// (legal on the wire), as in `show --json`.
	ValueBase64 string `json:"value_base64,omitempty"`
}

// ExportSignature is the verdict hookscope gave when the request arrived.
type ExportSignature struct {
	Status      signature.Status `json:"status"`
	Scheme      string           `json:"scheme"`
	Detail      string           `json:"detail"`
	SecretIndex *int             `json:"secret_index,omitempty"`
}

// Export is the export line of r.
func Export(r *inspect.Record) ExportLine {
	l := ExportLine{ID: r.ID, ReceivedAt: stamp(r.ReceivedAt), Method: r.Method, Path: r.Path,
		Query: r.Query, Proto: r.Proto, Host: r.Host, RemoteAddr: r.RemoteAddr,
		Headers: make([]ExportHeader, len(r.Headers)), BodyBase64: base64.StdEncoding.EncodeToString(r.Body),
		Size: r.Size, Refused: r.Refused, Event: r.Event, Signature: Verdict(r.Signature)}
	l.Source, l.Relay = source(r)
	for i, h := range r.Headers {
		l.Headers[i] = ExportHeader{Name: h.Name, Value: h.Value}
		if !utf8.ValidString(h.Value) {
			l.Headers[i].ValueBase64 = base64.StdEncoding.EncodeToString([]byte(h.Value))
		}
	}
	if !utf8.ValidString(r.Query) {
		l.QueryBase64 = base64.StdEncoding.EncodeToString([]byte(r.Query))
	}
	return l
}

// Verdict is a signature verdict as an export line (and HAR's _hookscope)
// writes it.
func Verdict(v signature.Verdict) *ExportSignature {
	s := &ExportSignature{Status: v.Status, Scheme: v.Scheme, Detail: v.Detail}
	if v.SecretIndex >= 0 {
		i := v.SecretIndex
		s.SecretIndex = &i
	}
	return s
}

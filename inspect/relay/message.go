package relay

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/store"
)

// Message headers. The captured request's own headers travel as one
// encoded header, so NATS never canonicalises, merges or drops one.
const (
	hdrMethod   = "Hookscope-Method"
	hdrURI      = "Hookscope-Uri" // path with query, as requested
	hdrReceived = "Hookscope-Received"
	hdrHeaders  = "Hookscope-Headers" // base64url of store.EncodeHeaders
	hdrProto    = "Hookscope-Proto"
	hdrHost     = "Hookscope-Host"
	hdrSHA256   = "Hookscope-Body-Sha256"
	hdrInstance = "Hookscope-Instance" // the publishing hookscope
)

// Subject is where a capture is published: hookscope.<channel>.<event>,
// each token made subject-safe, "none" when there is no event.
func Subject(channel, event string) string {
	ev := "none"
	if event != "" {
		parts := strings.Split(event, ".")
		if len(parts) > 8 {
			parts = append(parts[:7], strings.Join(parts[7:], "_"))
		}
		for i, p := range parts {
			parts[i] = token(p)
		}
		ev = strings.Join(parts, ".")
	}
	return "hookscope." + token(channel) + "." + ev
}

// token keeps letters, digits, '-' and '_' and replaces anything else
// (wildcards, separators, spaces, controls) with '_'.
func token(s string) string {
	if s == "" {
		return "_"
	}
	if len(s) > 64 {
		s = s[:64]
	}
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// encode turns a stored capture into its message: the body as captured,
// everything else in headers. No verdict travels: a subscriber judges with
// its own secret.
func encode(channel, instance string, rec *inspect.Record) *nats.Msg {
	m := nats.NewMsg(Subject(channel, rec.Event))
	m.Data = rec.Body
	sum := sha256.Sum256(rec.Body)
	h := m.Header
	h[hdrMethod] = []string{rec.Method}
	h[hdrURI] = []string{rec.URI()}
	h[hdrReceived] = []string{rec.ReceivedAt.UTC().Format(time.RFC3339Nano)}
	h[hdrHeaders] = []string{base64.RawURLEncoding.EncodeToString(store.EncodeHeaders(rec.Headers))}
	h[hdrProto] = []string{oneLine(rec.Proto)}
	h[hdrHost] = []string{oneLine(rec.Host)}
	h[hdrSHA256] = []string{hex.EncodeToString(sum[:])}
	h[hdrInstance] = []string{instance}
	return m
}

// oneLine keeps a value that came off the network from breaking a NATS
// header line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// errBadMessage is a message no hookscope could have published: it is
// terminated, never stored.
var errBadMessage = errors.New("not a hookscope capture")

// decode rebuilds a capture from its message under the publisher's id; the
// caller judges its signature. publisher is the sending hookscope.
func decode(id string, h nats.Header, body []byte) (rec *inspect.Record, publisher string, err error) {
	bad := func(why string) (*inspect.Record, string, error) {
		return nil, "", fmt.Errorf("%w: %s", errBadMessage, why)
	}
	if _, ok := store.IDTime(id); !ok {
		return bad("its Nats-Msg-Id is not a hookscope id")
	}
	publisher = h.Get(hdrInstance)
	if err := inspect.CheckInstance(publisher); err != nil {
		return bad(hdrInstance + " " + err.Error())
	}
	sum := sha256.Sum256(body)
	if h.Get(hdrSHA256) != hex.EncodeToString(sum[:]) {
		return bad("the body does not match its SHA-256")
	}
	at, err := time.Parse(time.RFC3339Nano, h.Get(hdrReceived))
	if err != nil {
		return bad("bad " + hdrReceived)
	}
	raw, err := base64.RawURLEncoding.DecodeString(h.Get(hdrHeaders))
	if err != nil {
		return bad("bad " + hdrHeaders)
	}
	hs, err := store.DecodeHeaders(raw)
	if err != nil {
		return bad("bad " + hdrHeaders)
	}
	method := h.Get(hdrMethod)
	if method == "" {
		return bad("no " + hdrMethod)
	}
	path, query, _ := strings.Cut(h.Get(hdrURI), "?")
	if path == "" {
		path = "/"
	}
	if body == nil {
		body = []byte{}
	}
	rec = &inspect.Record{ID: id, ReceivedAt: at, Method: method, Path: path, Query: query,
		Proto: h.Get(hdrProto), Host: h.Get(hdrHost), RemoteAddr: "team relay", Headers: hs,
		Body: body, Size: int64(len(body)), Relay: publisher}
	return rec, publisher, nil
}

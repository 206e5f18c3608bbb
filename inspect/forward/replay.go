package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Edit is what changes before a replay. The zero Edit replays the request
// exactly as captured.
type Edit struct {
	Body   []byte   // a replacement body (from an editor); nil keeps the captured one
	Sets   []string // path=value edits, applied after Body
	Resign bool     // recompute the signature even if the body is unchanged
	// Secret signs changed bodies; "" leaves the captured signature, which
	// then no longer matches.
	Secret string
	Scheme signature.Scheme // nil = the scheme that judged the capture, else VideoNest
}

// Prepare returns a copy of rec with the edit applied: new body, new
// signature header in place of the old one (same position and spelling).
// notes say what a user should know (e.g. no secret to re-sign with).
func Prepare(rec *inspect.Record, e Edit) (out *inspect.Record, notes []string, err error) {
	cp := *rec
	cp.Headers = append([]inspect.Header(nil), rec.Headers...)
	body := rec.Body
	if e.Body != nil {
		body = e.Body
	}
	for _, s := range e.Sets {
		path, val, err := payload.ParseAssignment(s)
		if err != nil {
			return nil, nil, fmt.Errorf("--set %q: %v", s, err)
		}
		if body, err = payload.Set(body, path, val); err != nil {
			return nil, nil, fmt.Errorf("--set %q: %v", s, err)
		}
	}
	changed := !bytes.Equal(body, rec.Body)
	cp.Body = body
	cp.Size = int64(len(body))
	if !changed && !e.Resign {
		return &cp, nil, nil
	}
	if e.Secret == "" {
		if changed {
			notes = append(notes, "no secret to re-sign with: the edited body keeps the captured signature, which will not verify (pass --secret or set VIDEONEST_WEBHOOK_SECRET)")
		} else {
			return nil, nil, fmt.Errorf("--resign needs a secret: pass --secret, set VIDEONEST_WEBHOOK_SECRET, or run `hookscope config set secret …`")
		}
		return &cp, notes, nil
	}
	scheme := e.Scheme
	if scheme == nil {
		scheme = signature.ByName(rec.Signature.Scheme)
	}
	if scheme == nil {
		scheme = signature.VideoNest{}
	}
	cp.Headers = replaceHeaders(cp.Headers, scheme.Sign(body, e.Secret))
	return &cp, notes, nil
}

// replaceHeaders sets each header of set in hs: the first line with that
// name (any case) keeps its place and spelling, later ones go.
func replaceHeaders(hs []inspect.Header, set http.Header) []inspect.Header {
	for name, vals := range set {
		if len(vals) == 0 {
			continue
		}
		found := false
		out := hs[:0:0]
		for _, h := range hs {
			if strings.EqualFold(h.Name, name) {
				if found {
					continue
				}
				found = true
				h.Value = vals[0]
			}
			out = append(out, h)
		}
		if !found {
			out = append(out, inspect.Header{Name: name, Value: vals[0]})
		}
		hs = out
	}
	return hs
}

// CompactLike compacts an edited JSON body when the captured one was
// compact, so the handler sees the shape VideoNest sends.
func CompactLike(original, edited []byte) []byte {
	if bytes.ContainsAny(bytes.TrimSpace(original), "\n") || !json.Valid(edited) {
		return edited
	}
	var b bytes.Buffer
	if json.Compact(&b, edited) != nil {
		return edited
	}
	return b.Bytes()
}

// Replay delivers rec to url as a replay and records the attempt before
// returning, so `show` sees it at once.
func (f *Forwarder) Replay(ctx context.Context, rec *inspect.Record, url string) (*Result, error) {
	res := f.Send(ctx, rec, url, true)
	if f.o.Store != nil {
		if err := f.o.Store.AddAttempt(ctx, res.Attempt); err != nil {
			return res, err
		}
	}
	if f.o.Bus != nil {
		f.o.Bus.Publish(capture.Event{Type: capture.Forwarded, Record: rec, Attempt: res.Attempt})
	}
	return res, nil
}

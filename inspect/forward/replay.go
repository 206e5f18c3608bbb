package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
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

// ErrRefused is a replay of a request hookscope refused and kept no body of.
var ErrRefused = errors.New("hookscope refused this request and kept no body; there is nothing to replay")

// ErrNoTarget is a replay with nowhere to go.
var ErrNoTarget = errors.New("no target to replay to")

// Replayer is the one replay every command and front end uses: get the
// record, refuse what was refused, apply the edit, re-sign, pick the
// targets, send, and record each attempt (with the body sent, when edited).
type Replayer struct {
	Store     *store.Store
	Forwarder *Forwarder
	Bus       *inspect.Bus // may be nil
	// Secret signs edited bodies ("" leaves the captured signature).
	Secret string
	// Live gives the running session's targets for an event (nil outside a
	// session); Fallback is the config's forward-to, tried last.
	Live       func(event string) []Target
	Fallback   string
	AppendPath bool
}

// ReplayRequest is one replay: the request, where to (nil: where it went
// last, else the live targets, else the config's), and what to change.
type ReplayRequest struct {
	ID   string
	To   []Target
	Edit Edit
}

// Replayed is what a replay did.
type Replayed struct {
	Sent    *inspect.Record // the record as sent (edited and re-signed)
	Edited  bool
	Notes   []string // what the user should know (e.g. no secret to re-sign)
	Results []*Result
}

// Replay sends one captured request again. An error means nothing was
// sent (ErrRefused, ErrNoTarget, a bad edit, an unknown id) or an attempt
// could not be recorded (Results then says what was sent).
func (r *Replayer) Replay(ctx context.Context, req ReplayRequest) (*Replayed, error) {
	rec, err := r.Store.Get(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	if !rec.BodyKept() {
		return nil, fmt.Errorf("%s: %w", rec.ID, ErrRefused)
	}
	e := req.Edit
	if e.Secret == "" {
		e.Secret = r.Secret
	}
	sent, notes, err := Prepare(rec, e)
	if err != nil {
		return nil, err
	}
	urls, err := r.targets(ctx, rec, req.To)
	if err != nil {
		return nil, err
	}
	if rec.Refused == http.StatusUnauthorized {
		notes = append(notes, fmt.Sprintf("%s was refused by --verify-only (signature %s): replaying its bytes anyway", rec.ID, rec.Signature.Status))
	}
	out := &Replayed{Sent: sent, Notes: notes,
		Edited: !bytes.Equal(sent.Body, rec.Body) || !slices.Equal(sent.Headers, rec.Headers)}
	var firstErr error
	for _, u := range urls {
		res := r.Forwarder.Send(ctx, sent, u, true)
		if out.Edited {
			res.Attempt.Edited = true
			res.Attempt.SentBody = sent.Body
		}
		out.Results = append(out.Results, res)
		if err := r.Store.AddAttempt(ctx, res.Attempt); err != nil && firstErr == nil {
			firstErr = err
		}
		if r.Bus != nil {
			r.Bus.Publish(inspect.Event{Type: inspect.Forwarded, Record: rec, Attempt: res.Attempt})
		}
	}
	return out, firstErr
}

// targets picks where a replay goes: the request's own --to, else where it
// went last, else the live targets, else the config's forward-to.
func (r *Replayer) targets(ctx context.Context, rec *inspect.Record, to []Target) ([]string, error) {
	if len(to) > 0 {
		out := make([]string, len(to))
		for i, t := range to {
			out[i] = t.URLFor(rec.Path, rec.Query, r.AppendPath)
		}
		return out, nil
	}
	last, err := r.Store.LastTarget(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	if last != "" {
		return []string{last}, nil
	}
	if r.Live != nil {
		if ts := r.Live(rec.Event); len(ts) > 0 {
			return []string{ts[0].URLFor(rec.Path, rec.Query, r.AppendPath)}, nil
		}
	}
	if r.Fallback != "" {
		t, err := ParseTarget(r.Fallback)
		if err != nil {
			return nil, fmt.Errorf("config forward-to: %v", err)
		}
		return []string{t.URLFor(rec.Path, rec.Query, r.AppendPath)}, nil
	}
	return nil, fmt.Errorf("request %s was never forwarded, so there is no target to replay to: pass --to localhost:3000: %w", rec.ID, ErrNoTarget)
}

package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/edit"
	"github.com/hookscope/hookscope/inspect/fixture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/store"
)

//go:embed assets
var assets embed.FS

func mustAsset(name string) []byte {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build mistake
	}
	return b
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(s.index)
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := assets.ReadFile("assets/" + path.Base(name))
	if err != nil || name == "index.html" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Write(b)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	jsonview.NewEncoder(w).Encode(v)
}

// storeError maps a store error onto a status, in one sentence.
func storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrAmbiguous):
		apiError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.Canceled):
	default:
		apiError(w, http.StatusInternalServerError, err.Error())
	}
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	var pub any
	if s.o.PublicURL != "" {
		pub = s.o.PublicURL
	}
	targets := s.o.Targets
	if targets == nil {
		targets = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"local_url": s.o.LocalURL, "public_url": pub, "forward_to": targets,
		"forwarding": s.o.Session.Forwarding(), "can_resign": s.o.CanResign, "version": s.o.Version})
}

// Paging. A page is newest first; X-Next-Cursor (and Link rel=next) name
// the next older page. after=ID instead returns the requests right after
// ID (the page's live head), newest first, with X-More-Newer when a
// further page of them exists.
const (
	defaultLimit = 50
	maxLimit     = 500
	// scanCap bounds the rows one status-filtered page reads: the store
	// cannot select by handler status, so the page is filtered here.
	scanCap = 5000
)

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			apiError(w, http.StatusBadRequest, "limit must be a number from 1 to 500")
			return
		}
		if n > 0 {
			limit = min(n, maxLimit)
		}
	}
	f, err := inspect.ParseFilter(q.Get("filter"))
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	cursor, after := q.Get("cursor"), q.Get("after")
	if !validID(cursor) || !validID(after) {
		apiError(w, http.StatusBadRequest, "cursor and after take an id as given by the API")
		return
	}
	page, from, more, err := s.page1(r.Context(), f, cursor, after, limit)
	if err != nil {
		storeError(w, err)
		return
	}
	h := w.Header()
	if more && after == "" {
		next := r.URL.Query()
		next.Set("cursor", from)
		h.Set("X-Next-Cursor", from)
		h.Set("Link", `</api/requests?`+next.Encode()+`>; rel="next"`)
	}
	if more && after != "" {
		h.Set("X-More-Newer", "1")
	}
	if cursor == "" && after == "" && !f.Status.Active() {
		if n, err := s.o.Session.Count(r.Context(), f.Query); err == nil {
			h.Set("X-Total-Count", strconv.Itoa(n))
		}
	}
	items := make([]map[string]any, len(page))
	for i := range page {
		items[i] = jsonview.Summary(&page[i])
	}
	writeJSON(w, http.StatusOK, items)
}

// validID: ids are short base-32 strings; anything else is no cursor.
func validID(s string) bool {
	return len(s) <= 32 && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z')
	}) < 0
}

// page1 reads one page of up to limit matching records, newest first.
// from is where the next page in the same direction starts (the last row
// read, matching or not); more says one may exist.
func (s *Server) page1(ctx context.Context, f inspect.Filter, cursor, after string, limit int) (page []inspect.Record, from string, more bool, err error) {
	q := f.Query
	q.Before = cursor
	if after != "" {
		q.Before, q.After, q.Oldest = "", after, true
	}
	batch := limit
	if f.Status.Active() {
		batch = 4 * limit
	}
	scanned := 0
	for {
		q.Limit = batch
		recs, err := s.o.Session.List(ctx, q)
		if err != nil {
			return nil, "", false, err
		}
		for i := range recs {
			if len(page) < limit && f.Status.Match(&recs[i]) {
				page = append(page, recs[i])
			}
		}
		scanned += len(recs)
		if len(recs) > 0 {
			from = recs[len(recs)-1].ID
		}
		if len(recs) < batch {
			break
		}
		if len(page) >= limit || scanned >= scanCap {
			more = true
			break
		}
		if q.Oldest {
			q.After = from
		} else {
			q.Before = from
		}
	}
	if len(page) == limit {
		from, more = page[len(page)-1].ID, true
	}
	if q.Oldest {
		slices.Reverse(page)
	}
	return page, from, more, nil
}

// record resolves the path's id (any unique prefix) and reads it.
func (s *Server) record(w http.ResponseWriter, r *http.Request) (*inspect.Record, bool) {
	id, err := s.o.Session.Resolve(r.Context(), r.PathValue("id"))
	if err != nil {
		storeError(w, err)
		return nil, false
	}
	rec, err := s.o.Session.Get(r.Context(), id)
	if err != nil {
		storeError(w, err)
		return nil, false
	}
	return rec, true
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	atts, err := s.o.Session.Attempts(r.Context(), rec.ID)
	if err != nil {
		storeError(w, err)
		return
	}
	dels, err := s.o.Session.Deliveries(r.Context(), rec.ID)
	if err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, jsonview.Record(rec, atts, dels))
}

// body serves the exact bytes as a download: a browser never renders or
// sniffs them, whatever they hold.
func (s *Server) body(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+rec.ID+`.body"`)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.Itoa(len(rec.Body)))
	w.Write(rec.Body)
}

// curl is the request as a shell command, by the one curl builder: aimed
// at where it was last delivered, else the forward target, else hookscope.
func (s *Server) curl(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	url := strings.TrimSuffix(s.o.LocalURL, "/") + rec.URI()
	atts, err := s.o.Session.Attempts(r.Context(), rec.ID)
	if err != nil {
		storeError(w, err)
		return
	}
	switch {
	case len(atts) > 0:
		url = atts[len(atts)-1].URL
	case len(s.o.Targets) > 0:
		if t, err := forward.ParseTarget(s.o.Targets[0]); err == nil {
			url = t.URLFor(rec.Path, rec.Query, false)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, fixture.Curl(rec, url))
}

// replayBody is POST /api/requests/{id}/replay's optional JSON: where to
// (default: where it went last), a new body (text or base64), --set
// edits, and whether to re-sign.
type replayBody struct {
	To         []string `json:"to"`
	Body       *string  `json:"body"`
	BodyBase64 *string  `json:"body_base64"`
	Set        []string `json:"set"`
	Resign     bool     `json:"resign"`
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	var in replayBody
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 2*s.o.MaxBody+64<<10))
	if err != nil {
		apiError(w, http.StatusRequestEntityTooLarge, "the replay request is too large")
		return
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			apiError(w, http.StatusBadRequest, "the replay request is not valid JSON: "+err.Error())
			return
		}
	}
	id, err := s.o.Session.Resolve(r.Context(), r.PathValue("id"))
	if err != nil {
		storeError(w, err)
		return
	}
	req := forward.ReplayRequest{ID: id, Edit: forward.Edit{Sets: in.Set, Resign: in.Resign}}
	for _, t := range in.To {
		tgt, err := forward.ParseTarget(t)
		if err != nil {
			apiError(w, http.StatusBadRequest, err.Error())
			return
		}
		req.To = append(req.To, tgt)
	}
	switch {
	case in.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*in.BodyBase64)
		if err != nil {
			apiError(w, http.StatusBadRequest, "body_base64 is not base64")
			return
		}
		req.Edit.Body = b
	case in.Body != nil:
		// Typed in the page, pretty-printed: read as the TUI's and
		// replay --edit's edits are (compact when the capture was).
		rec, err := s.o.Session.Get(r.Context(), id)
		if err != nil {
			storeError(w, err)
			return
		}
		if len(bytes.TrimSpace([]byte(*in.Body))) == 0 {
			apiError(w, http.StatusBadRequest, "the edited body is empty: nothing to send")
			return
		}
		original, _, _ := edit.Text(rec.Body)
		if body, unchanged := edit.Result(rec.Body, original, []byte(*in.Body)); unchanged == "" {
			req.Edit.Body = body
		}
	}
	if int64(len(req.Edit.Body)) > s.o.MaxBody {
		apiError(w, http.StatusRequestEntityTooLarge, "the edited body is larger than --max-body")
		return
	}
	out, err := s.o.Session.Replay(r.Context(), req)
	if out == nil {
		code := http.StatusBadRequest
		switch {
		case errors.Is(err, store.ErrNotFound):
			code = http.StatusNotFound
		case errors.Is(err, forward.ErrNoTarget), errors.Is(err, forward.ErrRefused):
			code = http.StatusConflict
		}
		apiError(w, code, err.Error())
		return
	}
	atts := make([]map[string]any, len(out.Results))
	ok := len(out.Results) > 0
	for i, res := range out.Results {
		atts[i] = jsonview.Attempt(res.Attempt)
		if res.Attempt.Status < 200 || res.Attempt.Status > 299 {
			ok = false
		}
	}
	notes := out.Notes
	if notes == nil {
		notes = []string{}
	}
	resp := map[string]any{"id": id, "edited": out.Edited, "notes": notes, "attempts": atts, "ok": ok}
	if err != nil {
		resp["error"] = err.Error()
	}
	writeJSON(w, http.StatusOK, resp)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Resolve turns a user-typed id or unique prefix into a full id.
func (s *Store) Resolve(ctx context.Context, prefix string) (string, error) {
	p, err := NormalizePrefix(prefix)
	if err != nil {
		return "", fmt.Errorf("%q is not a request id (ids use 0-9 and a-z without i, l, o, u): %w", prefix, ErrNotFound)
	}
	lo, hi := prefixRange(p)
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM requests WHERE id >= ? AND id < ? ORDER BY id LIMIT 6`, lo, hi)
	if err != nil {
		return "", fmt.Errorf("cannot read the store: %s", describe(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var key int64
		if err := rows.Scan(&key); err != nil {
			return "", err
		}
		ids = append(ids, idString(key))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("cannot read the store: %s", describe(err))
	}
	switch {
	case len(ids) == 0:
		return "", fmt.Errorf("no request with id %q: %w (run `hookscope list` to see ids)", prefix, ErrNotFound)
	case len(ids) == 1:
		return ids[0], nil
	}
	for _, id := range ids {
		if id == p {
			return id, nil
		}
	}
	more := ""
	if len(ids) > 5 {
		ids, more = ids[:5], ", …"
	}
	return "", fmt.Errorf("id prefix %q is ambiguous: it matches %s%s; type more characters: %w", prefix, strings.Join(ids, ", "), more, ErrAmbiguous)
}

// The forward status is the latest attempt a person or the sender saw:
// the live forward (the answer the sender got) or a replay, before any
// outbox delivery, so a fan-out copy finishing last does not stand in for
// the sender's answer. Under --ack there is only the outbox's.
const recordCols = `r.id, r.received_ns, r.method, r.path, r.query, r.proto, r.host, r.remote, r.size, r.refused,
 r.event, r.sig_status, r.sig_scheme, r.sig_detail, r.sig_secret,
 (SELECT a.status FROM attempts a WHERE a.request_id = r.id ORDER BY a.outbox_id = 0 DESC, a.id DESC LIMIT 1),
 (SELECT a.error FROM attempts a WHERE a.request_id = r.id ORDER BY a.outbox_id = 0 DESC, a.id DESC LIMIT 1),
 r.dup_of,
 (SELECT CASE WHEN count(*) = 0 THEN '' WHEN sum(o.state = 'pending') > 0 THEN 'pending'
   WHEN sum(o.state = 'undelivered') > 0 THEN 'undelivered' ELSE 'delivered' END
  FROM outbox o WHERE o.request_id = r.id),
 r.relay,
 r.answered`

type scanner interface{ Scan(...any) error }

func scanRecord(sc scanner, extra ...any) (inspect.Record, error) {
	var rec inspect.Record
	var key, ns int64
	var status, scheme string
	var fwdStatus sql.NullInt64
	var fwdErr sql.NullString
	var delivery string
	var dupOf int64
	dest := []any{&key, &ns, &rec.Method, &rec.Path, &rec.Query, &rec.Proto, &rec.Host, &rec.RemoteAddr,
		&rec.Size, &rec.Refused, &rec.Event, &status, &scheme, &rec.Signature.Detail, &rec.Signature.SecretIndex,
		&fwdStatus, &fwdErr, &dupOf, &delivery, &rec.Relay, &rec.Answered}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return rec, err
	}
	rec.ID = idString(key)
	rec.ReceivedAt = time.Unix(0, ns)
	rec.Signature.Status = signature.Status(status)
	rec.Signature.Scheme = scheme
	rec.ForwardStatus = int(fwdStatus.Int64)
	rec.ForwardError = fwdErr.String
	rec.Forwarded = fwdStatus.Valid
	rec.Delivery = inspect.DeliveryState(delivery)
	if dupOf != 0 {
		rec.Duplicate, rec.DuplicateOf = true, idString(dupOf)
	}
	return rec, nil
}

// getSQL reads one whole record. Prepared once per store: the deliverer and
// the relay read each record they send, and parsing this query every time
// was a fifth of the relay's CPU.
const getSQL = `SELECT ` + recordCols + `, r.headers, r.body FROM requests r WHERE r.id = ?`

// Get returns the whole record, body and headers included.
func (s *Store) Get(ctx context.Context, id string) (*inspect.Record, error) {
	key, ok := idNumber(id)
	if !ok {
		return nil, fmt.Errorf("no request with id %q: %w", id, ErrNotFound)
	}
	row := s.getStmt.QueryRowContext(ctx, key)
	var hdr, body []byte
	rec, err := scanRecord(row, &hdr, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no request with id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read request %s: %s", id, describe(err))
	}
	rec.Headers, err = DecodeHeaders(hdr)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", id, err)
	}
	rec.Body = body
	return &rec, nil
}

// Query is the list filter every front end shares.
type Query = inspect.Query

func whereClause(q Query) (string, []any) {
	var conds []string
	var args []any
	// Paging bounds compare as ids do; one that is not a full id (a
	// prefix) bounds by its range, so paging never skips or repeats a row.
	if q.Before != "" {
		conds = append(conds, "r.id < ?")
		args = append(args, boundKey(q.Before, false))
	}
	if q.After != "" {
		conds = append(conds, "r.id > ?")
		args = append(args, boundKey(q.After, true))
	}
	if q.Event != "" {
		if strings.ContainsAny(q.Event, "*?") {
			conds = append(conds, "r.event GLOB ?")
		} else {
			conds = append(conds, "r.event = ?")
		}
		args = append(args, q.Event)
	}
	if q.Signature != "" {
		conds = append(conds, "r.sig_status = ?")
		args = append(args, string(q.Signature))
	}
	if !q.Since.IsZero() {
		conds = append(conds, "r.received_ns >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if q.Text != "" {
		// Path, event, headers and body through hs_search (search.go), or
		// an id prefix through the key's range.
		needle := inspect.FoldText(q.Text)
		if p, err := NormalizePrefix(q.Text); err == nil {
			lo, hi := prefixRange(p)
			conds = append(conds, "((r.id >= ? AND r.id < ?) OR hs_search(?, r.path, r.event, r.headers, r.body))")
			args = append(args, lo, hi, needle)
		} else {
			conds = append(conds, "hs_search(?, r.path, r.event, r.headers, r.body)")
			args = append(args, needle)
		}
	}
	if q.Status.Active() {
		c, a := statusCond(q.Status)
		conds = append(conds, c)
		args = append(args, a...)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// lastStatus is the latest attempt's answer (NULL: never attempted), the
// FORWARD column; attempts_request makes it one index probe per row.
const lastStatus = `(SELECT a.status FROM attempts a WHERE a.request_id = r.id ORDER BY a.id DESC LIMIT 1)`

// statusCond is q.Status in SQL; it must agree with StatusFilter.Match
// over the columns recordCols fills in.
func statusCond(f inspect.StatusFilter) (string, []any) {
	owes := func(state inspect.DeliveryState) string {
		return `EXISTS (SELECT 1 FROM outbox o WHERE o.request_id = r.id AND o.state = '` + string(state) + `')`
	}
	switch f.Kind {
	case inspect.ExactStatus:
		return lastStatus + " = ?", []any{f.Code}
	case inspect.ClassStatus:
		return lastStatus + " BETWEEN ? AND ?", []any{f.Code * 100, f.Code*100 + 99}
	case inspect.NotForwarded:
		return "NOT EXISTS (SELECT 1 FROM attempts a WHERE a.request_id = r.id)", nil
	case inspect.NoAnswer:
		return lastStatus + " = 0", nil
	case inspect.Failed:
		return lastStatus + " NOT BETWEEN 200 AND 299", nil
	case inspect.OwedPending:
		return owes(inspect.Pending), nil
	case inspect.OwedUndelivered:
		return "(" + owes(inspect.Undelivered) + " AND NOT " + owes(inspect.Pending) + ")", nil
	case inspect.OwedDelivered:
		return "(" + owes(inspect.Delivered) + " AND NOT " + owes(inspect.Pending) + " AND NOT " + owes(inspect.Undelivered) + ")", nil
	}
	return "1", nil
}

// List returns records without bodies, newest first unless q.Oldest.
func (s *Store) List(ctx context.Context, q Query) ([]inspect.Record, error) {
	where, args := whereClause(q)
	order := " ORDER BY r.id DESC"
	if q.Oldest {
		order = " ORDER BY r.id ASC"
	}
	lim := ""
	if q.Limit > 0 {
		lim = fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+recordCols+` FROM requests r`+where+order+lim, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	defer rows.Close()
	var out []inspect.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read the store: %s", describe(err))
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	return out, nil
}

// Count counts the records matching q (Limit and paging ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	q.Before, q.After, q.Limit = "", "", 0
	where, args := whereClause(q)
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM requests r`+where, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	return n, nil
}

// Attempts lists the deliveries of one request, oldest first.
func (s *Store) Attempts(ctx context.Context, id string) ([]inspect.Attempt, error) {
	key, ok := idNumber(id)
	if !ok {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at_ns, url, status, latency_ns, resp_headers, resp_body,
 error, replay, late, edited, sent_body, outbox_id FROM attempts WHERE request_id = ? ORDER BY id`, key)
	if err != nil {
		return nil, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	defer rows.Close()
	var out []inspect.Attempt
	for rows.Next() {
		var a inspect.Attempt
		var at, lat int64
		var hdr []byte
		a.RequestID = idString(key)
		if err := rows.Scan(&a.ID, &at, &a.URL, &a.Status, &lat, &hdr, &a.RespBody, &a.Error,
			&a.Replay, &a.TimedOutForProvider, &a.Edited, &a.SentBody, &a.DeliveryID); err != nil {
			return nil, fmt.Errorf("cannot read the store: %s", describe(err))
		}
		a.At, a.Latency = time.Unix(0, at), time.Duration(lat)
		a.RespHeaders, _ = DecodeHeaders(hdr)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LastTarget is the URL the request was last forwarded to ("" if never).
func (s *Store) LastTarget(ctx context.Context, id string) (string, error) {
	key, ok := idNumber(id)
	if !ok {
		return "", nil
	}
	var u string
	err := s.r.QueryRowContext(ctx, `SELECT url FROM attempts WHERE request_id = ? ORDER BY id DESC LIMIT 1`, key).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the store: %s", describe(err))
	}
	return u, nil
}

// boundKey turns a paging bound into a row key, keeping the text ids'
// order: a full id is itself, and a prefix sorts just before the ids that
// start with it.
func boundKey(id string, after bool) int64 {
	if k, ok := idNumber(id); ok {
		return k
	}
	if len(id) > idLen {
		// An id and more ("X~", the TUI's "up to and including X"): text
		// order puts it after X and before X's successor.
		if k, ok := idNumber(strings.ToLower(id[:idLen])); ok {
			if after {
				return k
			}
			return k + 1
		}
	}
	p, err := NormalizePrefix(id)
	if err != nil {
		if after {
			return math.MaxInt64
		}
		return -1
	}
	lo, _ := prefixRange(p)
	if after {
		return lo - 1
	}
	return lo
}

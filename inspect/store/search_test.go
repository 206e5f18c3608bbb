package store

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// ids lists what q selects, oldest first, as indexes into all.
func selected(t *testing.T, s *Store, q Query, all []string) []int {
	t.Helper()
	q.Oldest = true
	recs, err := s.List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, r := range recs {
		out = append(out, slices.Index(all, r.ID))
	}
	if q.Before != "" || q.After != "" {
		return out // Count ignores paging
	}
	n, err := s.Count(context.Background(), q)
	if err != nil || n != len(recs) {
		t.Errorf("%+v: Count %d (%v), List %d", q, n, err, len(recs))
	}
	return out
}

func TestListText(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	type row struct {
		path, event, body string
		headers           []inspect.Header
	}
	rows := []row{
		0: {"/webhooks", "video.processed", `{"event":"video.processed","data":{"track":"CAPTIONS-en"}}`, nil},
		1: {"/webhooks", "video.processed", `{}`, []inspect.Header{{Name: "X-Trace", Value: "Blue-Whale"}, {Name: "X-Empty", Value: ""}, {Name: "X-After-Empty", Value: "found-after"}}},
		2: {"/Captions-path", "", `{}`, nil},
		3: {"/webhooks", "", "\x00\xffbinary needle", nil},
		4: {"/webhooks", "video.failed", `{"data":{"reason":"caption track missing"}}`, nil},
		5: {"/webhooks", "video.published", `{"pct":"100%","u":"a_b"}`, nil},
	}
	var ids []string
	for _, r := range rows {
		rec := rec(r.path, r.body)
		rec.Event = r.event
		if r.headers != nil {
			rec.Headers = r.headers
		}
		if err := s.Insert(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	cases := []struct {
		text string
		want []int
	}{
		{"captions", []int{0, 2}},        // a body, a path; case ignored
		{"CAPTION", []int{0, 2, 4}},      // a substring, not a word
		{"blue-whale", []int{1}},         // a header value
		{"x-trace", []int{1}},            // a header name
		{"X-Trace: blue", []int{1}},      // across name and value
		{"found-after", []int{1}},        // after an empty value's NUL length byte
		{"needle", []int{3}},             // after NUL and invalid UTF-8 in the body
		{"VIDEO.FAILED", []int{4}},       // the event (also in no body)
		{"100%", []int{5}},               // LIKE's wildcards are plain text
		{"a_b", []int{5}},                //
		{"%", []int{5}},                  //
		{"nowhere at all", nil},          //
		{"x-b: 1", []int{0, 2, 3, 4, 5}}, // rec's default headers
		{ids[4], []int{4}},               // a whole id
		{"processed\x00", nil},           // a NUL in the text is a byte like any other
	}
	for _, c := range cases {
		if got := selected(t, s, Query{Text: c.text}, ids); !slices.Equal(got, c.want) {
			t.Errorf("Text %q selects %v, want %v", c.text, got, c.want)
		}
	}
	// An id prefix selects the ids it starts (like git's).
	p := ids[4][:10]
	var want []int
	for i, id := range ids {
		if strings.HasPrefix(id, p) {
			want = append(want, i)
		}
	}
	if got := selected(t, s, Query{Text: strings.ToUpper(p)}, ids); !slices.Equal(got, want) {
		t.Errorf("id prefix %q selects %v, want %v", p, got, want)
	}
	// With the other filters, and paged newest first.
	if got := selected(t, s, Query{Text: "caption", Event: "video.*"}, ids); !slices.Equal(got, []int{0, 4}) {
		t.Errorf("caption + video.*: %v", got)
	}
	page, _ := s.List(ctx, Query{Text: "caption", Limit: 1})
	more, _ := s.List(ctx, Query{Text: "caption", Limit: 5, Before: page[0].ID})
	if len(page) != 1 || page[0].ID != ids[4] || len(more) != 2 || more[0].ID != ids[2] || more[1].ID != ids[0] {
		t.Errorf("pages %v then %v", page, more)
	}
}

func TestListStatus(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	type row struct {
		attempts []int // statuses, oldest first; 0 = no answer
		owed     inspect.DeliveryState
	}
	rows := []row{
		0: {},
		1: {attempts: []int{500}},
		2: {attempts: []int{500, 200}}, // fixed by a replay
		3: {attempts: []int{0}},
		4: {attempts: []int{404}},
		5: {attempts: []int{200, 503}}, // broken by a replay
		6: {owed: inspect.Pending},
		7: {attempts: []int{503, 503}, owed: inspect.Undelivered},
		8: {attempts: []int{503, 204}, owed: inspect.Delivered},
		9: {attempts: []int{302}},
	}
	var ids []string
	for _, r := range rows {
		rec := rec("/h", "{}")
		var owed []inspect.Owed
		if r.owed != "" {
			owed = []inspect.Owed{{Sink: inspect.SinkForward, Target: "http://127.0.0.1:1/h"}}
		}
		if err := s.Insert(ctx, rec, owed...); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
		for _, st := range r.attempts {
			a := &inspect.Attempt{RequestID: rec.ID, At: time.Now(), URL: "http://127.0.0.1:1/h", Status: st}
			if st == 0 {
				a.Error = "connection refused"
			}
			if err := s.AddAttempt(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if r.owed != "" && r.owed != inspect.Pending {
			ds, err := s.Deliveries(ctx, rec.ID)
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries %v %v", ds, err)
			}
			d := ds[0]
			d.State, d.Tries = r.owed, len(r.attempts)
			if err := s.FinishDelivery(ctx, &d, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := s.List(ctx, Query{Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		status string
		want   []int
	}{
		{"500", []int{1}},
		{"503", []int{5, 7}},
		{"5xx", []int{1, 5, 7}},
		{"2xx", []int{2, 8}},
		{"ok", []int{2, 8}},
		{"4xx", []int{4}},
		{"3xx", []int{9}},
		{"none", []int{0, 6}},
		{"err", []int{3}},
		{"failed", []int{1, 3, 4, 5, 7, 9}},
		{"pending", []int{6}},
		{"undelivered", []int{7}},
		{"delivered", []int{8}},
	}
	for _, c := range cases {
		f, err := inspect.ParseStatusFilter(c.status)
		if err != nil {
			t.Fatal(err)
		}
		got := selected(t, s, Query{Status: f}, ids)
		if !slices.Equal(got, c.want) {
			t.Errorf("status %s selects %v, want %v", c.status, got, c.want)
		}
		// The SQL and StatusFilter.Match (what a live view applies) agree.
		var match []int
		for i := range all {
			if f.Match(&all[i]) {
				match = append(match, i)
			}
		}
		if !slices.Equal(match, got) {
			t.Errorf("status %s: Match picks %v, the store %v", c.status, match, got)
		}
	}
	f, _ := inspect.ParseStatusFilter("5xx")
	if got := selected(t, s, Query{Status: f, After: ids[1]}, ids); !slices.Equal(got, []int{5, 7}) {
		t.Errorf("5xx after the first: %v", got)
	}
}

func TestPagingBoundAfterAnID(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var ids []string
	for range 3 {
		r := rec("/p", "{}")
		if err := s.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	// The TUI asks for "ids up to and including X" as Before X+"~": "~"
	// sorts after every id character, as the ids' text order has it.
	if got := selected(t, s, Query{Before: ids[1] + "~"}, ids); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("Before %s~ selects %v, want [0 1]", ids[1], got)
	}
	if got := selected(t, s, Query{After: ids[1] + "~"}, ids); !slices.Equal(got, []int{2}) {
		t.Errorf("After %s~ selects %v, want [2]", ids[1], got)
	}
}

func TestUvarintMatchesBinary(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 16383, 16384, 1 << 40, 1<<64 - 1} {
		b := binary.AppendUvarint(nil, v)
		for _, in := range [][]byte{b, b[:len(b)-1], append(b, 0xff)} {
			x, n := binary.Uvarint(in)
			gx, gn := uvarint(string(in))
			if x != gx || n != gn {
				t.Errorf("%x: uvarint = %d, %d; binary.Uvarint = %d, %d", in, gx, gn, x, n)
			}
		}
	}
	over := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	x, n := binary.Uvarint(over)
	if gx, gn := uvarint(string(over)); gx != x || gn != n {
		t.Errorf("overflow: %d, %d; want %d, %d", gx, gn, x, n)
	}
}

// A header value past 127 bytes has a two-byte length: later headers are
// still found.
func TestListTextAfterLongHeader(t *testing.T) {
	s := open(t)
	r := rec("/p", "{}")
	r.Headers = []inspect.Header{{Name: "X-Long", Value: strings.Repeat("v", 300)}, {Name: "X-Next", Value: "findme"}}
	if err := s.Insert(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := selected(t, s, Query{Text: "FINDME"}, []string{r.ID}); !slices.Equal(got, []int{0}) {
		t.Errorf("selects %v", got)
	}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// A store written by schema 1 (text ids with their own index) opens under
// the current schema with every id, row, attempt and duplicate mark intact.
func TestMigrateFromTextIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrations[0]); err != nil {
		t.Fatal(err)
	}
	ids := []string{"0aaaaaaaa001", "0aaaaaaaa002", "zzzzzzzzzzzz", "1bcdefghjkmn"}
	for i, id := range ids {
		dup := ""
		if i == 1 {
			dup = ids[0]
		}
		if _, err := db.Exec(`INSERT INTO requests (id, received_ns, method, path, headers, body, size, event, sig_status, dup_of)
 VALUES (?, ?, 'POST', ?, x'', ?, 2, 'video.processed', 'valid', ?)`, id, int64(i+1), fmt.Sprintf("/p%d", i), []byte{0xff, byte(i)}, dup); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO attempts (request_id, at_ns, url, status, resp_headers, resp_body) VALUES (?, 9, 'http://127.0.0.1:3000/', 201, x'', x'')`, ids[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = 1; PRAGMA application_id = %d`, appID)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	all, err := s.List(ctx, Query{Oldest: true})
	if err != nil || len(all) != len(ids) {
		t.Fatalf("list after migration: %d rows, %v", len(all), err)
	}
	want := []string{ids[0], ids[1], ids[3], ids[2]} // numeric order is text order
	for i, r := range all {
		if r.ID != want[i] {
			t.Errorf("row %d id %s, want %s", i, r.ID, want[i])
		}
	}
	got, err := s.Get(ctx, "zzzzzzzzzzzz")
	if err != nil || got.Path != "/p2" || string(got.Body) != "\xff\x02" {
		t.Errorf("largest id: %+v %v", got, err)
	}
	if all[1].Duplicate != true || all[0].Duplicate {
		t.Errorf("duplicate marks lost: %v %v", all[0].Duplicate, all[1].Duplicate)
	}
	atts, err := s.Attempts(ctx, ids[3])
	if err != nil || len(atts) != 1 || atts[0].Status != 201 || atts[0].RequestID != ids[3] {
		t.Errorf("attempts: %+v %v", atts, err)
	}
	if id, err := s.Resolve(ctx, "1b"); err != nil || id != ids[3] {
		t.Errorf("resolve 1b: %q %v", id, err)
	}
	// New captures land after the migrated ones and can be found.
	r := rec("/new", "{}")
	if err := s.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, r.ID); err != nil || got.Path != "/new" {
		t.Errorf("insert after migration: %v", err)
	}
}

func TestIDNumberRoundTrip(t *testing.T) {
	var g IDGen
	for _, id := range []string{"000000000000", "zzzzzzzzzzzz", "0aaaaaaaa001", g.Next(idEpoch.AddDate(30, 0, 0))} {
		n, ok := idNumber(id)
		if !ok || idString(n) != id {
			t.Errorf("%s → %d → %s", id, n, idString(n))
		}
	}
	for _, bad := range []string{"", "0aaaaaaaa00", "0aaaaaaaa0011", "0aaaaaaaa0u1", "0AAAAAAAA001"} {
		if _, ok := idNumber(bad); ok {
			t.Errorf("%q accepted as an id", bad)
		}
	}
	lo, hi := prefixRange("0a")
	if a, _ := idNumber("0a0000000000"); lo != a {
		t.Errorf("lo %d", lo)
	}
	if z, _ := idNumber("0azzzzzzzzzz"); hi != z+1 {
		t.Errorf("hi %d", hi)
	}
}

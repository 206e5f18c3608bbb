package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startNATS runs a real JetStream server in the test process on 127.0.0.1,
// its file store in dir; port -1 picks one.
func startNATS(t *testing.T, dir string, port int) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s
}

type relayedRow struct {
	id, path, sig, relay string
	body                 []byte
}

// relayedRows reads every request of a store, read-only, by path.
func relayedRows(t *testing.T, db string) (map[string]relayedRow, int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT id, path, body, sig_status, relay FROM requests`)
	if err != nil {
		return nil, 0 // not created yet
	}
	defer rows.Close()
	out, n := map[string]relayedRow{}, 0
	for rows.Next() {
		var r relayedRow
		var key int64
		if err := rows.Scan(&key, &r.path, &r.body, &r.sig, &r.relay); err != nil {
			t.Fatal(err)
		}
		r.id = idOfKey(key)
		out[r.path] = r
		n++
	}
	return out, n
}

// TestTeamRelaySurvivesKillsAndOutages: one publisher, two subscribers, 50
// signed webhooks; a subscriber is killed -9 mid-way and restarted, the
// NATS server stops and comes back on the same port and store while
// webhooks keep arriving, and the publisher is killed -9 right after its
// last acknowledgement. Every subscriber ends with every webhook exactly
// once, under the publisher's ids, byte for byte, with valid verdicts; the
// handler behind one subscriber gets each once, with a signature it
// verifies.
func TestTeamRelaySurvivesKillsAndOutages(t *testing.T) {
	const secret = "whsec_team"
	natsDir := t.TempDir()
	ns := startNATS(t, natsDir, -1)
	port := ns.Addr().(*net.TCPAddr).Port
	url := "nats://127.0.0.1:" + strconv.Itoa(port)

	h := newHandler(t, secret, 200)
	pubEnv, aEnv, bEnv := newEnv(t), newEnv(t), newEnv(t)
	pubArgs := []string{"listen", "--tunnel", "none", "--secret", secret, "--publish", url, "--channel", "e2e"}
	pub := pubEnv.start(pubArgs)
	if team, _ := pub.Ready["team"].(map[string]any); team["role"] != "publish" || team["stream"] != "HOOKSCOPE" {
		t.Fatalf("ready line team: %v", pub.Ready["team"])
	}
	a := aEnv.start([]string{"forward", "--tunnel", "none", "--to", h.URL, "--secret", secret, "--subscribe", url,
		"--consumer", "dev-a", "--channel", "e2e"})
	bArgs := []string{"listen", "--tunnel", "none", "--secret", secret, "--subscribe", url, "--consumer", "dev-b", "--channel", "e2e"}
	b := bEnv.start(bArgs)

	ids := map[string]string{} // path -> id the publisher acknowledged
	bodies := map[string][]byte{}
	send := func(p *proc, i int) {
		body := []byte(fmt.Sprintf(`{"event":"video.encoded","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_%03d","n":%d}}`, i, i))
		path := fmt.Sprintf("/hook/%03d", i)
		code, resp := post(t, p.URL+path+"?q=%FF", body, map[string]string{"X-VideoNest-Signature": sign(body, secret)})
		if code != 200 {
			t.Fatalf("webhook %d: %d %s", i, code, resp)
		}
		ids[path], bodies[path] = idOf(t, resp), body
	}
	waitRows := func(db string, n int, who string) {
		t.Helper()
		for i := 0; i < 600; i++ { // 60 s at most: a bound, not a speed target
			if _, got := relayedRows(t, db); got >= n {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		_, got := relayedRows(t, db)
		t.Fatalf("%s has %d of %d webhooks\nstderr: %s %s", who, got, n, b.errb.String(), a.errb.String())
	}

	for i := 0; i < 15; i++ {
		send(pub, i)
	}
	waitRows(bEnv.db, 5, "subscriber b")
	b.kill() // mid-way: some of the 15 may be stored but not acknowledged to NATS
	for i := 15; i < 25; i++ {
		send(pub, i)
	}
	b = bEnv.start(bArgs)

	// NATS goes away; the publisher still acknowledges every webhook.
	ns.Shutdown()
	ns.WaitForShutdown()
	for i := 25; i < 35; i++ {
		send(pub, i)
	}
	for i := 0; ; i++ {
		m := pub.next("team")
		if m["state"] == "unreachable" && m["pending"].(float64) > 0 {
			break
		}
		if i > 50 {
			t.Fatal("the publisher never said NATS was unreachable with webhooks waiting")
		}
	}
	startNATS(t, natsDir, port)
	for i := 35; i < 50; i++ {
		send(pub, i)
	}
	pub.kill()            // right after its last acknowledgement
	pubEnv.start(pubArgs) // sends what the killed one had not

	waitRows(aEnv.db, 50, "subscriber a")
	waitRows(bEnv.db, 50, "subscriber b")
	for i := 0; i < 600 && h.count() < 50; i++ {
		time.Sleep(100 * time.Millisecond)
	}

	for _, env := range []*env{aEnv, bEnv} {
		rows, n := relayedRows(t, env.db)
		if n != 50 {
			t.Errorf("%s: %d rows, want exactly 50", env.db, n)
		}
		for path, id := range ids {
			r, ok := rows[path]
			switch {
			case !ok:
				t.Errorf("%s missing", path)
			case r.id != id:
				t.Errorf("%s stored as %s, the publisher acknowledged %s", path, r.id, id)
			case !bytes.Equal(r.body, bodies[path]):
				t.Errorf("%s: body changed", path)
			case r.sig != "valid":
				t.Errorf("%s: signature %s", path, r.sig)
			case r.relay == "":
				t.Errorf("%s: not marked as relayed", path)
			}
		}
	}
	h.mu.Lock()
	got := map[string]int{}
	for i, body := range h.bodies {
		got[string(body)]++
		if !h.valid[i] {
			t.Errorf("the handler could not verify %s", body)
		}
	}
	h.mu.Unlock()
	for path, body := range bodies {
		if got[string(body)] != 1 {
			t.Errorf("the handler got %s %d times, want once", path, got[string(body)])
		}
	}
	// list --json says where a record came from.
	out := aEnv.mustRun("list", "--json", "--limit", "1")
	if !strings.Contains(out, `"source": "team"`) && !strings.Contains(out, `"source":"team"`) {
		t.Errorf("list --json does not say the record came from the team: %s", out)
	}
}

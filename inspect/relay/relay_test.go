package relay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

const secret = "whsec_relay"

// natsServer runs a real JetStream server on 127.0.0.1; port 0 picks one.
func natsServer(t *testing.T, dir string, port int) *server.Server {
	t.Helper()
	return natsServerWith(t, dir, port, nil)
}

func natsServerWith(t *testing.T, dir string, port int, tune func(*server.Options)) *server.Server {
	t.Helper()
	if port == 0 {
		port = -1
	}
	o := &server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true}
	if tune != nil {
		tune(o)
	}
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hookscope.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// capture stores a signed webhook the way the capture engine does, owing
// it a publish.
func capture(t *testing.T, st *store.Store, i int) *inspect.Record {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"event":"video.encoded","data":{"n":%d}}`, i))
	rec := &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks", Query: "a=1&b=%FF",
		Proto: "HTTP/1.1", Host: "example.test", RemoteAddr: "127.0.0.1:1",
		Headers: []inspect.Header{{Name: "content-type", Value: "application/json"}, {Name: "X-VideoNest-Signature", Value: sign(body)},
			{Name: "X-Dup", Value: "1"}, {Name: "x-dup", Value: "2"}},
		Body: body, Size: int64(len(body)), Event: "video.encoded"}
	if err := st.Insert(context.Background(), rec, inspect.Owed{Sink: inspect.SinkPublish, Target: "nats"}); err != nil {
		t.Fatal(err)
	}
	return rec
}

func run(t *testing.T, o Options) *Relay {
	t.Helper()
	if o.Channel == "" {
		o.Channel = "test"
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	return r
}

func start(t *testing.T, r *Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// waitFor polls cond at most 30 s: a bound for a broken build, not a speed
// assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// published waits until st has nothing left to publish.
func published(t *testing.T, st *store.Store) {
	t.Helper()
	waitFor(t, "the outbox to empty", func() bool { n, _ := st.Pending(context.Background(), inspect.SinkPublish); return n == 0 })
}

// client is a plain JetStream client of srv, as another program would be.
func client(t *testing.T, srv *server.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func count(t *testing.T, st *store.Store) int {
	n, err := st.Count(context.Background(), inspect.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPublishSubscribeKeepsIDsBytesAndJudgesLocally(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	pub, sub, wrongSecret := openStore(t), openStore(t), openStore(t)
	var recs []*inspect.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, capture(t, pub, i))
	}
	// Half are handed over as the capture engine does after its commit,
	// and published from memory; the rest are read from the store.
	p, err := New(Options{URL: srv.ClientURL(), Channel: "test", Publish: true, Instance: "hookscope-pub", Store: pub})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		if i%2 == 0 {
			cp := *rec
			p.Committed(&cp)
		}
	}
	start(t, p)
	bus := &inspect.Bus{}
	events := bus.Subscribe()
	run(t, Options{URL: srv.ClientURL(), Subscribe: true, Consumer: "alice", Instance: "hookscope-a", Store: sub,
		Secrets: []string{secret}, Bus: bus, Owed: func(rec *inspect.Record) []inspect.Owed {
			return []inspect.Owed{{Sink: inspect.SinkForward, Target: "http://127.0.0.1:1/x"}}
		}})
	run(t, Options{URL: srv.ClientURL(), Subscribe: true, Consumer: "bob", Instance: "hookscope-b", Store: wrongSecret,
		Secrets: []string{"not-it"}})
	waitFor(t, "both subscribers", func() bool { return count(t, sub) == len(recs) && count(t, wrongSecret) == len(recs) })
	published(t, pub)

	ctx := context.Background()
	for _, want := range recs {
		got, err := sub.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("%s not in the subscriber's store: %v", want.ID, err)
		}
		if !bytes.Equal(got.Body, want.Body) || got.Method != want.Method || got.URI() != want.URI() ||
			!got.ReceivedAt.Equal(want.ReceivedAt) || got.Relay != "hookscope-pub" || got.Event != "video.encoded" {
			t.Errorf("%s relayed as %+v", want.ID, got)
		}
		if fmt.Sprint(got.Headers) != fmt.Sprint(want.Headers) {
			t.Errorf("headers changed: %v, want %v", got.Headers, want.Headers)
		}
		if got.Signature.Status != signature.Valid {
			t.Errorf("%s: signature %s with the right secret", got.ID, got.Signature.Status)
		}
		if ds, _ := sub.Deliveries(ctx, want.ID); len(ds) != 1 || ds[0].Sink != inspect.SinkForward {
			t.Errorf("%s owes %+v, want one forward", want.ID, ds)
		}
		other, _ := wrongSecret.Get(ctx, want.ID)
		if other.Signature.Status != signature.Invalid {
			t.Errorf("%s: signature %s with the wrong secret", got.ID, other.Signature.Status)
		}
		if ds, _ := pub.Deliveries(ctx, want.ID); len(ds) != 1 || ds[0].State != inspect.Delivered {
			t.Errorf("publisher's row %+v", ds)
		}
	}
	// The front ends heard of each relayed capture.
	seen := 0
	waitFor(t, "events", func() bool {
		for _, e := range events.Drain() {
			if e.Type == inspect.Captured && e.Record.Relay != "" {
				seen++
			}
		}
		return seen == len(recs)
	})
}

func TestRedeliveryAndOwnMessagesAreNoOps(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	st := openStore(t)
	rec := capture(t, st, 1)
	// Publishes and subscribes into the same store: its own message is
	// skipped, and a copy under another publisher's name is a no-op too.
	run(t, Options{URL: srv.ClientURL(), Publish: true, Subscribe: true, Consumer: "self", Instance: "hookscope-me", Store: st})
	published(t, st)

	js := client(t, srv)
	m := encode("test", "hookscope-other", rec)
	// The same capture published again by another hookscope under a new
	// id is stored once under that id; publishing it twice more (the
	// stream drops the second) changes nothing.
	m2 := encode("test", "hookscope-other", rec)
	id2 := st.NewID(rec.ReceivedAt)
	for _, x := range []struct {
		m  *nats.Msg
		id string
	}{{m, rec.ID}, {m2, id2}, {m2, id2}} {
		if _, err := js.PublishMsg(context.Background(), x.m, jetstream.WithMsgID(x.id)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the copy", func() bool { return count(t, st) == 2 })
	s, _ := js.Stream(context.Background(), DefaultStream)
	c, _ := s.Consumer(context.Background(), "self")
	waitFor(t, "every message acked", func() bool {
		ci, err := c.Info(context.Background())
		return err == nil && ci.NumAckPending == 0 && ci.NumPending == 0
	})
	if n := count(t, st); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
	got, _ := st.Get(context.Background(), rec.ID)
	if got.Relay != "" {
		t.Errorf("the local capture became a relayed one: %q", got.Relay)
	}
}

func TestPublishWaitsForNATSAndKeepsOrder(t *testing.T) {
	// A port nobody listens on yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := "nats://127.0.0.1:" + strconv.Itoa(port)

	st := openStore(t)
	bus := &inspect.Bus{}
	events := bus.Subscribe()
	r := run(t, Options{URL: url, Publish: true, Instance: "hookscope-pub", Store: st, Bus: bus})
	var ids []string
	for i := 0; i < 30; i++ {
		ids = append(ids, capture(t, st, i).ID)
		r.Wake()
	}
	var down inspect.TeamState
	waitFor(t, "an unreachable state with the backlog", func() bool {
		for _, e := range events.Drain() {
			if e.Type == inspect.Team && e.Team.State == "unreachable" && e.Team.Pending == len(ids) {
				down = *e.Team
				return true
			}
		}
		return false
	})
	if down.Detail == "" || !bytes.Contains([]byte(down.Detail), []byte("NATS")) {
		t.Errorf("detail %q does not name NATS", down.Detail)
	}

	srv := natsServer(t, t.TempDir(), port)
	published(t, st)

	js := client(t, srv)
	s, err := js.Stream(context.Background(), DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		m, err := s.GetMsg(context.Background(), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != id {
			t.Fatalf("stream message %d is %s, want %s: not in arrival order", i+1, got, id)
		}
		if m.Subject != "hookscope.test.video.encoded" {
			t.Errorf("subject %q", m.Subject)
		}
	}
	if r.State().State != "connected" {
		t.Errorf("state %+v", r.State())
	}
}

func TestExistingStreamIsUsedAsItIs(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	js := client(t, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "TEAM", Subjects: []string{"hookscope.>"},
		Storage: jetstream.MemoryStorage, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	capture(t, st, 1)
	run(t, Options{URL: srv.ClientURL(), Stream: "TEAM", MaxAge: 24 * time.Hour, Publish: true, Instance: "p", Store: st})
	waitFor(t, "the publish", func() bool { n, _ := st.Pending(ctx, inspect.SinkPublish); return n == 0 })
	s, _ := js.Stream(ctx, "TEAM")
	info, _ := s.Info(ctx)
	if info.Config.MaxAge != time.Hour || info.Config.Storage != jetstream.MemoryStorage || info.State.Msgs != 1 {
		t.Errorf("stream reconfigured or not used: %+v %+v", info.Config, info.State)
	}
}

func TestSubject(t *testing.T) {
	for _, c := range []struct{ channel, event, want string }{
		{"videonest", "video.encoded", "hookscope.videonest.video.encoded"},
		{"videonest", "", "hookscope.videonest.none"},
		{"team a", "video.*.>", "hookscope.team_a.video._._"},
		{"x.y", "a..b", "hookscope.x_y.a._.b"},
		{"c", "a\r\nb", "hookscope.c.a__b"},
	} {
		if got := Subject(c.channel, c.event); got != c.want {
			t.Errorf("Subject(%q, %q) = %q, want %q", c.channel, c.event, got, c.want)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                    "nats://127.0.0.1:4222",
		"nats://alice:s3cret@h:4222":               "nats://alice:xxxxx@h:4222",
		"nats://tok3n@h:4222,tls://bob:pw@h2:4222": "nats://xxxxx@h:4222,tls://bob:xxxxx@h2:4222",
		"alice:s3cret@h:4222":                      "xxxxx@h:4222",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeRefusesWhatNoHookscopeSent(t *testing.T) {
	st := openStore(t)
	rec := capture(t, st, 1)
	m := encode("c", "p", rec)
	if _, _, err := decode(rec.ID, m.Header, m.Data); err != nil {
		t.Fatal(err)
	}
	if _, _, err := decode(rec.ID, m.Header, append([]byte("x"), m.Data...)); err == nil {
		t.Error("a changed body was accepted")
	}
	if _, _, err := decode("nope", m.Header, m.Data); err == nil {
		t.Error("a bad id was accepted")
	}
	h := nats.Header{}
	if _, _, err := decode(rec.ID, h, m.Data); err == nil {
		t.Error("a message without headers was accepted")
	}
	// The publisher's name is shown in lists and headers: plain and short.
	for _, who := range []string{"hookscope-a\x1b[2J", strings.Repeat("h", 65), ""} {
		m := encode("c", who, rec)
		if _, _, err := decode(rec.ID, m.Header, m.Data); err == nil || !strings.Contains(err.Error(), hdrInstance) {
			t.Errorf("publisher %q: %v", who, err)
		}
	}
}

func TestRefusedStreamIsSaid(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	js := client(t, srv)
	// Another stream already holds the subjects: HOOKSCOPE cannot be made.
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"hookscope.>"}}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	capture(t, st, 1)
	bus := &inspect.Bus{}
	events := bus.Subscribe()
	run(t, Options{URL: srv.ClientURL(), Publish: true, Instance: "p", Store: st, Bus: bus})
	waitFor(t, "an error state", func() bool {
		for _, e := range events.Drain() {
			if e.Type == inspect.Team && e.Team.State == "error" && e.Team.Pending == 1 &&
				bytes.Contains([]byte(e.Team.Detail), []byte("HOOKSCOPE")) {
				return true
			}
		}
		return false
	})
}

// TestCommittedIsBounded: what the relay keeps in memory for its next
// publishes has a ceiling however many captures come, large bodies are
// read from the store when their turn comes, and while NATS is away
// captures wait in the outbox only.
func TestCommittedIsBounded(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	st := openStore(t)
	capture(t, st, 1)
	r := run(t, Options{URL: srv.ClientURL(), Publish: true, Instance: "hookscope-p", Store: st})
	published(t, st)
	waitFor(t, "publishes to flow", r.flowing)
	for i := 0; i < 10*hotRows; i++ {
		r.Committed(&inspect.Record{ID: strconv.Itoa(i), Body: make([]byte, 1000)})
		r.hotMu.Lock()
		n, b := len(r.hot), r.hotBytes
		r.hotMu.Unlock()
		if n > hotRows || b > hotBytes {
			t.Fatalf("after %d captures: %d kept, %d bytes", i+1, n, b)
		}
	}
	r.Committed(&inspect.Record{ID: "big", Body: make([]byte, hotBody+1)})
	if r.committed("big") != nil {
		t.Error("a body over the webhook size was kept in memory")
	}
	last := strconv.Itoa(10*hotRows - 1)
	if rec := r.committed(last); rec == nil || r.committed(last) != nil {
		t.Error("the newest capture is not kept exactly once")
	}

	away, err := New(Options{URL: "nats://127.0.0.1:1", Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	away.Committed(&inspect.Record{ID: "x", Body: []byte("{}")})
	if away.committed("x") != nil {
		t.Error("a capture was kept in memory with no NATS to publish it to")
	}
}

// TestCreatedStreamHasTheLimitsAsked: a stream the relay creates keeps
// messages on disk for --stream-max-age up to --stream-max-bytes, and a
// replica count one server cannot hold is said, not swallowed.
func TestCreatedStreamHasTheLimitsAsked(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	st := openStore(t)
	capture(t, st, 1)
	run(t, Options{URL: srv.ClientURL(), Stream: "LIMITS", MaxAge: 36 * time.Hour, MaxBytes: 64 << 20,
		Publish: true, Instance: "p", Store: st})
	published(t, st)
	js := client(t, srv)
	s, err := js.Stream(context.Background(), "LIMITS")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.MaxAge != 36*time.Hour || cfg.MaxBytes != 64<<20 || cfg.Storage != jetstream.FileStorage ||
		cfg.Discard != jetstream.DiscardOld || cfg.Replicas != 1 {
		t.Errorf("created stream: %+v", cfg)
	}

	// A second stream name on a server that has one: NATS refuses the
	// overlap, and the state names the stream to use.
	stOther := openStore(t)
	capture(t, stOther, 4)
	busOther := &inspect.Bus{}
	other := busOther.Subscribe()
	run(t, Options{URL: srv.ClientURL(), Stream: "OTHER", Publish: true, Instance: "p4", Store: stOther, Bus: busOther})
	waitFor(t, "the stream to use", func() bool {
		for _, e := range other.Drain() {
			if e.Type == inspect.Team && e.Team.State == "error" && strings.Contains(e.Team.Detail, "pass --stream LIMITS") {
				return true
			}
		}
		return false
	})

	st2 := openStore(t)
	capture(t, st2, 2)
	bus := &inspect.Bus{}
	events := bus.Subscribe()
	run(t, Options{URL: srv.ClientURL(), Stream: "R3", Replicas: 3, Publish: true, Instance: "p2", Store: st2, Bus: bus})
	waitFor(t, "the refusal", func() bool {
		for _, e := range events.Drain() {
			if e.Type == inspect.Team && e.Team.State == "error" && strings.Contains(e.Team.Detail, "R3") &&
				strings.Contains(strings.ToLower(e.Team.Detail), "replica") {
				return true
			}
		}
		return false
	})
	if _, err := New(Options{URL: "nats://127.0.0.1:1", Publish: true, Replicas: 6}); err == nil {
		t.Error("6 replicas accepted")
	}
}

// TestSubscriberSaysHowFarBehind: a subscriber that cannot store yet says
// how many of the stream's messages wait for it, and once it has stored
// them, that it is no longer behind.
func TestSubscriberSaysHowFarBehind(t *testing.T) {
	t.Parallel() // waits for the count to last (lagSeconds)
	srv := natsServer(t, t.TempDir(), 0)
	pub := openStore(t)
	for i := 0; i < 30; i++ {
		capture(t, pub, i)
	}
	run(t, Options{URL: srv.ClientURL(), Publish: true, Instance: "p", Store: pub})
	published(t, pub)

	teamEvents := func(bus *inspect.Bus) func(func(inspect.TeamState) bool) func() bool {
		sub := bus.Subscribe()
		return func(want func(inspect.TeamState) bool) func() bool {
			return func() bool {
				for _, e := range sub.Drain() {
					if e.Type == inspect.Team && want(*e.Team) {
						return true
					}
				}
				return false
			}
		}
	}
	// A store that refuses every row: the messages stay with NATS.
	closed := openStore(t)
	closed.Close()
	bus := &inspect.Bus{}
	saw := teamEvents(bus)
	r, err := New(Options{URL: srv.ClientURL(), Channel: "test", Subscribe: true, Consumer: "carol", Instance: "s", Store: closed, Bus: bus})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "30 behind", saw(func(s inspect.TeamState) bool {
		return s.State == "connected" && s.Behind == 30 && strings.HasSuffix(s.Summary(), "NATS connected, 30 behind")
	}))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	st := openStore(t)
	r = run(t, Options{URL: srv.ClientURL(), Subscribe: true, Consumer: "carol", Instance: "s", Store: st})
	waitFor(t, "the 30 stored", func() bool { return count(t, st) == 30 })
	waitFor(t, "no longer behind", func() bool { s := r.State(); return s.State == "connected" && s.Behind == 0 })
}

// captureBody stores a capture with the given body, owing a publish.
func captureBody(t *testing.T, st *store.Store, body []byte) *inspect.Record {
	t.Helper()
	rec := &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks", Proto: "HTTP/1.1",
		Headers: []inspect.Header{{Name: "X-VideoNest-Signature", Value: sign(body)}}, Body: body, Size: int64(len(body))}
	if err := st.Insert(context.Background(), rec, inspect.Owed{Sink: inspect.SinkPublish, Target: "nats"}); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestTooLargeToPublishDoesNotBlockTheRest: a capture larger than the
// server's max_payload, or than the stream's max_msg_size, is given up
// with the reason and counted in the team state; every capture after it
// is published.
func TestTooLargeToPublishDoesNotBlockTheRest(t *testing.T) {
	srv := natsServerWith(t, t.TempDir(), 0, func(o *server.Options) { o.MaxPayload = 8 << 10 })
	js := client(t, srv)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "SMALL", Subjects: []string{"hookscope.>"},
		MaxMsgSize: 4 << 10}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	var recs []*inspect.Record
	for i := 0; i < 3; i++ {
		recs = append(recs, capture(t, st, i))
	}
	overServer := captureBody(t, st, bytes.Repeat([]byte("a"), 10<<10))
	overStream := captureBody(t, st, bytes.Repeat([]byte("b"), 5<<10))
	for i := 3; i < 6; i++ {
		recs = append(recs, capture(t, st, i))
	}
	bus := &inspect.Bus{}
	events := bus.Subscribe()
	r := run(t, Options{URL: srv.ClientURL(), Stream: "SMALL", Publish: true, Instance: "hookscope-p", Store: st, Bus: bus})
	published(t, st)
	s, err := js.Stream(context.Background(), "SMALL")
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Info(context.Background()); info.State.Msgs != uint64(len(recs)) {
		t.Errorf("the stream holds %d messages, want the %d that fit", info.State.Msgs, len(recs))
	}
	ctx := context.Background()
	for rec, want := range map[*inspect.Record]string{overServer: "max_payload of 8.0 KiB", overStream: "stream SMALL refuses a message"} {
		ds, _ := st.Deliveries(ctx, rec.ID)
		if len(ds) != 1 || ds[0].State != inspect.Undelivered || !strings.Contains(ds[0].LastError, want) {
			t.Errorf("the large capture's row: %+v, want undelivered saying %q", ds, want)
		}
	}
	waitFor(t, "the count in the team state", func() bool {
		for _, e := range events.Drain() {
			if e.Type == inspect.Team && e.Team.TooLarge == 2 && strings.Contains(e.Team.Summary(), "2 too large to publish") {
				return true
			}
		}
		return false
	})
	if r.State().TooLarge != 2 {
		t.Errorf("state %+v", r.State())
	}
}

// TestShortLivedStream: a stream kept for less than the 2 minutes a
// duplicate is remembered is made with a window that fits, rather than
// NATS refusing it and every capture waiting forever.
func TestShortLivedStream(t *testing.T) {
	srv := natsServer(t, t.TempDir(), 0)
	st := openStore(t)
	capture(t, st, 1)
	run(t, Options{URL: srv.ClientURL(), Stream: "SHORT", MaxAge: 90 * time.Second, Publish: true, Instance: "p", Store: st})
	published(t, st)
	s, err := client(t, srv).Stream(context.Background(), "SHORT")
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.CachedInfo().Config; cfg.MaxAge != 90*time.Second || cfg.Duplicates != 90*time.Second {
		t.Errorf("stream config %+v", cfg)
	}
}

// TestRefusedPublishesAreSaid: connected to a server whose stream refuses
// what it is sent (full, discarding new messages), the relay says so and
// keeps the captures waiting, rather than calling itself connected.
func TestRefusedPublishesAreSaid(t *testing.T) {
	t.Parallel()
	srv := natsServer(t, t.TempDir(), 0)
	if _, err := client(t, srv).CreateStream(context.Background(), jetstream.StreamConfig{Name: "FULL", Subjects: []string{"hookscope.>"},
		MaxMsgs: 1, Discard: jetstream.DiscardNew}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	for i := 0; i < 3; i++ {
		capture(t, st, i)
	}
	bus := &inspect.Bus{}
	events := bus.Subscribe()
	run(t, Options{URL: srv.ClientURL(), Stream: "FULL", Publish: true, Instance: "hookscope-p", Store: st, Bus: bus})
	waitFor(t, "the refusal", func() bool {
		for _, e := range events.Drain() {
			if e.Type == inspect.Team && e.Team.State == "error" && e.Team.Pending == 2 &&
				strings.Contains(e.Team.Detail, "does not acknowledge publishes") {
				return true
			}
		}
		return false
	})
}

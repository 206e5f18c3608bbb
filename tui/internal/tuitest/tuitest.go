// Package tuitest holds what the terminal UI's tests share: fixture
// records (hostile ones included), many generated requests (which
// internal/storetest seeds a real store with), and a driver that feeds a model
// messages and runs its commands the way Bubble Tea would, in order. It
// is for tests only and must not be imported by the UI itself.
package tuitest

import (
	"fmt"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Now is the fixed clock of every test.
var Now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Clock returns Now.
func Clock() time.Time { return Now }

// ID is the i-th fixture id: fixed, so goldens do not change between runs,
// sorting by arrival like the store's own, after every generated id and
// before any id the store hands out today.
func ID(i int) string { return fmt.Sprintf("02%010d", i) }

const sigHeader = signature.VideoNestHeader

// Fixtures are eight requests, oldest first, covering every verdict, a
// refused body, a duplicate, and bytes that must never reach a terminal.
func Fixtures() []inspect.Record {
	at := func(i int) time.Time { return Now.Add(-time.Duration(9-i) * time.Minute) }
	ready := []byte(`{"event":"video.ready","timestamp":"2025-06-01T11:51:00Z","data":{"id":"vid_123","status":"ready","duration":12.50,"tags":["a","b"],"hd":true,"thumb":null}}`)
	recs := []inspect.Record{
		{Method: "POST", Path: "/webhooks", Body: ready, Event: "video.ready",
			Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}, {Name: sigHeader, Value: "5f2b6f0e9c1d4a7b8e3f2a1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"}, {Name: "User-Agent", Value: "VideoNest-Webhooks/2.1"}},
			Signature: signature.Verdict{Status: signature.Valid, Scheme: "videonest", Detail: "matched the configured secret", SecretIndex: 0}},
		{Method: "POST", Path: "/webhooks", Event: "video.failed",
			Body:      []byte(`{"event":"video.failed","data":{"id":"vid_9","status":"failed","error_code":"codec_unsupported"}}`),
			Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}, {Name: sigHeader, Value: "deadbeef00112233445566778899aabbccddeeff00112233445566778899aabb"}},
			Signature: signature.Verdict{Status: signature.Invalid, Scheme: "videonest", Detail: "mismatch: expected 1a2b3c4d…, received deadbeef…", SecretIndex: -1}},
		// Escape sequences in the path, a header (OSC 52 would set the
		// clipboard, 2J clear the screen) and a text body.
		{Method: "POST", Path: "/hook/\x1b[2J\x1b]0;pwned\x07", Query: "a=\x1b[31mred",
			Headers:   []inspect.Header{{Name: "X-Evil", Value: "\x1b]52;c;cm0gLXJmIH4=\x07"}, {Name: "Content-Type", Value: "text/plain"}},
			Body:      []byte("line one\n\x1b[31mred\x1b[0m and \u202etxt.exe\r\noverwrite\u009b31m"),
			Signature: signature.Verdict{Status: signature.Missing, Scheme: "videonest", Detail: "no X-VideoNest-Signature header", SecretIndex: -1}},
		{Method: "POST", Path: "/upload", Headers: []inspect.Header{{Name: "Content-Type", Value: "application/octet-stream"}},
			Body:      append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 40)...),
			Signature: signature.Verdict{Status: signature.Missing, Scheme: "videonest", Detail: "no X-VideoNest-Signature header", SecretIndex: -1}},
		{Method: "PUT", Path: "/bad-utf8/\xff\xfe", Headers: []inspect.Header{{Name: "X-Bytes", Value: "caf\xe9"}},
			Body:      []byte("caf\xe9 \xff\xfe au lait"),
			Signature: signature.Verdict{Status: signature.Unchecked, Detail: "no secret configured: set --secret or VIDEONEST_WEBHOOK_SECRET", SecretIndex: -1}},
		{Method: "POST", Path: "/webhooks", Refused: 413, Size: 20 << 20,
			Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}},
			Signature: signature.Verdict{Status: signature.Unchecked, SecretIndex: -1, Detail: "body not kept: over --max-body"}},
		{Method: "POST", Path: "/webhooks", Body: ready, Event: "video.ready",
			Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}, {Name: sigHeader, Value: "5f2b6f0e9c1d4a7b8e3f2a1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e"}},
			Signature: signature.Verdict{Status: signature.Valid, Scheme: "videonest", Detail: "matched secret #2 of 2", SecretIndex: 1}},
		{Method: "POST", Path: "/webhooks/videonest/with/a/rather/long/path/that/will/not/fit", Event: "video.transcoding.progress",
			Body:      []byte(`{"event":"video.transcoding.progress","data":{"id":"vid_77","progress":0.5}}`),
			Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}, {Name: sigHeader, Value: "00"}},
			Signature: signature.Verdict{Status: signature.Invalid, Scheme: "videonest", Detail: "signature is 1 bytes, want 32", SecretIndex: -1}},
	}
	for i := range recs {
		recs[i].ID = ID(i + 1)
		recs[i].ReceivedAt = at(i)
		recs[i].Proto = "HTTP/1.1"
		recs[i].Host = "127.0.0.1:8080"
		recs[i].RemoteAddr = "127.0.0.1:5" + fmt.Sprint(1000+i)
		if recs[i].Refused == 0 {
			recs[i].Size = int64(len(recs[i].Body))
		}
	}
	return recs
}

// FixtureAttempts are deliveries for some fixtures: a 200, a 500 with a
// hostile answer, and one with no answer.
func FixtureAttempts() []inspect.Attempt {
	return []inspect.Attempt{
		{RequestID: ID(1), At: Now.Add(-8*time.Minute + 12*time.Millisecond), URL: "http://localhost:3000/webhooks", Status: 200,
			Latency: 12 * time.Millisecond, RespHeaders: []inspect.Header{{Name: "Content-Type", Value: "application/json"}}, RespBody: []byte(`{"ok":true}`)},
		{RequestID: ID(2), At: Now.Add(-7 * time.Minute), URL: "http://localhost:3000/webhooks", Status: 500,
			Latency: 1500 * time.Millisecond, RespHeaders: []inspect.Header{{Name: "X-Trace", Value: "\x1b[5mblink"}}, RespBody: []byte("boom\x1b[2J\n  at handler.js:12")},
		{RequestID: ID(7), At: Now.Add(-2 * time.Minute), URL: "http://localhost:3000/webhooks", Error: "connection refused",
			Latency: 3 * time.Millisecond},
		{RequestID: ID(1), At: Now.Add(-1 * time.Minute), URL: "http://localhost:3000/webhooks", Status: 202, Replay: true,
			Latency: 11 * time.Second, TimedOutForProvider: true},
	}
}

// GeneratedID is the id of the i-th generated request (0 = oldest).
func GeneratedID(i int) string { return fmt.Sprintf("01%010d", i) }

var events = []string{"video.ready", "video.failed", "video.created", "video.transcoding.progress", "upload.completed"}

// Generated is the i-th of n generated requests (0 = oldest).
func Generated(i, n int) inspect.Record {
	ev := events[i%len(events)]
	body := fmt.Sprintf(`{"event":%q,"timestamp":"2025-06-01T11:00:00Z","data":{"id":"vid_%d","status":"ok","n":%d}}`, ev, i, i)
	st := signature.Valid
	switch {
	case i%7 == 0:
		st = signature.Invalid
	case i%11 == 0:
		st = signature.Missing
	}
	return inspect.Record{
		ID: GeneratedID(i), ReceivedAt: Now.Add(-time.Duration(n-i) * time.Second),
		Method: "POST", Path: "/webhooks", Proto: "HTTP/1.1", Host: "127.0.0.1:8080", RemoteAddr: "127.0.0.1:40000",
		Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}, {Name: sigHeader, Value: "ab"}},
		Body:      []byte(body),
		Size:      int64(len(body)),
		Event:     ev,
		Signature: signature.Verdict{Status: st, Scheme: "videonest", SecretIndex: -1},
	}
}

// GeneratedAttempts are the deliveries of n generated requests: every
// tenth of the newest 2000, every fourth of those a 500.
func GeneratedAttempts(n int) []inspect.Attempt {
	var out []inspect.Attempt
	for i := 0; i < n && i < 2000; i += 10 {
		out = append(out, inspect.Attempt{RequestID: GeneratedID(n - 1 - i), At: Now, URL: "http://localhost:3000/webhooks",
			Status: []int{200, 200, 200, 500}[i/10%4], Latency: time.Duration(i+1) * time.Millisecond})
	}
	return out
}

// GeneratedOf returns the generator of n requests, for storetest.SeedMany.
func GeneratedOf(n int) func(i int) inspect.Record {
	return func(i int) inspect.Record { return Generated(i, n) }
}

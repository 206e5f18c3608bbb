package payload_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/payload"
)

// benchBody is a realistic ~1 KB VideoNest delivery: envelope fields
// first, a data object with the usual extras after.
var benchBody = []byte(`{
  "event": "distribution.failed",
  "timestamp": "2026-03-30T10:15:00Z",
  "delivery_id": "dlv_01HQZ7ZK4W9N3M2V8X5C6B7A1D",
  "data": {
    "id": "vid_abc123",
    "title": "My Video Title — a longer title with unicode: 日本語 ✓",
    "description": "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.",
    "status": "failed",
    "duration": 142,
    "size_bytes": 12345678901234567890,
    "aspect": 1.7777777777777777,
    "channel_id": "ch_abc123",
    "feed_id": "feed_9f8e7d6c",
    "partner_name": "Acme Streaming Partners Ltd.",
    "error_code": "FEED_TIMEOUT",
    "error_message": "partner endpoint did not answer within 30s (attempt 3 of 5); will retry with backoff",
    "tags": ["news", "sports", "highlights", "2026", "playoffs", "overtime"],
    "thumbnails": [
      {"w": 320, "h": 180, "url": "https://cdn.videonest.example/t/vid_abc123/320.jpg"},
      {"w": 1280, "h": 720, "url": "https://cdn.videonest.example/t/vid_abc123/1280.jpg"}
    ],
    "published": true,
    "deleted_at": null
  }
}`)

func BenchmarkDecode(b *testing.B) {
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			env := payload.Decode(benchBody)
			if env.Status != "failed" {
				b.Fatal(env)
			}
		}
	})
	// Baseline: what a straightforward implementation would do.
	b.Run("map-unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(benchBody, &m); err != nil {
				b.Fatal(err)
			}
			d, _ := m["data"].(map[string]any)
			if s, _ := d["status"].(string); s != "failed" {
				b.Fatal(m)
			}
		}
	})
	b.Run("struct-unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			var v struct {
				Event, Timestamp string
				Data             struct{ ID, Status, ErrorCode string }
			}
			if err := json.Unmarshal(benchBody, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("text", func(b *testing.B) {
		body := []byte(strings.Repeat("plain text log line with no structure\n", 27))
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			payload.Decode(body)
		}
	})
}

func BenchmarkPretty(b *testing.B) {
	b.Run("json-1KB", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			payload.Pretty(benchBody)
		}
	})
	b.Run("binary-64KiB", func(b *testing.B) {
		body := make([]byte, 64<<10)
		for i := range body {
			body[i] = byte(i * 7)
		}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			payload.Pretty(body)
		}
	})
}

func BenchmarkHighlight(b *testing.B) {
	pretty := payload.Pretty(benchBody)
	b.SetBytes(int64(len(pretty)))
	b.ReportAllocs()
	for b.Loop() {
		payload.Highlight(pretty, testPalette)
	}
}

func BenchmarkSanitize(b *testing.B) {
	clean := strings.Repeat("POST /hooks/videonest — héllo 日本語 ok\n", 24)
	dirty := strings.Repeat("POST /hooks/\x1b[31mvideonest\x1b[0m \u202eéxe\n", 24)
	for _, c := range []struct{ name, in string }{{"clean", clean}, {"dirty", dirty}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			for b.Loop() {
				payload.Sanitize(c.in)
			}
		})
	}
}

func BenchmarkSet(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := payload.Set(benchBody, "data.status", "ready"); err != nil {
			b.Fatal(err)
		}
	}
}

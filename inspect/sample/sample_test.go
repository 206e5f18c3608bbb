package sample

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect/payload"
)

func TestBodiesHaveTheDocumentedShape(t *testing.T) {
	now := time.Date(2026, 3, 30, 10, 15, 0, 123, time.FixedZone("CEST", 7200))
	for _, e := range Events() {
		t.Run(e.Name, func(t *testing.T) {
			b, err := Body(e.Name, now)
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Event     string
				Timestamp string
				Data      map[string]any
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if m.Event != e.Name || m.Timestamp != "2026-03-30T08:15:00Z" {
				t.Errorf("envelope %s", b)
			}
			keys := []string{"id", "title", "status", "duration", "channel_id"}
			switch e.Name {
			case "video.failed":
				keys = append(keys, "error_code")
			case "distribution.completed":
				keys = append(keys, "feed_id", "partner_name")
			case "distribution.failed":
				keys = append(keys, "feed_id", "partner_name", "error_code", "error_message")
			}
			if len(m.Data) != len(keys) {
				t.Errorf("data has %d fields, want %v: %s", len(m.Data), keys, b)
			}
			for _, k := range keys {
				if _, ok := m.Data[k]; !ok {
					t.Errorf("data lacks %s: %s", k, b)
				}
			}
			if !strings.HasPrefix(m.Data["id"].(string), "vid_") || !strings.HasPrefix(m.Data["channel_id"].(string), "ch_") {
				t.Errorf("ids %s", b)
			}
			// The body reads the way the capture path reads VideoNest's.
			if env := payload.Decode(b); env.Event != e.Name || env.Kind != payload.JSON {
				t.Errorf("decoded %+v", env)
			}
			if !strings.HasPrefix(string(b), `{"event":"`+e.Name+`","timestamp":`) {
				t.Errorf("field order: %s", b)
			}
		})
	}
}

func TestFreshIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		b, _ := Body("video.processed", time.Now())
		id := payload.Decode(b).DataID
		if seen[id] {
			t.Fatalf("id %s repeated", id)
		}
		seen[id] = true
	}
}

func TestUnknownEvent(t *testing.T) {
	_, err := Body("video.deleted", time.Now())
	if err == nil || !strings.Contains(err.Error(), "distribution.failed") {
		t.Fatalf("err %v", err)
	}
}

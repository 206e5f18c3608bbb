package jsonview

import (
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// TestEveryShapeSaysWhereARecordCameFrom: a live --json line, list's and
// show's shapes and an export line agree on a record's origin.
func TestEveryShapeSaysWhereARecordCameFrom(t *testing.T) {
	local := &inspect.Record{ID: "06bfce0sc5tv", ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks"}
	team := *local
	team.Relay = "hookscope-3f9a0c12d4e5"
	for _, tc := range []struct {
		rec       *inspect.Record
		src, from string
	}{{local, SourceLocal, ""}, {&team, SourceTeam, team.Relay}} {
		shapes := map[string]map[string]any{"request event": RequestEvent(tc.rec), "list row": Summary(tc.rec), "show": Record(tc.rec, nil, nil)}
		for name, m := range shapes {
			relay, has := m["relay"]
			if m["source"] != tc.src || (tc.from == "") == has || has && relay != tc.from {
				t.Errorf("%s of a %s capture: source %v, relay %v", name, tc.src, m["source"], relay)
			}
		}
		if l := Export(tc.rec); l.Source != tc.src || l.Relay != tc.from {
			t.Errorf("export line of a %s capture: source %q, relay %q", tc.src, l.Source, l.Relay)
		}
	}
}

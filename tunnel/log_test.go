package tunnel

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

type authLike struct {
	Version   string
	Authtoken string
}

func TestLoggerRedacts(t *testing.T) {
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		if json {
			h = slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		}
		log := newLogger(slog.New(h), testToken)

		log.Error("authentication failed: Your authtoken: "+testToken, "err", errors.New("bad token "+testToken))
		log.With("token", testToken).Info("with")
		log.WithGroup("g").Debug("group", slog.Group("inner", "v", testToken))
		log.Debug("struct", "req", authLike{Version: "3", Authtoken: testToken})
		log.Debug("pointer", "req", &authLike{Authtoken: testToken})
		log.Info("clean", "n", 42, "s", "plain")

		out := buf.String()
		if strings.Contains(out, testToken) {
			t.Errorf("json=%v: the authtoken reached the log:\n%s", json, out)
		}
		if got := strings.Count(out, redacted); got < 6 {
			t.Errorf("json=%v: %d redactions; want at least 6:\n%s", json, got, out)
		}
		if !strings.Contains(out, "component") || !strings.Contains(out, "plain") {
			t.Errorf("json=%v: clean records were changed:\n%s", json, out)
		}
	}
}

func TestNilLoggerDiscards(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)

	newLogger(nil, testToken).Error("must go nowhere")
	if buf.Len() != 0 {
		t.Fatalf("a nil Logger fell back to slog.Default: %s", buf.String())
	}
}

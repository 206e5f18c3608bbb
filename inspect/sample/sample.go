// Package sample builds realistic VideoNest webhook bodies for the five
// documented events, in the shape VideoNest's webhook page gives, with
// fresh ids and the current time, so a handler can be exercised before
// VideoNest ever calls it. It only makes bytes: it never sends, signs or
// stores anything.
package sample

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Event is one documented event type.
type Event struct {
	Name        string
	Description string
}

// events are VideoNest's documented types, with the page's own wording.
var events = []Event{
	{"video.processed", "A video has finished transcoding and is ready for playback."},
	{"video.published", "A video has been published and is live on one or more distribution feeds."},
	{"video.failed", "A video failed to process (carries an error_code)."},
	{"distribution.completed", "A distribution push to a specific partner completed (feed_id, partner_name)."},
	{"distribution.failed", "A distribution push to a specific partner failed (feed_id, partner_name, error_code, error_message)."},
}

// Events lists the documented event types in the page's order.
func Events() []Event { return append([]Event(nil), events...) }

// Known reports whether name is a documented event type.
func Known(name string) bool {
	for _, e := range events {
		if e.Name == name {
			return true
		}
	}
	return false
}

// Field order follows the page's example; encoding/json keeps struct order.
type envelope struct {
	Event     string `json:"event"`
	Timestamp string `json:"timestamp"`
	Data      data   `json:"data"`
}

type data struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Status       string `json:"status"`
	Duration     int    `json:"duration"`
	ChannelID    string `json:"channel_id"`
	FeedID       string `json:"feed_id,omitempty"`
	PartnerName  string `json:"partner_name,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

var (
	titles = []string{"Product Launch Keynote", "Behind the Scenes: Studio Tour", "Weekly Recap — Episode 42",
		"How We Ship: Release Day", "Customer Story: Northwind", "Q3 Town Hall"}
	partners      = []string{"Roku", "Samsung TV Plus", "Pluto TV", "Amazon Fire TV", "YouTube"}
	videoFailures = []string{"transcode_failed", "unsupported_codec", "source_unreadable"}
	distFailures  = []struct{ code, msg string }{
		{"partner_rejected", "The partner rejected the feed item: closed captions are required."},
		{"feed_unreachable", "The partner's ingest endpoint did not answer within 30 seconds."},
		{"invalid_metadata", "The partner requires a thumbnail of at least 1280x720."},
	}
)

// Body returns a compact JSON body for event, timestamped now (UTC,
// seconds, as on the page), with fresh random ids.
func Body(event string, now time.Time) ([]byte, error) {
	if !Known(event) {
		names := make([]string, len(events))
		for i, e := range events {
			names[i] = e.Name
		}
		return nil, fmt.Errorf("unknown event %q; VideoNest sends %s", event, strings.Join(names, ", "))
	}
	env := envelope{Event: event, Timestamp: now.UTC().Format("2006-01-02T15:04:05Z"), Data: data{
		ID:        "vid_" + randID(10),
		Title:     pick(titles),
		Duration:  30 + randInt(3570),
		ChannelID: "ch_" + randID(8),
	}}
	d := &env.Data
	switch event {
	case "video.processed":
		d.Status = "ready"
	case "video.published":
		d.Status = "published"
	case "video.failed":
		d.Status = "failed"
		d.ErrorCode = pick(videoFailures)
	case "distribution.completed":
		d.Status = "published"
		d.FeedID, d.PartnerName = "feed_"+randID(8), pick(partners)
	case "distribution.failed":
		d.Status = "failed"
		d.FeedID, d.PartnerName = "feed_"+randID(8), pick(partners)
		f := distFailures[randInt(len(distFailures))]
		d.ErrorCode, d.ErrorMessage = f.code, f.msg
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randID(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[randInt(len(idAlphabet))]
	}
	return string(b)
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

func pick(s []string) string { return s[randInt(len(s))] }

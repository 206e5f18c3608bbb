package cmd

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/relay"
)

// minStreamBytes is the least --stream-max-bytes: NATS's default
// max_payload, so any message the server takes fits in the stream.
const minStreamBytes = 1 << 20

// teamFlags are the team relay's flags, shared by listen and forward.
type teamFlags struct {
	publish   string
	subscribe string
	consumer  string
	channel   string
	stream    string
	maxAge    time.Duration
	maxBytes  string
	replicas  int
	since     time.Duration
	creds     string
}

func addTeamFlags(fs *pflag.FlagSet, t *teamFlags) {
	fs.StringVar(&t.publish, "publish", "", "publish every capture to the team's NATS JetStream (nats://host:4222; config key publish)")
	fs.StringVar(&t.subscribe, "subscribe", "", "store (and forward) the team's captures from NATS JetStream (nats://host:4222; config key subscribe)")
	fs.StringVar(&t.consumer, "consumer", "", "durable consumer name for --subscribe (default: from your user and host names and the store, so each store gets every webhook)")
	fs.StringVar(&t.channel, "channel", relay.DefaultChannel, "team relay channel: subjects are hookscope.<channel>.<event>")
	fs.StringVar(&t.stream, "stream", relay.DefaultStream, "JetStream stream (created on subjects hookscope.> if missing; an existing one is used as it is)")
	fs.DurationVar(&t.maxAge, "stream-max-age", relay.DefaultMaxAge, "how long a stream hookscope creates keeps messages")
	fs.StringVar(&t.maxBytes, "stream-max-bytes", "1GiB", "size cap of a stream hookscope creates; the oldest messages go first (e.g. 512MiB, 10GiB)")
	fs.IntVar(&t.replicas, "stream-replicas", 1, "copies of a stream hookscope creates, on a NATS cluster (1-5; 3 survives a server's loss)")
	fs.DurationVar(&t.since, "since", 0, "where a new --subscribe consumer starts, e.g. 2h (default: everything the stream holds)")
	fs.StringVar(&t.creds, "nats-creds", "", "NATS JWT credentials file")
}

// options maps the flags and config keys onto relay options; nil when the
// relay is off.
func (t *teamFlags) options(fc *fileConfig, dbPath string) (*relay.Options, error) {
	pub, sub := t.publish, t.subscribe
	if pub == "" {
		pub = fc.Publish
	}
	if sub == "" {
		sub = fc.Subscribe
	}
	if pub == "" && sub == "" {
		return nil, nil
	}
	if pub != "" && sub != "" && pub != sub {
		return nil, usageErrorf("--publish and --subscribe name different NATS servers (%s, %s): one relay connects to one server or cluster",
			relay.Mask(pub), relay.Mask(sub))
	}
	if t.maxAge < 0 || t.since < 0 {
		return nil, usageErrorf("--stream-max-age and --since must be positive durations such as 168h or 2h")
	}
	maxBytes, err := payload.ParseSize(t.maxBytes)
	if err != nil || maxBytes < minStreamBytes {
		return nil, usageErrorf("--stream-max-bytes %q: %v", t.maxBytes,
			errOr(err, "must be at least 1MiB: a stream smaller than one message drops each message as it arrives"))
	}
	if t.replicas < 1 || t.replicas > relay.MaxReplicas {
		return nil, usageErrorf("--stream-replicas %d: a JetStream stream has 1 to %d replicas", t.replicas, relay.MaxReplicas)
	}
	url := pub
	if url == "" {
		url = sub
	}
	consumer := t.consumer
	if consumer == "" && sub != "" {
		consumer = defaultConsumer(dbPath)
	}
	o := &relay.Options{URL: url, Creds: t.creds, Stream: t.stream, Channel: t.channel, MaxAge: t.maxAge,
		MaxBytes: maxBytes, Replicas: t.replicas, Publish: pub != "", Subscribe: sub != "", Consumer: consumer, Since: t.since}
	if t.creds != "" {
		if _, err := os.Stat(t.creds); err != nil {
			return nil, usageErrorf("--nats-creds %s: %v", t.creds, err)
		}
	}
	if err := relay.Check(*o); err != nil {
		return nil, usageError{err}
	}
	return o, nil
}

// defaultConsumer names a durable consumer after the user, the machine
// and the store: two hookscopes on one laptop with their own stores each
// get every webhook, where one consumer name would split the stream
// between them. The same store keeps its name, and its place, across
// restarts.
func defaultConsumer(dbPath string) string {
	name := "hookscope"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "-" + strings.Split(h, ".")[0]
	}
	if abs, err := filepath.Abs(dbPath); err == nil {
		dbPath = abs
	}
	sum := sha256.Sum256([]byte(filepath.Clean(dbPath)))
	name = fmt.Sprintf("%.40s-%x", name, sum[:3])
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/sample"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/tunnel"
	"github.com/spf13/cobra"
)

type triggerOptions struct {
	to            string
	secrets       []string
	sets          []string
	payloadFile   string
	list          bool
	retrySchedule string
	timeScale     float64
	timeout       time.Duration
}

// videoNestRetries is the page's schedule after a failed delivery: 1 min,
// 5 min, 30 min, then "undelivered" (4 attempts in all).
var videoNestRetries = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}

func newTriggerCmd(f *Factory) *cobra.Command {
	o := &triggerOptions{}
	c := &cobra.Command{
		Use:   "trigger EVENT",
		Short: "Send a realistic, signed VideoNest event to listen or straight to your handler",
		Long: `trigger sends a sample of one of VideoNest's five events, in the documented
shape with fresh ids and the current time, signed with your secret.

Without --to it goes to the running "hookscope listen" on this store (at the
path listen --path names, else /), so it shows in the TUI, is stored and is
forwarded like a real delivery; with none running, trigger says so. With
--to it goes straight to that URL, and is stored here first, with every
attempt, so list and show see it either way.

--set data.status=failed edits a field (dotted path; the value is JSON when it
parses, else a string); --payload FILE (or -) sends your own body instead.

--retry-schedule videonest plays VideoNest's policy on a failed delivery
(non-2xx, or no answer within --timeout, 10s): retries after 1 min, 5 min and
30 min, then "undelivered", 4 attempts in all. --time-scale N divides the waits
(600: 0.1s, 0.5s, 3s).

Exit status: 0 when a delivery got a 2xx, 1 otherwise.`,
		Example: `  hookscope trigger --list
  hookscope trigger video.processed
  hookscope trigger distribution.failed --set data.partner_name=Roku
  hookscope trigger video.failed --to localhost:3000/webhooks --secret "$SECRET"
  hookscope trigger video.processed --to :3000/webhooks --retry-schedule videonest --time-scale 600
  hookscope trigger --payload body.json --to :3000/webhooks`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, e := range sample.Events() {
				names = append(names, e.Name+"\t"+e.Description)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error { return triggerRun(c, f, o, args) },
	}
	fs := c.Flags()
	fs.StringVar(&o.to, "to", "", "send straight to this URL (3000, :3000/webhooks, https://…) instead of the running listen")
	fs.StringArrayVar(&o.secrets, "secret", nil, "signing secret (env VIDEONEST_WEBHOOK_SECRET); the first is used")
	addSecretFileFlag(fs, &o.secrets)
	fs.StringArrayVar(&o.sets, "set", nil, "edit a field before sending: data.status=failed (repeatable)")
	fs.StringVar(&o.payloadFile, "payload", "", "send this file's bytes (- for stdin) instead of a sample")
	fs.BoolVar(&o.list, "list", false, "list the events trigger can send")
	fs.StringVar(&o.retrySchedule, "retry-schedule", "", "on failure, retry as VideoNest does: videonest (1 min, 5 min, 30 min)")
	fs.Float64Var(&o.timeScale, "time-scale", 1, "divide the retry waits by this (600: 1 min becomes 0.1s)")
	fs.DurationVar(&o.timeout, "timeout", forward.ProviderTimeout, "a delivery with no answer after this long has failed (VideoNest: 10s; 0 = wait forever)")
	return c
}

func triggerRun(c *cobra.Command, f *Factory, o *triggerOptions, args []string) error {
	ctx := c.Context()
	if o.list {
		tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
		for _, e := range sample.Events() {
			fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Description)
		}
		return tw.Flush()
	}
	switch {
	case len(args) == 0 && o.payloadFile == "":
		return usageErrorf("trigger needs an event (see hookscope trigger --list) or --payload FILE")
	case len(args) == 1 && o.payloadFile != "":
		return usageErrorf("give an event or --payload FILE, not both")
	case o.timeout < 0:
		return usageErrorf("--timeout must be 0 (wait forever) or more")
	case o.timeScale <= 0:
		return usageErrorf("--time-scale must be more than 0")
	case c.Flags().Changed("time-scale") && o.retrySchedule == "":
		return usageErrorf("--time-scale only applies with --retry-schedule videonest")
	}
	schedule := []time.Duration{0}
	switch strings.ToLower(o.retrySchedule) {
	case "":
	case "videonest":
		schedule = append(schedule, videoNestRetries...)
	default:
		return usageErrorf("--retry-schedule must be videonest, not %q", o.retrySchedule)
	}

	body, err := triggerBody(f, o, args)
	if err != nil {
		return err
	}
	secrets, _, err := f.Secrets(o.secrets)
	if err != nil {
		return err
	}
	hdrs := []inspect.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "User-Agent", Value: "hookscope-trigger/" + version}}
	if len(secrets) > 0 {
		hdrs = append(hdrs, inspect.Header{Name: signature.VideoNestHeader, Value: signature.VideoNest{}.Compute(body, secrets[0])})
	} else {
		fmt.Fprintln(f.IO.ErrOut, "Note: no signing secret, so this request carries no "+signature.VideoNestHeader+"; pass --secret or set VIDEONEST_WEBHOOK_SECRET.")
	}

	d, err := newDestination(f, o, body, hdrs, secrets)
	if err != nil {
		return err
	}
	defer d.close()
	event := payload.Decode(body).Event
	if event == "" {
		event = "request"
	}
	w := f.IO.Out
	for i, wait := range schedule {
		if i > 0 {
			scaled := time.Duration(float64(wait) / o.timeScale)
			select {
			case <-time.After(scaled):
			case <-ctx.Done():
				return fmt.Errorf("interrupted after %d attempts; the event was not delivered", i)
			}
		}
		r := d.send(ctx)
		prefix := ""
		if len(schedule) > 1 {
			prefix = fmt.Sprintf("attempt %d/%d  ", i+1, len(schedule))
		}
		fmt.Fprintf(w, "%s%s → %s  %s  %s%s\n", prefix, payload.SanitizeLine(event), payload.SanitizeLine(d.url),
			r.result(), inspect.FormatLatency(r.latency), r.stored())
		if r.ok() {
			if len(schedule) > 1 && i > 0 {
				fmt.Fprintf(w, "delivered on attempt %d of %d\n", i+1, len(schedule))
			}
			return nil
		}
		if s := snippetOf(r.body); s != "" {
			fmt.Fprintln(w, "  "+s)
		}
		switch {
		case i+1 < len(schedule):
			next := schedule[i+1]
			fmt.Fprintf(w, "  failed: VideoNest retries in %s", span(next))
			if o.timeScale != 1 {
				fmt.Fprintf(w, " (waiting %s at --time-scale %g)", time.Duration(float64(next)/o.timeScale).Round(time.Millisecond), o.timeScale)
			}
			fmt.Fprintln(w)
		case len(schedule) > 1:
			fmt.Fprintf(w, "undelivered after %d attempts: VideoNest records the event as undelivered in your webhook log\n", len(schedule))
		default:
			fmt.Fprintln(w, "  failed: VideoNest would retry this (after 1 min, 5 min, 30 min); --retry-schedule videonest plays that out")
		}
	}
	return exitError{exitFail}
}

// triggerBody is the sample (or --payload) with --set edits applied.
func triggerBody(f *Factory, o *triggerOptions, args []string) ([]byte, error) {
	var body []byte
	var err error
	switch {
	case o.payloadFile == "-":
		body, err = io.ReadAll(f.IO.In)
	case o.payloadFile != "":
		body, err = os.ReadFile(o.payloadFile)
	default:
		body, err = sample.Body(args[0], time.Now())
		if err != nil {
			return nil, usageErrorf("%v (see hookscope trigger --list)", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the payload: %v", err)
	}
	for _, s := range o.sets {
		p, v, err := payload.ParseAssignment(s)
		if err != nil {
			return nil, usageErrorf("--set %v", err)
		}
		if body, err = payload.Set(body, p, v); err != nil {
			return nil, usageErrorf("--set %q: %v", s, err)
		}
	}
	return body, nil
}

// delivery is one attempt's outcome, whoever stored it.
type delivery struct {
	status  int
	latency time.Duration
	err     string
	id      string // the stored request
	body    []byte
}

func (r delivery) ok() bool { return r.err == "" && r.status >= 200 && r.status <= 299 }

func (r delivery) result() string {
	if r.err != "" {
		return payload.SanitizeLine(r.err)
	}
	return fmt.Sprint(r.status)
}

func (r delivery) stored() string {
	if r.id == "" {
		return ""
	}
	return "  (stored as " + r.id + ")"
}

// destination is where trigger sends: the running listen (which stores
// and forwards), or a URL of the user's (trigger stores, then sends).
type destination struct {
	url    string
	client *http.Client
	body   []byte
	hdrs   []inspect.Header

	// Set when trigger stores the request itself.
	fwd *forward.Forwarder
	rec *inspect.Record
	st  *store.Store
}

func newDestination(f *Factory, o *triggerOptions, body []byte, hdrs []inspect.Header, secrets []string) (*destination, error) {
	d := &destination{body: body, hdrs: hdrs, client: &http.Client{Timeout: o.timeout,
		Transport:     &http.Transport{Proxy: nil, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	db, err := f.DBPath()
	if err != nil {
		return nil, err
	}
	listens := runningListens(db)
	if o.to == "" {
		if len(listens) == 0 {
			return nil, fmt.Errorf("no hookscope listen is running on this store (%s); start `hookscope listen` in another terminal, or send straight to your handler with --to localhost:3000/webhooks", db)
		}
		if len(listens) > 1 {
			fmt.Fprintf(f.IO.ErrOut, "Note: %d listens are running on this store; sending to the newest, %s.\n", len(listens), listens[0].URL)
		}
		// The path VideoNest would post to: the one listen --path shows.
		d.url = tunnel.EndpointURL(listens[0].URL, listens[0].Path)
		if d.url == strings.TrimRight(listens[0].URL, "/") {
			d.url += "/"
		}
		return d, nil
	}
	t, err := forward.ParseTarget(o.to)
	if err != nil {
		return nil, usageError{err}
	}
	warnRemote(f, []forward.Target{t})
	d.url = t.URLFor("/", "", false)
	for _, l := range listens {
		if lu, err := url.Parse(l.URL); err == nil && sameHostPort(lu, t.URL) {
			return d, nil // that listen stores it; storing here too would count it twice
		}
	}
	st, err := f.Store()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(d.url)
	h := http.Header{}
	for _, x := range hdrs {
		h.Add(x.Name, x.Value)
	}
	d.rec = &inspect.Record{ReceivedAt: time.Now(), Method: http.MethodPost, Path: u.EscapedPath(), Query: u.RawQuery,
		Proto: "HTTP/1.1", Host: u.Host, RemoteAddr: "hookscope trigger", Headers: hdrs, Body: body,
		Size: int64(len(body)), Event: payload.Decode(body).Event,
		Signature: signature.Judge(signature.Default(), "", h, body, secrets)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.Insert(ctx, d.rec); err != nil {
		return nil, fmt.Errorf("cannot store the triggered request: %v", err)
	}
	providerTimeout := o.timeout
	if providerTimeout == 0 {
		providerTimeout = forward.ProviderTimeout
	}
	d.fwd = forward.New(forward.Options{Timeout: o.timeout, ProviderTimeout: providerTimeout})
	d.st = st
	return d, nil
}

func sameHostPort(a, b *url.URL) bool {
	norm := func(u *url.URL) string {
		h := u.Hostname()
		if h == "localhost" {
			h = "127.0.0.1"
		}
		p := u.Port()
		if p == "" {
			p = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		return h + ":" + p
	}
	return norm(a) == norm(b)
}

func (d *destination) close() {
	if d.fwd != nil {
		d.fwd.Close()
	}
	d.client.CloseIdleConnections()
}

func (d *destination) send(ctx context.Context) delivery {
	if d.rec != nil {
		// The record keeps the Host it was sent to; the copy on the wire
		// must not gain an X-Forwarded-Host naming the handler itself.
		wire := *d.rec
		wire.Host, wire.ID = "", d.rec.ID
		a := d.fwd.Send(ctx, &wire, d.url, false).Attempt
		a.RequestID = d.rec.ID
		a.Error = strings.ReplaceAll(a.Error, "(--forward-timeout)", "(--timeout)")
		if err := d.st.AddAttempt(ctx, a); err != nil {
			a.Error = strings.TrimSpace(a.Error + " (not recorded: " + err.Error() + ")")
		}
		return delivery{status: a.Status, latency: a.Latency, err: a.Error, id: d.rec.ID, body: a.RespBody}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return delivery{err: err.Error()}
	}
	for _, h := range d.hdrs {
		// Keep the spelling VideoNest uses (X-VideoNest-Signature): the map
		// key is written as is.
		req.Header[h.Name] = append(req.Header[h.Name], h.Value)
	}
	start := time.Now()
	resp, err := d.client.Do(req)
	r := delivery{latency: time.Since(start)}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.err = fmt.Sprintf("no answer from %s within %s (--timeout)", d.url, d.client.Timeout)
		} else {
			r.err = fmt.Sprintf("hookscope listen at %s did not answer (did it stop?)", d.url)
		}
		return r
	}
	r.body, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r.latency = time.Since(start)
	r.status, r.id = resp.StatusCode, resp.Header.Get("X-Hookscope-Id")
	return r
}

// snippetOf shows the start of an answer body on one safe line.
func snippetOf(b []byte) string {
	s := strings.TrimSpace(payload.SanitizeLine(string(b)))
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return s
}

// span writes a wait the way VideoNest's page does.
func span(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return d.String()
}

package forward

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Target is where a handler listens, as the user named it.
type Target struct {
	Raw string   // what the user typed
	URL *url.URL // normalised: scheme, host:port, path (maybe empty)
}

// ParseTarget accepts the forms developers type: 3000, 3000/webhooks,
// :3000, localhost:3000, localhost:3000/webhooks, http://host:port/path,
// https://….
func ParseTarget(s string) (Target, error) {
	raw := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("empty forward target: give a port (3000) or a URL (http://localhost:3000/webhooks)")
	}
	// A bare port, with or without a path: 3000, 3000/webhooks.
	port, _, _ := strings.Cut(s, "/")
	if _, err := strconv.Atoi(port); err == nil {
		s = "localhost:" + s
	} else if strings.HasPrefix(s, ":") {
		s = "localhost" + s
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("forward target %q is not a URL: %v", raw, urlErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Target{}, fmt.Errorf("forward target %q: scheme must be http or https, not %q", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return Target{}, fmt.Errorf("forward target %q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("forward target %q: port must be 1 to 65535", raw)
		}
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("forward target %q: credentials in the URL are not supported", raw)
	}
	if u.Fragment != "" {
		u.Fragment = ""
	}
	if u.Path == "/" {
		u.Path, u.RawPath = "", ""
	}
	return Target{Raw: raw, URL: u}, nil
}

func urlErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

func (t Target) String() string { return t.URL.String() }

// URLFor joins the target with an incoming request's path and query.
//
// The rule: a target without a path receives the incoming path
// (--to :3000 sends /webhooks to :3000/webhooks); a target with a path
// receives exactly that path (--to :3000/hooks sends everything to /hooks),
// like `stripe listen --forward-to`. appendPath (--append-path) appends the
// incoming path to the target's path instead (:3000/api + /hooks →
// /api/hooks). The incoming query is always kept, after the target's own.
func (t Target) URLFor(escapedPath, rawQuery string, appendPath bool) string {
	u := *t.URL
	switch {
	case u.Path == "":
		setPath(&u, escapedPath)
	case appendPath && escapedPath != "" && escapedPath != "/":
		base := u.EscapedPath()
		setPath(&u, strings.TrimSuffix(base, "/")+"/"+strings.TrimPrefix(escapedPath, "/"))
	}
	switch {
	case u.RawQuery == "":
		u.RawQuery = rawQuery
	case rawQuery != "":
		u.RawQuery += "&" + rawQuery
	}
	return u.String()
}

func setPath(u *url.URL, escaped string) {
	if escaped == "" {
		escaped = "/"
	}
	if p, err := url.PathUnescape(escaped); err == nil {
		u.Path, u.RawPath = p, escaped
	} else {
		u.Path, u.RawPath = escaped, ""
	}
}

// IsLoopback says whether the target stays on this machine; others get a
// warning, since payloads may hold customer data.
func (t Target) IsLoopback() bool {
	h := t.URL.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Route sends events matching Pattern (a glob: video.*) to Target.
type Route struct {
	Pattern string
	Target  Target
	Line    int
}

// ParseRoutes reads a routes file: one `PATTERN -> TARGET` per line, # for
// comments. Every route whose pattern matches an event gets a copy.
func ParseRoutes(r io.Reader) ([]Route, error) {
	var out []Route
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		pat, tgt, ok := strings.Cut(line, "->")
		pat, tgt = strings.TrimSpace(pat), strings.TrimSpace(tgt)
		if !ok || pat == "" || tgt == "" {
			return nil, fmt.Errorf("routes line %d: %q is not `EVENT-PATTERN -> TARGET` (e.g. `video.* -> :3000/videos`)", n, line)
		}
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("routes line %d: bad pattern %q: %v", n, pat, err)
		}
		t, err := ParseTarget(tgt)
		if err != nil {
			return nil, fmt.Errorf("routes line %d: %v", n, err)
		}
		out = append(out, Route{Pattern: pat, Target: t, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the routes file has no routes (lines look like `video.* -> :3000/videos`)")
	}
	return out, nil
}

// Match says whether the route takes an event.
func (r Route) Match(event string) bool {
	ok, _ := path.Match(r.Pattern, event)
	return ok
}

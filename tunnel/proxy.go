package tunnel

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// proxyHandshake bounds the CONNECT exchange when the caller's context has
// no deadline: ngrok-go dials with one that never ends.
const proxyHandshake = 15 * time.Second

// Proxy picks the proxy for the connection to the ngrok service at server
// (host:port) by precedence flag > HTTPS_PROXY / ALL_PROXY (NO_PROXY
// honoured) > proxy_url in ngrok's ngrok.yml, and says which it used. It
// returns "" when there is none. getenv reads the environment.
func Proxy(flag string, getenv func(string) string, ngrokYML string, server string) (proxy, source string) {
	if p := strings.TrimSpace(flag); p != "" {
		return p, "--proxy"
	}
	env := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	if server == "" {
		server = defaultServer
	}
	for _, name := range []string{"HTTPS_PROXY", "ALL_PROXY"} {
		v := strings.TrimSpace(env(name))
		if v == "" {
			continue
		}
		cfg := httpproxy.Config{HTTPSProxy: v, NoProxy: env("NO_PROXY")}
		u, err := cfg.ProxyFunc()(&url.URL{Scheme: "https", Host: server})
		if err != nil {
			// normalizeProxy says what is wrong with it.
			return v, name
		}
		if u == nil {
			return "", "" // NO_PROXY names the server
		}
		return v, name
	}
	if p := strings.TrimSpace(ngrokYML); p != "" {
		return p, "ngrok.yml proxy_url"
	}
	return "", ""
}

func normalizeProxy(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	raw := s
	if !strings.Contains(s, "://") {
		// As curl and Go's http.ProxyFromEnvironment read a bare host:port.
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err == nil && u.Hostname() != "" {
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
			return s, nil
		}
	}
	shown := raw
	if err == nil {
		shown = u.Redacted()
	}
	return "", &Error{Kind: ErrConfig, definite: true,
		msg: fmt.Sprintf("ngrok: invalid proxy %q; use http://host:port, https://host:port or socks5://host:port", shown)}
}

// redactProxy is the proxy URL fit for messages and logs: no password.
func redactProxy(s string) string {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return ""
	}
	return u.Redacted()
}

// connectDialer reaches the ngrok service through an HTTP(S) proxy with
// CONNECT; ngrok-go then speaks TLS to the service inside the tunnel.
type connectDialer struct {
	proxy *url.URL
	base  Dialer // nil: a plain net.Dialer
}

func (d connectDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func (d connectDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host := d.proxy.Host
	if d.proxy.Port() == "" {
		port := "80"
		if d.proxy.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(d.proxy.Hostname(), port)
	}
	var base Dialer = &net.Dialer{}
	if d.base != nil {
		base = d.base
	}
	c, err := base.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(proxyHandshake)
	}
	_ = c.SetDeadline(deadline)
	fail := func(format string, args ...any) (net.Conn, error) {
		c.Close()
		// Not wrapped: the classifier reports the innermost error, and
		// this sentence is the one that says what happened.
		return nil, fmt.Errorf("proxy %s: %s", d.proxy.Redacted(), fmt.Sprintf(format, args...))
	}
	if d.proxy.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: d.proxy.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake failed (%v)", err)
		}
		c = tc
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u := d.proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(c); err != nil {
		return fail("sending CONNECT failed (%v)", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail("no answer to CONNECT (%v)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("CONNECT %s answered %s", addr, resp.Status)
	}
	_ = c.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		// The service speaks only after the agent's TLS hello, so nothing
		// should be buffered; keep it if a proxy sent it anyway.
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

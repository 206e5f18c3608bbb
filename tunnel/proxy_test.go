package tunnel

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hookscope/hookscope/internal/fakengrok"
)

// connectProxy is a real HTTP CONNECT proxy on 127.0.0.1 that wants
// Basic credentials user:pw and records where it was asked to go.
type connectProxy struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, req.Method+" "+req.Host)
	p.mu.Unlock()
	if req.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("user:pw")) {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go io.Copy(up, br)
	io.Copy(c, up)
}

func TestNgrokThroughHTTPProxy(t *testing.T) {
	exp := expectAll()
	f := fakengrok.Start(t, exp)
	proxy := startConnectProxy(t)

	opts := fakeOptions(f, exp)
	opts.Proxy = "http://user:pw@" + proxy.addr
	tun, err := Ngrok(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	if tun.PublicURL() != f.PublicURL() {
		t.Errorf("PublicURL %q", tun.PublicURL())
	}
	proxy.mu.Lock()
	seen := proxy.seen
	proxy.mu.Unlock()
	if len(seen) == 0 || seen[0] != "CONNECT "+f.ConnectAddr() {
		t.Errorf("the proxy saw %q; want CONNECT %s", seen, f.ConnectAddr())
	}

	// Wrong credentials: one sentence naming the proxy, never its password.
	opts.Proxy = "http://user:secret-pw@" + proxy.addr
	opts.ConnectTimeout = testTimeout
	_, err = Ngrok(context.Background(), opts)
	e := checkUserError(t, err, ErrUnreachable)
	if !strings.Contains(e.Error(), "407 Proxy Authentication Required") || !strings.Contains(e.Error(), "the proxy http://user:xxxxx@"+proxy.addr) {
		t.Errorf("message %q", e.Error())
	}
	if strings.Contains(e.Error(), "secret-pw") {
		t.Errorf("the proxy password is in %q", e.Error())
	}
}

func TestProxyChoice(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	const server = "connect.ngrok-agent.com:443"
	tests := []struct {
		name, flag string
		env        map[string]string
		yml        string
		want, src  string
	}{
		{"flag wins", "socks5://f:1080", map[string]string{"HTTPS_PROXY": "http://e:3128"}, "http://y:1", "socks5://f:1080", "--proxy"},
		{"HTTPS_PROXY", "", map[string]string{"HTTPS_PROXY": "http://e:3128", "ALL_PROXY": "socks5://a:1"}, "http://y:1", "http://e:3128", "HTTPS_PROXY"},
		{"lower case", "", map[string]string{"https_proxy": "http://l:3128"}, "", "http://l:3128", "HTTPS_PROXY"},
		{"ALL_PROXY", "", map[string]string{"ALL_PROXY": "socks5://a:1080"}, "http://y:1", "socks5://a:1080", "ALL_PROXY"},
		{"NO_PROXY", "", map[string]string{"HTTPS_PROXY": "http://e:3128", "NO_PROXY": ".ngrok-agent.com"}, "http://y:1", "", ""},
		{"ngrok.yml", "", nil, "http://y:1", "http://y:1", "ngrok.yml proxy_url"},
		{"none", "", nil, "", "", ""},
	}
	for _, tt := range tests {
		got, src := Proxy(tt.flag, env(tt.env), tt.yml, server)
		if got != tt.want || src != tt.src {
			t.Errorf("%s: %q from %q; want %q from %q", tt.name, got, src, tt.want, tt.src)
		}
	}
	for in, ok := range map[string]bool{"proxy:3128": true, "https://p:443": true, "socks5h://p:1080": true, "ftp://p:21": false, "http://": false} {
		if _, err := normalizeProxy(in); (err == nil) != ok {
			t.Errorf("normalizeProxy(%q) = %v", in, err)
		}
	}
}

package tunnel

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"go/version"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken looks like a real authtoken so that a leak would be obvious.
const testToken = "2hookscopeTEST_s3cr3t_authtoken_4f9a0c"

const testTimeout = 1500 * time.Millisecond

// slack covers cleanup and a loaded CI machine; the point is that Ngrok is
// bounded, not how tightly.
const slack = 5 * time.Second

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func debugLogger() (*slog.Logger, *syncBuffer) {
	buf := new(syncBuffer)
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// fakeServer accepts on 127.0.0.1 and runs handle on the accept goroutine,
// so that the only goroutine it owns exists before the test measures.
func fakeServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			handle(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "not-ngrok"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// checkUserError asserts the contract of every error Ngrok returns.
func checkUserError(t *testing.T, err error, kind error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %q is not a *tunnel.Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error kind = %v; want %v (message %q)", e.Kind, kind, err)
	}
	msg := err.Error()
	switch {
	case !strings.HasPrefix(msg, "ngrok"):
		t.Errorf("message does not name ngrok first: %q", msg)
	case strings.ContainsAny(msg, "\r\n"), strings.Contains(msg, ". "):
		t.Errorf("message is not one sentence: %q", msg)
	case strings.Contains(msg, "context deadline exceeded"), strings.Contains(msg, "failed to "):
		t.Errorf("message leaks ngrok-go's error chain: %q", msg)
	case !strings.Contains(msg, "--tunnel none"):
		t.Errorf("message offers no remedy: %q", msg)
	case len(msg) > 400:
		t.Errorf("message is %d bytes long: %q", len(msg), msg)
	}
	if strings.Contains(msg, testToken) || strings.Contains(e.Reason, testToken) {
		t.Errorf("message contains the authtoken: %q", msg)
	}
	return e
}

// settleGoroutines fails if goroutines started by a failed Ngrok outlive a
// bounded wait. Two of ngrok-go's notice a closed session late: the
// reconnect loop after its backoff sleep (at most 2 s here), and muxado's
// heartbeat requester, once a TLS session got as far as authenticating, at
// its next tick (10 s after the session started). Goroutines whose stack
// mentions one of ignore are not counted.
func settleGoroutines(t *testing.T, base int, ignore ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n, stacks := goroutines(ignore...)
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, before Ngrok: %d\n%s", n, base, stacks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// goroutines counts live goroutines except those whose stack mentions one
// of ignore, and returns the counted stacks.
func goroutines(ignore ...string) (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var kept []string
next:
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		for _, s := range ignore {
			if strings.Contains(g, s) {
				continue next
			}
		}
		kept = append(kept, g)
	}
	return len(kept), strings.Join(kept, "\n\n")
}

type failCase struct {
	name  string
	setup func(t *testing.T) Options
	kind  error
	// want is a fragment the message must contain.
	want string
}

func TestNgrokFailures(t *testing.T) {
	cases := []failCase{
		{
			name: "refused",
			setup: func(t *testing.T) Options {
				return Options{ConnectURL: closedPort(t)}
			},
			kind: ErrUnreachable,
			want: "connection refused at 127.0.0.1:",
		},
		{
			name: "dns via dialer",
			setup: func(t *testing.T) Options {
				return Options{ConnectURL: "connect.hookscope-test.invalid:443", Dialer: dnsFailDialer{}}
			},
			kind: ErrUnreachable,
			want: "cannot resolve connect.hookscope-test.invalid",
		},
		{
			name: "accepts and hangs",
			setup: func(t *testing.T) Options {
				return Options{ConnectURL: fakeServer(t, func(net.Conn) {})}
			},
			kind: ErrTimeout,
			want: "within 1.5s",
		},
		{
			name: "http response",
			setup: func(t *testing.T) Options {
				return Options{ConnectURL: fakeServer(t, func(c net.Conn) {
					_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
					c.Close()
				})}
			},
			kind: ErrProtocol,
			want: "does not speak the ngrok protocol",
		},
		{
			name: "random bytes",
			setup: func(t *testing.T) Options {
				return Options{ConnectURL: fakeServer(t, func(c net.Conn) {
					junk := make([]byte, 512)
					_, _ = rand.Read(junk)
					junk[0] = 0x80 // never a valid TLS record type
					_, _ = c.Write(junk)
					c.Close()
				})}
			},
			kind: ErrProtocol,
			want: "ngrok: the server at 127.0.0.1:",
		},
		{
			name: "self-signed TLS then close",
			setup: func(t *testing.T) Options {
				cert, _ := selfSigned(t)
				return Options{ConnectURL: tlsServer(t, cert, nil)}
			},
			kind: ErrProtocol,
			want: "TLS certificate failed verification",
		},
		{
			name: "trusted TLS then close",
			setup: func(t *testing.T) Options {
				cert, pool := selfSigned(t)
				return Options{ConnectURL: tlsServer(t, cert, nil), ConnectCAs: pool}
			},
			kind: ErrProtocol,
			want: "closed the connection during the ngrok handshake",
		},
		{
			name: "trusted TLS then garbage",
			setup: func(t *testing.T) Options {
				cert, pool := selfSigned(t)
				return Options{ConnectURL: tlsServer(t, cert, func(c *tls.Conn) bool {
					_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
					return false
				}), ConnectCAs: pool}
			},
			kind: ErrProtocol,
			want: "ngrok: the server at 127.0.0.1:",
		},
		{
			name: "trusted TLS then hang",
			setup: func(t *testing.T) Options {
				cert, pool := selfSigned(t)
				var held []*tls.Conn
				t.Cleanup(func() {
					for _, c := range held {
						c.Close()
					}
				})
				return Options{ConnectURL: tlsServer(t, cert, func(c *tls.Conn) bool {
					held = append(held, c)
					return true
				}), ConnectCAs: pool}
			},
			kind: ErrTimeout,
			want: "no answer from the ngrok service",
		},
	}
	// Leaks are checked once for all cases: ngrok-go's stragglers take up to
	// 10 s to notice a closed session, and waiting that out per case would
	// only make the test slow.
	base, _ := goroutines()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.setup(t)
			logger, logs := debugLogger()
			opts.Authtoken = testToken
			opts.ConnectTimeout = testTimeout
			opts.Logger = logger

			start := time.Now()
			tun, err := Ngrok(context.Background(), opts)
			took := time.Since(start)
			if err == nil {
				tun.Close()
				t.Fatal("Ngrok succeeded against a fake server")
			}
			t.Logf("after %v: %v", took.Round(time.Millisecond), err)
			if took > testTimeout+slack {
				t.Errorf("Ngrok took %v; want at most %v", took, testTimeout+slack)
			}
			e := checkUserError(t, err, tc.kind)
			if !strings.Contains(e.Error(), tc.want) {
				t.Errorf("message %q lacks %q", e.Error(), tc.want)
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("the authtoken reached the log:\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), "ngrok tunnel failed") {
				t.Errorf("the failure was not logged:\n%s", logs.String())
			}
		})
	}
	settleGoroutines(t, base)
}

// tlsServer completes a TLS handshake, runs then (if any) and closes the
// connection unless then keeps it.
func tlsServer(t *testing.T, cert tls.Certificate, then func(*tls.Conn) (keep bool)) string {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	return fakeServer(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			tc.Close()
			return
		}
		if then != nil && then(tc) {
			return
		}
		tc.Close()
	})
}

type dnsFailDialer struct{}

func (dnsFailDialer) Dial(network, addr string) (net.Conn, error) {
	return dnsFailDialer{}.DialContext(context.Background(), network, addr)
}

func (dnsFailDialer) DialContext(_ context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
}

func TestNgrokCanceled(t *testing.T) {
	addr := fakeServer(t, func(net.Conn) {})
	base, _ := goroutines()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := Ngrok(ctx, Options{Authtoken: testToken, ConnectURL: addr, ConnectTimeout: 10 * time.Second})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("Ngrok with a cancelled context = %v; want ErrCanceled", err)
	}
	if took := time.Since(start); took > 200*time.Millisecond+slack {
		t.Errorf("Ngrok took %v after cancel", took)
	}
	settleGoroutines(t, base)
}

func TestNgrokOptionErrors(t *testing.T) {
	tests := []struct {
		opts Options
		kind error
	}{
		{Options{}, ErrNoAuthtoken},
		{Options{Authtoken: "  "}, ErrNoAuthtoken},
		{Options{Authtoken: testToken, Domain: "http://example.ngrok.app"}, ErrConfig},
		{Options{Authtoken: testToken, Domain: "https://example.ngrok.app/webhooks"}, ErrConfig},
		{Options{Authtoken: testToken, Domain: "https://"}, ErrConfig},
		{Options{Authtoken: testToken, ConnectURL: ":443"}, ErrConfig},
	}
	for _, tt := range tests {
		start := time.Now()
		_, err := Ngrok(context.Background(), tt.opts)
		if !errors.Is(err, tt.kind) {
			t.Errorf("Ngrok(%+v) = %v; want %v", tt.opts, err, tt.kind)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("error contains the authtoken: %q", err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("option error took %v", time.Since(start))
		}
	}
}

func TestNormalize(t *testing.T) {
	domains := map[string]string{
		"example.ngrok.app":          "example.ngrok.app",
		"https://example.ngrok.app":  "example.ngrok.app",
		"https://Example.ngrok.app/": "example.ngrok.app",
		" example.ngrok.app ":        "example.ngrok.app",
		"":                           "",
	}
	for in, want := range domains {
		if got, err := normalizeDomain(in); err != nil || got != want {
			t.Errorf("normalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	connects := map[string]string{
		"127.0.0.1:4443":                 "127.0.0.1:4443",
		"tls://connect.example.com:4443": "connect.example.com:4443",
		"connect.example.com":            "connect.example.com:443",
		"https://connect.example.com/":   "connect.example.com:443",
		"":                               "",
	}
	for in, want := range connects {
		if got, err := normalizeConnect(in); err != nil || got != want {
			t.Errorf("normalizeConnect(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	o, err := Options{Authtoken: "t", ConnectTimeout: time.Minute}.normalize()
	if err != nil || o.ConnectTimeout != MaxConnectTimeout || o.Description != "hookscope" {
		t.Errorf("normalize: timeout %v, description %q, err %v", o.ConnectTimeout, o.Description, err)
	}
	o, _ = Options{Authtoken: "t"}.normalize()
	if o.ConnectTimeout != DefaultConnectTimeout || DefaultConnectTimeout >= 30*time.Second || MaxConnectTimeout+cleanupGrace >= 30*time.Second {
		t.Errorf("default timeout %v, max %v", o.ConnectTimeout, MaxConnectTimeout)
	}
}

// TestCAWarningNotOnTerminal runs a connect attempt in a child process
// (ngrok-go warns once per process) and checks that nothing reaches its
// stdout or stderr and that the eMudhra warning lands in our logger.
func TestCAWarningNotOnTerminal(t *testing.T) {
	if os.Getenv("HOOKSCOPE_TUNNEL_CHILD") == "1" {
		caWarningChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCAWarningNotOnTerminal$")
	cmd.Env = append(os.Environ(), "HOOKSCOPE_TUNNEL_CHILD=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("child wrote to stderr:\n%s", stderr.String())
	}
	for line := range strings.Lines(stdout.String()) {
		// The test binary's own report, with or without -cover.
		if line != "PASS\n" && !strings.HasPrefix(line, "coverage: ") {
			t.Errorf("child wrote to stdout:\n%s", stdout.String())
			break
		}
	}
}

func caWarningChild() {
	// Anything that falls back to the default logger would show up here.
	var fallback syncBuffer
	slog.SetDefault(slog.New(slog.NewTextHandler(&fallback, nil)))
	logger, logs := debugLogger()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := Ngrok(context.Background(), Options{Authtoken: testToken, ConnectURL: addr, ConnectTimeout: time.Second, Logger: logger})
	fail := func(msg string) {
		os.Stdout.WriteString("FAIL: " + msg + "\n")
		os.Exit(1)
	}
	if err == nil {
		fail("Ngrok succeeded")
	}
	if fallback.String() != "" {
		fail("ngrok-go logged to slog.Default: " + fallback.String())
	}
	affected := version.IsValid(runtime.Version()) && version.Compare(runtime.Version(), "go1.26.10") < 0
	if affected && !strings.Contains(logs.String(), "eMudhra") {
		fail("the eMudhra warning did not reach our logger: " + logs.String())
	}
}

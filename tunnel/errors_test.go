package tunnel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.ngrok.com/ngrok/v2"
)

// serviceErr mimics the error ngrok-go builds from the service's reply: the
// text carries the code, ErrorCode extracts it.
type serviceErr struct{ text string }

func (e serviceErr) Error() string     { return e.text }
func (e serviceErr) ErrorCode() string { return errCodeRe.FindString(e.text) }

// adapterErr mimics ngrok-go v2's public wrapper, which has Code and does
// not unwrap.
type adapterErr struct{ text string }

func (e adapterErr) Error() string { return e.text }
func (e adapterErr) Code() string  { return errCodeRe.FindString(e.text) }

// Messages as the ngrok service words them (https://ngrok.com/docs/errors);
// the auth ones quote the token.
var (
	msg107  = "The authtoken you specified is properly formed, but it is invalid.\nYour authtoken: " + testToken + "\nThis usually happens when:\n\t- You reset your authtoken\nGo to your ngrok dashboard and double check that your authtoken is correct:\nhttps://dashboard.ngrok.com/get-started/your-authtoken\n\nERR_NGROK_107\n"
	msg105  = "The authtoken you specified does not look like a proper ngrok authtoken.\nYour authtoken: " + testToken + "\nInstructions to install your authtoken are on your ngrok dashboard:\nhttps://dashboard.ngrok.com/get-started/your-authtoken\n\nERR_NGROK_105\n"
	msg108  = "Your account is limited to 1 simultaneous ngrok agent sessions.\nYou can run multiple simultaneous tunnels from a single agent session by defining the tunnels in your agent configuration file and starting them with the command `ngrok start --all`.\n\nERR_NGROK_108\n"
	msg319  = "You must reserve a custom hostname for your account before it can be used to create endpoints. Failed to create an endpoint with the domain 'example.ngrok.app' for the account 'Dev'.\nReserve this name on your dashboard: https://dashboard.ngrok.com/domains/new\n\nERR_NGROK_319\n"
	msg334  = "The endpoint 'https://example.ngrok.app' is already online. Either\n1. stop your existing endpoint first, or\n2. start both endpoints with `--pooling-enabled` to load balance between them.\n\nERR_NGROK_334\n"
	msg2236 = "The traffic policy was not able to be parsed:\nyaml: line 3: mapping values are not allowed in this context\n\nERR_NGROK_2236\n"
	msg7118 = "The domain example.ngrok.app is not reserved by your account.\n\nERR_NGROK_7118"
)

func testClassifier() classifier {
	return classifier{server: "127.0.0.1:4443", domain: "example.ngrok.app", secret: testToken}
}

// checkSentence is checkUserError without the --tunnel none remedy, which
// domain and policy errors replace with their own.
func checkSentence(t *testing.T, e *Error, kind error, fragments ...string) {
	t.Helper()
	msg := e.Error()
	if !errors.Is(e, kind) {
		t.Errorf("kind = %v; want %v (%q)", e.Kind, kind, msg)
	}
	if !strings.HasPrefix(msg, "ngrok") || strings.ContainsAny(msg, "\r\n") || strings.Contains(msg, ". ") || !strings.Contains(msg, "; ") {
		t.Errorf("not one sentence naming ngrok with a remedy: %q", msg)
	}
	if strings.Contains(msg, testToken) || strings.Contains(e.Reason, testToken) {
		t.Errorf("contains the authtoken: %q", msg)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("%q lacks %q", msg, f)
		}
	}
}

func TestClassifyService(t *testing.T) {
	c := testClassifier()
	auth := func(text string) error { return fmt.Errorf("authentication failed: %w", serviceErr{text}) }
	bind := func(text string) error { return fmt.Errorf("failed to start tunnel: %w", serviceErr{text}) }
	tests := []struct {
		name      string
		err       error
		ph        phase
		kind      error
		code      string
		fragments []string
	}{
		{"invalid token", auth(msg107), phaseConnect, ErrAuth, "ERR_NGROK_107",
			[]string{"rejected the authtoken (ERR_NGROK_107)", "hookscope config set ngrok-authtoken", "--tunnel none"}},
		{"malformed token", auth(msg105), phaseConnect, ErrAuth, "ERR_NGROK_105", []string{"(ERR_NGROK_105)"}},
		{"token revoked while running", auth(msg107), phaseRunning, ErrAuth, "ERR_NGROK_107", nil},
		{"no token", auth("Usage of ngrok requires a verified account and authtoken.\n\nERR_NGROK_4018"), phaseConnect, ErrAuth, "ERR_NGROK_4018", nil},
		{"session limit", auth(msg108), phaseConnect, ErrRejected, "ERR_NGROK_108",
			[]string{"your account is limited to 1 simultaneous ngrok agent sessions (ERR_NGROK_108)", "https://ngrok.com/docs/errors/err_ngrok_108", "--tunnel none"}},
		{"unknown refusal", auth("Something new went wrong"), phaseConnect, ErrRejected, "", []string{"something new went wrong", "--tunnel none"}},
		{"domain not reserved", bind(msg319), phaseBind, ErrDomain, "ERR_NGROK_319",
			[]string{"domain example.ngrok.app", "you must reserve a custom hostname", "(ERR_NGROK_319)", "https://dashboard.ngrok.com/domains"}},
		{"domain not ours via v2 adapter", adapterErr{"failed to start tunnel: " + msg7118}, phaseBind, ErrDomain, "ERR_NGROK_7118", []string{": the domain example.ngrok.app is not reserved by your account (ERR_NGROK_7118)"}},
		{"domain already online", bind(msg334), phaseBind, ErrDomain, "ERR_NGROK_334", []string{"is already online", "stop the other agent"}},
		{"domain without code", bind("hostname is not allowed for this account"), phaseBind, ErrDomain, "", []string{"hostname is not allowed"}},
		{"policy", bind(msg2236), phaseBind, ErrPolicy, "ERR_NGROK_2236", []string{"yaml: line 3: mapping values are not allowed", "fix the policy file"}},
		{"endpoint stopped", serviceErr{"Endpoint stopped from the dashboard\n\nERR_NGROK_9999"}, phaseRunning, ErrRejected, "ERR_NGROK_9999", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := c.classify(tt.err, tt.ph)
			if e.Code != tt.code {
				t.Errorf("code = %q; want %q", e.Code, tt.code)
			}
			if !e.definite {
				t.Errorf("a refusal from the service should end the start at once")
			}
			checkSentence(t, e, tt.kind, tt.fragments...)
			t.Logf("%s | reason: %s", e, e.Reason)
		})
	}
}

func TestClassifyLocal(t *testing.T) {
	c := testClassifier()
	dialErr := func(err error) error {
		return fmt.Errorf("failed to dial ngrok server with address %q: %w", c.server,
			&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4443}, Err: err})
	}
	authSend := func(err error) error { return fmt.Errorf("failed to send authentication request: %w", err) }
	tests := []struct {
		name     string
		err      error
		ph       phase
		kind     error
		definite bool
		reason   string
	}{
		{"refused", dialErr(os.NewSyscallError("connect", syscall.ECONNREFUSED)), phaseConnect, ErrUnreachable, false, "connection refused at 127.0.0.1:4443"},
		{"net unreachable", dialErr(os.NewSyscallError("connect", syscall.ENETUNREACH)), phaseConnect, ErrUnreachable, false, "network is unreachable"},
		{"host unreachable", dialErr(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), phaseRunning, ErrUnreachable, false, "no route to 127.0.0.1:4443"},
		{"dns", fmt.Errorf("failed to dial ngrok server: %w", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "connect.ngrok-agent.com", Err: "no such host", IsNotFound: true}}), phaseConnect, ErrUnreachable, false, "cannot resolve connect.ngrok-agent.com"},
		{"dns server down", &net.DNSError{Name: "connect.ngrok-agent.com", Err: "server misbehaving", IsTemporary: true}, phaseConnect, ErrUnreachable, false, "cannot resolve connect.ngrok-agent.com: server misbehaving"},
		{"custom dialer", fmt.Errorf("failed to dial ngrok server with address %q: %w", c.server, errors.New("proxy said no")), phaseConnect, ErrUnreachable, false, "dialing 127.0.0.1:4443: proxy said no"},
		{"not tls", authSend(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), phaseConnect, ErrProtocol, true, "unexpected reply (tls: first record does not look like a TLS handshake)"},
		{"tls alert", authSend(tls.AlertError(40)), phaseConnect, ErrProtocol, true, "unexpected reply (tls: handshake failure)"},
		{"untrusted cert", authSend(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), phaseConnect, ErrProtocol, true, "untrusted TLS certificate (x509: certificate signed by unknown authority)"},
		{"eof in handshake", authSend(io.EOF), phaseConnect, ErrProtocol, false, "connection closed during the handshake (EOF)"},
		{"muxado session closed", authSend(errors.New("session closed")), phaseConnect, ErrProtocol, false, "connection closed during the handshake (session closed)"},
		{"eof while running", io.EOF, phaseRunning, ErrUnreachable, false, "connection lost (EOF)"},
		{"reset while running", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, phaseRunning, ErrUnreachable, false, "connection lost (connection reset by peer)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := c.classify(tt.err, tt.ph)
			if e.Reason != tt.reason {
				t.Errorf("reason = %q; want %q", e.Reason, tt.reason)
			}
			if e.definite != tt.definite {
				t.Errorf("definite = %v; want %v", e.definite, tt.definite)
			}
			checkSentence(t, e, tt.kind, "--tunnel none")
		})
	}
}

func TestServerSentence(t *testing.T) {
	tests := map[string]string{
		msg108:                       "Your account is limited to 1 simultaneous ngrok agent sessions",
		msg2236:                      "The traffic policy was not able to be parsed: yaml: line 3: mapping values are not allowed in this context",
		"":                           "no reason given",
		"ERR_NGROK_1\n":              "no reason given",
		"Short and sweet!":           "Short and sweet",
		strings.Repeat("a", 300):     strings.Repeat("a", 200) + "…",
		"one\n\ntwo\nERR_NGROK_42\n": "one two",
	}
	for in, want := range tests {
		if got := serverSentence(in); got != want {
			t.Errorf("serverSentence(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestEventsWhileRunning(t *testing.T) {
	tun := &ngrokTunnel{
		cls:       testClassifier(),
		fatal:     make(chan *Error, 1),
		events:    make(chan Event, eventBuffer),
		running:   true,
		connected: true,
		current:   Event{State: Online},
		url:       "https://example.ngrok.app",
	}
	refused := fmt.Errorf("failed to dial ngrok server: %w", &net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4443}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})

	tun.handle(&ngrok.EventAgentHeartbeatReceived{})
	tun.handle(&ngrok.EventAgentDisconnected{Error: io.EOF})
	tun.handle(&ngrok.EventAgentDisconnected{Error: io.EOF}) // same outage, same reason: no event
	tun.handle(&ngrok.EventAgentDisconnected{Error: refused})
	tun.handle(&ngrok.EventAgentDisconnected{Error: refused})
	tun.handle(&ngrok.EventAgentConnectSucceeded{})
	tun.handle(&ngrok.EventAgentConnectSucceeded{})
	tun.handle(&ngrok.EventAgentDisconnected{Error: fmt.Errorf("authentication failed: %w", serviceErr{msg107})})
	tun.handle(&ngrok.EventAgentDisconnected{Error: context.Canceled})
	tun.handle(&ngrok.EventAgentDisconnected{Error: nil})

	want := []Event{
		{State: Offline, URL: tun.url, Err: "connection lost (EOF)"},
		{State: Offline, URL: tun.url, Err: "connection refused at 127.0.0.1:4443"},
		{State: Online, URL: tun.url},
		{State: Offline, URL: tun.url, Err: "authtoken rejected (ERR_NGROK_107)"},
	}
	got := drain(tun.events)
	if len(got) != len(want) {
		t.Fatalf("events = %+v; want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		// ngrok-go reconnects a running session by itself.
		if g.State != want[i].State || g.URL != want[i].URL || g.Err != want[i].Err || g.At.IsZero() || g.Retrying != (g.State == Offline) {
			t.Errorf("event %d = %+v; want %+v", i, g, want[i])
		}
		if strings.Contains(g.Err, testToken) {
			t.Errorf("event %d contains the authtoken", i)
		}
	}
	select {
	case e := <-tun.fatal:
		t.Errorf("a running tunnel reported a start failure: %v", e)
	default:
	}
}

func TestStartGivesUp(t *testing.T) {
	newTunnel := func() *ngrokTunnel {
		return &ngrokTunnel{cls: testClassifier(), fatal: make(chan *Error, 1), events: make(chan Event, eventBuffer)}
	}
	refused := fmt.Errorf("failed to dial ngrok server: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})

	tun := newTunnel()
	for i := 1; i <= maxConnectAttempts; i++ {
		if len(tun.fatal) != 0 {
			t.Fatalf("gave up after %d retryable failures; want %d", i-1, maxConnectAttempts)
		}
		tun.handle(&ngrok.EventAgentDisconnected{Error: refused})
	}
	if e := <-tun.fatal; !errors.Is(e, ErrUnreachable) {
		t.Fatalf("gave up with %v; want ErrUnreachable", e)
	}

	// A garbage reply can also surface as "session closed"; the telling
	// failure wins whichever order they come in.
	tun = newTunnel()
	tun.handle(&ngrok.EventAgentDisconnected{Error: errors.New("failed to send authentication request: session closed")})
	tun.handle(&ngrok.EventAgentDisconnected{Error: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}})
	tun.handle(&ngrok.EventAgentDisconnected{Error: errors.New("failed to send authentication request: session closed")})
	if e := <-tun.fatal; !strings.Contains(e.Error(), "does not speak the ngrok protocol") {
		t.Fatalf("gave up with %v; want the TLS record error", e)
	}
	if got := drain(tun.events); len(got) != 0 {
		t.Errorf("a failing start emitted events: %+v", got)
	}
}

func TestEventsKeepNewest(t *testing.T) {
	tun := &ngrokTunnel{cls: testClassifier(), events: make(chan Event, eventBuffer)}
	for i := range 3 * eventBuffer {
		tun.emit(Event{State: Offline, Err: fmt.Sprint(i)})
	}
	got := drain(tun.events)
	if len(got) != eventBuffer || got[len(got)-1].Err != fmt.Sprint(3*eventBuffer-1) {
		t.Fatalf("kept %d events ending with %+v; want %d ending with the newest", len(got), got[len(got)-1], eventBuffer)
	}
}

func drain(ch chan Event) []Event {
	var out []Event
	for {
		select {
		case ev := <-ch:
			out = append(out, ev)
		default:
			return out
		}
	}
}

// A token from the environment wins over every file, so the remedy must
// name where the rejected token came from, or the user fixes the wrong one.
func TestAuthRemedyNamesTheSource(t *testing.T) {
	rejected := fmt.Errorf("authentication failed: %w", serviceErr{msg107})
	tests := []struct {
		source TokenSource
		want   []string
		not    string
	}{
		{FromFlag, []string{"authtoken from --authtoken", "pass it with --authtoken"}, "config set"},
		{FromEnv, []string{"authtoken from NGROK_AUTHTOKEN", "set NGROK_AUTHTOKEN to it", "unset NGROK_AUTHTOKEN"}, "config set"},
		{FromConfig, []string{"authtoken from hookscope config", "`hookscope config set ngrok-authtoken TOKEN`"}, "NGROK_AUTHTOKEN"},
		{"/home/u/.config/ngrok/ngrok.yml", []string{"authtoken from /home/u/.config/ngrok/ngrok.yml", "`ngrok config add-authtoken TOKEN`"}, "NGROK_AUTHTOKEN"},
	}
	for _, tt := range tests {
		c := testClassifier()
		c.source = tt.source
		e := c.classify(rejected, phaseConnect)
		checkSentence(t, e, ErrAuth, append(tt.want, "(ERR_NGROK_107)", "--tunnel none")...)
		if strings.Contains(e.Error(), tt.not) {
			t.Errorf("source %q: %q mentions %q", tt.source, e.Error(), tt.not)
		}
	}
}

func TestStoppedRemotely(t *testing.T) {
	c := testClassifier()
	e := c.stopped(fmt.Errorf("accept failed: %w", serviceErr{"Endpoint stopped from the dashboard by a team member.\n\nERR_NGROK_3204\n"}))
	if e.Reason != "endpoint stopped remotely: endpoint stopped from the dashboard by a team member (ERR_NGROK_3204)" || e.Code != "ERR_NGROK_3204" {
		t.Errorf("reason %q code %q", e.Reason, e.Code)
	}
	checkSentence(t, e, ErrRejected, "capture goes on locally", "--tunnel none")
	e = c.stopped(errors.New("Listener closed"))
	if e.Reason != "endpoint stopped remotely" || !strings.Contains(e.Error(), "(no reason given)") {
		t.Errorf("no reason: %q / %q", e.Reason, e.Error())
	}
}

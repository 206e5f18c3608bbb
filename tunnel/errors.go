package tunnel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// Kinds of tunnel failure. Every error this package returns is an *Error
// that matches exactly one of these with errors.Is.
var (
	ErrNoAuthtoken = errors.New("ngrok: no authtoken")
	ErrAuth        = errors.New("ngrok: authtoken rejected")
	ErrUnreachable = errors.New("ngrok: service unreachable")
	ErrTimeout     = errors.New("ngrok: connect timed out")
	ErrProtocol    = errors.New("ngrok: the server did not speak the ngrok protocol")
	ErrDomain      = errors.New("ngrok: domain unavailable")
	ErrPolicy      = errors.New("ngrok: traffic policy rejected")
	ErrRejected    = errors.New("ngrok: refused by the ngrok service")
	ErrConfig      = errors.New("ngrok: invalid tunnel configuration")
	ErrCanceled    = errors.New("ngrok: connect canceled")
)

// Error is a classified tunnel failure. Error() is one sentence for the
// user, naming ngrok and what to do; ngrok-go's own error chains repeat every
// retry and can quote the authtoken, so they are never part of it.
type Error struct {
	// Kind is one of the Err* sentinels.
	Kind error
	// Code is ngrok's error code, such as "ERR_NGROK_107", when the ngrok
	// service sent one.
	Code string
	// Reason is the short cause without a remedy, as used in Event.Err.
	Reason string

	msg string
	// definite marks failures that retrying cannot fix, so Ngrok stops at
	// the first one instead of waiting for ngrok-go's backoff.
	definite bool
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.Kind }

type phase int

const (
	phaseConnect phase = iota // dialing and authenticating
	phaseBind                 // session up, asking for the endpoint
	phaseRunning              // endpoint online; ngrok-go reconnects on its own
)

// classifier carries what messages need besides the error itself.
type classifier struct {
	server string // connect address, for "the server at ..."
	domain string // reserved domain, "" for a random URL
	secret string // authtoken, scrubbed from everything
	source TokenSource
	proxy  string // proxy URL without credentials, "" for none
}

const (
	remedyNetwork = "check your network or use --tunnel none"
	remedyProxy   = "a proxy or firewall may be in the way, so check your network or use --tunnel none"
	authtokenPage = "https://dashboard.ngrok.com/get-started/your-authtoken"
	domainsPage   = "https://dashboard.ngrok.com/domains"
)

// errInUse is ErrDomain with a different remedy: the domain is ours but
// another agent already serves it.
var errInUse = errors.New("domain in use")

// Codes from https://ngrok.com/docs/errors that need a specific remedy.
var (
	authCodes   = codeSet(105, 106, 107, 4018)
	domainCodes = codeSet(313, 318, 319, 320, 7117, 7118)
	inUseCodes  = codeSet(334, 18009)
	policyCodes = codeSet(2235, 2236, 9026, 18002)
)

func codeSet(ns ...int) map[string]bool {
	m := make(map[string]bool, len(ns))
	for _, n := range ns {
		m[fmt.Sprintf("ERR_NGROK_%d", n)] = true
	}
	return m
}

// newError scrubs the token and folds the text onto one line: parts of it
// come from the network and from ngrok-go, which promise neither.
func (c classifier) newError(kind error, code, reason, msg string, definite bool) *Error {
	oneLine := func(s string) string { return strings.Join(strings.Fields(c.scrub(s)), " ") }
	return &Error{Kind: kind, Code: code, Reason: oneLine(reason), msg: oneLine(msg), definite: definite}
}

func (c classifier) scrub(s string) string {
	if c.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.secret, redacted)
}

// classify maps one ngrok-go error (a single attempt, not the joined chain
// Listen returns) to an *Error.
func (c classifier) classify(err error, ph phase) *Error {
	if remote, ok := asRemote(err); ok {
		return c.remote(remote, ph)
	}
	leaf := c.scrub(leafText(err))

	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var badCert x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &badCert) {
		return c.newError(ErrProtocol, "", "untrusted TLS certificate ("+leaf+")",
			fmt.Sprintf("ngrok: the server at %s is not the ngrok service, its TLS certificate failed verification (%s); a proxy may be intercepting TLS, so check your network or use --tunnel none", c.server, leaf), true)
	}

	var record tls.RecordHeaderError
	var alert tls.AlertError
	var syntax *json.SyntaxError
	var unmarshal *json.UnmarshalTypeError
	if errors.As(err, &record) || errors.As(err, &alert) || errors.As(err, &syntax) || errors.As(err, &unmarshal) || strings.HasPrefix(leaf, "tls: ") {
		return c.newError(ErrProtocol, "", "unexpected reply ("+leaf+")",
			fmt.Sprintf("ngrok: the server at %s does not speak the ngrok protocol (%s); %s", c.server, leaf, remedyProxy), true)
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		reason := "cannot resolve " + dnsErr.Name
		if !dnsErr.IsNotFound && dnsErr.Err != "" {
			reason += ": " + dnsErr.Err
		}
		return c.unreachable(reason)
	}

	if reason, ok := dialReason(err, c.server); ok {
		return c.unreachable(c.scrub(reason))
	}

	if isConnLost(err, leaf) {
		if ph == phaseRunning {
			return c.unreachable("connection lost (" + leaf + ")")
		}
		return c.newError(ErrProtocol, "", "connection closed during the handshake ("+leaf+")",
			fmt.Sprintf("ngrok: the server at %s closed the connection during the ngrok handshake (%s); %s", c.server, leaf, remedyProxy), false)
	}

	return c.unreachable(leaf)
}

func (c classifier) unreachable(reason string) *Error {
	remedy := remedyNetwork
	if c.proxy != "" {
		remedy = "check your network and the proxy " + c.proxy + ", or use --tunnel none"
	}
	return c.newError(ErrUnreachable, "", reason,
		fmt.Sprintf("ngrok: could not reach the ngrok service (%s); %s", reason, remedy), false)
}

// stopped is the error for an endpoint that ended while hookscope still
// wanted it: the service stopped it (from the dashboard or API, with a
// reason and code) or the session gave up.
func (c classifier) stopped(err error) *Error {
	r, ok := asRemote(err)
	said := ""
	if ok {
		said = lowerFirst(serverSentence(c.scrub(r.text)))
	}
	code := r.code
	if code == "" {
		code = errCodeRe.FindString(r.text)
	}
	reason := "endpoint stopped remotely"
	if said != "" && said != "no reason given" {
		reason += ": " + said
	}
	if code != "" {
		reason += " (" + code + ")"
	}
	why := strings.TrimPrefix(strings.TrimPrefix(reason, "endpoint stopped remotely"), ": ")
	if why == "" {
		why = "no reason given"
	}
	return c.newError(ErrRejected, code, reason,
		fmt.Sprintf("ngrok: the ngrok service stopped the public endpoint (%s); capture goes on locally, so restart hookscope for a public URL again, or use --tunnel none", strings.TrimSpace(why)), true)
}

// timeout is the error for an attempt that produced no failure to report:
// the server took the TCP connection and then said nothing.
func (c classifier) timeout(after time.Duration, ph phase) *Error {
	if ph == phaseBind {
		return c.newError(ErrTimeout, "", "no endpoint after "+after.String(),
			fmt.Sprintf("ngrok: connected, but the ngrok service did not open the endpoint within %s; try again or use --tunnel none", after), true)
	}
	return c.newError(ErrTimeout, "", "no answer after "+after.String(),
		fmt.Sprintf("ngrok: no answer from the ngrok service at %s within %s; check your network, proxy or firewall, or use --tunnel none", c.server, after), true)
}

func canceled() *Error {
	return &Error{Kind: ErrCanceled, Reason: "canceled", msg: "ngrok: connecting was canceled", definite: true}
}

// remoteError is an error the ngrok service sent: ngrok-go types carry the
// server's text and code behind one of these methods.
type remoteError struct {
	code string
	text string
}

func asRemote(err error) (remoteError, bool) {
	var legacy interface {
		error
		ErrorCode() string
	}
	if errors.As(err, &legacy) {
		return remoteError{code: legacy.ErrorCode(), text: legacy.Error()}, true
	}
	var v2 interface {
		error
		Code() string
	}
	if errors.As(err, &v2) {
		return remoteError{code: v2.Code(), text: v2.Error()}, true
	}
	return remoteError{}, false
}

var errCodeRe = regexp.MustCompile(`ERR_NGROK_\d+`)

func (c classifier) remote(r remoteError, ph phase) *Error {
	code := r.code
	if code == "" {
		code = errCodeRe.FindString(r.text)
	}
	said := lowerFirst(serverSentence(c.scrub(r.text)))
	lower := strings.ToLower(said)
	tag := said
	if code != "" {
		tag = said + " (" + code + ")"
	}
	kind := ErrRejected
	switch {
	case authCodes[code]:
		kind = ErrAuth
	case inUseCodes[code]:
		kind = errInUse
	case domainCodes[code]:
		kind = ErrDomain
	case policyCodes[code] || strings.HasPrefix(code, "ERR_NGROK_22"):
		kind = ErrPolicy
	case strings.Contains(lower, "authtoken") || strings.Contains(lower, "credential"):
		kind = ErrAuth
	case ph == phaseBind && c.domain != "" && (strings.Contains(lower, "domain") || strings.Contains(lower, "hostname")):
		kind = ErrDomain
	case strings.Contains(lower, "policy"):
		kind = ErrPolicy
	}
	switch kind {
	case ErrAuth:
		reason := "authtoken rejected"
		if code != "" {
			reason += " (" + code + ")"
		}
		// The text itself is left out: ngrok's auth errors quote the token.
		from := ""
		if c.source != "" {
			from = " from " + string(c.source)
		}
		return c.newError(ErrAuth, code, reason,
			fmt.Sprintf("ngrok: the ngrok service rejected the authtoken%s%s; get a valid one from %s and %s, or use --tunnel none",
				from, strings.TrimPrefix(reason, "authtoken rejected"), authtokenPage, c.source.remedy()), true)
	case errInUse:
		return c.newError(ErrDomain, code, tag,
			fmt.Sprintf("ngrok: cannot use the domain %s: %s; stop the other agent that serves it, or leave the domain unset to get a random URL", c.domainOr("requested"), tag), true)
	case ErrDomain:
		return c.newError(ErrDomain, code, tag,
			fmt.Sprintf("ngrok: cannot use the domain %s: %s; reserve it for this account at %s, or leave the domain unset to get a random URL", c.domainOr("requested"), tag, domainsPage), true)
	case ErrPolicy:
		return c.newError(ErrPolicy, code, tag,
			fmt.Sprintf("ngrok: the ngrok service rejected the traffic policy: %s; fix the policy file or run without it", tag), true)
	}
	see := "use --tunnel none"
	if code != "" {
		see = "see https://ngrok.com/docs/errors/" + strings.ToLower(code) + " or use --tunnel none"
	}
	return c.newError(ErrRejected, code, tag,
		fmt.Sprintf("ngrok: the ngrok service refused the tunnel: %s; %s", tag, see), true)
}

func (c classifier) domainOr(s string) string {
	if c.domain != "" {
		return c.domain
	}
	return s
}

// ngrokGoPrefixes are the wrappers ngrok-go may put around the service's text.
var ngrokGoPrefixes = []string{"failed to connect: ", "authentication failed: ", "failed to start tunnel: "}

// serverSentence reduces the service's multi-line message (text, code line,
// docs links) to its first sentence.
func serverSentence(text string) string {
	var kept []string
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		codeOnly := errCodeRe.MatchString(line) && len(strings.TrimSpace(errCodeRe.ReplaceAllString(line, ""))) < 3
		if line == "" || codeOnly || strings.HasPrefix(line, "https://ngrok.com/docs/errors") {
			continue
		}
		kept = append(kept, line)
	}
	s := strings.Join(strings.Fields(strings.Join(kept, " ")), " ")
	for _, p := range ngrokGoPrefixes {
		s = strings.TrimPrefix(s, p)
	}
	for _, stop := range []string{". ", "! ", "? "} {
		if i := strings.Index(s, stop); i >= 0 {
			s = s[:i]
		}
	}
	s = strings.TrimRight(s, ".!? ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	if s == "" {
		s = "no reason given"
	}
	return s
}

// lowerFirst lets the service's sentence follow a colon, leaving acronyms
// such as "URL" alone.
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 1 && unicode.IsUpper(r[0]) && !unicode.IsUpper(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// leafText is the innermost message, the one that says what went wrong
// without ngrok-go's "failed to ..." prefixes.
func leafText(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func dialReason(err error, server string) (string, bool) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		addr := server
		if op.Addr != nil {
			addr = op.Addr.String()
		}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return "connection refused at " + addr, true
		case errors.Is(err, syscall.ENETUNREACH):
			return "network is unreachable", true
		case errors.Is(err, syscall.EHOSTUNREACH):
			return "no route to " + addr, true
		case op.Timeout():
			return "connecting to " + addr + " timed out", true
		}
		return "dialing " + addr + ": " + leafText(err), true
	}
	// A custom Dialer can fail with any error; ngrok-go's wrapper says so.
	if strings.HasPrefix(err.Error(), "failed to dial ngrok server") {
		return "dialing " + server + ": " + leafText(err), true
	}
	return "", false
}

func isConnLost(err error, leaf string) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	// muxado's errors do not unwrap, so its session errors are matched by text.
	for _, s := range []string{"session closed", "EOF", "remote gone away", "connection reset", "broken pipe", "heartbeat"} {
		if strings.Contains(leaf, s) {
			return true
		}
	}
	return false
}

// isOwnCancel reports errors that only echo our own context ending.
func isOwnCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

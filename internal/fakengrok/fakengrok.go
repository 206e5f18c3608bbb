// Package fakengrok is a stand-in for ngrok's cloud, the one part of
// hookscope's path that tests cannot reach. It speaks the agent protocol
// ngrok-go v2.4.0 speaks (TLS, then muxado streams typed by request and
// carrying JSON; field names from its internal/tunnel/proto) and checks what
// the agent sends: the authtoken, the URL asked for, the traffic policy, the
// description and the client info. A request sent to PublicAddr reaches the
// agent as a webhook sent to PublicURL would.
//
// It is for tests only: nothing outside _test.go files may import it (a test
// in this package checks that the hookscope binary does not contain it). It
// must not reach the network beyond 127.0.0.1.
package fakengrok

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.ngrok.com/muxado/v2"
)

// Stream types from ngrok-go's internal/tunnel/proto and muxado.
const (
	authReq       = 0
	bindReq       = 1
	unbindReq     = 2
	proxyReq      = 3
	stopTunnelReq = 9
	heartbeatReq  = 0xFFFFFFFF
)

// ClientAddr is the address the fake says a public request came from.
const ClientAddr = "203.0.113.7:5555"

// Messages the real service sends, with their codes.
const (
	AuthRejected   = "The authtoken you specified is not valid.\n\nERR_NGROK_107\n"
	PolicyRejected = "failed to start tunnel: Traffic Policy is invalid: unknown action type 'explode'\n\nERR_NGROK_2201\n"
	URLRejected    = "failed to start tunnel: The endpoint URL is not reserved for your account.\n\nERR_NGROK_319\n"
)

// Expect is what the agent must send. A token other than Authtoken is
// refused as the service refuses it; any other mismatch fails the test and
// refuses the bind, so a caller that stops sending an option cannot pass.
type Expect struct {
	Authtoken string
	// URL is the endpoint URL the bind must ask for ("https://name.ngrok.app");
	// "" means it must ask for none and gets a random one.
	URL string
	// TrafficPolicy is the policy the bind must carry, "" for none.
	TrafficPolicy string
	// Description is the endpoint's description in the dashboard.
	Description string
	// ClientType and ClientVersion are WithClientInfo's; "" skips a check.
	ClientType, ClientVersion string
	// RejectPolicy refuses a bind that carries a policy, as the service
	// refuses one it cannot parse.
	RejectPolicy bool
	// RejectURL refuses a bind that asks for a URL, as the service refuses
	// a domain not reserved for the account.
	RejectURL bool
}

// Bind is one bind request the fake answered.
type Bind struct {
	ID            string
	URL           string // what the agent asked for
	TrafficPolicy string
	Description   string
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	t      testing.TB
	exp    Expect
	cfg    *tls.Config
	pool   *x509.CertPool
	caPEM  []byte
	agent  net.Listener
	public net.Listener
	url    string // the public URL handed out
	addr   string // where agents connect

	mu       sync.Mutex
	sessions []*session
	held     []net.Conn
	dark     chan struct{} // closed when a blackhole ends; nil when none
	auths    []string      // tokens seen
	binds    []Bind
	nextBind int
	closed   bool
	wg       sync.WaitGroup
}

type session struct {
	mux   muxado.TypedStreamSession
	binds []string // ids bound on this session
}

// Start runs a fake on 127.0.0.1 until the test ends.
func Start(t testing.TB, exp Expect) *Server {
	t.Helper()
	cert, pool, caPEM := selfSigned(t)
	s := &Server{t: t, exp: exp, pool: pool, caPEM: caPEM,
		cfg: &tls.Config{Certificates: []tls.Certificate{cert}}}
	s.url = exp.URL
	if s.url == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		// What a free account gets.
		s.url = "https://" + hex.EncodeToString(b) + ".ngrok-free.app"
	}
	var err error
	if s.agent, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if s.public, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.addr = s.agent.Addr().String()
	s.wg.Add(2)
	go s.acceptAgents(s.agent)
	go s.acceptPublic()
	t.Cleanup(s.Close)
	return s
}

// ConnectAddr is the address to give ngrok-go's WithAgentConnectURL.
func (s *Server) ConnectAddr() string { return s.addr }

// CAs trusts the fake's certificate, for WithAgentConnectCAs.
func (s *Server) CAs() *x509.CertPool { return s.pool }

// CAFile writes the fake's certificate as PEM into dir and returns its path.
func (s *Server) CAFile(dir string) string {
	p := filepath.Join(dir, "fakengrok-ca.pem")
	if err := os.WriteFile(p, s.caPEM, 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// PublicURL is the URL the fake hands out for an endpoint.
func (s *Server) PublicURL() string { return s.url }

// PublicAddr is where plain HTTP stands in for a request to PublicURL.
func (s *Server) PublicAddr() string { return s.public.Addr().String() }

// Auths are the authtokens the agent sent, one per session attempt.
func (s *Server) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.auths)
}

// Binds are the bind requests answered so far, re-binds after a reconnect
// included.
func (s *Server) Binds() []Bind {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.binds)
}

// StopEndpoints stops every endpoint as the dashboard's or API's stop
// does; the sessions stay up. It returns how many it stopped.
func (s *Server) StopEndpoints(message, code string) int {
	s.mu.Lock()
	type stop struct {
		mux muxado.TypedStreamSession
		id  string
	}
	var stops []stop
	for _, ss := range s.sessions {
		for _, id := range ss.binds {
			stops = append(stops, stop{ss.mux, id})
		}
		ss.binds = nil
	}
	s.mu.Unlock()
	for _, st := range stops {
		str, err := st.mux.OpenTypedStream(stopTunnelReq)
		if err != nil {
			continue
		}
		_ = json.NewEncoder(str).Encode(map[string]string{"Id": st.id, "Message": message, "ErrorCode": code})
		_ = str.Close()
	}
	return len(stops)
}

// Blackhole plays a network that silently drops everything: heartbeats go
// unanswered and new connections are taken but never answered, until
// Restore.
func (s *Server) Blackhole() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dark == nil {
		s.dark = make(chan struct{})
	}
}

// Restore ends a blackhole: held connections go on as if their packets had
// just got through.
func (s *Server) Restore() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dark != nil {
		close(s.dark)
		s.dark = nil
	}
}

// DropSessions closes every session, as a network outage the agent notices
// at once does.
func (s *Server) DropSessions() {
	s.mu.Lock()
	ss := s.sessions
	s.sessions = nil
	s.mu.Unlock()
	for _, x := range ss {
		_ = x.mux.Close()
	}
}

// Sessions is how many agent sessions are up.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close stops the fake and everything it serves.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	held := s.held
	s.held = nil
	if s.dark != nil {
		close(s.dark)
		s.dark = nil
	}
	agent := s.agent
	s.mu.Unlock()
	_ = agent.Close()
	_ = s.public.Close()
	for _, c := range held {
		_ = c.Close()
	}
	s.DropSessions()
	s.wg.Wait()
}

func (s *Server) darkness() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dark
}

// Down plays the service out of reach: its address refuses connections
// and the sessions drop, until Up.
func (s *Server) Down() {
	s.mu.Lock()
	ln := s.agent
	s.mu.Unlock()
	_ = ln.Close()
	s.DropSessions()
}

// Up makes the service reachable again at the same address.
func (s *Server) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Errorf("fakengrok: listening at %s again: %v", s.addr, err)
		return
	}
	s.agent = ln
	s.wg.Add(1)
	go s.acceptAgents(ln)
}

func (s *Server) acceptAgents(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.held = append(s.held, c)
		s.mu.Unlock()
		go func() {
			if dark := s.darkness(); dark != nil {
				<-dark
			}
			s.serve(tls.Server(c, s.cfg))
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	sess := &session{mux: muxado.NewTypedStreamSession(muxado.Server(c, &muxado.Config{}))}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	s.sessions = append(s.sessions, sess)
	s.mu.Unlock()
	go func() {
		defer s.forget(sess)
		for {
			st, err := sess.mux.AcceptTypedStream()
			if err != nil {
				return
			}
			go s.handle(sess, st)
		}
	}()
}

func (s *Server) forget(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = slices.DeleteFunc(s.sessions, func(x *session) bool { return x == sess })
}

func (s *Server) handle(sess *session, st muxado.TypedStream) {
	defer st.Close()
	if st.StreamType() == heartbeatReq {
		s.heartbeat(st)
		return
	}
	dec := json.NewDecoder(st)
	reply := func(v any) {
		if dark := s.darkness(); dark != nil {
			<-dark
		}
		_ = json.NewEncoder(st).Encode(v)
	}
	switch st.StreamType() {
	case authReq:
		var req struct {
			Version []string
			Extra   struct {
				Authtoken  string
				ClientType string
				Version    string
				UserAgent  string
			}
		}
		if err := dec.Decode(&req); err != nil {
			s.t.Errorf("fakengrok: unreadable auth request: %v", err)
			return
		}
		s.mu.Lock()
		s.auths = append(s.auths, req.Extra.Authtoken)
		s.mu.Unlock()
		if req.Extra.Authtoken != s.exp.Authtoken {
			reply(map[string]any{"Error": AuthRejected})
			return
		}
		if !slices.Contains(req.Version, "3") {
			s.t.Errorf("fakengrok: auth offers protocol versions %v; want 3 among them", req.Version)
		}
		if s.exp.ClientType != "" && (req.Extra.ClientType != s.exp.ClientType || !strings.HasPrefix(req.Extra.UserAgent, s.exp.ClientType+"/")) {
			s.t.Errorf("fakengrok: client type %q, user agent %q; want %q", req.Extra.ClientType, req.Extra.UserAgent, s.exp.ClientType)
		}
		if s.exp.ClientVersion != "" && req.Extra.Version != s.exp.ClientVersion {
			s.t.Errorf("fakengrok: client version %q; want %q", req.Extra.Version, s.exp.ClientVersion)
		}
		reply(map[string]any{"Version": "3", "ClientId": "client-1",
			"Extra": map[string]any{"AgentSessionID": "as_fake", "Region": "eu", "Version": "fake"}})
	case bindReq:
		var req struct {
			ID    string `json:"Id"`
			Proto string
			Opts  struct {
				URL           string
				TrafficPolicy string
			}
			Extra struct {
				Description string
				Token       string
			}
		}
		if err := dec.Decode(&req); err != nil {
			s.t.Errorf("fakengrok: unreadable bind request: %v", err)
			return
		}
		s.mu.Lock()
		rebind := req.ID != "" && slices.ContainsFunc(s.binds, func(b Bind) bool { return b.ID == req.ID })
		s.mu.Unlock()
		// A reconnecting agent binds again what it had, with the options
		// the service answered the first time: the URL it was given.
		wantURL := s.exp.URL
		if rebind {
			wantURL = s.url
		}
		if msg := s.checkBind(req.Proto, req.Opts.URL, wantURL, req.Opts.TrafficPolicy, req.Extra.Description); msg != "" {
			s.t.Errorf("fakengrok: %s", msg)
			reply(map[string]any{"Error": "fakengrok: " + msg})
			return
		}
		if s.exp.RejectURL && req.Opts.URL != "" {
			reply(map[string]any{"Error": URLRejected})
			return
		}
		if s.exp.RejectPolicy && req.Opts.TrafficPolicy != "" {
			reply(map[string]any{"Error": PolicyRejected})
			return
		}
		s.mu.Lock()
		id := req.ID
		if id == "" {
			s.nextBind++
			id = fmt.Sprintf("bind-%d", s.nextBind)
		}
		s.binds = append(s.binds, Bind{ID: id, URL: req.Opts.URL, TrafficPolicy: req.Opts.TrafficPolicy, Description: req.Extra.Description})
		if !slices.Contains(sess.binds, id) {
			sess.binds = append(sess.binds, id)
		}
		s.mu.Unlock()
		host := strings.TrimPrefix(s.url, "https://")
		reply(map[string]any{"Id": id, "URL": s.url, "Proto": "https",
			"Opts":  map[string]any{"URL": s.url, "Hostname": host, "TrafficPolicy": req.Opts.TrafficPolicy},
			"Extra": map[string]any{"Token": "bind-token-" + id, "TunnelID": "tn_" + id}})
	case unbindReq:
		var req struct {
			ID string `json:"Id"`
		}
		_ = dec.Decode(&req)
		s.mu.Lock()
		sess.binds = slices.DeleteFunc(sess.binds, func(x string) bool { return x == req.ID })
		s.mu.Unlock()
		reply(map[string]any{"Error": ""})
	default:
		// Anything else (metrics, server info) was not offered: say so as
		// the service does for a request it does not know.
		var req json.RawMessage
		_ = dec.Decode(&req)
		reply(map[string]any{"Error": fmt.Sprintf("fakengrok: unexpected request type %d", st.StreamType())})
	}
}

// checkBind says what is wrong with a bind request, or "".
func (s *Server) checkBind(proto, url, wantURL, policy, desc string) string {
	switch {
	case proto != "https":
		return fmt.Sprintf("bind for protocol %q; want https", proto)
	case url != wantURL:
		return fmt.Sprintf("bind asked for URL %q; want %q", url, wantURL)
	case policy != s.exp.TrafficPolicy:
		return fmt.Sprintf("bind carried traffic policy %q; want %q", policy, s.exp.TrafficPolicy)
	case s.exp.Description != "" && desc != s.exp.Description:
		return fmt.Sprintf("bind described as %q; want %q", desc, s.exp.Description)
	}
	return ""
}

// heartbeat echoes muxado's 4-byte beats, except in a blackhole.
func (s *Server) heartbeat(st net.Conn) {
	var id [4]byte
	for {
		if _, err := io.ReadFull(st, id[:]); err != nil {
			return
		}
		if s.darkness() != nil {
			continue
		}
		if _, err := st.Write(id[:]); err != nil {
			return
		}
	}
}

func (s *Server) acceptPublic() {
	defer s.wg.Done()
	for {
		c, err := s.public.Accept()
		if err != nil {
			return
		}
		go s.proxy(c)
	}
}

// proxy hands one public connection to the agent on a proxy stream, as the
// service's edge does once it has terminated TLS.
func (s *Server) proxy(c net.Conn) {
	defer c.Close()
	s.mu.Lock()
	var mux muxado.TypedStreamSession
	var id string
	for i := len(s.sessions) - 1; i >= 0 && mux == nil; i-- {
		if b := s.sessions[i].binds; len(b) > 0 {
			mux, id = s.sessions[i].mux, b[len(b)-1]
		}
	}
	dark := s.dark
	s.mu.Unlock()
	if mux == nil || dark != nil {
		offline(c)
		return
	}
	st, err := mux.OpenTypedStream(proxyReq)
	if err != nil {
		offline(c)
		return
	}
	defer st.Close()
	hdr, _ := json.Marshal(map[string]any{"Id": id, "ClientAddr": ClientAddr, "Proto": "https", "EdgeType": "3"})
	_ = binary.Write(st, binary.LittleEndian, int64(len(hdr)))
	_, _ = st.Write(hdr)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(c, st)
		_ = c.Close()
		close(done)
	}()
	_, _ = io.Copy(st, c)
	_ = st.CloseWrite()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

// offline answers as the service's edge does when no agent serves the URL.
func offline(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
		return
	}
	body := "The endpoint is offline.\n\nERR_NGROK_3200\n"
	fmt.Fprintf(c, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nNgrok-Error-Code: ERR_NGROK_3200\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}

// selfSigned makes a certificate for 127.0.0.1 that is its own CA.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fakengrok"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
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
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

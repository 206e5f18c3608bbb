// Package web is hookscope's web inspector: an HTTP API (/api/…) and a
// page (static files embedded in the binary) on a loopback port of its
// own. It owns that port, its security (Host allow-list against DNS
// rebinding, a per-process token plus a same Origin for anything that
// acts, a strict Content-Security-Policy) and how captured requests are
// shown in a browser. It reads and acts only through the session: it runs
// no SQL, opens no HTTP client and is never served on the capture port or
// through the tunnel. Every captured byte reaches the page as JSON data
// that the page renders as text, never as markup.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/tunnel"
)

// Session is what the inspector may use of a capture session: reads of the
// store, the live events and the one replayer.
type Session interface {
	Subscribe() *inspect.Sub
	List(ctx context.Context, q inspect.Query) ([]inspect.Record, error)
	Count(ctx context.Context, q inspect.Query) (int, error)
	Resolve(ctx context.Context, prefix string) (string, error)
	Get(ctx context.Context, id string) (*inspect.Record, error)
	Attempts(ctx context.Context, id string) ([]inspect.Attempt, error)
	Deliveries(ctx context.Context, id string) ([]inspect.Delivery, error)
	Replay(ctx context.Context, req forward.ReplayRequest) (*forward.Replayed, error)
	Health(ctx context.Context) error
	Forwarding() bool
	Team() *inspect.TeamState // nil without a team relay
}

// Options configure the inspector.
type Options struct {
	Session   Session
	LocalURL  string   // the capture server, for the header and copy-as-curl
	PublicURL string   // the URL to register ("" without a tunnel)
	Targets   []string // forward targets as shown in the ready line
	CanResign bool     // a secret is known, so edited replays verify
	Version   string
	// MaxBody bounds an edited body a replay may send.
	MaxBody int64
}

// Server is one inspector. Its Host allow-list is set by Listen's address.
type Server struct {
	o     Options
	token string
	index []byte
	port  string
	host  string // the host --web named, allowed besides loopback names

	mu     sync.Mutex
	tunnel *tunnel.Event // latest state; nil without a tunnel
	tunGen chan struct{} // closed and replaced when tunnel changes
	sse    int           // event streams open
}

// maxStreams bounds open event streams: each holds a bus subscription.
const maxStreams = 32

// New builds an inspector for the listener it will serve on.
func New(o Options, ln net.Listener) *Server {
	var b [32]byte
	rand.Read(b[:])
	if o.MaxBody <= 0 {
		o.MaxBody = 10 << 20
	}
	s := &Server{o: o, token: hex.EncodeToString(b[:]), tunGen: make(chan struct{})}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.port = port
	s.host = host
	s.index = []byte(strings.Replace(string(mustAsset("index.html")), "{{TOKEN}}", s.token, 1))
	return s
}

// URL is the address to open in a browser.
func (s *Server) URL() string {
	h := s.host
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		h = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(h, s.port) + "/"
}

// Serve serves ln until ctx ends; open event streams end with it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(shut) != nil {
			srv.Close()
		}
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// WatchTunnel passes the tunnel's events on unchanged, keeping the latest
// for the page: the TUI or printer still gets every one.
func (s *Server) WatchTunnel(in <-chan tunnel.Event) <-chan tunnel.Event {
	if in == nil {
		return nil
	}
	out := make(chan tunnel.Event)
	go func() {
		defer close(out)
		for ev := range in {
			s.mu.Lock()
			e := ev
			s.tunnel = &e
			close(s.tunGen)
			s.tunGen = make(chan struct{})
			s.mu.Unlock()
			out <- ev
		}
	}()
	return out
}

func (s *Server) tunnelState() (*tunnel.Event, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tunnel, s.tunGen
}

// Handler is the inspector's whole HTTP surface, behind its guards.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /assets/{name}", s.asset)
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/requests", s.list)
	mux.HandleFunc("GET /api/requests/{id}", s.show)
	mux.HandleFunc("GET /api/requests/{id}/body", s.body)
	mux.HandleFunc("GET /api/requests/{id}/curl", s.curl)
	mux.HandleFunc("POST /api/requests/{id}/replay", s.replay)
	mux.HandleFunc("GET /api/events", s.events)
	return s.guard(mux)
}

// csp allows the page's own files and nothing else: no inline script, no
// eval, no frames, no plugins, and string-to-HTML sinks (innerHTML) throw.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// guard refuses what a hostile page or a rebound DNS name could send: a
// Host that is not the inspector's, and any state change without the
// page's token from the page's own origin.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if !s.hostAllowed(r.Host) {
			apiError(w, http.StatusMisdirectedRequest, "this is hookscope's web inspector; open it as "+s.URL())
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if r.Header.Get("Origin") != "http://"+r.Host {
				apiError(w, http.StatusForbidden, "refused: the request did not come from the inspector's own page (Origin)")
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Hookscope-Token")), []byte(s.token)) != 1 {
				apiError(w, http.StatusForbidden, "refused: missing or wrong X-Hookscope-Token (the page holds it in <meta name=hookscope-token>)")
				return
			}
		}
		// Browsers say where a request came from; another site's page may
		// link to the inspector, never call its API.
		if site := r.Header.Get("Sec-Fetch-Site"); strings.HasPrefix(r.URL.Path, "/api/") &&
			site != "" && site != "same-origin" && site != "none" {
			apiError(w, http.StatusForbidden, "refused: cross-site request")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed: loopback names and IP literals on the inspector's port, or
// the host --web named. A name an attacker's DNS could point here (DNS
// rebinding) is neither.
func (s *Server) hostAllowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != s.port {
		return false
	}
	if strings.EqualFold(host, "localhost") || strings.EqualFold(host, s.host) {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return false
	}
	if ip.IsLoopback() || ip.Equal(net.ParseIP(s.host)) {
		return true
	}
	// Bound to every interface: any of the machine's addresses, which only
	// an IP literal names (a DNS name could be rebound).
	bind := net.ParseIP(s.host)
	return bind != nil && bind.IsUnspecified()
}

// DefaultAddr is where the inspector listens unless --web says otherwise.
const DefaultAddr = "127.0.0.1:4040"

// portTries is how many ports after a taken one Listen tries.
const portTries = 50

// Listen opens addr, or the next free port after it when it is taken
// (after portTries taken ones, or with port 0: any free one).
func Listen(addr string) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--web %q is not an address: use host:port (e.g. %s) or off", addr, DefaultAddr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("--web %q: the port must be 0 to 65535", addr)
	}
	var firstErr error
	for i := 0; i <= portTries && port+i <= 65535; i++ {
		p := port + i
		if i == portTries {
			p = 0 // every port tried is taken: any free one
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if port == 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("the web inspector cannot listen on %s: %v; pass --web 127.0.0.1:0 for any free port, or --web off", addr, firstErr)
}

// Loopback reports whether ln only accepts connections from this machine.
func Loopback(ln net.Listener) bool {
	a, ok := ln.Addr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

package signature

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// Generic is an HMAC of the raw body in a header the user names, for
// providers hookscope has no scheme of its own for.
type Generic struct{ s single }

// NewGeneric checks a user's description of a provider's scheme: header
// name, algo sha1|sha256|sha512, encoding hex|base64, and a prefix written
// before the MAC (e.g. "sha256="), which may be empty.
func NewGeneric(header string, algo Algorithm, enc Encoding, prefix string) (Generic, error) {
	header = strings.TrimSpace(header)
	if header == "" || strings.ContainsAny(header, " :\t\r\n") {
		return Generic{}, fmt.Errorf("the generic signature header must be a header name such as X-Signature, not %q", header)
	}
	algo = Algorithm(strings.ToLower(string(algo)))
	if _, _, ok := algo.hash(); !ok {
		return Generic{}, fmt.Errorf("the generic signature algorithm must be sha1, sha256 or sha512, not %q", algo)
	}
	enc = Encoding(strings.ToLower(string(enc)))
	if enc != Hex && enc != Base64 {
		return Generic{}, fmt.Errorf("the generic signature encoding must be hex or base64, not %q", enc)
	}
	return Generic{single{scheme: "generic", header: textproto.CanonicalMIMEHeaderKey(header), algo: algo, enc: enc, prefix: prefix}}, nil
}

func (Generic) Name() string { return "generic" }

// Describe says what the scheme checks, for ready lines and help.
func (g Generic) Describe() string {
	p := ""
	if g.s.prefix != "" {
		p = fmt.Sprintf(", prefix %q", g.s.prefix)
	}
	return fmt.Sprintf("%s: %s HMAC-%s of the body%s", g.s.header, g.s.enc, strings.ToUpper(string(g.s.algo)), p)
}

func (g Generic) Detect(h http.Header) bool { return g.s.detect(h) }

func (g Generic) Sign(body []byte, secret string) http.Header { return g.s.sign(body, secret) }

func (g Generic) Verify(h http.Header, body []byte, secrets []string) Verdict {
	return g.s.verify(h, body, secrets)
}

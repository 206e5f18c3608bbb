// Package signature judges webhook signatures. Each provider's scheme sits
// behind the Scheme interface; the capture engine asks every scheme it knows
// and stores the verdict. Secrets pass through here and are never kept in a
// Verdict, so nothing downstream can leak them.
package signature

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// Status is the outcome of a signature check.
type Status string

const (
	Valid     Status = "valid"
	Invalid   Status = "invalid"
	Missing   Status = "missing"   // the request carries no signature header
	Unchecked Status = "unchecked" // no secret is known, so nothing can be judged
)

// Symbol is the mark that tells a status without colour.
func (s Status) Symbol() string {
	switch s {
	case Valid:
		return "✓"
	case Invalid:
		return "✗"
	case Missing:
		return "–"
	}
	return "?"
}

// Label is the symbol and the word, e.g. "✗ invalid", as every front end
// shows a verdict; no status reads as unchecked. The known ones are
// constants: the headless printer writes one per captured request.
func (s Status) Label() string {
	switch s {
	case Valid:
		return "✓ valid"
	case Invalid:
		return "✗ invalid"
	case Missing:
		return "– missing"
	case Unchecked, "":
		return "? unchecked"
	}
	return s.Symbol() + " " + string(s)
}

// Verdict is what a scheme says of one request. It never holds a secret.
type Verdict struct {
	Status Status `json:"status"`
	Scheme string `json:"scheme"`
	Detail string `json:"detail"`
	// SecretIndex is the 0-based index of the secret that matched, -1 when none did.
	SecretIndex int `json:"secret_index"`
}

// Scheme is one provider's signature method.
type Scheme interface {
	// Name is the scheme's short name, e.g. "videonest".
	Name() string
	// Detect reports whether the request's headers carry this scheme's signature.
	Detect(h http.Header) bool
	// Verify judges body against the headers using the given secrets
	// (any match is valid: several secrets exist during rotation).
	Verify(h http.Header, body []byte, secrets []string) Verdict
	// Sign returns the header(s) that make body valid under secret.
	Sign(body []byte, secret string) http.Header
}

// VideoNestHeader carries VideoNest's hex HMAC-SHA256 of the raw body.
const VideoNestHeader = "X-VideoNest-Signature"

// noSecretDetail is every scheme's Unchecked detail: the flag and the
// variable to set, whichever provider is being checked.
const noSecretDetail = "no secret configured: set --secret or VIDEONEST_WEBHOOK_SECRET"

// VideoNest implements the scheme on VideoNest's webhook page: HMAC-SHA256
// of the raw request body with the signing secret, hex in X-VideoNest-Signature.
type VideoNest struct{}

func (VideoNest) Name() string { return "videonest" }

// videonestMAC is the shape GitHub and Shopify share too: one header, the
// MAC of the raw body; VideoNest's has no prefix.
var videonestMAC = single{scheme: "videonest", header: VideoNestHeader, algo: SHA256, enc: Hex}

func (VideoNest) Detect(h http.Header) bool { return videonestMAC.detect(h) }

// Compute returns the lower-case hex HMAC-SHA256 of body under secret.
func (VideoNest) Compute(body []byte, secret string) string {
	return videonestMAC.compute(body, secret)
}

func (VideoNest) Sign(body []byte, secret string) http.Header { return videonestMAC.sign(body, secret) }

func (VideoNest) Verify(h http.Header, body []byte, secrets []string) Verdict {
	v := videonestMAC.verify(h, body, secrets)
	if v.Status == Missing && len(secrets) == 0 {
		v.Detail += " (and no secret configured)"
	}
	return v
}

// DecodeHex decodes a hex signature of exactly n bytes, case-insensitively,
// and says plainly what is wrong with a malformed one.
func DecodeHex(s string, n int) ([]byte, error) {
	switch {
	case s == "":
		return nil, fmt.Errorf("empty signature")
	case len(s) != 2*n:
		return nil, fmt.Errorf("length %d, expected %d hex chars", len(s), 2*n)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %q is not a hex digit", firstNonHex(s))
	}
	return b, nil
}

func firstNonHex(s string) string {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return string(r)
		}
	}
	return ""
}

// Judge runs the first scheme that detects its header; when none does, the
// first (default) scheme gives the verdict, so a VideoNest request with no
// signature reads "missing". forced, when non-empty, names the scheme to use.
func Judge(schemes []Scheme, forced string, h http.Header, body []byte, secrets []string) Verdict {
	if len(schemes) == 0 {
		return Verdict{Status: Unchecked, SecretIndex: -1, Detail: "no signature scheme"}
	}
	if forced != "" {
		for _, s := range schemes {
			if s.Name() == forced {
				return s.Verify(h, body, secrets)
			}
		}
	}
	for _, s := range schemes {
		if s.Detect(h) {
			return s.Verify(h, body, secrets)
		}
	}
	return schemes[0].Verify(h, body, secrets)
}

// Default is the scheme list hookscope uses when nothing else is configured:
// VideoNest first (the fallback verdict), then every provider hookscope
// detects from its headers.
func Default() []Scheme {
	return []Scheme{VideoNest{}, GitHub{}, Stripe{}, StandardWebhooks{}, Shopify{}}
}

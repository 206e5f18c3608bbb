package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// Encoding is how a provider writes a MAC into a header.
type Encoding string

const (
	Hex    Encoding = "hex"
	Base64 Encoding = "base64"
)

// Algorithm is an HMAC hash a provider may use.
type Algorithm string

const (
	SHA1   Algorithm = "sha1"
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
)

func (a Algorithm) hash() (func() hash.Hash, int, bool) {
	switch a {
	case SHA1:
		return sha1.New, sha1.Size, true
	case SHA256:
		return sha256.New, sha256.Size, true
	case SHA512:
		return sha512.New, sha512.Size, true
	}
	return nil, 0, false
}

func mac(newHash func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func encode(e Encoding, b []byte) string {
	if e == Base64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// DecodeBase64 decodes a base64 MAC of exactly n bytes. Padded and unpadded,
// standard and URL alphabets are all accepted: what matters to a developer
// is whether the bytes match, and the detail says so when they cannot.
func DecodeBase64(s string, n int) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("empty signature")
	}
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not base64: %q (%d chars)", clip(s, 12), len(s))
	}
	if len(b) != n {
		return nil, fmt.Errorf("decodes to %d bytes, expected %d (%d base64 chars)", len(b), n, base64.StdEncoding.EncodedLen(n))
	}
	return b, nil
}

func decodeMAC(e Encoding, s string, n int) ([]byte, error) {
	if e == Base64 {
		return DecodeBase64(s, n)
	}
	return DecodeHex(s, n)
}

// matchedDetail says which of the configured secrets matched.
func matchedDetail(i, n int) string {
	if n > 1 {
		return fmt.Sprintf("matched secret #%d of %d", i+1, n)
	}
	return "matched the configured secret"
}

// mismatchDetail shows the start of what was expected and what arrived:
// enough to tell "different secret" from "body changed in transit" at a
// glance, too little to help anyone forge a signature.
func mismatchDetail(expected, received string, secrets int) string {
	d := fmt.Sprintf("mismatch: expected %s…, received %s…", clip(expected, 8), clip(received, 8))
	if secrets > 1 {
		d += fmt.Sprintf(" (none of %d secrets matched)", secrets)
	}
	return d
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func anyEqual(want []byte, got [][]byte) bool {
	ok := 0
	for _, g := range got {
		ok |= subtle.ConstantTimeCompare(want, g)
	}
	return ok == 1
}

// single is the shape most providers share: one header carrying an
// (optionally prefixed) HMAC of the raw body, keyed by the secret as is.
type single struct {
	scheme string
	header string
	algo   Algorithm
	enc    Encoding
	prefix string
}

func (s single) detect(h http.Header) bool { return len(h.Values(s.header)) > 0 }

func (s single) compute(body []byte, secret string) string {
	newHash, _, _ := s.algo.hash()
	return s.prefix + encode(s.enc, mac(newHash, []byte(secret), body))
}

func (s single) sign(body []byte, secret string) http.Header {
	h := http.Header{}
	h.Set(s.header, s.compute(body, secret))
	return h
}

// parse strips the prefix and decodes the MAC, saying plainly what is wrong.
func (s single) parse(v string) ([]byte, error) {
	_, size, _ := s.algo.hash()
	v = strings.TrimSpace(v)
	if s.prefix != "" {
		rest, ok := strings.CutPrefix(v, s.prefix)
		if !ok {
			return nil, fmt.Errorf("%s should start with %q, got %q", s.header, s.prefix, clip(v, len(s.prefix)+4))
		}
		v = rest
	}
	return decodeMAC(s.enc, v, size)
}

func (s single) verify(h http.Header, body []byte, secrets []string) Verdict {
	out := Verdict{Scheme: s.scheme, SecretIndex: -1}
	vals := h.Values(s.header)
	if len(vals) == 0 {
		out.Status = Missing
		out.Detail = "no " + s.header + " header"
		return out
	}
	if len(secrets) == 0 {
		out.Status = Unchecked
		out.Detail = noSecretDetail
		return out
	}
	if len(vals) > 1 {
		out.Status = Invalid
		out.Detail = fmt.Sprintf("%d %s headers, expected exactly one", len(vals), s.header)
		return out
	}
	got, err := s.parse(vals[0])
	if err != nil {
		out.Status = Invalid
		out.Detail = err.Error()
		return out
	}
	newHash, _, _ := s.algo.hash()
	for i, sec := range secrets {
		if subtle.ConstantTimeCompare(mac(newHash, []byte(sec), body), got) == 1 {
			out.Status = Valid
			out.SecretIndex = i
			out.Detail = matchedDetail(i, len(secrets))
			return out
		}
	}
	out.Status = Invalid
	exp := strings.TrimPrefix(s.compute(body, secrets[0]), s.prefix)
	recv := strings.TrimPrefix(strings.TrimSpace(vals[0]), s.prefix)
	out.Detail = mismatchDetail(exp, recv, len(secrets))
	return out
}

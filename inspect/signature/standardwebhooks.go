package signature

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (standardwebhooks.com, the scheme Svix created and
// still sends under svix-* names): webhook-signature holds space-separated
// "v1,<base64>" entries, each the HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>"
// keyed by the base64-decoded secret after its "whsec_" prefix.
const (
	StandardWebhooksID        = "Webhook-Id"
	StandardWebhooksTimestamp = "Webhook-Timestamp"
	StandardWebhooksSignature = "Webhook-Signature"

	SvixID        = "Svix-Id"
	SvixTimestamp = "Svix-Timestamp"
	SvixSignature = "Svix-Signature"
)

// StandardWebhooksTolerance is how far the timestamp may be from the
// receiver's clock, either way, before the reference libraries refuse it.
const StandardWebhooksTolerance = 5 * time.Minute

// StandardWebhooks implements the Standard Webhooks specification's
// symmetric (v1) signatures. As with Stripe, a signature outside the
// tolerance stays valid and the detail says the libraries would refuse it.
type StandardWebhooks struct {
	Now func() time.Time // the capture clock; nil means time.Now
}

// StandardWebhooksKey turns a secret into the HMAC key: "whsec_" and the
// base64 of the key bytes. A secret that is not base64 is used as raw
// bytes (raw reports it), so hookscope's own signing and checking agree
// even with a hand-made secret.
func StandardWebhooksKey(secret string) (key []byte, raw bool) {
	s := strings.TrimPrefix(secret, "whsec_")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, false
		}
	}
	return []byte(secret), true
}

// ParseStandardSignatures reads a webhook-signature value: space-separated
// "version,signature" entries. It returns the decoded v1 MACs, how many
// entries had another version (v1a is the asymmetric ed25519 variant), and
// the first malformed v1 entry's problem.
func ParseStandardSignatures(v string) (v1 [][]byte, other int, malformed error) {
	for _, item := range strings.Split(v, " ") {
		if item == "" {
			continue
		}
		version, sig, ok := strings.Cut(item, ",")
		if !ok {
			if malformed == nil {
				malformed = fmt.Errorf("entry %q is not version,signature", clip(item, 12))
			}
			continue
		}
		if version != "v1" {
			other++
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			if malformed == nil {
				malformed = fmt.Errorf("v1 signature %q is not the base64 of 32 bytes", clip(sig, 12))
			}
			continue
		}
		v1 = append(v1, b)
	}
	return v1, other, malformed
}

func (StandardWebhooks) Name() string { return "standard-webhooks" }

func (StandardWebhooks) Detect(h http.Header) bool {
	return len(h.Values(StandardWebhooksSignature)) > 0 || len(h.Values(SvixSignature)) > 0
}

func (s StandardWebhooks) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Compute returns the base64 v1 signature (without "v1,").
func (StandardWebhooks) Compute(body []byte, secret, id, timestamp string) string {
	key, _ := StandardWebhooksKey(secret)
	return encode(Base64, mac(sha256.New, key, []byte(id+"."+timestamp+"."), body))
}

func (s StandardWebhooks) Sign(body []byte, secret string) http.Header {
	var b [12]byte
	rand.Read(b[:])
	id := "msg_" + hex.EncodeToString(b[:])
	ts := strconv.FormatInt(s.now().Unix(), 10)
	h := http.Header{}
	h.Set(StandardWebhooksID, id)
	h.Set(StandardWebhooksTimestamp, ts)
	h.Set(StandardWebhooksSignature, "v1,"+s.Compute(body, secret, id, ts))
	return h
}

func (s StandardWebhooks) Verify(h http.Header, body []byte, secrets []string) Verdict {
	out := Verdict{Scheme: s.Name(), SecretIndex: -1}
	idH, tsH, sigH, via := StandardWebhooksID, StandardWebhooksTimestamp, StandardWebhooksSignature, ""
	if len(h.Values(sigH)) == 0 && len(h.Values(SvixSignature)) > 0 {
		idH, tsH, sigH, via = SvixID, SvixTimestamp, SvixSignature, " (svix-* headers)"
	}
	sigs := h.Values(sigH)
	switch {
	case len(sigs) == 0:
		out.Status, out.Detail = Missing, "no "+StandardWebhooksSignature+" (or "+SvixSignature+") header"
		return out
	case len(secrets) == 0:
		out.Status, out.Detail = Unchecked, noSecretDetail
		return out
	case len(sigs) > 1:
		out.Status, out.Detail = Invalid, fmt.Sprintf("%d %s headers, expected one (several signatures go space-separated in one)", len(sigs), sigH)
		return out
	}
	id, ts := h.Get(idH), h.Get(tsH)
	switch {
	case id == "":
		out.Status, out.Detail = Invalid, sigH+" is present but "+idH+" is missing; it is part of what is signed"
		return out
	case !allDigits(ts):
		out.Status, out.Detail = Invalid, fmt.Sprintf("%s %q is not a Unix time in seconds", tsH, clip(ts, 20))
		return out
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		out.Status, out.Detail = Invalid, fmt.Sprintf("%s %q is not a Unix time in seconds", tsH, clip(ts, 20))
		return out
	}
	got, other, malformed := ParseStandardSignatures(sigs[0])
	if len(got) == 0 {
		switch {
		case malformed != nil:
			out.Status, out.Detail = Invalid, malformed.Error()
		case other > 0:
			out.Status, out.Detail = Unchecked, "only non-v1 signatures (v1a is ed25519, checked with a public key, not a shared secret)"
		default:
			out.Status, out.Detail = Invalid, sigH+" holds no v1,<base64> signature"
		}
		return out
	}
	rawKeys := 0
	for i, sec := range secrets {
		key, raw := StandardWebhooksKey(sec)
		if raw {
			rawKeys++
		}
		if anyEqual(mac(sha256.New, key, []byte(id+"."+ts+"."), body), got) {
			out.Status, out.SecretIndex = Valid, i
			out.Detail = matchedDetail(i, len(secrets)) + via + ", " +
				ageNote(s.now(), t, StandardWebhooksTolerance, "the Standard Webhooks libraries", true)
			return out
		}
	}
	out.Status = Invalid
	recv := ""
	for _, f := range strings.Fields(sigs[0]) {
		if r, ok := strings.CutPrefix(f, "v1,"); ok {
			recv = r
			break
		}
	}
	out.Detail = mismatchDetail(s.Compute(body, secrets[0], id, ts), recv, len(secrets)) + via
	if rawKeys > 0 {
		out.Detail += "; a secret that is not whsec_<base64> was used as raw bytes"
	}
	return out
}

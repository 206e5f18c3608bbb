package signature

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StripeHeader is "t=<unix seconds>,v1=<hex>[,v1=<hex>…]": v1 is the hex
// HMAC-SHA256 of "<t>.<raw body>", keyed by the endpoint secret (whsec_…)
// as is. Several v1 entries appear while a secret rolls.
const StripeHeader = "Stripe-Signature"

// StripeTolerance is the default age beyond which Stripe's libraries
// refuse a signed event as a possible replay.
const StripeTolerance = 300 * time.Second

// Stripe implements "Verify webhook signatures" from Stripe's docs.
//
// A signature older than the tolerance (measured at capture) is still
// reported valid: the bytes are authentic, and a capture replayed days later
// must not look forged. The detail says that Stripe's libraries would
// refuse it, which is what a developer replaying it needs to know.
type Stripe struct {
	Now func() time.Time // the capture clock; nil means time.Now
}

// StripeSignature is a parsed Stripe-Signature header.
type StripeSignature struct {
	Timestamp int64
	V1        []string // as sent (hex), in order
}

// ParseStripeHeader reads the header the way Stripe's libraries do: items
// split on ",", keys and values on "=", no whitespace trimmed, the last t
// wins, and only v1 entries count as signatures.
func ParseStripeHeader(v string) (StripeSignature, error) {
	var out StripeSignature
	tRaw, haveT := "", false
	for _, item := range strings.Split(v, ",") {
		key, val, _ := strings.Cut(item, "=")
		val, _, _ = strings.Cut(val, "=")
		switch key {
		case "t":
			tRaw, haveT = val, true
		case "v1":
			out.V1 = append(out.V1, val)
		}
	}
	if !haveT {
		return out, fmt.Errorf("%s has no t= timestamp (expected t=…,v1=…)", StripeHeader)
	}
	t, err := strconv.ParseInt(tRaw, 10, 64)
	if err != nil || t < 0 || !allDigits(tRaw) {
		return out, fmt.Errorf("%s t=%q is not a Unix time in seconds", StripeHeader, clip(tRaw, 20))
	}
	out.Timestamp = t
	if len(out.V1) == 0 {
		return out, fmt.Errorf("%s has no v1= signature (Stripe's libraries check v1 only)", StripeHeader)
	}
	return out, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (Stripe) Name() string { return "stripe" }

func (Stripe) Detect(h http.Header) bool { return len(h.Values(StripeHeader)) > 0 }

func (s Stripe) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Compute returns the hex v1 signature of body signed at unix time t.
func (Stripe) Compute(body []byte, secret string, t int64) string {
	return encode(Hex, mac(sha256.New, []byte(secret), []byte(strconv.FormatInt(t, 10)), []byte("."), body))
}

func (s Stripe) Sign(body []byte, secret string) http.Header {
	t := s.now().Unix()
	h := http.Header{}
	h.Set(StripeHeader, "t="+strconv.FormatInt(t, 10)+",v1="+s.Compute(body, secret, t))
	return h
}

func (s Stripe) Verify(h http.Header, body []byte, secrets []string) Verdict {
	out := Verdict{Scheme: s.Name(), SecretIndex: -1}
	vals := h.Values(StripeHeader)
	switch {
	case len(vals) == 0:
		out.Status, out.Detail = Missing, "no "+StripeHeader+" header"
		return out
	case len(secrets) == 0:
		out.Status, out.Detail = Unchecked, noSecretDetail
		return out
	case len(vals) > 1:
		out.Status, out.Detail = Invalid, fmt.Sprintf("%d %s headers, expected exactly one", len(vals), StripeHeader)
		return out
	}
	sig, err := ParseStripeHeader(strings.TrimSpace(vals[0]))
	if err != nil {
		out.Status, out.Detail = Invalid, err.Error()
		return out
	}
	var got [][]byte
	var malformed error
	for _, v := range sig.V1 {
		b, err := DecodeHex(v, sha256.Size)
		if err != nil {
			malformed = err
			continue
		}
		got = append(got, b)
	}
	for i, sec := range secrets {
		want := mac(sha256.New, []byte(sec), []byte(strconv.FormatInt(sig.Timestamp, 10)), []byte("."), body)
		if anyEqual(want, got) {
			out.Status, out.SecretIndex = Valid, i
			out.Detail = matchedDetail(i, len(secrets)) + ", " + ageNote(s.now(), sig.Timestamp, StripeTolerance, "Stripe's libraries", false)
			return out
		}
	}
	out.Status = Invalid
	if len(got) == 0 && malformed != nil {
		out.Detail = "v1 signature: " + malformed.Error()
		return out
	}
	out.Detail = mismatchDetail(s.Compute(body, secrets[0], sig.Timestamp), sig.V1[0], len(secrets))
	return out
}

// ageNote says how old a signature's timestamp was when it arrived and
// whether the provider's libraries (libs) would still accept it; some also
// refuse timestamps from the future (rejectFuture).
func ageNote(now time.Time, ts int64, tolerance time.Duration, libs string, rejectFuture bool) string {
	age := now.Sub(time.Unix(ts, 0)).Truncate(time.Second)
	tol := fmt.Sprintf("%d s", int(tolerance.Seconds()))
	switch {
	case age > tolerance:
		return fmt.Sprintf("but signed %s before it arrived: %s reject it as outside their default %s tolerance (replay protection), though the signature is authentic", span(age), libs, tol)
	case age < -tolerance && rejectFuture:
		return fmt.Sprintf("but its timestamp is %s in the future (clock skew?): %s reject it as outside their %s tolerance", span(-age), libs, tol)
	case age < 0:
		return fmt.Sprintf("timestamp %s in the future; %s accept it", span(-age), libs)
	}
	return fmt.Sprintf("signed %s before it arrived, within the %s tolerance of %s", span(age), tol, libs)
}

// span writes a duration the way people say it.
func span(d time.Duration) string {
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

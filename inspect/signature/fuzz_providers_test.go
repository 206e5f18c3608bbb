package signature

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Header parsers see whatever the internet sends. The fuzz targets check
// that none panics and that "valid" is only ever said of a MAC that really
// matches. Seeds live in testdata/fuzz.

const fuzzSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func FuzzParseStripeHeader(f *testing.F) {
	f.Add("t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", []byte(pageBody))
	f.Add("t=,v1=", []byte{})
	f.Fuzz(func(t *testing.T, v string, body []byte) {
		sig, err := ParseStripeHeader(v)
		if err == nil {
			if len(sig.V1) == 0 || sig.Timestamp < 0 {
				t.Fatalf("accepted %q as %+v", v, sig)
			}
			// What the parser read must survive being written back.
			again, err := ParseStripeHeader("t=" + strconv.FormatInt(sig.Timestamp, 10) + ",v1=" + strings.Join(sig.V1, ",v1="))
			if err != nil || again.Timestamp != sig.Timestamp || len(again.V1) != len(sig.V1) {
				t.Fatalf("%q: re-parse %+v %v", v, again, err)
			}
		}
		s := Stripe{Now: func() time.Time { return time.Unix(1700000000, 0) }}
		got := s.Verify(http.Header{StripeHeader: {v}}, body, []string{fuzzSecret})
		if got.Status == Valid {
			want := s.Compute(body, fuzzSecret, sig.Timestamp)
			found := false
			for _, v1 := range sig.V1 {
				found = found || strings.EqualFold(v1, want)
			}
			if !found {
				t.Fatalf("valid verdict for %q", v)
			}
		}
	})
}

func FuzzParseStandardSignatures(f *testing.F) {
	f.Add(swSpecSig, swSpecID, swSpecTS, []byte(swSpecBody))
	f.Add("v1a,AAAA v1,", "", "0", []byte{})
	f.Fuzz(func(t *testing.T, v, id, ts string, body []byte) {
		v1, _, _ := ParseStandardSignatures(v)
		for _, b := range v1 {
			if len(b) != sha256.Size {
				t.Fatalf("%q: v1 of %d bytes", v, len(b))
			}
		}
		h := http.Header{}
		h.Set(StandardWebhooksID, id)
		h.Set(StandardWebhooksTimestamp, ts)
		h.Set(StandardWebhooksSignature, v)
		got := StandardWebhooks{}.Verify(h, body, []string{fuzzSecret})
		if got.Status == Valid {
			want, _ := base64.StdEncoding.DecodeString(StandardWebhooks{}.Compute(body, fuzzSecret, h.Get(StandardWebhooksID), h.Get(StandardWebhooksTimestamp)))
			found := false
			for _, b := range v1 {
				found = found || bytes.Equal(b, want)
			}
			if !found {
				t.Fatalf("valid verdict for %q", v)
			}
		}
	})
}

func FuzzGitHubHeader(f *testing.F) {
	f.Add(ghDocSig, []byte(ghDocBody))
	f.Add("sha256=", []byte{})
	f.Fuzz(func(t *testing.T, v string, body []byte) {
		got := GitHub{}.Verify(http.Header{GitHubHeader: {v}}, body, []string{ghDocSecret})
		if got.Status == Valid && !strings.EqualFold(strings.TrimSpace(v), githubSHA256.compute(body, ghDocSecret)) {
			t.Fatalf("valid verdict for %q", v)
		}
	})
}

func FuzzShopifyHeader(f *testing.F) {
	f.Add(shopify.compute([]byte(pageBody), pageSecret), []byte(pageBody))
	f.Add("====", []byte{})
	f.Fuzz(func(t *testing.T, v string, body []byte) {
		got := Shopify{}.Verify(http.Header{ShopifyHeader: {v}}, body, []string{pageSecret})
		if got.Status == Valid {
			b, err := DecodeBase64(strings.TrimSpace(v), sha256.Size)
			want, _ := base64.StdEncoding.DecodeString(shopify.compute(body, pageSecret))
			if err != nil || !bytes.Equal(b, want) {
				t.Fatalf("valid verdict for %q", v)
			}
		}
	})
}

func FuzzGenericHeader(f *testing.F) {
	f.Add("sha256=", "hex", "sha256=0123", []byte("x"))
	f.Add("", "base64", "AAAA", []byte{})
	f.Fuzz(func(t *testing.T, prefix, enc, v string, body []byte) {
		g, err := NewGeneric("X-Sig", SHA256, Encoding(enc), prefix)
		if err != nil {
			return
		}
		got := g.Verify(http.Header{"X-Sig": {v}}, body, []string{"k"})
		if got.Status != Valid {
			return
		}
		rest, ok := strings.CutPrefix(strings.TrimSpace(v), prefix)
		if !ok {
			t.Fatalf("valid without the prefix %q: %q", prefix, v)
		}
		want := mac(sha256.New, []byte("k"), body)
		var b []byte
		if g.s.enc == Hex {
			b, _ = hex.DecodeString(rest)
		} else {
			b, _ = DecodeBase64(rest, sha256.Size)
		}
		if !bytes.Equal(b, want) {
			t.Fatalf("valid verdict for %q", v)
		}
	})
}

package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/signature"
)

// BenchmarkJudge is the signature check every capture pays, on a 1 KB
// VideoNest body, against the least a handler can do (one HMAC and a
// constant-time compare) as the baseline.
func BenchmarkJudge(b *testing.B) {
	body := []byte(`{"event":"video.published","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","description":"` +
		strings.Repeat("x", 940) + `"}}`)
	const secret = "whsec_bench"
	signed := func(s signature.Scheme, secret string) http.Header { return s.Sign(body, secret) }
	schemes := signature.Default()
	cases := []struct {
		name    string
		h       http.Header
		secrets []string
		want    signature.Status
	}{
		{"videonest/valid", signed(signature.VideoNest{}, secret), []string{secret}, signature.Valid},
		// Rotation: the matching secret is the last of three.
		{"videonest/rotated-3", signed(signature.VideoNest{}, secret), []string{"old-1", "old-2", secret}, signature.Valid},
		{"videonest/invalid", signed(signature.VideoNest{}, "another"), []string{secret}, signature.Invalid},
		{"videonest/missing", http.Header{}, []string{secret}, signature.Missing},
		{"stripe/valid", signed(signature.Stripe{}, secret), []string{secret}, signature.Valid},
		{"standardwebhooks/valid", signed(signature.StandardWebhooks{}, "whsec_"+strings.Repeat("QUJD", 8)),
			[]string{"whsec_" + strings.Repeat("QUJD", 8)}, signature.Valid},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if v := signature.Judge(schemes, "", c.h, body, c.secrets); v.Status != c.want {
					b.Fatalf("%s: %s (%s), want %s", c.name, v.Status, v.Detail, c.want)
				}
			}
		})
	}
	b.Run("baseline/hmac-compare", func(b *testing.B) {
		h := signed(signature.VideoNest{}, secret)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			got, err := hex.DecodeString(h.Get(signature.VideoNestHeader))
			m := hmac.New(sha256.New, []byte(secret))
			m.Write(body)
			if err != nil || !hmac.Equal(m.Sum(nil), got) {
				b.Fatal("baseline did not verify")
			}
		}
	})
}

package signature

import (
	"net/http"
	"strings"
	"testing"
)

// The provider's page example payload, signed in TestVideoNestKnownVector
// with a digest computed outside Go.
const (
	pageBody   = `{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"ready","duration":142,"channel_id":"ch_abc123"}}`
	pageSecret = "whsec_test_secret"
)

func hdr(sig string) http.Header {
	h := http.Header{}
	if sig != "\x00" {
		h.Set(VideoNestHeader, sig)
	}
	return h
}

func TestVideoNestVerify(t *testing.T) {
	v := VideoNest{}
	good := v.Compute([]byte(pageBody), pageSecret)
	tampered := strings.Replace(pageBody, "142", "143", 1)
	cases := []struct {
		name    string
		sig     string
		body    string
		secrets []string
		want    Status
		idx     int
		detail  string
	}{
		{"valid", good, pageBody, []string{pageSecret}, Valid, 0, "matched"},
		{"valid upper-case hex", strings.ToUpper(good), pageBody, []string{pageSecret}, Valid, 0, ""},
		{"valid with surrounding space", " " + good + " ", pageBody, []string{pageSecret}, Valid, 0, ""},
		{"tampered body", good, tampered, []string{pageSecret}, Invalid, -1, "expected"},
		{"wrong secret", good, pageBody, []string{"other"}, Invalid, -1, "mismatch"},
		{"rotated: old secret second", good, pageBody, []string{"new", pageSecret}, Valid, 1, "#2 of 2"},
		{"missing header", "\x00", pageBody, []string{pageSecret}, Missing, -1, "no X-VideoNest-Signature"},
		{"no secret", good, pageBody, nil, Unchecked, -1, "no secret"},
		{"empty header", "", pageBody, []string{pageSecret}, Invalid, -1, "empty"},
		{"odd length", good[:63], pageBody, []string{pageSecret}, Invalid, -1, "length 63, expected 64"},
		{"not hex", strings.Repeat("zz", 32), pageBody, []string{pageSecret}, Invalid, -1, "not hex"},
		{"sha256= prefix is not the scheme", "sha256=" + good, pageBody, []string{pageSecret}, Invalid, -1, "length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := v.Verify(hdr(tc.sig), []byte(tc.body), tc.secrets)
			if got.Status != tc.want || got.SecretIndex != tc.idx || got.Scheme != "videonest" {
				t.Fatalf("got %+v, want %s idx %d", got, tc.want, tc.idx)
			}
			if !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", got.Detail, tc.detail)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got.Detail, s) {
					t.Errorf("detail %q leaks the secret", got.Detail)
				}
			}
		})
	}
}

func TestVideoNestKnownVector(t *testing.T) {
	// Independent check of Compute against a digest computed outside Go
	// (printf '%s' "$body" | openssl dgst -sha256 -hmac whsec_test_secret).
	// Node.js's createHmac as on the provider's page gives the same digest.
	got := VideoNest{}.Compute([]byte(pageBody), pageSecret)
	const want = "d13d1302501ef6da56f32a1b73970d324430fdfa9b3197206f1bf17653579894"
	if got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
}

func TestSignRoundTrip(t *testing.T) {
	v := VideoNest{}
	body := []byte(`{"a":1}`)
	h := v.Sign(body, "k")
	if got := v.Verify(h, body, []string{"k"}); got.Status != Valid {
		t.Fatalf("signed body does not verify: %+v", got)
	}
}

func TestJudgeFallsBackToDefaultScheme(t *testing.T) {
	got := Judge(Default(), "", http.Header{}, []byte("x"), []string{"k"})
	if got.Status != Missing || got.Scheme != "videonest" {
		t.Fatalf("%+v", got)
	}
}

func FuzzVideoNestVerify(f *testing.F) {
	f.Add("", []byte(pageBody))
	f.Add("0123", []byte("x"))
	f.Add(strings.Repeat("A", 64), []byte{0xff})
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		got := VideoNest{}.Verify(hdr(sig), body, []string{"k"})
		switch got.Status {
		case Valid, Invalid, Missing:
		default:
			t.Fatalf("status %q", got.Status)
		}
		if got.Status == Valid && !strings.EqualFold(strings.TrimSpace(sig), VideoNest{}.Compute(body, "k")) {
			t.Fatalf("accepted a wrong signature %q", sig)
		}
	})
}

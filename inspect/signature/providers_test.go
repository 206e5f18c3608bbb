package signature

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The documented vectors: GitHub's "Validating webhook deliveries" page and
// the Standard Webhooks reference test (also Svix's docs example).
const (
	ghDocSecret = "It's a Secret to Everybody"
	ghDocBody   = "Hello, World!"
	ghDocSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

	swSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swSpecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swSpecTS     = "1614265330"
	swSpecBody   = `{"test": 2432232314}`
	swSpecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func at(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

type verdictCase struct {
	name    string
	h       http.Header
	body    string
	secrets []string
	want    Status
	idx     int
	detail  string
}

func runCases(t *testing.T, s Scheme, cases []verdictCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Verify(tc.h, []byte(tc.body), tc.secrets)
			if got.Status != tc.want || got.SecretIndex != tc.idx || got.Scheme != s.Name() {
				t.Fatalf("got %+v, want %s idx %d", got, tc.want, tc.idx)
			}
			if !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", got.Detail, tc.detail)
			}
			for _, sec := range tc.secrets {
				if len(sec) > 3 && strings.Contains(got.Detail, sec) {
					t.Errorf("detail %q leaks the secret", got.Detail)
				}
			}
		})
	}
}

func TestGitHub(t *testing.T) {
	sig := GitHub{}.Sign([]byte(pageBody), pageSecret).Get(GitHubHeader)
	sha1 := githubSHA1.compute([]byte(pageBody), pageSecret)
	runCases(t, GitHub{}, []verdictCase{
		{"documented vector", headers(GitHubHeader, ghDocSig), ghDocBody, []string{ghDocSecret}, Valid, 0, "matched"},
		{"documented vector, body changed", headers(GitHubHeader, ghDocSig), "Hello, World?", []string{ghDocSecret}, Invalid, -1, "mismatch: expected"},
		{"signed", headers(GitHubHeader, sig), pageBody, []string{pageSecret}, Valid, 0, ""},
		{"rotated", headers(GitHubHeader, sig), pageBody, []string{"new", pageSecret}, Valid, 1, "#2 of 2"},
		{"wrong secret", headers(GitHubHeader, sig), pageBody, []string{"other"}, Invalid, -1, "mismatch"},
		{"no prefix", headers(GitHubHeader, strings.TrimPrefix(sig, "sha256=")), pageBody, []string{pageSecret}, Invalid, -1, `should start with "sha256="`},
		{"short", headers(GitHubHeader, sig[:70]), pageBody, []string{pageSecret}, Invalid, -1, "length 63, expected 64"},
		{"missing", headers(), pageBody, []string{pageSecret}, Missing, -1, "no X-Hub-Signature-256"},
		{"no secret", headers(GitHubHeader, sig), pageBody, nil, Unchecked, -1, "no secret"},
		{"legacy sha1 only", headers(GitHubSHA1Header, sha1), pageBody, []string{pageSecret}, Valid, 0, "legacy SHA-1"},
		{"both: sha256 wins", headers(GitHubSHA1Header, "sha1=00", GitHubHeader, sig), pageBody, []string{pageSecret}, Valid, 0, "matched"},
	})
}

func TestShopify(t *testing.T) {
	sig := Shopify{}.Sign([]byte(pageBody), pageSecret).Get(ShopifyHeader)
	runCases(t, Shopify{}, []verdictCase{
		{"signed", headers(ShopifyHeader, sig), pageBody, []string{pageSecret}, Valid, 0, "matched"},
		{"events header", headers(ShopifyEventsHeader, sig), pageBody, []string{pageSecret}, Valid, 0, ""},
		{"tampered", headers(ShopifyHeader, sig), pageBody + " ", []string{pageSecret}, Invalid, -1, "mismatch"},
		{"hex is not base64 of 32 bytes", headers(ShopifyHeader, VideoNest{}.Compute([]byte(pageBody), pageSecret)), pageBody, []string{pageSecret}, Invalid, -1, "decodes to 48 bytes, expected 32"},
		{"not base64", headers(ShopifyHeader, "!!!"), pageBody, []string{pageSecret}, Invalid, -1, "not base64"},
		{"missing", headers(), pageBody, []string{pageSecret}, Missing, -1, "no X-Shopify-Hmac-Sha256"},
	})
}

func TestStripe(t *testing.T) {
	const ts = 1_700_000_000
	s := Stripe{Now: at(ts + 3)}
	v1 := s.Compute([]byte(pageBody), "whsec_stripe", ts)
	hdr := func(v string) http.Header { return headers(StripeHeader, v) }
	good := "t=" + strconv.Itoa(ts) + ",v1=" + v1
	runCases(t, s, []verdictCase{
		{"signed", hdr(good), pageBody, []string{"whsec_stripe"}, Valid, 0, "signed 3 s before it arrived, within the 300 s tolerance"},
		{"with v0 and a second v1 (rolling secret)", hdr("t=" + strconv.Itoa(ts) + ",v1=" + strings.Repeat("0", 64) + ",v1=" + v1 + ",v0=abc"), pageBody, []string{"whsec_stripe"}, Valid, 0, ""},
		{"rotated", hdr(good), pageBody, []string{"whsec_new", "whsec_stripe"}, Valid, 1, "#2 of 2"},
		{"tampered", hdr(good), strings.Replace(pageBody, "142", "143", 1), []string{"whsec_stripe"}, Invalid, -1, "mismatch"},
		{"timestamp changed", hdr("t=" + strconv.Itoa(ts+1) + ",v1=" + v1), pageBody, []string{"whsec_stripe"}, Invalid, -1, "mismatch"},
		{"no t", hdr("v1=" + v1), pageBody, []string{"whsec_stripe"}, Invalid, -1, "no t= timestamp"},
		{"bad t", hdr("t=soon,v1=" + v1), pageBody, []string{"whsec_stripe"}, Invalid, -1, "not a Unix time"},
		{"only v0", hdr("t=1,v0=" + v1), pageBody, []string{"whsec_stripe"}, Invalid, -1, "no v1= signature"},
		{"space after comma is not Stripe's format", hdr("t=" + strconv.Itoa(ts) + ", v1=" + v1), pageBody, []string{"whsec_stripe"}, Invalid, -1, "no v1="},
		{"short v1", hdr("t=1,v1=abc"), pageBody, []string{"whsec_stripe"}, Invalid, -1, "length 3, expected 64"},
		{"missing", headers(), pageBody, []string{"whsec_stripe"}, Missing, -1, "no Stripe-Signature"},
		{"no secret", hdr(good), pageBody, nil, Unchecked, -1, "no secret"},
	})

	// An old capture: the signature is authentic, so it stays valid, and the
	// detail says Stripe's libraries would refuse it.
	old := Stripe{Now: at(ts + 42*60)}.Verify(hdr(good), []byte(pageBody), []string{"whsec_stripe"})
	if old.Status != Valid || !strings.Contains(old.Detail, "signed 42 min before it arrived") ||
		!strings.Contains(old.Detail, "reject it as outside their default 300 s tolerance") {
		t.Errorf("old capture: %+v", old)
	}
	future := Stripe{Now: at(ts - 3600)}.Verify(hdr(good), []byte(pageBody), []string{"whsec_stripe"})
	if future.Status != Valid || !strings.Contains(future.Detail, "60 min in the future; Stripe's libraries accept it") {
		t.Errorf("future timestamp: %+v", future)
	}
}

func TestStandardWebhooks(t *testing.T) {
	ts, _ := strconv.ParseInt(swSpecTS, 10, 64)
	s := StandardWebhooks{Now: at(ts + 10)}
	spec := func(sig string) http.Header {
		return headers("webhook-id", swSpecID, "webhook-timestamp", swSpecTS, "webhook-signature", sig)
	}
	svix := headers("svix-id", swSpecID, "svix-timestamp", swSpecTS, "svix-signature", swSpecSig)
	runCases(t, s, []verdictCase{
		{"spec vector", spec(swSpecSig), swSpecBody, []string{swSpecSecret}, Valid, 0, "within the 300 s tolerance"},
		{"spec vector, svix headers", svix, swSpecBody, []string{swSpecSecret}, Valid, 0, "svix-* headers"},
		{"secret without whsec_", spec(swSpecSig), swSpecBody, []string{strings.TrimPrefix(swSpecSecret, "whsec_")}, Valid, 0, ""},
		{"several signatures", spec("v1a,AAAA v1,Zm9v " + swSpecSig), swSpecBody, []string{swSpecSecret}, Valid, 0, ""},
		{"body changed", spec(swSpecSig), `{"test": 2432232315}`, []string{swSpecSecret}, Invalid, -1, "mismatch"},
		{"wrong secret", spec(swSpecSig), swSpecBody, []string{"whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, Invalid, -1, "mismatch"},
		{"raw secret", spec(swSpecSig), swSpecBody, []string{"not base64!"}, Invalid, -1, "used as raw bytes"},
		{"id changed", headers("webhook-id", "msg_other", "webhook-timestamp", swSpecTS, "webhook-signature", swSpecSig), swSpecBody, []string{swSpecSecret}, Invalid, -1, "mismatch"},
		{"no id", headers("webhook-timestamp", swSpecTS, "webhook-signature", swSpecSig), swSpecBody, []string{swSpecSecret}, Invalid, -1, "Webhook-Id is missing"},
		{"bad timestamp", headers("webhook-id", swSpecID, "webhook-timestamp", "x1", "webhook-signature", swSpecSig), swSpecBody, []string{swSpecSecret}, Invalid, -1, "not a Unix time"},
		{"only v1a", spec("v1a,AAAA"), swSpecBody, []string{swSpecSecret}, Unchecked, -1, "ed25519"},
		{"malformed v1", spec("v1,short"), swSpecBody, []string{swSpecSecret}, Invalid, -1, "not the base64 of 32 bytes"},
		{"missing", headers(), swSpecBody, []string{swSpecSecret}, Missing, -1, "no Webhook-Signature"},
	})
	late := StandardWebhooks{Now: at(ts + 3*3600)}.Verify(spec(swSpecSig), []byte(swSpecBody), []string{swSpecSecret})
	if late.Status != Valid || !strings.Contains(late.Detail, "signed 3 h before it arrived") || !strings.Contains(late.Detail, "reject it") {
		t.Errorf("late: %+v", late)
	}
	early := StandardWebhooks{Now: at(ts - 600)}.Verify(spec(swSpecSig), []byte(swSpecBody), []string{swSpecSecret})
	if early.Status != Valid || !strings.Contains(early.Detail, "10 min in the future") || !strings.Contains(early.Detail, "reject it") {
		t.Errorf("early: %+v", early)
	}
	if got := (StandardWebhooks{}).Compute([]byte(swSpecBody), swSpecSecret, swSpecID, swSpecTS); "v1,"+got != swSpecSig {
		t.Errorf("Compute %s, want %s", got, swSpecSig)
	}
}

func TestGeneric(t *testing.T) {
	g, err := NewGeneric("x-sig", "SHA512", "base64", "v=")
	if err != nil {
		t.Fatal(err)
	}
	h := g.Sign([]byte("body"), "k")
	if !strings.HasPrefix(h.Get("X-Sig"), "v=") {
		t.Fatalf("signed header %v", h)
	}
	runCases(t, g, []verdictCase{
		{"signed", h, "body", []string{"k"}, Valid, 0, "matched"},
		{"tampered", h, "bodY", []string{"k"}, Invalid, -1, "mismatch"},
		{"missing", headers(), "body", []string{"k"}, Missing, -1, "no X-Sig"},
		{"no prefix", headers("X-Sig", strings.TrimPrefix(h.Get("X-Sig"), "v=")), "body", []string{"k"}, Invalid, -1, `should start with "v="`},
	})
	for _, bad := range [][3]string{{"", "sha256", "hex"}, {"X Sig", "sha256", "hex"}, {"X-Sig", "md5", "hex"}, {"X-Sig", "sha256", "base32"}} {
		if _, err := NewGeneric(bad[0], Algorithm(bad[1]), Encoding(bad[2]), ""); err == nil {
			t.Errorf("NewGeneric%v accepted", bad)
		}
	}
	if d := g.Describe(); d != `X-Sig: base64 HMAC-SHA512 of the body, prefix "v="` {
		t.Errorf("Describe %q", d)
	}
}

func TestJudgeDetectsEachProvider(t *testing.T) {
	body := []byte(pageBody)
	g, _ := NewGeneric("X-Custom-Sig", SHA256, Hex, "")
	schemes := WithGeneric(g)
	for _, s := range []Scheme{VideoNest{}, GitHub{}, Stripe{}, StandardWebhooks{}, Shopify{}, g} {
		h := s.Sign(body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
		got := Judge(schemes, "", h, body, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
		if got.Status != Valid || got.Scheme != s.Name() {
			t.Errorf("%s-signed request judged %+v", s.Name(), got)
		}
	}
	// Nothing detected: VideoNest's verdict, "missing".
	if got := Judge(schemes, "", http.Header{}, body, []string{"k"}); got.Status != Missing || got.Scheme != "videonest" {
		t.Errorf("no header: %+v", got)
	}
	// Forced: a GitHub-signed request judged as Stripe is missing its header.
	h := GitHub{}.Sign(body, "k")
	if got := Judge(schemes, "stripe", h, body, []string{"k"}); got.Status != Missing || got.Scheme != "stripe" {
		t.Errorf("forced: %+v", got)
	}
	// A generic header that shadows a provider's is judged the user's way.
	shadow, _ := NewGeneric(GitHubHeader, SHA256, Hex, "")
	plain := headers(GitHubHeader, VideoNest{}.Compute(body, "k"))
	if got := Judge(WithGeneric(shadow), "", plain, body, []string{"k"}); got.Status != Valid || got.Scheme != "generic" {
		t.Errorf("shadowing generic: %+v", got)
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{"GitHub": "github", "svix": "standard-webhooks", "standard-webhooks": "standard-webhooks", " stripe ": "stripe"} {
		if got, err := CanonicalName(in); err != nil || got != want {
			t.Errorf("CanonicalName(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := CanonicalName("paypal"); err == nil || !strings.Contains(err.Error(), "github") {
		t.Errorf("unknown provider: %v", err)
	}
	if len(Providers()) != 6 {
		t.Errorf("Providers() %v", Providers())
	}
}

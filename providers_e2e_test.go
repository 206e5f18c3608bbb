package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Signatures here are computed by hand from each provider's docs, not with
// hookscope's own code; inspect/signature checks against the providers'
// libraries.
func macOf(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

func TestListenJudgesEveryProvider(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swKey, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	body := []byte(`{"id":"evt_1","type":"thing.happened"}`)
	now := time.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	old := strconv.FormatInt(now-3600, 10)
	swSig := "v1," + base64.StdEncoding.EncodeToString(macOf(sha256.New, swKey, []byte("msg_1."+ts+"."+string(body))))

	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "not-this-one", "--secret", secret,
		"--generic-header", "X-Acme-Signature", "--generic-algo", "sha512", "--generic-encoding", "base64", "--generic-prefix", "v1="})
	cases := []struct {
		name, scheme, status, detail string
		hdr                          map[string]string
	}{
		{"github", "github", "valid", "matched secret #2 of 2",
			map[string]string{"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(macOf(sha256.New, []byte(secret), body))}},
		{"stripe", "stripe", "valid", "within the 300 s tolerance",
			map[string]string{"Stripe-Signature": "t=" + ts + ",v1=" + hex.EncodeToString(macOf(sha256.New, []byte(secret), []byte(ts+"."+string(body))))}},
		{"stripe, an hour old", "stripe", "valid", "signed 60 min before it arrived: Stripe's libraries reject it",
			map[string]string{"Stripe-Signature": "t=" + old + ",v1=" + hex.EncodeToString(macOf(sha256.New, []byte(secret), []byte(old+"."+string(body))))}},
		{"standard webhooks", "standard-webhooks", "valid", "matched",
			map[string]string{"webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": swSig}},
		{"svix", "standard-webhooks", "valid", "svix-* headers",
			map[string]string{"svix-id": "msg_1", "svix-timestamp": ts, "svix-signature": swSig}},
		{"shopify", "shopify", "valid", "matched",
			map[string]string{"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(macOf(sha256.New, []byte(secret), body))}},
		{"generic", "generic", "valid", "matched",
			map[string]string{"X-Acme-Signature": "v1=" + base64.StdEncoding.EncodeToString(macOf(sha512.New, []byte(secret), body))}},
		{"github, wrong secret", "github", "invalid", "mismatch",
			map[string]string{"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(macOf(sha256.New, []byte("x"), body))}},
		{"nothing", "videonest", "missing", "no X-VideoNest-Signature", nil},
	}
	for _, c := range cases {
		code, _ := post(t, p.URL+"/hooks", body, c.hdr)
		got := p.next("request")
		if code != 200 || got["scheme"] != c.scheme || got["signature"] != c.status || !strings.Contains(got["signature_detail"].(string), c.detail) {
			t.Errorf("%s: %d %v", c.name, code, got)
		}
	}
	// show says which scheme judged a request.
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json", "--limit", "0")), &items)
	if len(items) != len(cases) {
		t.Fatalf("%d stored", len(items))
	}
	if out := e.mustRun("show", items[len(items)-1]["id"].(string)); !strings.Contains(out, "Signature  ✓ valid (github): matched secret #2 of 2") {
		t.Errorf("show:\n%s", out)
	}
	p.stop()

	// --provider forces one scheme: a Stripe request judged as GitHub has no signature.
	p = e.start([]string{"listen", "--secret", secret, "--provider", "GitHub"})
	post(t, p.URL, body, cases[1].hdr)
	if got := p.next("request"); got["scheme"] != "github" || got["signature"] != "missing" {
		t.Errorf("forced: %v", got)
	}
	p.stop()

	for _, args := range [][]string{
		{"listen", "--provider", "paypal"},
		{"listen", "--provider", "generic"},
		{"listen", "--generic-algo", "sha1"},
		{"listen", "--generic-header", "X-Sig", "--generic-encoding", "base32"},
	} {
		_, errOut, code := e.run(args)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}

package signature

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The providers' own libraries (testdata/npm) sign vectors that hookscope
// must judge valid, and judge hookscope's signatures: if either side
// disagrees, hookscope has misread a spec.

type npmSign struct {
	Scheme    string `json:"scheme"`
	Body      string `json:"body"`
	Secret    string `json:"secret"`
	Timestamp int64  `json:"timestamp,omitempty"`
	ID        string `json:"id,omitempty"`
}

type npmVerify struct {
	Scheme  string            `json:"scheme"`
	Body    string            `json:"body"`
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
}

type npmResult struct {
	Signed []struct {
		Headers map[string]string `json:"headers"`
	} `json:"signed"`
	Verified []struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"verified"`
}

func runNPM(t *testing.T, sign []npmSign, verify []npmVerify) npmResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: skipping the provider-library vectors (.ci/run installs it)")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "npm"))
	for _, pkg := range []string{"stripe", "standardwebhooks", "svix", "@octokit/webhooks-methods"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Skipf("npm package %s is missing: run `npm ci --prefix inspect/signature/testdata/npm` to check against the providers' libraries (.ci/run does)", pkg)
		}
	}
	in, _ := json.Marshal(map[string]any{"sign": sign, "verify": verify})
	cmd := exec.Command(node, filepath.Join(dir, "vectors.mjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("vectors.mjs: %v\n%s", err, stderr.String())
	}
	var res npmResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("vectors.mjs output %q: %v", out, err)
	}
	if len(res.Signed) != len(sign) || len(res.Verified) != len(verify) {
		t.Fatalf("vectors.mjs answered %d/%d of %d/%d", len(res.Signed), len(res.Verified), len(sign), len(verify))
	}
	return res
}

func toHeader(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

func fromHeader(h http.Header) map[string]string {
	m := map[string]string{}
	for k := range h {
		m[k] = h.Get(k)
	}
	return m
}

// Bodies the libraries take as strings: JSON as VideoNest-like providers
// send it, pretty-printed with CRLFs, and non-ASCII text.
var npmBodies = []string{
	pageBody,
	"{\r\n  \"id\": \"evt_1\",\r\n  \"type\": \"charge.succeeded\"\r\n}\r\n",
	`{"name":"Zoë ✓ 東京","note":"tab\there"}`,
}

var npmSecrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_plcmsHnHJRZE4bBzy1mgZS1Cr9qTTPXp"}

func schemeFor(name string, now time.Time) Scheme {
	switch name {
	case "github":
		return GitHub{}
	case "stripe":
		return Stripe{Now: func() time.Time { return now }}
	case "standard-webhooks", "svix":
		return StandardWebhooks{Now: func() time.Time { return now }}
	case "shopify":
		return Shopify{}
	}
	panic(name)
}

var npmSchemes = []string{"github", "stripe", "standard-webhooks", "svix", "shopify"}

func TestProviderLibrariesSignWhatHookscopeAccepts(t *testing.T) {
	now := time.Now()
	var cases []npmSign
	for _, s := range npmSchemes {
		for i, b := range npmBodies {
			cases = append(cases, npmSign{Scheme: s, Body: b, Secret: npmSecrets[i%2], Timestamp: now.Unix() - 5, ID: "msg_lib" + s})
		}
	}
	// Signed 10 minutes before "arrival": outside both tolerances.
	old := now.Unix() - 600
	cases = append(cases, npmSign{Scheme: "stripe", Body: pageBody, Secret: npmSecrets[0], Timestamp: old},
		npmSign{Scheme: "standard-webhooks", Body: pageBody, Secret: npmSecrets[0], Timestamp: old, ID: "msg_old"})
	res := runNPM(t, cases, nil)
	for i, c := range cases {
		h := toHeader(res.Signed[i].Headers)
		s := schemeFor(c.Scheme, now)
		if !s.Detect(h) {
			t.Errorf("%s: %v not detected", c.Scheme, h)
		}
		got := Judge(Default(), "", h, []byte(c.Body), []string{"other", c.Secret})
		if got.Status != Valid || got.SecretIndex != 1 || got.Scheme != s.Name() {
			t.Errorf("%s library signature of %q judged %+v", c.Scheme, c.Body, got)
		}
		if c.Timestamp == old && !strings.Contains(got.Detail, "reject it as outside their default 300 s tolerance") {
			t.Errorf("%s 10 min old: detail %q does not say the libraries reject it", c.Scheme, got.Detail)
		}
		tampered := Judge(Default(), "", h, []byte(c.Body+" "), []string{c.Secret})
		if tampered.Status != Invalid {
			t.Errorf("%s tampered body judged %+v", c.Scheme, tampered)
		}
	}
}

func TestProviderLibrariesAcceptWhatHookscopeSigns(t *testing.T) {
	var cases []npmVerify
	var wantOK []bool
	for _, s := range npmSchemes {
		for i, b := range npmBodies {
			secret := npmSecrets[i%2]
			h := fromHeader(schemeFor(s, time.Now()).Sign([]byte(b), secret))
			if s == "svix" {
				h = map[string]string{"svix-id": h["Webhook-Id"], "svix-timestamp": h["Webhook-Timestamp"], "svix-signature": h["Webhook-Signature"]}
			}
			cases = append(cases, npmVerify{Scheme: s, Body: b, Secret: secret, Headers: h},
				npmVerify{Scheme: s, Body: b + "x", Secret: secret, Headers: h},
				npmVerify{Scheme: s, Body: b, Secret: npmSecrets[(i+1)%2], Headers: h})
			wantOK = append(wantOK, true, false, false)
		}
	}
	res := runNPM(t, nil, cases)
	for i, c := range cases {
		if got := res.Verified[i]; got.OK != wantOK[i] {
			t.Errorf("%s library on hookscope's signature (body %q): ok=%v want %v (%s)", c.Scheme, c.Body, got.OK, wantOK[i], got.Error)
		}
	}
}

// The libraries refuse what hookscope reports as "valid, but outside the
// tolerance": the detail must match what the handler will do.
func TestProviderLibrariesRejectOldSignatures(t *testing.T) {
	then := time.Now().Add(-10 * time.Minute)
	var cases []npmVerify
	for _, s := range []string{"stripe", "standard-webhooks"} {
		h := fromHeader(schemeFor(s, then).Sign([]byte(pageBody), npmSecrets[0]))
		cases = append(cases, npmVerify{Scheme: s, Body: pageBody, Secret: npmSecrets[0], Headers: h})
	}
	res := runNPM(t, nil, cases)
	for i, c := range cases {
		got := res.Verified[i]
		if got.OK || !(strings.Contains(got.Error, "tolerance") || strings.Contains(got.Error, "too old")) {
			t.Errorf("%s library accepted a 10 min old signature: %+v", c.Scheme, got)
		}
		v := Judge(Default(), "", toHeader(c.Headers), []byte(pageBody), []string{npmSecrets[0]})
		if v.Status != Valid || !strings.Contains(v.Detail, "10 min before it arrived") {
			t.Errorf("%s old signature: %+v", c.Scheme, v)
		}
	}
}

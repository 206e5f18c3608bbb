package signature

import (
	"fmt"
	"strings"
)

// Provider names accepted by --provider, with what each checks. "svix" is
// an alias: Svix sends Standard Webhooks signatures under svix-* names.
var providers = []struct{ name, about string }{
	{"videonest", "X-VideoNest-Signature: hex HMAC-SHA256 of the body"},
	{"github", "X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>"},
	{"stripe", "Stripe-Signature: t=…,v1=<hex HMAC-SHA256 of \"t.body\">, 300 s tolerance"},
	{"standard-webhooks", "webhook-id/-timestamp/-signature (or svix-*): v1,<base64 HMAC-SHA256 of \"id.timestamp.body\">, whsec_ secret"},
	{"shopify", "X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the body"},
	{"generic", "your own header, set with --generic-header and friends"},
}

// Providers lists "name: what it checks" lines for help texts.
func Providers() []string {
	out := make([]string, len(providers))
	for i, p := range providers {
		out[i] = p.name + ": " + p.about
	}
	return out
}

// CanonicalName resolves a --provider value (any case, "svix" for
// standard-webhooks) to a scheme name, or says which names exist.
func CanonicalName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "svix", "standardwebhooks", "standard_webhooks":
		return "standard-webhooks", nil
	}
	var names []string
	for _, p := range providers {
		if p.name == n {
			return n, nil
		}
		names = append(names, p.name)
	}
	return "", fmt.Errorf("unknown provider %q; use one of %s (or svix)", name, strings.Join(names, ", "))
}

// WithGeneric returns the default schemes plus g, placed right after
// VideoNest: a user naming a header wants it judged their way even when
// another provider uses that name, and VideoNest stays the fallback that
// reports a request without any signature as "missing".
func WithGeneric(g Generic) []Scheme {
	d := Default()
	return append([]Scheme{d[0], g}, d[1:]...)
}

// ByName returns the default scheme called name, or nil. Replays re-sign
// with the scheme that judged the capture, so a Stripe capture gets a fresh
// Stripe-Signature rather than a VideoNest header.
func ByName(name string) Scheme {
	for _, s := range Default() {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

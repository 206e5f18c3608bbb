package signature

import "net/http"

// ShopifyHeader carries the base64 HMAC-SHA256 of the raw body, keyed by
// the app's client secret as is. Shopify's newer event deliveries send the
// same MAC without the X- prefix (ShopifyEventsHeader).
const (
	ShopifyHeader       = "X-Shopify-Hmac-Sha256"
	ShopifyEventsHeader = "Shopify-Hmac-Sha256"
)

// Shopify implements "Verify webhooks" from Shopify's docs.
type Shopify struct{}

var (
	shopify       = single{scheme: "shopify", header: ShopifyHeader, algo: SHA256, enc: Base64}
	shopifyEvents = single{scheme: "shopify", header: ShopifyEventsHeader, algo: SHA256, enc: Base64}
)

func (Shopify) Name() string { return "shopify" }

func (Shopify) Detect(h http.Header) bool { return shopify.detect(h) || shopifyEvents.detect(h) }

func (Shopify) Sign(body []byte, secret string) http.Header { return shopify.sign(body, secret) }

func (Shopify) Verify(h http.Header, body []byte, secrets []string) Verdict {
	if !shopify.detect(h) && shopifyEvents.detect(h) {
		return shopifyEvents.verify(h, body, secrets)
	}
	return shopify.verify(h, body, secrets)
}

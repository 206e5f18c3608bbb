package inspect

import (
	"encoding/json"
	"strings"

	"github.com/hookscope/hookscope/inspect/payload"
)

// EventOf is a request's event, read where the provider whose scheme
// judged it puts it: GitHub's X-GitHub-Event, Shopify's X-Shopify-Topic,
// the body's "type" for Stripe and Standard Webhooks, and the body's
// "event" for VideoNest (and whatever else carries one). Capture and
// import both call it, so --event and event: filters work for every
// provider hookscope judges.
func EventOf(scheme string, headers []Header, body []byte) string {
	var ev string
	switch scheme {
	case "github":
		ev = headerValue(headers, "X-GitHub-Event")
	case "shopify":
		ev = headerValue(headers, "X-Shopify-Topic")
	case "stripe", "standard-webhooks":
		ev = bodyType(body)
	}
	if ev == "" {
		ev = payload.Decode(body).Event
	}
	return ev
}

func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return strings.TrimSpace(h.Value)
		}
	}
	return ""
}

// bodyType reads a JSON object's top-level "type" string (the last one,
// as receivers read duplicate keys).
func bodyType(body []byte) string {
	var v struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return v.Type
}

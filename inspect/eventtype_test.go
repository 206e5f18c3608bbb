package inspect

import "testing"

func TestEventTypeByScheme(t *testing.T) {
	for _, tc := range []struct {
		name, scheme string
		headers      []Header
		body, want   string
	}{
		{"videonest", "videonest", nil, `{"event":"video.failed"}`, "video.failed"},
		{"github", "github", []Header{{Name: "X-Github-Event", Value: "push"}}, `{"ref":"main"}`, "push"},
		{"shopify", "shopify", []Header{{Name: "X-Shopify-Topic", Value: "orders/create"}}, `{"id":1}`, "orders/create"},
		{"stripe", "stripe", nil, `{"id":"evt_1","type":"invoice.paid"}`, "invoice.paid"},
		{"standard webhooks", "standard-webhooks", nil, `{"type":"user.created","data":{}}`, "user.created"},
		{"stripe with no type falls back to event", "stripe", nil, `{"event":"video.published"}`, "video.published"},
		{"github header wins over the body", "github", []Header{{Name: "X-GitHub-Event", Value: "ping"}}, `{"event":"video.failed"}`, "ping"},
		{"not JSON", "stripe", nil, `type=x`, ""},
		{"a type under videonest is not an event", "videonest", nil, `{"type":"x"}`, ""},
	} {
		if got := EventOf(tc.scheme, tc.headers, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

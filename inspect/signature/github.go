package signature

import "net/http"

// GitHub's webhook signature headers: "sha256=" and the hex HMAC-SHA256 of
// the raw body, keyed by the webhook secret as is. The SHA-1 header is the
// legacy one GitHub still sends beside it.
const (
	GitHubHeader     = "X-Hub-Signature-256"
	GitHubSHA1Header = "X-Hub-Signature"
)

// GitHub implements "Validating webhook deliveries" from GitHub's docs.
type GitHub struct{}

var (
	githubSHA256 = single{scheme: "github", header: GitHubHeader, algo: SHA256, enc: Hex, prefix: "sha256="}
	githubSHA1   = single{scheme: "github", header: GitHubSHA1Header, algo: SHA1, enc: Hex, prefix: "sha1="}
)

func (GitHub) Name() string { return "github" }

func (GitHub) Detect(h http.Header) bool { return githubSHA256.detect(h) || githubSHA1.detect(h) }

func (GitHub) Sign(body []byte, secret string) http.Header { return githubSHA256.sign(body, secret) }

// Verify prefers the SHA-256 header; a request with only the SHA-1 one is
// still judged, and the detail says it relied on the legacy header.
func (GitHub) Verify(h http.Header, body []byte, secrets []string) Verdict {
	if !githubSHA256.detect(h) && githubSHA1.detect(h) {
		v := githubSHA1.verify(h, body, secrets)
		if v.Status == Valid || v.Status == Invalid {
			v.Detail += " (legacy SHA-1 " + GitHubSHA1Header + " only; GitHub's docs recommend " + GitHubHeader + ")"
		}
		return v
	}
	return githubSHA256.verify(h, body, secrets)
}

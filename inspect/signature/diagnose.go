package signature

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// Diagnose looks for the usual reason a VideoNest signature that did not
// verify was meant to: it retries the check with one common mistake undone
// at a time and names the first one that makes it valid. "" when none does.
func Diagnose(body []byte, sig string, secrets []string) string {
	valid := func(b []byte, s string, secs []string) bool {
		h := http.Header{}
		h.Set(VideoNestHeader, s)
		return VideoNest{}.Verify(h, b, secs).Status == Valid
	}
	sig = strings.TrimSpace(sig)
	for _, p := range []string{"sha256=", "SHA256=", "v1="} {
		if rest, ok := strings.CutPrefix(sig, p); ok && valid(body, rest, secrets) {
			return "the signature matches without its " + p + " prefix: X-VideoNest-Signature is bare hex (that prefix is GitHub's style)"
		}
	}
	if t := bytes.TrimRight(body, "\r\n"); len(t) < len(body) && valid(t, sig, secrets) {
		return "the signature matches the body without its trailing newline: something (an editor, echo, a copy-paste) added it after signing; verify the exact bytes received"
	}
	if valid(append(append([]byte(nil), body...), '\n'), sig, secrets) {
		return "the signature matches the body with a trailing newline: the signed body ended with one that this copy lacks"
	}
	var swapped []string
	for _, s := range secrets {
		if rest, ok := strings.CutPrefix(s, "whsec_"); ok {
			swapped = append(swapped, rest)
		} else {
			swapped = append(swapped, "whsec_"+s)
		}
	}
	if valid(body, sig, swapped) {
		if strings.HasPrefix(secrets[0], "whsec_") || (len(secrets) > 1 && strings.HasPrefix(secrets[1], "whsec_")) {
			return "the signature matches the secret without its whsec_ prefix: the sender signed with the bare secret"
		}
		return "the signature matches the secret with a whsec_ prefix: the secret is the whole value, whsec_ included"
	}
	if json.Valid(body) {
		forms := []struct {
			name string
			make func() []byte
		}{
			{"compacted", func() []byte { var b bytes.Buffer; json.Compact(&b, body); return b.Bytes() }},
			{"pretty-printed (2 spaces)", func() []byte { var b bytes.Buffer; json.Indent(&b, body, "", "  "); return b.Bytes() }},
			{"pretty-printed (4 spaces)", func() []byte { var b bytes.Buffer; json.Indent(&b, body, "", "    "); return b.Bytes() }},
			{"pretty-printed (tabs)", func() []byte { var b bytes.Buffer; json.Indent(&b, body, "", "\t"); return b.Bytes() }},
		}
		for _, f := range forms {
			if b := f.make(); !bytes.Equal(b, body) && (valid(b, sig, secrets) || valid(append(b, '\n'), sig, secrets)) {
				return "the signature matches this JSON " + f.name + ": the body was re-serialised (parsed and written again) after signing or before verifying; verify the raw bytes as received"
			}
		}
	}
	return ""
}

package payload

import "unicode/utf8"

// EscapeJSONText rewrites characters a terminal would act on inside encoded
// JSON as JSON's own \u escapes: C1 controls (CSI among them), bidi
// embeddings, overrides, isolates and marks. encoding/json leaves them raw,
// and JSON output is often read on a terminal (`list --json`, an export
// piped to less). The value meant stays the same. p must hold whole
// characters: one encoded value, say. It returns p itself when nothing
// needs escaping.
func EscapeJSONText(p []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if n > 1 && !runeSafe(r, n) {
			out = append(out, p[last:i]...)
			out = append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			last = i + n
		}
		i += n
	}
	if out == nil {
		return p
	}
	return append(out, p[last:]...)
}

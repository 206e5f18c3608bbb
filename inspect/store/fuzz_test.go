package store

import (
	"fmt"
	"testing"

	"github.com/hookscope/hookscope/inspect"
)

// FuzzDecodeHeaders: header blobs are read back from a file another
// process (or a damaged disk) may have written. Any bytes decode without
// panicking, and whatever decodes survives a round trip unchanged.
func FuzzDecodeHeaders(f *testing.F) {
	f.Add(EncodeHeaders([]inspect.Header{{Name: "Host", Value: "x"}, {Name: "X-VideoNest-Signature", Value: "00ff"}}))
	f.Add([]byte{})
	f.Add([]byte{0x80})                                                       // a varint that never ends
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}) // a length past any slice
	f.Add([]byte{3, 'a', 'b'})                                                // a name longer than what is left
	f.Add([]byte{1, 'a'})                                                     // a name without its value
	f.Add([]byte{0x81, 0x00, 0x00})                                           // a non-minimal varint
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, err := DecodeHeaders(b)
		if err != nil {
			return
		}
		again, err := DecodeHeaders(EncodeHeaders(hs))
		if err != nil || fmt.Sprintf("%q", again) != fmt.Sprintf("%q", hs) {
			t.Fatalf("%q decodes to %q, which round-trips to %q (%v)", b, hs, again, err)
		}
	})
}

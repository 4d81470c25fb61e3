package testutil

import (
	"bufio"
	"bytes"
	"testing"
	"testing/iotest"
)

// FuzzSplitReply: no input panics the framer, and whatever it frames is
// framed the same when read back one byte at a time.
func FuzzSplitReply(f *testing.F) {
	for _, r := range append(validReplies, invalidReplies...) {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, rest, err := SplitReply(b)
		if err != nil {
			return
		}
		if len(reply)+len(rest) != len(b) || !bytes.HasPrefix(b, reply) {
			t.Fatalf("SplitReply(%q) = %q + %q", b, reply, rest)
		}
		again, err := readReply(bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(reply)), 16), nil, 0)
		if err != nil || !bytes.Equal(again, reply) {
			t.Fatalf("byte-at-a-time read of %q = %q, %v", reply, again, err)
		}
	})
}

package backend

import (
	"testing"
	"unsafe"
)

// TestEntrySize guards the per-key memory budget: Entry must stay within
// 56 bytes so a dict node (key, Entry, next) fits the 80-byte size class.
func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(Entry{}); got > 56 {
		t.Fatalf("Entry is %d bytes, want at most 56", got)
	}
}

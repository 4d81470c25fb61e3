package testutil

import (
	"testing"

	"github.com/wardenhq/warden/internal/loopback"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago
// (loopback.FreePort: outside the ephemeral range, so no outgoing
// connection takes it). Another process can still take it before the
// caller binds it; StartRedis and StartWarden retry on that, other callers
// should expect it to be rare rather than impossible.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n distinct free ports (loopback.FreePorts).
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports, err := loopback.FreePorts(n)
	if err != nil {
		t.Fatalf("testutil: finding a free port: %v", err)
	}
	return ports
}

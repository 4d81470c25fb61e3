package backend

import (
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/testutil"
)

// startTestServer runs a node in-process on a free loopback port, with
// tweak applied to the default options, and shuts it down when the test
// ends. It returns the server and its address.
func startTestServer(t testing.TB, tweak func(*Options)) (*Server, string) {
	t.Helper()
	return startServerFrom(t, DefaultOptions(), tweak, nil)
}

// startServerFrom is startTestServer from the given base options, with
// setup run between New and Start (RegisterCommand, AddInfoSection, ...).
func startServerFrom(t testing.TB, opts *Options, tweak func(*Options), setup func(*Server)) (*Server, string) {
	t.Helper()
	opts.Bind = []string{"127.0.0.1"}
	opts.Port = freePort(t)
	opts.Dir = t.TempDir()
	if tweak != nil {
		tweak(opts)
	}
	// WARDEN_TEST_LOG=1 shows the node's log, for debugging a test.
	var log *zap.Logger
	if os.Getenv("WARDEN_TEST_LOG") != "" {
		log, _ = zap.NewDevelopment()
	}
	s, err := New(opts, log)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if setup != nil {
		setup(s)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("server did not stop")
		}
	})
	return s, net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
}

func freePort(t testing.TB) int { return testutil.FreePort(t) }

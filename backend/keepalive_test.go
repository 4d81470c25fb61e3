//go:build linux

package backend

import (
	"strings"
	"syscall"
	"testing"
)

// serverSideKeepAlive returns the keepalive settings of the server's end
// of rc: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
func serverSideKeepAlive(t *testing.T, s *Server, rc *respConn) [4]int {
	t.Helper()
	v, err := rc.do("CLIENT", "ID")
	if err != nil {
		t.Fatalf("CLIENT ID: %v", err)
	}
	id, ok := v.(int64)
	if !ok {
		t.Fatalf("CLIENT ID: %v", v)
	}
	s.mu.Lock()
	c := s.clients[uint64(id)]
	fd := -1
	if c != nil && c.conn != nil {
		fd = c.conn.Fd()
	}
	s.mu.Unlock()
	if fd < 0 {
		t.Fatalf("client %d not found", id)
	}
	var got [4]int
	for i, o := range []struct{ level, opt int }{
		{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
		{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE},
		{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL},
		{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT},
	} {
		if got[i], err = syscall.GetsockoptInt(fd, o.level, o.opt); err != nil {
			t.Fatalf("getsockopt: %v", err)
		}
	}
	return got
}

// TestTCPKeepAlive: tcp-keepalive is applied to each accepted connection
// as Redis applies it (idle = period, interval = period/3, 3 probes), and
// a CONFIG SET reaches the connections accepted after it.
func TestTCPKeepAlive(t *testing.T) {
	s, addr := startTestServer(t, nil) // default tcp-keepalive 300
	rc := dialRESP(t, addr)
	if got, want := serverSideKeepAlive(t, s, rc), [4]int{1, 300, 100, 3}; got != want {
		t.Errorf("default keepalive %v, want %v", got, want)
	}
	if v, err := rc.do("CONFIG", "SET", "tcp-keepalive", "2"); err != nil || v != "OK" {
		t.Fatalf("CONFIG SET tcp-keepalive 2: %v %v", v, err)
	}
	if got, want := serverSideKeepAlive(t, s, dialRESP(t, addr)), [4]int{1, 2, 1, 3}; got != want {
		t.Errorf("keepalive after CONFIG SET 2: %v, want %v", got, want)
	}
	if v, err := rc.do("CONFIG", "SET", "tcp-keepalive", "0"); err != nil || v != "OK" {
		t.Fatalf("CONFIG SET tcp-keepalive 0: %v %v", v, err)
	}
	if got := serverSideKeepAlive(t, s, dialRESP(t, addr)); got[0] != 0 {
		t.Errorf("keepalive with tcp-keepalive 0: %v, want SO_KEEPALIVE off", got)
	}
}

// TestStartPortInUse: a port in use is reported as such, so callers can
// tell it from other failures and pick another port.
func TestStartPortInUse(t *testing.T) {
	first, _ := startTestServer(t, nil)
	opts := DefaultOptions()
	opts.Bind = []string{"127.0.0.1"}
	opts.Port = first.opts.Port
	opts.Dir = t.TempDir()
	s, err := New(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start()
	if err == nil {
		s.Shutdown()
		t.Fatal("Start on a port in use succeeded")
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Start on a port in use: %v, want \"address already in use\"", err)
	}
}

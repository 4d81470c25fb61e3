package testutil

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestFreePorts(t *testing.T) {
	ports := FreePorts(t, 20)
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || p > 65535 || seen[p] {
			t.Fatalf("bad or repeated port %d in %v", p, ports)
		}
		seen[p] = true
	}
}

func TestWaitFor(t *testing.T) {
	var n atomic.Int32
	WaitFor(t, 5*time.Second, time.Millisecond, func() (bool, string) {
		v := n.Add(1)
		return v >= 3, fmt.Sprintf("n=%d", v)
	})
	msg, ok := poll(30*time.Millisecond, 5*time.Millisecond, func() (bool, string) { return false, "never" })
	if ok || msg != "never" {
		t.Fatalf("poll = %q, %v; want last message and false", msg, ok)
	}
}

// skipRecorder is a testing.TB whose Skipf records the message and stops
// the calling goroutine, as the real one does.
type skipRecorder struct {
	testing.TB
	msg string
}

func (s *skipRecorder) Helper() {}
func (s *skipRecorder) Skipf(format string, args ...any) {
	s.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestRequireBinarySkipsWithInstallHint(t *testing.T) {
	rec := &skipRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		RequireBinary(rec, "redis-cli-does-not-exist")
	}()
	<-done
	if !strings.Contains(rec.msg, "not installed") || !strings.Contains(rec.msg, "apt-get install redis-cli-does-not-exist") {
		t.Fatalf("skip message %q", rec.msg)
	}
	if p := RequireBinary(t, "sh"); p == "" {
		t.Fatal("sh not found")
	}
}

func TestStartRedis(t *testing.T) {
	p := StartRedis(t, "--maxmemory", "1mb")
	c := Dial(t, p.Addr())
	if got := string(c.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("PING = %q", got)
	}
	for _, kv := range [][2]string{{"dir", p.Dir()}, {"save", ""}, {"appendonly", "no"}, {"maxmemory", "1048576"}, {"port", fmt.Sprint(p.Port())}} {
		want := EncodeCommand(kv[0], kv[1]) // a two-element array of bulks
		if got := c.Do("CONFIG", "GET", kv[0]); string(got) != string(want[:]) {
			t.Errorf("CONFIG GET %s = %q, want %q", kv[0], got, want)
		}
	}
	// A password makes PING answer NOAUTH, which still counts as ready.
	q := StartRedis(t, "--requirepass", "secret")
	if got := string(Dial(t, q.Addr()).Do("PING")); !strings.HasPrefix(got, "-NOAUTH") {
		t.Fatalf("PING without AUTH = %q", got)
	}
}

func TestProcStopAndKill(t *testing.T) {
	a := StartRedis(t)
	a.Stop()
	if !a.Exited() {
		t.Fatal("not exited after Stop")
	}
	if err := a.Wait(); err != nil {
		t.Errorf("redis-server after SIGTERM: %v, want clean exit", err)
	}
	a.Stop() // idempotent

	b := StartRedis(t)
	b.Kill()
	err := b.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("after Kill: %v, want killed by SIGKILL", err)
	}
	if err := b.Signal(syscall.SIGHUP); err == nil {
		t.Error("Signal to an exited process succeeded")
	}
}

func TestProcSignal(t *testing.T) {
	p := StartRedis(t)
	c := Dial(t, p.Addr())
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(200 * time.Millisecond)
	if _, err := c.TryDo("PING"); err == nil {
		t.Fatal("stopped server answered")
	}
	if err := p.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(DefaultTimeout)
	// The PING sent while stopped is answered first.
	if got, err := c.ReadReply(); err != nil || string(got) != "+PONG\r\n" {
		t.Fatalf("after SIGCONT: %q, %v", got, err)
	}
}

func TestStartProcessExitsEarly(t *testing.T) {
	RequireBinary(t, "redis-server")
	_, err := startProcess(t, "redis-server", []string{"--port", "notaport"}, t.TempDir(), 0, PingReady("127.0.0.1:1"))
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "FATAL CONFIG FILE ERROR") {
		t.Fatalf("err = %v", err)
	}
}

func TestStartProcessGeneric(t *testing.T) {
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := StartProcess(t, "redis-server", []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", ""}, PingReady(addr))
	if p.Addr() != "" || p.Dir() == "" {
		t.Errorf("Addr %q Dir %q", p.Addr(), p.Dir())
	}
	// The working directory is the process's own temporary directory.
	got := string(Dial(t, addr).Do("CONFIG", "GET", "dir"))
	if !strings.Contains(got, p.Dir()) {
		t.Errorf("dir = %q, want %s", got, p.Dir())
	}
	if !strings.Contains(p.Output(), "Ready to accept connections") {
		t.Errorf("output not captured: %q", p.Output())
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 10}
	b.Write([]byte("0123456789"))
	b.Write([]byte("abcdef"))
	got := b.String()
	if !strings.HasSuffix(got, "bcdef") || !strings.Contains(got, "dropped") {
		t.Fatalf("tail = %q", got)
	}
}

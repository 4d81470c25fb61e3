package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// TestDaemonize runs `warden server --daemonize yes` as the seeds do: the
// command must return at once with status 0, the node must keep serving in
// the background and write its pid file, and SHUTDOWN must stop it and
// remove the pid file.
func TestDaemonize(t *testing.T) {
	bin := testutil.BuildWarden(t)
	dir := t.TempDir()
	port := testutil.FreePort(t)
	pidFile := filepath.Join(dir, "warden.pid")
	logFile := filepath.Join(dir, "warden.log")
	cmd := exec.Command(bin, "server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--daemonize", "yes", "--pidfile", pidFile, "--logfile", logFile)
	done := make(chan error, 1)
	go func() { done <- cmd.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemonizing parent exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("daemonizing parent did not return")
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var pid int
	t.Cleanup(func() {
		if pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false, "no pid file: " + err.Error()
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0, "pid file holds " + string(b)
	})
	testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		return testutil.PingReady(addr)() == nil, "not answering PING"
	})
	c := testutil.Dial(t, addr)
	if got := string(c.Do("SET", "k", "v")); got != "+OK\r\n" {
		t.Fatalf("SET replied %q", got)
	}
	c.Send(testutil.EncodeCommand("SHUTDOWN", "NOSAVE"))
	testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		if syscall.Kill(pid, 0) == nil {
			return false, "daemon still running"
		}
		_, err := os.Stat(pidFile)
		return os.IsNotExist(err), "pid file left behind"
	})
	pid = 0
	if b, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(b), "Ready to accept connections") {
		t.Errorf("log file %s lacks the ready line (err %v):\n%s", logFile, err, b)
	}
}

package main

import (
	"errors"
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

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.RemoveWardenBuild()
	os.Exit(code)
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startSentinelProc runs the warden binary with args (the config path and
// options are appended by the caller) until it answers PING on port.
func startSentinelProc(t *testing.T, port int, args ...string) *testutil.Proc {
	t.Helper()
	bin := testutil.BuildWarden(t)
	return testutil.StartProcess(t, bin, args, testutil.PingReady("127.0.0.1:"+strconv.Itoa(port)))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestSentinelProcess runs `warden sentinel` and `warden server --sentinel`:
// both serve the sentinel's commands, and SIGTERM stops them with exit
// status 0 after saving the config.
func TestSentinelProcess(t *testing.T) {
	for _, form := range []string{"sentinel", "server --sentinel"} {
		t.Run(form, func(t *testing.T) {
			path := writeConf(t, "sentinel monitor mymaster 127.0.0.1 6379 2\n")
			port := testutil.FreePort(t)
			var args []string
			if form == "sentinel" {
				args = []string{"sentinel", path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
			} else {
				args = []string{"server", path, "--port", strconv.Itoa(port), "--sentinel", "--bind", "127.0.0.1"}
			}
			p := startSentinelProc(t, port, args...)
			c := testutil.Dial(t, "127.0.0.1:"+strconv.Itoa(port))
			if got := string(c.Do("ROLE")); got != "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n" {
				t.Fatalf("ROLE = %q", got)
			}
			if got := string(c.Do("INFO", "server")); !strings.Contains(got, "redis_mode:sentinel") {
				t.Fatalf("INFO server:\n%s", got)
			}
			id := string(c.Do("SENTINEL", "MYID"))
			if !strings.HasPrefix(id, "$40\r\n") {
				t.Fatalf("MYID = %q", id)
			}
			// Replace the file behind the sentinel's back: the stop must
			// save the state again.
			if err := os.WriteFile(path, []byte("sentinel monitor mymaster 127.0.0.1 6379 2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := p.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := p.Wait(); err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Output())
			}
			if conf := readFile(t, path); !strings.Contains(conf, "sentinel myid "+strings.TrimSpace(id[5:])) {
				t.Fatalf("config not saved at exit:\n%s", conf)
			}
		})
	}
}

// TestSentinelProcessConfigErrors: bad configurations stop the start with
// Redis's messages and exit status 1.
func TestSentinelProcessConfigErrors(t *testing.T) {
	bin := testutil.BuildWarden(t)
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		want []string
	}{
		{"bad sentinel line", func(t *testing.T) []string {
			return []string{"sentinel", writeConf(t, "port 0\nsentinel monitor mymaster 127.0.0.1 6379 0\n")}
		}, []string{"*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***", "Reading the configuration file, at line 2",
			">>> 'sentinel monitor mymaster 127.0.0.1 6379 0'", "Quorum must be 1 or greater."}},
		{"bad sentinel line, daemonized", func(t *testing.T) []string {
			return []string{"sentinel", writeConf(t, "daemonize yes\nsentinel myid xyz\n")}
		}, []string{"*** FATAL CONFIG FILE ERROR", ">>> 'sentinel myid xyz'", "Malformed Sentinel id in myid option."}},
		{"no config file", func(t *testing.T) []string { return []string{"sentinel"} },
			[]string{"Sentinel needs config file on disk to save state. Exiting..."}},
		{"server --sentinel without a file", func(t *testing.T) []string { return []string{"server", "--sentinel"} },
			[]string{"Sentinel needs config file on disk to save state. Exiting..."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args(t)...)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestSentinelProcessDaemonize: daemonize yes detaches (the command
// returns at once), writes the pid file and the log file; SIGHUP reopens
// the log; SIGTERM stops the daemon and removes the pid file.
func TestSentinelProcessDaemonize(t *testing.T) {
	bin := testutil.BuildWarden(t)
	dir := t.TempDir()
	port := testutil.FreePort(t)
	pidfile, logfile := filepath.Join(dir, "s.pid"), filepath.Join(dir, "s.log")
	path := writeConf(t, "daemonize yes\npidfile "+pidfile+"\nlogfile "+logfile+"\nsentinel monitor mymaster 127.0.0.1 6379 2\n")
	cmd := exec.Command(bin, "sentinel", path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("warden sentinel (daemonize): %v\n%s", err, out)
	}
	var pid int
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		data, err := os.ReadFile(pidfile)
		if err != nil {
			return false, err.Error()
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(data)))
		return err == nil, "pid file " + string(data)
	})
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		err := testutil.PingReady(addr)()
		return err == nil, "PING: " + errString(err)
	})
	if !strings.Contains(readFile(t, logfile), "Sentinel initialized") {
		t.Fatalf("log file:\n%s", readFile(t, logfile))
	}
	// logrotate: move the file away, SIGHUP, a new one appears.
	if err := os.Rename(logfile, logfile+".1"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		_, err := os.Stat(logfile)
		return err == nil, "log file not reopened: " + errString(err)
	})
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		_, err := os.Stat(pidfile)
		return errors.Is(err, os.ErrNotExist), "pid file still there after SIGTERM"
	})
	if err := testutil.PingReady(addr)(); err == nil {
		t.Fatal("sentinel still answers after SIGTERM")
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

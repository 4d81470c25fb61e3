package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// logEvent matches a zap line carrying "event": name.
func logEvent(name string) *regexp.Regexp {
	return regexp.MustCompile(`"event":\s*"` + regexp.QuoteMeta(name) + `"`)
}

// TestSignalShutdown sends SIGTERM (and SIGINT) to a running node: it must
// log the shutdown, exit 0 and free its port.
func TestSignalShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			srv := testutil.StartWarden(t)
			c := newClient(t, srv.Addr(), nil)
			must(t, c.Set(ctxT(t), "k", "v", 0).Err())
			must(t, srv.Signal(sig))
			if err := srv.Wait(); err != nil {
				t.Fatalf("exit after %v: %v, want status 0; output:\n%s", sig, err, srv.Output())
			}
			out := srv.Output()
			for _, ev := range []string{"signal", "shutdown"} {
				if !logEvent(ev).MatchString(out) {
					t.Errorf("no %q event logged; output:\n%s", ev, out)
				}
			}
			if !strings.Contains(out, "ready to exit") {
				t.Errorf("no \"ready to exit\" line; output:\n%s", out)
			}
			if conn, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
				conn.Close()
				t.Errorf("port %d still accepts connections after exit", srv.Port())
			}
		})
	}
}

// TestBadConfigLine starts `warden server file` with a broken line: it must
// exit non-zero at once, naming the file, the line and Redis's reason.
func TestBadConfigLine(t *testing.T) {
	bin := testutil.BuildWarden(t)
	// A port of our own in each file, so a node that wrongly starts does
	// not take a well-known port.
	port := testutil.FreePort(t)
	cases := []struct {
		name, line, reason string
	}{
		{"bad integer", "port abc", "argument couldn't be parsed into an integer"},
		{"unknown directive", "bogus-directive 1", "Bad directive or wrong number of arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "redis.conf")
			text := fmt.Sprintf("# warden e2e\nbind 127.0.0.1\nport %d\n%s\nsave \"\"\n", port, tc.line)
			must(t, os.WriteFile(conf, []byte(text), 0o644))

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "server", conf)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("warden server %s still running after 20 s (accepted %q?); output:\n%s", conf, tc.line, out)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("warden server with %q: %v, want a non-zero exit; output:\n%s", tc.line, err, out)
			}
			for _, want := range []string{conf, "line 4", tc.line, tc.reason} {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestConfigFileWithOverride starts a node from a config file with --port
// on the command line: the flag wins, the file's other directives apply.
func TestConfigFileWithOverride(t *testing.T) {
	filePort := testutil.FreePort(t)
	conf := filepath.Join(t.TempDir(), "redis.conf")
	text := fmt.Sprintf("port %d\nrequirepass \"from file\"\ndatabases 4\n", filePort)
	must(t, os.WriteFile(conf, []byte(text), 0o644))

	// StartWarden puts the file first and --port <free> after it.
	srv := testutil.StartWarden(t, conf)
	if srv.Port() == filePort {
		t.Fatalf("free port %d collides with the file's", filePort)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(filePort)), time.Second); err == nil {
		conn.Close()
		t.Errorf("the file's port %d is listening although --port overrode it", filePort)
	}
	rc := testutil.Dial(t, srv.Addr())
	eq(t, "PING before AUTH", string(rc.Do("PING")), "-NOAUTH Authentication required.\r\n")
	eq(t, "AUTH", string(rc.Do("AUTH", "from file")), "+OK\r\n")
	eq(t, "SELECT 3", string(rc.Do("SELECT", "3")), "+OK\r\n")
	eq(t, "SELECT 4", string(rc.Do("SELECT", "4")), "-ERR DB index is out of range\r\n")
}

// TestSIGHUPReopensLog rotates the log file the way logrotate does: rename,
// SIGHUP, and later lines go to a new file at the old path.
func TestSIGHUPReopensLog(t *testing.T) {
	logDir := t.TempDir()
	logPath := filepath.Join(logDir, "warden.log")
	srv := testutil.StartWarden(t, "--logfile", logPath)
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return string(b)
	}
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		s := read(logPath)
		return logEvent("ready").MatchString(s), "log file: " + s
	})

	rotated := logPath + ".1"
	must(t, os.Rename(logPath, rotated))
	must(t, srv.Signal(syscall.SIGHUP))
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		s := read(logPath)
		return logEvent("sighup").MatchString(s), fmt.Sprintf("new log file %s: %q", logPath, s)
	})

	// A later event: a protocol error is logged, in the new file only.
	c, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	must(t, err)
	c.Write([]byte("*1\r\n$x\r\n"))
	buf := make([]byte, 256)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := c.Read(buf)
	c.Close()
	eq(t, "reply to a bad bulk length", string(buf[:n]), "-ERR Protocol error: invalid bulk length\r\n")
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		s := read(logPath)
		return logEvent("protocol-error").MatchString(s), "new log file: " + s
	})

	must(t, srv.Signal(syscall.SIGTERM))
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	old, cur := read(rotated), read(logPath)
	if !logEvent("ready").MatchString(old) {
		t.Errorf("rotated file lacks the start-up lines:\n%s", old)
	}
	for _, ev := range []string{"sighup", "protocol-error", "shutdown"} {
		if logEvent(ev).MatchString(old) {
			t.Errorf("rotated file got the later %q event:\n%s", ev, old)
		}
		if !logEvent(ev).MatchString(cur) {
			t.Errorf("new file lacks the %q event:\n%s", ev, cur)
		}
	}
}

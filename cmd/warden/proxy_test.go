package main

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

// TestProxyCommandErrors: a bad file stops `warden proxy` before anything
// starts, naming file, line and key; --check accepts a good one.
func TestProxyCommandErrors(t *testing.T) {
	bin := testutil.BuildWarden(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("groups:\n  - name: m\n    wirte: 5000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "proxy", "-c", bad).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), bad+`:3: groups[0].wirte: unknown key "wirte"`) {
		t.Errorf("bad config: exit %d, output:\n%s", code, out)
	}
	out, err = exec.Command(bin, "proxy").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "no configuration file") {
		t.Errorf("no config: exit %d, output:\n%s", code, out)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("groups:\n  - name: m\n    write: 0\n    static: {nodes: [127.0.0.1:1]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, "proxy", "--check", "-c", good).CombinedOutput()
	if code := exitCode(err); code != 0 || !strings.Contains(string(out), "is valid (1 groups)") {
		t.Errorf("--check: exit %d, output:\n%s", code, out)
	}
	// An embedded sentinel whose sentinel.conf is missing fails the check.
	emb := filepath.Join(dir, "emb.yaml")
	if err := os.WriteFile(emb, []byte("groups:\n  - name: m\n    write: 0\n    embedded-sentinel: {config: nope.conf}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, "proxy", "--check", "-c", emb).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "group m") {
		t.Errorf("--check with a missing sentinel.conf: exit %d, output:\n%s", code, out)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// TestProxyProcess runs `warden proxy -c` in front of a password-protected
// node with a static source: "Ready" names the listeners, writes and reads
// go through with the proxy's own password, SIGHUP reopens the log file,
// SIGTERM stops it with status 0, and neither password is ever logged.
func TestProxyProcess(t *testing.T) {
	bin := testutil.BuildWarden(t)
	node := testutil.StartWarden(t, "--requirepass", "node-secret-xyz")
	ports := testutil.FreePorts(t, 3)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "proxy.log")
	conf := filepath.Join(dir, "proxy.yaml")
	write, read := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	text := "http: 127.0.0.1:" + strconv.Itoa(ports[2]) + "\n" +
		"requirepass: client-secret-xyz\nlogfile: proxy.log\n" +
		"groups:\n  - name: mymaster\n    write: " + strconv.Itoa(ports[0]) + "\n    read: " + read + "\n" +
		"    node-pass: node-secret-xyz\n    static:\n      nodes: [" + node.Addr() + "]\n      interval: 100ms\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.StartProcess(t, bin, []string{"proxy", "-c", conf}, testutil.DialReady(write))
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		log, _ := os.ReadFile(logPath)
		return strings.Contains(string(log), "Ready to accept connections"), "no Ready line:\n" + string(log)
	})
	log := readFile(t, logPath)
	for _, want := range []string{`"mymaster/write": "` + write + `"`, `"mymaster/read": "` + read + `"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the Ready line lacks %s:\n%s", want, log)
		}
	}

	c := testutil.Dial(t, write)
	if got := string(c.Do("SET", "k", "v")); !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("SET before AUTH: %q", got)
	}
	if got := string(c.Do("AUTH", "client-secret-xyz")); got != "+OK\r\n" {
		t.Fatalf("AUTH: %q", got)
	}
	// The static checks need a round to confirm the master.
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := string(c.Do("SET", "k", "v"))
		return got == "+OK\r\n", "SET through the write port: " + got
	})
	r := testutil.Dial(t, read)
	r.Do("AUTH", "client-secret-xyz")
	if got := string(r.Do("GET", "k")); got != "$1\r\nv\r\n" {
		t.Errorf("GET through the read port (master fallback): %q", got)
	}

	// logrotate: move the file away, SIGHUP, a new file appears.
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		log, _ := os.ReadFile(logPath)
		return strings.Contains(string(log), "log file reopened"), "the new log: " + string(log)
	})

	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Output())
	}
	all := readFile(t, logPath+".1") + readFile(t, logPath) + p.Output()
	if !strings.Contains(all, "Server stopped") {
		t.Errorf("no stop line:\n%s", all)
	}
	for _, secret := range []string{"client-secret-xyz", "node-secret-xyz"} {
		if strings.Contains(all, secret) {
			t.Errorf("a password is in the log:\n%s", all)
		}
	}
}

// TestStatusNoSource: with nothing to ask, status fails and says why.
func TestStatusNoSource(t *testing.T) {
	bin := testutil.BuildWarden(t)
	ports := testutil.FreePorts(t, 2)
	out, err := exec.Command(bin, "status", "--sentinel", "127.0.0.1:"+strconv.Itoa(ports[0]),
		"--proxy", "127.0.0.1:"+strconv.Itoa(ports[1])).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "no sentinel answered") ||
		!strings.Contains(string(out), "proxy:") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on process life cycle waits. They are generous for a loaded 2-core
// CI machine, and exist so that nothing waits forever.
const (
	// ReadyTimeout is how long a started process has to become ready.
	ReadyTimeout = 10 * time.Second
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	StopGrace = 2 * time.Second
	// waitLimit bounds Wait, and the wait for a killed process to be reaped.
	waitLimit = 30 * time.Second
	// outputLimit caps the output kept per process (the tail is kept).
	outputLimit = 1 << 20
)

// debianPackages names the package that provides each binary, so a skipped
// test says what to install.
var debianPackages = map[string]string{
	"redis-server":    "redis-server",
	"redis-sentinel":  "redis-sentinel",
	"redis-cli":       "redis-tools",
	"redis-benchmark": "redis-tools",
	"redis-check-aof": "redis-tools",
	"redis-check-rdb": "redis-tools",
	"haproxy":         "haproxy",
}

// RequireBinary returns the path of an installed program or skips the test,
// naming the package to install. Besides $PATH it looks in the sbin
// directories, which non-root users often lack in $PATH and where Debian
// puts haproxy.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	pkg := debianPackages[name]
	if pkg == "" {
		pkg = name
	}
	t.Skipf("%s not installed: run `make test` as root or apt-get install %s", name, pkg)
	return ""
}

// Proc is a process started by StartProcess or StartRedis. It runs in its
// own process group, in its own temporary directory, with stdout and stderr
// captured; the test's cleanup stops it and, if the test failed, logs its
// output. Its methods are safe for concurrent use.
type Proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	dir  string
	port int
	out  *tailBuffer

	done    chan struct{} // closed once the process has been reaped
	waitErr error         // set before done is closed
	stop    sync.Once
}

// StartProcess starts the program name (looked up like RequireBinary, so a
// missing program skips the test; a path with a slash is used as is) with
// args, in a fresh temporary directory, and waits until ready returns nil
// (nil ready means no wait). It fails the test if the process exits or is
// not ready within ReadyTimeout, showing the last readiness error and the
// process's output. Use PingReady or DialReady for ready.
func StartProcess(t testing.TB, name string, args []string, ready func() error) *Proc {
	t.Helper()
	p, err := startProcess(t, name, args, t.TempDir(), 0, ready)
	if err != nil {
		t.Fatalf("testutil: %v", err)
	}
	return p
}

// StartRedis starts Debian's redis-server on a free port of 127.0.0.1 with
// no persistence, in a temporary directory:
//
//	redis-server [config-file] --port <free> --bind 127.0.0.1 --save "" \
//	    --appendonly no --dir <tmp> --daemonize no [args...]
//
// args come last, so they override the defaults (a --port in args is the
// port used). If args[0] does not start with "-" it is a config file and
// goes first, as redis-server requires; the defaults then override the file.
// It returns once the server answers PING (NOAUTH counts as an answer).
func StartRedis(t testing.TB, args ...string) *Proc {
	t.Helper()
	bin := RequireBinary(t, "redis-server")
	var conf []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		abs, err := filepath.Abs(args[0])
		if err != nil {
			t.Fatalf("testutil: config file %s: %v", args[0], err)
		}
		conf, args = []string{abs}, args[1:]
	}
	fixedPort := 0
	if v := lastOption(args, "--port"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("testutil: bad --port %q", v)
		}
		fixedPort = n
	}
	var lastErr error
	// FreePort can race with other processes on the machine; a lost race
	// shows as "Address already in use", and a new port fixes it.
	for attempt := 0; attempt < 3; attempt++ {
		port := fixedPort
		if port == 0 {
			port = FreePort(t)
		}
		dir := t.TempDir()
		argv := append(append([]string(nil), conf...),
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--daemonize", "no")
		argv = append(argv, args...)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p, err := startProcess(t, bin, argv, dir, port, PingReady(addr))
		if err == nil {
			return p
		}
		lastErr = err
		if fixedPort != 0 || !strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("testutil: %v", lastErr)
	return nil
}

// lastOption returns the value after the last occurrence of opt in args.
func lastOption(args []string, opt string) string {
	v := ""
	for i := 0; i+1 < len(args); i++ {
		if strings.EqualFold(args[i], opt) {
			v = args[i+1]
		}
	}
	return v
}

func startProcess(t testing.TB, name string, args []string, dir string, port int, ready func() error) (*Proc, error) {
	t.Helper()
	path := name
	if strings.ContainsRune(name, '/') {
		// Relative paths would otherwise resolve against the process's
		// temporary working directory.
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("program not found (build it first?): %w", err)
		}
		path = abs
	} else {
		path = RequireBinary(t, name)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	out := &tailBuffer{max: outputLimit}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	// A grandchild holding our output pipe must not keep Wait blocked.
	cmd.WaitDelay = StopGrace
	p := &Proc{t: t, name: filepath.Base(path), cmd: cmd, dir: dir, port: port, out: out, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	// Registered after t.TempDir (called by our callers), so it runs before
	// the directory is removed: the process is gone before its files are.
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s (pid %d) output:\n%s", p.name, p.Pid(), p.Output())
		}
	})
	if ready == nil {
		return p, nil
	}
	deadline := time.NewTimer(ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		rerr := ready()
		if rerr == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s %s exited before it was ready (%v); output:\n%s",
				p.name, strings.Join(args, " "), p.waitErr, p.Output())
		case <-deadline.C:
			p.Kill()
			return nil, fmt.Errorf("%s %s not ready within %v: %v; output:\n%s",
				p.name, strings.Join(args, " "), ReadyTimeout, rerr, p.Output())
		case <-tick.C:
		}
	}
}

// PingReady returns a readiness check that sends PING to addr and accepts
// +PONG, or -NOAUTH from a server that wants a password. LOADING and other
// errors mean not ready yet. It suits redis-server, redis-sentinel and
// warden's server and sentinel.
func PingReady(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write(EncodeCommand("PING")); err != nil {
			return err
		}
		reply, err := readReply(bufio.NewReader(c), nil, 0)
		if err != nil {
			return err
		}
		if string(reply) == "+PONG\r\n" || strings.HasPrefix(string(reply), "-NOAUTH") {
			return nil
		}
		return fmt.Errorf("PING answered %q", reply)
	}
}

// DialReady returns a readiness check that only needs addr to accept TCP
// connections (haproxy, the proxy's listeners).
func DialReady(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// Addr is "127.0.0.1:<port>" for processes with a known port, else "".
func (p *Proc) Addr() string {
	if p.port == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
}

// Port is the process's port (0 when StartProcess was not told one).
func (p *Proc) Port() int { return p.port }

// Dir is the process's working directory (redis-server's --dir), removed
// after the test.
func (p *Proc) Dir() string { return p.dir }

// Pid is the process id, which is also its process group id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Output returns what the process has written to stdout and stderr so far
// (the last megabyte of it).
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process itself (not its group), as an operator's
// kill would: SIGHUP to reopen logs, SIGSTOP/SIGCONT to pause.
func (p *Proc) Signal(sig os.Signal) error {
	if p.Exited() {
		return os.ErrProcessDone
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.name, err)
	}
	return nil
}

// Wait waits for the process to exit and returns its exit error (nil for
// status 0, an *exec.ExitError otherwise). A process still running after
// 30 s fails the test and is killed.
func (p *Proc) Wait() error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(waitLimit):
	}
	p.t.Errorf("testutil: %s (pid %d) still running after %v", p.name, p.Pid(), waitLimit)
	p.Kill()
	if !p.Exited() {
		return fmt.Errorf("%s (pid %d) did not exit", p.name, p.Pid())
	}
	return p.waitErr
}

// Kill sends SIGKILL to the process group and waits for the process to be
// reaped: a crash, as far as the process is concerned.
func (p *Proc) Kill() {
	if !p.Exited() {
		p.killGroup(syscall.SIGKILL)
	}
	p.reap()
}

// Stop sends SIGTERM to the process group, waits StopGrace for the process
// to exit, then kills the group. It is idempotent, and is what cleanup does.
func (p *Proc) Stop() {
	p.stop.Do(func() {
		if p.Exited() {
			return
		}
		// The whole group, so children (a BGSAVE fork, haproxy workers)
		// are told too.
		p.killGroup(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(StopGrace):
			p.Kill()
		}
	})
}

// killGroup signals the process group. Callers only do so while the leader
// is unreaped: its pid, which is the group id, cannot then have been reused
// by another test's process group.
func (p *Proc) killGroup(sig syscall.Signal) {
	killGroup(p.cmd.Process.Pid, sig)
}

// reap waits, bounded, for Wait to return.
func (p *Proc) reap() {
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		p.t.Errorf("testutil: %s (pid %d) not reaped %v after SIGKILL", p.name, p.Pid(), waitLimit)
	}
}

// tailBuffer is an io.Writer that keeps the last max bytes written to it,
// safe for the two copying goroutines exec starts for stdout and stderr.
type tailBuffer struct {
	mu      sync.Mutex
	b       []byte
	max     int
	dropped int64
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(b.b, p...)
	if over := len(b.b) - b.max; over > 0 {
		// Drop down to half the limit so trimming is not done per write.
		cut := over + b.max/2
		b.dropped += int64(cut)
		b.b = append(b.b[:0], b.b[cut:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped > 0 {
		return fmt.Sprintf("[... %d bytes dropped ...]\n%s", b.dropped, b.b)
	}
	return string(b.b)
}

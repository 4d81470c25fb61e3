package bench

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

// proc is a child process of the harness: a server, sentinel or proxy
// under test. Its output goes to a log file in its own directory.
type proc struct {
	name string
	bin  string
	args []string
	dir  string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has been reaped
	err  error         // its exit status, once done is closed
}

// startProc starts bin with args in dir (created if needed), its output in
// dir/<name>.log. The child gets its own process group, so a Ctrl-C on the
// terminal reaches only the harness, which stops its children in order;
// on Linux it is also killed if the harness dies.
func startProc(name, dir, bin string, args ...string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, bin: bin, args: args, dir: dir, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id.
func (p *proc) Pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process (not its group: children of warden's
// own are its business).
func (p *proc) signal(sig syscall.Signal) error {
	if p.exited() {
		return errors.New(p.name + " has exited")
	}
	return p.cmd.Process.Signal(sig)
}

// stop ends the process: SIGCONT (it may be paused), SIGTERM, then
// SIGKILL after 5 s. It waits until the process is reaped.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill sends SIGKILL and waits until the process is reaped.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// tail returns the last lines of the process's output, for error messages.
func (p *proc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// commandLine is the process's command line with the directory and ports
// left as they were.
func (p *proc) commandLine() string {
	parts := []string{filepath.Base(p.bin)}
	for _, a := range p.args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellCommand renders argv as a shell command line, with the program
// shown as name (e.g. "warden" for os.Args).
func ShellCommand(name string, argv []string) string {
	parts := []string{name}
	for _, a := range argv {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// waitReady polls check every 50 ms until it succeeds, p exits, or limit
// passes.
func waitReady(p *proc, limit time.Duration, check func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited (%v) before it was ready; its output:\n%s", p.name, p.err, p.tail())
		}
		if time.Now().After(deadline) {
			tail := ""
			if p != nil {
				tail = "; its output:\n" + p.tail()
			}
			return fmt.Errorf("not ready after %v: %v%s", limit, err, tail)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// rconn is a minimal blocking RESP client for setup, checks and
// verification (not for load: see client).
type rconn struct {
	c       net.Conn
	r       *bufio.Reader
	timeout time.Duration
	buf     []byte
}

func dialRESP(addr string, timeout time.Duration) (*rconn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &rconn{c: c, r: bufio.NewReaderSize(c, 64<<10), timeout: timeout}, nil
}

func (c *rconn) Close() error { return c.c.Close() }

// send writes one command without reading its reply.
func (c *rconn) send(args ...string) error {
	c.buf = resp.AppendCommandStrings(c.buf[:0], args...)
	_ = c.c.SetDeadline(time.Now().Add(c.timeout))
	_, err := c.c.Write(c.buf)
	return err
}

// read reads one reply.
func (c *rconn) read() (resp.Value, error) {
	_ = c.c.SetDeadline(time.Now().Add(c.timeout))
	return resp.ReadReply(c.r, resp.ReplyLimits{})
}

// do sends one command and returns its reply; an error reply is returned
// as an error.
func (c *rconn) do(args ...string) (resp.Value, error) {
	if err := c.send(args...); err != nil {
		return resp.Value{}, err
	}
	v, err := c.read()
	if err == nil && v.IsError() {
		err = errors.New(v.Str)
	}
	return v, err
}

// doOnce dials addr, runs one command and closes.
func doOnce(addr string, timeout time.Duration, args ...string) (resp.Value, error) {
	c, err := dialRESP(addr, timeout)
	if err != nil {
		return resp.Value{}, err
	}
	defer c.Close()
	return c.do(args...)
}

// pingCheck is a readiness check: PING answers PONG.
func pingCheck(addr string) func() error {
	return func() error {
		v, err := doOnce(addr, time.Second, "PING")
		if err != nil {
			return err
		}
		if v.Str != "PONG" {
			return fmt.Errorf("PING answered %q", v.Str)
		}
		return nil
	}
}

// writeCheck is a readiness check for a write port: a SET goes through
// (a proxy may answer PING itself before it has a master).
func writeCheck(addr string) func() error {
	return func() error {
		_, err := doOnce(addr, 2*time.Second, "SET", "bench:ready", "1")
		return err
	}
}

// infoField returns field's value from an INFO reply text.
func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), field+":"); ok {
			return v
		}
	}
	return ""
}

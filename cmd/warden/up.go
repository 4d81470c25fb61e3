package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

const upUsage = `Usage: warden up [--dir data] [--replicas 2] [--sentinels 3] [--down-after 5000]
                 [--base-port 6379] [--sentinel-port 26379] [--write-port 5000]
                 [--read-port 5001] [--http 127.0.0.1:8404] [--refused-fast-path 500ms]

Runs a whole warden stack on 127.0.0.1 until Ctrl-C: a master node and its
replicas (ports base-port, base-port+1, ...), the sentinels watching them
(sentinel-port, sentinel-port+1, ...; quorum = majority) and the proxy (the
write and read ports, stats over HTTP), each a child process of this one with
its directory, config and log under --dir. It prints the endpoints and what to
try once everything answers.

Run it again on the same --dir and it resumes: the nodes keep their data and
their configs (which the sentinels rewrite on failover), the sentinels their
state. proxy.yaml is written anew at every start, from the flags; so are the
sentinels' down-after settings.

Options:
`

// upMasterName is the group's sentinel master name: the seeds' one.
const upMasterName = "mymaster"

// Bounds on the life cycle of the stack's processes.
const (
	// upReadyTimeout is how long a process has to answer after its start
	// (a node loading a big dataset may need it).
	upReadyTimeout = 60 * time.Second
	// upSettleTimeout bounds the wait for the stack to be able to fail
	// over (sentinels knowing the replicas and each other) and to take
	// writes through the proxy. Past it up warns and carries on.
	upSettleTimeout = 30 * time.Second
	// Grace periods between SIGTERM and SIGKILL. A node saves its data
	// on the way out, so it gets longer.
	upNodeGrace  = 15 * time.Second
	upOtherGrace = 5 * time.Second
	// upFailoverTimeout is the sentinels' failover-timeout: short, so
	// that a failover that went wrong is retried within a demo's
	// patience (the next attempt waits twice as long).
	upFailoverTimeout = 10 * time.Second
)

// upConfig is what the flags say.
type upConfig struct {
	dir                    string
	replicas, sentinels    int
	downAfter              int // milliseconds
	basePort, sentinelPort int
	writePort, readPort    int
	http                   string // "" = no HTTP server
	refused                time.Duration
}

func parseUpFlags(args []string, stderr io.Writer) (*upConfig, error) {
	c := &upConfig{}
	fs := flag.NewFlagSet("warden up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, upUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.dir, "dir", "data", "directory of the nodes', sentinels' and proxy's files")
	fs.IntVar(&c.replicas, "replicas", 2, "replicas of the master")
	fs.IntVar(&c.sentinels, "sentinels", 3, "sentinels (quorum: a majority of them)")
	fs.IntVar(&c.downAfter, "down-after", 5000, "sentinel down-after-milliseconds")
	fs.IntVar(&c.basePort, "base-port", 6379, "the first node's port; the others follow")
	fs.IntVar(&c.sentinelPort, "sentinel-port", 26379, "the first sentinel's port; the others follow")
	fs.IntVar(&c.writePort, "write-port", 5000, "the proxy's write port")
	fs.IntVar(&c.readPort, "read-port", 5001, "the proxy's read port")
	fs.StringVar(&c.http, "http", "127.0.0.1:8404", "the proxy's stats and metrics address (\"\" = none)")
	fs.DurationVar(&c.refused, "refused-fast-path", 500*time.Millisecond,
		"sentinel down-after-refused-milliseconds: a master whose port refuses connections this long is down (0 = off)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.check()
}

// check validates the flags: counts, durations, ports in range and all
// distinct.
func (c *upConfig) check() error {
	switch {
	case c.dir == "":
		return errors.New("--dir is empty")
	case c.replicas < 0:
		return errors.New("--replicas must be 0 or more")
	case c.sentinels < 1:
		return errors.New("--sentinels must be 1 or more (the proxy follows the master through them)")
	case c.downAfter < 1:
		return errors.New("--down-after must be a positive number of milliseconds")
	case c.refused < 0:
		return errors.New("--refused-fast-path must not be negative")
	}
	seen := make(map[int]string)
	use := func(port int, what string) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("%s: port %d out of range", what, port)
		}
		if other, dup := seen[port]; dup {
			return fmt.Errorf("%s: port %d is also %s", what, port, other)
		}
		seen[port] = what
		return nil
	}
	for i, p := range c.nodePorts() {
		if err := use(p, fmt.Sprintf("node %d", i+1)); err != nil {
			return err
		}
	}
	for i, p := range c.sentinelPorts() {
		if err := use(p, fmt.Sprintf("sentinel %d", i+1)); err != nil {
			return err
		}
	}
	if err := use(c.writePort, "--write-port"); err != nil {
		return err
	}
	if err := use(c.readPort, "--read-port"); err != nil {
		return err
	}
	if c.http != "" {
		host, ps, err := net.SplitHostPort(c.http)
		if err != nil {
			return fmt.Errorf("--http %q: want host:port", c.http)
		}
		p, err := strconv.Atoi(ps)
		if err != nil {
			return fmt.Errorf("--http %q: bad port", c.http)
		}
		if host == "127.0.0.1" || host == "localhost" || host == "" || host == "0.0.0.0" {
			// The stack's own ports are on 127.0.0.1: only clash there.
			if err := use(p, "--http"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *upConfig) nodePorts() []int { return portRange(c.basePort, 1+c.replicas) }

func (c *upConfig) sentinelPorts() []int { return portRange(c.sentinelPort, c.sentinels) }

func portRange(first, n int) []int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = first + i
	}
	return ps
}

func localAddr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// ---- the files ----

// nodeConfig is a new node's redis.conf. Later starts reuse the file,
// which the node itself rewrites (CONFIG REWRITE) when a sentinel makes it
// a master or a replica, so a restarted stack keeps the roles it had.
func nodeConfig(dir string, port, masterPort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `warden up` for its first start; kept since (the node and the\n")
	fmt.Fprintf(&b, "# sentinels rewrite it, e.g. replicaof after a failover).\n")
	fmt.Fprintf(&b, "port %d\nbind 127.0.0.1\ndir %s\n", port, quoteConf(dir))
	// Both persistence forms, as a production node would have: the AOF
	// loses at most a second on a crash, the RDB makes restarts fast.
	fmt.Fprintf(&b, "save 3600 1 300 100 60 10000\nappendonly yes\nappendfsync everysec\n")
	if masterPort != port {
		fmt.Fprintf(&b, "replicaof 127.0.0.1 %d\n", masterPort)
	}
	return b.String()
}

// sentinelConfig is a new sentinel's sentinel.conf; the sentinel keeps
// its state in it (myid, epochs, the replicas and sentinels it found).
func sentinelConfig(dir string, port, masterPort, quorum int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `warden up` for its first start; the sentinel saves its state here.\n")
	fmt.Fprintf(&b, "# down-after-milliseconds and down-after-refused-milliseconds come from the\n")
	fmt.Fprintf(&b, "# flags at every start.\n")
	fmt.Fprintf(&b, "port %d\nbind 127.0.0.1\ndir %s\n", port, quoteConf(dir))
	fmt.Fprintf(&b, "sentinel monitor %s 127.0.0.1 %d %d\n", upMasterName, masterPort, quorum)
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", upMasterName, upFailoverTimeout.Milliseconds())
	fmt.Fprintf(&b, "sentinel parallel-syncs %s 1\n", upMasterName)
	return b.String()
}

// sentinelArgs are the sentinel settings the flags own, applied over the
// file at every start (a sentinel reads them as it reads its file).
func (c *upConfig) sentinelArgs() []string {
	return []string{
		"--sentinel", "down-after-milliseconds", upMasterName, strconv.Itoa(c.downAfter),
		// warden's fast path: a port refusing connections (a killed
		// process on a live host) is down long before down-after.
		"--sentinel", "down-after-refused-milliseconds", upMasterName, strconv.FormatInt(c.refused.Milliseconds(), 10),
	}
}

// proxyConfig is proxy.yaml, written at every start from the flags.
//
// The topology source is the external sentinels, all of them, rather than
// a sentinel embedded in the proxy: the stack then keeps exactly the
// seeds' shape (N independent sentinels on their own ports, which
// Lettuce, go-redis and `warden status` talk to), stopping or restarting
// the proxy never removes a voter from the quorum, and the proxy trusts a
// new master only when a majority of the sentinels name it and the node
// reports role master, which no single sentinel's view (an embedded one
// is one vote) can give. The cost is small: the proxy hears
// +switch-master on its pub/sub link and polls the sentinels at once.
func (c *upConfig) proxyConfig(logLevel string) string {
	var b strings.Builder
	b.WriteString("# Written by `warden up` at every start from its flags: change those instead.\n")
	fmt.Fprintf(&b, "http: %s\n", strconv.Quote(c.http))
	fmt.Fprintf(&b, "loglevel: %s\n", logLevel)
	b.WriteString("groups:\n")
	fmt.Fprintf(&b, "  - name: %s\n", upMasterName)
	fmt.Fprintf(&b, "    write: %s\n", strconv.Quote(localAddr(c.writePort)))
	fmt.Fprintf(&b, "    read: %s\n", strconv.Quote(localAddr(c.readPort)))
	b.WriteString("    # A new master counts once a majority of these name it and it reports role master.\n")
	b.WriteString("    sentinels:\n      addrs:\n")
	for _, p := range c.sentinelPorts() {
		fmt.Fprintf(&b, "        - %s\n", strconv.Quote(localAddr(p)))
	}
	return b.String()
}

// quoteConf quotes a redis.conf argument when it needs it (a directory
// with spaces).
func quoteConf(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\#") {
		return s
	}
	return strconv.Quote(s)
}

// writeNew writes a file unless it exists; it reports whether it did.
func writeNew(path, content string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}

// ---- the processes ----

// upChild is one process of the stack.
type upChild struct {
	kind  string // node, sentinel, proxy
	addr  string // its main address
	dir   string
	log   string // stdout and stderr go here
	grace time.Duration
	cmd   *exec.Cmd

	done    chan struct{} // closed once reaped
	waitErr error         // set before done is closed
}

// startChild starts the same binary with args in dir, its output appended
// to logPath. The child is in a process group of its own, so that the
// terminal's Ctrl-C reaches only `warden up`, which stops the children in
// order (proxy, sentinels, nodes: no failover during a shutdown); on
// Linux the kernel kills it if `warden up` dies without doing so.
func startChild(exe, kind, addr, dir, logPath string, grace time.Duration, args ...string) (*upChild, error) {
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own descriptor
	fmt.Fprintf(out, "--- warden up: %s %s starting at %s\n", kind, addr, time.Now().Format(time.RFC3339))
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = upSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s %s: %w", kind, addr, err)
	}
	c := &upChild{kind: kind, addr: addr, dir: dir, log: logPath, grace: grace, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *upChild) pid() int { return c.cmd.Process.Pid }

func (c *upChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// signalGroup signals the child's process group (it and whatever it
// started, e.g. a sentinel's scripts). Only while the child is unreaped:
// its pid, the group's id, cannot have been reused then.
func (c *upChild) signalGroup(sig syscall.Signal) {
	if !c.exited() {
		_ = syscall.Kill(-c.pid(), sig)
	}
}

// stop sends SIGTERM, and SIGKILL after the grace period or as soon as
// force is closed.
func (c *upChild) stop(force <-chan struct{}) {
	c.signalGroup(syscall.SIGTERM)
	t := time.NewTimer(c.grace)
	defer t.Stop()
	select {
	case <-c.done:
		return
	case <-t.C:
	case <-force:
	}
	c.signalGroup(syscall.SIGKILL)
	<-c.done
}

// logTail returns the end of the child's log, for a start that failed.
func (c *upChild) logTail() string {
	data, err := os.ReadFile(c.log)
	if err != nil {
		return ""
	}
	const max = 2000
	if len(data) > max {
		data = data[len(data)-max:]
		if i := strings.IndexByte(string(data), '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return string(data)
}

// waitChild polls ready until it succeeds, the child exits, the timeout
// passes or ctx is cancelled.
func waitChild(ctx context.Context, c *upChild, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s %s exited before it was ready (%v); the end of %s:\n%s", c.kind, c.addr, c.waitErr, c.log, c.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s not ready after %v: %v; the end of %s:\n%s", c.kind, c.addr, timeout, err, c.log, c.logTail())
		}
	}
}

// pingReady checks that a node or sentinel answers PING (LOADING and other
// errors are not ready).
func pingReady(addr string) func() error {
	return func() error {
		c, err := dialRESP(addr, "", time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		v, err := c.do("PING")
		if err != nil {
			return err
		}
		if v.Str != "PONG" {
			return fmt.Errorf("PING answered %q", v.Str)
		}
		return nil
	}
}

// dialReady checks that every address accepts connections.
func dialReady(addrs ...string) func() error {
	return func() error {
		for _, a := range addrs {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err != nil {
				return err
			}
			c.Close()
		}
		return nil
	}
}

// portsFree fails on the first port of the stack already taken, which
// would otherwise surface as one child's start-up error in its log.
func (c *upConfig) portsFree() error {
	type use struct {
		addr, what string
	}
	var uses []use
	for _, p := range c.nodePorts() {
		uses = append(uses, use{localAddr(p), "node"})
	}
	for _, p := range c.sentinelPorts() {
		uses = append(uses, use{localAddr(p), "sentinel"})
	}
	uses = append(uses, use{localAddr(c.writePort), "proxy write port"}, use{localAddr(c.readPort), "proxy read port"})
	if c.http != "" {
		uses = append(uses, use{c.http, "proxy HTTP"})
	}
	for _, u := range uses {
		ln, err := net.Listen("tcp", u.addr)
		if err != nil {
			return fmt.Errorf("%s %s is not free (another warden up, redis-server or haproxy?): %w", u.what, u.addr, err)
		}
		ln.Close()
	}
	return nil
}

// lockDir takes an exclusive lock on dir/up.lock for the life of the
// process, so that two `warden up` never share one data directory.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "up.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another warden up", dir)
	}
	return f, nil
}

// ---- the run ----

// upRun is one `warden up`: its children in start order.
type upRun struct {
	cfg  *upConfig
	exe  string
	dir  string // absolute
	out  io.Writer
	logs string // log level of the children

	mu       sync.Mutex
	children []*upChild
	master   string // the master the sentinels name, once settled
}

func (u *upRun) add(c *upChild) {
	u.mu.Lock()
	u.children = append(u.children, c)
	u.mu.Unlock()
}

// stopAll stops the children: the proxy first, then the sentinels (so
// that none starts a failover while the nodes go down), then the nodes.
// Each step stops its processes in parallel; closing force turns every
// remaining grace period into an immediate SIGKILL.
func (u *upRun) stopAll(force <-chan struct{}) {
	u.mu.Lock()
	children := append([]*upChild(nil), u.children...)
	u.mu.Unlock()
	for _, kind := range []string{"proxy", "sentinel", "node"} {
		var wg sync.WaitGroup
		for _, c := range children {
			if c.kind != kind || c.exited() {
				continue
			}
			wg.Add(1)
			go func(c *upChild) {
				defer wg.Done()
				c.stop(force)
			}(c)
		}
		wg.Wait()
	}
}

// runUp is `warden up`. It returns the exit code.
func runUp(args []string) int {
	cfg, err := parseUpFlags(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "warden up: %v\n", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "warden up: %v\n", err)
		return 1
	}
	dir, err := filepath.Abs(cfg.dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "warden up: %v\n", err)
		return 1
	}
	lock, err := lockDir(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "warden up: %v\n", err)
		return 1
	}
	defer lock.Close()
	if err := cfg.portsFree(); err != nil {
		fmt.Fprintf(os.Stderr, "warden up: %v\n", err)
		return 1
	}

	// From here on a signal stops what has been started: the first one
	// cleanly, a second one at once.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	force := make(chan struct{})
	go func() {
		sig := <-sigs
		fmt.Printf("\nwarden up: %v, stopping (again to kill at once)\n", sig)
		cancel()
		<-sigs
		close(force)
	}()

	u := &upRun{cfg: cfg, exe: exe, dir: dir, out: os.Stdout, logs: "notice"}
	err = u.start(ctx)
	if err == nil {
		u.printTable()
		u.watch(ctx)
	} else if !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "warden up: %v\n", err)
	}
	u.stopAll(force)
	fmt.Println("warden up: stopped")
	if err != nil && !errors.Is(err, context.Canceled) {
		return 1
	}
	return 0
}

// start starts the nodes, the sentinels and the proxy, each stage once
// the previous one answers, then waits (bounded, warning past the bound)
// for the stack to be able to fail over and to take writes.
func (u *upRun) start(ctx context.Context) error {
	c := u.cfg
	nodePorts := c.nodePorts()
	var reused []string
	for _, port := range nodePorts {
		dir := filepath.Join(u.dir, "node-"+strconv.Itoa(port))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		conf := filepath.Join(dir, "redis.conf")
		wrote, err := writeNew(conf, nodeConfig(dir, port, nodePorts[0]))
		if err != nil {
			return err
		}
		if !wrote {
			reused = append(reused, conf)
		}
		ch, err := startChild(u.exe, "node", localAddr(port), dir, filepath.Join(dir, "node.log"), upNodeGrace,
			"server", conf)
		if err != nil {
			return err
		}
		u.add(ch)
	}
	if err := u.waitKind(ctx, "node", func(c *upChild) func() error { return pingReady(c.addr) }); err != nil {
		return err
	}

	quorum := c.sentinels/2 + 1
	for _, port := range c.sentinelPorts() {
		dir := filepath.Join(u.dir, "sentinel-"+strconv.Itoa(port))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		conf := filepath.Join(dir, "sentinel.conf")
		wrote, err := writeNew(conf, sentinelConfig(dir, port, nodePorts[0], quorum))
		if err != nil {
			return err
		}
		if !wrote {
			reused = append(reused, conf)
		}
		args := append([]string{"sentinel", conf}, c.sentinelArgs()...)
		ch, err := startChild(u.exe, "sentinel", localAddr(port), dir, filepath.Join(dir, "sentinel.log"), upOtherGrace, args...)
		if err != nil {
			return err
		}
		u.add(ch)
	}
	if err := u.waitKind(ctx, "sentinel", func(c *upChild) func() error { return pingReady(c.addr) }); err != nil {
		return err
	}

	dir := filepath.Join(u.dir, "proxy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, "proxy.yaml")
	if err := os.WriteFile(conf, []byte(c.proxyConfig(u.logs)), 0o644); err != nil {
		return err
	}
	ch, err := startChild(u.exe, "proxy", localAddr(c.writePort), dir, filepath.Join(dir, "proxy.log"), upOtherGrace,
		"proxy", "-c", conf)
	if err != nil {
		return err
	}
	u.add(ch)
	addrs := []string{localAddr(c.writePort), localAddr(c.readPort)}
	if c.http != "" {
		addrs = append(addrs, c.http)
	}
	if err := u.waitKind(ctx, "proxy", func(*upChild) func() error { return dialReady(addrs...) }); err != nil {
		return err
	}
	if len(reused) > 0 {
		fmt.Fprintf(u.out, "warden up: resuming from %s (%d node and sentinel configs kept)\n", u.dir, len(reused))
	}
	fmt.Fprintf(u.out, "warden up: all processes answer; waiting for the sentinels to agree on the roles...\n")
	if err := waitCond(ctx, upSettleTimeout, u.stackSettled); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		fmt.Fprintf(u.out, "warden up: warning: %v (a failover may not be possible yet)\n", err)
	}
	if err := waitCond(ctx, upSettleTimeout, u.writePathReady); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		fmt.Fprintf(u.out, "warden up: warning: the write port takes no commands yet: %v (see %s)\n", err, ch.log)
	}
	return nil
}

// waitKind waits for every child of a kind to be ready.
func (u *upRun) waitKind(ctx context.Context, kind string, ready func(*upChild) func() error) error {
	u.mu.Lock()
	children := append([]*upChild(nil), u.children...)
	u.mu.Unlock()
	for _, c := range children {
		if c.kind != kind {
			continue
		}
		if err := waitChild(ctx, c, upReadyTimeout, ready(c)); err != nil {
			return err
		}
	}
	return nil
}

// waitCond polls cond every 100 ms until it holds, the timeout passes (its
// last error is returned) or ctx is cancelled.
func waitCond(ctx context.Context, timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stackSettled holds when every sentinel knows all the replicas and all
// the other sentinels, they all name the same master, and the nodes'
// roles agree (that one master, the others replicas; a restarted old
// master that booted as a master is turned into a replica by the
// sentinels). Before that, killing the master may leave the sentinels
// without a quorum or a replica to promote, and the table would name the
// wrong master.
func (u *upRun) stackSettled() error {
	master := ""
	for _, port := range u.cfg.sentinelPorts() {
		addr := localAddr(port)
		c, err := dialRESP(addr, "", time.Second)
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", addr, err)
		}
		m, err := c.entries("SENTINEL", "MASTERS")
		var named resp.Value
		if err == nil {
			named, err = c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", upMasterName)
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", addr, err)
		}
		var mm map[string]string
		for _, e := range m {
			if e["name"] == upMasterName {
				mm = e
			}
		}
		if mm == nil || len(named.Elems) != 2 {
			return fmt.Errorf("sentinel %s does not monitor %s", addr, upMasterName)
		}
		replicas, _ := strconv.Atoi(mm["num-slaves"])
		others, _ := strconv.Atoi(mm["num-other-sentinels"])
		if replicas < u.cfg.replicas || others < u.cfg.sentinels-1 {
			return fmt.Errorf("sentinel %s knows %d of %d replicas and %d of %d other sentinels",
				addr, replicas, u.cfg.replicas, others, u.cfg.sentinels-1)
		}
		a := net.JoinHostPort(named.Elems[0].Str, named.Elems[1].Str)
		if master != "" && a != master {
			return fmt.Errorf("the sentinels disagree on the master: %s, %s", master, a)
		}
		master = a
	}
	for _, port := range u.cfg.nodePorts() {
		addr := localAddr(port)
		want := "slave"
		if addr == master {
			want = "master"
		}
		if role := nodeRole(addr); role != want {
			return fmt.Errorf("node %s reports role %q, the sentinels say %s", addr, role, want)
		}
	}
	u.mu.Lock()
	u.master = master
	u.mu.Unlock()
	return nil
}

// writePathReady holds when a command sent to the write port reaches a
// master (DBSIZE: harmless, and answered only by a backend node).
func (u *upRun) writePathReady() error {
	c, err := dialRESP(localAddr(u.cfg.writePort), "", 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.do("DBSIZE")
	if err != nil {
		return err
	}
	if v.Type != ':' {
		return fmt.Errorf("DBSIZE answered %q", v.Str)
	}
	return nil
}

// nodeRole asks a node for its role (master, slave), "" if it does not
// answer.
func nodeRole(addr string) string {
	c, err := dialRESP(addr, "", time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	v, err := c.do("ROLE")
	if err != nil || len(v.Elems) == 0 {
		return ""
	}
	return v.Elems[0].Str
}

// printTable prints the endpoints, the processes and what to try.
func (u *upRun) printTable() {
	c := u.cfg
	u.mu.Lock()
	children := append([]*upChild(nil), u.children...)
	master := u.master
	u.mu.Unlock()
	rel := func(p string) string {
		if wd, err := os.Getwd(); err == nil {
			if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
				return r
			}
		}
		return p
	}
	fmt.Fprintf(u.out, "\nwarden up: %s is running (data in %s)\n\n", upMasterName, rel(u.dir))
	tw := tabwriter.NewWriter(u.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  PROCESS\tADDRESS\tPID\tROLE\tLOG\n")
	masterPid := 0
	for _, ch := range children {
		role := ""
		switch ch.kind {
		case "node":
			role = nodeRole(ch.addr)
			switch {
			case role == "slave":
				role = "replica"
			case role == "master" && master != "" && ch.addr != master:
				role = "master (not the sentinels')"
			case role == "master":
				masterPid = ch.pid()
			case role == "":
				role = "(no answer)"
			}
		case "sentinel":
			role = fmt.Sprintf("quorum %d", c.sentinels/2+1)
		case "proxy":
			role = "write port"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", ch.kind, ch.addr, ch.pid(), role, rel(ch.log))
		if ch.kind == "proxy" {
			fmt.Fprintf(tw, "  \t%s\t\tread port\t\n", localAddr(c.readPort))
			if c.http != "" {
				fmt.Fprintf(tw, "  \thttp://%s/\t\tstats page\t\n", c.http)
			}
		}
	}
	tw.Flush()

	warden := os.Args[0]
	status := warden + " status"
	if c.sentinelPort != 26379 {
		status += " --sentinel " + localAddr(c.sentinelPort)
	}
	fmt.Fprintf(u.out, "\nTry:\n")
	tw = tabwriter.NewWriter(u.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  redis-cli -p %d SET k v\t# the write port: always the master\n", c.writePort)
	fmt.Fprintf(tw, "  redis-cli -p %d GET k\t# the read port: spread over the replicas\n", c.readPort)
	fmt.Fprintf(tw, "  %s --watch 1s\t# in another terminal: master, replicas, lag, sentinels\n", status)
	if masterPid != 0 {
		fmt.Fprintf(tw, "  kill -9 %d\t# kill the master: a replica takes over, writes on %d resume\n", masterPid, c.writePort)
	}
	if c.http != "" {
		fmt.Fprintf(tw, "  open http://%s/\t# the proxy's stats page\n", c.http)
	}
	tw.Flush()
	fmt.Fprintf(u.out, "\nCtrl-C stops everything; the data stays in %s and `%s up` resumes from it.\n", rel(u.dir), warden)
}

// watch reports children that exit while the stack runs (a killed master
// is part of the demo: the stack carries on without it) until ctx is
// cancelled.
func (u *upRun) watch(ctx context.Context) {
	u.mu.Lock()
	children := append([]*upChild(nil), u.children...)
	u.mu.Unlock()
	exits := make(chan *upChild, len(children))
	for _, c := range children {
		go func(c *upChild) {
			select {
			case <-c.done:
				exits <- c
			case <-ctx.Done():
			}
		}(c)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-exits:
			var what string
			switch c.kind {
			case "node":
				what = "the sentinels fail over if it was the master; after Ctrl-C, `warden up` again restarts it (as a replica)"
			case "proxy":
				what = "the write and read ports are closed; the nodes and sentinels carry on"
			case "sentinel":
				what = "the other sentinels carry on"
			}
			fmt.Fprintf(u.out, "warden up: %s %s (pid %d) exited: %v — %s\n", c.kind, c.addr, c.pid(), exitText(c.waitErr), what)
		}
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

package sentinel

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
	"github.com/wardenhq/warden/sentinel/core"
)

// recorder stands in for the core: its mutex is "Sentinel.mu", and it
// records every report the links make, in order.
type recorder struct {
	mu    sync.Mutex
	log   []string
	sh    *shell
	onUp  func(l *core.Link, pubsub bool) // runs under the lock, like core.LinkUp
	hello []string
	// dials records ConnectFailed reports: true for a refused dial.
	dials []bool
}

func (r *recorder) with(f func(c coreSink, now time.Time)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r, time.Now())
}

func (r *recorder) LinkUp(l *core.Link, pubsub bool, now time.Time) {
	r.log = append(r.log, "up "+connName(pubsub))
	if r.onUp != nil {
		r.onUp(l, pubsub)
	}
}

func (r *recorder) LinkDown(l *core.Link, pubsub bool, now time.Time) {
	r.log = append(r.log, "down "+connName(pubsub))
}

func (r *recorder) PubSubActivity(l *core.Link, now time.Time) {}

func (r *recorder) Reply(req *core.Request, rep *core.Reply, now time.Time) {
	r.log = append(r.log, "reply "+strings.Join(req.Cmds[0], " ")+" "+fmtReply(rep))
}

func (r *recorder) ConnectFailed(l *core.Link, refused bool, now time.Time) {
	r.dials = append(r.dials, refused)
}

func (r *recorder) Hello(payload string, now time.Time) {
	r.log = append(r.log, "hello "+payload)
}

func connName(pubsub bool) string {
	if pubsub {
		return "pc"
	}
	return "cc"
}

func fmtReply(r *core.Reply) string {
	if r == nil {
		return "nil"
	}
	switch r.Kind {
	case core.ReplyStatus:
		return "+" + r.Str
	case core.ReplyError:
		return "-" + r.Str
	case core.ReplyInt:
		return ":" + strconv.FormatInt(r.Int, 10)
	case core.ReplyBulk:
		return "$" + r.Str
	case core.ReplyNull:
		return "null"
	case core.ReplyArray:
		parts := make([]string, len(r.Elems))
		for i := range r.Elems {
			parts[i] = fmtReply(&r.Elems[i])
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return "?"
}

// locked runs f as the core would call the shell: under the lock.
func (r *recorder) locked(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

func (r *recorder) entries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// waitLog waits until the recorded log contains want as a subsequence of
// consecutive-or-not entries, in order.
func (r *recorder) waitLog(t *testing.T, want ...string) {
	t.Helper()
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		got := r.entries()
		i := 0
		for _, e := range got {
			if i < len(want) && e == want[i] {
				i++
			}
		}
		return i == len(want), fmt.Sprintf("log %q, want in order %q", got, want)
	})
}

func (r *recorder) count(entry string) int {
	n := 0
	for _, e := range r.entries() {
		if e == entry {
			n++
		}
	}
	return n
}

var testTiming = core.Timing{ScriptMaxRuntime: 10 * time.Second, ScriptRetryDelay: time.Hour}

func testHandshake(inst *core.Instance, pubsub bool) [][]string {
	cmds := [][]string{{"AUTH", "secret"}}
	if pubsub {
		return append(cmds, []string{"CLIENT", "SETNAME", "sentinel-test-pubsub"}, []string{"SUBSCRIBE", core.HelloChannel})
	}
	return append(cmds, []string{"CLIENT", "SETNAME", "sentinel-test-cmd"})
}

// newTestShell returns a started shell reporting to a recorder; it is
// stopped at cleanup.
func newTestShell(t *testing.T, log *zap.Logger) (*shell, *recorder) {
	rec := &recorder{}
	sh := newShellWith(shellDeps{
		with:      rec.with,
		handshake: testHandshake,
		timing:    func() core.Timing { return testTiming },
		log:       log,
		exit:      func(code int) { t.Errorf("exit %d", code) },
	})
	rec.sh = sh
	sh.start()
	t.Cleanup(sh.stop)
	return sh, rec
}

func newInstance(kind core.Kind, port int) *core.Instance {
	return &core.Instance{Kind: kind, Name: "m", Addr: core.Addr{Host: "127.0.0.1", Port: port}, Link: &core.Link{}}
}

func request(inst *core.Instance, cmds ...[]string) *core.Request {
	return &core.Request{Inst: inst, Op: core.OpPing, Cmds: cmds, Link: inst.Link}
}

// fakeServer speaks enough RESP for the links: it records what each
// connection sent (raw and parsed) and answers from a small script of
// commands. HANG gets no answer; CLOSE closes the connection; PUSHHELLO
// (sent by the test through the server) makes it write a hello.
type fakeServer struct {
	t  *testing.T
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	conns []*fakeConn
}

type fakeConn struct {
	nc   net.Conn
	mu   sync.Mutex
	raw  []byte
	cmds [][]string
	name string
}

func newFakeServer(t *testing.T) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeServer{t: t, ln: ln}
	fs.wg.Add(1)
	go fs.accept()
	t.Cleanup(func() {
		ln.Close()
		fs.closeAll()
		fs.wg.Wait()
	})
	return fs
}

func (fs *fakeServer) port() int { return fs.ln.Addr().(*net.TCPAddr).Port }

func (fs *fakeServer) accept() {
	defer fs.wg.Done()
	for {
		nc, err := fs.ln.Accept()
		if err != nil {
			return
		}
		fc := &fakeConn{nc: nc}
		fs.mu.Lock()
		fs.conns = append(fs.conns, fc)
		fs.mu.Unlock()
		fs.wg.Add(1)
		go fs.serve(fc)
	}
}

func (fs *fakeServer) closeAll() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, fc := range fs.conns {
		fc.nc.Close()
	}
}

// conn returns the connection that named itself with a CLIENT SETNAME
// ending in suffix ("-cmd", "-pubsub"); the latest one if several.
func (fs *fakeServer) conn(suffix string) *fakeConn {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var found *fakeConn
	for _, fc := range fs.conns {
		fc.mu.Lock()
		if strings.HasSuffix(fc.name, suffix) {
			found = fc
		}
		fc.mu.Unlock()
	}
	return found
}

func (fs *fakeServer) numConns() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.conns)
}

func (fc *fakeConn) commands() ([][]string, []byte) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return slices.Clone(fc.cmds), slices.Clone(fc.raw)
}

func (fc *fakeConn) write(b []byte) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	_, _ = fc.nc.Write(b)
}

func (fs *fakeServer) serve(fc *fakeConn) {
	defer fs.wg.Done()
	defer fc.nc.Close()
	var buf []byte
	tmp := make([]byte, 4096)
	inMulti := 0
	for {
		n, err := fc.nc.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		for {
			args, used, err := resp.ReadCommand(buf, resp.Limits{}, nil)
			if err != nil {
				return
			}
			if used == 0 {
				break
			}
			cmd := make([]string, len(args))
			for i, a := range args {
				cmd[i] = string(a)
			}
			fc.mu.Lock()
			fc.raw = append(fc.raw, buf[:used]...)
			fc.cmds = append(fc.cmds, cmd)
			if len(cmd) == 3 && strings.EqualFold(cmd[0], "CLIENT") {
				fc.name = cmd[2]
			}
			fc.mu.Unlock()
			buf = buf[used:]
			var out []byte
			switch name := strings.ToUpper(cmd[0]); {
			case name == "HANG":
			case name == "CLOSE":
				return
			case name == "MULTI":
				inMulti = 1
				out = resp.AppendSimple(nil, "OK")
			case name == "EXEC":
				out = resp.AppendArray(nil, inMulti-1)
				for i := 1; i < inMulti; i++ {
					out = resp.AppendSimple(out, "OK")
				}
				inMulti = 0
			case inMulti > 0:
				inMulti++
				out = resp.AppendSimple(nil, "QUEUED")
			case name == "PING":
				out = resp.AppendSimple(nil, "PONG")
			case name == "ECHO":
				out = resp.AppendBulkString(nil, cmd[1])
			case name == "INFO":
				out = resp.AppendBulkString(nil, "# Server\r\nrun_id:abc\r\n")
			case name == "SUBSCRIBE":
				out = resp.AppendArray(nil, 3)
				out = resp.AppendBulkString(out, "subscribe")
				out = resp.AppendBulkString(out, cmd[1])
				out = resp.AppendInt(out, 1)
			case name == "ERR":
				out = resp.AppendError(nil, "ERR boom")
			default:
				out = resp.AppendSimple(nil, "OK")
			}
			if out != nil {
				fc.write(out)
			}
		}
	}
}

func TestLinkHandshakeAndFIFO(t *testing.T) {
	fs := newFakeServer(t)
	sh, rec := newTestShell(t, nil)
	m := newInstance(core.KindMaster, fs.port())
	// Like the core, send a PING from inside LinkUp (a re-entrant call
	// into the shell under the lock).
	rec.onUp = func(l *core.Link, pubsub bool) {
		if !pubsub {
			sh.Send(request(m, []string{"PING"}))
		}
	}
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up cc", "reply PING +PONG")
	rec.waitLog(t, "up pc")
	rec.locked(func() {
		if m.Link.LocalIP != "127.0.0.1" {
			t.Errorf("LocalIP %q after LinkUp, want 127.0.0.1", m.Link.LocalIP)
		}
	})
	rec.locked(func() {
		sh.Send(request(m, []string{"INFO"}))
		sh.Send(request(m, []string{"MULTI"}, []string{"SLAVEOF", "NO", "ONE"}, []string{"CONFIG", "REWRITE"}, []string{"EXEC"}))
		sh.Send(request(m, []string{"ERR"}))
		sh.Send(request(m, []string{"ECHO", "last"}))
	})
	rec.waitLog(t, "reply PING +PONG", "reply INFO $# Server\r\nrun_id:abc\r\n",
		"reply MULTI [+OK +OK]", "reply ERR -ERR boom", "reply ECHO last $last")
	// Handshake replies are not requests: nothing else was delivered.
	replies := 0
	for _, e := range rec.entries() {
		if strings.HasPrefix(e, "reply ") {
			replies++
		}
	}
	if replies != 5 {
		t.Errorf("%d replies delivered, want 5: %q", replies, rec.entries())
	}

	cc := fs.conn("-cmd")
	cmds, raw := cc.commands()
	var wantRaw []byte
	for _, c := range testHandshake(m, false) {
		wantRaw = resp.AppendCommandStrings(wantRaw, c...)
	}
	wantRaw = resp.AppendCommandStrings(wantRaw, "PING")
	if !bytes.HasPrefix(raw, wantRaw) {
		t.Errorf("command connection began with %q, want %q", raw, wantRaw)
	}
	if len(cmds) != 10 {
		t.Errorf("command connection got %q", cmds)
	}
	pc := fs.conn("-pubsub")
	pcmds, _ := pc.commands()
	if fmt.Sprint(pcmds) != fmt.Sprint(testHandshake(m, true)) {
		t.Errorf("pub/sub connection got %q", pcmds)
	}
}

func TestLinkSentinelHasNoPubSub(t *testing.T) {
	fs := newFakeServer(t)
	sh, rec := newTestShell(t, nil)
	peer := newInstance(core.KindSentinel, fs.port())
	rec.locked(func() { sh.Open(peer.Link, peer) })
	rec.waitLog(t, "up cc")
	time.Sleep(50 * time.Millisecond) // a pub/sub dial would have connected by now
	if n := fs.numConns(); n != 1 {
		t.Fatalf("%d connections to a sentinel, want 1", n)
	}
	// Opening again while the connection is up dials nothing.
	rec.locked(func() { sh.Open(peer.Link, peer) })
	time.Sleep(50 * time.Millisecond)
	if n := fs.numConns(); n != 1 {
		t.Fatalf("%d connections after a second Open, want 1", n)
	}
}

func TestLinkLossAnswersPendingWithNil(t *testing.T) {
	fs := newFakeServer(t)
	sh, rec := newTestShell(t, nil)
	m := newInstance(core.KindMaster, fs.port())
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up cc")
	rec.waitLog(t, "up pc")
	rec.locked(func() {
		sh.Send(request(m, []string{"PING"}))
		sh.Send(request(m, []string{"HANG", "1"}))
		sh.Send(request(m, []string{"HANG", "2"}))
		sh.Send(request(m, []string{"CLOSE"}))
	})
	rec.waitLog(t, "reply PING +PONG", "reply HANG 1 nil", "reply HANG 2 nil", "reply CLOSE nil", "down cc")
	if rec.count("down pc") != 0 {
		t.Errorf("pub/sub reported down: %q", rec.entries())
	}
	// The core reconnects with Open: only the command connection is new.
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "down cc", "up cc")
	if n := fs.numConns(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	if rec.count("up pc") != 1 {
		t.Errorf("pub/sub reconnected: %q", rec.entries())
	}
}

func TestLinkDialFailureAndReconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	sh, rec := newTestShell(t, nil)
	m := newInstance(core.KindMaster, port)
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "down cc")
	rec.waitLog(t, "down pc")
	// The command connection's dial was refused, and the core is told so
	// (the pub/sub connection's dials are not reported).
	deadline := time.Now().Add(5 * time.Second)
	for {
		var dials []bool
		rec.locked(func() { dials = append(dials, rec.dials...) })
		if len(dials) == 1 && dials[0] {
			break
		}
		if len(dials) > 1 || time.Now().After(deadline) {
			t.Fatalf("ConnectFailed reports %v, want one refused dial", dials)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A request the core sends anyway is answered nil, asynchronously.
	rec.locked(func() { sh.Send(request(m, []string{"PING"})) })
	rec.waitLog(t, "reply PING nil")
	if rec.count("up cc")+rec.count("up pc") != 0 {
		t.Fatalf("a refused connection was reported up: %q", rec.entries())
	}

	// A server appears on the port: the next Open connects.
	ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Skipf("port %d taken meanwhile: %v", port, err)
	}
	fs := &fakeServer{t: t, ln: ln}
	fs.wg.Add(1)
	go fs.accept()
	t.Cleanup(func() { ln.Close(); fs.closeAll(); fs.wg.Wait() })
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "down pc", "up cc")
	rec.waitLog(t, "down pc", "up pc")

	// The server dies: both connections report down, once each.
	ln.Close()
	fs.closeAll()
	rec.waitLog(t, "up cc", "down cc")
	rec.waitLog(t, "up pc", "down pc")
	time.Sleep(50 * time.Millisecond)
	if rec.count("down cc") != 2 || rec.count("down pc") != 2 {
		t.Errorf("log %q", rec.entries())
	}
}

func TestLinkDrop(t *testing.T) {
	fs := newFakeServer(t)
	sh, rec := newTestShell(t, nil)
	m := newInstance(core.KindMaster, fs.port())
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up cc")
	rec.waitLog(t, "up pc")
	rec.locked(func() {
		sh.Send(request(m, []string{"HANG"}))
		sh.Drop(m.Link, true, false)
		// Sent on a dropped link (the core would not, but must not
		// hang if it did).
		sh.Send(request(m, []string{"PING"}))
	})
	rec.waitLog(t, "reply HANG nil")
	rec.waitLog(t, "reply PING nil")
	time.Sleep(50 * time.Millisecond)
	if rec.count("down cc") != 0 {
		t.Fatalf("a dropped connection was reported down: %q", rec.entries())
	}
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "reply PING nil", "up cc")
	if rec.count("up pc") != 1 {
		t.Errorf("pub/sub redialled: %q", rec.entries())
	}
	// Dropping both closes the pub/sub connection too, silently.
	rec.locked(func() { sh.Drop(m.Link, true, true) })
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		sh.mu.Lock()
		defer sh.mu.Unlock()
		return len(sh.conns) == 0, fmt.Sprintf("%d connections left", len(sh.conns))
	})
	if rec.count("down cc")+rec.count("down pc") != 0 {
		t.Fatalf("dropped connections reported down: %q", rec.entries())
	}
}

func TestLinkPubSubHello(t *testing.T) {
	fs := newFakeServer(t)
	sh, rec := newTestShell(t, nil)
	m := newInstance(core.KindReplica, fs.port())
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up pc")
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		pc := fs.conn("-pubsub")
		if pc == nil {
			return false, "no pub/sub connection yet"
		}
		cmds, _ := pc.commands()
		return len(cmds) == 3, fmt.Sprintf("pub/sub got %q", cmds)
	})
	pc := fs.conn("-pubsub")
	var frames []byte
	// RESP3 push, RESP2 array, another channel, a pmessage, a non-message.
	for _, f := range [][]string{
		{">", "message", core.HelloChannel, "p1"},
		{"*", "message", core.HelloChannel, "p2"},
		{"*", "message", "other", "p3"},
		{"*", "pmessage", "*", core.HelloChannel, "p4"},
		{"*", "unsubscribe", core.HelloChannel, "p5"},
	} {
		if f[0] == ">" {
			frames = resp.AppendPush(frames, len(f)-1, 3)
		} else {
			frames = resp.AppendArray(frames, len(f)-1)
		}
		for _, s := range f[1:] {
			frames = resp.AppendBulkString(frames, s)
		}
	}
	frames = resp.AppendCommandStrings(frames, "message", core.HelloChannel, "p6")
	pc.write(frames)
	rec.waitLog(t, "hello p1", "hello p2", "hello p6")
	if n := rec.count("hello p3") + rec.count("hello p4") + rec.count("hello p5"); n != 0 {
		t.Errorf("non-hello frames delivered as hellos: %q", rec.entries())
	}
}

// countingSink counts PubSubActivity reports (the recorder ignores them).
type countingSink struct {
	*recorder
	activity int
}

func (c *countingSink) PubSubActivity(l *core.Link, now time.Time) { c.activity++ }

func TestLinkPubSubActivity(t *testing.T) {
	fs := newFakeServer(t)
	rec := &recorder{}
	cs := &countingSink{recorder: rec}
	sh := newShellWith(shellDeps{
		with: func(f func(c coreSink, now time.Time)) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			f(cs, time.Now())
		},
		handshake: testHandshake,
		timing:    func() core.Timing { return testTiming },
	})
	sh.start()
	t.Cleanup(sh.stop)
	m := newInstance(core.KindMaster, fs.port())
	rec.locked(func() { sh.Open(m.Link, m) })
	// AUTH, CLIENT SETNAME and SUBSCRIBE each answer one frame.
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return cs.activity == 3, fmt.Sprintf("activity %d, want 3", cs.activity)
	})
}

func TestLinkSendNeverBlocks(t *testing.T) {
	// A server that accepts and never reads: writes back up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted []net.Conn
	var amu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			amu.Lock()
			accepted = append(accepted, c)
			amu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		amu.Lock()
		for _, c := range accepted {
			c.Close()
		}
		amu.Unlock()
	})
	rec := &recorder{}
	sh := newShellWith(shellDeps{with: rec.with, handshake: testHandshake, timing: func() core.Timing { return testTiming }})
	rec.sh = sh
	sh.start()
	m := newInstance(core.KindSentinel, ln.Addr().(*net.TCPAddr).Port)
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up cc")
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	rec.locked(func() {
		for i := 0; i < 200; i++ { // 12.8 MB: more than the socket buffers
			sh.Send(request(m, []string{"ECHO", big}))
		}
	})
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("200 Sends took %v", d)
	}
	// stop closes the stuck connection and returns promptly; the pending
	// requests are not reported after stop.
	start = time.Now()
	sh.stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stop took %v", d)
	}
	if got := rec.entries(); len(got) != 1 {
		t.Fatalf("reports around stop: %d entries, want only the LinkUp", len(got))
	}
}

func TestLinkStopAbortsDial(t *testing.T) {
	rec := &recorder{}
	sh := newShellWith(shellDeps{with: rec.with, handshake: testHandshake, timing: func() core.Timing { return testTiming }})
	sh.start()
	// A TEST-NET-1 address (RFC 5737): nothing answers, the dial hangs
	// until its timeout or fails at once if there is no route.
	m := &core.Instance{Kind: core.KindMaster, Name: "m", Addr: core.Addr{Host: "192.0.2.1", Port: 6379}, Link: &core.Link{}}
	rec.locked(func() { sh.Open(m.Link, m) })
	start := time.Now()
	sh.stop()
	if d := time.Since(start); d > dialTimeout/2 {
		t.Fatalf("stop took %v with a dial in progress", d)
	}
	rec.locked(func() { sh.Open(m.Link, m) }) // after stop: nothing happens
	sh.mu.Lock()
	n := len(sh.conns)
	sh.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d connections after stop", n)
	}
	if got := rec.entries(); len(got) != 0 {
		t.Fatalf("reports after stop: %q", got)
	}
}

func TestLinkIPv6Address(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	fs := &fakeServer{t: t}
	fs.ln, err = net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	fs.wg.Add(1)
	go fs.accept()
	t.Cleanup(func() { fs.ln.Close(); fs.closeAll(); fs.wg.Wait() })
	sh, rec := newTestShell(t, nil)
	m := &core.Instance{Kind: core.KindSentinel, Name: "s", Addr: core.Addr{Host: "::1", Port: fs.port()}, Link: &core.Link{}}
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up cc")
	rec.locked(func() {
		if m.Link.LocalIP != "::1" {
			t.Errorf("LocalIP %q, want ::1", m.Link.LocalIP)
		}
	})
}

// A real redis-server: the handshake is accepted, PING and INFO are
// answered, and a PUBLISH on the hello channel reaches Hello.
func TestLinkRealRedis(t *testing.T) {
	p := testutil.StartRedis(t, "--requirepass", "secret")
	sh, rec := newTestShell(t, nil)
	m := newInstance(core.KindMaster, p.Port())
	rec.locked(func() { sh.Open(m.Link, m) })
	rec.waitLog(t, "up cc")
	rec.waitLog(t, "up pc")
	rec.locked(func() {
		sh.Send(request(m, []string{"PING"}))
		sh.Send(request(m, []string{"CLIENT", "GETNAME"}))
	})
	rec.waitLog(t, "reply PING +PONG", "reply CLIENT GETNAME $sentinel-test-cmd")

	c := testutil.Dial(t, p.Addr())
	c.Do("AUTH", "secret")
	// Wait until the pub/sub connection's SUBSCRIBE is in.
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		r := c.Do("PUBSUB", "NUMSUB", core.HelloChannel)
		return bytes.HasSuffix(r, []byte(":1\r\n")), fmt.Sprintf("NUMSUB %q", r)
	})
	c.Do("PUBLISH", core.HelloChannel, "127.0.0.1,26379,abc,0,m,127.0.0.1,6379,0")
	rec.waitLog(t, "hello 127.0.0.1,26379,abc,0,m,127.0.0.1,6379,0")
	list := string(c.Do("CLIENT", "LIST"))
	if !strings.Contains(list, "name=sentinel-test-cmd") || !strings.Contains(list, "name=sentinel-test-pubsub") {
		t.Errorf("CLIENT LIST: %s", list)
	}

	rec.locked(func() { sh.Send(request(m, []string{"BLPOP", "nokey", "0"})) })
	time.Sleep(20 * time.Millisecond)
	p.Kill()
	rec.waitLog(t, "reply BLPOP nokey 0 nil", "down cc")
	rec.waitLog(t, "down pc")
}

func TestToCoreReply(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"+PONG\r\n", "+PONG"},
		{"-LOADING x\r\n", "-LOADING x"},
		{"!5\r\nERR x\r\n", "-ERR x"},
		{":5\r\n", ":5"},
		{"#t\r\n", ":1"},
		{"$3\r\nabc\r\n", "$abc"},
		{"$-1\r\n", "null"},
		{"*-1\r\n", "null"},
		{"_\r\n", "null"},
		{",1.5\r\n", "$1.5"},
		{"(123\r\n", "$123"},
		{"=7\r\ntxt:abc\r\n", "$abc"},
		{"*3\r\n:0\r\n$1\r\n*\r\n:0\r\n", "[:0 $* :0]"},
		{"%1\r\n+k\r\n:1\r\n", "[+k :1]"},
		{"~1\r\n+a\r\n", "[+a]"},
		{"|1\r\n+a\r\n+b\r\n+OK\r\n", "+OK"},
	} {
		v, _, err := resp.ParseReply([]byte(tt.in), resp.ReplyLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtReply(toCoreReply(v)); got != tt.want {
			t.Errorf("%q -> %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestHelloMessage(t *testing.T) {
	bulk := func(ss ...string) []resp.Value {
		out := make([]resp.Value, len(ss))
		for i, s := range ss {
			out[i] = resp.Value{Type: '$', Str: s}
		}
		return out
	}
	for _, tt := range []struct {
		v    resp.Value
		want string
		ok   bool
	}{
		{resp.Value{Type: '*', Elems: bulk("message", core.HelloChannel, "x")}, "x", true},
		{resp.Value{Type: '>', Elems: bulk("message", core.HelloChannel, "")}, "", true},
		{resp.Value{Type: '*', Elems: bulk("message", "other", "x")}, "", false},
		{resp.Value{Type: '*', Elems: bulk("subscribe", core.HelloChannel, "x")}, "", false},
		{resp.Value{Type: '*', Elems: bulk("message", core.HelloChannel)}, "", false},
		{resp.Value{Type: '~', Elems: bulk("message", core.HelloChannel, "x")}, "", false},
		{resp.Value{Type: '*', Elems: []resp.Value{{Type: '$', Str: "message"}, {Type: '$', Str: core.HelloChannel}, {Type: ':', Int: 1}}}, "", false},
		{resp.Value{Type: '*', Elems: []resp.Value{{Type: '$', Str: "message"}, {Type: '$', Str: core.HelloChannel}, {Type: '$', Null: true}}}, "", false},
	} {
		got, ok := helloMessage(tt.v)
		if got != tt.want || ok != tt.ok {
			t.Errorf("helloMessage(%#v) = %q, %v", tt.v, got, ok)
		}
	}
}

// startLinkSentinel starts a full Sentinel (the real core behind the
// shell) on a free port with conf; it is closed at cleanup.
func startLinkSentinel(t *testing.T, conf string) *Sentinel {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	s, err := New(Config{Path: path, Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// With the real core: two sentinels watching one redis-server find each
// other through the hellos the links carry (published on the command
// connection, received on the pub/sub one), and a killed master is seen
// going down through the links' LinkDown and unanswered PINGs.
func TestLinksEndToEndDiscoveryAndSDown(t *testing.T) {
	redis := testutil.StartRedis(t)
	conf := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2\nsentinel down-after-milliseconds mymaster 500\n", redis.Port())
	s1 := startLinkSentinel(t, conf)
	s2 := startLinkSentinel(t, conf)
	events, unsubscribe := s1.Subscribe(256)
	defer unsubscribe()
	for _, s := range []*Sentinel{s1, s2} {
		testutil.WaitFor(t, 15*time.Second, 20*time.Millisecond, func() (bool, string) {
			ms := s.Masters()
			if len(ms) != 1 {
				return false, fmt.Sprintf("masters %+v", ms)
			}
			m := ms[0]
			return !HasFlag(m.Flags, "disconnected") && len(m.Sentinels) == 1 &&
				!HasFlag(m.Sentinels[0].Flags, "disconnected"), fmt.Sprintf("master %+v", m)
		})
	}
	if got, want := s1.Masters()[0].Sentinels[0].RunID, s2.ID(); got != want {
		t.Fatalf("s1 knows sentinel %s, want %s", got, want)
	}
	waitEvent(t, events, "+sentinel", 5*time.Second)
	redis.Kill()
	ev := waitEvent(t, events, "+sdown", 10*time.Second)
	if ev.Master != "mymaster" || !strings.HasPrefix(ev.Payload, "master mymaster 127.0.0.1 ") {
		t.Fatalf("+sdown event %+v", ev)
	}
}

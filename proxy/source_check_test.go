package proxy

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

// fakeNode answers PING, INFO and AUTH the way its fields say, so that the
// check's handling of LOADING, MASTERDOWN, AUTH failures and hung nodes
// can be tested without a real server in those states.
type fakeNode struct {
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	ping  string // raw reply to PING
	info  string // INFO replication text
	pass  string // required password ("" = none)
	hang  bool   // read commands, answer nothing
	conns []net.Conn
	dials int
}

func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{ln: ln, ping: "+PONG\r\n", info: "role:master\r\nmaster_repl_offset:7\r\n"}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeNode) addr() string { return f.ln.Addr().String() }

// dropConns closes the server side of every connection, as a restart
// would.
func (f *fakeNode) dropConns() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

func (f *fakeNode) set(fn func(f *fakeNode)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeNode) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.dials++
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(c)
	}
}

func (f *fakeNode) serve(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	br := bufio.NewReader(c)
	authed := false
	for {
		v, err := resp.ReadReply(br, resp.ReplyLimits{})
		if err != nil || len(v.Elems) == 0 {
			return
		}
		f.mu.Lock()
		ping, info, pass, hang := f.ping, f.info, f.pass, f.hang
		f.mu.Unlock()
		if hang {
			continue
		}
		cmd := strings.ToUpper(v.Elems[0].Str)
		var out []byte
		switch {
		case cmd == "AUTH":
			if v.Elems[len(v.Elems)-1].Str == pass {
				authed = true
				out = resp.AppendSimple(nil, "OK")
			} else {
				out = resp.AppendError(nil, "WRONGPASS invalid username-password pair or user is disabled.")
			}
		case pass != "" && !authed:
			out = resp.AppendError(nil, "NOAUTH Authentication required.")
		case cmd == "PING":
			out = []byte(ping)
		case cmd == "INFO":
			out = resp.AppendBulkString(nil, info)
		default:
			out = resp.AppendError(nil, "ERR unknown command")
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// checkOnce runs one check through a nodeChecker, as the sources do.
func checkOnce(t *testing.T, c *nodeChecker, addr string) nodeObs {
	t.Helper()
	if !c.start(addr) {
		t.Fatalf("check of %s not started", addr)
	}
	select {
	case o := <-c.out:
		return o
	case <-time.After(5 * time.Second):
		t.Fatalf("check of %s did not finish", addr)
		return nodeObs{}
	}
}

func TestSourceNodeCheck(t *testing.T) {
	f := newFakeNode(t)
	const pass = "s3cr3t-pw"
	f.set(func(f *fakeNode) { f.pass = pass })
	l := newLifecycle()
	defer l.end()
	tm := sourceTiming{timeout: 200 * time.Millisecond, now: time.Now}
	c := newNodeChecker(l, "", pass, tm)
	defer c.closeIdle()

	o := checkOnce(t, c, f.addr())
	if !o.masterUsable() || o.offset != 7 {
		t.Fatalf("plain master: %+v", o)
	}
	// The connection is kept between checks.
	checkOnce(t, c, f.addr())
	f.set(func(f *fakeNode) {
		if f.dials != 1 {
			t.Errorf("%d dials for two checks", f.dials)
		}
	})

	// The node closes the kept connection: a check follows at once, by
	// itself, on a new connection.
	f.dropConns()
	select {
	case o := <-c.out:
		if !o.masterUsable() {
			t.Errorf("check after the connection closed: %+v", o)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no check after the kept connection was closed")
	}
	f.set(func(f *fakeNode) {
		if f.dials != 2 {
			t.Errorf("%d dials, want 2", f.dials)
		}
	})

	f.set(func(f *fakeNode) { f.ping = "-LOADING Redis is loading the dataset in memory\r\n" })
	if o := checkOnce(t, c, f.addr()); !o.ok() || !o.loading || o.masterUsable() {
		t.Errorf("loading: %+v", o)
	}
	f.set(func(f *fakeNode) {
		f.ping = "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
		f.info = "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:1\r\nmaster_link_status:down\r\n"
	})
	if o := checkOnce(t, c, f.addr()); !o.ok() || o.role != "slave" || o.linkUp {
		t.Errorf("masterdown: %+v", o)
	}
	f.set(func(f *fakeNode) { f.ping = "-ERR something else\r\n" })
	if o := checkOnce(t, c, f.addr()); o.ok() {
		t.Errorf("error reply to PING accepted: %+v", o)
	}
	f.set(func(f *fakeNode) { f.ping, f.info = "+PONG\r\n", "no role here\r\n" })
	if o := checkOnce(t, c, f.addr()); o.ok() {
		t.Errorf("INFO without a role accepted: %+v", o)
	}

	// A node that stops answering: the check ends within the timeout.
	f.set(func(f *fakeNode) { f.info, f.hang = "role:master\r\n", true })
	start := time.Now()
	if o := checkOnce(t, c, f.addr()); o.ok() {
		t.Errorf("hung node passed: %+v", o)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("check of a hung node took %v (timeout 200ms)", d)
	}

	// A node wanting another password: the error says so, without the
	// password.
	f.set(func(f *fakeNode) { f.hang, f.pass = false, "other" })
	o = checkOnce(t, c, f.addr())
	if o.ok() || !strings.Contains(o.err.Error(), "WRONGPASS") || strings.Contains(o.err.Error(), pass) {
		t.Errorf("wrong password: %v", o.err)
	}
	f.set(func(f *fakeNode) { f.pass = pass })
	if o := checkOnce(t, c, f.addr()); !o.masterUsable() {
		t.Errorf("with the right password: %+v", o)
	}

	// Nothing listening.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	if o := checkOnce(t, c, dead); o.ok() {
		t.Errorf("dead address passed: %+v", o)
	}
}

// TestSourceStaticFake runs the static source's loop against fake nodes:
// start-up, a second master appearing, Recheck, Close.
func TestSourceStaticFake(t *testing.T) {
	a, b := newFakeNode(t), newFakeNode(t)
	b.set(func(f *fakeNode) {
		f.info = "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" + portOf(a.addr()) + "\r\nmaster_link_status:up\r\nslave_repl_offset:7\r\n"
	})
	g := &GroupConfig{Name: "g", Static: &StaticConfig{Nodes: []string{a.addr(), b.addr()}, Interval: 50 * time.Millisecond, Fall: 2, Rise: 2}}
	s, err := NewSource(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := newTopoRecorder(t)
	if err := s.Start(rec.publish); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(rec.publish); err == nil {
		t.Error("second Start accepted")
	}
	rec.waitFor(t, 5*time.Second, "a confirmed, b linked", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == a.addr() && len(tp.Replicas) == 1 &&
			tp.Replicas[0].LinkUp && tp.Replicas[0].LagBytes == 0
	})
	if first := rec.all()[0]; first.State != MasterUnknown || first.Generation != 1 {
		t.Errorf("first topology %+v", first)
	}

	// b says master too: a, the incumbent, stays.
	b.set(func(f *fakeNode) { f.info = "role:master\r\n" })
	rec.waitFor(t, 5*time.Second, "b listed as not linked", func(tp *Topology) bool {
		return len(tp.Replicas) == 1 && !tp.Replicas[0].LinkUp && !tp.Replicas[0].Down
	})
	if tp := rec.last(); tp.State != MasterConfirmed || tp.Master != a.addr() {
		t.Fatalf("with a second master: %+v", tp)
	}

	// Recheck never blocks, and distrusts a until it is checked again.
	n := len(rec.all())
	start := time.Now()
	for i := 0; i < 10000; i++ {
		s.Recheck("-READONLY from the write backend")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("10000 Rechecks took %v", d)
	}
	rec.waitSeen(t, 5*time.Second, n, "changing after recheck", func(tp *Topology) bool {
		return tp.State == MasterChanging && strings.Contains(tp.Reason, "READONLY")
	})
	rec.waitFor(t, 5*time.Second, "a confirmed again", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == a.addr()
	})
	if len(rec.all()) <= n {
		t.Error("no publication after Recheck")
	}

	// a demoted: with b still reporting master, b is the only master.
	a.set(func(f *fakeNode) { f.info = "role:slave\r\nmaster_link_status:down\r\n" })
	rec.waitFor(t, 5*time.Second, "b confirmed", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == b.addr()
	})
	for _, tp := range rec.all() {
		if tp.State == MasterConfirmed && tp.Master == b.addr() && tp.Since.Before(start) {
			t.Errorf("b confirmed before a was demoted: %+v", tp)
		}
	}

	closed := time.Now()
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if d := time.Since(closed); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	n = len(rec.all())
	s.Recheck("after close") // must not block or publish
	time.Sleep(100 * time.Millisecond)
	if len(rec.all()) != n {
		t.Error("published after Close")
	}
	if err := s.Close(); err != nil {
		t.Error("second Close:", err)
	}
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

package sentinel

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
)

// watchFake is a scripted RESP server that plays a sentinel (SENTINEL
// get-master-addr-by-name / master / replicas, PSUBSCRIBE, PING) or a
// data node (ROLE), with optional AUTH. The test changes its answers as
// it goes and publishes events to its subscribers.
type watchFake struct {
	t    *testing.T
	ln   net.Listener
	user string // AUTH user ("" for AUTH <pass>)
	pass string // "" for no AUTH

	mu       sync.Mutex
	master   string // GET-MASTER-ADDR-BY-NAME's host:port, "" = unknown name
	stored   string // SENTINEL MASTER ip:port
	flags    string
	replicas []string // host:port of replicas, all healthy
	role     string   // ROLE: "master" or "slave"
	hang     bool     // read commands, answer nothing
	conns    map[net.Conn]bool
	subs     map[net.Conn]bool
	auths    []string // AUTH arguments seen
	counts   map[string]int
	wg       sync.WaitGroup
}

func newWatchFake(t *testing.T, user, pass string) *watchFake {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &watchFake{t: t, ln: ln, user: user, pass: pass,
		conns: map[net.Conn]bool{}, subs: map[net.Conn]bool{}, counts: map[string]int{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.stop)
	return f
}

func (f *watchFake) addr() string { return f.ln.Addr().String() }

// stop closes the listener and every connection (a dead process).
func (f *watchFake) stop() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *watchFake) set(fn func(f *watchFake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *watchFake) count(cmd string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[cmd]
}

func (f *watchFake) liveConns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.conns)
}

func (f *watchFake) publish(channel, payload string) {
	msg := resp.AppendArray(nil, 4)
	for _, s := range []string{"pmessage", "*", channel, payload} {
		msg = resp.AppendBulkString(msg, s)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.subs {
		_, _ = c.Write(msg)
	}
}

func (f *watchFake) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(c)
	}
}

func (f *watchFake) serve(c net.Conn) {
	defer f.wg.Done()
	defer func() {
		c.Close()
		f.mu.Lock()
		delete(f.conns, c)
		delete(f.subs, c)
		f.mu.Unlock()
	}()
	br := bufio.NewReader(c)
	authed := f.pass == ""
	var buf []byte
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		buf = append(buf, line...)
		args, n, err := resp.ReadCommand(buf, resp.Limits{}, nil)
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		buf = buf[n:]
		f.mu.Lock()
		out := f.answer(c, cmd, &authed)
		f.mu.Unlock()
		if out != nil {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// answer builds the reply to cmd; caller holds mu.
func (f *watchFake) answer(c net.Conn, cmd []string, authed *bool) []byte {
	name := strings.ToUpper(cmd[0])
	if name == "SENTINEL" && len(cmd) > 1 {
		name += " " + strings.ToUpper(cmd[1])
	}
	f.counts[name]++
	if f.hang {
		return nil
	}
	if name == "AUTH" {
		f.auths = append(f.auths, strings.Join(cmd[1:], " "))
		want := []string{f.pass}
		if f.user != "" {
			want = []string{f.user, f.pass}
		}
		if strings.Join(cmd[1:], " ") != strings.Join(want, " ") {
			return resp.AppendError(nil, "WRONGPASS invalid username-password pair or user is disabled.")
		}
		*authed = true
		return resp.AppendSimple(nil, "OK")
	}
	if !*authed {
		return resp.AppendError(nil, "NOAUTH Authentication required.")
	}
	pairs := func(kv ...string) []byte {
		b := resp.AppendArray(nil, len(kv))
		for _, s := range kv {
			b = resp.AppendBulkString(b, s)
		}
		return b
	}
	switch name {
	case "PING":
		if f.subs[c] {
			return pairs("pong", "")
		}
		return resp.AppendSimple(nil, "PONG")
	case "PSUBSCRIBE":
		f.subs[c] = true
		b := resp.AppendArray(nil, 3)
		b = resp.AppendBulkString(b, "psubscribe")
		b = resp.AppendBulkString(b, cmd[1])
		return resp.AppendInt(b, 1)
	case "ROLE":
		if f.role == "master" {
			b := resp.AppendArray(nil, 3)
			b = resp.AppendBulkString(b, "master")
			b = resp.AppendInt(b, 100)
			return resp.AppendArray(b, 0)
		}
		b := resp.AppendArray(nil, 5)
		for _, s := range []string{"slave", "127.0.0.1", "1"} {
			b = resp.AppendBulkString(b, s)
		}
		b = resp.AppendBulkString(b, "connected")
		return resp.AppendInt(b, 100)
	case "SENTINEL GET-MASTER-ADDR-BY-NAME":
		if f.master == "" {
			return resp.AppendNullArray(nil, 2)
		}
		h, p, _ := net.SplitHostPort(f.master)
		return pairs(h, p)
	case "SENTINEL MASTER":
		if f.stored == "" {
			return resp.AppendError(nil, "ERR No such master with that name")
		}
		h, p, _ := net.SplitHostPort(f.stored)
		return pairs("name", cmd[2], "ip", h, "port", p, "runid", "", "flags", f.flags)
	case "SENTINEL REPLICAS":
		b := resp.AppendArray(nil, len(f.replicas))
		mh, mp, _ := net.SplitHostPort(f.stored)
		for _, r := range f.replicas {
			h, p, _ := net.SplitHostPort(r)
			b = append(b, pairs("name", r, "ip", h, "port", p, "flags", "slave",
				"master-link-status", "ok", "master-host", mh, "master-port", mp,
				"slave-priority", "100", "slave-repl-offset", "1234")...)
		}
		return b
	}
	return resp.AppendError(nil, fmt.Sprintf("ERR unknown command '%s'", cmd[0]))
}

// watchEvents collects a subscription's events for later assertions.
type watchEvents struct {
	mu   sync.Mutex
	evs  []WatchEvent
	done chan struct{}
}

func collectWatchEvents(ch <-chan WatchEvent) *watchEvents {
	we := &watchEvents{done: make(chan struct{})}
	go func() {
		defer close(we.done)
		for ev := range ch {
			we.mu.Lock()
			we.evs = append(we.evs, ev)
			we.mu.Unlock()
		}
	}()
	return we
}

func (we *watchEvents) snapshot() []WatchEvent {
	we.mu.Lock()
	defer we.mu.Unlock()
	return append([]WatchEvent(nil), we.evs...)
}

// find returns the index of the first event from index from on that
// matches, or -1.
func (we *watchEvents) find(from int, match func(WatchEvent) bool) int {
	evs := we.snapshot()
	for i := from; i < len(evs); i++ {
		if match(evs[i]) {
			return i
		}
	}
	return -1
}

// watchStableAt waits until the watcher trusts addr.
func watchStableAt(t *testing.T, w *Watcher, addr string, timeout time.Duration) {
	t.Helper()
	testutil.WaitFor(t, timeout, 10*time.Millisecond, func() (bool, string) {
		a, ok := w.Current()
		st := w.Status()
		return ok && a == addr, fmt.Sprintf("current %q ok=%v; status %+v", a, ok, st)
	})
}

// TestWatchFakeSentinels drives the whole watcher (polls, pub/sub, role
// checks, AUTH, reconnects, Close) against scripted sentinels and nodes.
func TestWatchFakeSentinels(t *testing.T) {
	const sentPass, nodeUser, nodePass = "s3cret-sentinel", "proxy", "s3cret-node"
	nodeA := newWatchFake(t, nodeUser, nodePass)
	nodeB := newWatchFake(t, nodeUser, nodePass)
	nodeA.set(func(f *watchFake) { f.role = "master" })
	nodeB.set(func(f *watchFake) { f.role = "slave" })
	A, B := nodeA.addr(), nodeB.addr()
	var sents []*watchFake
	var addrs []string
	for i := 0; i < 3; i++ {
		s := newWatchFake(t, "", sentPass)
		s.set(func(f *watchFake) { f.master, f.stored, f.flags, f.replicas = A, A, "master", []string{B} })
		sents = append(sents, s)
		addrs = append(addrs, s.addr())
	}
	core, logs := observer.New(zapcore.DebugLevel)
	w, err := NewWatcher(WatcherConfig{
		MasterName: "mymaster", Sentinels: addrs,
		SentinelPass: sentPass, NodeUser: nodeUser, NodePass: nodePass,
		DialTimeout: 300 * time.Millisecond, PollInterval: 100 * time.Millisecond,
		ReplicaInterval: 200 * time.Millisecond, Logger: zap.New(core),
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := w.Subscribe(1024)
	events := collectWatchEvents(ch)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Start(); err == nil {
		t.Error("second Start accepted")
	}

	// 1. Confirmation, with AUTH everywhere.
	watchStableAt(t, w, A, 5*time.Second)
	if i := events.find(0, func(e WatchEvent) bool { ev, ok := e.(WatchMasterChanged); return ok && ev.Old == "" && ev.New == A }); i < 0 {
		t.Errorf("no WatchMasterChanged to %s in %v", A, events.snapshot())
	}
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		r := w.Replicas()
		return len(r) == 1 && r[0].Addr == B && r[0].Healthy && r[0].LinkUp && r[0].Offset == 1234 &&
			r[0].Sentinels == 3 && r[0].Master == A, fmt.Sprintf("replicas %+v", r)
	})
	for _, s := range sents {
		s.mu.Lock()
		for _, a := range s.auths {
			if a != sentPass {
				t.Errorf("sentinel got AUTH %q", a)
			}
		}
		s.mu.Unlock()
	}
	nodeA.mu.Lock()
	if len(nodeA.auths) == 0 || nodeA.auths[0] != nodeUser+" "+nodePass {
		t.Errorf("node AUTH %q", nodeA.auths)
	}
	nodeA.mu.Unlock()
	st := w.Status()
	if !st.Stable || st.Master != A || len(st.Sentinels) != 3 || !st.Sentinels[0].Up || st.Sentinels[0].Master != A {
		t.Errorf("status %+v", st)
	}

	// 2. A rogue sentinel naming a node that claims to be master.
	nodeB.set(func(f *watchFake) { f.role = "master" })
	sents[2].set(func(f *watchFake) { f.master, f.stored = B, B })
	start := sents[2].count("SENTINEL GET-MASTER-ADDR-BY-NAME")
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		if a, stable := w.State(); a != A || !stable {
			t.Fatalf("rogue sentinel moved the watcher: %q stable=%v (%s)", a, stable, w.Status().Reason)
		}
		n := sents[2].count("SENTINEL GET-MASTER-ADDR-BY-NAME") - start
		return n >= 5, fmt.Sprintf("%d polls of the rogue sentinel", n)
	})

	// 3. An +odown alarm: trust ends at once, and comes back only on
	// fresh evidence (the sentinels still name A without flags).
	mark := len(events.snapshot())
	sents[0].publish("+odown", fmt.Sprintf("master mymaster %s %s #quorum 2/2", watchHost(A), watchPort(A)))
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		return events.find(mark, func(e WatchEvent) bool { _, ok := e.(WatchMasterRestored); return ok }) >= 0, "waiting for WatchMasterRestored"
	})
	iEv := events.find(mark, func(e WatchEvent) bool {
		ev, ok := e.(WatchSentinelEvent)
		return ok && ev.Type == "+odown" && ev.Sentinel == addrs[0]
	})
	iChg := events.find(mark, func(e WatchEvent) bool {
		ev, ok := e.(WatchMasterChanging)
		return ok && ev.Master == A && strings.Contains(ev.Reason, "+odown from sentinel "+addrs[0])
	})
	iRes := events.find(mark, func(e WatchEvent) bool { _, ok := e.(WatchMasterRestored); return ok })
	if iEv < 0 || iChg < iEv || iRes < iChg {
		t.Errorf("odown: event %d, changing %d, restored %d in %v", iEv, iChg, iRes, events.snapshot()[mark:])
	}

	// 4. A failover: the sentinels switch to B, A becomes a replica, and
	// one sentinel publishes +switch-master.
	mark = len(events.snapshot())
	nodeA.set(func(f *watchFake) { f.role = "slave" })
	for _, s := range sents {
		s.set(func(f *watchFake) { f.master, f.stored, f.replicas = B, B, []string{A} })
	}
	sents[1].publish("+switch-master", fmt.Sprintf("mymaster %s %s %s %s", watchHost(A), watchPort(A), watchHost(B), watchPort(B)))
	watchStableAt(t, w, B, 5*time.Second)
	iChg = events.find(mark, func(e WatchEvent) bool { ev, ok := e.(WatchMasterChanging); return ok && ev.Master == A })
	iNew := events.find(mark, func(e WatchEvent) bool { ev, ok := e.(WatchMasterChanged); return ok && ev.Old == A && ev.New == B })
	if iChg < 0 || iNew < iChg {
		t.Errorf("failover: changing %d, changed %d in %v", iChg, iNew, events.snapshot()[mark:])
	}
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		r := w.Replicas()
		return len(r) == 1 && r[0].Addr == A, fmt.Sprintf("replicas %+v", r)
	})
	// The old master claims master again while the sentinels name B.
	nodeA.set(func(f *watchFake) { f.role = "master" })
	sents[2].set(func(f *watchFake) { f.master, f.stored = A, A })
	start = sents[0].count("SENTINEL GET-MASTER-ADDR-BY-NAME")
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		if a, _ := w.State(); a != B {
			t.Fatalf("old master believed: %q", a)
		}
		n := sents[0].count("SENTINEL GET-MASTER-ADDR-BY-NAME") - start
		return n >= 5, fmt.Sprintf("%d polls", n)
	})

	// 5. A hung sentinel and a dead one: no majority left for B.
	sents[2].set(func(f *watchFake) { f.master, f.stored = B, B })
	mark = len(events.snapshot())
	sents[1].set(func(f *watchFake) { f.hang = true })
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		i := events.find(mark, func(e WatchEvent) bool { ev, ok := e.(WatchSentinelDown); return ok && ev.Sentinel == addrs[1] })
		return i >= 0, "waiting for the hung sentinel to be declared down"
	})
	if a, stable := w.State(); a != B || !stable {
		t.Errorf("after one sentinel hung: %q stable=%v (%s)", a, stable, w.Status().Reason)
	}
	sents[0].stop()
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		a, stable := w.State()
		return a == B && !stable, fmt.Sprintf("state %q stable=%v", a, stable)
	})
	if _, ok := w.Current(); ok {
		t.Error("Current ok without a majority")
	}
	if r := w.Status().Reason; !strings.Contains(r, "majority of the 3 sentinels") {
		t.Errorf("reason %q", r)
	}

	// 6. Close: everything stops, connections are closed, the channel too.
	w.Close()
	w.Close()
	select {
	case <-events.done:
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber channel not closed by Close")
	}
	for i, s := range append(sents[1:], nodeA, nodeB) {
		testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
			n := s.liveConns()
			return n == 0, fmt.Sprintf("fake %d: %d connections still open", i, n)
		})
	}
	for _, e := range logs.All() {
		text := e.Message
		for _, f := range e.Context {
			text += fmt.Sprintf(" %v %v", f.String, f.Interface)
		}
		if strings.Contains(text, sentPass) || strings.Contains(text, nodePass) {
			t.Errorf("password in log: %s", text)
		}
	}
	if logs.FilterField(zap.String("event", "watch-master-changing")).Len() == 0 ||
		logs.FilterField(zap.String("event", "watch-master-changed")).Len() == 0 {
		t.Error("transitions not logged")
	}
}

// TestWatchWrongPassword: a sentinel refusing the password is down, with
// its error, and the password stays out of events and logs.
func TestWatchWrongPassword(t *testing.T) {
	s := newWatchFake(t, "", "right")
	s.set(func(f *watchFake) { f.master, f.stored = "127.0.0.1:1", "127.0.0.1:1" })
	core, logs := observer.New(zapcore.DebugLevel)
	w, err := NewWatcher(WatcherConfig{MasterName: "mymaster", Sentinels: []string{s.addr()},
		SentinelPass: "wrong-pw", PollInterval: 50 * time.Millisecond, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := w.Subscribe(16)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	select {
	case ev := <-ch:
		d, ok := ev.(WatchSentinelDown)
		if !ok || !strings.HasPrefix(d.Err, "AUTH: WRONGPASS") || strings.Contains(d.Err, "wrong-pw") {
			t.Errorf("event %#v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no WatchSentinelDown")
	}
	w.Close()
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if strings.Contains(fmt.Sprint(f.String, f.Interface), "wrong-pw") {
				t.Errorf("password in log: %v", e)
			}
		}
	}
}

// TestWatchSuspect: Suspect ends trust at once; the master is trusted
// again after fresh answers and a fresh role check.
func TestWatchSuspect(t *testing.T) {
	node := newWatchFake(t, "", "")
	node.set(func(f *watchFake) { f.role = "master" })
	s := newWatchFake(t, "", "")
	s.set(func(f *watchFake) { f.master, f.stored = node.addr(), node.addr() })
	w, err := NewWatcher(WatcherConfig{MasterName: "mymaster", Sentinels: []string{s.addr()},
		PollInterval: time.Hour, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := w.Subscribe(16)
	events := collectWatchEvents(ch)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// With an hour between polls, only the first poll, the kicks and
	// the checks they call for can confirm anything.
	watchStableAt(t, w, node.addr(), 5*time.Second)
	polls := s.count("SENTINEL GET-MASTER-ADDR-BY-NAME")
	w.Suspect(node.addr(), "-READONLY from backend")
	if a, stable := w.State(); stable && polls == s.count("SENTINEL GET-MASTER-ADDR-BY-NAME") {
		t.Errorf("still trusted right after Suspect: %q", a)
	}
	watchStableAt(t, w, node.addr(), 5*time.Second)
	if n := s.count("SENTINEL GET-MASTER-ADDR-BY-NAME"); n <= polls {
		t.Errorf("Suspect did not poll: %d polls", n)
	}
	w.Close()
	<-events.done
	var kinds []string
	for _, e := range events.snapshot() {
		switch ev := e.(type) {
		case WatchMasterChanging:
			kinds = append(kinds, "changing:"+ev.Reason)
		case WatchMasterChanged:
			kinds = append(kinds, "changed")
		case WatchMasterRestored:
			kinds = append(kinds, "restored")
		}
	}
	if strings.Join(kinds, ",") != "changed,changing:suspected: -READONLY from backend,restored" {
		t.Errorf("transitions %q", kinds)
	}
}

func watchHost(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func watchPort(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

// startWatchSentinel starts a redis-sentinel monitoring the master at
// masterPort with quorum 2 and the test's timings.
func startWatchSentinel(t *testing.T, bin string, masterPort int) (*testutil.Proc, string) {
	t.Helper()
	port := testutil.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor mymaster 127.0.0.1 %d 2\n"+
		"sentinel down-after-milliseconds mymaster 2000\n"+
		"sentinel failover-timeout mymaster 10000\n", port, dir, masterPort)
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return testutil.StartProcess(t, bin, []string{path}, testutil.PingReady(addr)), addr
}

// watchInfoField reads one INFO field from a node ("" if unreachable).
func watchInfoField(addr, section, field string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(resp.AppendCommandStrings(nil, "INFO", section)); err != nil {
		return ""
	}
	v, err := resp.ReadReply(bufio.NewReader(c), resp.ReplyLimits{})
	if err != nil || v.IsError() {
		return ""
	}
	for _, line := range strings.Split(v.Str, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			return val
		}
	}
	return ""
}

// watchSentinelField reads one field of SENTINEL MASTER mymaster.
func watchSentinelField(addr, field string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(resp.AppendCommandStrings(nil, "SENTINEL", "MASTER", "mymaster")); err != nil {
		return ""
	}
	v, err := resp.ReadReply(bufio.NewReader(c), resp.ReplyLimits{})
	if err != nil {
		return ""
	}
	return entryFields(v)[field]
}

// TestWatchRealSentinels: three redis-sentinels 7.0 watch a real master
// and two replicas. The watcher confirms the master; after kill -9 it
// reports "changing", then confirms the promoted replica; the old
// master, restarted on its port and booting as master, is never
// believed while the sentinels convert it.
func TestWatchRealSentinels(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and redis-sentinel processes")
	}
	testutil.RequireBinary(t, "redis-server")
	sentinelBin := testutil.RequireBinary(t, "redis-sentinel")

	master := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	var replicas []*testutil.Proc
	for i := 0; i < 2; i++ {
		replicas = append(replicas, testutil.StartRedis(t, "--repl-diskless-sync-delay", "0",
			"--replicaof", "127.0.0.1", strconv.Itoa(master.Port())))
	}
	for _, r := range replicas {
		testutil.WaitFor(t, 15*time.Second, 50*time.Millisecond, func() (bool, string) {
			s := watchInfoField(r.Addr(), "replication", "master_link_status")
			return s == "up", "replica link " + s
		})
	}
	var sentinelAddrs []string
	for i := 0; i < 3; i++ {
		_, addr := startWatchSentinel(t, sentinelBin, master.Port())
		sentinelAddrs = append(sentinelAddrs, addr)
	}
	// A failover needs the sentinels to know each other (hellos every 2
	// s) and the replicas.
	for _, s := range sentinelAddrs {
		testutil.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
			o, r := watchSentinelField(s, "num-other-sentinels"), watchSentinelField(s, "num-slaves")
			return o == "2" && r == "2", fmt.Sprintf("sentinel %s: %s other sentinels, %s replicas", s, o, r)
		})
	}

	w, err := NewWatcher(WatcherConfig{MasterName: "mymaster", Sentinels: sentinelAddrs,
		PollInterval: 200 * time.Millisecond, DialTimeout: 500 * time.Millisecond,
		ReplicaInterval: 500 * time.Millisecond, Logger: watchTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := w.Subscribe(4096)
	events := collectWatchEvents(ch)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	watchStableAt(t, w, master.Addr(), 10*time.Second)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		rs := w.Replicas()
		healthy := 0
		for _, r := range rs {
			if r.Healthy && r.Sentinels == 3 {
				healthy++
			}
		}
		return healthy == 2, fmt.Sprintf("replicas %+v", rs)
	})

	// kill -9 the master.
	old := master.Addr()
	killed := time.Now()
	master.Kill()
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		a, stable := w.State()
		return a == old && !stable, fmt.Sprintf("state %q stable=%v", a, stable)
	})
	changingAfter := time.Since(killed)
	if _, ok := w.Current(); ok {
		t.Error("Current ok while changing")
	}
	var promoted string
	testutil.WaitFor(t, 30*time.Second, 5*time.Millisecond, func() (bool, string) {
		a, stable := w.State()
		if a != old && a != replicas[0].Addr() && a != replicas[1].Addr() {
			t.Fatalf("watcher confirmed %q, not a replica", a)
		}
		promoted = a
		return stable && a != old, fmt.Sprintf("state %q stable=%v: %s", a, stable, w.Status().Reason)
	})
	confirmedAfter := time.Since(killed)
	if role := watchInfoField(promoted, "replication", "role"); role != "master" {
		t.Errorf("confirmed %s reports role %q", promoted, role)
	}
	t.Logf("kill -9 at 0: changing after %v, %s confirmed after %v (down-after 2000 ms)",
		changingAfter.Round(time.Millisecond), promoted, confirmedAfter.Round(time.Millisecond))
	switchSeen := events.find(0, func(e WatchEvent) bool { ev, ok := e.(WatchSentinelEvent); return ok && ev.Type == "+switch-master" })
	if switchSeen < 0 {
		t.Error("no +switch-master forwarded")
	}

	// Restart the old master on its port: it boots as an empty master
	// until a sentinel converts it (about 10 s). It must never be
	// trusted; the promoted replica stays trusted.
	restarted := testutil.StartRedis(t, "--port", strconv.Itoa(master.Port()), "--repl-diskless-sync-delay", "0")
	sawMasterRole := false
	testutil.WaitFor(t, 40*time.Second, 20*time.Millisecond, func() (bool, string) {
		if a, _ := w.State(); a == old {
			t.Fatalf("restarted old master %s believed", old)
		}
		role := watchInfoField(restarted.Addr(), "replication", "role")
		if role == "master" {
			sawMasterRole = true
		}
		return role == "slave", "restarted old master reports role " + role
	})
	if !sawMasterRole {
		t.Log("the restarted master was converted before it was seen as master")
	}
	if a, stable := w.State(); a != promoted || !stable {
		t.Errorf("after the old master rejoined: %q stable=%v (%s)", a, stable, w.Status().Reason)
	}
	for _, e := range events.snapshot() {
		if ev, ok := e.(WatchMasterChanged); ok && ev.New == old && ev.Old != "" {
			t.Errorf("event confirming the old master: %+v", ev)
		}
	}
	testutil.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		rs := w.Replicas()
		for _, r := range rs {
			if r.Addr == promoted {
				return false, "promoted master listed as replica"
			}
		}
		return len(rs) == 2, fmt.Sprintf("replicas %+v", rs)
	})
	w.Close()
	<-events.done
}

// watchTestLogger logs to the test output when -v is given.
func watchTestLogger(t *testing.T) *zap.Logger {
	if !testing.Verbose() {
		return zap.NewNop()
	}
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(zapcore.InfoLevel)
	cfg.DisableStacktrace = true
	l, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWatchWardenSentinel: the watcher works against a warden sentinel
// too (reply shapes, PSUBSCRIBE, PING on the subscribed connection, which
// must keep it alive past the staleness window without reconnecting).
func TestWatchWardenSentinel(t *testing.T) {
	node := testutil.StartRedis(t)
	port := testutil.FreePort(t)
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	conf := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 1\n", node.Port())
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Path: path, Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	core, logs := observer.New(zapcore.DebugLevel)
	w, err := NewWatcher(WatcherConfig{MasterName: "mymaster", Sentinels: []string{s.Addr()},
		PollInterval: 50 * time.Millisecond, DialTimeout: 200 * time.Millisecond, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	watchStableAt(t, w, node.Addr(), 10*time.Second)
	// Three staleness windows (350 ms each) with no pub/sub traffic but
	// the pongs.
	time.Sleep(3 * w.stale)
	if n := logs.FilterField(zap.String("event", "watch-pubsub-down")).Len(); n != 0 {
		t.Errorf("pub/sub connection dropped %d times: %v", n, logs.FilterField(zap.String("event", "watch-pubsub-down")).All())
	}
	if a, ok := w.Current(); !ok || a != node.Addr() {
		t.Errorf("current %q ok=%v (%s)", a, ok, w.Status().Reason)
	}
}

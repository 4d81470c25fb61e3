package proxy

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
)

// topoRecorder is the publish callback of the tests: it keeps every
// topology and checks the contract on the way (generations increase by
// one, Since never goes back, never two calls at once).
type topoRecorder struct {
	in   atomic.Int32
	mu   sync.Mutex
	tops []*Topology
	errs []string
}

func newTopoRecorder(t *testing.T) *topoRecorder {
	r := &topoRecorder{}
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, e := range r.errs {
			t.Error(e)
		}
	})
	return r
}

func (r *topoRecorder) publish(tp *Topology) {
	if r.in.Add(1) != 1 {
		r.mu.Lock()
		r.errs = append(r.errs, "publish called concurrently")
		r.mu.Unlock()
	}
	defer r.in.Add(-1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.tops); n > 0 {
		prev := r.tops[n-1]
		if tp.Generation != prev.Generation+1 || tp.Since.Before(prev.Since) || tp == prev {
			r.errs = append(r.errs, fmt.Sprintf("topology %s follows %s", describeTopology(tp), describeTopology(prev)))
		}
	}
	r.tops = append(r.tops, tp)
}

func (r *topoRecorder) all() []*Topology {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Topology(nil), r.tops...)
}

func (r *topoRecorder) last() *Topology {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tops) == 0 {
		return nil
	}
	return r.tops[len(r.tops)-1]
}

// waitFor waits until the latest topology satisfies cond and returns it.
func (r *topoRecorder) waitFor(t *testing.T, timeout time.Duration, what string, cond func(*Topology) bool) *Topology {
	t.Helper()
	var got *Topology
	testutil.WaitFor(t, timeout, 10*time.Millisecond, func() (bool, string) {
		tp := r.last()
		if tp != nil && cond(tp) {
			got = tp
			return true, ""
		}
		return false, what + "; last: " + describeTopology(tp)
	})
	return got
}

// waitSeen waits until a topology published at index from or later
// satisfies cond (however briefly it lasted) and returns it.
func (r *topoRecorder) waitSeen(t *testing.T, timeout time.Duration, from int, what string, cond func(*Topology) bool) *Topology {
	t.Helper()
	var got *Topology
	testutil.WaitFor(t, timeout, 5*time.Millisecond, func() (bool, string) {
		all := r.all()
		for _, tp := range all[min(from, len(all)):] {
			if cond(tp) {
				got = tp
				return true, ""
			}
		}
		return false, what + "; last: " + describeTopology(r.last())
	})
	return got
}

func describeTopology(tp *Topology) string {
	if tp == nil {
		return "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gen %d %s master=%s reason=%q replicas=[", tp.Generation, tp.State, tp.Master, tp.Reason)
	for i, r := range tp.Replicas {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s up=%v load=%v down=%v lag=%dB/%ds", r.Addr, r.LinkUp, r.Loading, r.Down, r.LagBytes, r.LagSeconds)
	}
	b.WriteByte(']')
	return b.String()
}

func replicaIn(tp *Topology, addr string) *Replica {
	for i := range tp.Replicas {
		if tp.Replicas[i].Addr == addr {
			return &tp.Replicas[i]
		}
	}
	return nil
}

// allLinked: the replicas are exactly addrs, all linked with a known lag.
func allLinked(tp *Topology, addrs ...string) bool {
	if len(tp.Replicas) != len(addrs) {
		return false
	}
	for _, a := range addrs {
		r := replicaIn(tp, a)
		if r == nil || !r.LinkUp || r.Down || r.Loading || r.LagBytes < 0 || r.LagSeconds < 0 {
			return false
		}
	}
	return true
}

// redisDo sends one command (after AUTH when pass is set) on a fresh
// connection, bounded in time.
func redisDo(addr, pass string, args ...string) (resp.Value, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return resp.Value{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	var buf []byte
	if pass != "" {
		buf = resp.AppendCommandStrings(buf, "AUTH", pass)
	}
	buf = resp.AppendCommandStrings(buf, args...)
	if _, err := c.Write(buf); err != nil {
		return resp.Value{}, err
	}
	br := bufio.NewReader(c)
	if pass != "" {
		if v, err := resp.ReadReply(br, resp.ReplyLimits{}); err != nil || v.IsError() {
			return v, fmt.Errorf("AUTH: %v %s", err, v.Str)
		}
	}
	return resp.ReadReply(br, resp.ReplyLimits{})
}

func mustDo(t *testing.T, addr, pass string, args ...string) resp.Value {
	t.Helper()
	v, err := redisDo(addr, pass, args...)
	if err != nil || v.IsError() {
		t.Fatalf("%s %v: %v %s", addr, args, err, v.Str)
	}
	return v
}

// infoField reads one INFO replication field ("" if unreachable).
func infoField(addr, pass, field string) string {
	v, err := redisDo(addr, pass, "INFO", "replication")
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

// sentinelField reads one field of SENTINEL MASTER mymaster.
func sentinelField(addr, field string) string {
	v, err := redisDo(addr, "", "SENTINEL", "MASTER", "mymaster")
	if err != nil || v.IsError() {
		return ""
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if v.Elems[i].Str == field {
			return v.Elems[i+1].Str
		}
	}
	return ""
}

// startNodes starts a master and n replicas of it (extra args for all)
// and waits until the replicas' links are up.
func startNodes(t *testing.T, pass string, n int, extra ...string) (*testutil.Proc, []*testutil.Proc) {
	t.Helper()
	args := append([]string{"--repl-diskless-sync-delay", "0"}, extra...)
	m := testutil.StartRedis(t, args...)
	var rs []*testutil.Proc
	for i := 0; i < n; i++ {
		rs = append(rs, testutil.StartRedis(t, append(args, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))...))
	}
	for _, r := range rs {
		testutil.WaitFor(t, 15*time.Second, 20*time.Millisecond, func() (bool, string) {
			s := infoField(r.Addr(), pass, "master_link_status")
			return s == "up", r.Addr() + " link " + s
		})
	}
	return m, rs
}

// sentinelConf is the group's monitoring config shared by the real and
// the embedded sentinels: quorum 2, down-after 2000 ms.
func sentinelConf(port, masterPort int, dir string) string {
	return fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor mymaster 127.0.0.1 %d 2\n"+
		"sentinel down-after-milliseconds mymaster 2000\n"+
		"sentinel failover-timeout mymaster 10000\n", port, dir, masterPort)
}

func writeSentinelConf(t *testing.T, masterPort int) (path, addr string) {
	t.Helper()
	port := testutil.FreePort(t)
	dir := t.TempDir()
	path = filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(sentinelConf(port, masterPort, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

func startRealSentinel(t *testing.T, bin string, masterPort int) string {
	t.Helper()
	path, addr := writeSentinelConf(t, masterPort)
	testutil.StartProcess(t, bin, []string{path}, testutil.PingReady(addr))
	return addr
}

// waitSentinelsMeet waits until every sentinel knows the others and the
// replicas: a failover needs both.
func waitSentinelsMeet(t *testing.T, addrs []string, others, replicas int) {
	t.Helper()
	for _, s := range addrs {
		testutil.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
			o, r := sentinelField(s, "num-other-sentinels"), sentinelField(s, "num-slaves")
			return o == strconv.Itoa(others) && r == strconv.Itoa(replicas),
				fmt.Sprintf("sentinel %s: %s other sentinels, %s replicas", s, o, r)
		})
	}
}

func testLogger(t *testing.T, extra ...zapcore.Core) *zap.Logger {
	base := zaptest.NewLogger(t, zaptest.Level(zapcore.InfoLevel)).Core()
	return zap.New(zapcore.NewTee(append([]zapcore.Core{base}, extra...)...))
}

// fillMaster writes about n bytes of values to the master.
func fillMaster(t *testing.T, addr, pass string, n int) {
	t.Helper()
	value := strings.Repeat("v", 64<<10)
	for i := 0; i*len(value) < n; i++ {
		mustDo(t, addr, pass, "SET", "lag:"+strconv.Itoa(i), value)
	}
}

// checkLag pauses replica r, writes 2 MiB to the master and waits until
// the source shows r down and behind; then resumes it and waits until it
// is linked and caught up again.
func checkLag(t *testing.T, rec *topoRecorder, master string, r *testutil.Proc, pass string) {
	t.Helper()
	if err := r.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = r.Signal(syscall.SIGCONT)
		}
	}()
	fillMaster(t, master, pass, 2<<20)
	tp := rec.waitFor(t, 15*time.Second, "paused replica down and behind", func(tp *Topology) bool {
		x := replicaIn(tp, r.Addr())
		return tp.Master == master && x != nil && x.Down && !x.LinkUp && x.LagBytes >= 2<<20 && x.LagSeconds >= 1
	})
	t.Logf("paused replica: %s", describeTopology(tp))
	if err := r.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	rec.waitFor(t, 15*time.Second, "resumed replica linked and caught up", func(tp *Topology) bool {
		x := replicaIn(tp, r.Addr())
		return x != nil && !x.Down && x.LinkUp && x.LagBytes >= 0 && x.LagBytes < 4096
	})
}

// neverConfirmed fails the test if addr was confirmed in a topology
// published at index from or later.
func neverConfirmed(t *testing.T, rec *topoRecorder, from int, addr string) {
	t.Helper()
	all := rec.all()
	for _, tp := range all[min(from, len(all)):] {
		if tp.State == MasterConfirmed && tp.Master == addr {
			t.Fatalf("%s confirmed: %s", addr, describeTopology(tp))
		}
	}
}

// TestSourceStaticE2E: the static source over three real redis-servers
// with requirepass: the master confirmed, a paused replica's lag and a
// replica's broken link reflected, kill -9 of the master → changing, a
// replica promoted by hand → confirmed, the old master restarted as an
// empty master → never confirmed; Recheck; the password never logged.
func TestSourceStaticE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server processes")
	}
	testutil.RequireBinary(t, "redis-server")
	const pass = "pw-static-Q7x2"
	m, rs := startNodes(t, pass, 2, "--requirepass", pass, "--masterauth", pass)
	r1, r2 := rs[0], rs[1]
	obsCore, logs := observer.New(zapcore.DebugLevel)
	g := &GroupConfig{Name: "mymaster", NodePass: pass, BackendConnectTimeout: 300 * time.Millisecond,
		Static: &StaticConfig{Nodes: []string{m.Addr(), r1.Addr(), r2.Addr()}, Interval: 200 * time.Millisecond, Fall: 2, Rise: 2}}
	s, err := NewSource(g, testLogger(t, obsCore))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := newTopoRecorder(t)
	started := time.Now()
	if err := s.Start(rec.publish); err != nil {
		t.Fatal(err)
	}
	tp := rec.waitFor(t, 10*time.Second, "master confirmed, replicas linked", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == m.Addr() && allLinked(tp, r1.Addr(), r2.Addr())
	})
	t.Logf("confirmed %v after Start: %s", time.Since(started).Round(time.Millisecond), describeTopology(tp))

	checkLag(t, rec, m.Addr(), r1, pass)

	// A replica pointed elsewhere: reachable, but not linked.
	mustDo(t, r2.Addr(), pass, "REPLICAOF", "127.0.0.1", strconv.Itoa(testutil.FreePort(t)))
	rec.waitFor(t, 10*time.Second, "r2 link down", func(tp *Topology) bool {
		x := replicaIn(tp, r2.Addr())
		return x != nil && !x.LinkUp && !x.Down
	})
	mustDo(t, r2.Addr(), pass, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port()))
	rec.waitFor(t, 10*time.Second, "r2 linked again", func(tp *Topology) bool { return allLinked(tp, r1.Addr(), r2.Addr()) })

	// kill -9 the master: changing after Fall failed checks.
	from := len(rec.all())
	killed := time.Now()
	m.Kill()
	changing := rec.waitSeen(t, 5*time.Second, from, "changing", func(tp *Topology) bool {
		return tp.State == MasterChanging && tp.Master == m.Addr()
	})
	// Nobody promotes anything for a while: nothing is confirmed.
	time.Sleep(3 * g.Static.Interval)
	if tp := rec.last(); tp.State != MasterChanging {
		t.Fatalf("without a master: %s", describeTopology(tp))
	}
	promoted := time.Now()
	mustDo(t, r1.Addr(), pass, "REPLICAOF", "NO", "ONE")
	mustDo(t, r2.Addr(), pass, "REPLICAOF", "127.0.0.1", strconv.Itoa(r1.Port()))
	confirmed := rec.waitFor(t, 10*time.Second, "r1 confirmed", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == r1.Addr()
	})
	t.Logf("kill -9: changing after %v (%s); REPLICAOF NO ONE → confirmed after %v",
		changing.Since.Sub(killed).Round(time.Millisecond), changing.Reason, confirmed.Since.Sub(promoted).Round(time.Millisecond))
	rec.waitFor(t, 10*time.Second, "r2 linked to r1", func(tp *Topology) bool {
		x := replicaIn(tp, r2.Addr())
		return tp.Master == r1.Addr() && x != nil && x.LinkUp
	})

	// The old master restarts empty, as a master: it must not be believed.
	from = len(rec.all())
	testutil.StartRedis(t, "--port", strconv.Itoa(m.Port()), "--requirepass", pass, "--masterauth", pass)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := logs.FilterField(zap.String("event", "topology-several-masters")).Len()
		return n > 0, "no warning about a second master"
	})
	rec.waitFor(t, 10*time.Second, "old master listed, up and unlinked", func(tp *Topology) bool {
		x := replicaIn(tp, m.Addr())
		return x != nil && !x.Down && !x.LinkUp
	})
	time.Sleep(5 * g.Static.Interval) // more check rounds with two masters
	neverConfirmed(t, rec, from, m.Addr())
	if tp := rec.last(); tp.State != MasterConfirmed || tp.Master != r1.Addr() {
		t.Fatalf("with the old master back: %s", describeTopology(tp))
	}

	// Recheck: distrusted at once, trusted again on the next check.
	from = len(rec.all())
	asked := time.Now()
	s.Recheck("-READONLY from the write backend")
	rec.waitSeen(t, 5*time.Second, from, "changing on recheck", func(tp *Topology) bool {
		return tp.State == MasterChanging && tp.Master == r1.Addr() && strings.Contains(tp.Reason, "READONLY")
	})
	back := rec.waitFor(t, 5*time.Second, "r1 confirmed after recheck", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == r1.Addr()
	})
	t.Logf("recheck: confirmed again after %v", back.Since.Sub(asked).Round(time.Microsecond))

	closing := time.Now()
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	t.Logf("Close took %v", time.Since(closing).Round(time.Millisecond))
	for _, e := range logs.All() {
		if strings.Contains(e.Message, pass) || strings.Contains(fmt.Sprint(e.ContextMap()), pass) {
			t.Errorf("password logged: %s %v", e.Message, e.ContextMap())
		}
	}
}

// TestSourceEmbeddedE2E: the embedded sentinel, with two real
// redis-sentinels (quorum 2, down-after 2000 ms), follows a real master:
// confirmed with its replicas, a paused replica's lag reflected, kill -9
// → changing, then the promoted replica confirmed; the old master,
// restarted as a master, is never confirmed while the sentinels convert
// it.
func TestSourceEmbeddedE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and redis-sentinel processes")
	}
	testutil.RequireBinary(t, "redis-server")
	sentinelBin := testutil.RequireBinary(t, "redis-sentinel")
	m, rs := startNodes(t, "", 2)
	r1, r2 := rs[0], rs[1]
	sentinels := []string{startRealSentinel(t, sentinelBin, m.Port()), startRealSentinel(t, sentinelBin, m.Port())}
	path, embeddedAddr := writeSentinelConf(t, m.Port())
	g := &GroupConfig{Name: "mymaster", BackendConnectTimeout: 300 * time.Millisecond, Embedded: &EmbeddedConfig{ConfigFile: path}}
	s, err := NewSource(g, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := newTopoRecorder(t)
	if err := s.Start(rec.publish); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "master confirmed, replicas linked", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == m.Addr() && allLinked(tp, r1.Addr(), r2.Addr())
	})
	// The embedded sentinel is a full member: its port answers and the
	// real sentinels count it.
	if v := mustDo(t, embeddedAddr, "", "SENTINEL", "get-master-addr-by-name", "mymaster"); len(v.Elems) != 2 || v.Elems[1].Str != strconv.Itoa(m.Port()) {
		t.Fatalf("embedded sentinel names %+v", v)
	}
	waitSentinelsMeet(t, append(sentinels, embeddedAddr), 2, 2)

	checkLag(t, rec, m.Addr(), r1, "")
	// The pause may have taken r1 past down-after: wait until the
	// sentinels see it healthy again, so that it is a failover candidate.
	rec.waitFor(t, 20*time.Second, "replicas linked", func(tp *Topology) bool { return allLinked(tp, r1.Addr(), r2.Addr()) })

	sentinelFailover(t, rec, m, r1, r2)
}

// TestSourceEmbeddedShared: two groups whose configs name the same
// sentinel.conf share one embedded sentinel; it stops with the last one.
// A SHUTDOWN sent to its port leaves the group's master distrusted.
func TestSourceEmbeddedShared(t *testing.T) {
	a, b := testutil.StartRedis(t), testutil.StartRedis(t)
	port := testutil.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor g1 127.0.0.1 %d 1\nsentinel monitor g2 127.0.0.1 %d 1\n", port, a.Port(), b.Port())
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var srcs []Source
	var recs []*topoRecorder
	for _, name := range []string{"g1", "g2"} {
		s, err := NewSource(&GroupConfig{Name: name, Embedded: &EmbeddedConfig{ConfigFile: path}}, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rec := newTopoRecorder(t)
		if err := s.Start(rec.publish); err != nil {
			t.Fatal(err)
		}
		srcs, recs = append(srcs, s), append(recs, rec)
	}
	if _, err := NewSource(&GroupConfig{Name: "g3", Embedded: &EmbeddedConfig{ConfigFile: path}}, nil); err == nil || !strings.Contains(err.Error(), "does not monitor") {
		t.Errorf("unmonitored group: %v", err)
	}
	recs[0].waitFor(t, 10*time.Second, "g1 confirmed", func(tp *Topology) bool { return tp.State == MasterConfirmed && tp.Master == a.Addr() })
	recs[1].waitFor(t, 10*time.Second, "g2 confirmed", func(tp *Topology) bool { return tp.State == MasterConfirmed && tp.Master == b.Addr() })

	if err := srcs[0].Close(); err != nil {
		t.Error(err)
	}
	mustDo(t, addr, "", "PING") // still serving g2
	from := len(recs[1].all())
	srcs[1].Recheck("test")
	recs[1].waitSeen(t, 5*time.Second, from, "g2 changing on recheck", func(tp *Topology) bool { return tp.State == MasterChanging })
	recs[1].waitFor(t, 5*time.Second, "g2 confirmed again", func(tp *Topology) bool { return tp.State == MasterConfirmed && tp.Master == b.Addr() })

	// SHUTDOWN on the sentinel's own port: its view is frozen, nothing is
	// trusted any more.
	_, _ = redisDo(addr, "", "SHUTDOWN")
	recs[1].waitFor(t, 5*time.Second, "g2 changing after the sentinel stopped", func(tp *Topology) bool {
		return tp.State == MasterChanging && strings.Contains(tp.Reason, "stopped")
	})
	if err := srcs[1].Close(); err != nil {
		t.Error(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("sentinel port still open after the last Close")
	}
	// The port is free again: a new source on the same file starts a new
	// sentinel.
	s, err := NewSource(&GroupConfig{Name: "g1", Embedded: &EmbeddedConfig{ConfigFile: path}}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := newTopoRecorder(t)
	if err := s.Start(rec.publish); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "g1 confirmed by a new sentinel", func(tp *Topology) bool { return tp.State == MasterConfirmed && tp.Master == a.Addr() })
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// TestSourceExternalE2E: three real redis-sentinels (quorum 2,
// down-after 2000 ms) watched through the external source: the master
// confirmed with its replicas, a killed replica shown down and back,
// Recheck, kill -9 of the master → changing, the promoted replica
// confirmed, the restarted old master never confirmed.
func TestSourceExternalE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and redis-sentinel processes")
	}
	testutil.RequireBinary(t, "redis-server")
	sentinelBin := testutil.RequireBinary(t, "redis-sentinel")
	m, rs := startNodes(t, "", 2)
	r1, r2 := rs[0], rs[1]
	var sentinels []string
	for i := 0; i < 3; i++ {
		sentinels = append(sentinels, startRealSentinel(t, sentinelBin, m.Port()))
	}
	g := &GroupConfig{Name: "mymaster", BackendConnectTimeout: 300 * time.Millisecond,
		Sentinels: &ExternalConfig{Addrs: sentinels, PollInterval: 200 * time.Millisecond}}
	s, err := NewSource(g, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := newTopoRecorder(t)
	if err := s.Start(rec.publish); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "master confirmed, replicas linked", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == m.Addr() && allLinked(tp, r1.Addr(), r2.Addr())
	})
	waitSentinelsMeet(t, sentinels, 2, 2)

	// A replica killed and restarted.
	r2.Kill()
	rec.waitFor(t, 5*time.Second, "killed replica down", func(tp *Topology) bool {
		x := replicaIn(tp, r2.Addr())
		return x != nil && x.Down && !x.LinkUp
	})
	r2 = testutil.StartRedis(t, "--port", strconv.Itoa(r2.Port()), "--repl-diskless-sync-delay", "0",
		"--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))
	rec.waitFor(t, 30*time.Second, "restarted replica linked", func(tp *Topology) bool { return allLinked(tp, r1.Addr(), r2.Addr()) })

	from := len(rec.all())
	s.Recheck("-READONLY from the write backend")
	rec.waitSeen(t, 5*time.Second, from, "changing on recheck", func(tp *Topology) bool {
		return tp.State == MasterChanging && strings.Contains(tp.Reason, "READONLY")
	})
	rec.waitFor(t, 5*time.Second, "confirmed after recheck", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master == m.Addr()
	})

	sentinelFailover(t, rec, m, r1, r2)
}

// sentinelFailover kills master m (kill -9) under sentinels with
// down-after 2000 ms and checks what the source publishes: changing at
// once, then one of the replicas confirmed once it reports role master;
// then restarts m on its port, booting as an empty master, and checks
// that it is never confirmed while the sentinels convert it, and that it
// ends up listed as a linked replica of the new master.
func sentinelFailover(t *testing.T, rec *topoRecorder, m *testutil.Proc, replicas ...*testutil.Proc) {
	t.Helper()
	from := len(rec.all())
	killed := time.Now()
	m.Kill()
	changing := rec.waitSeen(t, 5*time.Second, from, "changing", func(tp *Topology) bool {
		return tp.State == MasterChanging && tp.Master == m.Addr()
	})
	confirmed := rec.waitFor(t, 30*time.Second, "a replica confirmed", func(tp *Topology) bool {
		return tp.State == MasterConfirmed && tp.Master != m.Addr()
	})
	promoted := confirmed.Master
	if !slices.ContainsFunc(replicas, func(r *testutil.Proc) bool { return r.Addr() == promoted }) {
		t.Fatalf("confirmed %s, not a replica", promoted)
	}
	if role := infoField(promoted, "", "role"); role != "master" {
		t.Errorf("confirmed %s reports role %q", promoted, role)
	}
	neverConfirmed(t, rec, from, m.Addr())
	t.Logf("kill -9 at 0: changing after %v (%s), %s confirmed after %v (down-after 2000 ms)",
		changing.Since.Sub(killed).Round(time.Millisecond), changing.Reason, promoted, confirmed.Since.Sub(killed).Round(time.Millisecond))

	from = len(rec.all())
	restarted := time.Now()
	testutil.StartRedis(t, "--port", strconv.Itoa(m.Port()), "--repl-diskless-sync-delay", "0")
	sawMaster := false
	testutil.WaitFor(t, 40*time.Second, 20*time.Millisecond, func() (bool, string) {
		neverConfirmed(t, rec, from, m.Addr())
		role := infoField(m.Addr(), "", "role")
		sawMaster = sawMaster || role == "master"
		return role == "slave", "restarted old master reports role " + role
	})
	t.Logf("restarted old master: reported role master for %v (seen: %v), never confirmed",
		time.Since(restarted).Round(time.Millisecond), sawMaster)
	rec.waitFor(t, 20*time.Second, "old master back as a linked replica", func(tp *Topology) bool {
		x := replicaIn(tp, m.Addr())
		return tp.State == MasterConfirmed && tp.Master == promoted && x != nil && x.LinkUp
	})
	neverConfirmed(t, rec, from, m.Addr())
}

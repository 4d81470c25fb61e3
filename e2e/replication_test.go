package e2e

// End-to-end replication tests (issue 3) with the real warden binary: a
// master and replicas started as separate processes, driven the way an
// operator drives Redis (--replicaof, CLIENT KILL, SIGTERM and restart,
// REPLICAOF NO ONE), with datasets compared by DEBUG DIGEST once the
// replication offsets are equal, and spot-checked key by key.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

// replArgs are given to every warden node of these tests: DEBUG DIGEST, and
// a backlog large enough that no step's downtime outruns it (the writer
// produces well under 1 MB/s), and no 5 s wait before each full sync.
var replArgs = []string{"--enable-debug-command", "yes", "--repl-backlog-size", "64mb", "--repl-diskless-sync-delay", "0"}

func wardenNode(t testing.TB, extra ...string) *testutil.Proc {
	t.Helper()
	return testutil.StartWarden(t, append(append([]string(nil), replArgs...), extra...)...)
}

func replicaOfArgs(master *testutil.Proc) []string {
	return []string{"--replicaof", "127.0.0.1", strconv.Itoa(master.Port())}
}

// info returns the fields of one INFO section.
func info(ctx context.Context, c *redis.Client, section string) (map[string]string, error) {
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m, nil
}

// mustInfo is info for the test goroutine.
func mustInfo(t testing.TB, c *redis.Client, section string) map[string]string {
	t.Helper()
	m, err := info(ctxT(t), c, section)
	must(t, err)
	return m
}

func statInt(t testing.TB, c *redis.Client, field string) int64 {
	t.Helper()
	m := mustInfo(t, c, "stats")
	v, err := strconv.ParseInt(m[field], 10, 64)
	if err != nil {
		t.Fatalf("INFO stats %s = %q", field, m[field])
	}
	return v
}

// waitStat waits until INFO stats field of c reaches want.
func waitStat(t testing.TB, c *redis.Client, field string, want int64) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		m, err := info(context.Background(), c, "stats")
		if err != nil {
			return false, err.Error()
		}
		return m[field] == strconv.FormatInt(want, 10), fmt.Sprintf("%s=%s, want %d", field, m[field], want)
	})
}

// waitSynced waits until every replica's link is up with the master's
// master_repl_offset, and all DEBUG DIGESTs are equal with the master's
// offset unchanged across the comparison (so a PING or an expiry the master
// propagates meanwhile just means another round). Nothing may write to the
// master meanwhile except the server itself. It returns the digest.
func waitSynced(t testing.TB, master *redis.Client, replicas ...*redis.Client) string {
	t.Helper()
	ctx := context.Background()
	var digest string
	testutil.WaitFor(t, 60*time.Second, 50*time.Millisecond, func() (bool, string) {
		mi, err := info(ctx, master, "replication")
		if err != nil {
			return false, "master: " + err.Error()
		}
		moff := mi["master_repl_offset"]
		if mi["role"] != "master" {
			return false, "master has role " + mi["role"]
		}
		for i, r := range replicas {
			ri, err := info(ctx, r, "replication")
			if err != nil {
				return false, fmt.Sprintf("replica %d: %v", i, err)
			}
			if ri["master_link_status"] != "up" || ri["master_repl_offset"] != moff || ri["slave_repl_offset"] != moff {
				return false, fmt.Sprintf("replica %d (%s): link %s, offsets %s/%s, master at %s",
					i, r.Options().Addr, ri["master_link_status"], ri["master_repl_offset"], ri["slave_repl_offset"], moff)
			}
		}
		d, err := master.Do(ctx, "debug", "digest").Text()
		if err != nil {
			return false, "master DEBUG DIGEST: " + err.Error()
		}
		for i, r := range replicas {
			rd, err := r.Do(ctx, "debug", "digest").Text()
			if err != nil {
				return false, fmt.Sprintf("replica %d DEBUG DIGEST: %v", i, err)
			}
			if rd != d {
				return false, fmt.Sprintf("replica %d (%s) digest %s, master %s (offset %s)", i, r.Options().Addr, rd, d, moff)
			}
		}
		if mi2, err := info(ctx, master, "replication"); err != nil || mi2["master_repl_offset"] != moff {
			return false, "master offset moved during the comparison"
		}
		digest = d
		return true, ""
	})
	return digest
}

// waitSameDataset compares full dumps of the master and each replica. The
// short-TTL keys the writer creates may expire between two dumps (the
// master then propagates a DEL), so a difference is retried until the
// deadline rather than failed at once.
func waitSameDataset(t testing.TB, master *redis.Client, replicas ...*redis.Client) {
	t.Helper()
	ctx := context.Background()
	testutil.WaitFor(t, 60*time.Second, 100*time.Millisecond, func() (bool, string) {
		dm, err := testutil.DumpDataset(ctx, master.Options().Addr)
		if err != nil {
			return false, "master dump: " + err.Error()
		}
		if len(dm) == 0 {
			return false, "master dump is empty"
		}
		for i, r := range replicas {
			dr, err := testutil.DumpDataset(ctx, r.Options().Addr)
			if err != nil {
				return false, fmt.Sprintf("replica %d dump: %v", i, err)
			}
			if d := testutil.DiffDatasets(dm, dr); d != "" {
				return false, fmt.Sprintf("replica %d (%s): %s", i, r.Options().Addr, d)
			}
		}
		return true, ""
	})
}

// --- the writer ---------------------------------------------------------

// ackLog is what the writer got acknowledged, across all its runs (the
// writes move to the new master after the failover). Iteration n writes:
//
//	SET s:n n; INCR ctr; LPUSH list n; HSET h f:n n; ZADD z n m:n;
//	SET e:n n + EXPIRE e:n 3600; every 4th: SET t:n n + EXPIRE t:n 1
//
// in one pipeline, acknowledged when every reply is. The t:n keys expire
// while the test runs, so the master's expiry (propagated as DEL) is part
// of what the replicas must follow; they are not checked at the end.
type ackLog struct {
	mu    sync.Mutex
	acked []int // iteration numbers, in order
	next  int
	err   error
}

// writer runs iterations against c until stop is called; stop returns
// once the goroutine has ended, failing the test if a write failed.
func (l *ackLog) start(t *testing.T, c *redis.Client) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		ctx := context.Background()
		for {
			select {
			case <-done:
				return
			default:
			}
			l.mu.Lock()
			n := l.next
			l.next++
			l.mu.Unlock()
			ns := strconv.Itoa(n)
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "s:"+ns, ns, 0)
				p.Incr(ctx, "ctr")
				p.LPush(ctx, "list", ns)
				p.HSet(ctx, "h", "f:"+ns, ns)
				p.ZAdd(ctx, "z", redis.Z{Score: float64(n), Member: "m:" + ns})
				p.Set(ctx, "e:"+ns, ns, 0)
				p.Expire(ctx, "e:"+ns, time.Hour)
				if n%4 == 0 {
					p.Set(ctx, "t:"+ns, ns, 0)
					p.Expire(ctx, "t:"+ns, time.Second)
				}
				return nil
			})
			l.mu.Lock()
			if err != nil {
				l.err = fmt.Errorf("iteration %d on %s: %w", n, c.Options().Addr, err)
				l.mu.Unlock()
				return
			}
			l.acked = append(l.acked, n)
			l.mu.Unlock()
			// Pacing, not waiting: a steady stream without starving the
			// nodes of the shared cores.
			time.Sleep(time.Millisecond)
		}
	}()
	return func() {
		t.Helper()
		close(done)
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			t.Fatal("writer did not stop within 30 s")
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			t.Fatalf("writer: %v", l.err)
		}
	}
}

// verify checks that every acknowledged write is on the node behind c.
func (l *ackLog) verify(t *testing.T, c *redis.Client) {
	t.Helper()
	l.mu.Lock()
	acked := append([]int(nil), l.acked...)
	l.mu.Unlock()
	ctx := ctxT(t)
	if len(acked) == 0 {
		t.Fatal("the writer got nothing acknowledged")
	}
	// Each iteration is acknowledged or the writer stopped the test, so
	// the counters equal the number of iterations.
	n := int64(len(acked))
	if v, err := c.Get(ctx, "ctr").Int64(); err != nil || v != n {
		t.Errorf("ctr = %d (%v), want %d", v, err, n)
	}
	if v := c.LLen(ctx, "list").Val(); v != n {
		t.Errorf("LLEN list = %d, want %d", v, n)
	}
	if v := c.HLen(ctx, "h").Val(); v != n {
		t.Errorf("HLEN h = %d, want %d", v, n)
	}
	if v := c.ZCard(ctx, "z").Val(); v != n {
		t.Errorf("ZCARD z = %d, want %d", v, n)
	}
	list := c.LRange(ctx, "list", 0, -1).Val()
	missing := 0
	for lo := 0; lo < len(acked); lo += 500 {
		chunk := acked[lo:min(lo+500, len(acked))]
		pipe := c.Pipeline()
		type row struct {
			s, hf, e *redis.StringCmd
			z        *redis.FloatCmd
			ttl      *redis.DurationCmd
		}
		rows := make([]row, len(chunk))
		for i, it := range chunk {
			ns := strconv.Itoa(it)
			rows[i] = row{
				s:   pipe.Get(ctx, "s:"+ns),
				hf:  pipe.HGet(ctx, "h", "f:"+ns),
				e:   pipe.Get(ctx, "e:"+ns),
				z:   pipe.ZScore(ctx, "z", "m:"+ns),
				ttl: pipe.TTL(ctx, "e:"+ns),
			}
		}
		_, _ = pipe.Exec(ctx)
		for i, it := range chunk {
			ns := strconv.Itoa(it)
			r := rows[i]
			if r.s.Val() != ns || r.hf.Val() != ns || r.e.Val() != ns || r.z.Val() != float64(it) ||
				r.ttl.Val() <= 0 {
				if missing++; missing <= 5 {
					t.Errorf("acknowledged iteration %d incomplete: s=%q(%v) h=%q(%v) e=%q(%v) z=%v(%v) ttl=%v",
						it, r.s.Val(), r.s.Err(), r.hf.Val(), r.hf.Err(), r.e.Val(), r.e.Err(), r.z.Val(), r.z.Err(), r.ttl.Val())
				}
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged iterations incomplete", missing, len(acked))
	}
	// LPUSH order: newest first.
	if len(list) == len(acked) {
		for i, it := range acked {
			if list[len(list)-1-i] != strconv.Itoa(it) {
				t.Errorf("list[%d] = %q, want %d (LPUSH order)", len(list)-1-i, list[len(list)-1-i], it)
				break
			}
		}
	}
	t.Logf("verified %d acknowledged iterations on %s", len(acked), c.Options().Addr)
}

// --- 1. topology ----------------------------------------------------------

// TestReplicationTopology runs 1 master (M) and 2 replicas (A, B) under
// continuous writes through: the initial full sync; a kill of the replica
// links (partial resyncs); a SIGTERM and restart of A from the RDB it saved
// (partial resync, from the repl-id/repl-offset aux fields); a failover —
// M shut down with SHUTDOWN-on-SIGTERM saving its RDB, A promoted with
// REPLICAOF NO ONE, B re-pointed to A (partial resync from A, PSYNC2
// replid2); and M restarted with --replicaof A, which (as backend
// repl_replica.go replicaPostLoad documents, like Redis 7.0) synthesizes a
// cached master from its RDB and partially resyncs from A. After each step
// the digests of all live nodes are equal; at the end every acknowledged
// write is on the final master.
//
// Every node saves on SIGTERM (--save "3600 1": a save point that never
// fires during the test), which is what makes the restarts partial.
func TestReplicationTopology(t *testing.T) {
	save := []string{"--save", "3600 1"}
	m := wardenNode(t, save...)
	mc := newClient(t, m.Addr(), nil)
	log := &ackLog{}

	// a. initial full sync, under writes.
	stop := log.start(t, mc)
	waitProgress(t, log, 500) // a dataset to copy before the replicas start
	a := wardenNode(t, append(save, replicaOfArgs(m)...)...)
	b := wardenNode(t, append(save, replicaOfArgs(m)...)...)
	ac, bc := newClient(t, a.Addr(), nil), newClient(t, b.Addr(), nil)
	waitLinkUp(t, ac, m)
	waitLinkUp(t, bc, m)
	stop()
	d := waitSynced(t, mc, ac, bc)
	if d == strings.Repeat("0", 40) {
		t.Fatal("digest of an empty dataset after writes")
	}
	waitSameDataset(t, mc, ac, bc)
	eq(t, "a: master sync_full", statInt(t, mc, "sync_full"), int64(2))
	t.Logf("a. full sync: %d iterations acknowledged, digest %s", len(log.acked), d)

	// b. kill the replica links: both partially resync.
	full0, part0 := statInt(t, mc, "sync_full"), statInt(t, mc, "sync_partial_ok")
	stop = log.start(t, mc)
	waitProgress(t, log, 300)
	killed, err := mc.Do(ctxT(t), "client", "kill", "type", "replica").Int()
	must(t, err)
	eq(t, "CLIENT KILL TYPE replica", killed, 2)
	waitStat(t, mc, "sync_partial_ok", part0+2)
	waitProgress(t, log, 300)
	stop()
	waitSynced(t, mc, ac, bc)
	eq(t, "b: master sync_full", statInt(t, mc, "sync_full"), full0)
	t.Logf("b. link kill: partial resyncs %d -> %d", part0, part0+2)

	// c. restart replica A (SIGTERM saves dump.rdb with the repl aux
	// fields); it comes back with its data and partially resyncs.
	full0, part0 = statInt(t, mc, "sync_full"), statInt(t, mc, "sync_partial_ok")
	stop = log.start(t, mc)
	waitProgress(t, log, 300)
	a = restartNode(t, a, append(save, replicaOfArgs(m)...)...)
	ac = newClient(t, a.Addr(), nil)
	waitStat(t, mc, "sync_partial_ok", part0+1)
	waitProgress(t, log, 300)
	stop()
	waitSynced(t, mc, ac, bc)
	eq(t, "c: master sync_full after A's restart", statInt(t, mc, "sync_full"), full0)
	if !strings.Contains(a.Output(), "synthesize a cached master") {
		t.Errorf("restarted replica did not resume from its RDB's replication info; output:\n%s", a.Output())
	}
	t.Logf("c. replica restart from RDB: partial resync")

	// d. failover: M goes down (saving), A is promoted, B follows A.
	must(t, m.Signal(syscall.SIGTERM))
	if err := m.Wait(); err != nil {
		t.Fatalf("master exit: %v", err)
	}
	must(t, ac.Do(ctxT(t), "replicaof", "no", "one").Err())
	ai := mustInfo(t, ac, "replication")
	eq(t, "A role after REPLICAOF NO ONE", ai["role"], "master")
	stop = log.start(t, ac)
	must(t, bc.Do(ctxT(t), "replicaof", "127.0.0.1", strconv.Itoa(a.Port())).Err())
	waitLinkUp(t, bc, a)
	waitProgress(t, log, 300)
	stop()
	waitSynced(t, ac, bc)
	eq(t, "d: A sync_partial_ok", statInt(t, ac, "sync_partial_ok"), int64(1))
	eq(t, "d: A sync_full", statInt(t, ac, "sync_full"), int64(0))
	t.Logf("d. promotion: B partially resynced from A (replid2 %s)", ai["master_replid2"])

	// e. the old master comes back as a replica of A: partial resync from
	// the history in its RDB.
	stop = log.start(t, ac)
	m = restartNode(t, m, append(save, replicaOfArgs(a)...)...)
	mc = newClient(t, m.Addr(), nil)
	waitLinkUp(t, mc, a)
	waitProgress(t, log, 300)
	stop()
	waitSynced(t, ac, bc, mc)
	eq(t, "e: A sync_partial_ok", statInt(t, ac, "sync_partial_ok"), int64(2))
	eq(t, "e: A sync_full", statInt(t, ac, "sync_full"), int64(0))
	waitSameDataset(t, ac, bc, mc)
	log.verify(t, ac)
	// The short-TTL keys did expire on the masters while the nodes were
	// compared, so expiry propagation was exercised, not just writes.
	left := 0
	for it := range log.next {
		if it%4 == 0 && ac.Exists(ctxT(t), "t:"+strconv.Itoa(it)).Val() == 1 {
			left++
		}
	}
	if created := (log.next + 3) / 4; left >= created {
		t.Errorf("none of the %d t:* keys (EXPIRE 1) expired", created)
	} else {
		t.Logf("%d of %d t:* keys expired during the test", created-left, created)
	}
}

// waitLinkUp waits until the replica behind c reports its link to master up.
func waitLinkUp(t testing.TB, c *redis.Client, master *testutil.Proc) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		ri, err := info(context.Background(), c, "replication")
		if err != nil {
			return false, err.Error()
		}
		if ri["master_port"] != strconv.Itoa(master.Port()) || ri["master_link_status"] != "up" {
			return false, fmt.Sprintf("%s: role %s master_port %s link %s", c.Options().Addr, ri["role"], ri["master_port"], ri["master_link_status"])
		}
		return true, ""
	})
}

// waitProgress waits until the writer has at least k more acknowledged
// iterations than when called, so each step really runs under writes.
func waitProgress(t testing.TB, l *ackLog, k int) {
	t.Helper()
	l.mu.Lock()
	base := len(l.acked)
	l.mu.Unlock()
	testutil.WaitFor(t, 30*time.Second, 5*time.Millisecond, func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return true, "" // stop() reports it
		}
		return len(l.acked) >= base+k, fmt.Sprintf("%d iterations acknowledged, want %d", len(l.acked), base+k)
	})
}

// restartNode stops p with SIGTERM (it saves dump.rdb) and starts warden
// again on the same port and directory with args.
func restartNode(t testing.TB, p *testutil.Proc, args ...string) *testutil.Proc {
	t.Helper()
	if !p.Exited() {
		must(t, p.Signal(syscall.SIGTERM))
		if err := p.Wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v; output:\n%s", err, p.Output())
		}
	}
	rdb := filepath.Join(p.Dir(), "dump.rdb")
	if _, err := os.Stat(rdb); err != nil {
		t.Fatalf("no RDB after SIGTERM with a save point: %v; output:\n%s", err, p.Output())
	}
	all := append([]string{"--port", strconv.Itoa(p.Port()), "--dir", p.Dir()}, args...)
	return wardenNode(t, all...)
}

// --- 2. READONLY, WAIT, min-replicas-to-write -------------------------------

func TestReplicaReadOnlyAndWait(t *testing.T) {
	m := wardenNode(t)
	r1 := wardenNode(t, replicaOfArgs(m)...)
	r2 := wardenNode(t, replicaOfArgs(m)...)
	mc, c1, c2 := newClient(t, m.Addr(), nil), newClient(t, r1.Addr(), nil), newClient(t, r2.Addr(), nil)
	ctx := ctxT(t)
	waitLinkUp(t, c1, m)
	waitLinkUp(t, c2, m)
	// The master counts a replica only once its first ACK arrived.
	testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		mi, err := info(ctx, mc, "replication")
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for _, k := range []string{"slave0", "slave1"} {
			if strings.Contains(mi[k], "state=online") {
				n++
			}
		}
		return n == 2, fmt.Sprintf("slave0=%s slave1=%s", mi["slave0"], mi["slave1"])
	})

	err := c1.Set(ctx, "k", "v", 0).Err()
	if err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Errorf("SET on a replica: %v, want READONLY You can't write against a read only replica.", err)
	}
	must(t, mc.Set(ctx, "k", "v", 0).Err())
	start := time.Now()
	n, err := mc.Do(ctx, "wait", "2", "1000").Int()
	must(t, err)
	eq(t, "WAIT 2 1000", n, 2)
	if el := time.Since(start); el > 900*time.Millisecond {
		t.Errorf("WAIT 2 1000 with 2 replicas took %v: it should return once both ACK", el)
	}
	// WAIT asking for more replicas than exist times out with the count.
	n, err = mc.Do(ctx, "wait", "3", "200").Int()
	must(t, err)
	eq(t, "WAIT 3 200", n, 2)
	eq(t, "GET k on replica", c1.Get(ctx, "k").Val(), "v")

	must(t, mc.ConfigSet(ctx, "min-replicas-to-write", "3").Err())
	err = mc.Set(ctx, "k2", "v", 0).Err()
	if err == nil || err.Error() != "NOREPLICAS Not enough good replicas to write." {
		t.Errorf("SET with min-replicas-to-write 3: %v, want NOREPLICAS Not enough good replicas to write.", err)
	}
	eq(t, "min_slaves_good_slaves", mustInfo(t, mc, "replication")["min_slaves_good_slaves"], "2")
	// Reads are still served.
	eq(t, "GET k under NOREPLICAS", mc.Get(ctx, "k").Val(), "v")
	must(t, mc.ConfigSet(ctx, "min-replicas-to-write", "2").Err())
	must(t, mc.Set(ctx, "k2", "v", 0).Err())
}

// --- 3. master restart without persistence ---------------------------------

// TestMasterRestartWithoutPersistence documents Redis's well-known hazard,
// which warden reproduces on purpose: a master running with persistence off
// (--save "" --appendonly no) that restarts comes back with an empty
// dataset and a new replication ID. Its replicas reconnect, cannot
// partially resync (their replid is unknown to the new process, which has
// no backlog), and full-sync the EMPTY dataset: they delete all their data.
// Redis's documentation therefore says to disable automatic restarts of a
// master without persistence (or to let Sentinel promote a replica before
// the master comes back). The test checks exactly that: both replicas full
// sync and end with zero keys.
func TestMasterRestartWithoutPersistence(t *testing.T) {
	noPersist := []string{"--save", "", "--appendonly", "no"}
	m := wardenNode(t, noPersist...)
	r1 := wardenNode(t, replicaOfArgs(m)...)
	r2 := wardenNode(t, replicaOfArgs(m)...)
	mc, c1, c2 := newClient(t, m.Addr(), nil), newClient(t, r1.Addr(), nil), newClient(t, r2.Addr(), nil)
	ctx := ctxT(t)
	pipe := mc.Pipeline()
	for i := 0; i < 1000; i++ {
		pipe.Set(ctx, "k:"+strconv.Itoa(i), i, 0)
	}
	_, err := pipe.Exec(ctx)
	must(t, err)
	waitLinkUp(t, c1, m)
	waitLinkUp(t, c2, m)
	waitSynced(t, mc, c1, c2)
	eq(t, "replica DBSIZE before the restart", c1.DBSize(ctx).Val(), int64(1000))
	oldID := mustInfo(t, mc, "replication")["master_replid"]

	must(t, m.Signal(syscall.SIGTERM))
	if err := m.Wait(); err != nil {
		t.Fatalf("master exit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(m.Dir(), "dump.rdb")); err == nil {
		t.Fatal("a master with --save \"\" wrote dump.rdb on SIGTERM")
	}
	// The replicas still hold the data while the master is down.
	eq(t, "replica DBSIZE with the master down", c1.DBSize(ctx).Val(), int64(1000))

	m = wardenNode(t, append([]string{"--port", strconv.Itoa(m.Port()), "--dir", m.Dir()}, noPersist...)...)
	mc = newClient(t, m.Addr(), nil)
	waitStat(t, mc, "sync_full", 2)
	waitSynced(t, mc, c1, c2)
	mi := mustInfo(t, mc, "replication")
	if mi["master_replid"] == oldID {
		t.Errorf("restarted master kept replid %s", oldID)
	}
	eq(t, "restarted master sync_partial_ok", statInt(t, mc, "sync_partial_ok"), int64(0))
	for i, c := range []*redis.Client{c1, c2} {
		eq(t, fmt.Sprintf("replica %d DBSIZE after the restart (data lost, as in Redis)", i), c.DBSize(ctx).Val(), int64(0))
		eq(t, fmt.Sprintf("replica %d master_replid", i), mustInfo(t, c, "replication")["master_replid"], mi["master_replid"])
	}
}

// --- 4. full-sync benchmark -------------------------------------------------

// BenchmarkReplicationFullSync measures a full sync of a master holding
// exactly 1 000 000 keys to a fresh replica, warden → warden against
// redis-server → redis-server, alternating (warden, redis) for 3 rounds,
// and logs the medians: the time from REPLICAOF to master_link_status:up
// with the replica's offset equal to the master's. Both masters are loaded
// with DEBUG POPULATE 1000000 (key:<n> → value:<n>) and use diskless sync
// with repl-diskless-sync-delay 0 (Redis 7.0's default delay of 5 s would
// otherwise dominate). Run it alone:
//
//	go test -run '^$' -bench BenchmarkReplicationFullSync -benchtime 1x ./e2e/
func BenchmarkReplicationFullSync(b *testing.B) {
	syncArgs := []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"}
	type system struct {
		name    string
		master  *testutil.Proc
		replica func() *testutil.Proc
		times   []time.Duration
	}
	systems := []*system{
		{name: "warden", master: testutil.StartWarden(b, syncArgs...),
			replica: func() *testutil.Proc { return testutil.StartWarden(b) }},
		{name: "redis-server", master: testutil.StartRedis(b, syncArgs...),
			replica: func() *testutil.Proc { return testutil.StartRedis(b) }},
	}
	ctx := context.Background()
	for _, s := range systems {
		start := time.Now()
		c := newClient(b, s.master.Addr(), func(o *redis.Options) { o.ReadTimeout = time.Minute })
		must(b, c.Do(ctx, "debug", "populate", "1000000").Err())
		b.Logf("%s master loaded in %v: %d keys, used_memory %s", s.name, time.Since(start).Round(time.Millisecond),
			c.DBSize(ctx).Val(), mustInfo(b, c, "memory")["used_memory_human"])
	}
	b.ResetTimer()
	for round := 0; round < 3; round++ {
		for _, s := range systems {
			r := s.replica()
			rc := newClient(b, r.Addr(), nil)
			mc := newClient(b, s.master.Addr(), nil)
			start := time.Now()
			must(b, rc.Do(ctx, "replicaof", "127.0.0.1", strconv.Itoa(s.master.Port())).Err())
			testutil.WaitFor(b, 5*time.Minute, 10*time.Millisecond, func() (bool, string) {
				ri, err := info(ctx, rc, "replication")
				if err != nil {
					return false, err.Error()
				}
				mi, err := info(ctx, mc, "replication")
				if err != nil {
					return false, err.Error()
				}
				return ri["master_link_status"] == "up" && ri["master_repl_offset"] == mi["master_repl_offset"],
					fmt.Sprintf("link %s offset %s/%s", ri["master_link_status"], ri["master_repl_offset"], mi["master_repl_offset"])
			})
			el := time.Since(start)
			s.times = append(s.times, el)
			b.Logf("round %d %s: %v (replica %d keys)", round+1, s.name, el.Round(time.Millisecond), rc.DBSize(ctx).Val())
			r.Stop()
		}
	}
	b.StopTimer()
	for _, s := range systems {
		ts := append([]time.Duration(nil), s.times...)
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		b.Logf("%s full sync: median %v (runs %v)", s.name, ts[1].Round(time.Millisecond), s.times)
		b.ReportMetric(ts[1].Seconds(), s.name+"-median-s")
	}
}

// BenchmarkReplicationLag measures how far replicas trail their master
// under write load, warden (a warden master and two warden replicas)
// against redis-server (the same with redis-server), in alternating rounds
// (warden, redis, warden, redis, …; REPL_LAG_ROUNDS, default 3). Each round
// runs
//
//	redis-benchmark -t set -P 16 -c 50 -n 2000000 -r 1000000
//
// against the master while testutil.SampleLag reads the master's offset and
// each replica's own offset every 20 ms; then it times how long the
// replicas need to reach the master's final offset, and checks that all
// three DEBUG DIGESTs are equal. Run it alone:
//
//	go test -run '^$' -bench BenchmarkReplicationLag -benchtime 1x -v ./e2e/
func BenchmarkReplicationLag(b *testing.B) {
	bench := testutil.RequireBinary(b, "redis-benchmark")
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("REPL_LAG_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	type system struct {
		name     string
		master   *testutil.Proc
		replicas []*testutil.Proc
		worst    []time.Duration // per round: the worse replica's p99 lag
		maxLag   []time.Duration
		converge []time.Duration
		rps      []string
	}
	// No PINGs to the replicas while three DEBUG DIGESTs of a million keys
	// run (about 6 s each on redis-server): they would move the offset.
	args := []string{"--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0",
		"--repl-ping-replica-period", "3600", "--repl-timeout", "7200"}
	start := map[string]func(extra ...string) *testutil.Proc{
		"warden":       func(extra ...string) *testutil.Proc { return testutil.StartWarden(b, append(args, extra...)...) },
		"redis-server": func(extra ...string) *testutil.Proc { return testutil.StartRedis(b, append(args, extra...)...) },
	}
	var systems []*system
	for _, name := range []string{"warden", "redis-server"} {
		m := start[name]()
		s := &system{name: name, master: m}
		for i := 0; i < 2; i++ {
			s.replicas = append(s.replicas, start[name](replicaOfArgs(m)...))
		}
		systems = append(systems, s)
	}
	ctx := context.Background()
	b.ResetTimer()
	for round := 1; round <= rounds; round++ {
		for _, s := range systems {
			// DEBUG DIGEST of a million keys takes seconds.
			slow := func(o *redis.Options) { o.ReadTimeout = time.Minute }
			mc := newClient(b, s.master.Addr(), slow)
			var rcs []*redis.Client
			var raddrs []string
			for _, r := range s.replicas {
				rcs = append(rcs, newClient(b, r.Addr(), slow))
				raddrs = append(raddrs, r.Addr())
			}
			must(b, mc.Set(ctx, "round", round, 0).Err())
			waitSynced(b, mc, rcs...)
			lag := testutil.SampleLag(20*time.Millisecond, s.master.Addr(), raddrs...)
			out, err := exec.Command(bench, "-h", "127.0.0.1", "-p", strconv.Itoa(s.master.Port()),
				"-t", "set", "-P", "16", "-c", "50", "-n", "2000000", "-r", "1000000", "-q").CombinedOutput()
			if err != nil {
				b.Fatalf("redis-benchmark against %s: %v\n%s", s.name, err, out)
			}
			loadEnd := time.Now()
			final := mustInfo(b, mc, "replication")["master_repl_offset"]
			testutil.WaitFor(b, 2*time.Minute, 5*time.Millisecond, func() (bool, string) {
				for _, rc := range rcs {
					if off := mustInfo(b, rc, "replication")["slave_repl_offset"]; off != final {
						return false, fmt.Sprintf("%s at %s, master at %s", rc.Options().Addr, off, final)
					}
				}
				return true, ""
			})
			converged := time.Since(loadEnd)
			stats := lag.Stop()
			waitSynced(b, mc, rcs...)
			summary := strings.TrimSpace(string(out))
			if i := strings.LastIndexAny(summary, "\r\n"); i >= 0 {
				summary = summary[i+1:]
			}
			worst, maxLag := time.Duration(0), time.Duration(0)
			for i, st := range stats {
				b.Logf("round %d %s replica %d: %v", round, s.name, i+1, st)
				worst, maxLag = max(worst, st.P99), max(maxLag, st.Max)
			}
			b.Logf("round %d %s: %s; replicas at the master's offset %v after the load; digests equal",
				round, s.name, summary, converged.Round(time.Millisecond))
			s.worst = append(s.worst, worst)
			s.maxLag = append(s.maxLag, maxLag)
			s.converge = append(s.converge, converged)
			s.rps = append(s.rps, summary)
		}
	}
	b.StopTimer()
	median := func(d []time.Duration) time.Duration {
		d = append([]time.Duration(nil), d...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	for _, s := range systems {
		b.Logf("%s: p99 lag (worse replica) median %v, runs %v; max lag runs %v; converged median %v",
			s.name, median(s.worst).Round(time.Millisecond), roundAll(s.worst), roundAll(s.maxLag),
			median(s.converge).Round(time.Millisecond))
		b.ReportMetric(median(s.worst).Seconds()*1000, s.name+"-p99-lag-ms")
	}
}

func roundAll(d []time.Duration) []time.Duration {
	out := make([]time.Duration, len(d))
	for i, v := range d {
		out[i] = v.Round(time.Millisecond)
	}
	return out
}

package backend

// Replica-side tests: against a real redis-server 7.0 master (full sync in
// both framings, continuous writes, a killed link and its partial resync,
// a restart from the replica's own RDB, chained replicas, expiry), between
// warden nodes (promotion and re-pointing with PSYNC2), and against a
// scripted fake master that checks the wire protocol byte for byte.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/backend/rdb"
	"github.com/wardenhq/warden/internal/testutil"
)

// --- helpers ----------------------------------------------------------------

// startReplicaServer runs an in-process node replicating from masterPort.
// At cleanup the node is shut down and its link goroutines waited for, so
// that nothing still writes in its directory when the test removes it.
func startReplicaServer(t *testing.T, masterPort int, tweak func(*Options)) (*Server, string) {
	t.Helper()
	s, addr := startTestServer(t, func(o *Options) {
		o.MasterHost, o.MasterPort = "127.0.0.1", masterPort
		if tweak != nil {
			tweak(o)
		}
	})
	t.Cleanup(func() { stopReplicaSide(s) })
	return s, addr
}

func stopReplicaSide(s *Server) {
	s.Shutdown()
	done := make(chan struct{})
	go func() {
		s.repl.link.sessions.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

func client(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// info returns the fields of an INFO section.
func info(addr, section string) (map[string]string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 2 * time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	txt, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(txt, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m, nil
}

func infoNum(t testing.TB, addr, section, field string) int64 {
	t.Helper()
	m, err := info(addr, section)
	if err != nil {
		t.Fatalf("INFO %s on %s: %v", section, addr, err)
	}
	v, ok := m[field]
	if !ok {
		t.Fatalf("INFO %s on %s has no %s", section, addr, field)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("INFO %s %s = %q", section, field, v)
	}
	return n
}

// waitLinkUp waits until the replica at addr reports its master link up.
func waitLinkUp(t *testing.T, addr string, timeout time.Duration) {
	t.Helper()
	testutil.WaitFor(t, timeout, 50*time.Millisecond, func() (bool, string) {
		m, err := info(addr, "replication")
		if err != nil {
			return false, err.Error()
		}
		return m["master_link_status"] == "up", fmt.Sprintf("role=%s link=%s sync=%s", m["role"], m["master_link_status"], m["master_sync_in_progress"])
	})
}

// waitCaughtUp waits until the replica has applied everything the master
// produced.
func waitCaughtUp(t *testing.T, master, replica string, timeout time.Duration) {
	t.Helper()
	testutil.WaitFor(t, timeout, 50*time.Millisecond, func() (bool, string) {
		mm, err1 := info(master, "replication")
		rm, err2 := info(replica, "replication")
		if err1 != nil || err2 != nil {
			return false, fmt.Sprint(err1, err2)
		}
		return mm["master_repl_offset"] == rm["slave_repl_offset"] && rm["master_link_status"] == "up",
			fmt.Sprintf("master offset %s, replica applied %s (link %s)", mm["master_repl_offset"], rm["slave_repl_offset"], rm["master_link_status"])
	})
}

// populate fills a node with every type, in compact and in big encodings,
// in several databases, with and without TTLs.
func populate(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	for _, db := range []int{0, 3, 15} {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2})
		p := c.Pipeline()
		pre := fmt.Sprintf("d%d:", db)
		p.Set(ctx, pre+"s:small", "v", 0)
		p.Set(ctx, pre+"s:empty", "", 0)
		p.Set(ctx, pre+"s:int", "123456", 0)
		p.Set(ctx, pre+"s:neg", "-42", 0)
		p.Set(ctx, pre+"s:bin", "a\r\nb\x00c\xff", 0)
		p.Set(ctx, pre+"s:big", strings.Repeat("0123456789abcdef", 8<<10), 0) // 128 KB, LZF-compressible
		p.Set(ctx, pre+"s:ttl", "t", time.Hour)
		p.Set(ctx, pre+"s:soon", "gone", 300*time.Millisecond)
		p.RPush(ctx, pre+"l:small", "a", "b", "c", 1, 2)
		big := make([]any, 3000)
		for i := range big {
			big[i] = fmt.Sprintf("element-%d-%s", i, strings.Repeat("x", i%90))
		}
		p.RPush(ctx, pre+"l:big", big...)
		p.RPush(ctx, pre+"l:huge", strings.Repeat("L", 20000), "tail")
		ints := make([]any, 100)
		for i := range ints {
			ints[i] = i * 7
		}
		p.SAdd(ctx, pre+"set:int", ints...)
		p.SAdd(ctx, pre+"set:neg", -1, -70000, 1<<40)
		many := make([]any, 1000)
		for i := range many {
			many[i] = i
		}
		p.SAdd(ctx, pre+"set:bigint", many...)
		p.SAdd(ctx, pre+"set:str", "a", "b", "hello")
		p.HSet(ctx, pre+"h:small", "f1", "v1", "f2", 2, "f3", "")
		hf := make([]any, 0, 1200)
		for i := 0; i < 600; i++ { // above hash-max-listpack-entries (512)
			hf = append(hf, fmt.Sprintf("field%d", i), fmt.Sprintf("value%d", i))
		}
		p.HSet(ctx, pre+"h:big", hf...)
		p.HSet(ctx, pre+"h:longval", "f", strings.Repeat("v", 200))
		p.ZAdd(ctx, pre+"z:small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: -0.25, Member: "c"})
		zs := make([]redis.Z, 300)
		for i := range zs {
			zs[i] = redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("m%d", i)}
		}
		p.ZAdd(ctx, pre+"z:big", zs...)
		p.ZAdd(ctx, pre+"z:inf", redis.Z{Score: posInf, Member: "top"}, redis.Z{Score: negInf, Member: "bottom"}, redis.Z{Score: 0, Member: "zero"})
		p.ZAdd(ctx, pre+"z:longmember", redis.Z{Score: 1, Member: strings.Repeat("m", 100)})
		p.Expire(ctx, pre+"z:small", time.Hour)
		p.Expire(ctx, pre+"h:big", 2*time.Hour)
		if _, err := p.Exec(ctx); err != nil {
			c.Close()
			t.Fatalf("populate %s db %d: %v", addr, db, err)
		}
		c.Close()
	}
}

// writer runs varied writes (every type, several dbs, transactions,
// rewritten commands) against addr until stopped.
type writer struct {
	stop chan struct{}
	done chan struct{}
	n    atomic.Int64 // commands run
	err  error
}

func startWriter(addr string, seed uint64) *writer {
	w := &writer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(seed, 1))
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, PoolSize: 1})
		defer c.Close()
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			db := []int{0, 0, 0, 3, 15}[r.IntN(5)]
			k := fmt.Sprintf("w%d", r.IntN(50))
			var cmds [][]any
			switch r.IntN(14) {
			case 0:
				cmds = [][]any{{"set", "s:" + k, r.Int64()}}
			case 1:
				cmds = [][]any{{"incr", "c:" + k}}
			case 2:
				cmds = [][]any{{"incrbyfloat", "f:" + k, "1.5"}}
			case 3:
				cmds = [][]any{{"rpush", "l:" + k, r.IntN(1000), strings.Repeat("y", r.IntN(100))}}
			case 4:
				cmds = [][]any{{"lpop", "l:" + k}}
			case 5:
				cmds = [][]any{{"hset", "h:" + k, fmt.Sprint("f", r.IntN(20)), r.IntN(100)}}
			case 6:
				cmds = [][]any{{"sadd", "set:" + k, r.IntN(600)}}
			case 7:
				cmds = [][]any{{"spop", "set:" + k, 2}}
			case 8:
				cmds = [][]any{{"zadd", "z:" + k, r.Float64() * 100, fmt.Sprint("m", r.IntN(30))}}
			case 9:
				cmds = [][]any{{"expire", "s:" + k, 1000 + r.IntN(1000)}}
			case 10:
				cmds = [][]any{{"del", "c:" + k}}
			case 11:
				cmds = [][]any{{"multi"}, {"incr", "c:" + k}, {"rpush", "l:" + k, "tx"}, {"exec"}}
			case 12:
				cmds = [][]any{{"set", "e:" + k, "short", "px", 50 + r.IntN(200)}}
			case 13:
				cmds = [][]any{{"zincrby", "d0:z:big", 1, "m7"}, {"hincrby", "d0:h:small", "f2", 1}}
			}
			pipe := c.Pipeline()
			pipe.Do(ctx, "select", db)
			for _, cmd := range cmds {
				pipe.Do(ctx, cmd...)
			}
			if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil && !strings.HasPrefix(err.Error(), "WRONGTYPE") {
				w.err = err
				return
			}
			w.n.Add(1)
		}
	}()
	return w
}

// waitShortTTLGone waits until the master at addr has expired every
// short-TTL key the writer made (e:*, in the databases it uses).
func waitShortTTLGone(t testing.TB, addr string) {
	t.Helper()
	ctx := context.Background()
	testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		for _, db := range []int{0, 3, 15} {
			c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, MaxRetries: -1})
			// KEYS hides logically expired keys; DBSIZE counts them until
			// the master deletes them (and propagates the DEL).
			short, err1 := c.Keys(ctx, "e:*").Result()
			all, err2 := c.Keys(ctx, "*").Result()
			size, err3 := c.DBSize(ctx).Result()
			c.Close()
			if err := errors.Join(err1, err2, err3); err != nil || len(short) > 0 || size != int64(len(all)) {
				return false, fmt.Sprintf("db %d: %d short-TTL keys live, %d expired not yet deleted (%v)",
					db, len(short), size-int64(len(all)), err)
			}
		}
		return true, ""
	})
}

func (w *writer) Stop(t testing.TB) {
	t.Helper()
	close(w.stop)
	<-w.done
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
}

// --- warden replica of a real redis-server master -----------------------------

func TestReplicaSyncFromRedisMaster(t *testing.T) {
	for _, mode := range []string{"diskless", "disk"} {
		t.Run(mode, func(t *testing.T) {
			diskless := "yes"
			if mode == "disk" {
				diskless = "no"
			}
			master := testutil.StartRedis(t, "--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0")
			populate(t, master.Addr())
			s, addr := startReplicaServer(t, master.Port(), nil)
			waitLinkUp(t, addr, 20*time.Second)
			requireSameDataset(t, master.Addr(), addr, 20*time.Second)
			if got := infoNum(t, master.Addr(), "stats", "sync_full"); got != 1 {
				t.Fatalf("master sync_full = %d, want 1", got)
			}

			// Encodings survive the load: compact stays compact, big stays big.
			rc := client(t, addr)
			ctx := context.Background()
			for key, want := range map[string]string{"d0:set:int": "intset", "d0:set:bigint": "hashtable",
				"d0:h:small": "listpack", "d0:h:big": "hashtable", "d0:z:small": "listpack", "d0:z:big": "skiplist",
				"d0:l:big": "quicklist", "d0:s:int": "int", "d0:s:big": "raw"} {
				if enc, err := rc.ObjectEncoding(ctx, key).Result(); err != nil || enc != want {
					t.Errorf("OBJECT ENCODING %s = %q (%v), want %q", key, enc, err, want)
				}
			}

			w := startWriter(master.Addr(), 1)
			testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
				return w.n.Load() > 300, fmt.Sprintf("%d writes", w.n.Load())
			})
			partial := infoNum(t, master.Addr(), "stats", "sync_partial_ok")
			mc := client(t, master.Addr())
			if n, err := mc.ClientKillByFilter(ctx, "TYPE", "replica").Result(); err != nil || n != 1 {
				t.Fatalf("CLIENT KILL TYPE replica = %d, %v", n, err)
			}
			testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
				n := infoNum(t, master.Addr(), "stats", "sync_partial_ok")
				return n == partial+1, fmt.Sprintf("sync_partial_ok %d (was %d)", n, partial)
			})
			at := w.n.Load()
			testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
				return w.n.Load() > at+300, fmt.Sprintf("%d writes", w.n.Load())
			})
			w.Stop(t)
			waitCaughtUp(t, master.Addr(), addr, 20*time.Second)
			requireSameDataset(t, master.Addr(), addr, 20*time.Second)
			if got := infoNum(t, master.Addr(), "stats", "sync_full"); got != 1 {
				t.Fatalf("master sync_full = %d after the link kill, want 1 (a partial resync)", got)
			}
			mi, _ := info(master.Addr(), "replication")
			ri, _ := info(addr, "replication")
			if ri["master_replid"] != mi["master_replid"] || ri["master_repl_offset"] != mi["master_repl_offset"] {
				t.Fatalf("replica history %s/%s, master %s/%s", ri["master_replid"], ri["master_repl_offset"],
					mi["master_replid"], mi["master_repl_offset"])
			}
			_ = s
		})
	}
}

// TestReplicaRestartPartialResync: a replica restarted from its own RDB
// resumes with a partial resync (repl-id / repl-offset aux fields).
func TestReplicaRestartPartialResync(t *testing.T) {
	master := testutil.StartRedis(t, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	populate(t, master.Addr())
	dir := t.TempDir()
	tweak := func(o *Options) { o.Dir = dir }
	s1, addr := startReplicaServer(t, master.Port(), tweak)
	waitLinkUp(t, addr, 20*time.Second)
	w := startWriter(master.Addr(), 2)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) { return w.n.Load() > 200, "" })
	w.Stop(t)
	waitCaughtUp(t, master.Addr(), addr, 10*time.Second)
	ctx := context.Background()
	if err := client(t, addr).Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE on the replica: %v", err)
	}
	stopReplicaSide(s1)
	select {
	case <-s1.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("replica did not stop")
	}
	// Writes while it is down, within the master's backlog.
	w = startWriter(master.Addr(), 3)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) { return w.n.Load() > 100, "" })
	w.Stop(t)
	partial := infoNum(t, master.Addr(), "stats", "sync_partial_ok")

	_, addr = startReplicaServer(t, master.Port(), tweak)
	waitCaughtUp(t, master.Addr(), addr, 20*time.Second)
	if got := infoNum(t, master.Addr(), "stats", "sync_partial_ok"); got != partial+1 {
		t.Fatalf("sync_partial_ok = %d, want %d: the restarted replica did a full sync", got, partial+1)
	}
	if got := infoNum(t, master.Addr(), "stats", "sync_full"); got != 1 {
		t.Fatalf("sync_full = %d, want 1", got)
	}
	requireSameDataset(t, master.Addr(), addr, 20*time.Second)
}

// TestReplicaChained: redis master -> warden -> warden. The sub-replica
// receives the very stream its master applies: same replid and offsets.
func TestReplicaChained(t *testing.T) {
	master := testutil.StartRedis(t, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	populate(t, master.Addr())
	s1, addr1 := startReplicaServer(t, master.Port(), func(o *Options) { o.ReplDisklessSyncDelay = 0 })
	waitLinkUp(t, addr1, 20*time.Second)
	_, addr2 := startReplicaServer(t, s1.opts.Port, nil)
	waitLinkUp(t, addr2, 20*time.Second)
	w := startWriter(master.Addr(), 4)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) { return w.n.Load() > 300, "" })
	w.Stop(t)
	waitCaughtUp(t, master.Addr(), addr1, 10*time.Second)
	waitCaughtUp(t, addr1, addr2, 10*time.Second)
	requireSameDataset(t, master.Addr(), addr2, 20*time.Second)
	m, _ := info(master.Addr(), "replication")
	r2, _ := info(addr2, "replication")
	if r2["master_replid"] != m["master_replid"] || r2["master_repl_offset"] != m["master_repl_offset"] {
		t.Fatalf("sub-replica history %s/%s, master %s/%s", r2["master_replid"], r2["master_repl_offset"],
			m["master_replid"], m["master_repl_offset"])
	}
}

// TestReplicaKeepsExpiredKeys: a replica hides a logically expired key but
// deletes it only when the master's DEL arrives.
func TestReplicaKeepsExpiredKeys(t *testing.T) {
	master := testutil.StartRedis(t, "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0")
	ctx := context.Background()
	mc := client(t, master.Addr())
	if err := mc.Do(ctx, "debug", "set-active-expire", "0").Err(); err != nil {
		t.Fatal(err)
	}
	s, addr := startReplicaServer(t, master.Port(), nil)
	waitLinkUp(t, addr, 20*time.Second)
	mc.Set(ctx, "k", "v", 200*time.Millisecond)
	mc.Set(ctx, "other", "x", 0)
	waitCaughtUp(t, master.Addr(), addr, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	rc := client(t, addr)
	if v, err := rc.Get(ctx, "k").Result(); err != redis.Nil {
		t.Fatalf("GET of an expired key on the replica = %q, %v; want nil", v, err)
	}
	if n := rc.Exists(ctx, "k").Val(); n != 0 {
		t.Fatalf("EXISTS = %d", n)
	}
	// Still there: DBSIZE counts it, as on a real replica.
	if n := rc.DBSize(ctx).Val(); n != 2 {
		t.Fatalf("DBSIZE = %d, want 2 (the expired key is kept until the master's DEL)", n)
	}
	s.Lock()
	kept := s.DB(0).d.get("k") != nil
	s.Unlock()
	if !kept {
		t.Fatal("the replica deleted an expired key on its own")
	}
	// The master's lazy expiry propagates a DEL.
	mc.Get(ctx, "k")
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := rc.DBSize(ctx).Val()
		return n == 1, fmt.Sprintf("DBSIZE %d", n)
	})
}

// TestReplicaWardenPromotion: master + 2 replicas, all warden. Promote one
// replica, re-point the other to it, then demote the old master: both
// resynchronize partially (PSYNC2 replid2).
func TestReplicaWardenPromotion(t *testing.T) {
	// A PING the old master sends while the replicas move (every 10 s by
	// default) would put it one command past the history the promoted
	// replica knows, and its own resync would rightly be full, as in
	// Redis: the test keeps its master from pinging.
	m, maddr := startTestServer(t, func(o *Options) { o.ReplDisklessSyncDelay = 0; o.ReplPingPeriod = time.Hour })
	populate(t, maddr)
	r1, addr1 := startReplicaServer(t, m.opts.Port, func(o *Options) { o.ReplDisklessSyncDelay = 0 })
	_, addr2 := startReplicaServer(t, m.opts.Port, nil)
	waitLinkUp(t, addr1, 20*time.Second)
	waitLinkUp(t, addr2, 20*time.Second)
	w := startWriter(maddr, 5)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) { return w.n.Load() > 300, "" })
	w.Stop(t)
	// The master expires the writer's short-TTL keys, and propagates a DEL
	// for each, for a while after the writer stops; one that reached B but
	// not A before A's promotion would put B past A's history.
	waitShortTTLGone(t, maddr)
	waitCaughtUp(t, maddr, addr1, 10*time.Second)
	waitCaughtUp(t, maddr, addr2, 10*time.Second)
	requireSameDataset(t, maddr, addr1, 20*time.Second)

	ctx := context.Background()
	c1 := client(t, addr1)
	before, _ := info(addr1, "replication")
	if err := c1.Do(ctx, "replicaof", "no", "one").Err(); err != nil {
		t.Fatal(err)
	}
	after, _ := info(addr1, "replication")
	if after["role"] != "master" || after["master_replid2"] != before["master_replid"] ||
		after["second_repl_offset"] != strconv.Itoa(mustAtoi(t, before["master_repl_offset"])+1) {
		t.Fatalf("after REPLICAOF NO ONE: role=%s replid2=%s second=%s; before: replid=%s offset=%s", after["role"],
			after["master_replid2"], after["second_repl_offset"], before["master_replid"], before["master_repl_offset"])
	}
	if err := client(t, addr2).Do(ctx, "replicaof", "127.0.0.1", r1.opts.Port).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := infoNum(t, addr1, "stats", "sync_partial_ok")
		return n == 1, fmt.Sprintf("promoted replica sync_partial_ok %d", n)
	})
	if n := infoNum(t, addr1, "stats", "sync_full"); n != 0 {
		t.Fatalf("promoted replica sync_full = %d, want 0", n)
	}
	w = startWriter(addr1, 6)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) { return w.n.Load() > 200, "" })
	w.Stop(t)
	waitCaughtUp(t, addr1, addr2, 10*time.Second)
	requireSameDataset(t, addr1, addr2, 20*time.Second)

	// The old master, which wrote nothing since, follows the new one with
	// a partial resync too (its own replid is the new master's replid2).
	if err := client(t, maddr).Do(ctx, "replicaof", "127.0.0.1", r1.opts.Port).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopReplicaSide(m) })
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := infoNum(t, addr1, "stats", "sync_partial_ok")
		return n == 2, fmt.Sprintf("sync_partial_ok %d", n)
	})
	waitCaughtUp(t, addr1, maddr, 10*time.Second)
	requireSameDataset(t, addr1, maddr, 20*time.Second)
	if n := infoNum(t, addr1, "stats", "sync_full"); n != 0 {
		t.Fatalf("sync_full = %d, want 0", n)
	}
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// TestReplicaofFlag: the warden binary started with --replicaof follows a
// real master.
func TestReplicaofFlag(t *testing.T) {
	master := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	populate(t, master.Addr())
	rep := testutil.StartWarden(t, "--replicaof", "127.0.0.1 "+strconv.Itoa(master.Port()))
	waitLinkUp(t, rep.Addr(), 20*time.Second)
	requireSameDataset(t, master.Addr(), rep.Addr(), 20*time.Second)
}

// --- a scripted master ----------------------------------------------------------

// fakeMaster accepts replicas and lets the test drive each connection.
type fakeMaster struct {
	t     *testing.T
	ln    net.Listener
	conns chan net.Conn
}

func newFakeMaster(t *testing.T) *fakeMaster {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fm := &fakeMaster{t: t, ln: ln, conns: make(chan net.Conn, 4)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(fm.conns)
				return
			}
			fm.conns <- c
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return fm
}

func (fm *fakeMaster) port() int { return fm.ln.Addr().(*net.TCPAddr).Port }

// fakeLink is one replica connection seen from the fake master.
type fakeLink struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (fm *fakeMaster) accept() *fakeLink {
	fm.t.Helper()
	select {
	case c, ok := <-fm.conns:
		if !ok {
			fm.t.Fatal("fake master closed")
		}
		fm.t.Cleanup(func() { c.Close() })
		return &fakeLink{t: fm.t, c: c, r: bufio.NewReader(c)}
	case <-time.After(10 * time.Second):
		fm.t.Fatal("no replica connected to the fake master")
	}
	return nil
}

// readCommand reads one RESP command sent by the replica.
func (fl *fakeLink) readCommand() []string {
	fl.t.Helper()
	fl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := fl.r.ReadString('\n')
	if err != nil {
		fl.t.Fatalf("fake master read: %v", err)
	}
	if !strings.HasPrefix(line, "*") {
		return []string{strings.TrimRight(line, "\r\n")} // inline (SYNC) or a newline
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	args := make([]string, n)
	for i := range args {
		hdr, err := fl.r.ReadString('\n')
		if err != nil {
			fl.t.Fatalf("fake master read: %v", err)
		}
		size, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		b := make([]byte, size+2)
		if _, err := io.ReadFull(fl.r, b); err != nil {
			fl.t.Fatalf("fake master read: %v", err)
		}
		args[i] = string(b[:size])
	}
	return args
}

// expect reads one command and checks it.
func (fl *fakeLink) expect(want ...string) {
	fl.t.Helper()
	got := fl.readCommand()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		fl.t.Fatalf("replica sent %q, want %q", got, want)
	}
}

// expectSkippingNewlines reads commands, skipping the replica's "\n"
// keepalives, and checks the first real one.
func (fl *fakeLink) expectSkippingNewlines(want ...string) {
	fl.t.Helper()
	for {
		got := fl.readCommand()
		if len(got) == 1 && got[0] == "" {
			continue
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			fl.t.Fatalf("replica sent %q, want %q", got, want)
		}
		return
	}
}

// expectAck reads the replica's periodic ACKs until one reports off.
func (fl *fakeLink) expectAck(off int) {
	fl.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		got = fl.readCommand()
		if len(got) != 3 || got[0] != "REPLCONF" || got[1] != "ACK" {
			fl.t.Fatalf("replica sent %q, want REPLCONF ACK", got)
		}
		if got[2] == strconv.Itoa(off) {
			return
		}
	}
	fl.t.Fatalf("last ACK %q, want %d", got, off)
}

// expectNothing checks the replica sends nothing for d.
func (fl *fakeLink) expectNothing(d time.Duration) {
	fl.t.Helper()
	fl.c.SetReadDeadline(time.Now().Add(d))
	if b, err := fl.r.Peek(1); err == nil {
		fl.t.Fatalf("replica sent %q, want nothing", b)
	}
}

func (fl *fakeLink) send(s string) {
	fl.t.Helper()
	fl.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(fl.c, s); err != nil {
		fl.t.Fatalf("fake master write: %v", err)
	}
}

// handshake reads the replica's handshake, replying +OK, and returns the
// PSYNC arguments.
func (fl *fakeLink) handshake(listenPort int) []string {
	fl.t.Helper()
	fl.expect("PING")
	fl.send("+PONG\r\n")
	fl.expect("REPLCONF", "listening-port", strconv.Itoa(listenPort))
	fl.expect("REPLCONF", "capa", "eof", "capa", "psync2")
	fl.send("+OK\r\n+OK\r\n")
	return fl.readCommand()
}

func cmd(args ...string) string { return string(testutil.EncodeCommand(args...)) }

// testRDB is a small v10 RDB with the replication aux fields.
func testRDB(t *testing.T, replid string, offset int64) []byte {
	var b bytes.Buffer
	enc := rdb.NewEncoder(&b, rdb.EncoderOptions{Checksum: true})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(enc.WriteHeader())
	must(enc.WriteAux("redis-ver", "7.0.15"))
	must(enc.WriteAux("repl-stream-db", "0"))
	must(enc.WriteAux("repl-id", replid))
	must(enc.WriteAux("repl-offset", strconv.FormatInt(offset, 10)))
	must(enc.SelectDB(0, 2, 1))
	must(enc.WriteString([]byte("loaded"), []byte("yes"), rdb.NoExpiry))
	must(enc.WriteString([]byte("past"), []byte("expired-on-master-clock"), 1000)) // kept by a replica
	must(enc.SelectDB(2, 1, 0))
	must(enc.WriteList([]byte("list"), [][]byte{[]byte("a"), []byte("b")}, rdb.NoExpiry))
	must(enc.WriteEnd())
	return b.Bytes()
}

// TestReplicaProtocol drives a replica with a scripted master: the
// handshake as a 7.0 replica sends it, an $EOF: full sync with the
// immediate ACK, offsets (MULTI counted at EXEC, GETACK answered without
// its own bytes), the cached master and +CONTINUE with a new replid, a
// $<len> transfer whose command stream arrives in the same packet,
// -NOMASTERLINK, and repl-timeout.
func TestReplicaProtocol(t *testing.T) {
	fm := newFakeMaster(t)
	s, addr := startReplicaServer(t, fm.port(), func(o *Options) {
		o.MasterAuth, o.MasterUser = "secret", "repl"
		o.ReplicaAnnounceIP, o.ReplicaAnnouncePort = "10.1.2.3", 7777
		o.ReplTimeout = 2 * time.Second
	})
	ctx := context.Background()
	rc := client(t, addr)

	// 1. Handshake: PING alone, then AUTH and the REPLCONFs pipelined;
	// PSYNC only once all of them are answered.
	fl := fm.accept()
	fl.expect("PING")
	fl.send("-NOAUTH Authentication required.\r\n")
	fl.expect("AUTH", "repl", "secret")
	fl.expect("REPLCONF", "listening-port", "7777")
	fl.expect("REPLCONF", "ip-address", "10.1.2.3")
	fl.expect("REPLCONF", "capa", "eof", "capa", "psync2")
	fl.expectNothing(200 * time.Millisecond)
	fl.send("+OK\r\n+OK\r\n+OK\r\n")
	fl.expectNothing(200 * time.Millisecond)
	fl.send("-ERR Unrecognized REPLCONF option: capa\r\n") // not fatal
	fl.expect("PSYNC", "?", "-1")
	role := rc.Do(ctx, "role").Val()
	if fmt.Sprint(role) != fmt.Sprintf("[slave 127.0.0.1 %d handshake -1]", fm.port()) {
		t.Errorf("ROLE during the handshake = %v", role)
	}

	// 2. Diskless full sync; nothing may follow the mark before the ACK.
	id1 := strings.Repeat("a", 40)
	mark := strings.Repeat("m", 40)
	fl.send("\n+FULLRESYNC " + id1 + " 100\r\n\n\n")
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		m, _ := info(addr, "replication")
		return m["master_sync_in_progress"] == "1" && m["master_sync_total_bytes"] == "-1", fmt.Sprint(m)
	})
	payload := testRDB(t, id1, 100)
	fl.send("$EOF:" + mark + "\r\n")
	fl.send(string(payload[:10]))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		m, _ := info(addr, "replication")
		return m["master_sync_read_bytes"] == "10" && m["master_sync_total_bytes"] == "0", fmt.Sprint(m)
	})
	fl.send(string(payload[10:]) + mark[:20])
	fl.send(mark[20:])
	fl.expect("REPLCONF", "ACK", "100")
	if v := rc.Get(ctx, "loaded").Val(); v != "yes" {
		t.Fatalf("after the full sync GET loaded = %q", v)
	}

	// 3. The stream. SELECT is 23 bytes, the SET 31, the PING 14, the
	// transaction 83, GETACK 37: the ACK answers 100+151.
	stream := cmd("SELECT", "0") + cmd("SET", "foo", "bar") + cmd("PING") +
		cmd("MULTI") + cmd("SET", "a", "1") + cmd("INCR", "a") + cmd("EXEC")
	fl.send(stream[:len(stream)-5]) // EXEC still incomplete: the transaction is not applied
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		m, _ := info(addr, "replication")
		return m["slave_read_repl_offset"] == strconv.Itoa(100+len(stream)-5) && m["slave_repl_offset"] == "168", fmt.Sprint(m)
	})
	fl.send(stream[len(stream)-5:] + cmd("REPLCONF", "GETACK", "*"))
	fl.expect("REPLCONF", "ACK", strconv.Itoa(100+len(stream)))
	off := 100 + len(stream) + 37
	if v := rc.Get(ctx, "a").Val(); v != "2" {
		t.Fatalf("GET a = %q", v)
	}
	// Keys the master still sees are live for its commands, whatever the
	// replica's clock says; readers on the replica do not see them.
	past := strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	more := cmd("SET", "cnt", "5", "PXAT", past) + cmd("INCR", "cnt") + cmd("APPEND", "past", "!")
	fl.send(more)
	off += len(more)
	fl.expectAck(off) // the 1 s ACK
	if _, err := rc.Get(ctx, "cnt").Result(); err != redis.Nil {
		t.Fatalf("GET of a key expired on the replica's clock: %v", err)
	}
	s.Lock()
	e := s.DB(0).d.get("cnt")
	p := s.DB(0).d.get("past")
	s.Unlock()
	if e == nil || string(e.str) != "6" || p == nil || string(p.str) != "expired-on-master-clock!" {
		t.Fatalf("the master's commands did not see its keys: cnt=%v past=%v", e, p)
	}
	ri, _ := info(addr, "replication")
	for k, v := range map[string]string{"role": "slave", "master_link_status": "up", "master_replid": id1,
		"slave_repl_offset": strconv.Itoa(off), "master_repl_offset": strconv.Itoa(off), "master_sync_in_progress": "0",
		"slave_priority": "100", "slave_read_only": "1", "replica_announced": "1"} {
		if ri[k] != v {
			t.Errorf("INFO %s = %q, want %q", k, ri[k], v)
		}
	}
	if got := fmt.Sprint(rc.Do(ctx, "role").Val()); got != fmt.Sprintf("[slave 127.0.0.1 %d connected %d]", fm.port(), off) {
		t.Errorf("ROLE = %s", got)
	}

	// 4. The master client is listed and can be killed like any client;
	// the cached master then asks for the next byte, and +CONTINUE with a
	// new id makes the old one replid2.
	kc := testutil.Dial(t, addr)
	if got := string(kc.Do("CLIENT", "LIST", "TYPE", "master")); !strings.Contains(got, " flags=M ") {
		t.Errorf("CLIENT LIST TYPE master = %q", got)
	}
	if got := string(kc.Do("CLIENT", "KILL", "TYPE", "master")); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL TYPE master = %q", got)
	}
	fl.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := fl.r.ReadByte(); err != nil {
			break // closed by the replica (ACKs may come first)
		}
	}
	fl = fm.accept()
	fl.expect("PING")
	fl.send("+PONG\r\n")
	fl.expect("AUTH", "repl", "secret")
	fl.expect("REPLCONF", "listening-port", "7777")
	fl.expect("REPLCONF", "ip-address", "10.1.2.3")
	fl.expect("REPLCONF", "capa", "eof", "capa", "psync2")
	fl.send("+OK\r\n+OK\r\n+OK\r\n+OK\r\n")
	fl.expect("PSYNC", id1, strconv.Itoa(off+1))
	id2 := strings.Repeat("b", 40)
	fl.send("+CONTINUE " + id2 + "\r\n" + cmd("SET", "after", "continue"))
	second := off + 1
	off += len(cmd("SET", "after", "continue"))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		m, _ := info(addr, "replication")
		return m["master_replid"] == id2 && m["master_replid2"] == id1 && m["second_repl_offset"] == strconv.Itoa(second) &&
			m["slave_repl_offset"] == strconv.Itoa(off), fmt.Sprint(m)
	})

	// 5. repl-timeout (2 s here): a silent master is dropped, and the
	// reconnection gets -NOMASTERLINK, then a $<len> full sync whose
	// stream follows the payload in the same write.
	fl.expectAck(off)
	start := time.Now()
	fl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := fl.r.ReadByte(); err != nil {
			break // closed by the replica
		}
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 6*time.Second {
		t.Errorf("the silent master was dropped after %v, want about repl-timeout (2s)", d)
	}
	m, _ := info(addr, "replication")
	if m["master_link_status"] != "down" || m["master_link_down_since_seconds"] == "" || m["slave_repl_offset"] != strconv.Itoa(off) {
		t.Errorf("INFO after the link loss: %v", m)
	}
	fl = fm.accept()
	fl.expect("PING")
	fl.send("+PONG\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n")
	for i := 0; i < 4; i++ {
		fl.readCommand()
	}
	fl.expect("PSYNC", id2, strconv.Itoa(off+1))
	fl.send("-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
	fl = fm.accept()
	fl.expect("PING")
	fl.send("+PONG\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n")
	for i := 0; i < 4; i++ {
		fl.readCommand()
	}
	fl.expect("PSYNC", id2, strconv.Itoa(off+1))
	id3 := strings.Repeat("c", 40)
	payload = testRDB(t, id3, 5000)
	fl.send("+FULLRESYNC " + id3 + " 5000\r\n$" + strconv.Itoa(len(payload)) + "\r\n" + string(payload) +
		cmd("SELECT", "2") + cmd("RPUSH", "list", "c"))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		m, _ := info(addr, "replication")
		return m["slave_repl_offset"] == strconv.Itoa(5000+len(cmd("SELECT", "2"))+len(cmd("RPUSH", "list", "c"))) && m["master_replid"] == id3 &&
			m["master_replid2"] == strings.Repeat("0", 40), fmt.Sprint(m)
	})
	c2 := redis.NewClient(&redis.Options{Addr: addr, DB: 2, Protocol: 2})
	defer c2.Close()
	if got := c2.LRange(ctx, "list", 0, -1).Val(); fmt.Sprint(got) != "[a b c]" {
		t.Fatalf("list after the $len sync = %v", got)
	}
	if n := rc.Exists(ctx, "foo", "after").Val(); n != 0 {
		t.Fatalf("the old dataset survived a full sync (%d keys)", n)
	}
	// The received file became the replica's own RDB.
	if aux := s.LoadedAux(); aux["repl-id"] != id3 {
		t.Fatalf("loaded aux = %v", aux)
	}
}

// TestReplicaofCommand covers REPLICAOF's replies and the role changes it
// makes on one node.
func TestReplicaofCommand(t *testing.T) {
	fm := newFakeMaster(t)
	s, addr := startTestServer(t, nil)
	t.Cleanup(func() { stopReplicaSide(s) })
	c := testutil.Dial(t, addr)
	check := func(got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	check(c.Do("REPLICAOF", "no", "one"), "+OK\r\n")
	check(c.Do("REPLICAOF", "127.0.0.1", "65536"), "-ERR Invalid master port\r\n")
	check(c.Do("REPLICAOF", "127.0.0.1", "x"), "-ERR Invalid master port\r\n")
	check(c.Do("SET", "k", "v"), "+OK\r\n")
	before, _ := info(addr, "replication")
	port := strconv.Itoa(fm.port())
	check(c.Do("SLAVEOF", "127.0.0.1", port), "+OK\r\n")
	check(c.Do("REPLICAOF", "127.0.0.1", port), "+OK Already connected to specified master\r\n")
	check(c.Do("SET", "k", "v"), "-READONLY You can't write against a read only replica.\r\n")
	check(c.Do("GET", "k"), "$1\r\nv\r\n") // the data stays until a sync replaces it
	// A demoted master asks for its own history.
	fl := fm.accept()
	psync := fl.handshake(s.opts.Port)
	want := []string{"PSYNC", before["master_replid"], strconv.Itoa(mustAtoi(t, before["master_repl_offset"]) + 1)}
	if fmt.Sprint(psync) != fmt.Sprint(want) {
		t.Fatalf("demoted master sent %q, want %q", psync, want)
	}
	m, _ := info(addr, "replication")
	if m["master_link_status"] != "down" || m["master_link_down_since_seconds"] != "-1" || m["slave_repl_offset"] != before["master_repl_offset"] {
		t.Fatalf("INFO while waiting for PSYNC: %v", m)
	}
	check(c.Do("CONFIG", "SET", "replica-read-only", "no"), "+OK\r\n")
	check(c.Do("SET", "k", "w"), "+OK\r\n")
	check(c.Do("REPLICAOF", "NO", "ONE"), "+OK\r\n")
	after, _ := info(addr, "replication")
	if after["role"] != "master" || after["master_replid2"] != before["master_replid"] || after["master_replid"] == before["master_replid"] {
		t.Fatalf("after the promotion: %v (before %v)", after, before)
	}
	check(c.Do("ROLE"), "*3\r\n$6\r\nmaster\r\n:"+after["master_repl_offset"]+"\r\n*0\r\n")
	// The session is over: the fake master sees the link close.
	fl.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := fl.r.ReadByte(); err == nil {
		t.Fatal("the link to the old master stayed open")
	}
}

// TestReplicaLoadingState: while the received RDB loads, INFO says so and
// commands without the loading flag get -LOADING.
func TestReplicaLoadingState(t *testing.T) {
	fm := newFakeMaster(t)
	entered, release := make(chan struct{}), make(chan struct{})
	replicaLoadingHook = func() {
		close(entered)
		<-release
	}
	t.Cleanup(func() { replicaLoadingHook = nil })
	s, addr := startReplicaServer(t, fm.port(), nil)
	fl := fm.accept()
	fl.handshake(s.opts.Port)
	id := strings.Repeat("d", 40)
	payload := testRDB(t, id, 0)
	fl.send("+FULLRESYNC " + id + " 0\r\n$" + strconv.Itoa(len(payload)) + "\r\n" + string(payload))
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the load did not start")
	}
	c := testutil.Dial(t, addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "x"}, "-LOADING Redis is loading the dataset in memory\r\n"},
		{[]string{"PING"}, "-LOADING Redis is loading the dataset in memory\r\n"},
		{[]string{"REPLICAOF", "no", "one"}, "-LOADING Redis is loading the dataset in memory\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"GET", "x"}, "-LOADING Redis is loading the dataset in memory\r\n"},
		{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"},
	} {
		if got := string(c.Do(tc.args...)); got != tc.want {
			t.Errorf("%v while loading = %q, want %q", tc.args, got, tc.want)
		}
	}
	if got := string(c.Do("INFO", "persistence")); !strings.Contains(got, "loading:1\r\n") {
		t.Errorf("INFO while loading: %q", got)
	}
	if got := string(c.Do("INFO", "replication")); !strings.Contains(got, "master_sync_in_progress:1\r\n") ||
		!strings.Contains(got, "master_link_status:down\r\n") {
		t.Errorf("INFO while loading: %q", got)
	}
	// The old data is already gone: nothing stale is served meanwhile.
	if got := string(c.Do("DBSIZE")); got != "-LOADING Redis is loading the dataset in memory\r\n" {
		t.Errorf("DBSIZE while loading = %q", got)
	}
	close(release)
	waitLinkUp(t, addr, 5*time.Second)
	if got := string(c.Do("GET", "loaded")); got != "$3\r\nyes\r\n" {
		t.Errorf("GET after the load = %q", got)
	}
	if got := string(c.Do("INFO", "persistence")); !strings.Contains(got, "loading:0\r\n") {
		t.Errorf("INFO after loading: %q", got)
	}
}

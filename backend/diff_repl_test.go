package backend

// Interop of warden's master side with real redis-server 7.0 replicas:
// full sync (disk and diskless) of every data type in small and large
// encodings, the live stream, partial resync after a link kill, WAIT and
// min-replicas-to-write compared with a real master.

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

// startReplServer is startTestServer with replication-friendly defaults:
// diskless syncs start at once instead of waiting for more replicas.
func startReplServer(t testing.TB, tweak func(*Options)) (*Server, string) {
	t.Helper()
	return startTestServer(t, func(o *Options) {
		o.ReplDisklessSyncDelay = 0
		if tweak != nil {
			tweak(o)
		}
	})
}

func replClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
}

// infoFields parses INFO <section> into a map.
func replInfo(t testing.TB, addr, section string) map[string]string {
	t.Helper()
	c := replClient(addr)
	defer c.Close()
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s on %s: %v", section, addr, err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func infoInt(t testing.TB, addr, section, field string) int64 {
	t.Helper()
	v, ok := replInfo(t, addr, section)[field]
	if !ok {
		t.Fatalf("INFO %s on %s has no %s", section, addr, field)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("INFO %s:%s = %q", section, field, v)
	}
	return n
}

// waitReplicaInSync waits until the replica's link is up and its applied
// offset equals the master's.
func waitReplicaInSync(t testing.TB, master, replica string, timeout time.Duration) {
	t.Helper()
	testutil.WaitFor(t, timeout, 50*time.Millisecond, func() (bool, string) {
		r := replInfo(t, replica, "replication")
		m := replInfo(t, master, "replication")
		if r["master_link_status"] != "up" {
			return false, "replica link " + r["master_link_status"]
		}
		if r["slave_repl_offset"] != m["master_repl_offset"] {
			return false, fmt.Sprintf("replica offset %s, master %s", r["slave_repl_offset"], m["master_repl_offset"])
		}
		return true, ""
	})
}

// populateAllTypes writes every data type in small (listpack/intset) and
// large (quicklist/hashtable/skiplist) encodings, with and without TTLs,
// in several databases.
func populateAllTypes(t testing.TB, addr string) {
	t.Helper()
	ctx := context.Background()
	for _, db := range []int{0, 3, 15} {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2})
		p := c.Pipeline()
		pre := fmt.Sprintf("d%d:", db)
		p.Set(ctx, pre+"int", 12345, 0)
		p.Set(ctx, pre+"neg", -987654321012, 0)
		p.Set(ctx, pre+"short", "hello", 0)
		p.Set(ctx, pre+"embstr-edge", strings.Repeat("e", 44), 0)
		p.Set(ctx, pre+"raw", strings.Repeat("r", 45), 0)
		p.Set(ctx, pre+"big", strings.Repeat("0123456789", 20000), 0)
		p.Set(ctx, pre+"bin", "\x00\x01\xff\r\n\x7f", 0)
		p.Set(ctx, pre+"ttl", "v", time.Hour)
		p.Set(ctx, pre+"float", "3.14159", 0)
		p.RPush(ctx, pre+"list-small", "a", "b", "1", "2", "-3")
		for i := 0; i < 600; i += 100 {
			args := make([]any, 0, 100)
			for j := i; j < i+100; j++ {
				args = append(args, fmt.Sprintf("item-%d-%s", j, strings.Repeat("x", j%70)))
			}
			p.RPush(ctx, pre+"list-large", args...)
		}
		p.RPush(ctx, pre+"list-bigelem", strings.Repeat("L", 9000), "s")
		p.SAdd(ctx, pre+"set-int", 1, 2, 3, -4, 1000000)
		p.SAdd(ctx, pre+"set-small", "a", "b", "c")
		for i := 0; i < 1000; i += 100 {
			args := make([]any, 0, 100)
			for j := i; j < i+100; j++ {
				args = append(args, fmt.Sprintf("m%d", j))
			}
			p.SAdd(ctx, pre+"set-large", args...)
		}
		ints := make([]any, 0, 700)
		for j := 0; j < 700; j++ {
			ints = append(ints, j*7)
		}
		p.SAdd(ctx, pre+"set-intlarge", ints...)
		p.HSet(ctx, pre+"hash-small", "f1", "v1", "f2", "2", "f3", "")
		for i := 0; i < 300; i++ {
			p.HSet(ctx, pre+"hash-large", fmt.Sprintf("field%d", i), strings.Repeat("v", i))
		}
		p.HSet(ctx, pre+"hash-bigval", "f", strings.Repeat("H", 100))
		p.ZAdd(ctx, pre+"zset-small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: -2.5, Member: "b"}, redis.Z{Score: 1e20, Member: "c"})
		for i := 0; i < 400; i++ {
			p.ZAdd(ctx, pre+"zset-large", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("member%d", i)})
		}
		p.ZAdd(ctx, pre+"zset-inf", redis.Z{Score: math.Inf(-1), Member: "ninf"}, redis.Z{Score: math.Inf(1), Member: "pinf"})
		p.HSet(ctx, pre+"hash-ttl", "a", "b")
		p.Expire(ctx, pre+"hash-ttl", 2*time.Hour)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("populate db %d: %v", db, err)
		}
		c.Close()
	}
}

// writeLoad runs a mix of writes of every family on addr until stop is
// closed; it returns the number of commands sent.
func writeLoad(addr string, seed int64, stop <-chan struct{}) (int, error) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	rng := rand.New(rand.NewSource(seed))
	n := 0
	for {
		select {
		case <-stop:
			return n, nil
		default:
		}
		p := c.Pipeline()
		for i := 0; i < 20; i++ {
			k := fmt.Sprintf("load:%d", rng.Intn(200))
			switch rng.Intn(14) {
			case 0:
				p.Set(ctx, k+":s", rng.Int(), 0)
			case 1:
				p.Incr(ctx, k+":n")
			case 2:
				p.IncrByFloat(ctx, k+":f", 1.5)
			case 3:
				p.RPush(ctx, k+":l", rng.Intn(100))
			case 4:
				p.LPop(ctx, k+":l")
			case 5:
				p.SAdd(ctx, k+":set", rng.Intn(50))
			case 6:
				p.SPop(ctx, k+":set")
			case 7:
				p.HSet(ctx, k+":h", fmt.Sprint(rng.Intn(20)), rng.Int())
			case 8:
				p.ZAdd(ctx, k+":z", redis.Z{Score: float64(rng.Intn(1000)), Member: fmt.Sprint(rng.Intn(30))})
			case 9:
				p.Expire(ctx, k+":s", time.Duration(100+rng.Intn(1000))*time.Second)
			case 10:
				p.Set(ctx, k+":ex", "v", time.Duration(1+rng.Intn(500))*time.Second)
			case 11:
				p.Del(ctx, k+":s")
			case 12:
				p.Do(ctx, "select", rng.Intn(3))
				p.Set(ctx, k+":other", rng.Int(), 0)
				p.Do(ctx, "select", 0)
			case 13:
				p.ZPopMin(ctx, k+":z")
			}
			n++
		}
		if _, err := p.Exec(ctx); err != nil && err != redis.Nil && !strings.Contains(err.Error(), "WRONGTYPE") {
			return n, err
		}
	}
}

func TestDiffReplRealReplicaSync(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	for _, diskless := range []bool{true, false} {
		t.Run(fmt.Sprintf("diskless=%v", diskless), func(t *testing.T) {
			s, maddr := startReplServer(t, func(o *Options) {
				o.ReplDisklessSync = diskless
				// The load below runs for a fixed time, so how much it
				// writes depends on the machine's speed: the backlog must
				// hold it all for the partial resync to be possible.
				o.ReplBacklogSize = 256 << 20
			})
			mport := strconv.Itoa(s.opts.Port)
			populateAllTypes(t, maddr)

			// The live stream: writes running while the replica syncs.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var loadErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, loadErr = writeLoad(maddr, 1, stop)
			}()
			rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", mport)
			time.Sleep(500 * time.Millisecond)
			close(stop)
			wg.Wait()
			if loadErr != nil {
				t.Fatalf("write load: %v", loadErr)
			}
			waitReplicaInSync(t, maddr, rep.Addr(), 20*time.Second)
			requireSameDataset(t, maddr, rep.Addr(), 5*time.Second)
			st := replInfo(t, maddr, "stats")
			if st["sync_full"] != "1" {
				t.Fatalf("sync_full = %s, want 1", st["sync_full"])
			}
			if !strings.Contains(rep.Output(), "MASTER <-> REPLICA sync: Finished with success") {
				t.Fatalf("replica log has no sync success:\n%s", rep.Output())
			}

			// Kill the link while the replica is stopped, write, then let
			// it reconnect: the writes it missed can only come from the
			// backlog, through a partial resync.
			mc := replClient(maddr)
			defer mc.Close()
			ctx := context.Background()
			if err := rep.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rep.Signal(syscall.SIGCONT) })
			if n, err := mc.Do(ctx, "client", "kill", "type", "replica").Int(); err != nil || n != 1 {
				t.Fatalf("CLIENT KILL TYPE replica = %d, %v", n, err)
			}
			offBefore := infoInt(t, maddr, "replication", "master_repl_offset")
			for i := 0; i < 100; i++ {
				mc.Set(ctx, fmt.Sprintf("after-kill:%d", i), i, 0)
			}
			stop = make(chan struct{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, loadErr = writeLoad(maddr, 2, stop)
			}()
			time.Sleep(300 * time.Millisecond)
			close(stop)
			wg.Wait()
			if loadErr != nil {
				t.Fatalf("write load: %v", loadErr)
			}
			missed := infoInt(t, maddr, "replication", "master_repl_offset") - offBefore
			if missed <= 0 {
				t.Fatalf("no stream produced while the replica was away")
			}
			if err := rep.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			waitReplicaInSync(t, maddr, rep.Addr(), 20*time.Second)
			st = replInfo(t, maddr, "stats")
			if st["sync_partial_ok"] != "1" || st["sync_full"] != "1" {
				t.Fatalf("after link kill: sync_partial_ok=%s sync_full=%s, want 1 and 1", st["sync_partial_ok"], st["sync_full"])
			}
			if !strings.Contains(rep.Output(), "Successful partial resynchronization with master") {
				t.Fatalf("replica log has no partial resync:\n%s", rep.Output())
			}
			requireSameDataset(t, maddr, rep.Addr(), 5*time.Second)
			if strings.Contains(rep.Output(), "CRITICAL") {
				t.Fatalf("the replica rejected part of the stream:\n%s", rep.Output())
			}
			if os.Getenv("WARDEN_TEST_LOG") != "" {
				t.Log(rep.Output())
			}
		})
	}
}

// TestDiffReplMasterCommands compares, byte for byte with a real master in
// the same configuration, the replies of the master-side commands without
// replicas: NOREPLICAS, WAIT, REPLCONF, PSYNC argument errors, ROLE and
// FAILOVER's errors.
func TestDiffReplMasterCommands(t *testing.T) {
	real := testutil.StartRedis(t, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
	_, addr := startReplServer(t, func(o *Options) { o.MinReplicasToWrite = 1; o.MinReplicasMaxLag = 10 * time.Second })
	steps := []testutil.Step{
		{Args: []string{"SET", "k", "v"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"INCR", "n"}},
		{Args: []string{"MULTI"}},
		{Args: []string{"SET", "k", "v"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"EXEC"}},
		{Args: []string{"MULTI"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"WAIT", "1", "0"}},
		{Args: []string{"EXEC"}},
		{Args: []string{"PUBLISH", "ch", "m"}},
		{Args: []string{"WAIT", "0", "0"}},
		{Args: []string{"WAIT", "1", "50"}},
		{Args: []string{"WAIT", "x", "0"}},
		{Args: []string{"WAIT", "1", "x"}},
		{Args: []string{"WAIT", "1", "-5"}},
		{Args: []string{"WAIT", "1"}},
		{Args: []string{"ROLE"}},
		{Args: []string{"ROLE", "x"}},
		{Args: []string{"REPLCONF"}},
		{Args: []string{"REPLCONF", "listening-port"}},
		{Args: []string{"REPLCONF", "listening-port", "abc"}},
		{Args: []string{"REPLCONF", "listening-port", "1234", "capa", "eof", "capa", "psync2", "capa", "other"}},
		{Args: []string{"REPLCONF", "ip-address", strings.Repeat("x", 300)}},
		{Args: []string{"REPLCONF", "bogus", "1"}},
		{Args: []string{"REPLCONF", "rdb-only", "5"}},
		{Args: []string{"REPLCONF", "rdb-only", "x"}},
		{Args: []string{"PING"}},
		{Args: []string{"PSYNC", "?", "abc"}},
		{Args: []string{"PSYNC", "?"}},
		{Args: []string{"SYNC", "x"}},
		{Args: []string{"FAILOVER", "ABORT"}},
		{Args: []string{"FAILOVER"}},
		{Args: []string{"FAILOVER", "TIMEOUT", "0"}},
		{Args: []string{"FAILOVER", "TIMEOUT", "-1"}},
		{Args: []string{"FAILOVER", "TIMEOUT", "x"}},
		{Args: []string{"FAILOVER", "TO", "127.0.0.1"}},
		{Args: []string{"FAILOVER", "TO", "127.0.0.1", "x"}},
		{Args: []string{"FAILOVER", "FORCE"}},
		{Args: []string{"FAILOVER", "FORCE", "FORCE"}},
		{Args: []string{"FAILOVER", "bogus"}},
		{Args: []string{"FAILOVER", "TO", "127.0.0.1", "1", "TIMEOUT", "10", "FORCE"}},
	}
	for _, proto := range []int{2, 3} {
		testutil.RunScript(t, addr, real.Addr(), proto, steps)
	}
	// INFO replication: same fields in the same order.
	names := func(a string) []string {
		c := replClient(a)
		defer c.Close()
		s, err := c.Info(context.Background(), "replication").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(s, "\r\n") {
			if k, _, ok := strings.Cut(l, ":"); ok {
				out = append(out, k)
			}
		}
		return out
	}
	if a, b := names(addr), names(real.Addr()); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("INFO replication fields:\nwarden %v\nredis  %v", a, b)
	}
}

// TestDiffReplInfoWithReplica compares INFO replication and ROLE of a
// warden master and a real master, each with one real replica: same fields
// in the same order, same slave0 shape.
func TestDiffReplInfoWithReplica(t *testing.T) {
	realM := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	s, addr := startReplServer(t, nil)
	repW := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(s.opts.Port))
	repR := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(realM.Port()))
	for _, m := range []string{addr, realM.Addr()} {
		c := replClient(m)
		c.Set(context.Background(), "k", "v", 0)
		c.Close()
	}
	waitReplicaInSync(t, addr, repW.Addr(), 20*time.Second)
	waitReplicaInSync(t, realM.Addr(), repR.Addr(), 20*time.Second)
	shape := func(a string, replicaPort int) string {
		c := replClient(a)
		defer c.Close()
		s, err := c.Info(context.Background(), "replication").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(s, "\r\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			switch k {
			case "slave0":
				v = strings.Replace(v, strconv.Itoa(replicaPort), "PORT", 1)
				v = v[:strings.Index(v, ",offset=")]
				out = append(out, k+":"+v)
			case "role", "connected_slaves", "master_failover_state", "master_replid2", "second_repl_offset",
				"repl_backlog_active", "repl_backlog_size", "repl_backlog_first_byte_offset":
				out = append(out, l)
			default:
				out = append(out, k)
			}
		}
		role, err := c.Do(context.Background(), "role").Slice()
		if err != nil {
			t.Fatal(err)
		}
		reps := role[2].([]any)
		return strings.Join(out, "\n") + fmt.Sprintf("\nrole %v %d replicas, port %v", role[0], len(reps), reps[0].([]any)[1] == strconv.Itoa(replicaPort))
	}
	if a, b := shape(addr, repW.Port()), shape(realM.Addr(), repR.Port()); a != b {
		t.Fatalf("INFO replication / ROLE with one replica:\nwarden:\n%s\nredis:\n%s", a, b)
	}
	// WAIT with one real replica: the write is acknowledged by one
	// replica, never by two.
	for _, m := range []string{addr, realM.Addr()} {
		c := replClient(m)
		ctx := context.Background()
		c.Set(ctx, "w", "1", 0)
		if n, err := c.Do(ctx, "wait", "1", "5000").Int(); err != nil || n != 1 {
			t.Errorf("%s: WAIT 1 5000 = %d, %v", m, n, err)
		}
		c.Set(ctx, "w", "2", 0)
		if n, err := c.Do(ctx, "wait", "2", "300").Int(); err != nil || n != 1 {
			t.Errorf("%s: WAIT 2 300 = %d, %v", m, n, err)
		}
		c.Close()
	}
}

// TestReplLagUnderBenchmark checks that a real redis-server replica ends
// with the master's exact dataset after `redis-benchmark -t set -P 16 -c 50`
// against a warden master and, side by side, a redis-server master, and
// logs the replica's lag meanwhile (testutil.SampleLag; timings are not
// asserted: e2e BenchmarkReplicationLag is the measurement). REPL_BENCH_N
// sets the request count. Skipped with -short.
func TestReplLagUnderBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("benchmark; skipped with -short")
	}
	bench := testutil.RequireBinary(t, "redis-benchmark")
	n := "500000"
	if v := os.Getenv("REPL_BENCH_N"); v != "" {
		n = v
	}
	for _, kind := range []string{"warden", "redis"} {
		t.Run(kind, func(t *testing.T) {
			var m *testutil.Proc
			if kind == "warden" {
				m = testutil.StartWarden(t, "--repl-diskless-sync-delay", "0")
			} else {
				m = testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
			}
			rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))
			c := replClient(m.Addr())
			c.Set(context.Background(), "warmup", "1", 0)
			c.Close()
			waitReplicaInSync(t, m.Addr(), rep.Addr(), 20*time.Second)

			lag := testutil.SampleLag(20*time.Millisecond, m.Addr(), rep.Addr())
			start := time.Now()
			out, err := runProgram(bench, "-h", "127.0.0.1", "-p", strconv.Itoa(m.Port()), "-t", "set", "-P", "16", "-c", "50",
				"-n", n, "-r", "1000000", "-q")
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("redis-benchmark: %v\n%s", err, out)
			}
			waitReplicaInSync(t, m.Addr(), rep.Addr(), 60*time.Second)
			converged := time.Since(start) - elapsed
			st := lag.Stop()[0]
			t.Logf("%s master: %s in %v; replica %v, converged %v after the load; %s",
				kind, n, elapsed.Round(time.Millisecond), st, converged.Round(time.Millisecond), benchSummary(out))
			requireSameDataset(t, m.Addr(), rep.Addr(), 30*time.Second)
		})
	}
}

// benchSummary is the final line of redis-benchmark -q output (the
// progress lines before it are separated by carriage returns).
func benchSummary(out string) string {
	out = strings.TrimSpace(out)
	if i := strings.LastIndexAny(out, "\r\n"); i >= 0 {
		out = out[i+1:]
	}
	return strings.TrimSpace(out)
}

// TestDiffReplFailoverToRealReplica runs FAILOVER on a warden master whose
// replica is a real redis-server: the replica accepts PSYNC ... FAILOVER
// and becomes the master, warden becomes its replica with a partial
// resync, and the data keeps flowing the other way.
func TestDiffReplFailoverToRealReplica(t *testing.T) {
	s, maddr := startReplServer(t, nil)
	rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(s.opts.Port))
	populateAllTypes(t, maddr)
	waitReplicaInSync(t, maddr, rep.Addr(), 20*time.Second)
	ctx := context.Background()
	mc, rc := replClient(maddr), replClient(rep.Addr())
	defer mc.Close()
	defer rc.Close()

	// Errors first: unknown target, then an abort.
	if err := mc.Do(ctx, "failover", "to", "127.0.0.1", "1").Err(); err == nil || err.Error() != "ERR FAILOVER target HOST and PORT is not a replica." {
		t.Fatalf("FAILOVER TO unknown: %v", err)
	}
	if err := rep.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	mc.Set(ctx, "during", "1", 0) // the stopped replica cannot catch up
	if err := mc.Do(ctx, "failover", "timeout", "300").Err(); err != nil {
		t.Fatalf("FAILOVER TIMEOUT 300: %v", err)
	}
	if st := replInfo(t, maddr, "replication")["master_failover_state"]; st != "waiting-for-sync" {
		t.Fatalf("master_failover_state %q", st)
	}
	testutil.WaitFor(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		st := replInfo(t, maddr, "replication")["master_failover_state"]
		return st == "no-failover", st
	})
	if err := rep.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := mc.Set(ctx, "after-abort", "1", 0).Err(); err != nil {
		t.Fatalf("writes after an aborted failover: %v", err)
	}
	waitReplicaInSync(t, maddr, rep.Addr(), 20*time.Second)

	// The real failover.
	if err := mc.Do(ctx, "failover").Err(); err != nil {
		t.Fatalf("FAILOVER: %v", err)
	}
	testutil.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		r := replInfo(t, rep.Addr(), "replication")
		m := replInfo(t, maddr, "replication")
		return r["role"] == "master" && m["role"] == "slave" && m["master_link_status"] == "up" && m["master_failover_state"] == "no-failover",
			fmt.Sprintf("redis role %s, warden role %s link %s failover %s", r["role"], m["role"], m["master_link_status"], m["master_failover_state"])
	})
	if v := replInfo(t, maddr, "stats")["sync_full"]; v != "1" {
		t.Fatalf("warden sync_full %s", v)
	}
	if !strings.Contains(rep.Output(), "MASTER MODE enabled (failover request") {
		t.Fatalf("the redis replica was not promoted by PSYNC FAILOVER:\n%s", rep.Output())
	}
	if !strings.Contains(rep.Output(), "Partial resynchronization request from") {
		t.Fatalf("warden did not partially resync from the new master:\n%s", rep.Output())
	}
	if err := mc.Set(ctx, "x", "1", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("write on the demoted warden: %v", err)
	}
	rc.Set(ctx, "from-new-master", "1", 0)
	waitReplicaInSync(t, rep.Addr(), maddr, 20*time.Second)
	requireSameDataset(t, rep.Addr(), maddr, 5*time.Second)
}

// TestDiffReplFailoverFromRealMaster is the other direction: a real master
// runs FAILOVER to its warden replica, which must accept
// PSYNC <replid> <offset> FAILOVER, promote itself and serve the old
// master a partial resync.
func TestDiffReplFailoverFromRealMaster(t *testing.T) {
	realM := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	populateAllTypes(t, realM.Addr())
	s, waddr := startReplServer(t, nil)
	ctx := context.Background()
	wc, mc := replClient(waddr), replClient(realM.Addr())
	defer wc.Close()
	defer mc.Close()
	if err := wc.Do(ctx, "replicaof", "127.0.0.1", strconv.Itoa(realM.Port())).Err(); err != nil {
		t.Fatal(err)
	}
	waitReplicaInSync(t, realM.Addr(), waddr, 20*time.Second)
	if err := mc.Do(ctx, "failover").Err(); err != nil {
		t.Fatalf("FAILOVER on redis: %v", err)
	}
	testutil.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		w := replInfo(t, waddr, "replication")
		m := replInfo(t, realM.Addr(), "replication")
		return w["role"] == "master" && m["role"] == "slave" && m["master_link_status"] == "up" && w["connected_slaves"] == "1",
			fmt.Sprintf("warden role %s slaves %s, redis role %s link %s", w["role"], w["connected_slaves"], m["role"], m["master_link_status"])
	})
	st := replInfo(t, waddr, "stats")
	if st["sync_partial_ok"] != "1" || st["sync_full"] != "0" {
		t.Fatalf("promoted warden: sync_partial_ok=%s sync_full=%s", st["sync_partial_ok"], st["sync_full"])
	}
	wc.Set(ctx, "from-warden", "1", 0)
	waitReplicaInSync(t, waddr, realM.Addr(), 20*time.Second)
	requireSameDataset(t, waddr, realM.Addr(), 5*time.Second)
	_ = s
}

// TestReplFullSyncBenchmark measures (without asserting) a full sync of
// REPL_BENCH_KEYS keys (1M by default) from a warden master (built binary)
// to a real redis-server replica, and from a redis-server master, side by
// side, for both diskless and disk transfers: the time from the replica's
// start to its link being up with equal offsets. Skipped with -short.
func TestReplFullSyncBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("benchmark; skipped with -short")
	}
	keys := 1000000
	if v := os.Getenv("REPL_BENCH_KEYS"); v != "" {
		keys, _ = strconv.Atoi(v)
	}
	for _, diskless := range []string{"yes", "no"} {
		for _, kind := range []string{"warden", "redis"} {
			t.Run(kind+"/diskless="+diskless, func(t *testing.T) {
				args := []string{"--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0"}
				var m *testutil.Proc
				if kind == "warden" {
					m = testutil.StartWarden(t, args...)
				} else {
					m = testutil.StartRedis(t, args...)
				}
				ctx := context.Background()
				c := replClient(m.Addr())
				for i := 0; i < keys; i += 10000 {
					p := c.Pipeline()
					for j := i; j < min(i+10000, keys); j += 100 {
						kv := make([]any, 0, 200)
						for k := j; k < min(j+100, keys); k++ {
							kv = append(kv, "key:"+strconv.Itoa(k), "value:"+strconv.Itoa(k))
						}
						p.MSet(ctx, kv...)
					}
					if _, err := p.Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
				c.Close()
				// The master keeps serving clients during the sync: the
				// worst PING round trip is measured meanwhile.
				stop := make(chan struct{})
				var worst time.Duration
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					pc := replClient(m.Addr())
					defer pc.Close()
					for {
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
						}
						t0 := time.Now()
						pc.Set(ctx, "ping-during-sync", "1", 0)
						worst = max(worst, time.Since(t0))
					}
				}()
				start := time.Now()
				rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))
				waitReplicaInSync(t, m.Addr(), rep.Addr(), 120*time.Second)
				d := time.Since(start)
				close(stop)
				wg.Wait()
				ks := replInfo(t, rep.Addr(), "keyspace")["db0"]
				if !strings.HasPrefix(ks, fmt.Sprintf("keys=%d,", keys+1)) {
					t.Fatalf("replica keyspace %q", ks)
				}
				t.Logf("%s master, diskless=%s: full sync of %d keys to a redis-server replica in %v; worst SET latency on the master meanwhile %v",
					kind, diskless, keys, d.Round(time.Millisecond), worst.Round(100*time.Microsecond))
			})
		}
	}
}

// TestDiffReplRedisCliRDB fetches the dataset with `redis-cli --rdb`
// (REPLCONF rdb-only 1 + SYNC/PSYNC) and `--functions-rdb`
// (rdb-filter-only functions) from warden, with both transfer modes, and
// checks the files with redis-check-rdb.
func TestDiffReplRedisCliRDB(t *testing.T) {
	cli := testutil.RequireBinary(t, "redis-cli")
	check := testutil.RequireBinary(t, "redis-check-rdb")
	for _, diskless := range []bool{true, false} {
		t.Run(fmt.Sprintf("diskless=%v", diskless), func(t *testing.T) {
			s, addr := startReplServer(t, func(o *Options) { o.ReplDisklessSync = diskless })
			populateAllTypes(t, addr)
			for _, mode := range []string{"--rdb", "--functions-rdb"} {
				file := filepath.Join(t.TempDir(), "out.rdb")
				out, err := runProgram(cli, "-p", strconv.Itoa(s.opts.Port), mode, file)
				if err != nil {
					t.Fatalf("redis-cli %s: %v\n%s", mode, err, out)
				}
				out, err = runProgram(check, file)
				if err != nil || !strings.Contains(out, "RDB looks OK") {
					t.Fatalf("redis-check-rdb on the %s file: %v\n%s", mode, err, out)
				}
				keysRead := strings.Contains(out, "69 keys read")
				if mode == "--functions-rdb" {
					// No data, only what functions there are (none).
					keysRead = !strings.Contains(out, "keys read") || strings.Contains(out, "0 keys read")
				}
				if !keysRead {
					t.Fatalf("%s: redis-check-rdb says\n%s", mode, out)
				}
			}
			testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
				n := replInfo(t, addr, "replication")["connected_slaves"]
				return n == "0", "connected_slaves " + n
			})
		})
	}
}

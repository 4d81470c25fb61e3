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
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/testutil"
)

// startReplServer is startTestServer with a logger (WARDEN_TEST_LOG=1
// prints the node's log through t.Log) and replication-friendly defaults.
func startReplServer(t testing.TB, tweak func(*Options)) (*Server, string) {
	t.Helper()
	opts := DefaultOptions()
	opts.Bind = []string{"127.0.0.1"}
	opts.Port = freePort(t)
	opts.Dir = t.TempDir()
	opts.ReplDisklessSyncDelay = 0
	if tweak != nil {
		tweak(opts)
	}
	log := zap.NewNop()
	if os.Getenv("WARDEN_TEST_LOG") != "" {
		l, err := zap.NewDevelopment()
		if err == nil {
			log = l
		}
	}
	s, err := New(opts, log)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("server did not stop")
		}
	})
	return s, net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
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
			s, maddr := startReplServer(t, func(o *Options) { o.ReplDisklessSync = diskless })
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

			// Kill the link: the replica must come back with a partial
			// resync, missing writes done meanwhile included.
			mc := replClient(maddr)
			defer mc.Close()
			ctx := context.Background()
			if n, err := mc.Do(ctx, "client", "kill", "type", "replica").Int(); err != nil || n != 1 {
				t.Fatalf("CLIENT KILL TYPE replica = %d, %v", n, err)
			}
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
			waitReplicaInSync(t, maddr, rep.Addr(), 20*time.Second)
			st = replInfo(t, maddr, "stats")
			if st["sync_partial_ok"] != "1" || st["sync_full"] != "1" {
				t.Fatalf("after link kill: sync_partial_ok=%s sync_full=%s, want 1 and 1", st["sync_partial_ok"], st["sync_full"])
			}
			if !strings.Contains(rep.Output(), "Successful partial resynchronization with master") {
				t.Fatalf("replica log has no partial resync:\n%s", rep.Output())
			}
			requireSameDataset(t, maddr, rep.Addr(), 5*time.Second)
		})
	}
}

package backend

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Crash tests run the real binary and kill -9 it at random moments.

// TestCrashAOFAlways: with appendfsync always, every write a client saw
// acknowledged is in the dataset after a kill -9 and restart. Writers push
// consecutive numbers to their own list; after the restart each list must
// be exactly 1..n with n at least the last acknowledged number (and at
// most the last one sent). Some rounds kill during an AOF rewrite.
func TestCrashAOFAlways(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", "always", "--save", ""}
	const writers = 4
	next := make([]int, writers) // next number each writer sends
	for w := range next {
		next[w] = 1
	}
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := 0; round < rounds; round++ {
		p, addr := startWarden(t, dir, args...)
		// Check what the previous round acknowledged survived.
		rc := dialRESP(t, addr)
		for w := 0; w < writers; w++ {
			got := respStrings(rc.must(t, "LRANGE", fmt.Sprint("w", w), "0", "-1"))
			for i, v := range got {
				if v != strconv.Itoa(i+1) {
					t.Fatalf("round %d writer %d: element %d is %q, want %d (list %v)", round, w, i, v, i+1, got)
				}
			}
			next[w] = len(got) + 1
		}

		var mu sync.Mutex
		acked := make([]int, writers)
		sent := make([]int, writers)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer c.Close()
				wc := &respConn{c: c, r: bufio.NewReader(c)}
				for n := next[w]; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					sent[w] = n
					mu.Unlock()
					v, err := wc.do("RPUSH", fmt.Sprint("w", w), strconv.Itoa(n))
					if err != nil {
						return // killed
					}
					if _, ok := v.(int64); !ok {
						t.Errorf("RPUSH: %v", v)
						return
					}
					mu.Lock()
					acked[w] = n
					mu.Unlock()
				}
			}(w)
		}
		if round%2 == 1 {
			time.Sleep(time.Duration(50+rnd.IntN(100)) * time.Millisecond)
			dialRESP(t, addr).must(t, "BGREWRITEAOF")
		}
		time.Sleep(time.Duration(100+rnd.IntN(400)) * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()

		p2, addr2 := startWarden(t, dir, args...)
		rc2 := dialRESP(t, addr2)
		total := 0
		for w := 0; w < writers; w++ {
			got := respStrings(rc2.must(t, "LRANGE", fmt.Sprint("w", w), "0", "-1"))
			for i, v := range got {
				if v != strconv.Itoa(i+1) {
					t.Fatalf("round %d writer %d after kill: element %d is %q", round, w, i, v)
				}
			}
			if len(got) < acked[w] {
				t.Fatalf("round %d writer %d: %d acknowledged writes, only %d after restart", round, w, acked[w], len(got))
			}
			if len(got) > sent[w] {
				t.Fatalf("round %d writer %d: %d elements but only %d sent", round, w, len(got), sent[w])
			}
			total += acked[w] - next[w] + 1
			next[w] = len(got) + 1
		}
		t.Logf("round %d: %d acknowledged writes survived kill -9", round, total)
		if total < 10 {
			t.Fatalf("round %d: only %d writes before the kill; the test proves nothing", round, total)
		}
		checkAOF(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
		p2.Stop()
	}
}

// TestCrashDuringBgsave: kill -9 at random moments of a BGSAVE leaves
// dump.rdb either the previous or the new complete snapshot.
func TestCrashDuringBgsave(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--save", ""}
	n := 150000
	if testing.Short() {
		n = 30000
	}
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	p, addr := startWarden(t, dir, args...)
	rc := dialRESP(t, addr)
	loadKeys(t, rc, n, "a:")
	rc.must(t, "SAVE")
	old := n
	// How long a BGSAVE of the bigger dataset takes, to aim the kills.
	loadKeys(t, rc, n/2, "b:")
	start := time.Now()
	rc.must(t, "BGSAVE")
	waitPersistIdle(t, rc)
	saveTime := time.Since(start)
	rc.must(t, "SAVE")
	old = n + n/2
	p.Stop()
	t.Logf("BGSAVE of %d keys takes %v", old, saveTime)

	for round := 0; round < rounds; round++ {
		p, addr := startWarden(t, dir, args...)
		rc := dialRESP(t, addr)
		if v := rc.must(t, "DBSIZE").(int64); v != int64(old) {
			t.Fatalf("round %d: DBSIZE %d at start, want %d", round, v, old)
		}
		loadKeys(t, rc, 20000, fmt.Sprintf("r%d:", round))
		now := old + 20000
		rc.must(t, "BGSAVE")
		time.Sleep(time.Duration(rnd.Int64N(int64(saveTime) * 3 / 2)))
		p.Kill()
		path := filepath.Join(dir, "dump.rdb")
		checkRDB(t, path)
		got, _ := canonicalRDB(t, path)
		switch len(got) {
		case old:
			t.Logf("round %d: killed before the rename: old snapshot (%d keys)", round, old)
		case now:
			t.Logf("round %d: killed after the rename: new snapshot (%d keys)", round, now)
			old = now
		default:
			t.Fatalf("round %d: dump.rdb holds %d keys, want %d or %d", round, len(got), old, now)
		}
	}
	p, addr = startWarden(t, dir, args...)
	if v := dialRESP(t, addr).must(t, "DBSIZE").(int64); v != int64(old) {
		t.Fatalf("final DBSIZE %d, want %d", v, old)
	}
	p.Stop()
}

// TestSigtermSaves: SIGTERM with save points set saves before exiting; the
// AOF is flushed.
func TestSigtermSaves(t *testing.T) {
	dir := t.TempDir()
	p, addr := startWarden(t, dir, "--save", "3600 1", "--appendonly", "yes", "--appendfsync", "no")
	rc := dialRESP(t, addr)
	loadKeys(t, rc, 1000, "k")
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.Output())
	}
	got, _ := canonicalRDB(t, filepath.Join(dir, "dump.rdb"))
	if len(got) != 1000 {
		t.Fatalf("dump.rdb holds %d keys, want 1000", len(got))
	}
	p2, addr2 := startWarden(t, dir, "--appendonly", "yes")
	if v := dialRESP(t, addr2).must(t, "DBSIZE"); v != int64(1000) {
		t.Fatalf("DBSIZE from the AOF = %v", v)
	}
	p2.Stop()
}

package backend

// What a transaction propagates, to replicas and to the other sinks (the
// AOF): effects in execution order inside one MULTI/EXEC, (S)PUBLISH
// inside the block for replicas only, a lazily expired key's DEL at its
// place, a single effect bare, compared with a real master's stream.

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// txStreamScript runs, on addr, transactions whose propagation differs in
// shape, then SET end 1, the marker readTxStream stops at. The master must
// have active expiry off (DEBUG SET-ACTIVE-EXPIRE 0) so that k is found
// expired inside the last transaction.
func txStreamScript(t *testing.T, addr string) {
	t.Helper()
	c := testutil.Dial(t, addr)
	tx := func(cmds ...[]string) {
		t.Helper()
		c.Do("MULTI")
		for _, args := range cmds {
			if r := string(c.Do(args...)); r != "+QUEUED\r\n" {
				t.Fatalf("%v in MULTI: %q", args, r)
			}
		}
		if r := c.Do("EXEC"); r[0] != '*' {
			t.Fatalf("EXEC: %q", r)
		}
	}
	tx([]string{"SET", "a", "1"})
	tx([]string{"SET", "b", "1"}, []string{"PUBLISH", "ch", "m"})
	tx([]string{"PUBLISH", "ch", "m1"})
	tx([]string{"PUBLISH", "ch", "m2"}, []string{"SPUBLISH", "sch", "m3"})
	tx([]string{"PUBLISH", "ch", "m4"}, []string{"SELECT", "3"}, []string{"SET", "c", "1"})
	c.Do("SELECT", "0")
	tx([]string{"GET", "a"})
	tx()
	c.Do("SET", "k", "v", "PX", "20")
	time.Sleep(40 * time.Millisecond)
	tx([]string{"GET", "k"}, []string{"SET", "x", "1"})
	c.Do("publish", "ch", "top")
	c.Do("SET", "end", "1")
}

// wantTxStream is what a Redis 7.0 master sends its replicas for
// txStreamScript.
var wantTxStream = []string{
	"SELECT 0",
	"SET a 1",
	"MULTI", "SET b 1", "PUBLISH ch m", "EXEC",
	"PUBLISH ch m1",
	"MULTI", "PUBLISH ch m2", "SPUBLISH sch m3", "EXEC",
	"MULTI", "PUBLISH ch m4", "SELECT 3", "SET c 1", "EXEC",
	"SELECT 0",
	"SET k v PXAT <ms>",
	"MULTI", "DEL k", "SET x 1", "EXEC",
	"publish ch top",
	"SET end 1",
}

var unixMs = regexp.MustCompile(`\b1\d{12}\b`)

// readTxStream reads f's stream up to SET end 1, without the PINGs and
// GETACKs a master sends on its own schedule; absolute times read <ms>.
func readTxStream(f *fakeReplica) []string {
	var out []string
	for {
		args, _ := f.command()
		cmd := unixMs.ReplaceAllString(strings.Join(args, " "), "<ms>")
		switch strings.ToUpper(args[0]) {
		case "PING", "REPLCONF":
			continue
		}
		out = append(out, cmd)
		if cmd == "SET end 1" {
			return out
		}
	}
}

// attachTxReplica attaches a fake replica (disk framing: no first ACK to
// wait for) and turns active expiry off.
func attachTxReplica(t *testing.T, addr string) *fakeReplica {
	t.Helper()
	if r := string(testutil.Dial(t, addr).Do("DEBUG", "SET-ACTIVE-EXPIRE", "0")); r != "+OK\r\n" {
		t.Fatalf("DEBUG SET-ACTIVE-EXPIRE 0: %q", r)
	}
	f := dialFakeReplica(t, addr)
	f.handshake(6420, false)
	f.fullSync(false)
	return f
}

func TestReplTransactionPropagation(t *testing.T) {
	s, addr := startReplServer(t, func(o *Options) { o.EnableDebugCommand = "yes" })
	f := attachTxReplica(t, addr)
	sinks := recordPropagation(s)
	txStreamScript(t, addr)
	got := readTxStream(f)
	if strings.Join(got, "\n") != strings.Join(wantTxStream, "\n") {
		t.Fatalf("replication stream:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wantTxStream, "\n  "))
	}
	// The other sinks (the AOF) get the same blocks without (S)PUBLISH,
	// hence an empty MULTI/EXEC for a transaction that only published, as
	// Redis's AOF does.
	lines := sinks.get()
	for i, l := range lines {
		lines[i] = unixMs.ReplaceAllString(l, "<ms>")
	}
	sinks.check(t, lines, []string{
		"0 SET a 1",
		"0 MULTI", "0 SET b 1", "0 EXEC",
		"0 MULTI", "0 EXEC",
		"0 MULTI", "3 SET c 1", "3 EXEC",
		"0 SET k v PXAT <ms>",
		"0 MULTI", "0 DEL k", "0 SET x 1", "0 EXEC",
		"0 SET end 1",
	})
}

// TestDiffReplTransactionStream: a real master sends its replica the very
// stream warden sends for the same transactions.
func TestDiffReplTransactionStream(t *testing.T) {
	real := testutil.StartRedis(t, "--enable-debug-command", "yes")
	_, addr := startReplServer(t, func(o *Options) { o.EnableDebugCommand = "yes" })
	streams := map[string][]string{}
	for name, a := range map[string]string{"redis": real.Addr(), "warden": addr} {
		f := attachTxReplica(t, a)
		txStreamScript(t, a)
		streams[name] = readTxStream(f)
	}
	if r, w := strings.Join(streams["redis"], "\n  "), strings.Join(streams["warden"], "\n  "); r != w {
		t.Fatalf("replication streams differ:\nredis:\n  %s\nwarden:\n  %s", r, w)
	}
}

// expiryStreamScript makes top-level commands find expired keys (active
// expiry is off), then SET end 1. What Redis 7.0 propagates: a DEL alone
// goes bare; a DEL and the write that follows it, or several DELs, go in
// one MULTI/EXEC; SCAN and RANDOMKEY, which touch arbitrary keys, send
// their DELs bare; lazyfree-lazy-expire and lazyfree-lazy-eviction turn
// the DELs into UNLINKs.
// It returns the replies, one line per command.
func expiryStreamScript(t *testing.T, addr string) []string {
	t.Helper()
	c := testutil.Dial(t, addr)
	var replies []string
	do := func(args ...string) {
		t.Helper()
		r := c.Do(args...)
		if args[0] == "SCAN" || args[0] == "RANDOMKEY" || args[0] == "KEYS" {
			return // keys in hash order; the stream shows what they did
		}
		replies = append(replies, fmt.Sprintf("%v -> %q", args, r))
	}
	volatile := func(keys ...string) {
		t.Helper()
		for _, k := range keys {
			do("SET", k, "v", "PX", "20")
		}
		time.Sleep(40 * time.Millisecond)
	}
	volatile("g", "s", "m1", "m2", "i", "d", "h", "l")
	do("GET", "g")         // DEL g
	do("SET", "s", "x")    // MULTI DEL s, SET s x, EXEC
	do("MGET", "m1", "m2") // MULTI DEL m1, DEL m2, EXEC
	do("INCR", "i")        // MULTI DEL i, INCR i, EXEC
	do("DEL", "d")         // DEL d: the command itself deletes nothing
	do("HSET", "h", "f", "v")
	do("LPUSH", "l", "e")
	// Reads and writes of every kind meeting an expired key.
	volatile("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12", "t13", "t14", "t15", "t16", "t17", "t18")
	do("TTL", "t1")
	do("TYPE", "t2")
	do("EXISTS", "t3", "t4")
	do("OBJECT", "ENCODING", "t5")
	do("STRLEN", "t6")
	do("RENAME", "t7", "t7b")
	do("COPY", "t8", "t8b")
	do("GETDEL", "t9")
	do("APPEND", "t10", "x")
	do("SETNX", "t11", "x")
	do("EXPIRE", "t12", "100")
	do("PERSIST", "t13")
	do("SINTERSTORE", "t14", "t15")
	do("MSET", "t16", "1", "z", "2")
	do("ZUNIONSTORE", "t17", "1", "nosuchkey")
	do("BITOP", "AND", "t18", "nosuchkey")
	do("KEYS", "*")
	do("DBSIZE")
	do("SELECT", "4")
	volatile("sc1", "sc2")
	do("SCAN", "0", "COUNT", "100") // DEL sc1, DEL sc2, bare
	volatile("r1", "r2")
	do("RANDOMKEY") // DEL r1, DEL r2, bare
	do("SELECT", "0")
	do("CONFIG", "SET", "lazyfree-lazy-expire", "yes")
	volatile("u", "w")
	do("GET", "u")      // UNLINK u
	do("SET", "w", "1") // MULTI UNLINK w, SET w 1, EXEC
	do("CONFIG", "SET", "lazyfree-lazy-expire", "no")
	do("SELECT", "5")
	do("FLUSHALL")
	do("SET", "ev", "1")
	do("CONFIG", "SET", "lazyfree-lazy-eviction", "yes")
	do("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	do("CONFIG", "SET", "maxmemory", "1")
	do("SET", "other", "1") // UNLINK ev, then -OOM
	do("CONFIG", "SET", "maxmemory", "0")
	do("SELECT", "0")
	do("SET", "end", "1")
	return replies
}

// sortDeletionRuns sorts each run of consecutive DEL/UNLINK lines: SCAN
// and RANDOMKEY meet keys in hash order, which differs between servers.
func sortDeletionRuns(lines []string) []string {
	isDel := func(l string) bool { return strings.HasPrefix(l, "DEL ") || strings.HasPrefix(l, "UNLINK ") }
	out := append([]string(nil), lines...)
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && isDel(out[j]) {
			j++
		}
		if j > i {
			sort.Strings(out[i:j])
			i = j
		} else {
			i++
		}
	}
	return out
}

// TestDiffReplExpiryStream: what a real master sends its replica when
// commands find keys expired, and for evictions, is what warden sends.
func TestDiffReplExpiryStream(t *testing.T) {
	real := testutil.StartRedis(t, "--enable-debug-command", "yes")
	_, addr := startReplServer(t, func(o *Options) { o.EnableDebugCommand = "yes" })
	streams, replies := map[string][]string{}, map[string][]string{}
	for name, a := range map[string]string{"redis": real.Addr(), "warden": addr} {
		f := attachTxReplica(t, a)
		replies[name] = expiryStreamScript(t, a)
		streams[name] = sortDeletionRuns(readTxStream(f))
	}
	for i := range replies["redis"] {
		if i >= len(replies["warden"]) || replies["redis"][i] != replies["warden"][i] {
			t.Fatalf("replies differ at %d:\nredis:  %s\nwarden: %v", i, replies["redis"][i], replies["warden"][i:min(i+1, len(replies["warden"]))])
		}
	}
	if r, w := strings.Join(streams["redis"], "\n  "), strings.Join(streams["warden"], "\n  "); r != w {
		t.Fatalf("replication streams differ:\nredis:\n  %s\nwarden:\n  %s", r, w)
	}
	t.Logf("stream:\n  %s", strings.Join(streams["warden"], "\n  "))
}

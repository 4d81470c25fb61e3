package backend

// What a transaction propagates, to replicas and to the other sinks (the
// AOF): effects in execution order inside one MULTI/EXEC, (S)PUBLISH
// inside the block for replicas only, a lazily expired key's DEL at its
// place, a single effect bare, compared with a real master's stream.

import (
	"regexp"
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

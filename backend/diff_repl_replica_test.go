package backend

// Differential tests of the replica role against a real redis-server 7.0
// replica: what a replica refuses (READONLY, MASTERDOWN, stale reads),
// REPLICAOF's replies, and INFO replication / ROLE in the replica form.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// replicaRefusalSteps run on a replica of a master that does not answer,
// with replica-serve-stale-data no; they end in the same state.
func replicaRefusalSteps(deadPort int) []testutil.Step {
	dead := strconv.Itoa(deadPort)
	return []testutil.Step{
		// READONLY is checked before MASTERDOWN.
		{Args: []string{"SET", "k", "v"}},
		{Args: []string{"INCR", "c"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"PING"}}, // PING has no stale flag
		{Args: []string{"PING", "hello"}},
		{Args: []string{"DBSIZE"}},
		{Args: []string{"EXISTS", "k"}},
		{Args: []string{"ECHO", "x"}},
		{Args: []string{"SELECT", "1"}},
		{Args: []string{"SELECT", "0"}},
		{Args: []string{"MULTI"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"SET", "k", "v"}},
		{Args: []string{"EXEC"}},
		{Args: []string{"MULTI"}},
		{Args: []string{"DISCARD"}},
		{Args: []string{"CONFIG", "GET", "replica-serve-stale-data"}},
		{Args: []string{"CONFIG", "SET", "replica-serve-stale-data", "yes"}},
		// Stale data is served again; writes are still refused.
		{Args: []string{"GET", "k"}},
		{Args: []string{"PING"}},
		{Args: []string{"DBSIZE"}},
		{Args: []string{"SET", "k", "v"}},
		{Args: []string{"DEL", "k"}},
		{Args: []string{"EXPIRE", "k", "10"}},
		{Args: []string{"LPUSH", "l", "a"}},
		{Args: []string{"MULTI"}},
		{Args: []string{"SET", "k", "v"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"EXEC"}},
		{Args: []string{"FLUSHALL"}},
		{Args: []string{"CONFIG", "SET", "replica-read-only", "no"}},
		{Args: []string{"SET", "k", "local"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"DEL", "k"}},
		{Args: []string{"CONFIG", "SET", "replica-read-only", "yes"}},
		// REPLICAOF's replies.
		{Args: []string{"REPLICAOF", "127.0.0.1", "notaport"}},
		{Args: []string{"REPLICAOF", "127.0.0.1", "-1"}},
		{Args: []string{"REPLICAOF", "127.0.0.1", "65536"}},
		{Args: []string{"REPLICAOF", "127.0.0.1", "+1"}},
		{Args: []string{"REPLICAOF", "127.0.0.1", dead}},
		{Args: []string{"SLAVEOF", "127.0.0.1", dead}},
		{Args: []string{"REPLICAOF", "127.0.0.1"}},
		{Args: []string{"SLAVEOF", "no", "one", "extra"}},
		{Args: []string{"WAIT", "1", "0"}},
		{Args: []string{"REPLICAOF", "no", "one"}},
		{Args: []string{"SET", "k", "now-a-master"}},
		{Args: []string{"GET", "k"}},
		{Args: []string{"DEL", "k"}},
		{Args: []string{"REPLICAOF", "NO", "ONE"}},
		{Args: []string{"ROLE"}},
		// Back to the starting state for the next protocol's run.
		{Args: []string{"REPLICAOF", "127.0.0.1", dead}},
		{Args: []string{"CONFIG", "SET", "replica-serve-stale-data", "no"}},
		{Args: []string{"GET", "k"}},
	}
}

func TestDiffReplicaRefusals(t *testing.T) {
	dead := testutil.FreePort(t) // nothing listens there
	// Readiness is a PING, which MASTERDOWN would fail: stale data is
	// switched off once running.
	real := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(dead))
	_, addr := startReplicaServer(t, dead, nil)
	for _, a := range []string{real.Addr(), addr} {
		if got := string(testutil.Dial(t, a).Do("CONFIG", "SET", "replica-serve-stale-data", "no")); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET = %q", got)
		}
	}
	for _, proto := range []int{2, 3} {
		testutil.RunScript(t, real.Addr(), addr, proto, replicaRefusalSteps(dead))
	}
}

// infoLines returns INFO <section>'s "name:value" lines, in order.
func infoLines(t testing.TB, addr, section string) []string {
	t.Helper()
	raw := string(testutil.Dial(t, addr).Do("INFO", section))
	_, body, ok := strings.Cut(raw, "\r\n") // the bulk header
	if !ok {
		t.Fatalf("INFO reply %q", raw)
	}
	var out []string
	for _, l := range strings.Split(body, "\r\n") {
		if strings.Contains(l, ":") {
			out = append(out, l)
		}
	}
	return out
}

// compareInfo checks that two INFO sections have the same fields in the
// same order, and the same values except for the fields in skip.
func compareInfo(t testing.TB, what string, real, ours []string, skip ...string) {
	t.Helper()
	names := func(lines []string) []string {
		var n []string
		for _, l := range lines {
			k, _, _ := strings.Cut(l, ":")
			n = append(n, k)
		}
		return n
	}
	if a, b := strings.Join(names(real), ","), strings.Join(names(ours), ","); a != b {
		t.Fatalf("%s: field order differs\nredis:  %s\nwarden: %s", what, a, b)
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	for i := range real {
		k, _, _ := strings.Cut(real[i], ":")
		if !skipped[k] && real[i] != ours[i] {
			t.Errorf("%s: redis %q, warden %q", what, real[i], ours[i])
		}
	}
}

// TestDiffReplicaInfo compares INFO replication and ROLE of a warden
// replica and a real one: with the link down, and both following the same
// real master once caught up.
func TestDiffReplicaInfo(t *testing.T) {
	dead := testutil.FreePort(t)
	real := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(dead))
	_, addr := startReplicaServer(t, dead, nil)
	testutil.WaitFor(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		m, _ := info(addr, "replication")
		return m["master_link_down_since_seconds"] != "", "link-down INFO not shown yet"
	})
	compareInfo(t, "link down", infoLines(t, real.Addr(), "replication"), infoLines(t, addr, "replication"), "master_replid")

	master := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	port := strconv.Itoa(master.Port())
	rc, wc := testutil.Dial(t, real.Addr()), testutil.Dial(t, addr)
	// Both attach before any write, so they share the sync offset and
	// hence the backlog start.
	for _, c := range []*testutil.RawConn{rc, wc} {
		if got := string(c.Do("REPLICAOF", "127.0.0.1", port)); got != "+OK\r\n" {
			t.Fatalf("REPLICAOF = %q", got)
		}
	}
	waitLinkUp(t, real.Addr(), 20*time.Second)
	waitLinkUp(t, addr, 20*time.Second)
	// Less than the 1 MB backlog: how Redis trims a full one (its shared
	// replication buffer may hold more than repl-backlog-size) is the
	// master side's business, not the replica's.
	mc := client(t, master.Addr())
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		mc.Do(ctx, "set", fmt.Sprint("k", i), i)
		mc.Do(ctx, "hset", "h", fmt.Sprint("f", i%7), i)
		mc.Do(ctx, "zadd", "z", i, fmt.Sprint("m", i%13))
		mc.Do(ctx, "expire", fmt.Sprint("k", i), 1000)
	}
	mc.Do(ctx, "publish", "ch", "msg") // propagated, counted in offsets
	waitCaughtUp(t, master.Addr(), real.Addr(), 10*time.Second)
	waitCaughtUp(t, master.Addr(), addr, 10*time.Second)
	compareInfo(t, "connected", infoLines(t, real.Addr(), "replication"), infoLines(t, addr, "replication"),
		"master_last_io_seconds_ago")
	for _, proto := range []int{2, 3} {
		testutil.RunScript(t, real.Addr(), addr, proto, []testutil.Step{
			{Args: []string{"ROLE"}},
			{Args: []string{"DBSIZE"}},
		})
	}
	requireSameDataset(t, real.Addr(), addr, 10*time.Second)

	// After the master goes away: link down, cached master offsets.
	master.Stop()
	testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		a, _ := info(real.Addr(), "replication")
		b, _ := info(addr, "replication")
		return a["master_link_status"] == "down" && b["master_link_status"] == "down",
			fmt.Sprintf("links %s/%s", a["master_link_status"], b["master_link_status"])
	})
	compareInfo(t, "master gone", infoLines(t, real.Addr(), "replication"), infoLines(t, addr, "replication"),
		"master_link_down_since_seconds")
}

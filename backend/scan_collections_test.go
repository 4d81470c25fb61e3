package backend

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// scanKind is one of HSCAN/SSCAN/ZSCAN with the commands that fill and
// trim its collection. Member "<prefix><i>" carries value "v<i>" in a hash
// and score i in a sorted set, so every reply can be checked on its own.
type scanKind struct {
	name, scan, del string
	width           int    // reply items per element
	bigEncoding     string // OBJECT ENCODING once past the compact limits
	addArgs         func(members []string) []string
}

var scanKinds = []scanKind{
	{name: "hash", scan: "HSCAN", del: "HDEL", width: 2, bigEncoding: "hashtable",
		addArgs: func(ms []string) []string {
			args := []string{"HSET"}
			for _, m := range ms {
				args = append(args, m, "v"+scanIndex(m))
			}
			return args
		}},
	{name: "set", scan: "SSCAN", del: "SREM", width: 1, bigEncoding: "hashtable",
		addArgs: func(ms []string) []string { return append([]string{"SADD"}, ms...) }},
	{name: "zset", scan: "ZSCAN", del: "ZREM", width: 2, bigEncoding: "skiplist",
		addArgs: func(ms []string) []string {
			args := []string{"ZADD"}
			for _, m := range ms {
				args = append(args, scanIndex(m), m)
			}
			return args
		}},
}

// scanIndex is the number at the end of a test member.
func scanIndex(m string) string { return strings.TrimLeft(m, "abcdefghijklmnopqrstuvwxyz:") }

// do sends args (with key inserted after the command name) and fails on an
// error reply.
func (k scanKind) do(t *testing.T, c *testutil.RawConn, key string, args []string) {
	t.Helper()
	full := append([]string{args[0], key}, args[1:]...)
	if r := c.Do(full...); len(r) > 0 && r[0] == '-' {
		t.Fatalf("%v: %q", full[:2], r)
	}
}

// fill adds members in chunks of a thousand.
func (k scanKind) fill(t *testing.T, c *testutil.RawConn, key string, members []string) {
	t.Helper()
	for len(members) > 0 {
		n := min(len(members), 1000)
		k.do(t, c, key, k.addArgs(members[:n]))
		members = members[n:]
	}
}

// scanCall is one *SCAN call: the next cursor and the elements returned,
// after checking the reply's shape and each element's value.
func (k scanKind) scanCall(t *testing.T, c *testutil.RawConn, key, cursor string, opts ...string) (string, []string) {
	t.Helper()
	raw := c.Do(append([]string{k.scan, key, cursor}, opts...)...)
	r := hsDecode(t, raw)
	if r.kind != '*' || len(r.items) != 2 || r.items[0].kind != '$' || r.items[1].kind != '*' || len(r.items[1].items)%k.width != 0 {
		t.Fatalf("%s %s %v: bad reply %q", k.scan, cursor, opts, raw)
	}
	if _, err := strconv.ParseUint(r.items[0].str, 10, 64); err != nil {
		t.Fatalf("%s: cursor %q", k.scan, r.items[0].str)
	}
	items := r.items[1].strs()
	var members []string
	for i := 0; i < len(items); i += k.width {
		m := items[i]
		if k.width == 2 {
			want := scanIndex(m)
			if k.name == "hash" {
				want = "v" + want
			}
			if items[i+1] != want {
				t.Fatalf("%s: %s comes with %q, want %q", k.scan, m, items[i+1], want)
			}
		}
		members = append(members, m)
	}
	return r.items[0].str, members
}

// scanAll iterates key to the end with opts, calling between after every
// call but the last. It returns how often each member came back, the number
// of calls and the most elements one call returned.
func (k scanKind) scanAll(t *testing.T, c *testutil.RawConn, key string, between func(call int), opts ...string) (seen map[string]int, calls, most int) {
	t.Helper()
	seen = map[string]int{}
	cursor := "0"
	for {
		var got []string
		cursor, got = k.scanCall(t, c, key, cursor, opts...)
		calls++
		most = max(most, len(got))
		for _, m := range got {
			seen[m]++
		}
		if cursor == "0" {
			return seen, calls, most
		}
		if calls > 100000 {
			t.Fatalf("%s: no end after %d calls", k.scan, calls)
		}
		if between != nil {
			between(calls)
		}
	}
}

// TestScanCollectionsIncremental scans 10,000-element collections with
// COUNT 10: the big encodings must be walked in many calls of about COUNT
// elements each, and return every member, ending with cursor 0.
func TestScanCollectionsIncremental(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	const n = 10000
	members := hsMembers("m", n)
	for _, k := range scanKinds {
		t.Run(k.name, func(t *testing.T) {
			key := "big" + k.name
			k.fill(t, c, key, members)
			if enc := string(c.Do("OBJECT", "ENCODING", key)); !strings.Contains(enc, k.bigEncoding) {
				t.Fatalf("encoding %q", enc)
			}
			seen, calls, most := k.scanAll(t, c, key, nil, "COUNT", "10")
			// Whole buckets are returned, so a call may exceed COUNT a
			// little; a call returning far more means the walk is not
			// bounded by COUNT.
			if calls < n/20 || most > 40 {
				t.Fatalf("%d calls, at most %d elements per call: not incremental", calls, most)
			}
			for _, m := range members {
				if seen[m] == 0 {
					t.Fatalf("%s never returned (%d calls)", m, calls)
				}
			}
			if len(seen) != n {
				t.Fatalf("%d distinct members returned, want %d", len(seen), n)
			}
			// The default COUNT is 10 too.
			if _, calls2, _ := k.scanAll(t, c, key, nil); calls2 < n/20 {
				t.Fatalf("default COUNT: %d calls", calls2)
			}
			// A big COUNT takes it all at once.
			if _, calls3, most3 := k.scanAll(t, c, key, nil, "COUNT", "100000"); calls3 != 1 || most3 != n {
				t.Fatalf("COUNT 100000: %d calls, %d elements", calls3, most3)
			}
		})
	}
}

// TestScanCollectionsWhileChanging scans while elements come and go between
// calls, enough for the table to grow fourfold and then shrink to half its
// first size (under 1/8 full), so the cursors given back are used on tables
// of other sizes both ways. Every member present from the first call to the
// last must be returned.
func TestScanCollectionsWhileChanging(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	const n, gone, churnMax = 10000, 3000, 30000
	members := hsMembers("m", n)
	for _, k := range scanKinds {
		t.Run(k.name, func(t *testing.T) {
			key := "churn" + k.name
			k.fill(t, c, key, members)
			added, removed, deleted := 0, 0, 0
			shrinking := false
			between := func(int) {
				// The first members go during the scan, so that the
				// collection ends small enough to shrink: they need not
				// be returned.
				if deleted < gone {
					k.do(t, c, key, append([]string{k.del}, members[deleted:deleted+4]...))
					deleted += 4
				}
				switch {
				case !shrinking && added < churnMax:
					var churn []string
					for ; len(churn) < 40; added++ {
						churn = append(churn, "c"+strconv.Itoa(added))
					}
					k.do(t, c, key, k.addArgs(churn))
				case removed < added:
					shrinking = true
					args := []string{k.del}
					for ; len(args) <= 60 && removed < added; removed++ {
						args = append(args, "c"+strconv.Itoa(removed))
					}
					k.do(t, c, key, args)
				}
			}
			seen, calls, _ := k.scanAll(t, c, key, between, "COUNT", "10")
			for _, m := range members[gone:] {
				if seen[m] == 0 {
					t.Fatalf("%s never returned (%d calls, %d added, %d removed)", m, calls, added, removed)
				}
			}
			for m := range seen {
				if !strings.HasPrefix(m, "m") && !strings.HasPrefix(m, "c") {
					t.Fatalf("returned %q, never added", m)
				}
			}
			if added < 10000 {
				t.Fatalf("only %d elements added during the scan: the table never grew much", added)
			}
		})
	}
}

// TestScanCollectionsCompact checks that the compact encodings still come
// back whole with cursor 0 whatever COUNT and cursor say, as in Redis.
func TestScanCollectionsCompact(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	for _, k := range scanKinds {
		t.Run(k.name, func(t *testing.T) {
			key := "small" + k.name
			members := hsMembers("m", 100)
			if k.name == "set" {
				members = hsMembers("", 100) // an intset
			}
			k.fill(t, c, key, members)
			if enc := string(c.Do("OBJECT", "ENCODING", key)); strings.Contains(enc, k.bigEncoding) {
				t.Fatalf("encoding %q", enc)
			}
			for _, cursor := range []string{"0", "12345"} {
				next, got := k.scanCall(t, c, key, cursor, "COUNT", "1")
				if next != "0" || len(got) != len(members) {
					t.Fatalf("cursor %s: next %s, %d elements", cursor, next, len(got))
				}
			}
		})
	}
}

// TestScanSetAcrossSpopRebuild scans a set that SPOP with a large count
// replaces by a rebuilt set of the members that stay: they were present
// throughout, so the scan must return all of them, as in Redis, where
// every dict hashes with the same seed.
func TestScanSetAcrossSpopRebuild(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	k := scanKinds[1]
	for round := 0; round < 5; round++ {
		key := "spop" + strconv.Itoa(round)
		k.fill(t, c, key, hsMembers("m", 10000))
		var kept []string
		seen, _, _ := k.scanAll(t, c, key, func(call int) {
			if call == 300 {
				// Few enough stay for SPOP to rebuild the set.
				c.Do("SPOP", key, "9000")
				kept = hsDecode(t, c.Do("SMEMBERS", key)).strs()
			}
		}, "COUNT", "10")
		if len(kept) != 1000 {
			t.Fatalf("%d members kept (scan ended early?)", len(kept))
		}
		for _, m := range kept {
			if seen[m] == 0 {
				t.Fatalf("round %d: %s stayed but was never returned", round, m)
			}
		}
	}
}

package sentinel

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
)

// startRealSentinel starts Debian's redis-sentinel 7.0 with conf (plus
// port and bind) and returns its address.
func startRealSentinel(t *testing.T, conf string) string {
	t.Helper()
	bin := testutil.RequireBinary(t, "redis-sentinel")
	port := testutil.FreePort(t)
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\n%s", port, conf)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.StartProcess(t, bin, []string{path}, testutil.PingReady(addr))
	return addr
}

// shape renders a reply with its structure and types but not the contents
// of its scalars, except the keys of maps and of the flat RESP2 arrays of
// name/value pairs at nesting level pairsAt (0 = the reply itself, -1 =
// none), which must match too: two sentinels watching different nodes
// give the same shape.
func shape(v resp.Value, pairsAt int) string {
	var b strings.Builder
	var walk func(v resp.Value, level int)
	walk = func(v resp.Value, level int) {
		if v.Null {
			fmt.Fprintf(&b, "%cnull", v.Type)
			return
		}
		if !v.IsAggregate() {
			b.WriteByte(v.Type)
			return
		}
		fmt.Fprintf(&b, "%c%d[", v.Type, len(v.Elems))
		keyed := level == pairsAt || v.Type == '%'
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			if keyed && i%2 == 0 && !e.IsAggregate() {
				fmt.Fprintf(&b, "%c%q", e.Type, e.Str)
				continue
			}
			walk(e, level+1)
		}
		b.WriteByte(']')
	}
	walk(v, 0)
	return b.String()
}

// TestSentinelDifferential compares the replies of a warden sentinel with
// those of redis-sentinel 7.0.15, each monitoring its own redis-server with
// the same settings: byte for byte where nothing depends on the node or on
// time, by shape (types, lengths, field names and order) elsewhere.
func TestSentinelDifferential(t *testing.T) {
	testutil.RequireBinary(t, "redis-sentinel")
	const extra = "sentinel down-after-milliseconds mymaster 5000\n"
	redisA := testutil.StartRedis(t)
	realAddr := startRealSentinel(t, fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2\n%s", redisA.Port(), extra))
	redisB, w := startMonitored(t, extra)
	real := testutil.Dial(t, realAddr)
	if r := string(real.Do("SENTINEL", "DEBUG", "info-period", "200")); r != "+OK\r\n" {
		t.Fatalf("real sentinel DEBUG: %q", r)
	}
	// Without replicas a manual failover is refused the same way (once
	// they exist it would start one).
	if ra, rb := string(real.Do("SENTINEL", "FAILOVER", "mymaster")), string(w.conn.Do("SENTINEL", "FAILOVER", "mymaster")); ra != rb {
		t.Errorf("SENTINEL FAILOVER without replicas:\nredis-sentinel %q\nwarden         %q", ra, rb)
	}
	// Each master gets a replica and a (fake) peer sentinel, announced
	// with a hello through PUBLISH, so that REPLICAS and SENTINELS have
	// entries to compare.
	peer := strings.Repeat("e", 40)
	for _, side := range []struct {
		conn  *testutil.RawConn
		redis *testutil.Proc
	}{{real, redisA}, {w.conn, redisB}} {
		noSyncDelay(t, side.redis)
		testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(side.redis.Port()))
		hello := fmt.Sprintf("127.0.0.1,%d,%s,0,mymaster,127.0.0.1,%d,0", testutil.FreePort(t), peer, side.redis.Port())
		if r := string(side.conn.Do("PUBLISH", "__sentinel__:hello", hello)); r != ":1\r\n" {
			t.Fatalf("PUBLISH hello: %q", r)
		}
		conn := side.conn
		testutil.WaitFor(t, 15*time.Second, 20*time.Millisecond, func() (bool, string) {
			v := do(t, conn, "SENTINEL", "REPLICAS", "mymaster")
			if len(v.Elems) != 1 {
				return false, "no replica yet"
			}
			e := entryMap(pairs(t, v.Elems[0], 2))
			return e["runid"] != "" && e["master-link-status"] == "ok", fmt.Sprintf("replica entry %v", e)
		})
	}

	exact := [][]string{
		{"SENTINEL", "HELP"},
		{"SENTINEL", "CONFIG", "GET", "*"},
		{"SENTINEL", "CONFIG", "GET", "announce-*"},
		{"SENTINEL", "DEBUG"},
		{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"},
		{"SENTINEL", "MASTER", "nosuch"},
		{"SENTINEL", "SLAVES", "nosuch"},
		{"SENTINEL", "FOO"},
		{"SENTINEL"},
		{"SENTINEL", "MASTER"},
		{"SENTINEL", "MASTERS", "x"},
		{"SENTINEL", "MYID", "x"},
		{"SENTINEL", "SET", "mymaster", "quorum"},
		{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"},
		{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "1e3", "*"},
		{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "10.255.0.1", "1", "0", "*"},
		{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "10.255.0.1", "1", "0", strings.Repeat("a", 40)},
		{"SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "q"},
		{"SENTINEL", "MONITOR", "x", "127.0.0.1", "p", "2"},
		{"SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "0"},
		{"SENTINEL", "MONITOR", "x", "not-an-ip", "6379", "2"},
		{"SENTINEL", "MONITOR", "x", "127.0.0.1", "70000", "2"},
		{"SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "6379", "2"},
		{"SENTINEL", "MONITOR", "m2", "127.0.0.1", "1", "1"},
		{"SENTINEL", "SET", "m2", "quorum", "2", "down-after-milliseconds", "0"},
		{"SENTINEL", "SET", "m2", "parallel-syncs", "3"},
		{"SENTINEL", "SET", "m2", "foo", "bar"},
		{"SENTINEL", "SET", "m2", "client-reconfig-script", "/bin/true"},
		{"SENTINEL", "SET", "nosuch", "quorum", "1"},
		{"SENTINEL", "REMOVE", "m2"},
		{"SENTINEL", "REMOVE", "m2"},
		{"SENTINEL", "CONFIG", "GET"},
		{"SENTINEL", "CONFIG", "SET", "announce-port", "x"},
		{"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "maybe"},
		{"SENTINEL", "CONFIG", "SET", "foo", "x"},
		{"SENTINEL", "CONFIG", "foo", "x"},
		{"SENTINEL", "SIMULATE-FAILURE", "help"},
		{"SENTINEL", "SIMULATE-FAILURE", "crash-after-election", "help"},
		{"SENTINEL", "SIMULATE-FAILURE", "foo"}, // clears the flag again
		{"SENTINEL", "SIMULATE-FAILURE"},
		{"SENTINEL", "DEBUG", "info-period", "0"},
		{"SENTINEL", "DEBUG", "nosuch", "1"},
		{"SENTINEL", "DEBUG", "ping-period"},
		{"SENTINEL", "CKQUORUM", "mymaster"},
		{"SENTINEL", "CKQUORUM", "nosuch"},
		{"SENTINEL", "FAILOVER", "nosuch"},
		{"SENTINEL", "INFO-CACHE", "nosuch"},
		{"SENTINEL", "PENDING-SCRIPTS"},
		{"SENTINEL", "RESET", "nomatch*"},
		{"PUBLISH", "foo", "bar"},
		{"PUBLISH", "__sentinel__:hello", "garbage"},
		{"ROLE"},
		{"COMMAND", "INFO", "role", "publish", "sentinel|myid", "sentinel|help", "sentinel|slaves"},
	}
	shaped := []struct {
		args    []string
		pairsAt int // where flat RESP2 name/value arrays are
	}{
		{[]string{"SENTINEL", "MASTER", "mymaster"}, 0},
		{[]string{"SENTINEL", "MASTERS"}, 1},
		{[]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, -1},
		{[]string{"SENTINEL", "MYID"}, -1},
		{[]string{"SENTINEL", "INFO-CACHE", "mymaster"}, -1},
		{[]string{"SENTINEL", "REPLICAS", "mymaster"}, 1},
		{[]string{"SENTINEL", "SLAVES", "mymaster"}, 1},
		{[]string{"SENTINEL", "SENTINELS", "mymaster"}, 1},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"}, -1},
	}
	for _, proto := range []int{2, 3} {
		a, b := testutil.Dial(t, realAddr), testutil.Dial(t, w.Addr())
		if proto == 3 {
			a.Do("HELLO", "3")
			b.Do("HELLO", "3")
		}
		for _, cmd := range exact {
			ra, rb := string(a.Do(cmd...)), string(b.Do(cmd...))
			if ra != rb {
				t.Errorf("RESP%d %s:\nredis-sentinel %q\nwarden         %q", proto, testutil.FormatCommand(cmd), ra, rb)
			}
		}
		for _, st := range shaped {
			sa, sb := shape(parse(t, a.Do(st.args...)), st.pairsAt), shape(parse(t, b.Do(st.args...)), st.pairsAt)
			if sa != sb {
				t.Errorf("RESP%d %s shape:\nredis-sentinel %s\nwarden         %s", proto, testutil.FormatCommand(st.args), sa, sb)
			}
		}
		// INFO sentinel: the same fields in the same order.
		fa, fb := infoFields(parse(t, a.Do("INFO", "sentinel")).Str), infoFields(parse(t, b.Do("INFO", "sentinel")).Str)
		if fa != fb {
			t.Errorf("RESP%d INFO sentinel fields:\nredis-sentinel %s\nwarden         %s", proto, fa, fb)
		}
	}
}

// infoFields lists the field names of an INFO text (and the section
// titles), with the master lines' keys.
func infoFields(info string) string {
	var out []string
	for _, line := range strings.Split(info, "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if strings.HasPrefix(name, "master") {
			var keys []string
			for _, kv := range strings.Split(value, ",") {
				k, _, _ := strings.Cut(kv, "=")
				keys = append(keys, k)
			}
			name += "{" + strings.Join(keys, ",") + "}"
		}
		out = append(out, name)
	}
	return strings.Join(out, " ")
}

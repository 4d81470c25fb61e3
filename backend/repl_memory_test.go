package backend

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// replMem reads INFO memory's replication figures.
func replMem(t *testing.T, addr string) (backlog, total, replicas int64) {
	t.Helper()
	return infoInt(t, addr, "memory", "mem_replication_backlog"),
		infoInt(t, addr, "memory", "mem_total_replication_buffers"),
		infoInt(t, addr, "memory", "mem_clients_slaves")
}

// TestReplInfoMemoryBuffers: mem_replication_backlog and
// mem_total_replication_buffers are 0 while there is no backlog and count
// it once a replica has attached, as a real master's do; warden's total
// also counts the stream a replica has yet to be sent.
func TestReplInfoMemoryBuffers(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startReplServer(t, nil)
	for _, a := range []string{real.Addr(), addr} {
		if b, tot, r := replMem(t, a); b != 0 || tot != 0 || r != 0 {
			t.Fatalf("%s without a backlog: backlog %d, total %d, replicas %d", a, b, tot, r)
		}
		f := dialFakeReplica(t, a)
		f.handshake(6430, false)
		f.fullSync(false)
		doCmd(t, a, "set", "k", "v")
		f.command() // SELECT
		f.command()
		if b, tot, _ := replMem(t, a); b <= 0 || tot <= 0 {
			t.Fatalf("%s with a replica: backlog %d, total %d", a, b, tot)
		}
	}

	// Until its first ACK a diskless replica gets nothing after the RDB:
	// the stream waits in memory, counted for the replicas.
	f := dialFakeReplica(t, addr)
	f.handshake(6431, true)
	_, off, _ := f.fullSync(true)
	const big = 100 << 10
	doCmd(t, addr, "set", "big", strings.Repeat("x", big))
	if b, tot, r := replMem(t, addr); r < big || tot != b+r {
		t.Fatalf("stream held for a replica: backlog %d, total %d, replicas %d; want replicas >= %d, total = backlog + replicas", b, tot, r, big)
	}
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		b, tot, r := replMem(t, addr)
		return r == 0 && tot == b, fmt.Sprintf("backlog %d, total %d, replicas %d", b, tot, r)
	})
}

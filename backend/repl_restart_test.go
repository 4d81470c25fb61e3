package backend

// A master restarted from its RDB keeps its replication history (replid2)
// and feeds the deletions of the keys the load finds expired to its
// backlog, so that partially resyncing replicas drop them too (Redis 7.0's
// RDBFLAGS_FEED_REPL).

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// restartTweak is a master in dir that saves only when told, takes DEBUG
// (writeExpiringAndSave turns active expiry off) and sends no PING that
// would move its offset past what its RDB records.
func restartTweak(dir string, port int, more func(*Options)) func(*Options) {
	return func(o *Options) {
		o.Dir, o.Save, o.EnableDebugCommand, o.ReplPingPeriod = dir, nil, "yes", time.Hour
		if port != 0 {
			o.Port = port
		}
		if more != nil {
			more(o)
		}
	}
}

// writeExpiringAndSave writes a key that expires after ttl and one that
// does not (in db), saves, and returns when the first one expires.
func writeExpiringAndSave(t *testing.T, addr, db string, ttl time.Duration) time.Time {
	t.Helper()
	c := testutil.Dial(t, addr)
	c.Do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	c.Do("SELECT", db)
	expires := time.Now().Add(ttl)
	c.Do("SET", "gone", "v", "PX", strconv.FormatInt(ttl.Milliseconds(), 10))
	c.Do("SET", "kept", "v")
	if r := string(c.Do("SAVE")); r != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	if time.Now().After(expires) {
		t.Fatal("the key expired before the RDB was saved: machine too slow for this test")
	}
	return expires
}

func TestReplRestartFeedsExpiredDels(t *testing.T) {
	for _, tc := range []struct {
		del  string
		lazy bool
	}{{"DEL", false}, {"UNLINK", true}} {
		t.Run(tc.del, func(t *testing.T) {
			tweak := restartTweak(t.TempDir(), 0, func(o *Options) {
				if tc.lazy {
					o.LazyfreeExpire = true
				}
			})
			s, addr := startReplServer(t, tweak)
			f := dialFakeReplica(t, addr)
			f.handshake(6440, false)
			id, _, _ := f.fullSync(false)
			expires := writeExpiringAndSave(t, addr, "2", 300*time.Millisecond)
			off := infoInt(t, addr, "replication", "master_repl_offset")
			stopServer(t, s)
			time.Sleep(time.Until(expires) + 20*time.Millisecond)

			_, addr = startReplServer(t, tweak)
			if n := infoInt(t, addr, "persistence", "rdb_last_load_keys_expired"); n != 1 {
				t.Fatalf("rdb_last_load_keys_expired = %d, want 1", n)
			}
			g := dialFakeReplica(t, addr)
			g.handshake(6440, false)
			g.send("PSYNC", id, strconv.FormatInt(off+1, 10))
			if l := g.line(false); !strings.HasPrefix(l, "+CONTINUE ") {
				t.Fatalf("PSYNC after the restart: %q", l)
			}
			sel, n1 := g.command()
			del, n2 := g.command()
			if got := strings.Join(sel, " ") + "; " + strings.Join(del, " "); got != "SELECT 2; "+tc.del+" gone" {
				t.Fatalf("backlog after the restart: %q, want SELECT 2; %s gone", got, tc.del)
			}
			i := replInfo(t, addr, "replication")
			if i["master_replid2"] != id || i["second_repl_offset"] != strconv.FormatInt(off+1, 10) ||
				i["master_repl_offset"] != strconv.FormatInt(off+int64(n1+n2), 10) {
				t.Fatalf("history after the restart: replid2 %s second_repl_offset %s master_repl_offset %s; want %s %d %d",
					i["master_replid2"], i["second_repl_offset"], i["master_repl_offset"], id, off+1, off+int64(n1+n2))
			}
		})
	}

	// Without a history in the RDB no replica can continue: the backlog
	// goes, and the offset counts what was fed, as Redis's does.
	t.Run("no history", func(t *testing.T) {
		tweak := restartTweak(t.TempDir(), 0, nil)
		s, addr := startReplServer(t, tweak)
		expires := writeExpiringAndSave(t, addr, "2", 100*time.Millisecond)
		stopServer(t, s)
		time.Sleep(time.Until(expires) + 20*time.Millisecond)
		_, addr = startReplServer(t, tweak)
		i := replInfo(t, addr, "replication")
		fed := len(testutil.EncodeCommand("SELECT", "2")) + len(testutil.EncodeCommand("DEL", "gone"))
		if i["repl_backlog_active"] != "0" || i["master_repl_offset"] != strconv.Itoa(fed) {
			t.Fatalf("repl_backlog_active %s master_repl_offset %s; want 0 %d", i["repl_backlog_active"], i["master_repl_offset"], fed)
		}
	})
}

// TestReplRestartReplicaDropsExpired: a real replica of a restarted warden
// master resynchronizes partially and drops the key that expired while the
// master was down; master and replica end with the same dataset.
func TestReplRestartReplicaDropsExpired(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	s, addr := startReplServer(t, restartTweak(dir, port, nil))
	// The replica reconnects at once when the link drops, and may reach
	// the master while it shuts down, on a connection that then hangs;
	// a short repl-timeout makes it give that up and retry. Links idle
	// too long time out too, which only makes it resync partially again.
	replica := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(port), "--repl-timeout", "3")
	waitReplicaInSync(t, addr, replica.Addr(), 10*time.Second)
	expires := writeExpiringAndSave(t, addr, "0", time.Second)
	waitReplicaInSync(t, addr, replica.Addr(), 10*time.Second)
	stopServer(t, s)
	time.Sleep(time.Until(expires) + 20*time.Millisecond)

	// PINGs keep the new link from timing out: now that the RDB is
	// written they move nothing the test relies on.
	_, addr = startReplServer(t, restartTweak(dir, port, func(o *Options) { o.ReplPingPeriod = time.Second }))
	waitReplicaInSync(t, addr, replica.Addr(), 20*time.Second)
	st := replInfo(t, addr, "stats")
	if st["sync_partial_ok"] != "1" || st["sync_full"] != "0" {
		t.Fatalf("sync_partial_ok %s, sync_full %s: want a partial resync", st["sync_partial_ok"], st["sync_full"])
	}
	// The replica hides a logically expired key from reads but keeps it
	// until the master's DEL: DBSIZE tells.
	rc := testutil.Dial(t, replica.Addr())
	if r := string(rc.Do("DBSIZE")); r != ":1\r\n" {
		t.Fatalf("replica DBSIZE = %q, want 1: the expired key was not deleted", r)
	}
	// A dump goes through the replica's hiding of expired keys (hence the
	// DBSIZE above); it compares the rest of the dataset.
	requireSameDataset(t, addr, replica.Addr(), 10*time.Second)
}

package backend

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// pubsubTranscript runs a subscriber/publisher conversation against addr
// and returns every raw reply in order, so two servers' transcripts can be
// compared byte for byte.
func pubsubTranscript(t *testing.T, addr string, proto int) []string {
	t.Helper()
	sub := testutil.Dial(t, addr)
	defer sub.Close()
	pub := testutil.Dial(t, addr)
	defer pub.Close()
	var out []string
	rec := func(who string, b []byte) { out = append(out, who+" "+string(b)) }
	if proto == 3 {
		sub.Do("HELLO", "3")
	}
	// Subscriptions: one reply per channel, counts include patterns.
	sub.Send(testutil.EncodeCommand("SUBSCRIBE", "news", "sport"))
	for i := 0; i < 2; i++ {
		r, err := sub.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		rec("sub", r)
	}
	rec("sub", sub.Do("PSUBSCRIBE", "n*"))
	rec("pub", pub.Do("PUBLISH", "news", "hello"))
	for i := 0; i < 2; i++ { // message, then pmessage
		r, err := sub.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		rec("sub", r)
	}
	rec("pub", pub.Do("PUBLISH", "nothing-here", "x"))
	r, _ := sub.ReadReply() // the pattern matches
	rec("sub", r)
	rec("pub", pub.Do("PUBLISH", "other", "x"))
	rec("pub", pub.Do("PUBSUB", "CHANNELS", "n*"))
	rec("pub", pub.Do("PUBSUB", "CHANNELS", "s*"))
	rec("pub", pub.Do("PUBSUB", "NUMSUB", "news", "sport", "none"))
	rec("pub", pub.Do("PUBSUB", "NUMPAT"))
	if proto == 2 {
		// RESP2 subscribers may only run (un)subscribe commands and PING.
		rec("sub", sub.Do("GET", "k"))
		rec("sub", sub.Do("PING"))
		rec("sub", sub.Do("PING", "hi"))
	} else {
		rec("sub", sub.Do("PING"))
		rec("sub", sub.Do("SET", "k", "v"))
	}
	rec("sub", sub.Do("UNSUBSCRIBE", "news"))
	rec("sub", sub.Do("PUNSUBSCRIBE"))
	rec("sub", sub.Do("UNSUBSCRIBE", "sport"))
	rec("sub", sub.Do("UNSUBSCRIBE"))
	rec("sub", sub.Do("PUNSUBSCRIBE", "never"))
	rec("pub", pub.Do("PUBLISH", "news", "after"))
	rec("pub", pub.Do("PUBSUB", "NUMSUB"))
	rec("pub", pub.Do("PUBSUB", "HELP"))
	rec("pub", pub.Do("PUBSUB", "NOPE"))
	rec("pub", pub.Do("SUBSCRIBE"))
	return out
}

func TestDiffPubsub(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			want := pubsubTranscript(t, real.Addr(), proto)
			got := pubsubTranscript(t, addr, proto)
			compareTranscripts(t, want, got)
		})
	}
}

func compareTranscripts(t *testing.T, want, got []string) {
	t.Helper()
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("step %d:\n redis:  %q\n warden: %q", i, w, g)
		}
	}
}

// notificationTranscript subscribes to every keyspace event, runs writes and
// records the events in order.
func notificationTranscript(t *testing.T, addr string) []string {
	t.Helper()
	sub := testutil.Dial(t, addr)
	defer sub.Close()
	cmd := testutil.Dial(t, addr)
	defer cmd.Close()
	cmd.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	sub.Do("PSUBSCRIBE", "__key*__:*")
	// A marker publish after each command tells where its events end.
	var out []string
	steps := [][]string{
		{"SET", "s", "1"}, {"INCR", "s"}, {"APPEND", "s", "x"}, {"EXPIRE", "s", "100"}, {"PERSIST", "s"},
		{"DEL", "s"}, {"LPUSH", "l", "a", "b"}, {"RPOP", "l"}, {"HSET", "h", "f", "v"}, {"HDEL", "h", "f"},
		{"SADD", "st", "m"}, {"SREM", "st", "m"}, {"ZADD", "z", "1", "m"}, {"ZINCRBY", "z", "2", "m"},
		{"RENAME", "z", "z2"}, {"SET", "e", "v", "PX", "1"},
	}
	for _, s := range steps {
		cmd.Do(s...)
		cmd.Do("PUBLISH", "__keyend__:marker", strings.Join(s, " "))
		for {
			r, err := sub.ReadReply()
			if err != nil {
				t.Fatalf("after %v: %v", s, err)
			}
			if strings.Contains(string(r), "__keyend__:marker") {
				break
			}
			out = append(out, strings.Join(s, " ")+" => "+string(r))
		}
	}
	// The key set with PX 1 expires; its event arrives by itself.
	deadline := time.Now().Add(5 * time.Second)
	sub.SetTimeout(5 * time.Second)
	for time.Now().Before(deadline) {
		cmd.Do("GET", "e") // lazy expiry on access, as a client would see it
		r, err := sub.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "expiry => "+string(r))
		if strings.Contains(string(r), "expired") && strings.Contains(string(r), "keyevent") {
			break
		}
	}
	return out
}

func TestDiffKeyspaceNotifications(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	want := notificationTranscript(t, real.Addr())
	got := notificationTranscript(t, addr)
	compareTranscripts(t, want, got)
}

func TestDiffTransactions(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	S := func(a ...string) testutil.Step { return testutil.Step{Args: a} }
	steps := []testutil.Step{
		S("EXEC"), S("DISCARD"),
		S("MULTI"), S("MULTI"), S("SET", "a", "1"), S("INCR", "a"), S("GET", "a"), S("LPUSH", "a", "x"), S("EXEC"),
		S("MULTI"), S("SET", "b", "1"), S("NOSUCHCOMMAND"), S("GET", "b"), S("EXEC"), S("GET", "b"),
		S("MULTI"), S("SET", "b"), S("EXEC"),
		S("MULTI"), S("SET", "c", "1"), S("DISCARD"), S("GET", "c"),
		S("WATCH", "w"), S("MULTI"), S("WATCH", "x"), S("SET", "w", "1"), S("EXEC"), S("GET", "w"),
		S("MULTI"), S("EXEC"),
		S("UNWATCH"),
		S("SET", "ttl", "v", "EX", "100"), S("WATCH", "ttl"), S("SET", "ttl", "v2"), S("MULTI"), S("GET", "ttl"), S("EXEC"),
		S("WATCH", "missing"), S("MULTI"), S("PING"), S("EXEC"),
	}
	for _, proto := range []int{2, 3} {
		testutil.RunScript(t, real.Addr(), addr, proto, steps)
	}
}

// TestWatchOtherClient checks that a write from another connection makes
// EXEC fail, on both servers alike.
func TestDiffWatchOtherClient(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	run := func(addr string) []string {
		a := testutil.Dial(t, addr)
		b := testutil.Dial(t, addr)
		defer a.Close()
		defer b.Close()
		var out []string
		out = append(out, string(a.Do("WATCH", "k")))
		out = append(out, string(b.Do("SET", "k", "other")))
		out = append(out, string(a.Do("MULTI")))
		out = append(out, string(a.Do("SET", "k", "mine")))
		out = append(out, string(a.Do("EXEC")))
		out = append(out, string(a.Do("GET", "k")))
		// A WATCH followed by FLUSHALL from elsewhere also aborts.
		out = append(out, string(a.Do("WATCH", "k")))
		out = append(out, string(b.Do("FLUSHALL")))
		out = append(out, string(a.Do("MULTI")))
		out = append(out, string(a.Do("EXEC")))
		return out
	}
	compareTranscripts(t, run(real.Addr()), run(addr))
}

package backend

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// blockedNow reads the blocked-client count under the lock.
func blockedNow(s *Server) int {
	s.Lock()
	defer s.Unlock()
	return s.blockedClients()
}

// waitBlocked waits until exactly n clients are blocked on keys.
func waitBlocked(t *testing.T, s *Server, n int) {
	t.Helper()
	testutil.WaitFor(t, 5*time.Second, 2*time.Millisecond, func() (bool, string) {
		got := blockedNow(s)
		return got == n, fmt.Sprintf("%d clients blocked, want %d", got, n)
	})
}

// send writes a command without reading its reply.
func send(c *testutil.RawConn, args ...string) {
	c.Send(testutil.EncodeCommand(args...))
}

func expectReply(t *testing.T, c *testutil.RawConn, want string) {
	t.Helper()
	got, err := c.ReadReply()
	if err != nil {
		t.Fatalf("reading reply (want %q): %v", want, err)
	}
	if string(got) != want {
		t.Fatalf("reply %q, want %q", got, want)
	}
}

func expectDo(t *testing.T, c *testutil.RawConn, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); string(got) != want {
		t.Fatalf("%s: reply %q, want %q", testutil.FormatCommand(args), got, want)
	}
}

func TestBlockingBLPOPServedByPush(t *testing.T) {
	s, addr := startTestServer(t, nil)
	prop := recordPropagation(s)
	waiter, pusher := testutil.Dial(t, addr), testutil.Dial(t, addr)

	send(waiter, "BLPOP", "k", "0")
	waitBlocked(t, s, 1)
	// The pusher sees the length before the waiter took its element.
	expectDo(t, pusher, ":1\r\n", "LPUSH", "k", "v")
	expectReply(t, waiter, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n")
	waitBlocked(t, s, 0)
	expectDo(t, pusher, ":0\r\n", "LLEN", "k")
	prop.expect(t, "0 LPUSH k v", "0 LPOP k")

	s.Lock()
	n := len(s.DB(0).blocking)
	s.Unlock()
	if n != 0 {
		t.Fatalf("%d keys still have waiters", n)
	}
}

func TestBlockingFIFOFairness(t *testing.T) {
	s, addr := startTestServer(t, nil)
	pusher := testutil.Dial(t, addr)
	var waiters []*testutil.RawConn
	for i := 0; i < 3; i++ {
		w := testutil.Dial(t, addr)
		send(w, "BLPOP", "q", "0")
		waitBlocked(t, s, i+1) // block in a known order
		waiters = append(waiters, w)
	}
	// One element: only the first waiter is served.
	expectDo(t, pusher, ":1\r\n", "RPUSH", "q", "first")
	expectReply(t, waiters[0], "*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n")
	waitBlocked(t, s, 2)

	w := testutil.Dial(t, addr)
	send(w, "BLPOP", "q", "0")
	waitBlocked(t, s, 3)
	waiters = append(waiters[1:], w)
	// One LPUSH of three elements serves all three, oldest waiter first,
	// each popping the head: c, then b, then a.
	expectDo(t, pusher, ":3\r\n", "LPUSH", "q", "a", "b", "c")
	for i, want := range []string{"c", "b", "a"} {
		expectReply(t, waiters[i], "*2\r\n$1\r\nq\r\n$1\r\n"+want+"\r\n")
	}
	waitBlocked(t, s, 0)
	expectDo(t, pusher, ":0\r\n", "EXISTS", "q")
}

func TestBlockingTimeout(t *testing.T) {
	s, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "nokey", "0.2"}, "*-1\r\n"},
		{[]string{"BRPOP", "nokey", "other", "0.2"}, "*-1\r\n"},
		// BLMOVE times out with the null array too, unlike its
		// non-blocking null bulk.
		{[]string{"BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.2"}, "*-1\r\n"},
		{[]string{"BRPOPLPUSH", "nokey", "d", "0.2"}, "*-1\r\n"},
		{[]string{"BLMPOP", "0.2", "1", "nokey", "LEFT"}, "*-1\r\n"},
	} {
		start := time.Now()
		expectDo(t, c, tc.want, tc.args...)
		el := time.Since(start)
		if el < 190*time.Millisecond || el > 3*time.Second {
			t.Fatalf("%v: answered after %v, want about 200ms", tc.args, el)
		}
	}
	waitBlocked(t, s, 0)
	// The client is usable again.
	expectDo(t, c, ":1\r\n", "RPUSH", "nokey", "x")
}

func TestBlockingTimeoutRESP3(t *testing.T) {
	if LookupCommand("hello") == nil {
		t.Skip("HELLO not implemented yet")
	}
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	c.Do("HELLO", "3")
	expectDo(t, c, "_\r\n", "BLPOP", "nokey", "0.05")
	expectDo(t, c, "_\r\n", "BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.05")
}

func TestBlockingPipelinedCommandsWait(t *testing.T) {
	s, addr := startTestServer(t, nil)
	waiter, other := testutil.Dial(t, addr), testutil.Dial(t, addr)
	// One write: the BLPOP and two commands behind it.
	waiter.Send(append(append(testutil.EncodeCommand("BLPOP", "k", "0"),
		testutil.EncodeCommand("RPUSH", "after", "1")...),
		testutil.EncodeCommand("LLEN", "after")...))
	waitBlocked(t, s, 1)
	expectDo(t, other, ":0\r\n", "LLEN", "after") // not run while blocked
	expectDo(t, other, ":1\r\n", "RPUSH", "k", "v")
	expectReply(t, waiter, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n")
	expectReply(t, waiter, ":1\r\n")
	expectReply(t, waiter, ":1\r\n")
	expectDo(t, other, ":1\r\n", "LLEN", "after")
}

func TestBlockingDisconnectLeavesNoWaiter(t *testing.T) {
	s, addr := startTestServer(t, nil)
	waiter, other := testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(waiter, "BLPOP", "k1", "k2", "0")
	waitBlocked(t, s, 1)
	waiter.Close()
	waitBlocked(t, s, 0)
	s.Lock()
	n := len(s.DB(0).blocking)
	s.Unlock()
	if n != 0 {
		t.Fatalf("%d keys still have waiters after disconnect", n)
	}
	expectDo(t, other, ":1\r\n", "LPUSH", "k1", "v")
	expectDo(t, other, ":1\r\n", "LLEN", "k1") // nobody took it
}

func TestBlockingBLMOVEChain(t *testing.T) {
	s, addr := startTestServer(t, nil)
	prop := recordPropagation(s)
	c1, c2, c3, pusher := testutil.Dial(t, addr), testutil.Dial(t, addr), testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(c1, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
	waitBlocked(t, s, 1)
	send(c2, "BRPOPLPUSH", "b", "c", "0")
	waitBlocked(t, s, 2)
	send(c3, "BLMPOP", "0", "2", "x", "c", "RIGHT", "COUNT", "5")
	waitBlocked(t, s, 3)

	expectDo(t, pusher, ":1\r\n", "RPUSH", "a", "elem")
	expectReply(t, c1, "$4\r\nelem\r\n")
	expectReply(t, c2, "$4\r\nelem\r\n")
	expectReply(t, c3, "*2\r\n$1\r\nc\r\n*1\r\n$4\r\nelem\r\n")
	waitBlocked(t, s, 0)
	for _, k := range []string{"a", "b", "c"} {
		expectDo(t, pusher, ":0\r\n", "EXISTS", k)
	}
	prop.expect(t,
		"0 RPUSH a elem",
		"0 LMOVE a b left right",
		"0 RPOPLPUSH b c",
		"0 RPOP c 1")
}

func TestBlockingImmediatePropagation(t *testing.T) {
	s, addr := startTestServer(t, nil)
	prop := recordPropagation(s)
	c := testutil.Dial(t, addr)
	expectDo(t, c, ":4\r\n", "RPUSH", "l", "1", "2", "3", "4")
	expectDo(t, c, "*2\r\n$1\r\nl\r\n$1\r\n1\r\n", "BLPOP", "none", "l", "0")
	expectDo(t, c, "*2\r\n$1\r\nl\r\n$1\r\n4\r\n", "BRPOP", "l", "0")
	expectDo(t, c, "$1\r\n2\r\n", "BLMOVE", "l", "d", "left", "RIGHT", "0")
	expectDo(t, c, "$1\r\n3\r\n", "BRPOPLPUSH", "l", "d", "0")
	expectDo(t, c, "*2\r\n$1\r\nd\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n", "BLMPOP", "0", "1", "d", "LEFT", "COUNT", "9")
	expectDo(t, c, ":1\r\n", "RPUSH", "l", "x")
	expectDo(t, c, "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nx\r\n", "LMPOP", "1", "l", "RIGHT", "COUNT", "3")
	prop.expect(t,
		"0 RPUSH l 1 2 3 4",
		"0 LPOP l",
		"0 RPOP l",
		"0 LMOVE l d left RIGHT",
		"0 RPOPLPUSH l d",
		"0 LPOP d 2",
		"0 RPUSH l x",
		"0 RPOP l 1")
}

func TestBlockingMultipleKeysAndDB(t *testing.T) {
	s, addr := startTestServer(t, nil)
	waiter, other := testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(waiter, "BRPOP", "k1", "k2", "k1", "0")
	waitBlocked(t, s, 1)
	s.Lock()
	for _, k := range []string{"k1", "k2"} {
		if n := len(s.DB(0).blocking[k]); n != 1 {
			s.Unlock()
			t.Fatalf("%s has %d waiters, want 1 (duplicate keys wait once)", k, n)
		}
	}
	s.Unlock()
	// A push to the same key in another database does not serve it.
	s.Lock()
	l := newList()
	l.push([]byte("elsewhere"), listTail)
	s.DB(1).SetObject("k2", l)
	s.keyModified(s.DB(1), "k2")
	s.handleClientsBlockedOnKeys()
	s.Unlock()
	if blockedNow(s) != 1 {
		t.Fatal("served from another database")
	}
	expectDo(t, other, ":2\r\n", "RPUSH", "k2", "x", "y")
	expectReply(t, waiter, "*2\r\n$2\r\nk2\r\n$1\r\ny\r\n")
	waitBlocked(t, s, 0)
	s.Lock()
	n := len(s.DB(0).blocking)
	s.Unlock()
	if n != 0 {
		t.Fatalf("waiter still registered on %d keys", n)
	}
}

func TestBlockingServedAfterExec(t *testing.T) {
	if LookupCommand("multi") == nil || LookupCommand("exec") == nil {
		t.Skip("MULTI/EXEC not implemented yet")
	}
	s, addr := startTestServer(t, nil)
	w1, w2, tx := testutil.Dial(t, addr), testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(w1, "BLPOP", "a", "0")
	waitBlocked(t, s, 1)
	send(w2, "BLPOP", "a", "b", "0")
	waitBlocked(t, s, 2)
	expectDo(t, tx, "+OK\r\n", "MULTI")
	expectDo(t, tx, "+QUEUED\r\n", "RPUSH", "b", "fromb")
	expectDo(t, tx, "+QUEUED\r\n", "RPUSH", "a", "froma")
	expectDo(t, tx, "+QUEUED\r\n", "LLEN", "a")
	// Nobody is served inside the transaction: LLEN still sees 1.
	expectDo(t, tx, "*3\r\n:1\r\n:1\r\n:1\r\n", "EXEC")
	// Keys are served in the order they became ready: b first, so the
	// second waiter takes b's element and the first waiter a's.
	expectReply(t, w2, "*2\r\n$1\r\nb\r\n$5\r\nfromb\r\n")
	expectReply(t, w1, "*2\r\n$1\r\na\r\n$5\r\nfroma\r\n")
	waitBlocked(t, s, 0)
}

func TestBlockingWrongTypeWhileBlocked(t *testing.T) {
	s, addr := startTestServer(t, nil)
	waiter, other := testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(waiter, "BLPOP", "k", "0")
	waitBlocked(t, s, 1)
	// The key becomes a string: Redis 7.0 keeps the client waiting.
	s.Lock()
	s.DB(0).SetString("k", []byte("str"), false)
	s.keyModified(s.DB(0), "k")
	s.handleClientsBlockedOnKeys()
	s.Unlock()
	if blockedNow(s) != 1 {
		t.Fatal("client unblocked by a key of the wrong type")
	}
	expectDo(t, other, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "LPUSH", "k", "v")
	s.Lock()
	s.DB(0).Delete("k")
	s.Unlock()
	expectDo(t, other, ":1\r\n", "LPUSH", "k", "v")
	expectReply(t, waiter, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n")
}

func TestBlockingBLMOVEWrongTypeDestination(t *testing.T) {
	s, addr := startTestServer(t, nil)
	waiter, other := testutil.Dial(t, addr), testutil.Dial(t, addr)
	// The destination is only checked when the client is served.
	s.Lock()
	s.DB(0).SetString("dst", []byte("str"), false)
	s.Unlock()
	send(waiter, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
	waitBlocked(t, s, 1)
	expectDo(t, other, ":1\r\n", "RPUSH", "src", "v")
	expectReply(t, waiter, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
	waitBlocked(t, s, 0)
	expectDo(t, other, ":1\r\n", "LLEN", "src")
	s.Lock()
	failed := s.cmdStat(LookupCommand("blmove")).failed
	s.Unlock()
	if failed != 1 {
		t.Fatalf("blmove failed calls = %d, want 1", failed)
	}
}

func TestBlockingClientUnblock(t *testing.T) {
	s, addr := startTestServer(t, nil)
	waiter := testutil.Dial(t, addr)
	blockedClient := func() *Client {
		s.Lock()
		defer s.Unlock()
		for _, c := range s.clients {
			if c.block != nil {
				return c
			}
		}
		return nil
	}

	send(waiter, "BLPOP", "k", "0")
	waitBlocked(t, s, 1)
	c := blockedClient()
	s.Lock()
	ok := s.unblockClient(c, false)
	again := s.unblockClient(c, false)
	s.Unlock()
	if !ok || again {
		t.Fatalf("unblockClient = %v then %v, want true then false", ok, again)
	}
	expectReply(t, waiter, "*-1\r\n")

	send(waiter, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
	waitBlocked(t, s, 1)
	c = blockedClient()
	s.Lock()
	s.unblockClient(c, true)
	s.Unlock()
	expectReply(t, waiter, "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
	waitBlocked(t, s, 0)
	expectDo(t, waiter, ":1\r\n", "RPUSH", "k", "v") // back to normal
}

func TestBlockingTimeoutCountsInTable(t *testing.T) {
	s, addr := startTestServer(t, nil)
	a, b := testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(a, "BLPOP", "k", "0")
	waitBlocked(t, s, 1)
	send(b, "BLPOP", "k", "100")
	waitBlocked(t, s, 2)
	s.Lock()
	inTable := s.clientsInTimeoutTable()
	s.Unlock()
	if inTable != 1 {
		t.Fatalf("clients_in_timeout_table = %d, want 1", inTable)
	}
	b.Close()
	waitBlocked(t, s, 1)
	s.Lock()
	inTable = s.clientsInTimeoutTable()
	s.Unlock()
	if inTable != 0 {
		t.Fatalf("clients_in_timeout_table = %d after disconnect, want 0", inTable)
	}
}

func TestBlockingBZPOP(t *testing.T) {
	s, addr := startTestServer(t, nil)
	prop := recordPropagation(s)
	w1, w2, w3, other := testutil.Dial(t, addr), testutil.Dial(t, addr), testutil.Dial(t, addr), testutil.Dial(t, addr)
	send(w1, "BZPOPMIN", "z", "0")
	waitBlocked(t, s, 1)
	send(w2, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5")
	waitBlocked(t, s, 2)
	// A list waiter on the same key is skipped while it holds a zset.
	send(w3, "BLPOP", "z", "0")
	waitBlocked(t, s, 3)
	expectDo(t, other, ":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c")
	expectReply(t, w1, "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n")
	expectReply(t, w2, "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n")
	waitBlocked(t, s, 1)
	prop.expect(t, "0 ZADD z 1 a 2 b 3 c", "0 ZPOPMIN z", "0 ZPOPMAX z 2")
	expectDo(t, other, ":1\r\n", "RPUSH", "z", "now-a-list")
	expectReply(t, w3, "*2\r\n$1\r\nz\r\n$10\r\nnow-a-list\r\n")
	waitBlocked(t, s, 0)
	expectDo(t, other, "*-1\r\n", "BZPOPMAX", "z", "0.05")
}

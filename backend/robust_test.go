package backend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// The tests here feed a node hostile or broken input. The rule (design.md):
// the offending client gets "-ERR Protocol error: ..." and is closed, every
// other client carries on as if nothing happened, and no input crashes the
// process or makes it hold on to memory.

// clientCount is the number of connected clients the server tracks.
func clientCount(s *Server) int {
	s.Lock()
	defer s.Unlock()
	return len(s.clients)
}

// waitClients waits until the server tracks exactly n clients.
func waitClients(t *testing.T, s *Server, n int) {
	t.Helper()
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		got := clientCount(s)
		return got == n, fmt.Sprintf("%d clients connected, want %d", got, n)
	})
}

// bystander is a client with state of its own (a selected database, a
// key, an open transaction) that must come through another client's
// misbehaviour untouched.
type bystander struct {
	t  *testing.T
	rc *testutil.RawConn
}

func newBystander(t *testing.T, addr string) *bystander {
	t.Helper()
	rc := testutil.Dial(t, addr)
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"SELECT", "3"}, "+OK\r\n"},
		{[]string{"SET", "bystander", "intact"}, "+OK\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"INCR", "bystander:n"}, "+QUEUED\r\n"},
		{[]string{"GET", "bystander"}, "+QUEUED\r\n"},
	} {
		if got := string(rc.Do(step.args...)); got != step.want {
			t.Fatalf("bystander %v = %q, want %q", step.args, got, step.want)
		}
	}
	return &bystander{t: t, rc: rc}
}

// check runs the bystander's transaction: its connection, database and
// MULTI state must all have survived.
func (b *bystander) check() {
	b.t.Helper()
	reply, err := b.rc.TryDo("EXEC")
	if err != nil {
		b.t.Fatalf("bystander lost its connection: %v", err)
	}
	if want := "*2\r\n:1\r\n$6\r\nintact\r\n"; string(reply) != want {
		b.t.Fatalf("bystander EXEC = %q, want %q", reply, want)
	}
	if got := string(b.rc.Do("PING")); got != "+PONG\r\n" {
		b.t.Fatalf("bystander PING = %q", got)
	}
}

// readUntilClosed reads everything conn sends until the server closes it.
// closed is false if the deadline passed with the connection still open.
func readUntilClosed(conn net.Conn, limit time.Duration) (out []byte, closed bool, err error) {
	conn.SetReadDeadline(time.Now().Add(limit))
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out, false, err
			}
			// EOF, or a reset when the server closed with our bytes
			// unread: both mean closed.
			return out, true, err
		}
	}
}

// TestRobustTruncatedFrames sends the start of a command and hangs up (or
// half-closes): nothing runs, the client is freed, others are untouched.
func TestRobustTruncatedFrames(t *testing.T) {
	s, addr := startTestServer(t, nil)
	by := newBystander(t, addr)
	base := clientCount(s)
	frames := []string{
		"*3\r\n$3\r\nSET\r\n$9\r\ntruncated\r\n$5\r\nval",
		"*3\r\n$3\r\nSET\r\n$9\r\ntruncated\r\n$5\r\n",
		"*3\r\n$3\r\nSET\r\n$9\r\ntruncated\r\n$5",
		"*3\r\n$3\r\nSET\r\n$9\r\ntrunc",
		"*3\r\n$3\r\nSET\r\n",
		"*3\r\n",
		"*3",
		"*",
		"SET truncated inline",
		"*1\r\n$100000\r\n" + strings.Repeat("x", 70000), // inside a large argument
	}
	for i, f := range frames {
		for _, half := range []bool{false, true} {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write([]byte(f)); err != nil {
				t.Fatalf("frame %d: write: %v", i, err)
			}
			if half {
				// Half-close: the server sees EOF mid-frame and must
				// close its side without replying.
				conn.(*net.TCPConn).CloseWrite()
				out, closed, err := readUntilClosed(conn, 5*time.Second)
				if !closed || len(out) != 0 {
					t.Errorf("frame %d %q then EOF: got %q, closed %v (%v); want a silent close", i, trunc(f), out, closed, err)
				}
			}
			conn.Close()
		}
	}
	waitClients(t, s, base)
	rc := testutil.Dial(t, addr)
	if got := string(rc.Do("EXISTS", "truncated")); got != ":0\r\n" {
		t.Errorf("a truncated SET ran: EXISTS = %q", got)
	}
	by.check()
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// badFrames are malformed requests with the reply Redis 7.0 gives each
// (checked against redis-server by TestRobustBadLengthsVsRedis). Every
// input is followed by "PING\r\nQUIT\r\n": answered only when the bad part
// is not a protocol error.
var badFrames = []struct {
	name, in, want string
}{
	{"negative multibulk", "*-5\r\n", "+PONG\r\n+OK\r\n"}, // Redis ignores it
	{"zero multibulk", "*0\r\n", "+PONG\r\n+OK\r\n"},
	// Blank lines after a first command once crashed the server: the
	// empty command came back as a non-nil, empty slice.
	{"blank lines after a command", "PING\r\n\r\n \t \r\n\n*0\r\n", "+PONG\r\n+PONG\r\n+OK\r\n"},
	{"negative bulk", "*1\r\n$-2\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"null bulk", "*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"huge multibulk", "*99999999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
	{"multibulk over INT_MAX", "*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
	{"bulk over proto-max-bulk-len", "*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"bulk overflowing int64", "*1\r\n$99999999999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"non-numeric multibulk", "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
	{"non-numeric bulk", "*1\r\n$x1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"missing dollar", "*2\r\n$3\r\nGET\r\n+foo\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
	{"unbalanced quotes", "SET \"k v\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
}

// TestRobustProtocolErrorRepliesOff: with CLIENT REPLY OFF or SKIP the
// protocol error is not sent, as with redis-server 7.0. Redis then leaves
// the connection open (it closes after a reply that never comes); warden
// closes it, which is what the error means.
func TestRobustProtocolErrorRepliesOff(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	for _, mode := range []string{"OFF", "SKIP"} {
		in := "CLIENT REPLY " + mode + "\r\n*1\r\n$-2\r\n"
		for _, target := range []struct{ name, addr string }{{"redis-server", real.Addr()}, {"warden", addr}} {
			conn, err := net.Dial("tcp", target.addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write([]byte(in)); err != nil {
				t.Fatal(err)
			}
			out, closed, _ := readUntilClosed(conn, time.Second)
			conn.Close()
			if len(out) != 0 {
				t.Errorf("%s answers %q with %q, want nothing", target.name, in, out)
			}
			if target.name == "warden" && !closed {
				t.Errorf("warden left the connection open after %q", in)
			}
		}
	}
}

// badFramesNoAuth are checked on a node with requirepass, before AUTH:
// Redis caps what an unauthenticated client may send.
var badFramesNoAuth = []struct {
	name, in, want string
}{
	{"small command", "*1\r\n$4\r\nPING\r\n", "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n+OK\r\n"},
	{"unauthenticated multibulk", "*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
	{"unauthenticated bulk", "*1\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
}

// runBadFrame sends in followed by PING and QUIT and returns what came
// back before the server closed the connection.
func runBadFrame(t *testing.T, addr, in string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(in + "PING\r\nQUIT\r\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
	out, closed, err := readUntilClosed(conn, 5*time.Second)
	if !closed {
		t.Errorf("%q: connection still open after %q (%v)", in, out, err)
	}
	return string(out)
}

// TestRobustBadLengths sends negative, huge and malformed lengths: each gets
// Redis's protocol error and is closed; the server and the other clients
// carry on.
func TestRobustBadLengths(t *testing.T) {
	s, addr := startTestServer(t, nil)
	by := newBystander(t, addr)
	base := clientCount(s)
	for _, tc := range badFrames {
		t.Run(tc.name, func(t *testing.T) {
			if got := runBadFrame(t, addr, tc.in); got != tc.want {
				t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	waitClients(t, s, base)
	by.check()

	_, authAddr := startTestServer(t, func(o *Options) { o.RequirePass = "pw" })
	for _, tc := range badFramesNoAuth {
		t.Run(tc.name, func(t *testing.T) {
			if got := runBadFrame(t, authAddr, tc.in); got != tc.want {
				t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestRobustBadLengthsVsRedis checks badFrames' expectations against Debian's
// redis-server 7.0, so they are Redis's behaviour and not our guess.
func TestRobustBadLengthsVsRedis(t *testing.T) {
	real := testutil.StartRedis(t)
	for _, tc := range badFrames {
		t.Run(tc.name, func(t *testing.T) {
			if got := runBadFrame(t, real.Addr(), tc.in); got != tc.want {
				t.Errorf("redis-server answers %q with %q; the test expects %q", tc.in, got, tc.want)
			}
		})
	}
	realAuth := testutil.StartRedis(t, "--requirepass", "pw")
	for _, tc := range badFramesNoAuth {
		t.Run(tc.name, func(t *testing.T) {
			if got := runBadFrame(t, realAuth.Addr(), tc.in); got != tc.want {
				t.Errorf("redis-server with requirepass answers %q with %q; the test expects %q", tc.in, got, tc.want)
			}
		})
	}
}

// heapWatch samples HeapInuse until stopped and reports the peak.
type heapWatch struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func watchHeap() *heapWatch {
	h := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapWatch) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestRobustHugeRequestWithoutNewline streams up to 1 GiB with no newline.
// The server must answer Redis's "too big ..." protocol error once 64 KB
// are buffered and close the connection, without buffering the stream.
func TestRobustHugeRequestWithoutNewline(t *testing.T) {
	s, addr := startTestServer(t, nil)
	by := newBystander(t, addr)
	base := clientCount(s)
	const total = 1 << 30
	const heapSlack = 64 << 20
	cases := []struct {
		name, prefix, fill, want string
	}{
		{"inline", "", "a", "-ERR Protocol error: too big inline request\r\n"},
		{"multibulk count", "*", "1", "-ERR Protocol error: too big mbulk count string\r\n"},
		{"bulk count", "*1\r\n$", "1", "-ERR Protocol error: too big bulk count string\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chunk := bytes.Repeat([]byte(tc.fill), 1<<20)
			before := heapInuse()
			hw := watchHeap()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()

			var replied atomic.Bool
			var sent atomic.Int64
			writerDone := make(chan error, 1)
			go func() {
				if _, err := conn.Write([]byte(tc.prefix)); err != nil {
					writerDone <- err
					return
				}
				for sent.Load() < total && !replied.Load() {
					conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
					n, err := conn.Write(chunk)
					sent.Add(int64(n))
					if err != nil {
						writerDone <- err
						return
					}
				}
				writerDone <- nil
			}()

			r := bufio.NewReader(conn)
			conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			line, err := r.ReadString('\n')
			replied.Store(true)
			if err != nil {
				t.Fatalf("no reply after %d bytes: %v (got %q)", sent.Load(), err, line)
			}
			if line != tc.want {
				t.Fatalf("reply %q, want %q", line, tc.want)
			}
			// Then the server closes: EOF, or a reset since it closed
			// with our bytes unread.
			rest, closed, err := readUntilClosed(conn, 10*time.Second)
			if !closed || len(rest) != 0 {
				t.Errorf("after the error: %q, closed %v (%v); want the connection closed", rest, closed, err)
			}
			select {
			case <-writerDone:
			case <-time.After(20 * time.Second):
				t.Fatalf("writer still blocked after the server closed")
			}
			peak := hw.Stop()
			t.Logf("sent %d MB before the reply; heap in use %d MB before, peak %d MB",
				sent.Load()>>20, before>>20, peak>>20)
			if sent.Load() >= total {
				t.Errorf("the whole GiB went through: the server never stopped reading")
			}
			if peak > before+heapSlack {
				t.Errorf("heap grew from %d MB to %d MB while a client streamed garbage", before>>20, peak>>20)
			}
		})
	}
	waitClients(t, s, base)
	by.check()
}

// garbageCommands are the bases that TestRobustGarbage mutates: harmless
// commands, so no mutation can turn into SHUTDOWN or FLUSHALL.
var garbageCommands = [][]string{
	{"SET", "g:k", "value"}, {"GET", "g:k"}, {"INCR", "g:n"}, {"LPUSH", "g:l", "a", "b"},
	{"HSET", "g:h", "f", "v"}, {"SADD", "g:s", "m"}, {"ZADD", "g:z", "1.5", "m"},
	{"MGET", "g:k", "g:n"}, {"PING"}, {"ECHO", "hello"}, {"LRANGE", "g:l", "0", "-1"},
}

// garbage returns n bytes of input: random bytes, or valid commands with
// random bytes flipped, inserted or dropped.
func garbage(rng *rand.Rand, n int) []byte {
	out := make([]byte, 0, n+256)
	structured := rng.Intn(2) == 0
	for len(out) < n {
		if !structured {
			b := make([]byte, 1+rng.Intn(512))
			rng.Read(b)
			out = append(out, b...)
			continue
		}
		cmd := testutil.EncodeCommand(garbageCommands[rng.Intn(len(garbageCommands))]...)
		for m := rng.Intn(3); m > 0; m-- {
			i := rng.Intn(len(cmd))
			switch rng.Intn(3) {
			case 0:
				cmd[i] = byte(rng.Intn(256))
			case 1:
				cmd = append(cmd[:i], cmd[i+1:]...)
			default:
				cmd = append(cmd[:i], append([]byte{byte(rng.Intn(256))}, cmd[i:]...)...)
			}
		}
		out = append(out, cmd...)
	}
	return out
}

// TestRobustGarbage has several connections send random and mutated input
// at once. Whatever each gets back, a protocol error is its last reply;
// the server stays up and the bystander is untouched.
func TestRobustGarbage(t *testing.T) {
	s, addr := startTestServer(t, nil)
	by := newBystander(t, addr)
	base := clientCount(s)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	const conns, rounds = 8, 6
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for i := 0; i < conns; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(seed + int64(round*conns+i)))
				input := garbage(rng, 64<<10+rng.Intn(64<<10))
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				defer conn.Close()
				go func() {
					// Write in random pieces; stop when the server closes.
					for len(input) > 0 {
						n := min(len(input), 1+rng.Intn(4096))
						conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
						if _, err := conn.Write(input[:n]); err != nil {
							return
						}
						input = input[n:]
					}
					// Some inputs leave a frame open; end them.
					conn.(*net.TCPConn).CloseWrite()
				}()
				out, closed, err := readUntilClosed(conn, 10*time.Second)
				if !closed {
					t.Errorf("conn %d round %d (seed %d): still open after its input ended (%v)", i, round, seed, err)
					return
				}
				if j := bytes.Index(out, []byte("-ERR Protocol error: ")); j >= 0 {
					tail := out[j:]
					if k := bytes.Index(tail, []byte("\r\n")); k < 0 || k+2 != len(tail) {
						t.Errorf("conn %d round %d (seed %d): output continues after a protocol error: %q",
							i, round, seed, tail[:min(len(tail), 200)])
					}
				}
			}(i)
		}
		wg.Wait()
	}
	waitClients(t, s, base)
	rc := testutil.Dial(t, addr)
	if got := string(rc.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("PING after garbage = %q", got)
	}
	by.check()
}

// TestRobustPubsubSlowConsumer floods a subscriber that never reads: the
// pub/sub output limit disconnects it, while a subscriber that reads gets
// every message and the publisher is unaffected.
func TestRobustPubsubSlowConsumer(t *testing.T) {
	// The hard limit is well above what one pipelined batch of PUBLISH
	// queues for a subscriber (Redis counts the whole batch too, before
	// writing), so only the subscriber that never reads reaches it.
	const hard = 1 << 20
	s, addr := startTestServer(t, func(o *Options) {
		o.OutputLimits[classPubsub] = OutputLimit{Hard: hard}
	})
	by := newBystander(t, addr)

	slow := testutil.Dial(t, addr)
	// Its receive buffer stays at the default: a tiny one makes the kernel
	// drain the server's queue through zero-window probes, so slowly that
	// the close could not be seen in a test's time.
	slowConn := slow.Conn().(*net.TCPConn)
	slowID := strings.TrimSpace(strings.TrimPrefix(string(slow.Do("CLIENT", "ID")), ":"))
	if got := string(slow.Do("SUBSCRIBE", "flood")); got != "*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n" {
		t.Fatalf("SUBSCRIBE = %q", got)
	}

	fast := testutil.Dial(t, addr)
	fast.SetTimeout(30 * time.Second)
	fast.Do("SUBSCRIBE", "flood")
	const n = 20000
	payload := strings.Repeat("p", 1000)
	fastErr := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			m, err := fast.ReadReply()
			if err != nil {
				fastErr <- fmt.Errorf("message %d: %w", i, err)
				return
			}
			want := fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n$%d\r\n%s-%d\r\n",
				len(payload)+1+len(fmt.Sprint(i)), payload, i)
			if string(m) != want {
				fastErr <- fmt.Errorf("message %d = %.80q...", i, m)
				return
			}
		}
		fastErr <- nil
	}()

	pub := testutil.Dial(t, addr)
	pub.SetTimeout(30 * time.Second)
	const batch = 100
	for i := 0; i < n; i += batch {
		var b []byte
		for j := i; j < i+batch; j++ {
			b = append(b, testutil.EncodeCommand("PUBLISH", "flood", fmt.Sprintf("%s-%d", payload, j))...)
		}
		pub.Send(b)
		for j := 0; j < batch; j++ {
			r, err := pub.ReadReply()
			if err != nil {
				t.Fatalf("PUBLISH reply %d: %v", i+j, err)
			}
			if r[0] != ':' {
				t.Fatalf("PUBLISH reply %d = %q", i+j, r)
			}
		}
	}
	if err := <-fastErr; err != nil {
		t.Fatalf("reading subscriber: %v", err)
	}

	// The slow subscriber is gone from the server...
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		s.Lock()
		defer s.Unlock()
		for id, c := range s.clients {
			if fmt.Sprint(id) == slowID {
				return false, fmt.Sprintf("slow subscriber %s still connected, %d bytes pending", slowID, len(c.reply))
			}
		}
		return true, ""
	})
	// ...and its socket is closed once what was sent is drained.
	_, closed, err := readUntilClosed(slowConn, 20*time.Second)
	if !closed {
		t.Errorf("slow subscriber's connection still open: %v", err)
	}
	if got := string(pub.Do("PUBLISH", "flood", "after")); got != ":1\r\n" {
		t.Errorf("PUBLISH after the disconnect reached %q subscribers, want :1", got)
	}
	if got := string(pub.Do("PING")); got != "+PONG\r\n" {
		t.Errorf("publisher PING = %q", got)
	}
	by.check()
}

// TestRobustManyConnections opens and closes 10k connections in batches;
// the server must keep up, track none of them afterwards and still answer.
func TestRobustManyConnections(t *testing.T) {
	const total, batch = 10000, 500
	// Each connection costs two descriptors here: ours and the server's.
	need := uint64(2*batch + 256)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur < need {
		if lim.Max < need {
			t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d descriptors needed", lim.Max, need)
		}
		old := lim
		lim.Cur = need
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("cannot raise RLIMIT_NOFILE to %d: %v", need, err)
		}
		t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	}

	s, addr := startTestServer(t, nil)
	by := newBystander(t, addr)
	base := clientCount(s)
	s.Lock()
	received := s.stats.connectionsReceived
	s.Unlock()

	deadline := time.Now().Add(2 * time.Minute)
	ping := testutil.EncodeCommand("PING")
	for done := 0; done < total; done += batch {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d connections done in 2 minutes", done, total)
		}
		conns := make([]net.Conn, 0, batch)
		var mu sync.Mutex
		var wg sync.WaitGroup
		var failed atomic.Int64
		for i := 0; i < batch; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					failed.Add(1)
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				if i%5 != 0 {
					return // most connections just come and go
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 7)
				if _, err := c.Write(ping); err != nil {
					failed.Add(1)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "+PONG\r\n" {
					failed.Add(1)
				}
			}(i)
		}
		wg.Wait()
		if f := failed.Load(); f > 0 {
			t.Fatalf("batch at %d: %d connections failed", done, f)
		}
		for _, c := range conns {
			c.Close()
		}
	}
	waitClients(t, s, base)
	s.Lock()
	got := s.stats.connectionsReceived - received
	s.Unlock()
	if got != total {
		t.Errorf("connections received grew by %d, want %d", got, total)
	}
	rc := testutil.Dial(t, addr)
	if r := string(rc.Do("PING")); r != "+PONG\r\n" {
		t.Fatalf("PING after 10k connections = %q", r)
	}
	by.check()
}

// robustInfoField reads one numeric field of INFO section from a raw connection.
func robustInfoField(t *testing.T, rc *testutil.RawConn, section, field string) int64 {
	t.Helper()
	reply := string(rc.Do("INFO", section))
	for _, line := range strings.Split(reply, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, ok := ParseInt([]byte(v))
			if !ok {
				t.Fatalf("INFO %s: %s = %q", section, field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s: %q", section, field, reply)
	return 0
}

// TestRobustNetInputCounting sends a command in many small pieces: the
// input counter must count each byte once, however many reads the frame
// takes to complete (it once re-counted the whole buffer on every read).
func TestRobustNetInputCounting(t *testing.T) {
	_, addr := startTestServer(t, nil)
	obs := testutil.Dial(t, addr)
	infoCmd := len(testutil.EncodeCommand("INFO", "stats"))
	before := robustInfoField(t, obs, "stats", "total_net_input_bytes")

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetNoDelay(true)
	frame := testutil.EncodeCommand("SET", "pieces", strings.Repeat("v", 30000))
	for off := 0; off < len(frame); off += 1000 {
		if _, err := conn.Write(frame[off:min(off+1000, len(frame))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // one read per piece
	}
	r := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("SET in pieces: %q, %v", line, err)
	}
	got := robustInfoField(t, obs, "stats", "total_net_input_bytes") - before
	if want := int64(len(frame) + infoCmd); got != want {
		t.Errorf("total_net_input_bytes grew by %d for %d bytes sent", got, want)
	}
}

// TestRobustSlowUploadNotIdle uploads a large value slowly to a node with
// an idle timeout: a client that keeps sending is not idle, even while the
// server waits for the rest of a big argument without framing it.
func TestRobustSlowUploadNotIdle(t *testing.T) {
	_, addr := startTestServer(t, func(o *Options) { o.Timeout = time.Second })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 200 << 10
	frame := testutil.EncodeCommand("SET", "slow", strings.Repeat("v", size))
	const pieces = 25 // over 2.5 s, more than twice the timeout
	step := len(frame)/pieces + 1
	for off := 0; off < len(frame); off += step {
		if _, err := conn.Write(frame[off:min(off+step, len(frame))]); err != nil {
			t.Fatalf("write at %d: %v (closed as idle?)", off, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "+OK\r\n" {
		t.Fatalf("SET uploaded over 2.5 s with timeout 1: %q, %v; want +OK", line, err)
	}
}

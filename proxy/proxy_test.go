package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/wardenhq/warden/internal/testutil"
)

// fakeSource is a topology Source the test drives.
type fakeSource struct {
	mu       sync.Mutex
	group    string
	publish  func(*Topology)
	gen      uint64
	rechecks []string
	closed   bool
}

func (f *fakeSource) Start(publish func(*Topology)) error {
	f.mu.Lock()
	f.publish = publish
	f.mu.Unlock()
	return nil
}

func (f *fakeSource) Recheck(reason string) {
	f.mu.Lock()
	f.rechecks = append(f.rechecks, reason)
	f.mu.Unlock()
}

func (f *fakeSource) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// set publishes a new topology.
func (f *fakeSource) set(state MasterState, master string, replicas ...string) {
	f.mu.Lock()
	f.gen++
	t := &Topology{Group: f.group, Master: master, State: state, Generation: f.gen, Since: time.Now(), Reason: "test"}
	for _, r := range replicas {
		t.Replicas = append(t.Replicas, Replica{Addr: r, LinkUp: true, LagBytes: 0, LagSeconds: 0})
	}
	pub := f.publish
	f.mu.Unlock()
	pub(t)
}

func (f *fakeSource) recheckCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rechecks)
}

const testGroup = "mymaster"

// startProxy starts a proxy with write, read and smart listeners on free
// ports, driven by a fake source; edit adjusts the configuration.
func startProxy(t *testing.T, edit func(*Config)) (*Proxy, *fakeSource) {
	t.Helper()
	cfg := &Config{
		MaxClients: 10000,
		Groups: []GroupConfig{{
			Name: testGroup, Write: "127.0.0.1:0", Read: "127.0.0.1:0", Smart: "127.0.0.1:0",
			FailoverHold: 5 * time.Second, BackendReplyTimeout: 10 * time.Second,
		}},
	}
	if edit != nil {
		edit(cfg)
	}
	src := &fakeSource{group: testGroup}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	p, err := New(cfg, map[string]Source{testGroup: src}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return p, src
}

func (p *Proxy) addr(role string) string { return p.Addrs()[testGroup+"/"+role] }

// reply formats the raw reply for comparisons.
func reply(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", " ") }

func expect(t *testing.T, c *testutil.RawConn, want string, args ...string) {
	t.Helper()
	got, err := c.TryDo(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if reply(got) != want {
		t.Fatalf("%v: got %q, want %q", args, reply(got), want)
	}
}

func TestProxySetGet(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, r.Addr())
	c := testutil.Dial(t, p.addr("write"))
	expect(t, c, "+OK ", "SET", "k", "v")
	expect(t, c, "$1 v ", "GET", "k")
	expect(t, c, "+PONG ", "PING")
	expect(t, c, "$-1 ", "GET", "missing")
	// Inline commands are forwarded too.
	c.Send([]byte("PING\r\n"))
	if got, _ := c.ReadReply(); reply(got) != "+PONG " {
		t.Fatalf("inline PING: %q", got)
	}
	// Refused commands.
	expect(t, c, "-ERR This instance has cluster support disabled ", "CLUSTER", "INFO")
	// Local: QUIT closes after +OK.
	expect(t, c, "+OK ", "QUIT")
	if _, err := c.ReadReply(); err == nil {
		t.Fatal("connection still open after QUIT")
	}
	st := p.Stats()
	var w ListenerStats
	for _, l := range st.Listeners {
		if l.Role == "write" {
			w = l
		}
	}
	if w.Commands < 6 || w.LatencyCount < 4 || w.Accepted != 1 {
		t.Fatalf("write listener stats %+v", w)
	}
	if len(st.Groups) != 1 || st.Groups[0].Topology.Master != r.Addr() || len(st.Groups[0].Backends) == 0 ||
		st.Groups[0].Backends[0].Commands == 0 || st.Groups[0].Backends[0].Role != "master" {
		t.Fatalf("group stats %+v", st.Groups)
	}
}

// pipeline sends cmds in one write and reads len(cmds) replies.
func pipeline(t *testing.T, c *testutil.RawConn, cmds [][]string) []string {
	t.Helper()
	var buf bytes.Buffer
	for _, cmd := range cmds {
		buf.Write(testutil.EncodeCommand(cmd...))
	}
	c.Send(buf.Bytes())
	out := make([]string, len(cmds))
	for i := range cmds {
		r, err := c.ReadReply()
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		out[i] = reply(r)
	}
	return out
}

func TestProxyPipelineOrder(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, r.Addr())
	for _, role := range []string{"write", "smart"} {
		c := testutil.Dial(t, p.addr(role))
		var cmds [][]string
		var want []string
		for i := 0; i < 1000; i++ {
			k := fmt.Sprintf("%s:k%d", role, i%17)
			switch i % 5 {
			case 0:
				cmds = append(cmds, []string{"SET", k, strconv.Itoa(i)})
				want = append(want, "+OK ")
			case 1:
				cmds = append(cmds, []string{"ECHO", strconv.Itoa(i)})
				want = append(want, fmt.Sprintf("$%d %d ", len(strconv.Itoa(i)), i))
			case 2:
				cmds = append(cmds, []string{"INCR", role + ":ctr"})
				want = append(want, fmt.Sprintf(":%d ", i/5+1))
			case 3:
				cmds = append(cmds, []string{"GET", fmt.Sprintf("%s:k%d", role, (i-3)%17)})
				v := strconv.Itoa(i - 3)
				want = append(want, fmt.Sprintf("$%d %s ", len(v), v))
			case 4:
				cmds = append(cmds, []string{"NOSUCHCMD", "x"})
				want = append(want, "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x'  ")
			}
		}
		got := pipeline(t, c, cmds)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: reply %d to %v: got %q, want %q", role, i, cmds[i], got[i], want[i])
			}
		}
	}
}

func TestProxyReadsSpreadOverReplicas(t *testing.T) {
	m := testutil.StartRedis(t)
	r1 := testutil.StartRedis(t)
	r2 := testutil.StartRedis(t)
	// Independent nodes the topology calls replicas: each says who it is.
	for addr, who := range map[string]string{m.Addr(): "master", r1.Addr(): "r1", r2.Addr(): "r2"} {
		c := testutil.Dial(t, addr)
		expect(t, c, "+OK ", "SET", "who", who)
	}
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, m.Addr(), r1.Addr(), r2.Addr())
	c := testutil.Dial(t, p.addr("read"))
	var cmds [][]string
	for i := 0; i < 400; i++ {
		if i%3 != 2 { // not 1 of 2: round-robin would then put every GET on one replica
			cmds = append(cmds, []string{"GET", "who"})
		} else {
			cmds = append(cmds, []string{"ECHO", strconv.Itoa(i)})
		}
	}
	got := pipeline(t, c, cmds)
	seen := map[string]int{}
	for i, g := range got {
		if i%3 == 2 {
			v := strconv.Itoa(i)
			if want := fmt.Sprintf("$%d %s ", len(v), v); g != want {
				t.Fatalf("reply %d: got %q, want %q (order broken)", i, g, want)
			}
			continue
		}
		seen[g]++
	}
	if seen["$2 r1 "] < 50 || seen["$2 r2 "] < 50 || seen["$6 master "] != 0 {
		t.Fatalf("reads not spread over the replicas: %v", seen)
	}
	// Writes on the read port are refused as a replica would.
	expect(t, c, "-READONLY You can't write against a read only replica. ", "SET", "who", "x")
	// The smart port sends reads to replicas and writes to the master.
	s := testutil.Dial(t, p.addr("smart"))
	expect(t, s, "+OK ", "SET", "smart", "1")
	mc := testutil.Dial(t, m.Addr())
	expect(t, mc, "$1 1 ", "GET", "smart")
	if g := reply(s.Do("GET", "who")); g != "$2 r1 " && g != "$2 r2 " {
		t.Fatalf("smart read went to %q", g)
	}
	// A replica going away: reads go to the other one.
	src.set(MasterConfirmed, m.Addr(), r2.Addr())
	for i := 0; i < 10; i++ {
		expect(t, c, "$2 r2 ", "GET", "who")
	}
	// None left: the master serves reads (read-fallback).
	src.set(MasterConfirmed, m.Addr())
	expect(t, c, "$6 master ", "GET", "who")
}

func TestProxyMultiExec(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, r.Addr())
	c := testutil.Dial(t, p.addr("write"))
	other := testutil.Dial(t, p.addr("write"))
	expect(t, c, "+OK ", "MULTI")
	expect(t, c, "+QUEUED ", "SET", "tx", "1")
	expect(t, c, "+QUEUED ", "INCR", "tx")
	// Another client is not inside the transaction.
	expect(t, other, "$-1 ", "GET", "tx")
	expect(t, c, "*2 +OK :2 ", "EXEC")
	expect(t, other, "$1 2 ", "GET", "tx")
	// WATCH conflict aborts EXEC.
	expect(t, c, "+OK ", "WATCH", "tx")
	expect(t, other, "+OK ", "SET", "tx", "changed")
	expect(t, c, "+OK ", "MULTI")
	expect(t, c, "+QUEUED ", "SET", "tx", "mine")
	expect(t, c, "*-1 ", "EXEC")
	expect(t, c, "$7 changed ", "GET", "tx")
	// Pipelined: a transaction between plain commands keeps the order.
	got := pipeline(t, c, [][]string{{"SET", "a", "1"}, {"MULTI"}, {"INCR", "a"}, {"EXEC"}, {"GET", "a"}, {"DISCARD"}})
	want := []string{"+OK ", "+OK ", "+QUEUED ", "*1 :2 ", "$1 2 ", "-ERR DISCARD without MULTI "}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pipelined tx reply %d: %q, want %q", i, got[i], want[i])
		}
	}
	// A write inside MULTI on the read port aborts the transaction.
	rd := testutil.Dial(t, p.addr("read"))
	expect(t, rd, "+OK ", "MULTI")
	expect(t, rd, "-READONLY You can't write against a read only replica. ", "SET", "x", "1")
	expect(t, rd, "+QUEUED ", "GET", "a")
	expect(t, rd, "-EXECABORT Transaction discarded because of previous errors. ", "EXEC")
}

func TestProxySelectAndHello3(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, r.Addr())
	c := testutil.Dial(t, p.addr("write"))
	expect(t, c, "+OK ", "SELECT", "3")
	expect(t, c, "+OK ", "SET", "db3", "x")
	c0 := testutil.Dial(t, p.addr("write"))
	expect(t, c0, "$-1 ", "GET", "db3")
	expect(t, c, "$1 x ", "GET", "db3")
	// HELLO 3: RESP3 replies come back unchanged from a node that got
	// HELLO 3.
	h := testutil.Dial(t, p.addr("write"))
	hello := h.Do("HELLO", "3", "SETNAME", "me")
	if !strings.HasPrefix(string(hello), "%") {
		t.Fatalf("HELLO 3 reply %q", hello)
	}
	expect(t, h, ":1 ", "HSET", "hh", "f", "v")
	// HGETALL is a map in RESP3.
	if got := reply(h.Do("HGETALL", "hh")); got != "%1 $1 f $1 v " {
		t.Fatalf("HGETALL in RESP3: %q", got)
	}
	expect(t, h, "$2 me ", "CLIENT", "GETNAME")
}

func TestProxyPubSub(t *testing.T) {
	m := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))
	waitReplicaLinked(t, rep.Addr())
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, m.Addr(), rep.Addr())
	for _, role := range []string{"write", "read", "smart"} {
		// A channel per port: the replica also gets the other ports'
		// messages through replication.
		ch, pat := "news-"+role, "news-"+role+"*"
		sub := testutil.Dial(t, p.addr(role))
		expect(t, sub, fmt.Sprintf("*3 $9 subscribe $%d %s :1 ", len(ch), ch), "SUBSCRIBE", ch)
		expect(t, sub, fmt.Sprintf("*3 $10 psubscribe $%d %s :2 ", len(pat), pat), "PSUBSCRIBE", pat)
		pub := testutil.Dial(t, p.addr("write"))
		// The read port's subscriber is on the replica: PUBLISH on the
		// master reaches it through replication (and counts no receiver).
		got := reply(pub.Do("PUBLISH", ch, "hello"))
		if role != "read" && got != ":2 " {
			t.Fatalf("%s: PUBLISH reached %q", role, got)
		}
		msg, err := sub.ReadReply()
		if err != nil || reply(msg) != fmt.Sprintf("*3 $7 message $%d %s $5 hello ", len(ch), ch) {
			t.Fatalf("%s: message %q %v", role, msg, err)
		}
		pmsg, err := sub.ReadReply()
		if err != nil || reply(pmsg) != fmt.Sprintf("*4 $8 pmessage $%d %s $%d %s $5 hello ", len(pat), pat, len(ch), ch) {
			t.Fatalf("%s: pmessage %q %v", role, pmsg, err)
		}
		// PING in subscribed mode, then back to normal with RESET.
		expect(t, sub, "*2 $4 pong $0  ", "PING")
		expect(t, sub, "+RESET ", "RESET")
		expect(t, sub, "+PONG ", "PING")
	}
}

func waitReplicaLinked(t *testing.T, addr string) {
	t.Helper()
	c := testutil.Dial(t, addr)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		info := string(c.Do("INFO", "replication"))
		return strings.Contains(info, "master_link_status:up"), info
	})
}

func TestProxyBlockingCommands(t *testing.T) {
	m := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
	rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port()))
	waitReplicaLinked(t, rep.Addr())
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, m.Addr(), rep.Addr())
	for _, role := range []string{"write", "smart"} {
		blocked := testutil.Dial(t, p.addr(role))
		key := "list-" + role
		blocked.Send(testutil.EncodeCommand("BLPOP", key, "0"))
		// Pipelined after BLPOP: must wait for it (runs after it on the
		// node, so it finds the element BLPOP left).
		blocked.Send(testutil.EncodeCommand("RPOP", key))
		pusher := testutil.Dial(t, p.addr("write"))
		// The other clients are not blocked meanwhile.
		for i := 0; i < 3; i++ {
			expect(t, pusher, "+PONG ", "PING")
		}
		expect(t, pusher, ":2 ", "LPUSH", key, "a", "b")
		got, err := blocked.ReadReply()
		if err != nil || reply(got) != fmt.Sprintf("*2 $%d %s $1 b ", len(key), key) {
			t.Fatalf("%s: BLPOP reply %q %v", role, got, err)
		}
		if got, err := blocked.ReadReply(); err != nil || reply(got) != "$1 a " {
			t.Fatalf("%s: RPOP after BLPOP %q %v", role, got, err)
		}
		expect(t, blocked, "+PONG ", "PING")
	}
	// Through the read port: XREAD BLOCK on the replica, woken by an XADD
	// on the master (replicated).
	rd := testutil.Dial(t, p.addr("read"))
	rd.Send(testutil.EncodeCommand("XREAD", "BLOCK", "0", "STREAMS", "st", "$"))
	w := testutil.Dial(t, p.addr("write"))
	repc := testutil.Dial(t, rep.Addr())
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		info := string(repc.Do("INFO", "clients"))
		return strings.Contains(info, "blocked_clients:1"), info
	})
	if got := reply(w.Do("XADD", "st", "1-1", "f", "v")); got != "$3 1-1 " {
		t.Fatalf("XADD %q", got)
	}
	got, err := rd.ReadReply()
	if err != nil || !strings.Contains(reply(got), "$3 1-1") {
		t.Fatalf("XREAD BLOCK on the read port: %q %v", got, err)
	}
	// Blocking pops work through the read port too: they go to the
	// master, where the writes that wake them happen.
	rd.Send(testutil.EncodeCommand("BLPOP", "l", "0"))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		info := string(testutil.Dial(t, m.Addr()).Do("INFO", "clients"))
		return strings.Contains(info, "blocked_clients:1"), info
	})
	expect(t, w, ":1 ", "LPUSH", "l", "x")
	if got, err := rd.ReadReply(); err != nil || reply(got) != "*2 $1 l $1 x " {
		t.Fatalf("BLPOP through the read port: %q %v", got, err)
	}
	// Inside MULTI it would not block: a plain write, refused there.
	expect(t, rd, "+OK ", "MULTI")
	expect(t, rd, "-READONLY You can't write against a read only replica. ", "BLPOP", "l", "0")
	expect(t, rd, "-EXECABORT Transaction discarded because of previous errors. ", "EXEC")
}

func TestProxyAuth(t *testing.T) {
	r := testutil.StartRedis(t, "--requirepass", "nodesecret")
	p, src := startProxy(t, func(c *Config) {
		c.RequirePass = "proxysecret"
		c.Groups[0].NodePass = "nodesecret"
	})
	src.set(MasterConfirmed, r.Addr())
	c := testutil.Dial(t, p.addr("write"))
	expect(t, c, "-NOAUTH Authentication required. ", "GET", "k")
	expect(t, c, "-WRONGPASS invalid username-password pair or user is disabled. ", "AUTH", "nodesecret")
	expect(t, c, "-WRONGPASS invalid username-password pair or user is disabled. ", "AUTH", "other", "proxysecret")
	expect(t, c, "+OK ", "AUTH", "proxysecret")
	expect(t, c, "+OK ", "SET", "k", "v")
	expect(t, c, "$1 v ", "GET", "k")
	// HELLO with AUTH authenticates at the proxy; the node never sees it.
	h := testutil.Dial(t, p.addr("write"))
	expect(t, h, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time ", "HELLO", "2")
	if got := reply(h.Do("HELLO", "2", "AUTH", "default", "proxysecret")); !strings.HasPrefix(got, "*14 $6 server") {
		t.Fatalf("HELLO 2 AUTH: %q", got)
	}
	expect(t, h, "$1 v ", "GET", "k")
	// The proxy's own node credentials wrong: a clear error, not a hang.
	p2, src2 := startProxy(t, func(c *Config) { c.Groups[0].NodePass = "wrong" })
	src2.set(MasterConfirmed, r.Addr())
	c2 := testutil.Dial(t, p2.addr("write"))
	expect(t, c2, "-ERR proxy: could not authenticate to the node (check node-user/node-pass) ", "GET", "k")
}

func TestProxyProtocolErrorClosesOnlyThatClient(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, r.Addr())
	good := testutil.Dial(t, p.addr("write"))
	expect(t, good, "+OK ", "SET", "k", "v")
	bad := testutil.Dial(t, p.addr("write"))
	bad.Send([]byte("*1\r\n$4\r\nPING\r\n*2\r\n$x\r\n"))
	if got, _ := bad.ReadReply(); reply(got) != "+PONG " {
		t.Fatalf("before the garbage: %q", got)
	}
	got, err := bad.ReadReply()
	if err != nil || reply(got) != "-ERR Protocol error: invalid bulk length " {
		t.Fatalf("garbage reply %q %v", got, err)
	}
	if _, err := bad.ReadReply(); err == nil {
		t.Fatal("connection still open after a protocol error")
	}
	expect(t, good, "$1 v ", "GET", "k")
}

// failoverSetup starts two nodes and a proxy whose confirmed master is a,
// with a write-port client that has written k=1 through it.
func failoverSetup(t *testing.T) (p *Proxy, src *fakeSource, a, b *testutil.Proc, c *testutil.RawConn) {
	t.Helper()
	a = testutil.StartRedis(t)
	b = testutil.StartRedis(t)
	p, src = startProxy(t, nil)
	src.set(MasterConfirmed, a.Addr())
	c = testutil.Dial(t, p.addr("write"))
	expect(t, c, "+OK ", "SET", "k", "1")
	return p, src, a, b, c
}

func TestProxyFailover(t *testing.T) {
	p, src, a, b, c := failoverSetup(t)
	pinned := testutil.Dial(t, p.addr("write"))
	expect(t, pinned, "+OK ", "SELECT", "2")
	expect(t, pinned, "+OK ", "SET", "pinned", "1")
	ac := testutil.Dial(t, a.Addr())
	expect(t, ac, "$1 1 ", "GET", "k")

	src.set(MasterChanging, a.Addr())
	// Writes now wait; none reaches A.
	c.Send(testutil.EncodeCommand("SET", "held1", "x"))
	c.Send(testutil.EncodeCommand("INCR", "held2"))
	w2 := testutil.Dial(t, p.addr("write"))
	w2.Send(testutil.EncodeCommand("SET", "held3", "y"))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		h := p.Stats().Groups[0].Held
		return h == 3, fmt.Sprintf("held %d", h)
	})
	// The connection pinned to A was closed with its client.
	if got, err := pinned.ReadReply(); err == nil {
		t.Fatalf("pinned client still served after the master changed: %q", got)
	}
	time.Sleep(100 * time.Millisecond)
	expect(t, ac, ":0 ", "EXISTS", "held1", "held2", "held3")

	src.set(MasterConfirmed, b.Addr())
	for _, want := range []string{"+OK ", ":1 "} {
		got, err := c.ReadReply()
		if err != nil || reply(got) != want {
			t.Fatalf("held write reply %q %v, want %q", got, err, want)
		}
	}
	if got, err := w2.ReadReply(); err != nil || reply(got) != "+OK " {
		t.Fatalf("held write reply %q %v", got, err)
	}
	bc := testutil.Dial(t, b.Addr())
	expect(t, bc, ":3 ", "EXISTS", "held1", "held2", "held3")
	expect(t, ac, ":0 ", "EXISTS", "held1", "held2", "held3")
	expect(t, c, "+OK ", "SET", "after", "1")
	expect(t, bc, "$1 1 ", "GET", "after")
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		f := p.Stats().Failovers
		return len(f) == 1 && !f[0].Resumed.IsZero(), fmt.Sprintf("%+v", f)
	})
	f := p.Stats().Failovers[0]
	if f.From != a.Addr() || f.To != b.Addr() || f.Held != 3 || f.Expired != 0 || f.Switched.Before(f.Detected) {
		t.Fatalf("failover record %+v", f)
	}
	if n := p.Stats().Groups[0].FailoverCount; n != 1 {
		t.Fatalf("FailoverCount %d, want 1", n)
	}
}

// TestProxyPausedOldMasterCannotAcknowledge: a write already sent to a
// master that is then paused (SIGSTOP) past the failover must not be
// acknowledged by it when it resumes: once B is confirmed, the shared
// connections to A are closed and the write gets an error, never +OK.
func TestProxyPausedOldMasterCannotAcknowledge(t *testing.T) {
	p, src, a, b, c := failoverSetup(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Signal(syscall.SIGSTOP))
	resumed := false
	defer func() {
		if !resumed {
			a.Signal(syscall.SIGCONT)
		}
	}()
	c.Send(testutil.EncodeCommand("SET", "inflight", "1"))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		var n int64
		for _, be := range p.Stats().Groups[0].Backends {
			n += be.Inflight
		}
		return n > 0, "the write is not in flight to A"
	})
	src.set(MasterChanging, a.Addr())
	src.set(MasterConfirmed, b.Addr())
	// Stats runs a task on every loop after the topology updates queued
	// above, so once it returns the loops have applied them; then A wakes
	// up and answers whatever is still queued on its connections.
	p.Stats()
	must(a.Signal(syscall.SIGCONT))
	resumed = true
	got, err := c.ReadReply()
	if err == nil && !strings.HasPrefix(string(got), "-") {
		t.Fatalf("write in flight to the replaced master answered %q", reply(got))
	}
	bc := testutil.Dial(t, b.Addr())
	expect(t, bc, ":0 ", "EXISTS", "inflight")
}

func TestProxyHoldTimeout(t *testing.T) {
	a := testutil.StartRedis(t)
	p, src := startProxy(t, func(c *Config) { c.Groups[0].FailoverHold = 300 * time.Millisecond })
	src.set(MasterUnknown, "")
	c := testutil.Dial(t, p.addr("write"))
	start := time.Now()
	expect(t, c, "-TRYAGAIN failover in progress: no master confirmed within failover-hold ", "SET", "k", "v")
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("hold lasted %v", d)
	}
	// A pin waits the same way.
	expect(t, c, "-TRYAGAIN failover in progress: no master confirmed within failover-hold ", "MULTI")
	src.set(MasterConfirmed, a.Addr())
	expect(t, c, "+OK ", "SET", "k", "v")
	expect(t, c, "+OK ", "MULTI")
	expect(t, c, "*0 ", "EXEC")
}

func TestProxyReadonlyMasterIsRechecked(t *testing.T) {
	p, src, a, b, c := failoverSetup(t)
	// A is demoted behind the source's back.
	ac := testutil.Dial(t, a.Addr())
	expect(t, ac, "+OK ", "REPLICAOF", "127.0.0.1", strconv.Itoa(b.Port()))
	c.Send(testutil.EncodeCommand("SET", "k2", "2"))
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		return src.recheckCount() > 0 && p.Stats().Groups[0].Held == 1, "no recheck / hold"
	})
	src.set(MasterConfirmed, b.Addr(), a.Addr())
	if got, err := c.ReadReply(); err != nil || reply(got) != "+OK " {
		t.Fatalf("held write: %q %v", got, err)
	}
	bc := testutil.Dial(t, b.Addr())
	expect(t, bc, "$1 2 ", "GET", "k2")
}

func TestProxyMasterKilledFastPath(t *testing.T) {
	_, src, a, b, c := failoverSetup(t)
	a.Kill()
	// The shared connection drops; the next write cannot reach A: held,
	// and the source is asked to re-check at once.
	start := time.Now()
	c.Send(testutil.EncodeCommand("SET", "k", "2"))
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		return src.recheckCount() > 0, "no recheck"
	})
	if d := time.Since(start); d > time.Second {
		t.Fatalf("recheck after %v", d)
	}
	src.set(MasterConfirmed, b.Addr())
	got, err := c.ReadReply()
	// The write either waited and went to B, or was in flight when A
	// died (then it says so).
	if err != nil || (reply(got) != "+OK " && !strings.Contains(reply(got), "may or may not")) {
		t.Fatalf("write after the kill: %q %v", got, err)
	}
	expect(t, c, "+OK ", "SET", "k", "3")
	bc := testutil.Dial(t, b.Addr())
	expect(t, bc, "$1 3 ", "GET", "k")
}

func TestProxyGoRedis(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, func(c *Config) { c.RequirePass = "pw" })
	src.set(MasterConfirmed, r.Addr())
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: p.addr("write"), Password: "pw", Protocol: proto,
			DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
		t.Cleanup(func() { rdb.Close() })
		key := fmt.Sprintf("gr%d", proto)
		if err := rdb.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatalf("resp%d set: %v", proto, err)
		}
		if v, err := rdb.Get(ctx, key).Result(); err != nil || v != "v" {
			t.Fatalf("resp%d get: %q %v", proto, v, err)
		}
		cmds, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := 0; i < 100; i++ {
				pipe.Incr(ctx, key+":n")
			}
			return nil
		})
		if err != nil || cmds[99].(*redis.IntCmd).Val() != 100 {
			t.Fatalf("resp%d pipeline: %v", proto, err)
		}
		_, err = rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.HSet(ctx, key+":h", "a", "1", "b", "2")
			return nil
		})
		if err != nil {
			t.Fatalf("resp%d tx: %v", proto, err)
		}
		if m, err := rdb.HGetAll(ctx, key+":h").Result(); err != nil || m["b"] != "2" {
			t.Fatalf("resp%d hgetall: %v %v", proto, m, err)
		}
		sub := rdb.Subscribe(ctx, "ch"+key)
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatalf("resp%d subscribe: %v", proto, err)
		}
		if err := rdb.Publish(ctx, "ch"+key, "hi").Err(); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hi" {
			t.Fatalf("resp%d message: %v %v", proto, msg, err)
		}
		sub.Close()
	}
}

func TestProxyRedisBenchmark(t *testing.T) {
	bin := testutil.RequireBinary(t, "redis-benchmark")
	r := testutil.StartRedis(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, r.Addr())
	host, port, _ := net.SplitHostPort(p.addr("write"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-t", "set,get", "-n", "20000",
		"-P", "16", "-c", "50", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "SET: ") || !strings.Contains(text, "GET: ") ||
		strings.Contains(strings.ToLower(text), "error") {
		t.Fatalf("redis-benchmark output:\n%s", text)
	}
	t.Logf("redis-benchmark through the proxy:\n%s", text)
	var w ListenerStats
	for _, l := range p.Stats().Listeners {
		if l.Role == "write" {
			w = l
		}
	}
	if w.Commands < 40000 || w.Errors != 0 {
		t.Fatalf("write listener stats after the benchmark: %+v", w)
	}
}

func TestProxyLimits(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, func(c *Config) {
		c.MaxClients = 2
		c.ClientIdleTimeout = 300 * time.Millisecond
	})
	src.set(MasterConfirmed, r.Addr())
	c1 := testutil.Dial(t, p.addr("write"))
	c2 := testutil.Dial(t, p.addr("write"))
	expect(t, c1, "+PONG ", "PING")
	expect(t, c2, "+PONG ", "PING")
	c3 := testutil.Dial(t, p.addr("write"))
	if got, err := c3.ReadReply(); err != nil || reply(got) != "-ERR max number of clients reached " {
		t.Fatalf("third client: %q %v", got, err)
	}
	// Idle clients are closed; a freed slot admits a new one.
	c1.SetTimeout(5 * time.Second)
	if _, err := c1.ReadReply(); err == nil {
		t.Fatal("idle client not closed")
	}
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := p.clients.Load()
		return n == 0, fmt.Sprintf("%d clients", n)
	})
	c4 := testutil.Dial(t, p.addr("write"))
	expect(t, c4, "+PONG ", "PING")
}

func TestProxyOutputLimit(t *testing.T) {
	r := testutil.StartRedis(t)
	p, src := startProxy(t, func(c *Config) { c.ClientOutputLimit = 1 << 20 })
	src.set(MasterConfirmed, r.Addr())
	c := testutil.Dial(t, p.addr("write"))
	expect(t, c, "+OK ", "SET", "big", strings.Repeat("x", 512<<10))
	// Ask for far more than the limit and never read: the proxy cuts the
	// client off instead of buffering.
	conn, err := net.Dial("tcp", p.addr("write"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	var req bytes.Buffer
	for i := 0; i < 200; i++ {
		req.Write(testutil.EncodeCommand("GET", "big"))
	}
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		n := p.clients.Load()
		return n == 1, fmt.Sprintf("%d clients", n)
	})
	expect(t, c, "+PONG ", "PING")
	// The cut-off client is reset: it does not get the buffered megabytes.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := bufio.NewReader(conn).Discard(1 << 30)
	if err == nil || strings.Contains(err.Error(), "timeout") || n >= 200*(512<<10) {
		t.Fatalf("the slow client read %d bytes, then %v", n, err)
	}
}

func TestProxyWardenNode(t *testing.T) {
	w := testutil.StartWarden(t)
	p, src := startProxy(t, nil)
	src.set(MasterConfirmed, w.Addr())
	c := testutil.Dial(t, p.addr("write"))
	var cmds [][]string
	var want []string
	for i := 0; i < 200; i++ {
		v := strconv.Itoa(i)
		cmds = append(cmds, []string{"SET", "w" + v, v}, []string{"GET", "w" + v})
		want = append(want, "+OK ", fmt.Sprintf("$%d %s ", len(v), v))
	}
	got := pipeline(t, c, cmds)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reply %d: %q, want %q", i, got[i], want[i])
		}
	}
	expect(t, c, "+OK ", "MULTI")
	expect(t, c, "+QUEUED ", "INCR", "wc")
	expect(t, c, "*1 :1 ", "EXEC")
}

package backend

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// Differential and functional tests of the connection commands and CLIENT.

func TestDiffConnCommands(t *testing.T) {
	adminDiff(t, func(proto int) []testutil.Step {
		var s steps
		s.add("PING")
		s.add("PING", "hello")
		s.add("PING", "a", "b")
		s.add("ECHO", "x y\r\n")
		s.add("ECHO")
		s.add("ECHO", "a", "b")
		s.add("SELECT", "1")
		s.add("SELECT", "15")
		s.add("SELECT", "16")
		s.add("SELECT", "-1")
		s.add("SELECT", "x")
		s.add("SELECT", "1.5")
		s.add("SELECT", "99999999999999999999")
		s.add("SELECT", "4294967296")
		s.add("SELECT", "0")
		s.add("AUTH", "x")
		s.add("AUTH", "default", "x")
		s.add("AUTH", "bob", "x")
		s.add("AUTH", "a", "b", "c")
		s.add("AUTH")
		s.add("HELLO", "4")
		s.add("HELLO", "1")
		s.add("HELLO", "x")
		s.add("HELLO", "3", "FOO")
		s.add("HELLO", "3", "AUTH", "default")
		s.add("HELLO", "3", "SETNAME", "a b")
		s.add("HELLO", "2", "AUTH", "bob", "x")
		s.add("CLIENT", "GETNAME")
		s.add("CLIENT", "SETNAME", "conn-1")
		s.add("CLIENT", "GETNAME")
		s.add("CLIENT", "SETNAME", "a b")
		s.add("CLIENT", "SETNAME", "a\nb")
		s.add("CLIENT", "SETNAME", "caf\xc3\xa9")
		s.add("CLIENT", "GETNAME")
		s.add("CLIENT", "SETNAME", "")
		s.add("CLIENT", "GETNAME")
		s.add("CLIENT", "SETNAME")
		s.add("CLIENT")
		s.add("CLIENT", "FOO")
		s.add("CLIENT", "ID", "x")
		s.add("CLIENT", "KILL")
		s.add("CLIENT", "KILL", "1.2.3.4:5")
		s.add("CLIENT", "KILL", "ID", "0")
		s.add("CLIENT", "KILL", "ID", "x")
		s.add("CLIENT", "KILL", "ID")
		s.add("CLIENT", "KILL", "ID", "999999")
		s.add("CLIENT", "KILL", "TYPE", "foo")
		s.add("CLIENT", "KILL", "TYPE", "master")
		s.add("CLIENT", "KILL", "USER", "bob")
		s.add("CLIENT", "KILL", "USER", "default", "SKIPME", "yes", "ID", "999999")
		s.add("CLIENT", "KILL", "SKIPME", "maybe")
		s.add("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "LADDR")
		s.add("CLIENT", "KILL", "FOO", "bar")
		s.add("CLIENT", "PAUSE", "x")
		s.add("CLIENT", "PAUSE", "10", "FOO")
		s.add("CLIENT", "PAUSE", "-1")
		s.add("CLIENT", "PAUSE", "1.5")
		s.add("CLIENT", "PAUSE", "10", "WRITE", "x")
		s.add("CLIENT", "PAUSE")
		s.add("CLIENT", "UNPAUSE")
		s.add("CLIENT", "UNBLOCK", "x")
		s.add("CLIENT", "UNBLOCK", "1", "FOO")
		s.add("CLIENT", "UNBLOCK", "999999")
		s.add("CLIENT", "UNBLOCK", "999999", "ERROR")
		s.add("CLIENT", "UNBLOCK", "1", "ERROR", "x")
		s.add("CLIENT", "LIST", "TYPE", "foo")
		s.add("CLIENT", "LIST", "ID", "x")
		s.add("CLIENT", "LIST", "ID", "999999")
		s.add("CLIENT", "LIST", "foo")
		s.add("CLIENT", "LIST", "TYPE", "master")
		s.add("CLIENT", "LIST", "TYPE", "replica")
		s.add("CLIENT", "REPLY", "FOO")
		s.add("CLIENT", "REPLY", "ON")
		s.add("CLIENT", "NO-EVICT", "x")
		s.add("CLIENT", "NO-EVICT", "on")
		s.add("CLIENT", "NO-EVICT", "OFF")
		s.add("CLIENT", "GETREDIR")
		s.add("CLIENT", "TRACKINGINFO")
		s.add("CLIENT", "HELP")
		s.add("CLIENT", "HELP", "x")
		// Commands with subcommands queue inside MULTI like any other
		// (Sentinel's reconfiguration transaction depends on it); a bad
		// subcommand or arity aborts EXEC.
		s.add("MULTI")
		s.add("CLIENT", "SETNAME", "in-multi")
		s.add("CLIENT", "KILL", "TYPE", "pubsub")
		s.add("OBJECT", "ENCODING", "nokey")
		s.add("EXEC")
		s.add("MULTI")
		s.add("CLIENT", "NOSUCHSUB")
		s.add("CLIENT", "GETNAME")
		s.add("EXEC")
		s.add("MULTI")
		s.add("CLIENT", "SETNAME")
		s.add("EXEC")
		// RESET leaves everything and goes back to RESP2 and db 0.
		s.add("SELECT", "3")
		s.add("CLIENT", "SETNAME", "before-reset")
		s.add("MULTI")
		s.add("PING")
		s.add("RESET")
		s.add("CLIENT", "GETNAME")
		s.add("EXEC")
		s.add("SUBSCRIBE", "ch")
		s.add("PING")
		s.add("PING", "x")
		s.add("GET", "k")
		s.add("RESET")
		s.add("PING")
		s.add("RESET", "x")
		return s
	}, nil, nil)
}

// TestDiffAuthRequired runs in RESP2 only: the script starts
// unauthenticated, before any HELLO 3 could be sent.
func TestDiffAuthRequired(t *testing.T) {
	adminDiffProtos(t, []int{2}, func(proto int) []testutil.Step {
		var s steps
		s.add("PING")
		s.add("AUTH", "wrong")
		s.add("AUTH", "default", "wrong")
		s.add("HELLO", "2", "AUTH", "default", "wrong")
		s.add("HELLO", "2", "SETNAME", "x")
		s.add("CLIENT", "GETNAME")
		s.add("AUTH", "s3cret")
		s.add("PING")
		s.add("AUTH", "default", "s3cret")
		s.add("AUTH", "nobody", "s3cret")
		s.add("PING")
		s.add("RESET")
		s.add("PING")
		s.add("QUIT")
		return s
	}, []string{"--requirepass", "s3cret"}, func(o *Options) { o.RequirePass = "s3cret" })
}

// helloIDRe matches the id field of a HELLO reply, which differs between
// servers.
var helloIDRe = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

func TestDiffHello(t *testing.T) {
	real := testutil.StartRedis(t, "--requirepass", "pw")
	_, addr := startTestServer(t, func(o *Options) { o.RequirePass = "pw" })
	for _, args := range [][]string{
		{"HELLO", "2", "AUTH", "default", "pw"},
		{"HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n1"},
		{"HELLO"},
		{"HELLO", "2"},
		{"HELLO", "3"},
		{"CLIENT", "GETNAME"},
	} {
		a := testutil.Dial(t, addr)
		b := testutil.Dial(t, real.Addr())
		if args[0] == "HELLO" && len(args) < 4 {
			a.Do("AUTH", "pw")
			b.Do("AUTH", "pw")
		}
		ra := helloIDRe.ReplaceAllLiteral(a.Do(args...), []byte("$2\r\nid\r\n:ID\r\n"))
		rb := helloIDRe.ReplaceAllLiteral(b.Do(args...), []byte("$2\r\nid\r\n:ID\r\n"))
		if !bytes.Equal(ra, rb) {
			t.Errorf("%v:\nwarden %q\nredis  %q", args, ra, rb)
		}
		if !bytes.Contains(ra, []byte("$2\r\nid\r\n")) && args[0] == "HELLO" {
			t.Errorf("%v: no id field: %q", args, ra)
		}
	}
}

// TestDiffClientIDAndInfo compares the shapes of CLIENT ID, CLIENT INFO and
// CLIENT LIST: integer ids, and the same field names in the same order.
func TestDiffClientIDAndInfo(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	fields := func(line string) []string {
		var names []string
		for _, f := range strings.Fields(line) {
			name, _, _ := strings.Cut(f, "=")
			names = append(names, name)
		}
		return names
	}
	for _, proto := range []string{"2", "3"} {
		a := testutil.Dial(t, addr)
		b := testutil.Dial(t, real.Addr())
		if proto == "3" {
			a.Do("HELLO", "3")
			b.Do("HELLO", "3")
		}
		for _, c := range []*testutil.RawConn{a, b} {
			if id := c.Do("CLIENT", "ID"); !regexp.MustCompile(`^:\d+\r\n$`).Match(id) {
				t.Errorf("CLIENT ID = %q", id)
			}
		}
		a.Do("CLIENT", "SETNAME", "me")
		b.Do("CLIENT", "SETNAME", "me")
		ia, ib := string(a.Do("CLIENT", "INFO")), string(b.Do("CLIENT", "INFO"))
		if ia[0] != ib[0] {
			t.Errorf("RESP%s CLIENT INFO types differ: %q vs %q", proto, ia, ib)
		}
		if fa, fb := fields(ia), fields(ib); strings.Join(fa[1:], " ") != strings.Join(fb[1:], " ") {
			t.Errorf("RESP%s CLIENT INFO fields:\nwarden %v\nredis  %v", proto, fa, fb)
		}
		for _, want := range []string{" name=me ", " db=0 ", " cmd=client|info ", " user=default ", " resp=" + proto, " flags=N ", " multi=-1 "} {
			if !strings.Contains(ia, want) {
				t.Errorf("RESP%s CLIENT INFO lacks %q: %s", proto, want, ia)
			}
		}
		la, lb := string(a.Do("CLIENT", "LIST")), string(b.Do("CLIENT", "LIST"))
		if la[0] != lb[0] || !strings.HasSuffix(la, "\n\r\n") {
			t.Errorf("RESP%s CLIENT LIST: %q vs %q", proto, la, lb)
		}
	}
}

// readAvailable reads whatever arrives on c within d of the last byte.
func readAvailable(t *testing.T, c net.Conn, d time.Duration) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(d))
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out
		}
	}
}

// TestDiffClientReplyAndQuit pipelines CLIENT REPLY OFF/SKIP/ON and QUIT,
// where some commands get no reply at all, and compares the raw streams.
func TestDiffClientReplyAndQuit(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	pipeline := [][]string{
		{"PING", "1"}, {"CLIENT", "REPLY", "SKIP"}, {"PING", "2"}, {"PING", "3"},
		{"CLIENT", "REPLY", "OFF"}, {"PING", "4"}, {"CLIENT", "REPLY", "SKIP"}, {"PING", "5"},
		{"CLIENT", "REPLY", "ON"}, {"PING", "6"}, {"QUIT"}, {"PING", "7"},
	}
	var raw []byte
	for _, cmd := range pipeline {
		raw = append(raw, testutil.EncodeCommand(cmd...)...)
	}
	var got [2][]byte
	for i, a := range []string{addr, real.Addr()} {
		c, err := net.Dial("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(raw); err != nil {
			t.Fatal(err)
		}
		got[i] = readAvailable(t, c, time.Second)
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Errorf("warden %q\nredis  %q", got[0], got[1])
	}
	if want := "$1\r\n1\r\n$1\r\n3\r\n+OK\r\n$1\r\n6\r\n+OK\r\n"; string(got[0]) != want {
		t.Errorf("warden %q, want %q", got[0], want)
	}
}

func TestClientKill(t *testing.T) {
	s, addr := startTestServer(t, nil)
	victim := testutil.Dial(t, addr)
	victim.Do("CLIENT", "SETNAME", "victim")
	vid := strings.TrimSpace(strings.TrimPrefix(string(victim.Do("CLIENT", "ID")), ":"))
	killer := testutil.Dial(t, addr)
	if r := killer.Do("CLIENT", "KILL", "ID", vid); string(r) != ":1\r\n" {
		t.Fatalf("CLIENT KILL ID = %q", r)
	}
	if _, err := victim.TryDo("PING"); err == nil {
		t.Errorf("killed client still served")
	}
	// SKIPME defaults to yes in the new form: the caller survives.
	other := testutil.Dial(t, addr)
	other.Do("PING")
	if r := killer.Do("CLIENT", "KILL", "TYPE", "normal"); string(r) != ":1\r\n" {
		t.Errorf("CLIENT KILL TYPE normal = %q", r)
	}
	if r := killer.Do("PING"); string(r) != "+PONG\r\n" {
		t.Errorf("caller after KILL TYPE normal: %q", r)
	}
	// The old form may kill the caller itself, after the reply.
	laddr := killer.Conn().LocalAddr().String()
	if r := killer.Do("CLIENT", "KILL", laddr); string(r) != "+OK\r\n" {
		t.Errorf("CLIENT KILL self = %q", r)
	}
	if _, err := killer.TryDo("PING"); err == nil {
		t.Errorf("client survived killing itself")
	}
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		s.Lock()
		n := len(s.clients)
		s.Unlock()
		return n == 0, fmt.Sprintf("%d clients left", n)
	})
	// MAXAGE (Redis 7.4's filter, accepted as an extension).
	young := testutil.Dial(t, addr)
	if r := young.Do("CLIENT", "KILL", "MAXAGE", "100", "SKIPME", "no"); string(r) != ":0\r\n" {
		t.Errorf("CLIENT KILL MAXAGE 100 = %q", r)
	}
}

func TestClientPause(t *testing.T) {
	_, addr := startTestServer(t, nil)
	admin := testutil.Dial(t, addr)
	reader := testutil.Dial(t, addr)
	writer := testutil.Dial(t, addr)
	admin.Do("SET", "k", "v")

	admin.Do("CLIENT", "PAUSE", "300", "WRITE")
	start := time.Now()
	if r := reader.Do("GET", "k"); string(r) != "$1\r\nv\r\n" || time.Since(start) > 150*time.Millisecond {
		t.Errorf("GET during PAUSE WRITE: %q after %v", r, time.Since(start))
	}
	start = time.Now()
	if r := writer.Do("SET", "k", "w"); string(r) != "+OK\r\n" {
		t.Errorf("SET after pause = %q", r)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("SET waited %v, want about 300ms", d)
	}

	// PAUSE ALL holds every command, CLIENT UNPAUSE included (as in
	// Redis 7.0), until the timeout.
	admin.Do("CLIENT", "PAUSE", "400", "ALL")
	start = time.Now()
	unpauser := testutil.Dial(t, addr)
	if r := unpauser.Do("CLIENT", "UNPAUSE"); string(r) != "+OK\r\n" {
		t.Errorf("UNPAUSE = %q", r)
	}
	if r := reader.Do("GET", "k"); string(r) != "$1\r\nw\r\n" {
		t.Errorf("GET after PAUSE ALL = %q", r)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("commands under PAUSE ALL waited %v, want about 400ms", d)
	}
}

func TestClientUnpauseWakes(t *testing.T) {
	s, addr := startTestServer(t, nil)
	writer := testutil.Dial(t, addr)
	s.Lock()
	s.pauseClients(pauseByClient, s.timeNow().UnixMilli()+60_000, pauseWrite)
	s.Unlock()
	done := make(chan []byte, 1)
	go func() {
		r, _ := writer.TryDo("SET", "k", "v")
		done <- r
	}()
	time.Sleep(150 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("SET ran during the pause: %q", r)
	default:
	}
	ctl := testutil.Dial(t, addr)
	if r := ctl.Do("CLIENT", "UNPAUSE"); string(r) != "+OK\r\n" {
		t.Fatalf("UNPAUSE = %q", r)
	}
	select {
	case r := <-done:
		if string(r) != "+OK\r\n" {
			t.Errorf("held SET = %q", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("held SET not released by CLIENT UNPAUSE")
	}
}

func TestClientUnblock(t *testing.T) {
	_, addr := startTestServer(t, nil)
	for _, mode := range []string{"TIMEOUT", "ERROR"} {
		blocked := testutil.Dial(t, addr)
		id := strings.TrimSpace(strings.TrimPrefix(string(blocked.Do("CLIENT", "ID")), ":"))
		done := make(chan []byte, 1)
		go func() {
			r, _ := blocked.TryDo("BLPOP", "nolist", "0")
			done <- r
		}()
		ctl := testutil.Dial(t, addr)
		testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
			r := ctl.Do("CLIENT", "UNBLOCK", id, mode)
			return string(r) == ":1\r\n", string(r)
		})
		want := "*-1\r\n"
		if mode == "ERROR" {
			want = "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
		}
		select {
		case r := <-done:
			if string(r) != want {
				t.Errorf("%s: blocked client got %q, want %q", mode, r, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: client not unblocked", mode)
		}
	}
}

func TestMonitorAndRedaction(t *testing.T) {
	_, addr := startTestServer(t, nil)
	mon := testutil.Dial(t, addr)
	if r := mon.Do("MONITOR"); string(r) != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", r)
	}
	c := testutil.Dial(t, addr)
	c.Do("SET", "k", "v")
	c.Do("AUTH", "default", "topsecret")
	c.Do("CONFIG", "SET", "masterauth", "hidden", "hz", "10") // admin: not shown
	c.Do("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "x")
	for _, want := range []string{`"SET" "k" "v"`, `"AUTH" "(redacted)" "(redacted)"`,
		`"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "x"`} {
		r, err := mon.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(r), want) || !regexp.MustCompile(`^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] `).Match(r) {
			t.Errorf("monitor line %q, want %s", r, want)
		}
	}
	c.Do("MULTI")
	c.Do("MONITOR")
	if r := c.Do("EXEC"); !strings.Contains(string(r), "MONITOR isn't allowed for DENY BLOCKING client") {
		t.Errorf("MONITOR in MULTI: %q", r)
	}
}

// TestProtectedModeDenied connects from a non-loopback address of this
// machine to a node listening on all interfaces without a password.
func TestProtectedModeDenied(t *testing.T) {
	var ip net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("no non-loopback IPv4 address to connect from")
	}
	_, addr := startTestServer(t, func(o *Options) { o.Bind = []string{"0.0.0.0"} })
	_, port, _ := net.SplitHostPort(addr)
	c, err := net.Dial("tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		t.Skipf("cannot reach %s: %v", ip, err)
	}
	defer c.Close()
	got := readAvailable(t, c, 2*time.Second)
	if want := "-" + protectedModeText + "\r\n"; string(got) != want {
		t.Errorf("got %q", got)
	}
	// From loopback the same node serves.
	if r := testutil.Dial(t, net.JoinHostPort("127.0.0.1", port)).Do("PING"); string(r) != "+PONG\r\n" {
		t.Errorf("loopback PING = %q", r)
	}
}

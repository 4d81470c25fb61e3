package backend

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/sys/unix"

	"github.com/wardenhq/warden/internal/redisconf"
	"github.com/wardenhq/warden/internal/testutil"
)

// Tests of sentinel mode (sentinelmode.go) and of the embedding API:
// RegisterCommand, AddInfoSection, PublishMessage, OnShutdown and
// LoadSentinelConfig; TestDiffSentinelMode compares the generic commands
// with a real redis-sentinel 7.0.

// startSentinelMode runs a sentinel-mode node in-process on a free loopback
// port. tweak changes the options before New; setup runs between New and
// Start (RegisterCommand, AddInfoSection, OnShutdown).
func startSentinelMode(t testing.TB, tweak func(*Options), setup func(*Server)) (*Server, string) {
	t.Helper()
	return startServerFrom(t, DefaultSentinelOptions(), tweak, setup)
}

// expectReplies sends each command and checks the raw reply.
func expectReplies(t *testing.T, c *testutil.RawConn, cases [][2]string) {
	t.Helper()
	for _, tc := range cases {
		args := strings.Fields(tc[0])
		if got := string(c.Do(args...)); got != tc[1] {
			t.Errorf("%s:\n got %q\nwant %q", tc[0], got, tc[1])
		}
	}
}

func unknownCmd(name string, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-ERR unknown command '%s', with args beginning with: ", name)
	for _, a := range args {
		fmt.Fprintf(&b, "'%s' ", a)
	}
	return b.String() + "\r\n"
}

// bulkList parses an array of bulk strings.
func bulkList(t *testing.T, b []byte) []string {
	t.Helper()
	v := mustParse(t, b)
	out := make([]string, 0, len(v.elems))
	for _, e := range v.elems {
		out = append(out, e.str)
	}
	return out
}

func TestSentinelModeCommandTable(t *testing.T) {
	_, addr := startSentinelMode(t, nil, nil)
	c := testutil.Dial(t, addr)
	expectReplies(t, c, [][2]string{
		{"PING", "+PONG\r\n"},
		{"PING x", "$1\r\nx\r\n"},
		{"QUIT", unknownCmd("QUIT")},
		{"SELECT 0", unknownCmd("SELECT", "0")},
		{"GET k", unknownCmd("GET", "k")},
		{"CONFIG GET x", unknownCmd("CONFIG", "GET", "x")},
		{"ECHO x", unknownCmd("ECHO", "x")},
		{"RESET", unknownCmd("RESET")},
		{"MULTI", unknownCmd("MULTI")},
		{"save", unknownCmd("save")},
		{"bgrewriteaof", unknownCmd("bgrewriteaof")},
		{"blpop l 0", unknownCmd("blpop", "l", "0")},
		{"replicaof no one", unknownCmd("replicaof", "no", "one")},
		{"MONITOR", unknownCmd("MONITOR")},
		// The sentinel package registers these; without it they are unknown.
		{"PUBLISH ch m", unknownCmd("PUBLISH", "ch", "m")},
		{"ROLE", unknownCmd("ROLE")},
		{"SENTINEL masters", unknownCmd("SENTINEL", "masters")},
		{"CLIENT SETINFO lib-name x", "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"},
		{"client setInfo lib-ver 1", "-ERR unknown subcommand 'setInfo'. Try CLIENT HELP.\r\n"},
		{"CLIENT NO-TOUCH on", "-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n"},
		{"CLIENT SETNAME n1", "+OK\r\n"},
		{"CLIENT GETNAME", "$2\r\nn1\r\n"},
		{"AUTH x", "-" + errNoDefPass + "\r\n"},
		{"COMMAND INFO get", "*1\r\n$-1\r\n"},
		{"COMMAND DOCS get", "*0\r\n"},
		{"COMMAND GETKEYS get k", "-ERR Invalid command specified\r\n"},
		{"SHUTDOWN SAVE NOSAVE", "-ERR syntax error\r\n"},
	})
	want := []string{"auth", "client", "command", "hello", "info", "ping", "psubscribe", "punsubscribe",
		"shutdown", "subscribe", "unsubscribe"}
	if LookupCommand("acl") != nil {
		want = append(want, "acl")
	}
	if got := string(c.Do("COMMAND", "COUNT")); got != fmt.Sprintf(":%d\r\n", len(want)) {
		t.Errorf("COMMAND COUNT = %q, want %d", got, len(want))
	}
	var tops []string
	for _, e := range mustParse(t, c.Do("COMMAND")).elems {
		tops = append(tops, e.elems[0].str)
	}
	slices.Sort(tops)
	slices.Sort(want)
	if !slices.Equal(tops, want) {
		t.Errorf("COMMAND names %v, want %v", tops, want)
	}
	list := bulkList(t, c.Do("COMMAND", "LIST"))
	for _, name := range []string{"client|id", "client|setname", "client|kill", "command|docs", "ping"} {
		if !slices.Contains(list, name) {
			t.Errorf("COMMAND LIST lacks %s: %v", name, list)
		}
	}
	for _, name := range []string{"client|setinfo", "get", "config|get", "select", "publish"} {
		if slices.Contains(list, name) {
			t.Errorf("COMMAND LIST has %s", name)
		}
	}
	// CLIENT's own COMMAND INFO lists the sentinel's subcommands only.
	info := mustParse(t, c.Do("COMMAND", "INFO", "client"))
	var subs []string
	for _, sc := range info.elems[0].elems[9].elems {
		subs = append(subs, sc.elems[0].str)
	}
	if slices.Contains(subs, "client|setinfo") || !slices.Contains(subs, "client|getname") {
		t.Errorf("COMMAND INFO client subcommands: %v", subs)
	}
}

func TestSentinelModeRegisterCommand(t *testing.T) {
	var self *Server
	sentinel := &Command{Name: "SENTINEL", Arity: -2, Group: "sentinel", Since: "2.8.4",
		Summary: "A container for Redis Sentinel commands",
		Sub: map[string]*Command{
			"masters": {Name: "sentinel|masters", Arity: 2, Flags: FlagAdmin, Group: "sentinel", Since: "2.8.4",
				Summary: "List the monitored masters", Proc: func(c *Client) {
					if c.Server() != self {
						c.ReplyError("ERR wrong server")
						return
					}
					c.ReplyArray(0)
				}},
			"help": {Name: "sentinel|help", Arity: 2, Group: "sentinel", Since: "6.2.0",
				Summary: "Show helpful text about the different subcommands", Proc: func(c *Client) {
					c.ReplyHelp([]string{"MASTERS", "    Show a list of monitored masters and their state."})
				}},
		}}
	s, addr := startSentinelMode(t, nil, func(s *Server) {
		self = s
		s.RegisterCommand(sentinel)
		s.RegisterCommand(&Command{Name: "publish", Arity: 3, Flags: FlagPubsub | FlagFast, Group: "pubsub",
			Since: "2.0.0", Summary: "Post a message to a channel", Proc: func(c *Client) {
				if string(c.Args()[1]) != "__sentinel__:hello" {
					c.ReplyError("ERR Only HELLO messages are accepted by Sentinel instances.")
					return
				}
				c.ReplyInt(1)
			}})
		// Replacing a built-in command.
		s.RegisterCommand(&Command{Name: "ping", Arity: -1, Flags: FlagFast, Group: "connection", Since: "1.0.0",
			Proc: func(c *Client) { c.ReplySimple("PONG2") }})
		// Refused: it could never run.
		s.RegisterCommand(&Command{Name: "broken", Arity: 1})
		s.RegisterCommand(&Command{Name: "a b", Arity: 1, Proc: func(c *Client) { c.ReplyOK() }})
	})
	// A copy was stored: changing the caller's value afterwards has no effect.
	sentinel.Sub["masters"].Proc = func(c *Client) { c.ReplySimple("CHANGED") }
	sentinel.Sub["nosuch"] = sentinel.Sub["help"]

	c := testutil.Dial(t, addr)
	expectReplies(t, c, [][2]string{
		{"PING", "+PONG2\r\n"},
		{"sentinel MASTERS", "*0\r\n"},
		{"SENTINEL masters x", "-ERR wrong number of arguments for 'sentinel|masters' command\r\n"},
		{"SENTINEL", "-ERR wrong number of arguments for 'sentinel' command\r\n"},
		{"SENTINEL nosuch", "-ERR unknown subcommand 'nosuch'. Try SENTINEL HELP.\r\n"},
		{"SENTINEL help", "*5\r\n+SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+MASTERS\r\n" +
			"+    Show a list of monitored masters and their state.\r\n+HELP\r\n+    Prints this help.\r\n"},
		{"PUBLISH x y", "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n"},
		{"PUBLISH __sentinel__:hello y", ":1\r\n"},
		{"broken", unknownCmd("broken")},
		{"COMMAND COUNT", fmt.Sprintf(":%d\r\n", 13+boolInt(LookupCommand("acl") != nil))},
		{"COMMAND LIST FILTERBY PATTERN sentinel*", "*3\r\n$8\r\nsentinel\r\n$13\r\nsentinel|help\r\n$16\r\nsentinel|masters\r\n"},
	})
	docs := mustParse(t, c.Do("COMMAND", "DOCS", "sentinel"))
	if len(docs.elems) != 2 || docs.elems[0].str != "sentinel" || !strings.Contains(docs.elems[1].String(), "sentinel|masters") {
		t.Errorf("COMMAND DOCS sentinel: %v", docs)
	}
	s.Lock()
	if p := s.cmds["sentinel"].Sub["masters"].Parent; p != s.cmds["sentinel"] {
		t.Errorf("subcommand parent %p, want %p", p, s.cmds["sentinel"])
	}
	s.Unlock()

	// Normal-mode servers have a table each: registering on one leaves the
	// others and the built-in table alone.
	a, addrA := startTestServer(t, nil)
	_, addrB := startTestServer(t, nil)
	a.RegisterCommand(&Command{Name: "ping", Arity: -1, Proc: func(c *Client) { c.ReplySimple("A") }})
	a.RegisterCommand(&Command{Name: "newcmd", Arity: 1, Proc: func(c *Client) { c.ReplyOK() }})
	expectReplies(t, testutil.Dial(t, addrA), [][2]string{
		{"PING", "+A\r\n"},
		{"NEWCMD", "+OK\r\n"},
		{"COMMAND COUNT", fmt.Sprintf(":%d\r\n", len(commands)+1)},
	})
	expectReplies(t, testutil.Dial(t, addrB), [][2]string{
		{"PING", "+PONG\r\n"},
		{"NEWCMD", unknownCmd("NEWCMD")},
		{"COMMAND COUNT", fmt.Sprintf(":%d\r\n", len(commands))},
	})
	if LookupCommand("newcmd") != nil {
		t.Errorf("RegisterCommand changed the built-in table")
	}
}

func TestSentinelModeHello(t *testing.T) {
	_, addr := startSentinelMode(t, nil, nil)
	hello := func(proto, id int) string {
		h := "*12"
		if proto == 3 {
			h = "%6"
		}
		return fmt.Sprintf("%s\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n%s\r\n$5\r\nproto\r\n:%d\r\n"+
			"$2\r\nid\r\n:%d\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n", h, RedisVersion, proto, id)
	}
	for _, tc := range []struct {
		args  []string
		proto int
	}{{[]string{"HELLO"}, 2}, {[]string{"HELLO", "2"}, 2}, {[]string{"HELLO", "3"}, 3},
		{[]string{"HELLO", "3", "AUTH", "default", "x", "SETNAME", "s1"}, 3}} {
		c := testutil.Dial(t, addr)
		id, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(c.Do("CLIENT", "ID")), ":")))
		if got, want := string(c.Do(tc.args...)), hello(tc.proto, id); got != want {
			t.Errorf("%v:\n got %q\nwant %q", tc.args, got, want)
		}
	}
	// A normal node keeps its 7 pairs.
	_, naddr := startTestServer(t, nil)
	if r := string(testutil.Dial(t, naddr).Do("HELLO", "3")); !strings.HasPrefix(r, "%7\r\n") || !strings.Contains(r, "standalone") {
		t.Errorf("normal HELLO 3: %q", r)
	}
}

// infoShape is an INFO text reduced to its section headers and field
// names, in order.
func infoShape(text string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			out = append(out, line)
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		out = append(out, name)
	}
	return out
}

func infoHeaders(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			out = append(out, line[2:])
		}
	}
	return out
}

func TestSentinelModeInfo(t *testing.T) {
	calls := 0
	s, addr := startSentinelMode(t, nil, func(s *Server) {
		s.AddInfoSection("sentinel", "Sentinel", func() string {
			calls++ // under the server lock
			return "sentinel_masters:0\r\nsentinel_tilt:0\r\n"
		})
		s.AddInfoSection("extra", "Wrong", func() string { return "x:1\r\n" })
		s.AddInfoSection("Extra", "Extra", func() string { return "extra_field:1\r\n" }) // replaces
		s.AddInfoSection("server", "Server", func() string { return "bogus:1\r\n" })     // refused: built-in
	})
	all := []string{"Server", "Clients", "Stats", "CPU", "Sentinel", "Extra"}
	for _, proto := range []int{2, 3} {
		c := testutil.Dial(t, addr)
		if proto == 3 {
			c.Do("HELLO", "3")
		}
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{nil, all},
			{[]string{"default"}, all},
			{[]string{"ALL"}, all},
			{[]string{"everything"}, all},
			{[]string{"server", "all"}, all},
			{[]string{"foo", "default"}, all},
			{[]string{"server"}, []string{"Server"}},
			{[]string{"CPU", "server"}, []string{"Server", "CPU"}},
			{[]string{"sentinel"}, []string{"Sentinel"}},
			{[]string{"extra", "stats"}, []string{"Stats", "Extra"}},
			{[]string{"memory"}, nil},
			{[]string{"foo", "keyspace", "replication", "persistence", "commandstats", "cluster"}, nil},
		} {
			raw := c.Do(append([]string{"INFO"}, tc.args...)...)
			v := mustParse(t, raw)
			if v.typ != '$' {
				t.Errorf("RESP%d INFO %v: type %q, want a bulk string", proto, tc.args, v.typ)
			}
			if got := infoHeaders(v.str); !slices.Equal(got, tc.want) {
				t.Errorf("RESP%d INFO %v: sections %v, want %v", proto, tc.args, got, tc.want)
			}
			if tc.want == nil && string(raw) != "$0\r\n\r\n" {
				t.Errorf("RESP%d INFO %v: %q, want an empty bulk", proto, tc.args, raw)
			}
		}
		text := mustParse(t, c.Do("INFO")).str
		// The facts tests/sentinel/tests/13-info-command.tcl checks.
		for _, f := range []string{"redis_version", "maxclients", "used_cpu_user", "sentinel_tilt", "redis_mode:sentinel\r\n", "extra_field:1\r\n"} {
			if !strings.Contains(text, f) {
				t.Errorf("INFO lacks %q", f)
			}
		}
		for _, f := range []string{"used_memory", "rdb_last_bgsave", "master_repl_offset", "cluster_enabled", "bogus", "x:1"} {
			if strings.Contains(text, f) {
				t.Errorf("INFO has %q", f)
			}
		}
		if !strings.HasSuffix(text, "\r\n\r\n# Extra\r\nextra_field:1\r\n") || !strings.Contains(text, "\r\n\r\n# Sentinel\r\nsentinel_masters:0\r\n") {
			t.Errorf("INFO layout:\n%s", text)
		}
	}
	s.Lock()
	n := calls
	s.Unlock()
	if n == 0 {
		t.Errorf("the added section was never generated")
	}

	// In normal mode, added sections follow the built-in ones and are part
	// of the default set; INFO stays a verbatim string in RESP3.
	ns, naddr := startTestServer(t, nil)
	ns.AddInfoSection("extra", "Extra", func() string { return "extra_field:1\r\n" })
	c := testutil.Dial(t, naddr)
	c.Do("HELLO", "3")
	raw := c.Do("INFO")
	if raw[0] != '=' {
		t.Errorf("normal INFO in RESP3: %q", raw[:20])
	}
	text := mustParse(t, raw).str
	if h := infoHeaders(text); len(h) < 2 || h[len(h)-1] != "Extra" || h[len(h)-2] != "Keyspace" {
		t.Errorf("normal INFO sections: %v", h)
	}
	if !strings.Contains(text, "redis_mode:standalone\r\n") {
		t.Errorf("normal INFO: no redis_mode:standalone")
	}
	for args, want := range map[string][]string{"server": {"Server"}, "EXTRA": {"Extra"}, "default": nil, "all": nil} {
		h := infoHeaders(strings.TrimPrefix(mustParse(t, c.Do("INFO", args)).str, "txt:"))
		if want == nil {
			if h[len(h)-1] != "Extra" {
				t.Errorf("normal INFO %s: %v", args, h)
			}
		} else if !slices.Equal(h, want) {
			t.Errorf("normal INFO %s: %v, want %v", args, h, want)
		}
	}
}

func TestSentinelModeAuth(t *testing.T) {
	_, addr := startSentinelMode(t, func(o *Options) { o.RequirePass = "pw" }, nil)
	expectReplies(t, testutil.Dial(t, addr), [][2]string{
		{"PING", "-NOAUTH Authentication required.\r\n"},
		{"GET k", unknownCmd("GET", "k")}, // unknown before unauthenticated, as in Redis
		{"CLIENT SETINFO lib-name x", "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"},
		{"AUTH nope", "-" + errWrongPass + "\r\n"},
		{"AUTH pw", "+OK\r\n"},
		{"PING", "+PONG\r\n"},
	})
}

func TestSentinelModePublishMessage(t *testing.T) {
	s, addr := startSentinelMode(t, nil, nil)
	if n := s.PublishMessage("+sdown", "nobody"); n != 0 {
		t.Errorf("PublishMessage without subscribers = %d", n)
	}
	r2 := testutil.Dial(t, addr)
	if got := string(r2.Do("SUBSCRIBE", "+sdown")); got != "*3\r\n$9\r\nsubscribe\r\n$6\r\n+sdown\r\n:1\r\n" {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	r3 := testutil.Dial(t, addr)
	r3.Do("HELLO", "3")
	if got := string(r3.Do("PSUBSCRIBE", "*")); got != ">3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n" {
		t.Fatalf("PSUBSCRIBE in RESP3: %q", got)
	}
	payload := "master mymaster 127.0.0.1 6379"
	if n := s.PublishMessage("+sdown", payload); n != 2 {
		t.Errorf("PublishMessage = %d, want 2", n)
	}
	read := func(c *testutil.RawConn) string {
		r, err := c.ReadReply()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return string(r)
	}
	if got, want := read(r2), "*3\r\n$7\r\nmessage\r\n$6\r\n+sdown\r\n$30\r\n"+payload+"\r\n"; got != want {
		t.Errorf("RESP2 message %q, want %q", got, want)
	}
	if got, want := read(r3), ">4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$6\r\n+sdown\r\n$30\r\n"+payload+"\r\n"; got != want {
		t.Errorf("RESP3 message %q, want %q", got, want)
	}

	// Concurrent publishers: every message arrives, in each publisher's
	// order.
	const publishers, each = 4, 50
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s.PublishMessage("+sdown", fmt.Sprintf("%d %d", p, i))
			}
		}()
	}
	wg.Wait()
	next := map[string]int{}
	for i := 0; i < publishers*each; i++ {
		v := mustParse(t, []byte(read(r2)))
		p, seq, _ := strings.Cut(v.elems[2].str, " ")
		if strconv.Itoa(next[p]) != seq {
			t.Fatalf("publisher %s: message %s, want %d", p, seq, next[p])
		}
		next[p]++
	}
}

func TestSentinelModeShutdown(t *testing.T) {
	// A dump.rdb a normal node would refuse to load: the sentinel never
	// reads it, never writes it.
	dir := t.TempDir()
	garbage := []byte("not an rdb file")
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	normal, err := New(&Options{Bind: []string{"127.0.0.1"}, Port: freePort(t), Dir: dir, DBFilename: "dump.rdb", Databases: 1, MaxClients: 10, Hz: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := normal.Start(); err == nil {
		normal.Shutdown()
		<-normal.Done()
		t.Fatalf("a normal node loaded the garbage dump.rdb: the test below proves nothing")
	}

	var mu sync.Mutex
	var calls []string
	hook := func(name string, s *Server) func() {
		return func() {
			mu.Lock()
			calls = append(calls, name)
			mu.Unlock()
			// No lock is held: publishing from the hook must not deadlock.
			s.PublishMessage("+shutdown", name)
		}
	}
	s1, addr := startSentinelMode(t, func(o *Options) {
		o.Dir = dir
		o.Save = []SavePoint{{1, 1}} // forced off by New in sentinel mode
		o.AppendOnly = true
	}, func(s *Server) {
		s.OnShutdown(hook("a", s))
		s.OnShutdown(hook("b", s))
	})
	if o := s1.Options(); o.Save != nil || o.AppendOnly {
		t.Errorf("sentinel mode kept persistence: save %v appendonly %v", o.Save, o.AppendOnly)
	}
	sub := testutil.Dial(t, addr)
	sub.Do("SUBSCRIBE", "+shutdown")
	c := testutil.Dial(t, addr)
	c.Send(testutil.EncodeCommand("SHUTDOWN", "SAVE"))
	if r, err := c.ReadReply(); err == nil {
		t.Errorf("SHUTDOWN replied %q", r)
	}
	select {
	case <-s1.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN did not stop the sentinel")
	}
	mu.Lock()
	if !slices.Equal(calls, []string{"a", "b"}) {
		t.Errorf("OnShutdown calls %v", calls)
	}
	calls = nil
	mu.Unlock()
	if data, err := os.ReadFile(filepath.Join(dir, "dump.rdb")); err != nil || !bytes.Equal(data, garbage) {
		t.Errorf("dump.rdb changed: %q %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonlydir")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("appendonlydir: %v", err)
	}

	// SIGTERM's path runs the hooks once, even if called twice.
	s2, _ := startSentinelMode(t, nil, func(s *Server) { s.OnShutdown(hook("term", s)) })
	if err := s2.Terminate(); err != nil {
		t.Fatal(err)
	}
	_ = s2.Terminate()
	select {
	case <-s2.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Terminate did not stop the sentinel")
	}
	mu.Lock()
	if !slices.Equal(calls, []string{"term"}) {
		t.Errorf("OnShutdown calls after Terminate: %v", calls)
	}
	mu.Unlock()
	if ents, _ := os.ReadDir(s2.Options().Dir); len(ents) != 0 {
		t.Errorf("the sentinel wrote files: %v", ents)
	}
}

func TestLoadSentinelConfig(t *testing.T) {
	if _, _, err := LoadSentinelConfig("", nil, nil); err == nil || err.Error() != "Sentinel needs config file on disk to save state. Exiting..." {
		t.Errorf("no file: %v", err)
	}
	if _, _, err := LoadSentinelConfig(filepath.Join(t.TempDir(), "none.conf"), nil, nil); err == nil ||
		!strings.Contains(err.Error(), "can't open config file") {
		t.Errorf("missing file: %v", err)
	}

	dataDir := t.TempDir()
	path := writeConf(t, "port 26390\n"+
		"sentinel down-after-milliseconds mymaster 5000\n"+
		"dir "+dataDir+"\n"+
		"sentinel monitor mymaster 127.0.0.1 6379 2\n"+
		"save 900 1\n"+
		"appendonly yes\n"+
		"requirepass pw\n"+
		"sentinel\n")
	core, logs := observer.New(zap.WarnLevel)
	o, dirs, err := LoadSentinelConfig(path, []string{"--sentinel", "--sentinel", "announce-ip", "1.2.3.4", "--loglevel", "warning"}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	if !o.SentinelMode || o.Port != 26390 || o.ProtectedMode || o.Save != nil || o.AppendOnly || o.RequirePass != "pw" ||
		o.LogLevel != "warning" || o.ConfigFile != abs {
		t.Errorf("options: mode %v port %d protected %v save %v aof %v pass %q loglevel %q file %q",
			o.SentinelMode, o.Port, o.ProtectedMode, o.Save, o.AppendOnly, o.RequirePass, o.LogLevel, o.ConfigFile)
	}
	if got, _ := filepath.Abs(o.Dir); got != dataDir {
		t.Errorf("dir %q, want %q", o.Dir, dataDir)
	}
	want := []redisconf.Directive{
		{Name: "sentinel", Args: []string{"down-after-milliseconds", "mymaster", "5000"}, File: path, Line: 2},
		{Name: "sentinel", Args: []string{"monitor", "mymaster", "127.0.0.1", "6379", "2"}, File: path, Line: 4},
		{Name: "sentinel", Args: []string{"announce-ip", "1.2.3.4"}, File: redisconf.CommandLine, Line: 2},
	}
	if len(dirs) != len(want) {
		t.Fatalf("directives %+v, want %+v", dirs, want)
	}
	for i := range want {
		if dirs[i].Name != want[i].Name || !slices.Equal(dirs[i].Args, want[i].Args) || dirs[i].File != want[i].File || dirs[i].Line != want[i].Line {
			t.Errorf("directive %d: %+v, want %+v", i, dirs[i], want[i])
		}
	}
	if logs.FilterMessageSnippet("ignored in sentinel mode").Len() != 1 {
		t.Errorf("no warning about save/appendonly: %v", logs.All())
	}

	// Defaults: port 26379, protected mode off unless the file says so.
	o, _, err = LoadSentinelConfig(writeConf(t, "sentinel monitor m 127.0.0.1 6379 2\n"), nil, nil)
	if err != nil || o.Port != SentinelPort || o.ProtectedMode || !o.SentinelMode {
		t.Errorf("defaults: %+v %v", o, err)
	}
	o, _, err = LoadSentinelConfig(writeConf(t, "protected-mode yes\n"), []string{"--port", "5000"}, nil)
	if err != nil || !o.ProtectedMode || o.Port != 5000 {
		t.Errorf("protected-mode yes, --port 5000: %+v %v", o, err)
	}

	// Ordinary directives are checked as usual.
	_, _, err = LoadSentinelConfig(writeConf(t, "sentinel monitor m 127.0.0.1 6379 2\nfoo bar\n"), nil, nil)
	var le *redisconf.LineError
	if !errors.As(err, &le) || le.Line != 2 || le.Reason != "Bad directive or wrong number of arguments" {
		t.Errorf("bad directive: %v", err)
	}
	// ... and a normal node still refuses sentinel lines.
	if _, err := LoadConfig(writeConf(t, "sentinel monitor m 127.0.0.1 6379 2\n"), nil, nil); err == nil ||
		!strings.Contains(err.Error(), "sentinel directive while not in sentinel mode") {
		t.Errorf("LoadConfig with a sentinel line: %v", err)
	}

	// The file must be writable. Root passes access(2) whatever the mode,
	// so the refusal is also simulated.
	ro := writeConf(t, "port 1\n")
	if err := os.Chmod(ro, 0o444); err != nil {
		t.Fatal(err)
	}
	roAbs, _ := filepath.Abs(ro)
	wantErr := "Sentinel config file " + roAbs + " is not writable: Permission denied. Exiting..."
	if os.Geteuid() != 0 {
		if _, _, err := LoadSentinelConfig(ro, nil, nil); err == nil || err.Error() != wantErr {
			t.Errorf("read-only file: %v", err)
		}
	}
	defer func(f func(string) error) { configWritable = f }(configWritable)
	configWritable = func(string) error { return unix.EACCES }
	if _, _, err := LoadSentinelConfig(ro, nil, nil); err == nil || err.Error() != wantErr {
		t.Errorf("not writable: %v, want %q", err, wantErr)
	}
}

// startRealSentinel starts Debian's redis-sentinel with a config file in a
// temporary directory monitoring a master that is not running, plus extra
// config lines; it skips the test when redis-sentinel is missing.
func startRealSentinel(t *testing.T, extra string) string {
	t.Helper()
	bin := testutil.RequireBinary(t, "redis-sentinel")
	ports := testutil.FreePorts(t, 2)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %d 2\n%s", ports[0], ports[1], extra)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.StartProcess(t, bin, []string{conf}, testutil.PingReady(addr))
	return addr
}

// sentinelInfoStub is a "# Sentinel" section with the field names of
// redis-sentinel's, so the whole INFO layout can be compared.
func sentinelInfoStub() string {
	return "sentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\nsentinel_running_scripts:0\r\n" +
		"sentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n" +
		"master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=0,sentinels=1\r\n"
}

func TestDiffSentinelMode(t *testing.T) {
	real := startRealSentinel(t, "")
	_, addr := startSentinelMode(t, nil, func(s *Server) { s.AddInfoSection("sentinel", "Sentinel", sentinelInfoStub) })

	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			var s steps
			s.add("PING")
			s.add("PING", "x")
			s.add("PING", "a", "b")
			s.add("QUIT")
			s.add("SELECT", "0")
			s.add("GET", "k")
			s.add("CONFIG", "GET", "x")
			s.add("ECHO", "x")
			s.add("RESET")
			s.add("MULTI")
			s.add("CLIENT", "SETINFO", "lib-name", "x")
			s.add("client", "setInfo", "lib-ver", "1")
			s.add("CLIENT", "NO-TOUCH", "on")
			s.add("CLIENT", "GETNAME")
			s.add("CLIENT", "SETNAME", "foo")
			s.add("CLIENT", "GETNAME")
			s.add("CLIENT", "SETNAME", "a b")
			s.add("CLIENT")
			s.add("CLIENT", "FOO")
			s.add("CLIENT", "HELP")
			s.add("AUTH", "x")
			s.add("AUTH", "default", "x")
			s.add("AUTH", "bob", "x")
			s.add("AUTH", "a", "b", "c")
			s.add("HELLO", "4")
			s.add("HELLO", "x")
			s.add("HELLO", "3", "FOO")
			s.add("COMMAND", "INFO", "get")
			// Commands without subcommands, whose order in Redis's replies
			// is random per process.
			s.add("COMMAND", "INFO", "ping", "subscribe", "unsubscribe", "nosuch", "client|kill")
			s.add("COMMAND", "DOCS", "get")
			s.add("COMMAND", "DOCS", "ping", "hello", "auth", "info", "shutdown", "client|kill", "command|docs")
			s.add("COMMAND", "GETKEYS", "get", "k")
			s.add("COMMAND", "COUNT", "x")
			s.add("COMMAND", "HELP")
			s.addUnordered("COMMAND", "LIST", "FILTERBY", "PATTERN", "*subscribe")
			s.add("SHUTDOWN", "SAVE", "NOSAVE")
			s.add("SHUTDOWN", "ABORT")
			s.add("SUBSCRIBE", "ch1")
			s.add("PSUBSCRIBE", "zz*")
			s.add("PING")
			s.add("PING", "x")
			s.add("CLIENT", "GETNAME")
			s.add("GET", "k")
			s.add("UNSUBSCRIBE", "ch1")
			s.add("PUNSUBSCRIBE")
			s.add("UNSUBSCRIBE")
			s.add("PING")
			testutil.RunScript(t, addr, real, proto, s)

			compareSentinelHello(t, addr, real, proto, "")
			compareSentinelInfo(t, addr, real, proto)
		})
	}

	// The command table: Redis's 15 commands (72 entries with the
	// subcommands) less what the sentinel package registers (SENTINEL,
	// PUBLISH, ROLE), less ACL, which the node does not implement, and
	// less CLIENT CACHING and TRACKING (client-side caching is not
	// implemented).
	a, b := testutil.Dial(t, addr), testutil.Dial(t, real)
	if got := string(b.Do("COMMAND", "COUNT")); got != ":15\r\n" {
		t.Errorf("redis-sentinel COMMAND COUNT %q: not the 7.0 this test knows", got)
	}
	missing := func(name string) bool {
		top, sub, _ := strings.Cut(name, "|")
		switch {
		case top == "sentinel" || top == "publish" || top == "role":
			return true
		case top == "acl":
			return LookupCommand("acl") == nil
		case top == "client":
			return sub == "caching" || sub == "tracking"
		}
		return false
	}
	var expect []string
	for _, n := range bulkList(t, b.Do("COMMAND", "LIST")) {
		if !missing(n) {
			expect = append(expect, n)
		}
	}
	got := bulkList(t, a.Do("COMMAND", "LIST"))
	slices.Sort(expect)
	slices.Sort(got)
	if !slices.Equal(got, expect) {
		t.Errorf("COMMAND LIST:\nwarden %v\nexpect %v", got, expect)
	}
}

// compareSentinelHello compares HELLO replies on fresh connections, with
// the client ids masked.
func compareSentinelHello(t *testing.T, addr, real string, proto int, pass string) {
	t.Helper()
	for _, args := range [][]string{
		{"HELLO"},
		{"HELLO", strconv.Itoa(proto)},
		{"HELLO", strconv.Itoa(proto), "AUTH", "default", "pw", "SETNAME", "n1"},
	} {
		a, b := testutil.Dial(t, addr), testutil.Dial(t, real)
		if pass != "" && len(args) < 3 {
			a.Do("AUTH", pass)
			b.Do("AUTH", pass)
		}
		ra := helloIDRe.ReplaceAllLiteral(a.Do(args...), []byte("$2\r\nid\r\n:ID\r\n"))
		rb := helloIDRe.ReplaceAllLiteral(b.Do(args...), []byte("$2\r\nid\r\n:ID\r\n"))
		if !bytes.Equal(ra, rb) || !bytes.Contains(ra, []byte(":ID\r\n")) {
			t.Errorf("%v:\nwarden %q\nredis  %q", args, ra, rb)
		}
		a.Close()
		b.Close()
	}
}

// compareSentinelInfo compares the INFO layout (reply type, section
// headers, field names and their order; not the values) for several
// section selections.
func compareSentinelInfo(t *testing.T, addr, real string, proto int) {
	t.Helper()
	a, b := testutil.Dial(t, addr), testutil.Dial(t, real)
	if proto == 3 {
		a.Do("HELLO", "3")
		b.Do("HELLO", "3")
	}
	for _, args := range [][]string{
		nil, {"default"}, {"all"}, {"everything"}, {"server"}, {"Server"}, {"clients"}, {"stats"}, {"cpu"},
		{"sentinel"}, {"cpu", "server"}, {"server", "all"}, {"memory"}, {"keyspace"}, {"foo"},
		{"server", "memory", "sentinel"}, {"commandstats"}, {"replication"}, {"persistence"},
	} {
		cmd := append([]string{"INFO"}, args...)
		va, vb := mustParse(t, a.Do(cmd...)), mustParse(t, b.Do(cmd...))
		if va.typ != vb.typ {
			t.Errorf("INFO %v: type %q vs redis %q", args, va.typ, vb.typ)
		}
		if sa, sb := infoShape(va.str), infoShape(vb.str); !slices.Equal(sa, sb) {
			t.Errorf("INFO %v layout:\nwarden %v\nredis  %v", args, sa, sb)
		}
	}
}

func TestDiffSentinelModeAuth(t *testing.T) {
	real := startRealSentinel(t, "requirepass pw\n")
	_, addr := startSentinelMode(t, func(o *Options) { o.RequirePass = "pw" }, nil)
	var s steps
	s.add("PING")
	s.add("GET", "k")
	s.add("CLIENT", "SETINFO", "lib-name", "x")
	s.add("CLIENT", "GETNAME")
	s.add("HELLO", "3")
	s.add("HELLO", "2", "AUTH", "default", "nope")
	s.add("AUTH", "nope")
	s.add("AUTH", "default", "nope")
	s.add("AUTH", "pw")
	s.add("PING")
	testutil.RunScript(t, addr, real, 2, s)
	compareSentinelHello(t, addr, real, 2, "pw")
	compareSentinelHello(t, addr, real, 3, "pw")
}

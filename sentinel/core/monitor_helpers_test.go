package core

import (
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Test scaffolding for the monitoring half (links, periodic commands,
// SDOWN, INFO, hello, TILT, replies): a recording shell, a hand-advanced
// clock and a core monitoring one master.

// monDrop is one Shell.Drop call.
type monDrop struct {
	l      *Link
	cc, pc bool
}

// monShell records every call the core makes.
type monShell struct {
	opens   []*Instance
	drops   []monDrop
	sends   []*Request
	events  []Event
	scripts [][]string
	exits   []int
}

func (s *monShell) Open(l *Link, inst *Instance) { s.opens = append(s.opens, inst) }
func (s *monShell) Drop(l *Link, cc, pc bool)    { s.drops = append(s.drops, monDrop{l, cc, pc}) }
func (s *monShell) Send(req *Request)            { s.sends = append(s.sends, req) }
func (s *monShell) Event(ev Event)               { s.events = append(s.events, ev) }
func (s *monShell) Exit(code int)                { s.exits = append(s.exits, code) }
func (s *monShell) RunScript(path string, args ...string) {
	s.scripts = append(s.scripts, append([]string{path}, args...))
}

const (
	monMyID  = "0123456789abcdef0123456789abcdef01234567"
	monPeerA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	monPeerB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	// monMasterPfx is the %@ prefix of the default master.
	monMasterPfx = "master mymaster 10.0.0.1 6379"
)

var monT0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// monEnv is a core monitoring "mymaster" at 10.0.0.1:6379 with a clock
// that moves only when told.
type monEnv struct {
	t   *testing.T
	sh  *monShell
	c   *Core
	m   *Instance
	now time.Time
}

func newMonEnv(t *testing.T) *monEnv {
	t.Helper()
	sh := &monShell{}
	c := New(sh, rand.New(rand.NewSource(1)))
	c.MyID = monMyID
	e := &monEnv{t: t, sh: sh, c: c, now: monT0}
	e.m = e.master("mymaster", "10.0.0.1", 6379)
	return e
}

// master adds a monitored master.
func (e *monEnv) master(name, host string, port int) *Instance {
	m := e.c.newInstance(KindMaster, name, Addr{Host: host, Port: port}, nil, e.now)
	e.c.Masters[name] = m
	return m
}

// replica adds a replica of m.
func (e *monEnv) replica(m *Instance, host string, port int) *Instance {
	a := Addr{Host: host, Port: port}
	return e.c.newInstance(KindReplica, a.String(), a, m, e.now)
}

// sentinel adds a peer sentinel of m.
func (e *monEnv) sentinel(m *Instance, runid, host string, port int) *Instance {
	s := e.c.newInstance(KindSentinel, runid, Addr{Host: host, Port: port}, m, e.now)
	s.RunID = runid
	return s
}

func (e *monEnv) advance(d time.Duration) time.Time {
	e.now = e.now.Add(d)
	return e.now
}

// connect brings ri's connections up as the shell would, answers the PING
// LinkUp sends, and forgets what that recorded: ri starts out healthy.
func (e *monEnv) connect(ri *Instance) {
	e.t.Helper()
	ri.Link.LocalIP = "10.0.0.100"
	e.c.LinkUp(ri.Link, false, e.now)
	if ri.Kind != KindSentinel {
		e.c.LinkUp(ri.Link, true, e.now)
	}
	for _, req := range e.takeSends() {
		e.c.Reply(req, &Reply{Kind: ReplyStatus, Str: "PONG"}, e.now)
	}
	e.takeEvents()
}

func (e *monEnv) takeSends() []*Request {
	s := e.sh.sends
	e.sh.sends = nil
	return s
}

// takeEvents returns the events since the last call as "type payload".
func (e *monEnv) takeEvents() []string {
	var out []string
	for _, ev := range e.sh.events {
		out = append(out, ev.Type+" "+ev.Payload)
	}
	e.sh.events = nil
	return out
}

func (e *monEnv) expectEvents(want ...string) {
	e.t.Helper()
	got := e.takeEvents()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		e.t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

// sendsOf filters the recorded requests of one kind, leaving the rest.
func (e *monEnv) sendsOf(op Op) []*Request {
	var out, rest []*Request
	for _, r := range e.sh.sends {
		if r.Op == op {
			out = append(out, r)
		} else {
			rest = append(rest, r)
		}
	}
	e.sh.sends = rest
	return out
}

// info feeds ri an INFO reply through Reply, as the shell would.
func (e *monEnv) info(ri *Instance, text string) {
	e.t.Helper()
	req := &Request{Inst: ri, Op: OpInfo, Cmds: [][]string{{"INFO"}}, Sent: e.now, Link: ri.Link}
	ri.Link.PendingCommands++
	e.c.Reply(req, &Reply{Kind: ReplyBulk, Str: text}, e.now)
}

// crlf turns a readable multi-line INFO text into Redis's CRLF form.
func crlf(lines ...string) string {
	return strings.Join(lines, "\r\n") + "\r\n"
}

// monTestdata reads a captured INFO reply (redis-server 7.0.15) in CRLF
// form whatever line endings the checkout has.
func monTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// cmdsOf flattens a request's commands for comparison.
func cmdsOf(req *Request) []string {
	var out []string
	for _, c := range req.Cmds {
		out = append(out, strings.Join(c, " "))
	}
	return out
}

// slaveOfCmds is the reconfiguration transaction pointing at host port.
func slaveOfCmds(host, port string) []string {
	return []string{"MULTI", "SLAVEOF " + host + " " + port, "CONFIG REWRITE",
		"CLIENT KILL TYPE normal", "CLIENT KILL TYPE pubsub", "EXEC"}
}

// fakeResolve resolves a few test hostnames and accepts IPs.
func fakeResolve(host string) (string, error) {
	switch host {
	case "master.test":
		return "10.0.0.1", nil
	case "replica.test":
		return "10.0.0.2", nil
	case "sentinel.test":
		return "10.0.0.7", nil
	}
	return resolveIPOnly(host)
}

package core

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The failover tests drive the core by hand: a recording Shell, a clock the
// test advances, and a seeded rand. Every helper here is prefixed "fo" so
// that it cannot collide with the other engineers' test helpers in this
// package.

// foShell records everything the core asks of the outside world.
type foShell struct {
	opens   []*Instance
	drops   []*Link
	sends   []*Request
	events  []Event
	scripts [][]string
	exits   []int
}

func (s *foShell) Open(l *Link, inst *Instance) { s.opens = append(s.opens, inst) }
func (s *foShell) Drop(l *Link, cc, pc bool)    { s.drops = append(s.drops, l) }
func (s *foShell) Send(req *Request)            { s.sends = append(s.sends, req) }
func (s *foShell) Event(ev Event)               { s.events = append(s.events, ev) }
func (s *foShell) Exit(code int)                { s.exits = append(s.exits, code) }
func (s *foShell) RunScript(p string, a ...string) {
	s.scripts = append(s.scripts, append([]string{p}, a...))
}

// take returns the recorded events as "type payload" lines (debug-level
// ones left out, as they are never published) and forgets them.
func (s *foShell) take() []string {
	var out []string
	for _, ev := range s.events {
		if ev.Level == LevelDebug {
			continue
		}
		out = append(out, ev.Type+" "+ev.Payload)
	}
	s.events = nil
	return out
}

// takeSends returns the recorded requests and forgets them.
func (s *foShell) takeSends() []*Request {
	out := s.sends
	s.sends = nil
	return out
}

const (
	foMyID  = "5555555555555555555555555555555555555555"
	foPeerA = "1111111111111111111111111111111111111111"
	foPeerB = "2222222222222222222222222222222222222222"
	foPeerC = "3333333333333333333333333333333333333333"
	foPeerD = "4444444444444444444444444444444444444444"
	foPeerE = "6666666666666666666666666666666666666666"
)

var foT0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// foEnv is one core with one master "mymaster" at 10.0.0.1:6379.
type foEnv struct {
	t     *testing.T
	c     *Core
	sh    *foShell
	m     *Instance
	now   time.Time
	epoch uint64
}

func newFoEnv(t *testing.T) *foEnv {
	t.Helper()
	sh := &foShell{}
	c := New(sh, rand.New(rand.NewSource(1)))
	c.MyID = foMyID
	m := c.newInstance(KindMaster, "mymaster", Addr{"10.0.0.1", 6379}, nil, foT0)
	c.Masters["mymaster"] = m
	m.DownAfter = 5 * time.Second
	m.FailoverTimeout = 60 * time.Second
	m.Link.CC, m.Link.PC = true, true
	return &foEnv{t: t, c: c, sh: sh, m: m, now: foT0}
}

func (e *foEnv) advance(d time.Duration) time.Time {
	e.now = e.now.Add(d)
	return e.now
}

// replica adds a healthy, connected replica with fresh INFO.
func (e *foEnv) replica(host string, port int, runid string, prio int, offset int64) *Instance {
	a := Addr{host, port}
	r := e.c.newInstance(KindReplica, a.String(), a, e.m, e.now)
	r.Link.CC, r.Link.PC = true, true
	r.Link.LastAvailTime = e.now
	r.InfoRefresh = e.now
	r.RunID = runid
	r.SlavePriority = prio
	r.SlaveReplOffset = offset
	r.SlaveMasterHost, r.SlaveMasterPort, r.SlaveMasterLinkUp = e.m.Addr.Host, e.m.Addr.Port, true
	return r
}

// peer adds another sentinel with a connected command link.
func (e *foEnv) peer(runid string, port int) *Instance {
	s := e.c.newInstance(KindSentinel, runid, Addr{"10.0.1.1", port}, e.m, e.now)
	s.RunID = runid
	s.Link.CC = true
	return s
}

// vote records that peer s voted for leader in epoch, replying now.
func (e *foEnv) vote(s *Instance, down bool, leader string, epoch uint64) {
	d := int64(0)
	if down {
		d = 1
	}
	e.c.askMasterReply(&Request{Inst: s, Op: OpAskMaster, Master: e.m}, &Reply{Kind: ReplyArray, Elems: []Reply{
		{Kind: ReplyInt, Int: d}, {Kind: ReplyBulk, Str: leader}, {Kind: ReplyInt, Int: int64(epoch)}}}, e.now)
}

// sdown marks the master subjectively down since now.
func (e *foEnv) sdown() {
	e.m.Flags |= FlagSDown
	e.m.SDownSince = e.now
}

// expectEvents checks the events since the last check, in order.
func (e *foEnv) expectEvents(want ...string) {
	e.t.Helper()
	got := e.sh.take()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		e.t.Fatalf("events:\n got  %q\n want %q", got, want)
	}
}

// foCmds renders a request's commands one per string.
func foCmds(req *Request) []string {
	var out []string
	for _, c := range req.Cmds {
		out = append(out, strings.Join(c, " "))
	}
	return out
}

// foMasterPfx is the %@ prefix of mymaster before any switch.
const foMasterPfx = "master mymaster 10.0.0.1 6379"

// foSlavePfx is the %@ prefix of replica host:port under mymaster at
// 10.0.0.1:6379.
func foSlavePfx(host string, port int) string {
	a := Addr{host, port}
	return "slave " + a.String() + " " + host + " " + strconv.Itoa(port) + " @ mymaster 10.0.0.1 6379"
}

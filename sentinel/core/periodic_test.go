package core

import (
	"reflect"
	"testing"
	"time"
)

// quiet makes ri's INFO and hello not due, and its pub/sub connection
// recently active, so a test sees only what it looks at.
func (e *monEnv) quiet(ri *Instance) {
	ri.InfoRefresh = e.now
	ri.LastPubTime = e.now
	ri.Link.PCLastActivity = e.now
}

func TestMonPingSchedule(t *testing.T) {
	const never = -1
	cases := []struct {
		name                     string
		downAfter                time.Duration
		pongAgo, pingAgo, actAgo time.Duration // never: zero time
		ping                     bool
		wantActAgo               time.Duration // never: still zero
	}{
		{"reply older than the period", 30 * time.Second, 1500 * time.Millisecond, 1500 * time.Millisecond, never, true, 0},
		{"reply exactly one period old", 30 * time.Second, time.Second, 1500 * time.Millisecond, never, false, never},
		{"recent reply", 30 * time.Second, 900 * time.Millisecond, 1500 * time.Millisecond, never, false, never},
		{"last PING less than half a period ago", 30 * time.Second, 1500 * time.Millisecond, 400 * time.Millisecond, never, false, never},
		{"PING pending: oldest time kept", 30 * time.Second, 5 * time.Second, 600 * time.Millisecond, 4 * time.Second, true, 4 * time.Second},
		{"never answered", 30 * time.Second, never, never, never, true, 0},
		{"down-after below a second shortens the period", 400 * time.Millisecond, 450 * time.Millisecond, 250 * time.Millisecond, never, true, 0},
		{"short period, recent reply", 400 * time.Millisecond, 350 * time.Millisecond, 250 * time.Millisecond, never, false, never},
	}
	ago := func(now time.Time, d time.Duration) time.Time {
		if d == never {
			return time.Time{}
		}
		return now.Add(-d)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.connect(e.m)
			e.advance(time.Minute)
			e.quiet(e.m)
			e.m.DownAfter = tc.downAfter
			l := e.m.Link
			l.LastPongTime = ago(e.now, tc.pongAgo)
			l.LastPingTime = ago(e.now, tc.pingAgo)
			l.ActPingTime = ago(e.now, tc.actAgo)
			e.c.sendPeriodicCommands(e.m, e.now)
			pings := e.sendsOf(OpPing)
			if got := len(pings) == 1; got != tc.ping {
				t.Fatalf("pinged %v, want %v", got, tc.ping)
			}
			if rest := e.takeSends(); len(rest) != 0 {
				t.Fatalf("unexpected sends %v", rest)
			}
			if tc.ping {
				if !reflect.DeepEqual(cmdsOf(pings[0]), []string{"PING"}) || l.LastPingTime != e.now {
					t.Fatalf("PING %v, LastPingTime %v", cmdsOf(pings[0]), l.LastPingTime)
				}
			}
			if want := ago(e.now, tc.wantActAgo); l.ActPingTime != want {
				t.Fatalf("ActPingTime %v, want %v", l.ActPingTime, want)
			}
		})
	}
}

func TestMonInfoSchedule(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(e *monEnv) *Instance
		infoAgo time.Duration // 0: never received
		info    bool
	}{
		{"master never answered INFO", func(e *monEnv) *Instance { return e.m }, 0, true},
		{"master within the period", func(e *monEnv) *Instance { return e.m }, 10 * time.Second, false},
		{"master past the period", func(e *monEnv) *Instance { return e.m }, 10*time.Second + time.Millisecond, true},
		{"replica within the period", func(e *monEnv) *Instance { return e.replica(e.m, "10.0.0.2", 6380) }, 5 * time.Second, false},
		{"replica of an ODOWN master: every second", func(e *monEnv) *Instance {
			e.m.Flags |= FlagODown
			return e.replica(e.m, "10.0.0.2", 6380)
		}, 1100 * time.Millisecond, true},
		{"replica of a master failing over: every second", func(e *monEnv) *Instance {
			e.m.Flags |= FlagFailoverInProgress
			return e.replica(e.m, "10.0.0.2", 6380)
		}, 1100 * time.Millisecond, true},
		{"replica of a failing master, within the second", func(e *monEnv) *Instance {
			e.m.Flags |= FlagODown
			return e.replica(e.m, "10.0.0.2", 6380)
		}, 900 * time.Millisecond, false},
		{"replica reporting its master link down: every second", func(e *monEnv) *Instance {
			r := e.replica(e.m, "10.0.0.2", 6380)
			r.MasterLinkDownTime = -time.Second // "-1": never connected
			return r
		}, 1100 * time.Millisecond, true},
		{"sentinels never get INFO", func(e *monEnv) *Instance { return e.sentinel(e.m, monPeerA, "10.0.0.7", 26379) }, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			ri := tc.setup(e)
			e.connect(ri)
			e.advance(time.Minute)
			e.quiet(ri)
			ri.InfoRefresh = time.Time{}
			if tc.infoAgo != 0 {
				ri.InfoRefresh = e.now.Add(-tc.infoAgo)
			}
			ri.Link.LastPongTime = e.now // no PING due
			e.c.sendPeriodicCommands(ri, e.now)
			infos := e.sendsOf(OpInfo)
			if got := len(infos) == 1; got != tc.info {
				t.Fatalf("INFO sent %v, want %v", got, tc.info)
			}
			if tc.info && !reflect.DeepEqual(cmdsOf(infos[0]), []string{"INFO"}) {
				t.Fatalf("INFO command %v", cmdsOf(infos[0]))
			}
			if rest := e.takeSends(); len(rest) != 0 {
				t.Fatalf("unexpected sends %v", rest)
			}
		})
	}
}

func TestMonHelloSend(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(e *monEnv) *Instance
		payload string // "" : no hello
	}{
		{"master, own address from the connection", func(e *monEnv) *Instance { return e.m },
			"10.0.0.100,26379," + monMyID + ",5,mymaster,10.0.0.1,6379,3"},
		{"announce-ip and announce-port", func(e *monEnv) *Instance {
			e.c.AnnounceIP, e.c.AnnouncePort = "192.0.2.1", 36379
			return e.m
		}, "192.0.2.1,36379," + monMyID + ",5,mymaster,10.0.0.1,6379,3"},
		{"own port", func(e *monEnv) *Instance { e.c.Port = 26380; return e.m },
			"10.0.0.100,26380," + monMyID + ",5,mymaster,10.0.0.1,6379,3"},
		{"no address known yet", func(e *monEnv) *Instance { e.m.Link.LocalIP = ""; return e.m }, ""},
		{"replica gets the master's data", func(e *monEnv) *Instance {
			r := e.replica(e.m, "10.0.0.2", 6380)
			e.connect(r)
			return r
		}, "10.0.0.100,26379," + monMyID + ",5,mymaster,10.0.0.1,6379,3"},
		{"sentinel gets it too", func(e *monEnv) *Instance {
			s := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
			e.connect(s)
			return s
		}, "10.0.0.100,26379," + monMyID + ",5,mymaster,10.0.0.1,6379,3"},
		{"leader in reconf_slaves announces the promoted replica", func(e *monEnv) *Instance {
			r := e.replica(e.m, "10.0.0.2", 6380)
			r.Flags |= FlagPromoted
			e.m.PromotedReplica = r
			e.m.Flags |= FlagFailoverInProgress
			e.m.FailoverState = FailoverReconfSlaves
			e.m.ConfigEpoch = 6
			return e.m
		}, "10.0.0.100,26379," + monMyID + ",5,mymaster,10.0.0.2,6380,6"},
		{"before reconf_slaves the old address", func(e *monEnv) *Instance {
			r := e.replica(e.m, "10.0.0.2", 6380)
			e.m.PromotedReplica = r
			e.m.Flags |= FlagFailoverInProgress
			e.m.FailoverState = FailoverWaitPromotion
			return e.m
		}, "10.0.0.100,26379," + monMyID + ",5,mymaster,10.0.0.1,6379,3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.c.CurrentEpoch = 5
			e.m.ConfigEpoch = 3
			e.connect(e.m)
			ri := tc.setup(e)
			e.advance(time.Minute)
			e.quiet(ri)
			ri.LastPubTime = time.Time{}
			ri.Link.LastPongTime = e.now
			e.c.sendPeriodicCommands(ri, e.now)
			hellos := e.sendsOf(OpHello)
			if tc.payload == "" {
				if len(hellos) != 0 {
					t.Fatalf("hello sent: %v", cmdsOf(hellos[0]))
				}
				return
			}
			if len(hellos) != 1 {
				t.Fatalf("%d hellos", len(hellos))
			}
			if got, want := cmdsOf(hellos[0]), []string{"PUBLISH __sentinel__:hello " + tc.payload}; !reflect.DeepEqual(got, want) {
				t.Fatalf("hello\n got %q\nwant %q", got, want)
			}
		})
	}

	t.Run("every publish period after a success, at once after an error", func(t *testing.T) {
		e := newMonEnv(t)
		e.connect(e.m)
		e.advance(time.Minute)
		e.quiet(e.m)
		e.m.LastPubTime = e.now.Add(-1900 * time.Millisecond)
		tick := func() []*Request {
			e.m.Link.LastPongTime = e.now
			e.c.sendPeriodicCommands(e.m, e.now)
			e.m.InfoRefresh = e.now
			return e.sendsOf(OpHello)
		}
		if h := tick(); len(h) != 0 {
			t.Fatal("hello before the period")
		}
		e.advance(101 * time.Millisecond)
		h := tick()
		if len(h) != 1 {
			t.Fatal("no hello after the period")
		}
		e.c.Reply(h[0], &Reply{Kind: ReplyError, Str: "NOPERM this user has no permissions"}, e.now)
		e.advance(100 * time.Millisecond)
		h = tick()
		if len(h) != 1 {
			t.Fatal("failed hello not retried")
		}
		e.c.Reply(h[0], &Reply{Kind: ReplyInt, Int: 1}, e.now)
		if e.m.LastPubTime != e.now {
			t.Fatal("LastPubTime not set on success")
		}
		e.advance(2 * time.Second)
		if h := tick(); len(h) != 0 {
			t.Fatal("hello again within the period")
		}
		e.advance(time.Millisecond)
		if h := tick(); len(h) != 1 {
			t.Fatal("no hello one period after the success")
		}
	})
}

func TestMonPeriodicSkips(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(e *monEnv)
		anything bool
	}{
		{"healthy", func(e *monEnv) {}, true},
		{"pub/sub connection down", func(e *monEnv) { e.c.LinkDown(e.m.Link, true, e.now) }, false},
		{"command connection down", func(e *monEnv) { e.c.LinkDown(e.m.Link, false, e.now) }, false},
		{"pending limit reached", func(e *monEnv) { e.m.Link.PendingCommands = MaxPendingCommands }, false},
		{"limit scales with the refcount", func(e *monEnv) {
			e.m.Link.Refcount = 2
			e.m.Link.PendingCommands = MaxPendingCommands*2 - 1
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.connect(e.m)
			e.advance(time.Minute)
			tc.setup(e)
			e.c.sendPeriodicCommands(e.m, e.now)
			sends := e.takeSends()
			if tc.anything && len(sends) != 3 {
				t.Fatalf("want INFO, PING and hello, got %d requests", len(sends))
			}
			if !tc.anything && len(sends) != 0 {
				t.Fatalf("want nothing, got %d requests", len(sends))
			}
		})
	}
}

func TestMonForceHelloUpdate(t *testing.T) {
	e := newMonEnv(t)
	r := e.replica(e.m, "10.0.0.2", 6380)
	s := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
	fresh := e.sentinel(e.m, monPeerB, "10.0.0.8", 26379)
	for _, ri := range []*Instance{e.m, r, s, fresh} {
		e.connect(ri)
	}
	e.advance(time.Minute)
	for _, ri := range []*Instance{e.m, r, s} {
		e.quiet(ri)
		ri.Link.LastPongTime = e.now
	}
	fresh.Link.LastPongTime = e.now
	fresh.LastPubTime = time.Time{}

	e.c.forceHelloUpdateForMaster(e.m)
	if fresh.LastPubTime != (time.Time{}) {
		t.Fatal("a never-published time must stay zero (already due)")
	}
	if want := e.now.Add(-2*time.Second - time.Millisecond); e.m.LastPubTime != want {
		t.Fatalf("LastPubTime %v want %v", e.m.LastPubTime, want)
	}
	for _, ri := range []*Instance{e.m, r, s, fresh} {
		e.c.sendPeriodicCommands(ri, e.now)
		if h := e.sendsOf(OpHello); len(h) != 1 || h[0].Inst != ri {
			t.Fatalf("%s: no forced hello", ri.Name)
		}
	}
	if rest := e.takeSends(); len(rest) != 0 {
		t.Fatalf("unexpected sends %d", len(rest))
	}
	// Not a master: nothing to force.
	r.LastPubTime = e.now
	e.c.forceHelloUpdateForMaster(r)
	if r.LastPubTime != e.now {
		t.Fatal("forced for a replica")
	}
}

func TestMonLinkHealth(t *testing.T) {
	cases := []struct {
		name            string
		ccUp, pcUp      time.Duration // how long each connection has been up
		actAgo, pongAgo time.Duration // pending PING (0: none) and last reply
		pcIdle          time.Duration
		dropCC, dropPC  bool
	}{
		{"healthy", 60 * time.Second, 60 * time.Second, 0, 500 * time.Millisecond, time.Second, false, false},
		{"PING pending, nothing heard", 16 * time.Second, 60 * time.Second, 2600 * time.Millisecond, 2600 * time.Millisecond, time.Second, true, false},
		{"connection too young", 14 * time.Second, 60 * time.Second, 2600 * time.Millisecond, 2600 * time.Millisecond, time.Second, false, false},
		{"PING not pending long enough", 60 * time.Second, 60 * time.Second, 2400 * time.Millisecond, 2600 * time.Millisecond, time.Second, false, false},
		{"errors still come back", 60 * time.Second, 60 * time.Second, 2600 * time.Millisecond, time.Second, time.Second, false, false},
		{"no PING pending", 60 * time.Second, 60 * time.Second, 0, 10 * time.Second, time.Second, false, false},
		{"silent pub/sub", 60 * time.Second, 16 * time.Second, 0, 500 * time.Millisecond, 6100 * time.Millisecond, false, true},
		{"pub/sub silent for less than 3 periods", 60 * time.Second, 16 * time.Second, 0, 500 * time.Millisecond, 5900 * time.Millisecond, false, false},
		{"pub/sub too young", 60 * time.Second, 14 * time.Second, 0, 500 * time.Millisecond, 6100 * time.Millisecond, false, false},
		{"both", 60 * time.Second, 60 * time.Second, 3 * time.Second, 3 * time.Second, 7 * time.Second, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.connect(e.m)
			e.advance(2 * time.Minute)
			e.m.DownAfter = 5 * time.Second // half: 2.5 s
			e.quiet(e.m)
			l := e.m.Link
			l.CCConnTime = e.now.Add(-tc.ccUp)
			l.PCConnTime = e.now.Add(-tc.pcUp)
			l.ActPingTime = time.Time{}
			if tc.actAgo != 0 {
				l.ActPingTime = e.now.Add(-tc.actAgo)
			}
			l.LastPongTime = e.now.Add(-tc.pongAgo)
			l.LastPingTime = e.now // keep PINGs out of the way
			l.PCLastActivity = e.now.Add(-tc.pcIdle)
			l.PendingCommands = 3
			e.c.sendPeriodicCommands(e.m, e.now)
			if !tc.dropCC && !tc.dropPC {
				if len(e.sh.drops) != 0 {
					t.Fatalf("dropped %+v", e.sh.drops)
				}
				return
			}
			if len(e.sh.drops) != 1 || e.sh.drops[0] != (monDrop{l, tc.dropCC, tc.dropPC}) {
				t.Fatalf("drops %+v", e.sh.drops)
			}
			if l.CC == tc.dropCC || l.PC == tc.dropPC {
				t.Fatalf("link state after drop: cc %v pc %v", l.CC, l.PC)
			}
			if tc.dropCC && l.PendingCommands != 0 {
				t.Fatalf("pending %d after closing the command connection", l.PendingCommands)
			}
			// The closed connection is reopened by the next reconnect.
			e.advance(time.Second)
			e.c.reconnectInstance(e.m, e.now)
			if len(e.sh.opens) == 0 || e.sh.opens[len(e.sh.opens)-1] != e.m {
				t.Fatal("not reopened")
			}
		})
	}
}

package core

import (
	"reflect"
	"testing"
	"time"
)

func TestMonReconnect(t *testing.T) {
	t.Run("at most once a ping period while down", func(t *testing.T) {
		e := newMonEnv(t)
		steps := []struct {
			after time.Duration
			open  bool
		}{
			{0, true},
			{500 * time.Millisecond, false},
			{499 * time.Millisecond, false},
			{time.Millisecond, true}, // 1 s after the first attempt
			{999 * time.Millisecond, false},
			{time.Millisecond, true},
		}
		for i, s := range steps {
			e.advance(s.after)
			e.sh.opens = nil
			e.c.reconnectInstance(e.m, e.now)
			if got := len(e.sh.opens) == 1; got != s.open {
				t.Fatalf("step %d: opened %v, want %v", i, got, s.open)
			}
			if s.open && e.m.Link.LastReconnTime != e.now {
				t.Fatalf("step %d: LastReconnTime %v", i, e.m.Link.LastReconnTime)
			}
		}
	})

	t.Run("a long-lived command connection lost is redialled at once", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			age  time.Duration
			open bool
		}{
			{"lived 5 s", 5 * time.Second, true},
			{"died young", 500 * time.Millisecond, false},
		} {
			e := newMonEnv(t)
			e.c.reconnectInstance(e.m, e.now)
			e.c.LinkUp(e.m.Link, false, e.now)
			e.c.LinkUp(e.m.Link, true, e.now)
			e.advance(tc.age)
			// The pub/sub loss is reported first and takes the slot.
			e.c.LinkDown(e.m.Link, true, e.now)
			e.c.reconnectInstance(e.m, e.now)
			e.c.LinkDown(e.m.Link, false, e.now)
			e.advance(100 * time.Millisecond)
			e.sh.opens = nil
			e.c.reconnectInstance(e.m, e.now)
			if got := len(e.sh.opens) == 1; got != tc.open {
				t.Errorf("%s: redialled %v, want %v", tc.name, got, tc.open)
			}
		}
	})

	cases := []struct {
		name  string
		setup func(e *monEnv) *Instance
		open  bool
	}{
		{"port 0 is never connected", func(e *monEnv) *Instance { return e.replica(e.m, "10.0.0.2", 0) }, false},
		{"fully connected master", func(e *monEnv) *Instance { e.connect(e.m); return e.m }, false},
		{"master with its pub/sub connection down", func(e *monEnv) *Instance {
			e.connect(e.m)
			e.c.LinkDown(e.m.Link, true, e.now)
			return e.m
		}, true},
		{"sentinel needs no pub/sub connection", func(e *monEnv) *Instance {
			s := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
			e.connect(s)
			return s
		}, false},
		{"disconnected replica", func(e *monEnv) *Instance { return e.replica(e.m, "10.0.0.2", 6380) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			ri := tc.setup(e)
			e.advance(2 * time.Second)
			e.sh.opens = nil
			e.c.reconnectInstance(ri, e.now)
			if got := len(e.sh.opens) == 1 && e.sh.opens[0] == ri; got != tc.open {
				t.Fatalf("opened %v, want %v", got, tc.open)
			}
		})
	}

	t.Run("a new command connection counts as pinged from the attempt", func(t *testing.T) {
		e := newMonEnv(t)
		e.m.Link.ActPingTime = time.Time{}
		e.m.Link.PendingCommands = 7
		e.c.reconnectInstance(e.m, e.now)
		if e.m.Link.ActPingTime != e.now || e.m.Link.PendingCommands != 0 {
			t.Fatalf("ActPingTime %v pending %d", e.m.Link.ActPingTime, e.m.Link.PendingCommands)
		}
		// An older unanswered PING keeps its time.
		old := e.now
		e.advance(3 * time.Second)
		e.c.reconnectInstance(e.m, e.now)
		if e.m.Link.ActPingTime != old {
			t.Fatalf("ActPingTime moved to %v", e.m.Link.ActPingTime)
		}
	})
}

func TestMonLinkUpDown(t *testing.T) {
	e := newMonEnv(t)
	e.m.RenamedCommands["ping"] = "XPING"
	l := e.m.Link
	e.advance(time.Second)

	e.c.LinkUp(l, false, e.now)
	if !l.CC || l.CCConnTime != e.now || !l.Disconnected(KindMaster) {
		t.Fatalf("after cc up: %+v", l)
	}
	sends := e.takeSends()
	if len(sends) != 1 || sends[0].Op != OpPing || sends[0].Inst != e.m ||
		!reflect.DeepEqual(cmdsOf(sends[0]), []string{"XPING"}) || sends[0].Link != l {
		t.Fatalf("LinkUp sent %+v", sends)
	}
	if l.LastPingTime != e.now || l.PendingCommands != 1 {
		t.Fatalf("ping bookkeeping: last ping %v pending %d", l.LastPingTime, l.PendingCommands)
	}

	e.advance(time.Second)
	e.c.LinkUp(l, true, e.now)
	if !l.PC || l.PCConnTime != e.now || l.PCLastActivity != e.now || l.Disconnected(KindMaster) {
		t.Fatalf("after pc up: %+v", l)
	}
	e.advance(time.Second)
	e.c.PubSubActivity(l, e.now)
	if l.PCLastActivity != e.now {
		t.Fatal("PubSubActivity not recorded")
	}

	e.c.LinkDown(l, true, e.now)
	if l.PC || !l.CC || l.PendingCommands != 1 {
		t.Fatalf("after pc down: %+v", l)
	}
	e.c.LinkDown(l, false, e.now)
	if l.CC || l.PendingCommands != 0 {
		t.Fatalf("after cc down: %+v", l)
	}

	t.Run("shared sentinel link pings through one of its entries", func(t *testing.T) {
		e := newMonEnv(t)
		other := e.master("other", "10.0.1.1", 6379)
		s1 := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
		e.connect(s1)
		s2 := e.sentinel(other, monPeerA, "10.0.0.7", 26379)
		if !e.c.shareLink(s2) || s1.Link != s2.Link || s1.Link.Refcount != 2 {
			t.Fatal("link not shared")
		}
		e.c.LinkDown(s1.Link, false, e.now)
		e.c.LinkUp(s1.Link, false, e.now)
		sends := e.takeSends()
		if len(sends) != 1 || sends[0].Op != OpPing || sends[0].Inst.Link != s1.Link {
			t.Fatalf("sends %+v", sends)
		}
	})
}

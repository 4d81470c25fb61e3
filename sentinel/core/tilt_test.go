package core

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMonTiltEnter(t *testing.T) {
	cases := []struct {
		name  string
		first bool // no tick before
		delta time.Duration
		tilt  bool
	}{
		{"first tick", true, time.Hour, false},
		{"normal tick", false, 100 * time.Millisecond, false},
		{"slow tick within the trigger", false, 2 * time.Second, false},
		{"clock jumped forward", false, 2*time.Second + time.Millisecond, true},
		{"clock went back", false, -time.Millisecond, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			if !tc.first {
				e.c.PreviousTime = e.now
			}
			e.advance(tc.delta)
			e.c.checkTiltCondition(e.now)
			if e.c.Tilt != tc.tilt {
				t.Fatalf("tilt %v, want %v", e.c.Tilt, tc.tilt)
			}
			if !tc.tilt {
				e.expectEvents()
				return
			}
			if e.c.TiltStart != e.now {
				t.Fatalf("TiltStart %v", e.c.TiltStart)
			}
			ev := e.sh.events
			if len(ev) != 1 || ev[0].Level != LevelWarning || ev[0].Instance != nil || ev[0].Master != "" {
				t.Fatalf("event %+v", ev)
			}
			e.expectEvents("+tilt #tilt mode entered")
		})
	}
}

// monTicker drives Tick every step, answering what the master is sent:
// INFO and hellos always, PINGs only while pingsAnswered.
type monTicker struct {
	e             *monEnv
	pingsAnswered bool
	seen          []string // +tilt, -tilt, +sdown, -sdown events in order
}

func (k *monTicker) run(d, step time.Duration) {
	for end := k.e.now.Add(d); k.e.now.Before(end); {
		k.step(step)
	}
}

// step moves the clock by d (possibly backwards) and ticks once.
func (k *monTicker) step(d time.Duration) {
	e := k.e
	e.advance(d)
	e.c.Tick(e.now)
	e.c.PubSubActivity(e.m.Link, e.now)
	for _, req := range e.takeSends() {
		switch req.Op {
		case OpInfo:
			e.c.Reply(req, &Reply{Kind: ReplyBulk, Str: crlf("# Replication", "role:master", "connected_slaves:0")}, e.now)
		case OpHello:
			e.c.Reply(req, &Reply{Kind: ReplyInt, Int: 1}, e.now)
		case OpPing:
			if k.pingsAnswered {
				e.c.Reply(req, &Reply{Kind: ReplyStatus, Str: "PONG"}, e.now)
			}
		}
	}
	for _, ev := range e.takeEvents() {
		for _, typ := range []string{"+tilt ", "-tilt ", "+sdown ", "-sdown "} {
			if strings.HasPrefix(ev, typ) {
				k.seen = append(k.seen, ev)
			}
		}
	}
}

func (k *monTicker) expect(want ...string) {
	k.e.t.Helper()
	if len(k.seen) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(k.seen, want) {
		k.e.t.Fatalf("events\n got %q\nwant %q", k.seen, want)
	}
	k.seen = nil
}

func TestMonTiltTick(t *testing.T) {
	e := newMonEnv(t)
	e.m.DownAfter = 5 * time.Second
	e.c.Tick(e.now)
	e.connect(e.m)
	k := &monTicker{e: e, pingsAnswered: true}
	k.run(5*time.Second, 100*time.Millisecond)
	k.expect()

	// The process was stopped for 3 s.
	k.run(3*time.Second, 3*time.Second)
	k.expect("+tilt #tilt mode entered")
	entered := e.c.TiltStart

	// In TILT the master stops answering: monitoring goes on (PINGs, INFO
	// and hellos are still sent) but no SDOWN is declared.
	k.pingsAnswered = false
	var pinged, infoed bool
	for e.now.Sub(entered) < 30*time.Second-100*time.Millisecond {
		e.advance(100 * time.Millisecond)
		e.c.Tick(e.now)
		e.c.PubSubActivity(e.m.Link, e.now)
		for _, req := range e.takeSends() {
			pinged = pinged || req.Op == OpPing
			if req.Op == OpInfo {
				infoed = true
				e.c.Reply(req, &Reply{Kind: ReplyBulk, Str: crlf("role:master")}, e.now)
			}
		}
		if ev := e.takeEvents(); len(ev) != 0 {
			t.Fatalf("events in TILT: %q", ev)
		}
	}
	if !pinged || !infoed || !e.c.Tilt {
		t.Fatalf("pinged %v info %v tilt %v", pinged, infoed, e.c.Tilt)
	}

	// 30 s after entering: TILT ends and the silent master is SDOWN at
	// once.
	k.run(100*time.Millisecond, 100*time.Millisecond)
	k.expect("-tilt #tilt mode exited", "+sdown "+monMasterPfx)
	if e.c.Tilt {
		t.Fatal("still in TILT")
	}
}

func TestMonTiltReenter(t *testing.T) {
	e := newMonEnv(t)
	e.c.Tick(e.now)
	e.connect(e.m)
	k := &monTicker{e: e, pingsAnswered: true}
	k.run(3*time.Second, 3*time.Second)
	k.expect("+tilt #tilt mode entered")
	k.run(20*time.Second, 100*time.Millisecond)
	// A second jump restarts the tilt period.
	k.step(-time.Second)
	k.expect("+tilt #tilt mode entered")
	second := e.c.TiltStart
	k.run(29800*time.Millisecond, 100*time.Millisecond)
	k.expect()
	if !e.c.Tilt || e.now.Sub(second) >= 30*time.Second {
		t.Fatalf("tilt %v after %v", e.c.Tilt, e.now.Sub(second))
	}
	k.run(300*time.Millisecond, 100*time.Millisecond)
	k.expect("-tilt #tilt mode exited")
}

package core

import (
	"testing"
	"time"
)

func TestMonSubjectivelyDown(t *testing.T) {
	const downAfter = 5 * time.Second
	cases := []struct {
		name   string
		setup  func(e *monEnv) *Instance
		down   bool
		events []string
	}{
		{"PING pending longer than down-after", func(e *monEnv) *Instance {
			e.m.Link.ActPingTime = e.now.Add(-downAfter - time.Millisecond)
			return e.m
		}, true, []string{"+sdown " + monMasterPfx}},
		{"PING pending exactly down-after", func(e *monEnv) *Instance {
			e.m.Link.ActPingTime = e.now.Add(-downAfter)
			return e.m
		}, false, nil},
		{"connected, nothing pending, silent for long", func(e *monEnv) *Instance {
			e.m.Link.ActPingTime = time.Time{}
			e.m.Link.LastAvailTime = e.now.Add(-time.Hour)
			return e.m
		}, false, nil},
		{"disconnected, nothing pending, last reply too old", func(e *monEnv) *Instance {
			e.m.Link.ActPingTime = time.Time{}
			e.m.Link.LastAvailTime = e.now.Add(-downAfter - time.Millisecond)
			e.c.LinkDown(e.m.Link, true, e.now)
			return e.m
		}, true, []string{"+sdown " + monMasterPfx}},
		{"disconnected, last reply recent", func(e *monEnv) *Instance {
			e.m.Link.ActPingTime = time.Time{}
			e.m.Link.LastAvailTime = e.now.Add(-time.Second)
			e.c.LinkDown(e.m.Link, false, e.now)
			return e.m
		}, false, nil},
		{"lost connection counts as a pending PING from the loss", func(e *monEnv) *Instance {
			e.m.Link.ActPingTime = time.Time{}
			e.m.Link.LastAvailTime = e.now.Add(-time.Hour)
			e.c.LinkDown(e.m.Link, false, e.now.Add(-downAfter-time.Millisecond))
			return e.m
		}, true, []string{"+sdown " + monMasterPfx}},
		{"refused fast path: refused and silent longer than it", func(e *monEnv) *Instance {
			e.m.DownAfterRefused = 500 * time.Millisecond
			e.m.Link.LastAvailTime = e.now.Add(-600 * time.Millisecond)
			e.c.LinkDown(e.m.Link, false, e.now.Add(-100*time.Millisecond))
			e.c.ConnectFailed(e.m.Link, true, e.now.Add(-100*time.Millisecond))
			return e.m
		}, true, []string{"+sdown " + monMasterPfx}},
		{"refused fast path: not silent long enough", func(e *monEnv) *Instance {
			e.m.DownAfterRefused = 500 * time.Millisecond
			e.m.Link.LastAvailTime = e.now.Add(-400 * time.Millisecond)
			e.c.LinkDown(e.m.Link, false, e.now)
			e.c.ConnectFailed(e.m.Link, true, e.now)
			return e.m
		}, false, nil},
		{"refused fast path: dial timed out rather than refused", func(e *monEnv) *Instance {
			e.m.DownAfterRefused = 500 * time.Millisecond
			e.m.Link.LastAvailTime = e.now.Add(-time.Second)
			e.c.LinkDown(e.m.Link, false, e.now)
			e.c.ConnectFailed(e.m.Link, true, e.now)
			e.c.ConnectFailed(e.m.Link, false, e.now)
			return e.m
		}, false, nil},
		{"refused fast path off by default", func(e *monEnv) *Instance {
			e.m.Link.LastAvailTime = e.now.Add(-time.Second)
			e.c.LinkDown(e.m.Link, false, e.now)
			e.c.ConnectFailed(e.m.Link, true, e.now)
			return e.m
		}, false, nil},
		{"refused fast path applies to the group's replicas", func(e *monEnv) *Instance {
			e.m.DownAfterRefused = 500 * time.Millisecond
			r := e.replica(e.m, "10.0.0.2", 6380)
			r.DownAfter = downAfter
			r.Link.LastAvailTime = e.now.Add(-time.Second)
			e.c.LinkDown(r.Link, false, e.now)
			e.c.ConnectFailed(r.Link, true, e.now)
			return r
		}, true, []string{"+sdown slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"}},
		{"master reporting slave beyond down-after + 2 info periods", func(e *monEnv) *Instance {
			e.m.RoleReported = KindReplica
			e.m.RoleReportedTime = e.now.Add(-downAfter - 20*time.Second - time.Millisecond)
			return e.m
		}, true, []string{"+sdown " + monMasterPfx}},
		{"master reporting slave, not yet long enough", func(e *monEnv) *Instance {
			e.m.RoleReported = KindReplica
			e.m.RoleReportedTime = e.now.Add(-downAfter - 20*time.Second + time.Millisecond)
			return e.m
		}, false, nil},
		{"replica reporting master stays up", func(e *monEnv) *Instance {
			r := e.replica(e.m, "10.0.0.2", 6380)
			e.connect(r)
			r.DownAfter = downAfter
			r.RoleReported = KindMaster
			r.RoleReportedTime = e.now.Add(-time.Hour)
			return r
		}, false, nil},
		{"master reboot window exceeded", func(e *monEnv) *Instance {
			e.m.MasterRebootDownAfter = 2 * time.Second
			e.m.Flags |= FlagMasterReboot
			e.m.MasterRebootSince = e.now.Add(-3 * time.Second)
			return e.m
		}, true, []string{"+sdown " + monMasterPfx}},
		{"master reboot window open", func(e *monEnv) *Instance {
			e.m.MasterRebootDownAfter = 2 * time.Second
			e.m.Flags |= FlagMasterReboot
			e.m.MasterRebootSince = e.now.Add(-time.Second)
			return e.m
		}, false, nil},
		{"replica event prefix", func(e *monEnv) *Instance {
			r := e.replica(e.m, "10.0.0.2", 6380)
			r.DownAfter = downAfter
			e.connect(r)
			r.Link.ActPingTime = e.now.Add(-6 * time.Second)
			return r
		}, true, []string{"+sdown slave 10.0.0.2:6380 10.0.0.2 6380 @ " + "mymaster 10.0.0.1 6379"}},
		{"sentinel event prefix", func(e *monEnv) *Instance {
			s := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
			s.DownAfter = downAfter
			e.connect(s)
			s.Link.ActPingTime = e.now.Add(-6 * time.Second)
			return s
		}, true, []string{"+sdown sentinel " + monPeerA + " 10.0.0.7 26379 @ mymaster 10.0.0.1 6379"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.m.DownAfter = downAfter
			e.connect(e.m)
			e.advance(time.Hour)
			e.m.Link.ActPingTime = time.Time{}
			ri := tc.setup(e)
			e.takeEvents()
			e.c.checkSubjectivelyDown(ri, e.now)
			if got := ri.Flags&FlagSDown != 0; got != tc.down {
				t.Fatalf("SDOWN %v, want %v", got, tc.down)
			}
			if tc.down && ri.SDownSince != e.now {
				t.Fatalf("SDownSince %v", ri.SDownSince)
			}
			e.expectEvents(tc.events...)
			// Idempotent: no second event while the state holds.
			e.c.checkSubjectivelyDown(ri, e.now)
			e.expectEvents()
		})
	}

	t.Run("recovery clears SDOWN and script_kill_sent, keeps the time", func(t *testing.T) {
		e := newMonEnv(t)
		e.m.DownAfter = downAfter
		e.connect(e.m)
		e.advance(time.Minute)
		e.m.Link.ActPingTime = e.now.Add(-6 * time.Second)
		e.c.checkSubjectivelyDown(e.m, e.now)
		since := e.m.SDownSince
		e.m.Flags |= FlagScriptKillSent
		e.takeEvents()

		e.advance(time.Second)
		ping := &Request{Inst: e.m, Op: OpPing, Cmds: [][]string{{"PING"}}, Link: e.m.Link}
		e.c.Reply(ping, &Reply{Kind: ReplyStatus, Str: "PONG"}, e.now)
		e.c.checkSubjectivelyDown(e.m, e.now)
		if e.m.Flags&(FlagSDown|FlagScriptKillSent) != 0 {
			t.Fatalf("flags %s", e.m.FlagsString())
		}
		if e.m.SDownSince != since {
			t.Fatal("SDownSince must keep the last SDOWN start")
		}
		e.expectEvents("-sdown " + monMasterPfx)
	})
}

package core

import (
	"testing"
	"time"
)

func TestSelectExclusions(t *testing.T) {
	cases := []struct {
		name        string
		masterSDown time.Duration // >0: master SDOWN for this long
		setup       func(e *foEnv, r *Instance)
		excluded    bool
	}{
		{name: "healthy", setup: func(e *foEnv, r *Instance) {}},
		{name: "sdown", setup: func(e *foEnv, r *Instance) { r.Flags |= FlagSDown }, excluded: true},
		{name: "odown flag", setup: func(e *foEnv, r *Instance) { r.Flags |= FlagODown }, excluded: true},
		{name: "command link down", setup: func(e *foEnv, r *Instance) { r.Link.CC = false }, excluded: true},
		{name: "pubsub link down", setup: func(e *foEnv, r *Instance) { r.Link.PC = false }, excluded: true},
		{name: "last ok ping 5s ago", setup: func(e *foEnv, r *Instance) { r.Link.LastAvailTime = e.now.Add(-5 * time.Second) }},
		{name: "last ok ping over 5s ago", setup: func(e *foEnv, r *Instance) {
			r.Link.LastAvailTime = e.now.Add(-5*time.Second - time.Millisecond)
		}, excluded: true},
		{name: "priority 0", setup: func(e *foEnv, r *Instance) { r.SlavePriority = 0 }, excluded: true},
		{name: "never sent INFO", setup: func(e *foEnv, r *Instance) { r.InfoRefresh = time.Time{} }, excluded: true},
		{name: "INFO 30s old, master up", setup: func(e *foEnv, r *Instance) { r.InfoRefresh = e.now.Add(-30 * time.Second) }},
		{name: "INFO over 30s old, master up", setup: func(e *foEnv, r *Instance) {
			r.InfoRefresh = e.now.Add(-30*time.Second - time.Millisecond)
		}, excluded: true},
		{name: "INFO 5s old, master sdown", masterSDown: time.Second, setup: func(e *foEnv, r *Instance) {
			r.InfoRefresh = e.now.Add(-5 * time.Second)
		}},
		{name: "INFO over 5s old, master sdown", masterSDown: time.Second, setup: func(e *foEnv, r *Instance) {
			r.InfoRefresh = e.now.Add(-5*time.Second - time.Millisecond)
		}, excluded: true},
		// down-after is 5 s: the limit is 10 × 5 s, plus the SDOWN time.
		{name: "link down 50s, master up", setup: func(e *foEnv, r *Instance) { r.MasterLinkDownTime = 50 * time.Second }},
		{name: "link down over 50s, master up", setup: func(e *foEnv, r *Instance) {
			r.MasterLinkDownTime = 50*time.Second + time.Millisecond
		}, excluded: true},
		{name: "link down 70s, master sdown 20s", masterSDown: 20 * time.Second, setup: func(e *foEnv, r *Instance) {
			r.MasterLinkDownTime = 70 * time.Second
		}},
		{name: "link down over 70s, master sdown 20s", masterSDown: 20 * time.Second, setup: func(e *foEnv, r *Instance) {
			r.MasterLinkDownTime = 70*time.Second + time.Millisecond
		}, excluded: true},
		{name: "not announced still eligible", setup: func(e *foEnv, r *Instance) { r.ReplicaAnnounced = false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFoEnv(t)
			if tc.masterSDown > 0 {
				e.sdown()
				e.m.SDownSince = e.now.Add(-tc.masterSDown)
			}
			r := e.replica("10.0.0.2", 6379, foPeerA, 100, 10)
			tc.setup(e, r)
			got := e.c.selectReplica(e.m, e.now)
			if tc.excluded && got != nil || !tc.excluded && got != r {
				t.Fatalf("selected %v, excluded=%v", got, tc.excluded)
			}
		})
	}
}

func TestSelectRanking(t *testing.T) {
	type rep struct {
		port   int
		runid  string
		prio   int
		offset int64
	}
	cases := []struct {
		name string
		reps []rep
		want int // port
	}{
		{name: "lower priority first", reps: []rep{{1, "a", 100, 500}, {2, "b", 10, 1}, {3, "c", 50, 900}}, want: 2},
		{name: "then greater offset", reps: []rep{{1, "a", 100, 500}, {2, "b", 100, 900}, {3, "c", 100, 1}}, want: 2},
		{name: "then smaller runid", reps: []rep{{1, "cc", 100, 5}, {2, "bb", 100, 5}, {3, "dd", 100, 5}}, want: 2},
		{name: "runid ignores case", reps: []rep{{1, "AB", 100, 5}, {2, "aa", 100, 5}, {3, "Ac", 100, 5}}, want: 2},
		{name: "unknown runid last", reps: []rep{{1, "", 100, 5}, {2, "zz", 100, 5}}, want: 2},
		{name: "unknown runid last, other order", reps: []rep{{1, "zz", 100, 5}, {2, "", 100, 5}}, want: 1},
		{name: "no runids: address order", reps: []rep{{2, "", 100, 5}, {1, "", 100, 5}}, want: 1},
		{name: "priority beats offset and runid", reps: []rep{{1, "aa", 2, 1000}, {2, "zz", 1, 0}}, want: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFoEnv(t)
			for _, r := range tc.reps {
				e.replica("10.0.0.9", r.port, r.runid, r.prio, r.offset)
			}
			got := e.c.selectReplica(e.m, e.now)
			if got == nil || got.Addr.Port != tc.want {
				t.Fatalf("selected %+v, want port %d", got, tc.want)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		e := newFoEnv(t)
		if got := e.c.selectReplica(e.m, e.now); got != nil {
			t.Fatalf("selected %v with no replicas", got.Name)
		}
	})
}

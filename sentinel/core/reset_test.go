package core

import (
	"testing"
	"time"
)

func TestResetByPattern(t *testing.T) {
	e := newFoEnv(t)
	other := e.c.newInstance(KindMaster, "other", Addr{"10.0.5.1", 6379}, nil, e.now)
	e.c.Masters["other"] = other
	third := e.c.newInstance(KindMaster, "Mymaster2", Addr{"10.0.6.1", 6379}, nil, e.now)
	e.c.Masters["Mymaster2"] = third

	r := e.replica("10.0.0.2", 6379, foPeerA, 100, 1)
	p := e.peer(foPeerA, 26380)
	// The same peer also watches "other" and shares its link.
	p2 := e.c.newInstance(KindSentinel, foPeerA, p.Addr, other, e.now)
	p2.RunID = foPeerA
	if !e.c.shareLink(p2) {
		t.Fatal("link not shared")
	}
	e.m.Flags |= FlagSDown | FlagODown | FlagFailoverInProgress
	e.m.FailoverState = FailoverWaitPromotion
	e.m.PromotedReplica = r
	e.m.Leader, e.m.LeaderEpoch = foPeerB, 4
	e.m.FailoverStartTime = e.now
	e.m.RunID = "abc"
	e.m.ConfigEpoch = 3
	mLink := e.m.Link
	e.advance(time.Second)

	cases := []struct {
		pattern string
		want    int
	}{
		{"nomatch", 0},
		{"MYMASTER", 0}, // case-sensitive
		{"my*", 1},
	}
	for _, tc := range cases {
		if got := e.c.Reset(tc.pattern, e.now); got != tc.want {
			t.Fatalf("Reset(%q) = %d, want %d", tc.pattern, got, tc.want)
		}
		if tc.want == 0 {
			e.expectEvents()
			if e.c.TakeDirty() {
				t.Fatalf("Reset(%q) marked the config dirty", tc.pattern)
			}
		}
	}
	e.expectEvents("+reset-master " + foMasterPfx)
	if !e.c.TakeDirty() {
		t.Fatal("not dirty")
	}
	if len(e.m.Replicas) != 0 || len(e.m.Sentinels) != 0 || !r.Removed() || !p.Removed() {
		t.Fatal("replicas/sentinels kept")
	}
	// The shared sentinel link survives for "other".
	if p2.Link.Refcount != 1 || foDropped(e.sh, p2.Link) {
		t.Fatalf("shared link refcount %d", p2.Link.Refcount)
	}
	if e.m.Flags != 0 || e.m.FailoverState != FailoverNone || e.m.PromotedReplica != nil || e.m.Leader != "" ||
		!e.m.FailoverStartTime.IsZero() || e.m.RunID != "" {
		t.Fatalf("state kept: %s %v %q", e.m.FlagsString(), e.m.FailoverState, e.m.Leader)
	}
	// Epochs are history, not state to forget.
	if e.m.LeaderEpoch != 4 || e.m.ConfigEpoch != 3 {
		t.Fatalf("epochs %d %d", e.m.LeaderEpoch, e.m.ConfigEpoch)
	}
	if e.m.Link == mLink || !foDropped(e.sh, mLink) || e.m.Link.CC || !e.m.Link.LastAvailTime.Equal(e.now) ||
		!e.m.Link.ActPingTime.Equal(e.now) {
		t.Fatal("master link not reset")
	}
	// Failover may start again at once.
	e.m.Flags |= FlagSDown | FlagODown
	if !e.c.startFailoverIfNeeded(e.m, e.now) {
		t.Fatal("failover held back after reset")
	}

	e.sh.take()
	if got := e.c.Reset("*", e.now); got != 3 {
		t.Fatalf("Reset(*) = %d", got)
	}
	e.expectEvents("+reset-master master Mymaster2 10.0.6.1 6379", "+reset-master "+foMasterPfx,
		"+reset-master master other 10.0.5.1 6379")
}

func TestResetMasterAndChangeAddress(t *testing.T) {
	e := newFoEnv(t)
	e.replica("10.0.0.2", 6379, "", 100, 1)
	e.replica("10.0.0.3", 6379, "", 100, 1)
	p := e.peer(foPeerA, 26380)
	p.Flags |= FlagMasterDown
	e.sdown()

	if err := e.c.resetMasterAndChangeAddress(e.m, Addr{"not-an-ip", 6379}, e.now); err == nil {
		t.Fatal("hostname accepted without resolve-hostnames")
	}
	if err := e.c.resetMasterAndChangeAddress(e.m, Addr{"10.0.0.3", 70000}, e.now); err == nil {
		t.Fatal("bad port accepted")
	}
	e.expectEvents()

	if err := e.c.resetMasterAndChangeAddress(e.m, Addr{"10.0.0.3", 6379}, e.now); err != nil {
		t.Fatal(err)
	}
	pfx := " @ mymaster 10.0.0.3 6379"
	e.expectEvents("+slave slave 10.0.0.2:6379 10.0.0.2 6379"+pfx, "+slave slave 10.0.0.1:6379 10.0.0.1 6379"+pfx)
	if !e.m.SDownSince.IsZero() || e.m.Flags != 0 || e.m.Sentinels[foPeerA] != p || !e.c.TakeDirty() {
		t.Fatal("reset incomplete")
	}
	// New replicas start with the defaults (no INFO yet).
	for _, r := range e.m.Replicas {
		if !r.InfoRefresh.IsZero() || r.Link.CC || r.SlavePriority != DefaultSlavePriority {
			t.Fatalf("replica %s not fresh", r.Name)
		}
	}

	// Same address: nothing added for the master itself.
	if err := e.c.resetMasterAndChangeAddress(e.m, Addr{"10.0.0.3", 6379}, e.now); err != nil {
		t.Fatal(err)
	}
	e.expectEvents("+slave slave 10.0.0.1:6379 10.0.0.1 6379"+pfx, "+slave slave 10.0.0.2:6379 10.0.0.2 6379"+pfx)
	if len(e.m.Replicas) != 2 {
		t.Fatalf("%d replicas", len(e.m.Replicas))
	}
}

func TestCKQuorum(t *testing.T) {
	const noQ = "Not enough available Sentinels to reach the specified quorum for this master"
	const noM = "Not enough available Sentinels to reach the majority and authorize a failover"
	cases := []struct {
		name   string
		peers  int
		down   int // peers SDOWN
		quorum int
		want   string
		err    bool
	}{
		{name: "three up", peers: 2, quorum: 2, want: "OK 3 usable Sentinels. Quorum and failover authorization can be reached"},
		{name: "alone quorum 1", peers: 0, quorum: 1, want: "OK 1 usable Sentinels. Quorum and failover authorization can be reached"},
		{name: "quorum above sentinels", peers: 2, quorum: 4, err: true, want: "NOQUORUM 3 usable Sentinels. " + noQ},
		{name: "majority down", peers: 4, down: 3, quorum: 2, err: true, want: "NOQUORUM 2 usable Sentinels. " + noM},
		{name: "both", peers: 4, down: 3, quorum: 3, err: true, want: "NOQUORUM 2 usable Sentinels. " + noQ + ". " + noM},
		{name: "one of three down still fine", peers: 2, down: 1, quorum: 2, want: "OK 2 usable Sentinels. Quorum and failover authorization can be reached"},
	}
	ids := []string{foPeerA, foPeerB, foPeerC, foPeerD}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFoEnv(t)
			e.m.Quorum = tc.quorum
			for i := 0; i < tc.peers; i++ {
				p := e.peer(ids[i], 26380+i)
				if i < tc.down {
					if i%2 == 0 {
						p.Flags |= FlagSDown
					} else {
						p.Flags |= FlagODown
					}
				}
			}
			got, err := e.c.CKQuorum("mymaster")
			if tc.err {
				if err == nil || err.Error() != tc.want || got != "" {
					t.Fatalf("got %q, %v; want error %q", got, err, tc.want)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	e := newFoEnv(t)
	if _, err := e.c.CKQuorum("nope"); err == nil || err.Error() != "ERR No such master with that name" {
		t.Fatalf("unknown master: %v", err)
	}
}

package core

import (
	"testing"
	"time"
)

// TestVoteObservedSequence replays the IS-MASTER-DOWN-BY-ADDR exchange of
// §1.6 as observed against redis-sentinel 7.0.
func TestVoteObservedSequence(t *testing.T) {
	aaaa := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	bbbb := "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	cccc := "cccccccccccccccccccccccccccccccccccccccc"
	e := newFoEnv(t)
	master := e.m.Addr
	type step struct {
		addr       Addr
		epoch      uint64
		runid      string
		leader     string
		leaderEp   uint64
		events     []string
		dirty      bool
		startDelay bool // FailoverStartTime pushed to now+jitter
	}
	steps := []step{
		// Unknown master: no vote, no state change.
		{addr: Addr{"10.9.9.9", 1}, epoch: 9, runid: aaaa, leader: "*"},
		// "*" asks only for the down state.
		{addr: master, epoch: 5, runid: "*", leader: "*"},
		{addr: master, epoch: 5, runid: aaaa, leader: aaaa, leaderEp: 5,
			events: []string{"+new-epoch 5", "+vote-for-leader " + aaaa + " 5"}, dirty: true, startDelay: true},
		// Same epoch, another candidate: the earlier vote stands.
		{addr: master, epoch: 5, runid: bbbb, leader: aaaa, leaderEp: 5},
		// Lower epoch: still the earlier vote.
		{addr: master, epoch: 4, runid: cccc, leader: aaaa, leaderEp: 5},
		// Higher epoch: a new vote.
		{addr: master, epoch: 6, runid: cccc, leader: cccc, leaderEp: 6,
			events: []string{"+new-epoch 6", "+vote-for-leader " + cccc + " 6"}, dirty: true, startDelay: true},
		// "*" in a later epoch reports no vote and adopts nothing.
		{addr: master, epoch: 9, runid: "*", leader: "*"},
	}
	for i, s := range steps {
		e.advance(time.Second)
		e.m.FailoverStartTime = time.Time{}
		down, leader, ep := e.c.IsMasterDownByAddr(s.addr, s.epoch, s.runid, e.now)
		if down || leader != s.leader || ep != s.leaderEp {
			t.Fatalf("step %d: got %v %q %d, want false %q %d", i, down, leader, ep, s.leader, s.leaderEp)
		}
		e.expectEvents(s.events...)
		if d := e.c.TakeDirty(); d != s.dirty {
			t.Fatalf("step %d: dirty = %v", i, d)
		}
		st := e.m.FailoverStartTime
		if s.startDelay != !st.IsZero() || (s.startDelay && (st.Before(e.now) || !st.Before(e.now.Add(MaxDesync)))) {
			t.Fatalf("step %d: FailoverStartTime %v (now %v)", i, st, e.now)
		}
	}
	if e.c.CurrentEpoch != 6 {
		t.Fatalf("current epoch %d", e.c.CurrentEpoch)
	}
}

func TestVoteDownState(t *testing.T) {
	e := newFoEnv(t)
	if down, _, _ := e.c.IsMasterDownByAddr(e.m.Addr, 0, "*", e.now); down {
		t.Fatal("down while not sdown")
	}
	e.sdown()
	if down, _, _ := e.c.IsMasterDownByAddr(e.m.Addr, 0, "*", e.now); !down {
		t.Fatal("not down while sdown")
	}
	// TILT answers 0 but still votes.
	e.c.Tilt = true
	down, leader, ep := e.c.IsMasterDownByAddr(e.m.Addr, 3, foPeerA, e.now)
	if down || leader != foPeerA || ep != 3 {
		t.Fatalf("tilt: %v %q %d", down, leader, ep)
	}
}

func TestVoteForSelfKeepsStartTime(t *testing.T) {
	e := newFoEnv(t)
	start := e.now.Add(-time.Hour)
	e.m.FailoverStartTime = start
	// The runid comparison ignores case, as Redis's strcasecmp.
	lower := "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
	e.c.MyID = lower
	_, leader, ep := e.c.IsMasterDownByAddr(e.m.Addr, 1, "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD", e.now)
	if leader != "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD" || ep != 1 {
		t.Fatalf("vote %q %d", leader, ep)
	}
	if !e.m.FailoverStartTime.Equal(start) {
		t.Fatalf("own vote moved FailoverStartTime to %v", e.m.FailoverStartTime)
	}
}

func TestVoteLoadedEpochWithoutLeader(t *testing.T) {
	// A leader-epoch loaded from sentinel.conf has no runid: the reply is
	// "*" with that epoch, and no vote in that epoch or below.
	e := newFoEnv(t)
	e.m.LeaderEpoch = 4
	e.c.CurrentEpoch = 4
	_, leader, ep := e.c.IsMasterDownByAddr(e.m.Addr, 4, foPeerA, e.now)
	if leader != "*" || ep != 4 {
		t.Fatalf("got %q %d", leader, ep)
	}
	e.expectEvents()
}

func TestElection(t *testing.T) {
	type peerVote struct {
		leader string
		epoch  uint64
	}
	cases := []struct {
		name   string
		quorum int
		peers  []peerVote // one entry per peer; "" leader = no vote
		myVote *peerVote  // an earlier vote of ours in the failover epoch
		want   string
		wantMy string // whom we voted for
	}{
		{name: "alone of three", quorum: 2, peers: []peerVote{{}, {}}, want: "", wantMy: foMyID},
		{name: "one peer for us", quorum: 2, peers: []peerVote{{foMyID, 10}, {}}, want: foMyID, wantMy: foMyID},
		{name: "both peers for us", quorum: 2, peers: []peerVote{{foMyID, 10}, {foMyID, 10}}, want: foMyID, wantMy: foMyID},
		{name: "majority but below quorum", quorum: 3, peers: []peerVote{{foMyID, 10}, {}}, want: "", wantMy: foMyID},
		{name: "quorum but no majority", quorum: 1, peers: []peerVote{{}, {}, {}, {}}, want: "", wantMy: foMyID},
		{name: "single sentinel quorum 1", quorum: 1, want: foMyID, wantMy: foMyID},
		{name: "votes of an old epoch do not count", quorum: 2, peers: []peerVote{{foMyID, 9}, {foMyID, 9}}, want: "", wantMy: foMyID},
		{name: "we join the most voted", quorum: 2, peers: []peerVote{{foPeerB, 10}, {}}, want: foPeerB, wantMy: foPeerB},
		{name: "tie: our vote goes to the smallest top runid and decides", quorum: 2,
			peers: []peerVote{{foPeerC, 10}, {foPeerB, 10}, {foPeerC, 10}, {foPeerB, 10}},
			want:  foPeerB, wantMy: foPeerB},
		{name: "split vote: no majority this epoch", quorum: 2,
			peers: []peerVote{{foPeerB, 10}, {foPeerB, 10}, {foPeerC, 10}, {foPeerC, 10}, {foPeerD, 10}},
			want:  "", wantMy: foPeerB},
		{name: "our earlier vote stands", quorum: 2, peers: []peerVote{{foPeerB, 10}, {}},
			myVote: &peerVote{foPeerC, 10}, want: "", wantMy: foPeerC},
		{name: "our earlier vote wins with a peer", quorum: 2, peers: []peerVote{{foPeerB, 10}, {foPeerC, 10}},
			myVote: &peerVote{foPeerC, 10}, want: foPeerC, wantMy: foPeerC},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFoEnv(t)
			e.m.Quorum = tc.quorum
			e.c.CurrentEpoch = 10
			ids := []string{foPeerA, foPeerB, foPeerC, foPeerD, foPeerE, "7777777777777777777777777777777777777777"}
			for i, v := range tc.peers {
				p := e.peer(ids[i], 26380+i)
				p.Leader, p.LeaderEpoch = v.leader, v.epoch
				p.LastMasterDownReplyTime = e.now
			}
			if tc.myVote != nil {
				e.m.Leader, e.m.LeaderEpoch = tc.myVote.leader, tc.myVote.epoch
			}
			if got := e.c.getLeader(e.m, 10, e.now); got != tc.want {
				t.Fatalf("winner %q, want %q", got, tc.want)
			}
			if e.m.Leader != tc.wantMy || e.m.LeaderEpoch != 10 {
				t.Fatalf("our vote %q %d, want %q 10", e.m.Leader, e.m.LeaderEpoch, tc.wantMy)
			}
		})
	}
}

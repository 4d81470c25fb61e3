package core

import (
	"reflect"
	"testing"
	"time"
)

func TestODownQuorum(t *testing.T) {
	cases := []struct {
		name    string
		sdown   bool
		quorum  int
		downs   []bool          // one peer each: did it say the master is down
		age     []time.Duration // age of each peer's reply
		want    bool
		wantEvt string
	}{
		{name: "not sdown", sdown: false, quorum: 1, downs: []bool{true, true}, age: []time.Duration{0, 0}},
		{name: "alone quorum 1", sdown: true, quorum: 1, want: true, wantEvt: "+odown " + foMasterPfx + " #quorum 1/1"},
		{name: "quorum 2 one peer", sdown: true, quorum: 2, downs: []bool{true, false}, age: []time.Duration{0, 0},
			want: true, wantEvt: "+odown " + foMasterPfx + " #quorum 2/2"},
		{name: "all agree", sdown: true, quorum: 2, downs: []bool{true, true}, age: []time.Duration{0, time.Second},
			want: true, wantEvt: "+odown " + foMasterPfx + " #quorum 3/2"},
		{name: "quorum 3 short", sdown: true, quorum: 3, downs: []bool{true, false}, age: []time.Duration{0, 0}},
		{name: "stale reply ignored", sdown: true, quorum: 2, downs: []bool{true}, age: []time.Duration{5*time.Second + time.Millisecond}},
		{name: "reply at the stale limit counts", sdown: true, quorum: 2, downs: []bool{true}, age: []time.Duration{5 * time.Second},
			want: true, wantEvt: "+odown " + foMasterPfx + " #quorum 2/2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFoEnv(t)
			e.m.Quorum = tc.quorum
			var peers []*Instance
			for i, d := range tc.downs {
				p := e.peer([]string{foPeerA, foPeerB}[i], 26380+i)
				e.vote(p, d, foPeerA, 1)
				peers = append(peers, p)
			}
			end := e.now.Add(10 * time.Second)
			for i, p := range peers {
				p.LastMasterDownReplyTime = end.Add(-tc.age[i])
			}
			e.now = end
			if tc.sdown {
				e.sdown()
			}
			e.c.checkObjectivelyDown(e.m, e.now)
			if got := e.m.Flags&FlagODown != 0; got != tc.want {
				t.Fatalf("odown = %v, want %v", got, tc.want)
			}
			if tc.want {
				e.expectEvents(tc.wantEvt)
				if !e.m.ODownSince.Equal(e.now) {
					t.Fatalf("ODownSince = %v", e.m.ODownSince)
				}
			} else {
				e.expectEvents()
			}
			for i, p := range peers {
				if tc.age[i] > 5*time.Second && (p.Flags&FlagMasterDown != 0 || p.Leader != "") {
					t.Fatalf("stale peer %d kept flags %s leader %q", i, p.FlagsString(), p.Leader)
				}
			}
		})
	}
}

func TestODownClears(t *testing.T) {
	e := newFoEnv(t)
	p := e.peer(foPeerA, 26380)
	e.sdown()
	e.vote(p, true, "*", 0)
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents("+odown " + foMasterPfx + " #quorum 2/2")
	// Still ODOWN: no repeated event.
	e.advance(time.Second)
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents()
	// The peer changes its mind.
	e.vote(p, false, "*", 0)
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents("-odown " + foMasterPfx)
	// ODOWN again, then the peer goes silent past the stale limit.
	e.vote(p, true, "*", 0)
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents("+odown " + foMasterPfx + " #quorum 2/2")
	e.advance(5*time.Second + time.Millisecond)
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents("-odown " + foMasterPfx)
	// Own SDOWN gone: ODOWN cannot hold even with every peer agreeing.
	e.vote(p, true, "*", 0)
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents("+odown " + foMasterPfx + " #quorum 2/2")
	e.m.Flags &^= FlagSDown
	e.c.checkObjectivelyDown(e.m, e.now)
	e.expectEvents("-odown " + foMasterPfx)
}

func TestAskMasterState(t *testing.T) {
	e := newFoEnv(t)
	a := e.peer(foPeerA, 26380)
	b := e.peer(foPeerB, 26381)
	down := e.peer(foPeerC, 26382)
	down.Link.CC = false
	e.c.CurrentEpoch = 7

	// Not SDOWN: nobody is asked.
	e.c.askMasterStateToOtherSentinels(e.m, e.now, true)
	if got := e.sh.takeSends(); len(got) != 0 {
		t.Fatalf("asked while not sdown: %v", got)
	}

	e.sdown()
	e.c.askMasterStateToOtherSentinels(e.m, e.now, false)
	got := e.sh.takeSends()
	if len(got) != 2 || got[0].Inst != a || got[1].Inst != b {
		t.Fatalf("asked %d peers: %+v", len(got), got)
	}
	for _, req := range got {
		if req.Op != OpAskMaster || req.Master != e.m || !req.Sent.Equal(e.now) {
			t.Fatalf("request %+v", req)
		}
		want := []string{"SENTINEL is-master-down-by-addr 10.0.0.1 6379 7 *"}
		if !reflect.DeepEqual(foCmds(req), want) {
			t.Fatalf("cmds %q, want %q", foCmds(req), want)
		}
	}
	if a.Link.PendingCommands != 1 {
		t.Fatalf("pending = %d", a.Link.PendingCommands)
	}

	// a answered just now: not asked again within the ask period unless
	// forced; b, which did not answer, is asked on every call.
	e.advance(100 * time.Millisecond)
	e.vote(a, true, "*", 0)
	e.advance(time.Second - time.Millisecond)
	e.c.askMasterStateToOtherSentinels(e.m, e.now, false)
	if got := e.sh.takeSends(); len(got) != 1 || got[0].Inst != b {
		t.Fatalf("within ask period: %+v", got)
	}
	e.c.askMasterStateToOtherSentinels(e.m, e.now, true)
	if got := e.sh.takeSends(); len(got) != 2 {
		t.Fatalf("forced: %d requests", len(got))
	}
	e.advance(time.Millisecond)
	e.c.askMasterStateToOtherSentinels(e.m, e.now, false)
	if got := e.sh.takeSends(); len(got) != 2 {
		t.Fatalf("after ask period: %d requests", len(got))
	}

	// During a failover the request carries our runid (a vote request),
	// and the command name goes through the rename table.
	e.m.FailoverState = FailoverWaitStart
	e.m.RenamedCommands["sentinel"] = "XSENT"
	e.c.askMasterStateToOtherSentinels(e.m, e.now, true)
	got = e.sh.takeSends()
	if want := []string{"XSENT is-master-down-by-addr 10.0.0.1 6379 7 " + foMyID}; !reflect.DeepEqual(foCmds(got[0]), want) {
		t.Fatalf("cmds %q, want %q", foCmds(got[0]), want)
	}
}

func TestAskMasterReply(t *testing.T) {
	valid := func(down int64, leader string, epoch int64) *Reply {
		return &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyInt, Int: down}, {Kind: ReplyBulk, Str: leader}, {Kind: ReplyInt, Int: epoch}}}
	}
	cases := []struct {
		name       string
		reply      *Reply
		accepted   bool
		down       bool
		leader     string
		leaderEpch uint64
	}{
		{name: "nil (link lost)", reply: nil, leader: foPeerD, leaderEpch: 3},
		{name: "down, no vote", reply: valid(1, "*", 0), accepted: true, down: true, leader: foPeerD, leaderEpch: 3},
		{name: "not down with vote", reply: valid(0, foPeerB, 5), accepted: true, leader: foPeerB, leaderEpch: 5},
		{name: "down with vote", reply: valid(1, foPeerC, 6), accepted: true, down: true, leader: foPeerC, leaderEpch: 6},
		{name: "status leader", reply: &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyInt, Int: 1}, {Kind: ReplyStatus, Str: "*"}, {Kind: ReplyInt}}},
			leader: foPeerD, leaderEpch: 3},
		{name: "bulk down", reply: &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyBulk, Str: "1"}, {Kind: ReplyBulk, Str: "*"}, {Kind: ReplyInt}}},
			leader: foPeerD, leaderEpch: 3},
		{name: "bulk epoch", reply: &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyInt, Int: 1}, {Kind: ReplyBulk, Str: "*"}, {Kind: ReplyBulk, Str: "0"}}},
			leader: foPeerD, leaderEpch: 3},
		{name: "two elements", reply: &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyInt, Int: 1}, {Kind: ReplyBulk, Str: "*"}}},
			leader: foPeerD, leaderEpch: 3},
		{name: "four elements", reply: &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyInt, Int: 1}, {Kind: ReplyBulk, Str: "*"}, {Kind: ReplyInt}, {Kind: ReplyInt}}},
			leader: foPeerD, leaderEpch: 3},
		{name: "error", reply: &Reply{Kind: ReplyError, Str: "ERR unknown command"}, leader: foPeerD, leaderEpch: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newFoEnv(t)
			p := e.peer(foPeerA, 26380)
			// An earlier state: master_down, a vote for D in epoch 3.
			p.Flags |= FlagMasterDown
			p.Leader, p.LeaderEpoch = foPeerD, 3
			before := e.now.Add(-time.Second)
			p.LastMasterDownReplyTime = before
			if !tc.accepted {
				tc.down = true // untouched
			}
			e.c.askMasterReply(&Request{Inst: p, Op: OpAskMaster, Master: e.m}, tc.reply, e.now)
			if got := p.LastMasterDownReplyTime.Equal(e.now); got != tc.accepted {
				t.Fatalf("reply time updated = %v, want %v", got, tc.accepted)
			}
			if got := p.Flags&FlagMasterDown != 0; got != tc.down {
				t.Fatalf("master_down = %v, want %v", got, tc.down)
			}
			if p.Leader != tc.leader || p.LeaderEpoch != tc.leaderEpch {
				t.Fatalf("leader %q %d, want %q %d", p.Leader, p.LeaderEpoch, tc.leader, tc.leaderEpch)
			}
		})
	}

	t.Run("removed peer", func(t *testing.T) {
		e := newFoEnv(t)
		p := e.peer(foPeerA, 26380)
		e.c.releaseInstance(p)
		e.c.askMasterReply(&Request{Inst: p, Op: OpAskMaster, Master: e.m}, valid(1, foPeerB, 2), e.now)
		if p.Flags&FlagMasterDown != 0 || p.Leader != "" {
			t.Fatalf("removed peer updated: %s %q", p.FlagsString(), p.Leader)
		}
	})
}

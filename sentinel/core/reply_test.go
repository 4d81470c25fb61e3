package core

import (
	"reflect"
	"testing"
	"time"
)

func TestMonPingReply(t *testing.T) {
	cases := []struct {
		name      string
		reply     Reply
		sdown     bool
		available bool
		kill      bool
	}{
		{"+PONG", Reply{Kind: ReplyStatus, Str: "PONG"}, false, true, false},
		{"-LOADING", Reply{Kind: ReplyError, Str: "LOADING Redis is loading the dataset in memory"}, false, true, false},
		{"-MASTERDOWN", Reply{Kind: ReplyError, Str: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."}, false, true, false},
		{"other error", Reply{Kind: ReplyError, Str: "NOAUTH Authentication required."}, false, false, false},
		{"bulk PONG is not a status", Reply{Kind: ReplyBulk, Str: "PONG"}, false, false, false},
		{"lower-case pong", Reply{Kind: ReplyStatus, Str: "pong"}, false, false, false},
		{"-BUSY while up", Reply{Kind: ReplyError, Str: "BUSY Redis is busy running a script."}, false, false, false},
		{"-BUSY while SDOWN", Reply{Kind: ReplyError, Str: "BUSY Redis is busy running a script."}, true, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.m.RenamedCommands["script"] = "XSCRIPT"
			e.connect(e.m)
			sent := e.advance(time.Minute)
			e.quiet(e.m)
			e.c.sendPeriodicCommands(e.m, e.now)
			pings := e.sendsOf(OpPing)
			if len(pings) != 1 {
				t.Fatal("no PING")
			}
			l := e.m.Link
			availBefore := l.LastAvailTime
			if tc.sdown {
				e.m.Flags |= FlagSDown
			}
			e.advance(300 * time.Millisecond)
			e.c.Reply(pings[0], &tc.reply, e.now)

			if l.LastPongTime != e.now {
				t.Fatal("any reply must refresh LastPongTime")
			}
			if tc.available {
				if l.LastAvailTime != e.now || !l.ActPingTime.IsZero() {
					t.Fatalf("avail %v act %v", l.LastAvailTime, l.ActPingTime)
				}
			} else if l.LastAvailTime != availBefore || l.ActPingTime != sent {
				t.Fatalf("unacceptable reply changed avail %v / act %v", l.LastAvailTime, l.ActPingTime)
			}
			kills := e.sendsOf(OpScriptKill)
			if tc.kill {
				if len(kills) != 1 || !reflect.DeepEqual(cmdsOf(kills[0]), []string{"XSCRIPT KILL"}) ||
					e.m.Flags&FlagScriptKillSent == 0 {
					t.Fatalf("SCRIPT KILL %v flags %s", kills, e.m.FlagsString())
				}
				// Only once per SDOWN period.
				again := &Request{Inst: e.m, Op: OpPing, Cmds: [][]string{{"PING"}}, Link: l}
				e.c.Reply(again, &tc.reply, e.now)
				if len(e.sendsOf(OpScriptKill)) != 0 {
					t.Fatal("second SCRIPT KILL")
				}
			} else if len(kills) != 0 {
				t.Fatal("unexpected SCRIPT KILL")
			}
		})
	}

	t.Run("master reboot window ends on +PONG only", func(t *testing.T) {
		e := newMonEnv(t)
		e.connect(e.m)
		e.m.Flags |= FlagMasterReboot
		ping := func(r Reply) {
			e.c.Reply(&Request{Inst: e.m, Op: OpPing, Cmds: [][]string{{"PING"}}, Link: e.m.Link}, &r, e.now)
		}
		ping(Reply{Kind: ReplyError, Str: "LOADING Redis is loading the dataset in memory"})
		if e.m.Flags&FlagMasterReboot == 0 {
			t.Fatal("-LOADING ended the reboot window")
		}
		ping(Reply{Kind: ReplyStatus, Str: "PONG"})
		if e.m.Flags&FlagMasterReboot != 0 {
			t.Fatal("+PONG did not end the reboot window")
		}
	})
}

func TestMonReplyBookkeeping(t *testing.T) {
	t.Run("a pipeline settles all its commands", func(t *testing.T) {
		e := newMonEnv(t)
		e.connect(e.m)
		if !e.c.sendSlaveOf(e.m, Addr{Host: "10.0.0.2", Port: 6380}, e.now) {
			t.Fatal("not sent")
		}
		// Six commands in the transaction, then an INFO.
		if e.m.Link.PendingCommands != 7 {
			t.Fatalf("pending %d", e.m.Link.PendingCommands)
		}
		sends := e.takeSends()
		e.c.Reply(sends[0], &Reply{Kind: ReplyArray}, e.now)
		e.c.Reply(sends[1], &Reply{Kind: ReplyError, Str: "ERR not now"}, e.now)
		if e.m.Link.PendingCommands != 0 {
			t.Fatalf("pending %d", e.m.Link.PendingCommands)
		}
	})

	t.Run("a nil reply settles nothing", func(t *testing.T) {
		e := newMonEnv(t)
		e.connect(e.m)
		pong := e.m.Link.LastPongTime
		e.advance(time.Second)
		e.c.sendPing(e.m, e.now)
		req := e.takeSends()[0]
		e.c.Reply(req, nil, e.now)
		if e.m.Link.PendingCommands != 1 || e.m.Link.LastPongTime != pong {
			t.Fatalf("pending %d, LastPongTime %v", e.m.Link.PendingCommands, e.m.Link.LastPongTime)
		}
		// The connection loss that follows resets the count.
		e.c.LinkDown(e.m.Link, false, e.now)
		if e.m.Link.PendingCommands != 0 {
			t.Fatal("LinkDown kept pending commands")
		}
	})

	t.Run("removed instance: its link is settled, the reply ignored", func(t *testing.T) {
		e := newMonEnv(t)
		other := e.master("other", "10.0.1.1", 6379)
		s1 := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
		e.connect(s1)
		s2 := e.sentinel(other, monPeerA, "10.0.0.7", 26379)
		e.c.shareLink(s2)
		shared := s1.Link
		e.c.send(s1, OpHello, e.now, command(s1, "PUBLISH", HelloChannel, "x"))
		req := e.takeSends()[0]
		delete(e.m.Sentinels, s1.Name)
		e.c.releaseInstance(s1)
		e.advance(time.Second)
		e.c.Reply(req, &Reply{Kind: ReplyInt, Int: 1}, e.now)
		if shared.PendingCommands != 0 {
			t.Fatalf("shared link pending %d", shared.PendingCommands)
		}
		if s1.LastPubTime == e.now {
			t.Fatal("reply for a removed instance processed")
		}
	})

	t.Run("a reply over a link the instance has left is ignored", func(t *testing.T) {
		e := newMonEnv(t)
		e.connect(e.m)
		e.advance(time.Second)
		e.c.sendPing(e.m, e.now)
		req := e.takeSends()[0]
		old := e.m.Link
		// What a reset to a new address does: a fresh link for the master.
		e.c.releaseLink(e.m)
		act := e.m.Link.ActPingTime
		e.advance(time.Second)
		e.c.Reply(req, &Reply{Kind: ReplyStatus, Str: "PONG"}, e.now)
		if old.PendingCommands != 0 {
			t.Fatalf("old link pending %d", old.PendingCommands)
		}
		if e.m.Link.ActPingTime != act || e.m.Link.LastPongTime == e.now {
			t.Fatal("stale PONG applied to the new link")
		}
	})

	t.Run("INFO must be a bulk string", func(t *testing.T) {
		e := newMonEnv(t)
		e.connect(e.m)
		req := &Request{Inst: e.m, Op: OpInfo, Cmds: [][]string{{"INFO"}}, Link: e.m.Link}
		e.c.Reply(req, &Reply{Kind: ReplyError, Str: "NOAUTH Authentication required."}, e.now)
		if !e.m.InfoRefresh.IsZero() || e.m.Info != "" {
			t.Fatal("error reply taken as INFO")
		}
		e.c.Reply(req, &Reply{Kind: ReplyBulk, Str: crlf("# Replication", "role:master")}, e.now)
		if e.m.InfoRefresh != e.now || e.m.Info == "" {
			t.Fatal("INFO not recorded")
		}
	})

	t.Run("IS-MASTER-DOWN-BY-ADDR replies go to the failover side", func(t *testing.T) {
		e := newMonEnv(t)
		s := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
		e.connect(s)
		req := e.c.send(s, OpAskMaster, e.now, command(s, "SENTINEL", "is-master-down-by-addr", "10.0.0.1", "6379", "0", "*"))
		req.Master = e.m
		e.c.Reply(req, &Reply{Kind: ReplyArray, Elems: []Reply{
			{Kind: ReplyInt, Int: 1}, {Kind: ReplyBulk, Str: "*"}, {Kind: ReplyInt, Int: 0}}}, e.now)
		if s.Flags&FlagMasterDown == 0 || s.Link.PendingCommands != 0 {
			t.Fatalf("flags %s pending %d", s.FlagsString(), s.Link.PendingCommands)
		}
	})
}

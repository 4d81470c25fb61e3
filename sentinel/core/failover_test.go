package core

import (
	"reflect"
	"testing"
	"time"
)

// foPromotionTxn is the exact promotion transaction (§4.6).
var foPromotionTxn = []string{"MULTI", "SLAVEOF NO ONE", "CONFIG REWRITE",
	"CLIENT KILL TYPE normal", "CLIENT KILL TYPE pubsub", "EXEC"}

func foReconfTxn(host, port string) []string {
	return []string{"MULTI", "SLAVEOF " + host + " " + port, "CONFIG REWRITE",
		"CLIENT KILL TYPE normal", "CLIENT KILL TYPE pubsub", "EXEC"}
}

func TestFailoverStartConditions(t *testing.T) {
	e := newFoEnv(t)
	e.c.CurrentEpoch = 3
	if e.c.startFailoverIfNeeded(e.m, e.now) {
		t.Fatal("started without ODOWN")
	}
	e.m.Flags |= FlagSDown | FlagODown
	e.m.Flags |= FlagFailoverInProgress
	if e.c.startFailoverIfNeeded(e.m, e.now) {
		t.Fatal("started during a failover")
	}
	e.m.Flags &^= FlagFailoverInProgress
	// A vote for another sentinel 2 × failover-timeout ago minus 1 ms
	// still holds us back; the reason is logged once (debug event).
	e.m.FailoverStartTime = e.now.Add(-2*e.m.FailoverTimeout + time.Millisecond)
	for i := 0; i < 3; i++ {
		if e.c.startFailoverIfNeeded(e.m, e.now) {
			t.Fatal("started within 2 × failover-timeout")
		}
	}
	if n := len(e.sh.events); n != 1 || e.sh.events[0].Level != LevelDebug {
		t.Fatalf("delay notes: %+v", e.sh.events)
	}
	e.expectEvents()
	e.advance(time.Millisecond)
	if !e.c.startFailoverIfNeeded(e.m, e.now) {
		t.Fatal("did not start")
	}
	e.expectEvents("+new-epoch 4", "+try-failover "+foMasterPfx)
	if e.c.CurrentEpoch != 4 || e.m.FailoverEpoch != 4 || e.m.FailoverState != FailoverWaitStart ||
		e.m.Flags&FlagFailoverInProgress == 0 || !e.m.FailoverStateChange.Equal(e.now) || !e.c.TakeDirty() {
		t.Fatalf("after start: epoch %d/%d state %v flags %s", e.c.CurrentEpoch, e.m.FailoverEpoch, e.m.FailoverState, e.m.FlagsString())
	}
	if st := e.m.FailoverStartTime; st.Before(e.now) || !st.Before(e.now.Add(MaxDesync)) {
		t.Fatalf("start time %v not within jitter of %v", st, e.now)
	}
}

// foElected builds the situation right after a won election: three
// sentinels, both peers voted for us, replicas given by the caller.
func foElected(t *testing.T, reps func(e *foEnv)) *foEnv {
	t.Helper()
	e := newFoEnv(t)
	a, b := e.peer(foPeerA, 26380), e.peer(foPeerB, 26381)
	reps(e)
	e.sdown()
	e.vote(a, true, "*", 0)
	e.vote(b, true, "*", 0)
	e.c.checkObjectivelyDown(e.m, e.now)
	if !e.c.startFailoverIfNeeded(e.m, e.now) {
		t.Fatal("no failover start")
	}
	e.c.failoverStateMachine(e.m, e.now) // votes for itself; 1 of 3
	if e.m.FailoverState != FailoverWaitStart {
		t.Fatalf("state %v", e.m.FailoverState)
	}
	e.advance(100 * time.Millisecond)
	e.vote(a, true, foMyID, e.c.CurrentEpoch)
	e.c.failoverStateMachine(e.m, e.now)
	if e.m.FailoverState != FailoverSelectSlave {
		t.Fatalf("not elected: state %v", e.m.FailoverState)
	}
	e.expectEvents("+odown "+foMasterPfx+" #quorum 3/2", "+new-epoch 1", "+try-failover "+foMasterPfx,
		"+vote-for-leader "+foMyID+" 1", "+elected-leader "+foMasterPfx, "+failover-state-select-slave "+foMasterPfx)
	return e
}

func TestFailoverFullRun(t *testing.T) {
	var r1, r2, r3 *Instance
	e := foElected(t, func(e *foEnv) {
		r1 = e.replica("10.0.0.2", 6379, foPeerA, 100, 100)
		r2 = e.replica("10.0.0.3", 6379, foPeerB, 100, 300) // best offset
		r3 = e.replica("10.0.0.4", 6379, foPeerC, 100, 200)
	})
	e.m.ClientReconfigScript = "/bin/reconf"
	e.m.ParallelSyncs = 1
	e.sh.takeSends()

	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+selected-slave "+foSlavePfx("10.0.0.3", 6379), "+failover-state-send-slaveof-noone "+foSlavePfx("10.0.0.3", 6379))
	if e.m.PromotedReplica != r2 || r2.Flags&FlagPromoted == 0 || e.m.FailoverState != FailoverSendSlaveofNoone {
		t.Fatalf("promoted %v state %v", e.m.PromotedReplica, e.m.FailoverState)
	}

	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+failover-state-wait-promotion " + foSlavePfx("10.0.0.3", 6379))
	sends := e.sh.takeSends()
	// The transaction, then the INFO that reports its effect at once.
	if len(sends) != 2 || sends[0].Inst != r2 || sends[0].Op != OpSlaveOf || !reflect.DeepEqual(foCmds(sends[0]), foPromotionTxn) ||
		sends[1].Inst != r2 || sends[1].Op != OpInfo {
		t.Fatalf("promotion sends %+v", sends)
	}
	// Nothing happens while waiting.
	e.advance(time.Second)
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()
	if got := e.m.CurrentMasterAddr(); got != e.m.Addr {
		t.Fatal("current address moved before the promotion")
	}

	// The replica reports role:master.
	e.c.TakeDirty()
	r2.RoleReported = KindMaster
	r2.LastPubTime = e.now
	e.c.promotedReplicaReportsMaster(r2, e.now)
	e.expectEvents("+promoted-slave "+foSlavePfx("10.0.0.3", 6379), "+failover-state-reconf-slaves "+foMasterPfx)
	if e.m.ConfigEpoch != 1 || e.m.FailoverState != FailoverReconfSlaves || !e.c.TakeDirty() {
		t.Fatalf("config epoch %d state %v", e.m.ConfigEpoch, e.m.FailoverState)
	}
	if want := [][]string{{"/bin/reconf", "mymaster", "leader", "start", "10.0.0.1", "6379", "10.0.0.3", "6379"}}; !reflect.DeepEqual(e.sh.scripts, want) {
		t.Fatalf("scripts %q", e.sh.scripts)
	}
	if !r2.LastPubTime.Before(e.now.Add(-e.c.Timing.PublishPeriod)) {
		t.Fatal("hello not forced")
	}
	if got := e.m.CurrentMasterAddr(); got != r2.Addr {
		t.Fatalf("current master %v", got)
	}

	// reconf_slaves with parallel-syncs 1: one replica at a time.
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+slave-reconf-sent " + foSlavePfx("10.0.0.2", 6379))
	sends = e.sh.takeSends()
	if len(sends) != 2 || sends[0].Inst != r1 || !reflect.DeepEqual(foCmds(sends[0]), foReconfTxn("10.0.0.3", "6379")) ||
		sends[1].Op != OpInfo {
		t.Fatalf("reconf sends %+v", sends)
	}
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()
	if len(e.sh.takeSends()) != 0 {
		t.Fatal("second replica started beyond parallel-syncs")
	}
	// r1 progresses through INFO.
	r1.SlaveMasterHost, r1.SlaveMasterPort, r1.SlaveMasterLinkUp = "10.0.0.3", 6379, false
	e.c.replicaReconfProgress(r1, e.now)
	e.expectEvents("+slave-reconf-inprog " + foSlavePfx("10.0.0.2", 6379))
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()
	r1.SlaveMasterLinkUp = true
	e.c.replicaReconfProgress(r1, e.now)
	e.expectEvents("+slave-reconf-done " + foSlavePfx("10.0.0.2", 6379))
	if r1.Flags&(FlagReconfSent|FlagReconfInprog|FlagReconfDone) != FlagReconfDone {
		t.Fatalf("r1 flags %s", r1.FlagsString())
	}
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+slave-reconf-sent " + foSlavePfx("10.0.0.4", 6379))
	r3.SlaveMasterHost, r3.SlaveMasterPort, r3.SlaveMasterLinkUp = "10.0.0.3", 6379, true
	e.c.replicaReconfProgress(r3, e.now)
	e.expectEvents("+slave-reconf-inprog "+foSlavePfx("10.0.0.4", 6379), "+slave-reconf-done "+foSlavePfx("10.0.0.4", 6379))
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+failover-end " + foMasterPfx)
	if e.m.FailoverState != FailoverUpdateConfig {
		t.Fatalf("state %v", e.m.FailoverState)
	}

	// The switch (Tick does it after visiting every instance).
	oldLink := e.m.Link
	peers := len(e.m.Sentinels)
	e.c.failoverSwitchToPromoted(e.m, e.now)
	newPfx := " @ mymaster 10.0.0.3 6379"
	e.expectEvents("+switch-master mymaster 10.0.0.1 6379 10.0.0.3 6379",
		"+slave slave 10.0.0.2:6379 10.0.0.2 6379"+newPfx,
		"+slave slave 10.0.0.4:6379 10.0.0.4 6379"+newPfx,
		"+slave slave 10.0.0.1:6379 10.0.0.1 6379"+newPfx)
	if e.m.Addr != (Addr{"10.0.0.3", 6379}) || e.m.FailoverState != FailoverNone || e.m.Flags != 0 ||
		e.m.PromotedReplica != nil || e.m.Leader != "" || !e.c.TakeDirty() {
		t.Fatalf("after switch: %v %v %s %q", e.m.Addr, e.m.FailoverState, e.m.FlagsString(), e.m.Leader)
	}
	if len(e.m.Replicas) != 3 || e.m.Replicas["10.0.0.1:6379"] == nil || e.m.Replicas["10.0.0.3:6379"] != nil {
		t.Fatalf("replicas %v", sortedInstances(e.m.Replicas))
	}
	if len(e.m.Sentinels) != peers {
		t.Fatal("sentinels dropped by the switch")
	}
	if !r1.Removed() || !r2.Removed() || !r3.Removed() {
		t.Fatal("old replica entries still live")
	}
	if e.m.Link == oldLink || e.m.Link.CC || !foDropped(e.sh, oldLink) {
		t.Fatal("master link not replaced and dropped")
	}
	if e.m.ConfigEpoch != 1 || e.m.RunID != "" || e.m.RoleReported != KindMaster {
		t.Fatalf("config epoch %d runid %q", e.m.ConfigEpoch, e.m.RunID)
	}
}

func foDropped(sh *foShell, l *Link) bool {
	for _, d := range sh.drops {
		if d == l {
			return true
		}
	}
	return false
}

func TestFailoverParallelSyncs(t *testing.T) {
	var reps []*Instance
	e := foElected(t, func(e *foEnv) {
		for i := 0; i < 5; i++ {
			reps = append(reps, e.replica("10.0.0.1"+string(rune('0'+i)), 6379, "", 100, int64(i)))
		}
		reps[0].SlaveReplOffset = 1000 // the one promoted
	})
	e.m.ParallelSyncs = 2
	e.c.failoverStateMachine(e.m, e.now) // select
	e.c.failoverStateMachine(e.m, e.now) // send slaveof no one
	reps[0].RoleReported = KindMaster
	e.c.promotedReplicaReportsMaster(reps[0], e.now)
	e.sh.take()
	e.sh.takeSends()

	// A disconnected replica is skipped, not counted.
	reps[1].Link.PC = false
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+slave-reconf-sent "+foSlavePfx("10.0.0.12", 6379), "+slave-reconf-sent "+foSlavePfx("10.0.0.13", 6379))
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()

	// One finishes: the next one starts.
	reps[2].Flags = reps[2].Flags&^FlagReconfSent | FlagReconfDone
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+slave-reconf-sent " + foSlavePfx("10.0.0.14", 6379))

	// 10 s after being sent without progress a replica counts as done,
	// but the check only runs while fewer than parallel-syncs are in
	// flight (§4.6 inference): with both slots taken nothing happens.
	e.advance(e.c.Timing.SlaveReconfTimeout + time.Millisecond)
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()
	// A slot frees up: the stuck one is released, and, as in Redis, the
	// SLAVEOF is sent to it once more in the same pass (it stays done).
	reps[4].Flags = reps[4].Flags&^FlagReconfSent | FlagReconfDone
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("-slave-reconf-sent-timeout "+foSlavePfx("10.0.0.13", 6379), "+slave-reconf-sent "+foSlavePfx("10.0.0.13", 6379))
	if reps[3].Flags&FlagReconfDone == 0 {
		t.Fatalf("timed-out replica flags %s", reps[3].FlagsString())
	}
	// reps[1] reconnects and gets the remaining slot.
	reps[1].Link.PC = true
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+slave-reconf-sent " + foSlavePfx("10.0.0.11", 6379))
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()
}

func TestFailoverEndForTimeout(t *testing.T) {
	var reps []*Instance
	e := foElected(t, func(e *foEnv) {
		for i := 0; i < 4; i++ {
			reps = append(reps, e.replica("10.0.0.2"+string(rune('0'+i)), 6379, "", 100, int64(10-i)))
		}
	})
	e.m.ParallelSyncs = 1
	e.c.failoverStateMachine(e.m, e.now)
	e.c.failoverStateMachine(e.m, e.now)
	e.c.promotedReplicaReportsMaster(reps[0], e.now)
	e.c.failoverStateMachine(e.m, e.now) // reps[1] sent
	e.sh.take()
	e.sh.takeSends()
	reps[3].Link.CC = false // unreachable: no best-effort SLAVEOF

	// The promoted replica SDOWN: the end is not even considered.
	e.advance(e.m.FailoverTimeout + time.Second)
	reps[0].Flags |= FlagSDown
	reps[1].SlaveReconfSentTime = e.now // keep it in flight
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents()
	reps[0].Flags &^= FlagSDown

	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+failover-end-for-timeout "+foMasterPfx, "+failover-end "+foMasterPfx,
		"+slave-reconf-sent-be "+foSlavePfx("10.0.0.22", 6379))
	if e.m.FailoverState != FailoverUpdateConfig {
		t.Fatalf("state %v", e.m.FailoverState)
	}
	sends := e.sh.takeSends()
	if len(sends) != 2 || sends[0].Inst != reps[2] || !reflect.DeepEqual(foCmds(sends[0]), foReconfTxn("10.0.0.20", "6379")) ||
		sends[1].Op != OpInfo {
		t.Fatalf("best-effort sends %+v", sends)
	}
}

func TestFailoverEndSkipsSDownReplicas(t *testing.T) {
	var reps []*Instance
	e := foElected(t, func(e *foEnv) {
		reps = append(reps, e.replica("10.0.0.2", 6379, "", 100, 10), e.replica("10.0.0.3", 6379, "", 100, 5))
	})
	e.c.failoverStateMachine(e.m, e.now)
	e.c.failoverStateMachine(e.m, e.now)
	e.c.promotedReplicaReportsMaster(reps[0], e.now)
	e.sh.take()
	reps[1].Flags |= FlagSDown
	reps[1].Link.CC = false
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+failover-end " + foMasterPfx)
}

func TestFailoverAborts(t *testing.T) {
	t.Run("not elected", func(t *testing.T) {
		e := newFoEnv(t)
		e.peer(foPeerA, 26380)
		e.peer(foPeerB, 26381)
		e.m.FailoverTimeout = 5 * time.Second // below the 10 s election timeout
		e.m.Flags |= FlagSDown | FlagODown
		e.c.startFailoverIfNeeded(e.m, e.now)
		start := e.m.FailoverStartTime
		e.sh.take()
		e.now = start.Add(5 * time.Second)
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents("+vote-for-leader " + foMyID + " 1")
		e.advance(time.Millisecond)
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents("-failover-abort-not-elected " + foMasterPfx)
		if e.m.FailoverState != FailoverNone || e.m.Flags&FlagFailoverInProgress != 0 || !e.m.FailoverStartTime.Equal(start) {
			t.Fatalf("after abort: %v %s %v", e.m.FailoverState, e.m.FlagsString(), e.m.FailoverStartTime)
		}
		// The next attempt waits 2 × failover-timeout from the start.
		e.now = start.Add(2*e.m.FailoverTimeout - time.Millisecond)
		if e.c.startFailoverIfNeeded(e.m, e.now) {
			t.Fatal("retried too early")
		}
		e.now = start.Add(2 * e.m.FailoverTimeout)
		if !e.c.startFailoverIfNeeded(e.m, e.now) {
			t.Fatal("no retry")
		}
		if e.c.CurrentEpoch != 2 {
			t.Fatalf("epoch %d", e.c.CurrentEpoch)
		}
	})
	t.Run("election timeout capped at 10s", func(t *testing.T) {
		e := newFoEnv(t)
		e.peer(foPeerA, 26380)
		e.m.Flags |= FlagSDown | FlagODown
		e.c.startFailoverIfNeeded(e.m, e.now)
		e.now = e.m.FailoverStartTime.Add(10 * time.Second)
		e.c.failoverStateMachine(e.m, e.now)
		if e.m.FailoverState != FailoverWaitStart {
			t.Fatal("aborted at the limit")
		}
		e.advance(time.Millisecond)
		e.c.failoverStateMachine(e.m, e.now)
		if e.m.FailoverState != FailoverNone {
			t.Fatal("not aborted after 10 s")
		}
	})
	t.Run("no good slave", func(t *testing.T) {
		e := foElected(t, func(e *foEnv) { e.replica("10.0.0.2", 6379, "", 0, 1) })
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents("-failover-abort-no-good-slave " + foMasterPfx)
		if e.m.FailoverState != FailoverNone || e.m.Flags&FlagFailoverInProgress != 0 {
			t.Fatal("not aborted")
		}
	})
	t.Run("promoted replica unreachable", func(t *testing.T) {
		var r *Instance
		e := foElected(t, func(e *foEnv) { r = e.replica("10.0.0.2", 6379, "", 100, 1) })
		e.c.failoverStateMachine(e.m, e.now) // selected
		e.sh.take()
		r.Link.CC = false
		e.advance(e.m.FailoverTimeout)
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents()
		if len(e.sh.takeSends()) != 0 {
			t.Fatal("sent to a disconnected replica")
		}
		e.advance(time.Millisecond)
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents("-failover-abort-slave-timeout " + foMasterPfx)
		if r.Flags&FlagPromoted != 0 || e.m.PromotedReplica != nil || e.m.FailoverState != FailoverNone {
			t.Fatalf("promoted mark kept: %s", r.FlagsString())
		}
	})
	t.Run("no promotion in time", func(t *testing.T) {
		var r *Instance
		e := foElected(t, func(e *foEnv) { r = e.replica("10.0.0.2", 6379, "", 100, 1) })
		e.c.failoverStateMachine(e.m, e.now)
		e.c.failoverStateMachine(e.m, e.now)
		e.sh.take()
		e.advance(e.m.FailoverTimeout)
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents()
		e.advance(time.Millisecond)
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents("-failover-abort-slave-timeout " + foMasterPfx)
		if r.Flags&FlagPromoted != 0 || e.m.FailoverState != FailoverNone {
			t.Fatal("not aborted")
		}
		// A late role:master report no longer counts as the promotion.
		e.c.promotedReplicaReportsMaster(r, e.now)
		e.expectEvents()
		if e.m.ConfigEpoch != 0 {
			t.Fatal("config epoch taken after abort")
		}
	})
	t.Run("forced failover aborts clear force", func(t *testing.T) {
		e := newFoEnv(t)
		r := e.replica("10.0.0.2", 6379, "", 100, 1)
		if err := e.c.Failover("mymaster", e.now); err != nil {
			t.Fatal(err)
		}
		e.c.failoverStateMachine(e.m, e.now)
		r.SlavePriority = 0
		e.c.failoverStateMachine(e.m, e.now)
		if e.m.Flags&(FlagForceFailover|FlagFailoverInProgress) != 0 {
			t.Fatalf("flags %s", e.m.FlagsString())
		}
	})
}

func TestFailoverCommand(t *testing.T) {
	e := newFoEnv(t)
	e.peer(foPeerA, 26380)
	e.peer(foPeerB, 26381)
	if err := e.c.Failover("nope", e.now); err == nil || err.Error() != "ERR No such master with that name" {
		t.Fatalf("unknown master: %v", err)
	}
	if err := e.c.Failover("mymaster", e.now); err == nil || err.Error() != "NOGOODSLAVE No suitable replica to promote" {
		t.Fatalf("no replica: %v", err)
	}
	e.expectEvents()
	e.replica("10.0.0.2", 6379, "", 100, 1)
	e.c.CurrentEpoch = 7
	if err := e.c.Failover("mymaster", e.now); err != nil {
		t.Fatal(err)
	}
	e.expectEvents("+new-epoch 8", "+try-failover "+foMasterPfx)
	if e.m.FlagsString() != "master,failover_in_progress,force_failover" {
		t.Fatalf("flags %s", e.m.FlagsString())
	}
	if err := e.c.Failover("mymaster", e.now); err == nil || err.Error() != "INPROG Failover already in progress" {
		t.Fatalf("second: %v", err)
	}
	// Forced: elected without ODOWN, majority or peers' votes.
	e.c.failoverStateMachine(e.m, e.now)
	e.expectEvents("+vote-for-leader "+foMyID+" 8", "+elected-leader "+foMasterPfx, "+failover-state-select-slave "+foMasterPfx)
}

func TestFailoverSimulatedCrashes(t *testing.T) {
	t.Run("after election", func(t *testing.T) {
		e := newFoEnv(t)
		e.replica("10.0.0.2", 6379, "", 100, 1)
		e.c.SimFailure = SimCrashAfterElection
		e.c.Failover("mymaster", e.now)
		e.sh.take()
		e.c.failoverStateMachine(e.m, e.now)
		e.expectEvents("+vote-for-leader "+foMyID+" 1", "+elected-leader "+foMasterPfx)
		if !reflect.DeepEqual(e.sh.exits, []int{99}) {
			t.Fatalf("exits %v", e.sh.exits)
		}
	})
	t.Run("after promotion", func(t *testing.T) {
		e := newFoEnv(t)
		r := e.replica("10.0.0.2", 6379, "", 100, 1)
		e.c.SimFailure = SimCrashAfterPromotion
		e.c.Failover("mymaster", e.now)
		for i := 0; i < 3; i++ {
			e.c.failoverStateMachine(e.m, e.now)
		}
		if len(e.sh.exits) != 0 {
			t.Fatal("exited before the promotion")
		}
		e.sh.take()
		e.c.TakeDirty()
		e.c.promotedReplicaReportsMaster(r, e.now)
		e.expectEvents("+promoted-slave " + foSlavePfx("10.0.0.2", 6379))
		if !reflect.DeepEqual(e.sh.exits, []int{99}) {
			t.Fatalf("exits %v", e.sh.exits)
		}
		// The new config epoch was recorded before the crash.
		if e.m.ConfigEpoch != 1 || !e.c.TakeDirty() {
			t.Fatal("config epoch not recorded")
		}
	})
}

func TestReplicaReconfProgressGuards(t *testing.T) {
	var r *Instance
	e := foElected(t, func(e *foEnv) {
		e.replica("10.0.0.2", 6379, "", 100, 10)
		r = e.replica("10.0.0.3", 6379, "", 100, 5)
	})
	e.c.failoverStateMachine(e.m, e.now)
	e.c.failoverStateMachine(e.m, e.now)
	e.c.promotedReplicaReportsMaster(e.m.PromotedReplica, e.now)
	e.c.failoverStateMachine(e.m, e.now)
	e.sh.take()
	if r.Flags&FlagReconfSent == 0 {
		t.Fatal("not sent")
	}
	// Still replicating from the old master: no progress, even with the
	// link up.
	e.c.replicaReconfProgress(r, e.now)
	e.expectEvents()
	// Right host, wrong port.
	r.SlaveMasterHost, r.SlaveMasterPort = "10.0.0.2", 6380
	e.c.replicaReconfProgress(r, e.now)
	e.expectEvents()
	r.SlaveMasterPort = 6379
	r.SlaveMasterLinkUp = false
	e.c.replicaReconfProgress(r, e.now)
	e.expectEvents("+slave-reconf-inprog " + foSlavePfx("10.0.0.3", 6379))
	e.c.replicaReconfProgress(r, e.now)
	e.expectEvents()
	// A replica that now reports role:master is not progressing.
	r.RoleReported = KindMaster
	r.SlaveMasterLinkUp = true
	e.c.replicaReconfProgress(r, e.now)
	e.expectEvents()
	if r.Flags&FlagReconfInprog == 0 {
		t.Fatalf("flags %s", r.FlagsString())
	}
}

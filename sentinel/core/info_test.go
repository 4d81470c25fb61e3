package core

import (
	"reflect"
	"sort"
	"testing"
	"time"
)

func replicaNames(m *Instance) []string {
	var out []string
	for name := range m.Replicas {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func TestMonInfoMaster(t *testing.T) {
	e := newMonEnv(t)
	m := e.master("real", "127.0.0.1", 47491)
	text := monTestdata(t, "monitor_info_master_7.0.txt")
	e.advance(time.Second)
	e.info(m, text)

	if m.RunID != "21d705005d5018c8441c4f34429e2d35b28f261e" {
		t.Fatalf("runid %q", m.RunID)
	}
	if m.Info != text || m.InfoRefresh != e.now || m.RoleReported != KindMaster {
		t.Fatalf("info cache/refresh/role: %v %v", m.InfoRefresh, m.RoleReported)
	}
	if got, want := replicaNames(m), []string{"127.0.0.1:47492", "127.0.0.1:47494"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("replicas %v", got)
	}
	r := m.Replicas["127.0.0.1:47492"]
	if r.Kind != KindReplica || r.Master != m || r.Addr != (Addr{"127.0.0.1", 47492}) || r.DownAfter != m.DownAfter {
		t.Fatalf("replica %+v", r)
	}
	e.expectEvents(
		"+slave slave 127.0.0.1:47492 127.0.0.1 47492 @ real 127.0.0.1 47491",
		"+slave slave 127.0.0.1:47494 127.0.0.1 47494 @ real 127.0.0.1 47491")
	if !e.c.TakeDirty() {
		t.Fatal("new replicas must reach the config")
	}

	// The same INFO again discovers nothing.
	e.advance(10 * time.Second)
	e.info(m, text)
	e.expectEvents()
	if e.c.TakeDirty() {
		t.Fatal("dirty without a change")
	}
}

func TestMonInfoReplicaDiscovery(t *testing.T) {
	cases := []struct {
		name    string
		line    string
		resolve bool
		want    string // "" : nothing discovered
	}{
		{"7.0 format", "slave0:ip=10.0.0.2,port=6380,state=online,offset=100,lag=0", false, "10.0.0.2:6380"},
		{"old format", "slave0:10.0.0.3,6381,online", false, "10.0.0.3:6381"},
		{"old format cut short", "slave0:10.0.0.3,6381", false, ""},
		{"IPv6", "slave1:ip=::1,port=6380,state=online,offset=0,lag=0", false, "[::1]:6380"},
		{"hostname without resolve-hostnames", "slave0:ip=replica.test,port=6380,state=online,offset=0,lag=0", false, ""},
		{"hostname with resolve-hostnames", "slave0:ip=replica.test,port=6380,state=online,offset=0,lag=0", true, "replica.test:6380"},
		{"port not a number", "slave0:ip=10.0.0.2,port=x,state=online", false, ""},
		{"port out of range", "slave0:ip=10.0.0.2,port=70000,state=online", false, ""},
		{"no port", "slave0:ip=10.0.0.2,state=online", false, ""},
		{"not slave<N>", "slaveX:ip=10.0.0.2,port=6380", false, ""},
		{"replica field", "slave_repl_offset:10", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			if tc.resolve {
				e.c.ResolveHostnames = true
				e.c.Resolve = fakeResolve
			}
			e.info(e.m, crlf("# Replication", "role:master", "connected_slaves:1", tc.line, "master_failover_state:no-failover"))
			got := replicaNames(e.m)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("discovered %v", got)
				}
				e.expectEvents()
				return
			}
			if !reflect.DeepEqual(got, []string{tc.want}) {
				t.Fatalf("discovered %v, want %s", got, tc.want)
			}
			ev := e.takeEvents()
			if len(ev) != 1 || ev[0][:len("+slave slave "+tc.want)] != "+slave slave "+tc.want {
				t.Fatalf("events %q", ev)
			}
		})
	}

	t.Run("only a master's INFO lists replicas", func(t *testing.T) {
		e := newMonEnv(t)
		r := e.replica(e.m, "10.0.0.2", 6380)
		e.info(r, crlf("# Replication", "role:slave", "slave0:ip=10.0.0.9,port=6380,state=online,offset=0,lag=0"))
		if got := replicaNames(e.m); !reflect.DeepEqual(got, []string{"10.0.0.2:6380"}) {
			t.Fatalf("replicas %v", got)
		}
	})
}

func TestMonInfoRunID(t *testing.T) {
	const id1 = "1111111111111111111111111111111111111111"
	const id2 = "2222222222222222222222222222222222222222"
	e := newMonEnv(t)
	r := e.replica(e.m, "10.0.0.2", 6380)

	e.info(e.m, crlf("run_id:"+id1, "role:master"))
	e.info(e.m, crlf("run_id:abc", "role:master")) // too short: ignored
	if e.m.RunID != id1 {
		t.Fatalf("runid %q", e.m.RunID)
	}
	e.expectEvents()

	e.info(e.m, crlf("run_id:"+id2, "role:master"))
	e.expectEvents("+reboot " + monMasterPfx)
	if e.m.RunID != id2 || e.m.Flags&FlagMasterReboot != 0 {
		t.Fatalf("runid %q flags %s", e.m.RunID, e.m.FlagsString())
	}

	// With master-reboot-down-after-period the reboot opens the window.
	e.m.MasterRebootDownAfter = 5 * time.Second
	e.advance(time.Second)
	e.info(e.m, crlf("run_id:"+id1, "role:master"))
	e.expectEvents("+reboot " + monMasterPfx)
	if e.m.Flags&FlagMasterReboot == 0 || e.m.MasterRebootSince != e.now {
		t.Fatalf("reboot window: flags %s since %v", e.m.FlagsString(), e.m.MasterRebootSince)
	}

	// Replicas reboot too, but the window is a master's.
	e.info(r, crlf("run_id:"+id1, "role:slave", "master_host:10.0.0.1", "master_port:6379"))
	e.info(r, crlf("run_id:"+id2, "role:slave", "master_host:10.0.0.1", "master_port:6379"))
	e.expectEvents("+reboot slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379")
	if r.Flags&FlagMasterReboot != 0 {
		t.Fatal("reboot window on a replica")
	}
}

func TestMonInfoReplica(t *testing.T) {
	e := newMonEnv(t)
	m := e.master("real", "127.0.0.1", 47491)
	r := e.replica(m, "127.0.0.1", 47492)
	t1 := e.advance(time.Second)
	e.info(r, monTestdata(t, "monitor_info_replica_7.0.txt"))
	want := struct {
		runid      string
		host       string
		port       int
		linkUp     bool
		prio       int
		offset     int64
		announced  bool
		linkDown   time.Duration
		confChange time.Time
	}{"3aff4ef3be26fa460348c7df2a827d64b1dff75b", "127.0.0.1", 47491, true, 50, 50, true, 0, t1}
	check := func(step string) {
		t.Helper()
		if r.RunID != want.runid || r.SlaveMasterHost != want.host || r.SlaveMasterPort != want.port ||
			r.SlaveMasterLinkUp != want.linkUp || r.SlavePriority != want.prio || r.SlaveReplOffset != want.offset ||
			r.ReplicaAnnounced != want.announced || r.MasterLinkDownTime != want.linkDown ||
			r.SlaveConfChangeTime != want.confChange || r.RoleReported != KindReplica {
			t.Fatalf("%s: got runid %s host %s port %d up %v prio %d off %d ann %v down %v conf %v role %v, want %+v",
				step, r.RunID, r.SlaveMasterHost, r.SlaveMasterPort, r.SlaveMasterLinkUp, r.SlavePriority,
				r.SlaveReplOffset, r.ReplicaAnnounced, r.MasterLinkDownTime, r.SlaveConfChangeTime, r.RoleReported, want)
		}
	}
	check("replica in sync")
	e.expectEvents()

	// Its master died: the link-down time appears, the configured master
	// is the same, so the change time stays.
	e.advance(2 * time.Second)
	e.info(r, monTestdata(t, "monitor_info_replica_linkdown_7.0.txt"))
	want.linkUp, want.offset, want.linkDown = false, 87, time.Second
	want.runid = "3aff4ef3be26fa460348c7df2a827d64b1dff75b" // the section has no run_id: unchanged
	check("master link down")

	// Never connected (-1), hidden, and a new master host.
	t3 := e.advance(time.Second)
	e.info(r, crlf("# Replication", "role:slave", "master_host:127.0.0.2", "master_port:47491",
		"master_link_status:down", "master_link_down_since_seconds:-1", "slave_priority:0", "replica_announced:0"))
	want.host, want.linkDown, want.prio, want.announced, want.confChange = "127.0.0.2", -time.Second, 0, false, t3
	check("hidden replica, new master")

	// The host is compared without case; the port counts as a change.
	t4 := e.advance(time.Second)
	e.info(r, crlf("role:slave", "master_host:127.0.0.2", "master_port:47492", "master_link_status:up",
		"slave_priority:0", "replica_announced:0"))
	want.port, want.linkUp, want.linkDown, want.confChange = 47492, true, 0, t4
	check("new master port")

	// Replica fields before the role line are not read (Redis prints role
	// first).
	e.info(r, crlf("master_host:10.9.9.9", "master_port:1", "role:slave", "master_link_status:up"))
	if r.SlaveMasterHost != "127.0.0.2" || r.SlaveMasterPort != 47492 {
		t.Fatalf("fields before role read: %s:%d", r.SlaveMasterHost, r.SlaveMasterPort)
	}
}

func TestMonRoleChange(t *testing.T) {
	e := newMonEnv(t)
	r := e.replica(e.m, "10.0.0.2", 6380)
	const rPfx = "slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"

	t1 := e.advance(time.Second)
	e.info(r, crlf("role:master"))
	if r.RoleReported != KindMaster || r.RoleReportedTime != t1 {
		t.Fatalf("role %v at %v", r.RoleReported, r.RoleReportedTime)
	}
	if ev := e.sh.events; len(ev) != 1 || ev[0].Level != LevelVerbose {
		t.Fatalf("events %+v", ev)
	}
	e.expectEvents("-role-change " + rPfx + " new reported role is master")

	// No change, no event.
	e.advance(time.Second)
	e.info(r, crlf("role:master"))
	e.expectEvents()
	if r.RoleReportedTime != t1 {
		t.Fatal("RoleReportedTime moved without a change")
	}

	t3 := e.advance(time.Second)
	e.info(r, crlf("role:slave", "master_host:10.0.0.1", "master_port:6379"))
	e.expectEvents("+role-change " + rPfx + " new reported role is slave")
	if r.RoleReportedTime != t3 || r.SlaveConfChangeTime != t3 {
		t.Fatal("times not updated")
	}

	e.info(e.m, crlf("role:slave", "master_host:10.0.0.2", "master_port:6380"))
	e.expectEvents("-role-change " + monMasterPfx + " new reported role is slave")
	e.info(e.m, crlf("role:master"))
	e.expectEvents("+role-change " + monMasterPfx + " new reported role is master")

	// A reply without a role line changes nothing.
	e.info(e.m, crlf("# Server", "redis_version:7.0.15"))
	e.expectEvents()
	if e.m.RoleReported != KindMaster {
		t.Fatal("role lost")
	}
}

// saneMaster makes e.m look sane (§4.9) at e.now.
func (e *monEnv) saneMaster() {
	e.m.RoleReported = KindMaster
	e.m.InfoRefresh = e.now
	e.m.Flags &^= FlagSDown | FlagODown
}

func TestMonConvertToSlave(t *testing.T) {
	const rPfx = "slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"
	cases := []struct {
		name    string
		wait    time.Duration // since the replica started reporting master
		setup   func(e *monEnv, r *Instance)
		convert bool
	}{
		{"after 4 publish periods", 8*time.Second + time.Millisecond, nil, true},
		{"not before", 8 * time.Second, nil, false},
		{"promoted replica is left alone", 30 * time.Second, func(e *monEnv, r *Instance) { r.Flags |= FlagPromoted }, false},
		{"master SDOWN", 30 * time.Second, func(e *monEnv, r *Instance) { e.m.Flags |= FlagSDown }, false},
		{"master ODOWN", 30 * time.Second, func(e *monEnv, r *Instance) { e.m.Flags |= FlagODown }, false},
		{"master INFO stale", 30 * time.Second, func(e *monEnv, r *Instance) { e.m.InfoRefresh = e.now.Add(-20 * time.Second) }, false},
		{"master reports slave", 30 * time.Second, func(e *monEnv, r *Instance) { e.m.RoleReported = KindReplica }, false},
		{"replica was SDOWN recently", 30 * time.Second, func(e *monEnv, r *Instance) { r.SDownSince = e.now.Add(-5 * time.Second) }, false},
		{"replica was SDOWN long ago", 30 * time.Second, func(e *monEnv, r *Instance) { r.SDownSince = e.now.Add(-9 * time.Second) }, true},
		{"replica was ODOWN recently", 30 * time.Second, func(e *monEnv, r *Instance) { r.ODownSince = e.now.Add(-5 * time.Second) }, false},
		{"command link down", 30 * time.Second, func(e *monEnv, r *Instance) { e.c.LinkDown(r.Link, false, e.now) }, false},
		{"TILT", 30 * time.Second, func(e *monEnv, r *Instance) { e.c.Tilt = true; e.c.TiltStart = e.now }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			r := e.replica(e.m, "10.0.0.2", 6380)
			e.connect(r)
			e.advance(time.Minute)
			e.info(r, crlf("# Replication", "role:master", "connected_slaves:0"))
			e.takeEvents()
			e.advance(tc.wait)
			e.saneMaster()
			if tc.setup != nil {
				tc.setup(e, r)
			}
			e.takeSends()
			e.info(r, crlf("# Replication", "role:master", "connected_slaves:0"))
			sends := e.sendsOf(OpSlaveOf)
			if !tc.convert {
				if len(sends) != 0 {
					t.Fatalf("sent %v", cmdsOf(sends[0]))
				}
				e.expectEvents()
				return
			}
			if len(sends) != 1 || sends[0].Inst != r || !reflect.DeepEqual(cmdsOf(sends[0]), slaveOfCmds("10.0.0.1", "6379")) {
				t.Fatalf("sends %+v", sends)
			}
			e.expectEvents("+convert-to-slave " + rPfx)
		})
	}
}

func TestMonFixSlaveConfig(t *testing.T) {
	const rPfx = "slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"
	cases := []struct {
		name  string
		host  string
		port  string
		wait  time.Duration // since the replica's master_host/port last changed
		setup func(e *monEnv, r *Instance)
		fix   bool
	}{
		{"wrong host after failover-timeout", "10.0.0.9", "6379", 10*time.Second + time.Millisecond, nil, true},
		{"wrong host, not yet", "10.0.0.9", "6379", 10 * time.Second, nil, false},
		{"wrong port", "10.0.0.1", "6390", 11 * time.Second, nil, true},
		{"right master", "10.0.0.1", "6379", time.Minute, nil, false},
		{"right master by hostname, resolve-hostnames on", "master.test", "6379", time.Minute, func(e *monEnv, r *Instance) {
			e.c.ResolveHostnames = true
			e.c.Resolve = fakeResolve
		}, false},
		{"hostname without resolve-hostnames never matches", "master.test", "6379", time.Minute, nil, true},
		{"master SDOWN", "10.0.0.9", "6379", time.Minute, func(e *monEnv, r *Instance) { e.m.Flags |= FlagSDown }, false},
		{"master INFO stale", "10.0.0.9", "6379", time.Minute, func(e *monEnv, r *Instance) {
			e.m.InfoRefresh = e.now.Add(-21 * time.Second)
		}, false},
		{"replica down within failover-timeout", "10.0.0.9", "6379", time.Minute, func(e *monEnv, r *Instance) {
			r.SDownSince = e.now.Add(-5 * time.Second)
		}, false},
		{"replica down before failover-timeout", "10.0.0.9", "6379", time.Minute, func(e *monEnv, r *Instance) {
			r.SDownSince = e.now.Add(-11 * time.Second)
		}, true},
		{"TILT", "10.0.0.9", "6379", time.Minute, func(e *monEnv, r *Instance) { e.c.Tilt = true; e.c.TiltStart = e.now }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.m.FailoverTimeout = 10 * time.Second
			r := e.replica(e.m, "10.0.0.2", 6380)
			e.connect(r)
			e.advance(time.Minute)
			text := crlf("# Replication", "role:slave", "master_host:"+tc.host, "master_port:"+tc.port,
				"master_link_status:up", "slave_repl_offset:100", "slave_priority:100")
			e.info(r, text) // first report: the configuration "changed" now
			e.advance(tc.wait)
			e.saneMaster()
			if tc.setup != nil {
				tc.setup(e, r)
			}
			e.takeSends()
			e.takeEvents()
			e.info(r, text)
			sends := e.sendsOf(OpSlaveOf)
			if !tc.fix {
				if len(sends) != 0 {
					t.Fatalf("sent %v", cmdsOf(sends[0]))
				}
				e.expectEvents()
				return
			}
			if len(sends) != 1 || !reflect.DeepEqual(cmdsOf(sends[0]), slaveOfCmds("10.0.0.1", "6379")) {
				t.Fatalf("sends %+v", sends)
			}
			e.expectEvents("+fix-slave-config " + rPfx)
		})
	}

	t.Run("a change of master restarts the wait", func(t *testing.T) {
		e := newMonEnv(t)
		e.m.FailoverTimeout = 10 * time.Second
		r := e.replica(e.m, "10.0.0.2", 6380)
		e.connect(r)
		e.info(r, crlf("role:slave", "master_host:10.0.0.1", "master_port:6379"))
		e.advance(time.Minute)
		e.saneMaster()
		e.info(r, crlf("role:slave", "master_host:10.0.0.9", "master_port:6379"))
		if len(e.sendsOf(OpSlaveOf)) != 0 {
			t.Fatal("fixed at once after a change")
		}
		e.advance(10*time.Second + time.Millisecond)
		e.saneMaster()
		e.info(r, crlf("role:slave", "master_host:10.0.0.9", "master_port:6379"))
		if len(e.sendsOf(OpSlaveOf)) != 1 {
			t.Fatal("not fixed after failover-timeout")
		}
	})
}

func TestMonInfoFailoverSteps(t *testing.T) {
	t.Run("promoted replica reporting master advances the failover", func(t *testing.T) {
		e := newMonEnv(t)
		r := e.replica(e.m, "10.0.0.2", 6380)
		e.connect(r)
		r.Flags |= FlagPromoted
		e.m.Flags |= FlagFailoverInProgress | FlagSDown | FlagODown
		e.m.PromotedReplica = r
		e.m.FailoverState = FailoverWaitPromotion
		e.m.FailoverEpoch = 7
		e.advance(time.Second)
		e.info(r, crlf("# Replication", "role:master", "connected_slaves:0"))
		if e.m.FailoverState != FailoverReconfSlaves || e.m.ConfigEpoch != 7 {
			t.Fatalf("state %v config epoch %d", e.m.FailoverState, e.m.ConfigEpoch)
		}
		e.expectEvents(
			"-role-change slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379 new reported role is master",
			"+promoted-slave slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379",
			"+failover-state-reconf-slaves "+monMasterPfx)
		if len(e.sendsOf(OpSlaveOf)) != 0 {
			t.Fatal("promoted replica converted back")
		}
	})

	t.Run("not in TILT", func(t *testing.T) {
		e := newMonEnv(t)
		r := e.replica(e.m, "10.0.0.2", 6380)
		r.Flags |= FlagPromoted
		e.m.Flags |= FlagFailoverInProgress
		e.m.PromotedReplica = r
		e.m.FailoverState = FailoverWaitPromotion
		e.c.Tilt = true
		e.info(r, crlf("role:master"))
		if e.m.FailoverState != FailoverWaitPromotion {
			t.Fatal("acted in TILT")
		}
		// The role change itself is still recorded and published.
		e.expectEvents("-role-change slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379 new reported role is master")
	})

	t.Run("replica reconfiguration progress", func(t *testing.T) {
		e := newMonEnv(t)
		p := e.replica(e.m, "10.0.0.3", 6381)
		r := e.replica(e.m, "10.0.0.2", 6380)
		e.connect(r)
		p.Flags |= FlagPromoted
		e.m.Flags |= FlagFailoverInProgress | FlagSDown | FlagODown
		e.m.PromotedReplica = p
		e.m.FailoverState = FailoverReconfSlaves
		r.Flags |= FlagReconfSent
		const rPfx = "slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"
		e.info(r, crlf("role:slave", "master_host:10.0.0.3", "master_port:6381", "master_link_status:down"))
		e.expectEvents("+slave-reconf-inprog " + rPfx)
		e.info(r, crlf("role:slave", "master_host:10.0.0.3", "master_port:6381", "master_link_status:up"))
		e.expectEvents("+slave-reconf-done " + rPfx)
		if r.Flags&(FlagReconfSent|FlagReconfInprog) != 0 || r.Flags&FlagReconfDone == 0 {
			t.Fatalf("flags %s", r.FlagsString())
		}
	})
}

package core

import (
	"reflect"
	"testing"
	"time"
)

// cfKeys lists an entry's field names.
func cfKeys(e [][2]string) []string {
	out := make([]string, len(e))
	for i, kv := range e {
		out[i] = kv[0]
	}
	return out
}

func cfField(e [][2]string, k string) string {
	for _, kv := range e {
		if kv[0] == k {
			return kv[1]
		}
	}
	return "<missing>"
}

var (
	cfMasterKeys = []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
		"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
		"role-reported", "role-reported-time", "config-epoch", "num-slaves", "num-other-sentinels", "quorum",
		"failover-timeout", "parallel-syncs"}
	cfReplicaKeys = []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
		"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
		"role-reported", "role-reported-time", "master-link-down-time", "master-link-status", "master-host",
		"master-port", "slave-priority", "slave-repl-offset", "replica-announced"}
	cfSentinelKeys = []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
		"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds",
		"last-hello-message", "voted-leader", "voted-leader-epoch"}
)

func TestConfigEntryFields(t *testing.T) {
	c, _ := cfLoad(t, `
sentinel monitor mymaster 127.0.0.1 46379 2
sentinel down-after-milliseconds mymaster 2000
sentinel known-replica mymaster 127.0.0.1 46380
sentinel known-sentinel mymaster 127.0.0.1 46500 89bcf54ff5531b120b227dfaae50aa591db849aa
`)
	m := c.Master("mymaster")
	r := m.Replicas["127.0.0.1:46380"]
	s := m.Sentinels["89bcf54ff5531b120b227dfaae50aa591db849aa"]
	now := cfT0.Add(5 * time.Second)

	// Fresh from the config: nothing connected or learned yet.
	e := c.Entry(m, now)
	if !reflect.DeepEqual(cfKeys(e), cfMasterKeys) {
		t.Fatalf("master keys %q", cfKeys(e))
	}
	wantM := [][2]string{
		{"name", "mymaster"}, {"ip", "127.0.0.1"}, {"port", "46379"}, {"runid", ""},
		{"flags", "master,disconnected"}, {"link-pending-commands", "0"}, {"link-refcount", "1"},
		{"last-ping-sent", "5000"}, {"last-ok-ping-reply", "5000"}, {"last-ping-reply", "5000"},
		{"down-after-milliseconds", "2000"}, {"info-refresh", "0"}, {"role-reported", "master"},
		{"role-reported-time", "5000"}, {"config-epoch", "0"}, {"num-slaves", "1"},
		{"num-other-sentinels", "1"}, {"quorum", "2"}, {"failover-timeout", "180000"}, {"parallel-syncs", "1"},
	}
	if !reflect.DeepEqual(e, wantM) {
		t.Fatalf("master entry\n%q\nwant\n%q", e, wantM)
	}
	e = c.Entry(r, now)
	if !reflect.DeepEqual(cfKeys(e), cfReplicaKeys) {
		t.Fatalf("replica keys %q", cfKeys(e))
	}
	for k, v := range map[string]string{
		"name": "127.0.0.1:46380", "flags": "slave,disconnected", "role-reported": "slave",
		"down-after-milliseconds": "2000", "master-link-down-time": "0", "master-link-status": "err",
		"master-host": "?", "master-port": "0", "slave-priority": "100", "slave-repl-offset": "0",
		"replica-announced": "1",
	} {
		if got := cfField(e, k); got != v {
			t.Errorf("replica %s = %q, want %q", k, got, v)
		}
	}
	e = c.Entry(s, now)
	if !reflect.DeepEqual(cfKeys(e), cfSentinelKeys) {
		t.Fatalf("sentinel keys %q", cfKeys(e))
	}
	for k, v := range map[string]string{
		"name": "89bcf54ff5531b120b227dfaae50aa591db849aa", "runid": "89bcf54ff5531b120b227dfaae50aa591db849aa",
		"port": "46500", "flags": "sentinel,disconnected", "voted-leader": "?", "voted-leader-epoch": "0",
	} {
		if got := cfField(e, k); got != v {
			t.Errorf("sentinel %s = %q, want %q", k, got, v)
		}
	}

	// Later: connected, INFO known, the master down and failing over.
	m.Link.CC, m.Link.PC = true, true
	m.Link.ActPingTime = now.Add(-1500 * time.Millisecond)
	m.Link.PendingCommands = 3
	m.Flags |= FlagSDown | FlagODown | FlagFailoverInProgress | FlagForceFailover
	m.SDownSince = now.Add(-3 * time.Second)
	m.ODownSince = now.Add(-2 * time.Second)
	m.FailoverState = FailoverWaitPromotion
	m.InfoRefresh = now.Add(-250 * time.Millisecond)
	m.RunID = "4c8f000000000000000000000000000000000000"
	m.ConfigEpoch = 1<<64 - 1
	m.NotificationScript = "/scripts/n"
	m.ClientReconfigScript = "/scripts/r"
	e = c.Entry(m, now)
	wantKeys := append(append([]string(nil), cfMasterKeys[:7]...), "failover-state")
	wantKeys = append(wantKeys, cfMasterKeys[7:10]...)
	wantKeys = append(wantKeys, "s-down-time", "o-down-time")
	wantKeys = append(wantKeys, cfMasterKeys[10:]...)
	wantKeys = append(wantKeys, "notification-script", "client-reconfig-script")
	if !reflect.DeepEqual(cfKeys(e), wantKeys) {
		t.Fatalf("master keys while failing over %q", cfKeys(e))
	}
	for k, v := range map[string]string{
		"flags": "s_down,o_down,master,failover_in_progress,force_failover", "failover-state": "wait_promotion",
		"link-pending-commands": "3", "last-ping-sent": "1500", "s-down-time": "3000", "o-down-time": "2000",
		"info-refresh": "250", "runid": m.RunID, "config-epoch": "18446744073709551615",
		"notification-script": "/scripts/n", "client-reconfig-script": "/scripts/r",
	} {
		if got := cfField(e, k); got != v {
			t.Errorf("master %s = %q, want %q", k, got, v)
		}
	}

	r.Link.CC, r.Link.PC = true, true
	r.Flags |= FlagSDown | FlagPromoted
	r.SDownSince = now.Add(-time.Second)
	r.SlaveMasterHost, r.SlaveMasterPort, r.SlaveMasterLinkUp = "127.0.0.1", 46379, true
	r.MasterLinkDownTime = 7 * time.Second
	r.SlavePriority, r.SlaveReplOffset, r.ReplicaAnnounced = 0, 123456, false
	r.RoleReported = KindMaster
	e = c.Entry(r, now)
	for k, v := range map[string]string{
		"flags": "s_down,slave,promoted", "s-down-time": "1000", "role-reported": "master",
		"master-link-down-time": "7000", "master-link-status": "ok", "master-host": "127.0.0.1",
		"master-port": "46379", "slave-priority": "0", "slave-repl-offset": "123456", "replica-announced": "0",
	} {
		if got := cfField(e, k); got != v {
			t.Errorf("replica %s = %q, want %q", k, got, v)
		}
	}
	if len(e) != len(cfReplicaKeys)+1 {
		t.Errorf("replica entry has %d fields", len(e))
	}

	s.Link.CC = true // sentinels have no pub/sub link
	s.Flags |= FlagMasterDown
	s.Leader, s.LeaderEpoch = "cccc", 6
	s.LastHelloTime = now.Add(-400 * time.Millisecond)
	e = c.Entry(s, now)
	for k, v := range map[string]string{
		"flags": "sentinel,master_down", "voted-leader": "cccc", "voted-leader-epoch": "6",
		"last-hello-message": "400",
	} {
		if got := cfField(e, k); got != v {
			t.Errorf("sentinel %s = %q, want %q", k, got, v)
		}
	}

	// REPLICAS leaves out unannounced replicas; SENTINELS lists peers.
	if got := c.ReplicaList(m); len(got) != 0 {
		t.Errorf("unannounced replica listed")
	}
	r.ReplicaAnnounced = true
	if got := c.ReplicaList(m); len(got) != 1 || got[0] != r {
		t.Errorf("replicas %v", got)
	}
	if got := c.SentinelList(m); len(got) != 1 || got[0] != s {
		t.Errorf("sentinels %v", got)
	}
}

func TestConfigMasterAddr(t *testing.T) {
	c, _ := cfLoad(t, "sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\n")
	if _, _, ok := c.MasterAddr("x"); ok {
		t.Fatal("unknown master found")
	}
	m := c.Master("m")
	m.Flags |= FlagFailoverInProgress
	m.PromotedReplica = m.Replicas["127.0.0.1:6380"]
	for st, port := range map[FailoverState]int{FailoverWaitPromotion: 6379, FailoverReconfSlaves: 6380, FailoverUpdateConfig: 6380} {
		m.FailoverState = st
		if h, p, ok := c.MasterAddr("m"); !ok || h != "127.0.0.1" || p != port {
			t.Errorf("%v: %s %d", st, h, p)
		}
	}
}

func TestConfigInfoSection(t *testing.T) {
	c, _ := cfLoad(t, `
sentinel monitor b ::1 7000 2
sentinel monitor a 127.0.0.1 6379 2
sentinel known-replica a 127.0.0.1 6380
sentinel known-replica a 127.0.0.1 6381
sentinel known-sentinel a 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
`)
	want := "sentinel_masters:2\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n" +
		"sentinel_running_scripts:3\r\nsentinel_scripts_queue_length:4\r\nsentinel_simulate_failure_flags:0\r\n" +
		"master0:name=a,status=ok,address=127.0.0.1:6379,slaves=2,sentinels=2\r\n" +
		"master1:name=b,status=ok,address=::1:7000,slaves=0,sentinels=1\r\n"
	if got := c.InfoSection(cfT0, 3, 4); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	c.Tilt, c.TiltStart = true, cfT0.Add(-2999*time.Millisecond)
	c.SimFailure = SimCrashAfterElection | SimCrashAfterPromotion
	c.Master("a").Flags |= FlagSDown
	c.Master("b").Flags |= FlagSDown | FlagODown
	want = "sentinel_masters:2\r\nsentinel_tilt:1\r\nsentinel_tilt_since_seconds:2\r\n" +
		"sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:3\r\n" +
		"master0:name=a,status=sdown,address=127.0.0.1:6379,slaves=2,sentinels=2\r\n" +
		"master1:name=b,status=odown,address=::1:7000,slaves=0,sentinels=1\r\n"
	if got := c.InfoSection(cfT0, 0, 0); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestConfigInfoCache(t *testing.T) {
	c, _ := cfLoad(t, `
sentinel monitor a 127.0.0.1 6379 2
sentinel monitor b 127.0.0.1 7000 2
sentinel known-replica a 127.0.0.1 6381
sentinel known-replica a 127.0.0.1 6380
`)
	now := cfT0.Add(time.Minute)
	a := c.Master("a")
	a.Info, a.InfoRefresh = "# Replication\r\nrole:master\r\n", now.Add(-1500*time.Millisecond)
	r := a.Replicas["127.0.0.1:6381"]
	r.Info, r.InfoRefresh = "role:slave\r\n", now.Add(-20*time.Millisecond)
	got := c.InfoCache([]string{"nope", "a", "b", "a"}, now)
	want := []InfoCacheEntry{
		{Name: "a", Infos: []CachedInfo{
			{Age: 1500, Info: a.Info, Cached: true},
			{}, // 127.0.0.1:6380: no INFO yet
			{Age: 20, Info: r.Info, Cached: true},
		}},
		{Name: "b", Infos: []CachedInfo{{}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

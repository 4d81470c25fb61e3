package main

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
	"github.com/wardenhq/warden/proxy"
)

func TestParseReplicationInfo(t *testing.T) {
	text := "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=127.0.0.1,port=6380,state=online,offset=1000,lag=0\r\n" +
		"slave1:ip=::1,port=6381,state=online,offset=400,lag=3\r\n" +
		"master_failover_state:no-failover\r\nmaster_replid:abc\r\nmaster_repl_offset:1024\r\n" +
		"slave_read_repl_offset:5\r\n"
	got := parseReplicationInfo(text)
	want := replicationInfo{role: "master", offset: 1024, replicas: map[string]replicaOffset{
		"127.0.0.1:6380": {offset: 1000, lag: 0},
		"[::1]:6381":     {offset: 400, lag: 3},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{-1: "?", 0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 3 << 20: "3.0 MiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestProxyStatusFromHTTP reads the proxy's real /status document (the
// HTTP server fed with a made-up snapshot), so that a change of its shape
// shows here.
func TestProxyStatusFromHTTP(t *testing.T) {
	now := time.Now()
	snap := proxy.StatsSnapshot{
		Taken:  now,
		Uptime: 90 * time.Second,
		Listeners: []proxy.ListenerStats{
			{Group: "mymaster", Role: "write", Addr: "127.0.0.1:5000", Conns: 3},
			{Group: "mymaster", Role: "read", Addr: "127.0.0.1:5001", Conns: 1},
		},
		Groups: []proxy.GroupStats{{
			Topology: proxy.Topology{Group: "mymaster", Master: "127.0.0.1:6380", State: proxy.MasterConfirmed,
				Generation: 7, Since: now, Reason: "new master confirmed",
				Replicas: []proxy.Replica{
					{Addr: "127.0.0.1:6381", LinkUp: true, LagBytes: 2048, LagSeconds: 0},
					{Addr: "127.0.0.1:6379", Down: true, LagBytes: -1, LagSeconds: -1},
				}},
			Backends:      []proxy.BackendStats{{Addr: "127.0.0.1:6380", Role: "master", Healthy: true, Conns: 2}},
			FailoverCount: 1,
		}},
		Failovers: []proxy.FailoverRecord{{Group: "mymaster", From: "127.0.0.1:6379", To: "127.0.0.1:6380",
			Detected: now.Add(-time.Second), Switched: now.Add(-400 * time.Millisecond), Held: 12}},
	}
	addr := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
	hs := proxy.NewHTTPServer(addr, func() proxy.StatsSnapshot { return snap }, nil)
	if err := hs.Start(); err != nil {
		t.Fatal(err)
	}
	defer hs.Close()

	st, err := fetchProxyStatus(addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Groups) != 1 || st.Groups[0].Master != "127.0.0.1:6380" || st.Groups[0].State != "confirmed" ||
		st.Groups[0].Generation != 7 || st.Groups[0].FailoverCount != 1 || len(st.Groups[0].Replicas) != 2 ||
		st.Groups[0].Replicas[0].LagBytes != 2048 || !st.Groups[0].Replicas[1].Down || len(st.Listeners) != 2 ||
		st.Listeners[0].Conns != 3 || len(st.Failovers) != 1 || st.Failovers[0].SwitchMS == nil {
		t.Fatalf("decoded %+v", st)
	}

	var b strings.Builder
	if err := printProxyStatus(&b, "http://"+addr, ""); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"mymaster  master 127.0.0.1:6380  [confirmed]  generation 7  failovers 1",
		"listeners: write 127.0.0.1:5000 (3 clients), read 127.0.0.1:5001 (1 clients)",
		"127.0.0.1:6381  ok     2.0 KiB, 0ms",
		"127.0.0.1:6379  down   ?",
		"127.0.0.1:6380  master  true",
		"127.0.0.1:6379 -> 127.0.0.1:6380, switched after 600ms, resumed -, 12 held",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if err := printProxyStatus(&b, addr, "other"); err == nil || !strings.Contains(err.Error(), `no group "other"`) {
		t.Errorf("unknown group: %v", err)
	}
}

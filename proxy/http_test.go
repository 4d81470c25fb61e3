package proxy

import (
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// httpT0 is the instant the hand-made snapshot's last failover was detected.
var httpT0 = time.Date(2025, 3, 4, 10, 20, 30, 123456789, time.UTC)

// httpTestSnapshot is a two-group snapshot with every kind of value the
// endpoints render: a confirmed group with history, a changing one with a
// failover in progress, a listener with and one without observations.
func httpTestSnapshot() StatsSnapshot {
	return StatsSnapshot{
		Taken:  httpT0.Add(time.Hour),
		Uptime: 90*time.Minute + 500*time.Millisecond,
		Listeners: []ListenerStats{
			{
				Group: "mymaster", Role: "write", Addr: "127.0.0.1:5000",
				Conns: 7, Accepted: 120, Rejected: 3, Commands: 100000, Errors: 12,
				LatencyBuckets: []Bucket{
					{Le: 0.0001, Count: 10}, {Le: 0.0005, Count: 600}, {Le: 0.001, Count: 900},
					{Le: 0.01, Count: 990}, {Le: 0.1, Count: 1000}, {Le: math.Inf(1), Count: 1000},
				},
				LatencyCount: 1000, LatencySum: 0.75,
			},
			{
				Group: "mymaster", Role: "read", Addr: "127.0.0.1:5001", Conns: 2, Accepted: 2,
				LatencyBuckets: []Bucket{{Le: 0.001, Count: 0}, {Le: 0.01, Count: 0}},
			},
			{Group: "other", Role: "write", Addr: "127.0.0.1:5002", Conns: 1, Accepted: 1, Commands: 5},
		},
		Groups: []GroupStats{
			{
				Topology: Topology{
					Group: "mymaster", Master: "127.0.0.1:6379", State: MasterConfirmed,
					Generation: 4, Since: httpT0.Add(1600 * time.Millisecond), Reason: "switch-master",
					Replicas: []Replica{
						{Addr: "127.0.0.1:6380", LinkUp: true, LagBytes: 42, LagSeconds: 2},
						{Addr: "127.0.0.1:6381", LagBytes: -1, LagSeconds: -1, Down: true},
					},
				},
				Backends: []BackendStats{
					{Addr: "127.0.0.1:6379", Role: "master", Healthy: true, Conns: 4, Inflight: 2, Commands: 80000, Errors: 5},
					{Addr: "127.0.0.1:6380", Role: "replica", Healthy: true, Conns: 2, Commands: 20000},
					{Addr: "127.0.0.1:6381", Role: "replica", Errors: 9},
				},
				FailoverCount: 2,
			},
			{
				Topology: Topology{
					Group: "other", Master: "127.0.0.1:7379", State: MasterChanging,
					Generation: 9, Since: httpT0.Add(59 * time.Minute), Reason: "+odown",
				},
				Held: 17,
				// Behind the history on purpose: the counter must not be.
				FailoverCount: 0,
			},
		},
		Failovers: []FailoverRecord{
			{
				Group: "mymaster", From: "127.0.0.1:6381", To: "127.0.0.1:6380",
				Detected: httpT0.Add(-10 * time.Minute), Switched: httpT0.Add(-10*time.Minute + 800*time.Millisecond),
				Resumed: httpT0.Add(-10*time.Minute + 950*time.Millisecond), Held: 30,
			},
			{
				Group: "mymaster", From: "127.0.0.1:6380", To: "127.0.0.1:6379",
				Detected: httpT0, Switched: httpT0.Add(1500 * time.Millisecond),
				Resumed: httpT0.Add(1600 * time.Millisecond), Held: 50, Expired: 1,
			},
			{Group: "other", From: "127.0.0.1:7379", Detected: httpT0.Add(59 * time.Minute), Held: 17},
		},
	}
}

// httpStart starts a server on an ephemeral port, closed with the test.
func httpStart(t *testing.T, stats func() StatsSnapshot, log *zap.Logger) *HTTPServer {
	t.Helper()
	s := NewHTTPServer("127.0.0.1:0", stats, log)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func httpDo(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, string(body)
}

func httpGet(t *testing.T, s *HTTPServer, path string) string {
	t.Helper()
	resp, body := httpDo(t, http.MethodGet, "http://"+s.Addr()+path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
	}
	return body
}

func httpParseMetrics(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	return fams
}

// httpMetric finds the series of name whose label set is exactly labels
// (name, value pairs); nil if there is none.
func httpMetric(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
				continue next
			}
		}
		return m
	}
	return nil
}

func httpNear(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestHTTPMetrics(t *testing.T) {
	var calls atomic.Int64
	snap := httpTestSnapshot()
	s := httpStart(t, func() StatsSnapshot { calls.Add(1); return snap }, zap.NewNop())

	resp, body := httpDo(t, http.MethodGet, "http://"+s.Addr()+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("one scrape took %d snapshots, want 1", n)
	}
	fams := httpParseMetrics(t, body)

	wl := []string{"group", "mymaster", "role", "write", "listener", "127.0.0.1:5000"}
	bk := func(addr string) []string { return []string{"group", "mymaster", "backend", addr} }
	rp := func(addr string) []string { return []string{"group", "mymaster", "replica", addr} }
	type want struct {
		name   string
		typ    dto.MetricType
		labels []string
		value  float64
	}
	G, C := dto.MetricType_GAUGE, dto.MetricType_COUNTER
	for _, w := range []want{
		{"warden_proxy_uptime_seconds", G, nil, 5400.5},
		{"warden_proxy_connections", G, wl, 7},
		{"warden_proxy_connections_accepted_total", C, wl, 120},
		{"warden_proxy_connections_rejected_total", C, wl, 3},
		{"warden_proxy_commands_total", C, wl, 100000},
		{"warden_proxy_errors_total", C, wl, 12},
		{"warden_proxy_connections", G, []string{"group", "other", "role", "write", "listener", "127.0.0.1:5002"}, 1},
		{"warden_proxy_backend_up", G, bk("127.0.0.1:6379"), 1},
		{"warden_proxy_backend_up", G, bk("127.0.0.1:6381"), 0},
		{"warden_proxy_backend_info", G, append(bk("127.0.0.1:6379"), "role", "master"), 1},
		{"warden_proxy_backend_info", G, append(bk("127.0.0.1:6380"), "role", "replica"), 1},
		{"warden_proxy_backend_connections", G, bk("127.0.0.1:6379"), 4},
		{"warden_proxy_backend_inflight", G, bk("127.0.0.1:6379"), 2},
		{"warden_proxy_backend_commands_total", C, bk("127.0.0.1:6380"), 20000},
		{"warden_proxy_backend_errors_total", C, bk("127.0.0.1:6381"), 9},
		{"warden_proxy_replica_up", G, rp("127.0.0.1:6380"), 1},
		{"warden_proxy_replica_up", G, rp("127.0.0.1:6381"), 0},
		{"warden_proxy_replica_lag_bytes", G, rp("127.0.0.1:6380"), 42},
		{"warden_proxy_replica_lag_seconds", G, rp("127.0.0.1:6380"), 2},
		{"warden_proxy_master_state", G, []string{"group", "mymaster"}, 1},
		{"warden_proxy_master_state", G, []string{"group", "other"}, 2},
		{"warden_proxy_master_info", G, []string{"group", "mymaster", "master", "127.0.0.1:6379"}, 1},
		{"warden_proxy_topology_generation", G, []string{"group", "other"}, 9},
		{"warden_proxy_held_requests", G, []string{"group", "other"}, 17},
		{"warden_proxy_held_requests", G, []string{"group", "mymaster"}, 0},
		{"warden_proxy_failovers_total", C, []string{"group", "mymaster"}, 2},
		{"warden_proxy_failovers_total", C, []string{"group", "other"}, 1},
		{"warden_proxy_last_failover_duration_seconds", G, []string{"group", "mymaster", "phase", "switched"}, 1.5},
		{"warden_proxy_last_failover_duration_seconds", G, []string{"group", "mymaster", "phase", "resumed"}, 1.6},
		{"warden_proxy_last_failover_timestamp_seconds", G, []string{"group", "mymaster"}, float64(httpT0.UnixNano()) / 1e9},
		{"warden_proxy_last_failover_timestamp_seconds", G, []string{"group", "other"}, float64(httpT0.Add(59*time.Minute).UnixNano()) / 1e9},
	} {
		m := httpMetric(fams, w.name, w.labels...)
		if m == nil {
			t.Errorf("%s%v: missing", w.name, w.labels)
			continue
		}
		if got := fams[w.name].GetType(); got != w.typ {
			t.Errorf("%s: type %v, want %v", w.name, got, w.typ)
		}
		var v float64
		if w.typ == G {
			v = m.GetGauge().GetValue()
		} else {
			v = m.GetCounter().GetValue()
		}
		if !httpNear(v, w.value) {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, v, w.value)
		}
	}

	// Series that must not exist: unknown lags, durations of a failover
	// still in progress.
	for _, absent := range []struct {
		name   string
		labels []string
	}{
		{"warden_proxy_replica_lag_bytes", rp("127.0.0.1:6381")},
		{"warden_proxy_replica_lag_seconds", rp("127.0.0.1:6381")},
		{"warden_proxy_last_failover_duration_seconds", []string{"group", "other", "phase", "switched"}},
		{"warden_proxy_last_failover_duration_seconds", []string{"group", "other", "phase", "resumed"}},
	} {
		if httpMetric(fams, absent.name, absent.labels...) != nil {
			t.Errorf("%s%v: present, want absent", absent.name, absent.labels)
		}
	}

	// The latency histogram, from the snapshot's cumulative buckets.
	if typ := fams["warden_proxy_command_duration_seconds"].GetType(); typ != dto.MetricType_HISTOGRAM {
		t.Fatalf("command_duration_seconds type %v", typ)
	}
	h := httpMetric(fams, "warden_proxy_command_duration_seconds", wl...).GetHistogram()
	if h.GetSampleCount() != 1000 || !httpNear(h.GetSampleSum(), 0.75) {
		t.Errorf("histogram count %d sum %v, want 1000 0.75", h.GetSampleCount(), h.GetSampleSum())
	}
	wantBuckets := map[float64]uint64{0.0001: 10, 0.0005: 600, 0.001: 900, 0.01: 990, 0.1: 1000, math.Inf(1): 1000}
	gotBuckets := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		gotBuckets[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	for le, n := range wantBuckets {
		if got, ok := gotBuckets[le]; (!ok && !math.IsInf(le, 1)) || (ok && got != n) {
			t.Errorf("bucket le=%v: %d (present %v), want %d", le, got, ok, n)
		}
	}
	if strings.Count(body, `warden_proxy_command_duration_seconds_bucket{group="mymaster",listener="127.0.0.1:5000",role="write",le="+Inf"}`) != 1 {
		t.Errorf("want exactly one +Inf bucket for the write listener:\n%s", body)
	}
	if r := httpMetric(fams, "warden_proxy_command_duration_seconds", "group", "mymaster", "role", "read", "listener", "127.0.0.1:5001").GetHistogram(); r.GetSampleCount() != 0 || len(r.GetBucket()) < 2 {
		t.Errorf("read listener histogram: %v", r)
	}

	// The runtime and process collectors are registered too.
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	for name := range fams {
		if !strings.HasPrefix(name, "warden_proxy_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			t.Errorf("unexpected family %s", name)
		}
	}

	// A second scrape takes its own snapshot and sees new values.
	snap.Listeners[0].Commands = 100001
	fams = httpParseMetrics(t, httpGet(t, s, "/metrics"))
	if v := httpMetric(fams, "warden_proxy_commands_total", wl...).GetCounter().GetValue(); v != 100001 {
		t.Errorf("second scrape: commands_total %v, want 100001", v)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("two scrapes took %d snapshots", n)
	}
}

// A bad snapshot (a backend listed twice) loses the offending series, not
// the scrape, and says so in the log.
func TestHTTPMetricsPartialOnDuplicate(t *testing.T) {
	snap := httpTestSnapshot()
	snap.Groups[0].Backends = append(snap.Groups[0].Backends, snap.Groups[0].Backends[0])
	core, logs := observer.New(zap.WarnLevel)
	s := httpStart(t, func() StatsSnapshot { return snap }, zap.New(core))

	fams := httpParseMetrics(t, httpGet(t, s, "/metrics"))
	if httpMetric(fams, "warden_proxy_master_state", "group", "other") == nil {
		t.Error("the rest of the scrape is missing")
	}
	if logs.FilterField(zap.String("event", "metrics-error")).Len() == 0 {
		t.Error("no metrics-error logged for the duplicate series")
	}
}

func TestHTTPStatusJSON(t *testing.T) {
	snap := httpTestSnapshot()
	s := httpStart(t, func() StatsSnapshot { return snap }, zap.NewNop())
	resp, body := httpDo(t, http.MethodGet, "http://"+s.Addr()+"/status")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}

	var st statusJSON
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("decoding: %v\n%s", err, body)
	}
	parse := func(what, s string, want time.Time) {
		t.Helper()
		got, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s = %q (%v), want %v", what, s, err, want)
		}
	}
	parse("taken", st.Taken, snap.Taken)
	if st.UptimeMS != 5400500 {
		t.Errorf("uptime_ms %v", st.UptimeMS)
	}

	if len(st.Listeners) != 3 {
		t.Fatalf("%d listeners", len(st.Listeners))
	}
	w := st.Listeners[0]
	if w.Group != "mymaster" || w.Role != "write" || w.Addr != "127.0.0.1:5000" || w.Conns != 7 ||
		w.Accepted != 120 || w.Rejected != 3 || w.Commands != 100000 || w.Errors != 12 {
		t.Errorf("write listener %+v", w)
	}
	if w.Latency.Count != 1000 || !httpNear(w.Latency.SumMS, 750) {
		t.Errorf("latency count %d sum_ms %v", w.Latency.Count, w.Latency.SumMS)
	}
	wantLe := []float64{0.1, 0.5, 1, 10, 100} // ms; +Inf left out
	if len(w.Latency.Buckets) != len(wantLe) {
		t.Fatalf("buckets %+v", w.Latency.Buckets)
	}
	for i, b := range w.Latency.Buckets {
		if !httpNear(b.LeMS, wantLe[i]) || b.Count != snap.Listeners[0].LatencyBuckets[i].Count {
			t.Errorf("bucket %d = %+v", i, b)
		}
	}
	// p50: rank 500 in (0.1 ms, 0.5 ms] holding 10..600: 0.1 + 0.4*490/590.
	if p := w.Latency.P50MS; p == nil || !httpNear(*p, 0.1+0.4*490.0/590.0) {
		t.Errorf("p50_ms %v", p)
	}
	if p := w.Latency.P99MS; p == nil || !httpNear(*p, 10) {
		t.Errorf("p99_ms %v", p)
	}
	if r := st.Listeners[1].Latency; r.P50MS != nil || r.P99MS != nil || r.Count != 0 {
		t.Errorf("read listener without observations: %+v", r)
	}

	if len(st.Groups) != 2 {
		t.Fatalf("%d groups", len(st.Groups))
	}
	g := st.Groups[0]
	if g.Name != "mymaster" || g.Master != "127.0.0.1:6379" || g.State != "confirmed" || g.Generation != 4 ||
		g.Reason != "switch-master" || g.Held != 0 || g.FailoverCount != 2 {
		t.Errorf("group %+v", g)
	}
	parse("since", g.Since, snap.Groups[0].Topology.Since)
	if len(g.Replicas) != 2 || g.Replicas[0] != (statusReplica{Addr: "127.0.0.1:6380", LinkUp: true, LagBytes: 42, LagMS: 2000}) ||
		g.Replicas[1] != (statusReplica{Addr: "127.0.0.1:6381", Down: true, LagBytes: -1, LagMS: -1}) {
		t.Errorf("replicas %+v", g.Replicas)
	}
	for i, b := range snap.Groups[0].Backends {
		want := statusBackend{Addr: b.Addr, Role: b.Role, Healthy: b.Healthy, Conns: b.Conns, Inflight: b.Inflight, Commands: b.Commands, Errors: b.Errors}
		if g.Backends[i] != want {
			t.Errorf("backend %d = %+v, want %+v", i, g.Backends[i], want)
		}
	}
	if o := st.Groups[1]; o.State != "changing" || o.Held != 17 || len(o.Replicas) != 0 || o.Replicas == nil {
		t.Errorf("other group %+v", o)
	}

	if len(st.Failovers) != 3 {
		t.Fatalf("%d failovers", len(st.Failovers))
	}
	f := st.Failovers[1]
	parse("detected", f.Detected, httpT0)
	parse("switched", f.Switched, httpT0.Add(1500*time.Millisecond))
	parse("resumed", f.Resumed, httpT0.Add(1600*time.Millisecond))
	if f.From != "127.0.0.1:6380" || f.To != "127.0.0.1:6379" || f.Held != 50 || f.Expired != 1 ||
		f.SwitchMS == nil || *f.SwitchMS != 1500 || f.ResumeMS == nil || *f.ResumeMS != 1600 {
		t.Errorf("failover %+v", f)
	}

	// The field names are the API: check them on the raw document, and
	// that an unfinished failover leaves its phases out.
	var raw struct {
		Groups []map[string]json.RawMessage `json:"groups"`
		Fails  []map[string]json.RawMessage `json:"failovers"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "master", "state", "generation", "since", "reason", "held", "failover_count", "replicas", "backends"} {
		if _, ok := raw.Groups[0][k]; !ok {
			t.Errorf("groups[0] has no %q", k)
		}
	}
	for _, k := range []string{"switched", "resumed", "switch_ms", "resume_ms"} {
		if _, ok := raw.Fails[2][k]; ok {
			t.Errorf("failover in progress has %q", k)
		}
	}
	if string(raw.Fails[2]["to"]) != `""` || string(raw.Fails[2]["held"]) != "17" {
		t.Errorf("failover in progress: %v", raw.Fails[2])
	}
}

func TestHTTPPage(t *testing.T) {
	snap := httpTestSnapshot()
	const evil = `<script>alert("x")</script>`
	snap.Groups[1].Topology.Group = evil
	snap.Groups[1].Topology.Reason = `<b>bold</b>`
	snap.Listeners[2].Group = evil
	snap.Listeners[2].Addr = `"><img src=x onerror=alert(1)>`
	snap.Failovers[2].Group = evil
	s := httpStart(t, func() StatsSnapshot { return snap }, zap.NewNop())

	resp, body := httpDo(t, http.MethodGet, "http://"+s.Addr()+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, bad := range []string{"<script", "<img", "<b>bold"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="2">`,
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		"&lt;b&gt;bold&lt;/b&gt;",
		"&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
		"uptime 1h30m0s",
		// Group mymaster: master, state, replicas, backends.
		"<b>127.0.0.1:6379</b>", `<span class="state good">confirmed</span>`,
		`<td class="name">127.0.0.1:6381</td><td class="bad">down</td><td>?</td><td>?</td>`,
		`<td class="name">127.0.0.1:6380</td><td class="good">up</td><td>42 B</td><td>2 s</td>`,
		`<td class="name">127.0.0.1:6381</td><td class="name">replica</td><td class="bad">down</td>`,
		// Write listener: p50 0.432 ms, p99 10.0 ms, mean 0.750 ms.
		`<td>100000</td><td>12</td><td>0.432 ms</td><td>10.0 ms</td><td>0.750 ms</td>`,
		// The failover timeline.
		"<td>&#43;1.50 s</td><td class=\"bad\">&#43;1.60 s</td><td>50</td><td>1</td>",
		"<td>&#43;800.0 ms</td><td class=\"good\">&#43;950.0 ms</td><td>30</td><td>0</td>",
		`<td class="name">-</td><td class="name">2025-03-04 11:19:30.123 UTC</td><td>pending</td><td class="warn">pending</td><td>17</td>`,
		`<span class="state warn">changing</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Most recent failover first within a group.
	if strings.Index(body, "+1.50 s") > strings.Index(body, "+800.0 ms") {
		t.Error("failovers not most recent first")
	}
	// The read listener without observations shows dashes, not zeros.
	if !strings.Contains(body, `<td class="name">127.0.0.1:5001</td><td>2</td><td>2</td><td>0</td><td>0</td><td>0</td><td>-</td><td>-</td><td>-</td>`) {
		t.Error("read listener row without observations is wrong")
	}
}

// Listeners and failovers of a group the snapshot has no topology for
// still show.
func TestHTTPPageOrphans(t *testing.T) {
	snap := StatsSnapshot{
		Listeners: []ListenerStats{{Group: "ghost", Role: "write", Addr: "127.0.0.1:5100", Conns: 3}},
		Failovers: []FailoverRecord{{Group: "ghost", From: "127.0.0.1:7000", To: "127.0.0.1:7001", Detected: httpT0}},
	}
	v := newPageView(snap)
	if len(v.Groups) != 1 || v.Groups[0].Name != "ghost" || len(v.Groups[0].Listeners) != 1 || len(v.Groups[0].Failovers) != 1 {
		t.Errorf("page view %+v", v)
	}
	if empty := newPageView(StatsSnapshot{}); len(empty.Groups) != 0 || empty.Taken != "-" {
		t.Errorf("empty page view %+v", empty)
	}
}

func TestHTTPRoutes(t *testing.T) {
	s := httpStart(t, httpTestSnapshot, zap.NewNop())
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200},
		{"HEAD", "/", 200},
		{"GET", "/metrics", 200},
		{"HEAD", "/metrics", 200},
		{"GET", "/status", 200},
		{"HEAD", "/status", 200},
		{"POST", "/", 405},
		{"POST", "/metrics", 405},
		{"PUT", "/status", 405},
		{"DELETE", "/status", 405},
		{"GET", "/nope", 404},
		{"GET", "/metrics/", 404},
		{"GET", "/status/x", 404},
		{"GET", "/favicon.ico", 404},
		{"POST", "/nope", 404},
	} {
		resp, body := httpDo(t, c.method, "http://"+s.Addr()+c.path)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if c.status == 405 && !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("%s %s: Allow %q", c.method, c.path, resp.Header.Get("Allow"))
		}
		if c.method == "HEAD" && body != "" {
			t.Errorf("HEAD %s: body %q", c.path, body)
		}
	}
}

func TestHTTPStartClose(t *testing.T) {
	s := NewHTTPServer("127.0.0.1:0", httpTestSnapshot, zap.NewNop())
	if s.Addr() != "127.0.0.1:0" {
		t.Errorf("Addr before Start = %q", s.Addr())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" {
		t.Fatalf("bound address %q", addr)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}

	// The port is taken: a second server reports the bind error.
	other := NewHTTPServer(addr, httpTestSnapshot, zap.NewNop())
	if err := other.Start(); err == nil {
		_ = other.Close()
		t.Fatal("Start on a taken port succeeded")
	}
	if err := other.Close(); err != nil {
		t.Errorf("Close of a server that never started: %v", err)
	}

	// A kept-alive connection must not hold Close up or the port.
	httpGet(t, s, "/status")
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > httpCloseGrace {
		t.Errorf("Close took %v", d)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port not freed by Close: %v", err)
	}
	ln.Close()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/"); err == nil {
		t.Error("closed server still answers")
	}
}

func TestHTTPLatencyQuantile(t *testing.T) {
	inf := math.Inf(1)
	std := []Bucket{{Le: 0.001, Count: 50}, {Le: 0.01, Count: 90}, {Le: 0.1, Count: 100}, {Le: inf, Count: 100}}
	for _, c := range []struct {
		name     string
		q        float64
		buckets  []Bucket
		count    uint64
		v        float64
		over, ok bool
	}{
		{"no observations", 0.5, std, 0, 0, false, false},
		{"no finite bucket", 0.5, []Bucket{{Le: inf, Count: 5}}, 5, 0, false, false},
		{"q out of range", 1, std, 100, 0, false, false},
		{"first bucket from zero", 0.25, std, 100, 0.0005, false, true},
		{"bucket boundary", 0.5, std, 100, 0.001, false, true},
		{"interpolated", 0.7, std, 100, 0.001 + 0.009*20/40, false, true},
		{"last finite", 0.99, std, 100, 0.01 + 0.09*9/10, false, true},
		{"past the last bound", 0.99, []Bucket{{Le: 0.001, Count: 50}, {Le: inf, Count: 100}}, 100, 0.001, true, true},
		{"unsorted input", 0.7, []Bucket{std[2], std[0], std[3], std[1]}, 100, 0.001 + 0.009*20/40, false, true},
		{"zero bound", 0.5, []Bucket{{Le: 0, Count: 80}, {Le: 1, Count: 100}}, 100, 0, false, true},
	} {
		v, over, ok := latencyQuantile(c.q, c.buckets, c.count)
		if ok != c.ok || over != c.over || (ok && !httpNear(v, c.v)) {
			t.Errorf("%s: (%v, %v, %v), want (%v, %v, %v)", c.name, v, over, ok, c.v, c.over, c.ok)
		}
	}
}

func TestHTTPPageDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{432 * time.Microsecond, "0.432 ms"},
		{10 * time.Millisecond, "10.0 ms"},
		{1500 * time.Millisecond, "1.50 s"},
		{90*time.Second + 400*time.Millisecond, "1m30s"},
	} {
		if got := pageDuration(c.d); got != c.want {
			t.Errorf("pageDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

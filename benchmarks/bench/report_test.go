package bench

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wellFormed parses s as XML to the end and returns the elements seen.
func wellFormed(t *testing.T, s string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	seen := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return seen
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok {
			seen[se.Name.Local]++
		}
	}
}

func TestChartSVG(t *testing.T) {
	c := Chart{
		Title:  `Writes <per> second & "more"`,
		XLabel: "seconds", YLabel: "writes/s",
		Series: []Series{
			{Name: "warden", X: []float64{-3, -2, -1, 0, 1, 2, 3}, Y: []float64{9000, 9100, 8900, 0, 0, 8700, 9050}},
			{Name: "redis + <HAProxy>", X: []float64{-3, -2, -1, 0, 1, 2, 3}, Y: []float64{7000, 7100, 7050, 0, 0, 0, 6900}},
		},
		Markers: []Marker{{X: 0, Label: "kill -9"}, {X: 2.5, Label: "restart & rejoin"}},
	}
	svg := c.SVG()
	seen := wellFormed(t, svg)
	if seen["svg"] != 1 || seen["polyline"] != 2 {
		t.Errorf("elements %v: want one svg and two polylines", seen)
	}
	if !strings.Contains(svg, "Writes &lt;per&gt; second &amp; &#34;more&#34;") {
		t.Error("title not escaped")
	}
	// Seven points per line, within the plot.
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "polyline" {
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local != "points" {
				continue
			}
			pts := strings.Fields(a.Value)
			if len(pts) != 7 {
				t.Errorf("%d points, want 7", len(pts))
			}
			for _, p := range pts {
				var x, y float64
				// The plot frame: x from 70 to 780, y from 40 to 320.
				if _, err := fmtSscan(p, &x, &y); err != nil || x < 70 || x > 780 || y < 40 || y > 320 {
					t.Errorf("point %q outside the plot frame", p)
				}
			}
		}
	}
}

func fmtSscan(p string, x, y *float64) (int, error) {
	xs, ys, ok := strings.Cut(p, ",")
	if !ok {
		return 0, errors.New("no comma")
	}
	var err error
	if *x, err = strconv.ParseFloat(xs, 64); err != nil {
		return 0, err
	}
	if *y, err = strconv.ParseFloat(ys, 64); err != nil {
		return 1, err
	}
	return 2, nil
}

func TestChartSVGEmpty(t *testing.T) {
	// No series at all still renders a valid (empty) chart.
	wellFormed(t, Chart{Title: "nothing"}.SVG())
	wellFormed(t, Chart{Series: []Series{{Name: "flat", X: []float64{1}, Y: []float64{0}}}}.SVG())
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
	}{{0, 9876, 5}, {-3, 20, 10}, {0, 1, 5}, {0.5, 0.7, 4}} {
		ticks := niceTicks(tc.lo, tc.hi, tc.n)
		if ticks[0] > tc.lo || ticks[len(ticks)-1] < tc.hi {
			t.Errorf("niceTicks(%v, %v) = %v does not cover the range", tc.lo, tc.hi, ticks)
		}
		if len(ticks) > 2*tc.n+2 {
			t.Errorf("niceTicks(%v, %v, %d) = %d ticks", tc.lo, tc.hi, tc.n, len(ticks))
		}
	}
}

func TestHAProxyConfig(t *testing.T) {
	cfg := HAProxyConfig{Listen: "127.0.0.1:5000", Servers: []string{"127.0.0.1:6379", "127.0.0.1:6380"}, Inter: time.Second}
	text := cfg.Render()
	// The recipe, in order.
	want := []string{
		"mode tcp",
		"bind 127.0.0.1:5000",
		"default_backend bk_redis",
		"backend bk_redis",
		"option tcp-check",
		`tcp-check send PING\r\n`,
		"tcp-check expect string +PONG",
		`tcp-check send info\ replication\r\n`,
		"tcp-check expect string role:master",
		`tcp-check send QUIT\r\n`,
		"tcp-check expect string +OK",
		"server R0 127.0.0.1:6379 check inter 1s",
		"server R1 127.0.0.1:6380 check inter 1s",
	}
	pos := 0
	for _, w := range want {
		i := strings.Index(text[pos:], w)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", w, text)
		}
		pos += i + len(w)
	}
	if got := (HAProxyConfig{Listen: "x:1", Servers: []string{"a:1"}, Inter: 1500 * time.Millisecond}).Render(); !strings.Contains(got, "check inter 1500ms") {
		t.Errorf("1.5s interval: %s", got)
	}
	// Debian's haproxy accepts it, when installed.
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy): config not checked by haproxy -c")
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
}

func TestWardenProxyConfig(t *testing.T) {
	static := WardenProxyConfig{Group: "bench", Write: "127.0.0.1:5000", Static: []string{"127.0.0.1:6379"}}.Render()
	for _, w := range []string{"http: \"\"", "bind: 127.0.0.1", "- name: bench", "write: 127.0.0.1:5000",
		"static:", "nodes: [127.0.0.1:6379]", "interval: 1s"} {
		if !strings.Contains(static, w) {
			t.Errorf("static config lacks %q:\n%s", w, static)
		}
	}
	if writeAddrOf(static) != "127.0.0.1:5000" {
		t.Errorf("writeAddrOf = %q", writeAddrOf(static))
	}
	sent := WardenProxyConfig{Group: "mymaster", Write: "127.0.0.1:5000", Sentinels: []string{"127.0.0.1:1", "127.0.0.1:2"},
		FailoverHold: 3 * time.Second}.Render()
	for _, w := range []string{"sentinels:", "addrs: [127.0.0.1:1, 127.0.0.1:2]", "failover-hold: 3s"} {
		if !strings.Contains(sent, w) {
			t.Errorf("sentinel config lacks %q:\n%s", w, sent)
		}
	}
	if strings.Contains(sent, "static:") {
		t.Errorf("both sources:\n%s", sent)
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: other\n"
	if got := cpuModel(info); got != "Intel(R) Xeon(R) Processor" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel("processor: 0\n"); got != "unknown CPU" {
		t.Errorf("cpuModel without model = %q", got)
	}
	if m := DescribeMachine(); m.CPUs < 1 || !strings.Contains(m.String(), "CPUs") {
		t.Errorf("DescribeMachine = %+v", m)
	}
}

func TestShellCommand(t *testing.T) {
	got := ShellCommand("warden", []string{"bench", "compare", "--rounds", "3", "--mix", "set:1,get:1", "it's", ""})
	want := `warden bench compare --rounds 3 --mix set:1,get:1 'it'\''s' ''`
	if got != want {
		t.Errorf("ShellCommand = %s, want %s", got, want)
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median even = %v", m)
	}
	if m := median(nil); m != 0 {
		t.Errorf("median empty = %v", m)
	}
}

// fakeResult is a Result with the given throughput and p50.
func fakeResult(thr, p50 float64) *Result {
	return &Result{Throughput: thr, Requests: int64(thr), Seconds: 1, Latency: Latency{P50: p50, P99: 2 * p50, P999: 3 * p50}}
}

func TestCompareMarkdown(t *testing.T) {
	rep := &CompareReport{
		Date:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Machine: Machine{CPUs: 2, CPUModel: "Test CPU", Kernel: "linux 6.1"},
		Options: CompareOptions{Targets: []string{TargetDirect, TargetProxy, TargetHAProxy}, Tests: []string{"set", "get"},
			Pipelines: []int{1, 16}, Clients: 50, Rounds: 3, Duration: 2 * time.Second, Keyspace: 100, ValueSize: 3,
			Command: "warden bench compare --rounds 3"},
		Versions:  map[string]string{"redis-server": "Redis server v=7.0.15"},
		Processes: map[string]string{TargetDirect: "redis-server --port 1", TargetProxy: "warden proxy -c proxy.yaml"},
		Configs:   map[string]string{"proxy.yaml": "http: \"\"\n"},
		Skipped:   map[string]string{TargetHAProxy: "haproxy not found (apt-get install haproxy)"},
	}
	// SET -P 1: direct 100, 110, 90 (median 100); proxy 80, 70, 90
	// (median 80). The proxy's round 2 of GET -P 16 fails.
	for round, d := range []float64{100, 110, 90} {
		p := []float64{80, 70, 90}[round]
		rep.Runs = append(rep.Runs,
			CompareRun{Test: "SET", Pipeline: 1, Round: round + 1, Target: TargetDirect, Result: fakeResult(d, 0.5)},
			CompareRun{Test: "SET", Pipeline: 1, Round: round + 1, Target: TargetProxy, Result: fakeResult(p, 0.6)},
			CompareRun{Test: "GET", Pipeline: 16, Round: round + 1, Target: TargetDirect, Result: fakeResult(1000, 1)})
		if round == 1 {
			rep.Runs = append(rep.Runs, CompareRun{Test: "GET", Pipeline: 16, Round: 2, Target: TargetProxy, Err: "client 3: EOF | oops"})
		} else {
			rep.Runs = append(rep.Runs, CompareRun{Test: "GET", Pipeline: 16, Round: round + 1, Target: TargetProxy, Result: fakeResult(500, 2)})
		}
	}
	md := rep.Markdown()
	for _, w := range []string{
		"- machine: 2 CPUs, Test CPU, linux 6.1",
		"**HAProxy skipped**: haproxy not found",
		"warden bench compare --rounds 3\n# redis-server direct: redis-server --port 1\n# warden proxy: warden proxy -c proxy.yaml\n",
		"| test | pipeline | redis-server direct | warden proxy | proxy/direct |",
		"| SET | 1 | 100 | 80 | 0.80 |",
		"| GET | 16 | 1000 | 500 | 0.50 |",
		"| GET | 16 | 2 | 1000 | failed: client 3: EOF / oops |",
		"<summary>proxy.yaml</summary>",
	} {
		if !strings.Contains(md, w) {
			t.Errorf("markdown lacks %q:\n%s", w, md)
		}
	}
	if strings.Contains(md, "haproxy/direct") {
		t.Error("ratio of a skipped target shown")
	}
	if !rep.Failed() {
		t.Error("a failed run does not make the report failed")
	}
	// Every table row has as many cells as its header.
	checkTables(t, md)
}

// checkTables checks that every markdown table row has its header's cell
// count.
func checkTables(t *testing.T, md string) {
	t.Helper()
	cols := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(line, "|")
		if cols == 0 {
			cols = n
			continue
		}
		if n != cols {
			t.Errorf("row with %d separators under a header with %d: %s", n, cols, line)
		}
	}
}

func TestLongestGapAndRates(t *testing.T) {
	ms := time.Millisecond
	acks := []ack{{1, 100 * ms}, {2, 150 * ms}, {3, 1150 * ms}, {4, 1200 * ms}}
	gap, at := longestGap(acks, 1300*ms)
	if gap != time.Second || at != 150*ms {
		t.Errorf("longestGap = %v at %v, want 1s at 150ms", gap, at)
	}
	// The end of the run counts: writes that never resumed.
	if gap, at := longestGap(acks, 5*time.Second); gap != 3800*ms || at != 1200*ms {
		t.Errorf("longestGap to the end = %v at %v", gap, at)
	}
	if gap, _ := longestGap(nil, 2*time.Second); gap != 2*time.Second {
		t.Errorf("no acks: gap %v", gap)
	}
	// Whole buckets only: 1300 ms make two of 500 ms.
	r := rates(acks, 0, 1300*ms, 500*ms)
	if len(r) != 2 || r[0] != 4 || r[1] != 0 {
		t.Errorf("rates = %v, want [4 0] per second", r)
	}
	r = rates(acks, 0, 1500*ms, 500*ms)
	if len(r) != 3 || r[2] != 4 {
		t.Errorf("rates = %v, want [4 0 4] per second", r)
	}
}

func TestFailoverReport(t *testing.T) {
	rep := &FailoverReport{
		Date:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Machine: Machine{CPUs: 2, CPUModel: "Test CPU", Kernel: "linux"},
		Options: FailoverOptions{Systems: []string{SystemWarden, SystemRedis}, Scenarios: []string{ScenarioKill},
			Replicas: 2, Sentinels: 3, DownAfter: 3 * time.Second, FailoverTimeout: 10 * time.Second, Writers: 4,
			Timeout: 5 * time.Second, Before: time.Second, After: 4 * time.Second, Pause: 5 * time.Second,
			RestartAfter: 3 * time.Second, Bucket: 500 * time.Millisecond, Command: "warden bench failover"},
		Versions: map[string]string{"warden": "warden 0.1.0-dev"},
		Runs: []*FailoverRun{
			{System: SystemWarden, Scenario: ScenarioKill, Acked: 1000, Errors: 2, ErrorKinds: map[string]int64{"timeout": 2},
				Gap: 1200 * time.Millisecond, GapStart: 10 * time.Millisecond, Durable: 1210 * time.Millisecond,
				Switch: 900 * time.Millisecond, Demoted: -1,
				Rate: []float64{100, 100, 50, 0, 0, 80, 100, 100, 100, 100}, Bucket: 500 * time.Millisecond,
				Commands: []string{"warden server --port 1"}, Configs: map[string]string{"proxy.yaml": "groups:\n"}},
			{System: SystemRedis, Scenario: ScenarioKill, Acked: 800, Errors: 30, Lost: 5, LostDemoted: 3,
				LostRate:   []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 10},
				ErrorKinds: map[string]int64{"READONLY": 10, "connect refused": 20}, Gap: 4400 * time.Millisecond,
				Switch: 3900 * time.Millisecond, Demoted: 9 * time.Second, Durable: -1,
				Rate: []float64{80, 80, 0, 0, 0, 0, 0, 0, 0, 70}, Bucket: 500 * time.Millisecond},
		},
	}
	md := rep.Markdown(map[string]string{ScenarioKill: "2026-11-22-bench-failover-kill.svg"})
	for _, w := range []string{
		"| kill | warden (nodes, sentinels, proxy) | 1.20 s | 0.01 s | 1.21 s |",
		"| kill | redis-server + redis-sentinel + HAProxy | 4.40 s |",
		"| 4.40 s | 0.00 s | never | 0.00 s | 3.90 s | 9.00 s | 800 | 30 | 5 | 3 | 0 |",
		"READONLY 10, connect refused 20",
		"![kill](2026-11-22-bench-failover-kill.svg)",
		"<summary>warden (nodes, sentinels, proxy): processes and configs",
	} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q:\n%s", w, md)
		}
	}
	checkTables(t, md)
	if !rep.Failed() {
		t.Error("lost writes do not fail the report")
	}
	c := rep.Chart(ScenarioKill)
	// warden, redis, and redis's lost part (dashed, in redis's colour).
	if len(c.Series) != 3 || len(c.Series[0].X) != 10 || c.Series[0].X[0] != -1 || c.Series[0].X[2] != 0 {
		t.Fatalf("chart series %+v", c.Series)
	}
	if l := c.Series[2]; !l.Dashed || c.color(2) != c.color(1) || c.color(1) == c.color(0) || l.Y[9] != 10 {
		t.Errorf("lost series %+v", l)
	}
	if len(c.Markers) != 2 || c.Markers[1].X != 3 {
		t.Errorf("markers %+v", c.Markers)
	}
	wellFormed(t, c.SVG())
}

func TestClassify(t *testing.T) {
	s := time.Second
	// Fault at 10 s, switch at 14 s. Acks: 9 s kept; 10.5 s lost (the old
	// master acknowledged, then died); 15 s lost (a demoted master); 16 s
	// kept (the first durable write); 17 s lost (demoted again).
	acks := []ack{{1, 9 * s}, {2, 10*s + s/2}, {3, 15 * s}, {4, 16 * s}, {5, 17 * s}}
	kept := []bool{true, false, false, true, false}
	lost, demoted, durable := classify(acks, kept, 10*s, 14*s)
	if lost != 3 || demoted != 2 || durable != 16*s {
		t.Errorf("classify = %d lost, %d by demoted, durable at %v; want 3, 2, 16s", lost, demoted, durable)
	}
	// No switch seen: nothing can be put on a demoted master.
	if _, demoted, _ := classify(acks, kept, 10*s, -1); demoted != 0 {
		t.Errorf("no switch: %d by demoted", demoted)
	}
	// Nothing survived after the fault.
	if _, _, durable := classify(acks[:3], kept[:3], 10*s, 14*s); durable != -1 {
		t.Errorf("durable %v, want -1", durable)
	}
}

func TestErrorKinds(t *testing.T) {
	if k := replyKind("READONLY You can't write against a read only replica."); k != "READONLY" {
		t.Errorf("replyKind = %q", k)
	}
	if k := errorKind(io.ErrUnexpectedEOF); k != "eof" {
		t.Errorf("errorKind(unexpected EOF) = %q", k)
	}
	_, err := dialRESP("127.0.0.1:1", time.Second)
	if k := errorKind(err); k != "refused" {
		t.Errorf("errorKind(%v) = %q", err, k)
	}
}

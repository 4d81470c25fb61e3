package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

// Target names of Compare, in the order runs alternate.
const (
	TargetDirect  = "direct"
	TargetProxy   = "proxy"
	TargetHAProxy = "haproxy"
)

var targetTitles = map[string]string{
	TargetDirect:  "redis-server direct",
	TargetProxy:   "warden proxy",
	TargetHAProxy: "HAProxy",
}

// CompareOptions configure Compare. The zero value of a field means the
// default in its comment.
type CompareOptions struct {
	// Redis is an existing server to measure; "" starts a redis-server
	// (RedisServer, "redis-server") with no persistence. The runs write
	// Keyspace keys ("key:<n>", the GET data set) into it.
	Redis       string
	RedisServer string
	// HAProxy is the haproxy binary ("haproxy"); when it is not found the
	// HAProxy target is skipped with a note.
	HAProxy string
	// Warden is the warden binary that runs `warden proxy -c`
	// (os.Executable()).
	Warden string
	// Targets to measure, of direct, proxy and haproxy (all three).
	Targets []string
	// Tests are the commands measured, one run per command: set, get
	// (set, get).
	Tests []string
	// Pipelines are the pipeline depths (1 and 16).
	Pipelines []int
	Clients   int // 50
	Rounds    int // 5: every target once per round, alternating
	// Duration of each run (2s) unless Requests (per run) is set.
	Duration time.Duration
	Requests int64
	// Warmup is a run per target before the measured ones, not recorded
	// (1s; negative: none).
	Warmup    time.Duration
	Keyspace  int // 100000
	ValueSize int // 3
	// Log receives a line per run (nil: none).
	Log io.Writer
	// Command is the command line that asked for this comparison, for the
	// report.
	Command string
	// WorkDir holds the processes' files ("": a temporary directory,
	// removed at the end).
	WorkDir string
}

func (o *CompareOptions) defaults() error {
	if o.RedisServer == "" {
		o.RedisServer = "redis-server"
	}
	if o.HAProxy == "" {
		o.HAProxy = "haproxy"
	}
	if o.Warden == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding the warden binary: %w", err)
		}
		o.Warden = exe
	}
	if len(o.Targets) == 0 {
		o.Targets = []string{TargetDirect, TargetProxy, TargetHAProxy}
	}
	for _, t := range o.Targets {
		if targetTitles[t] == "" {
			return fmt.Errorf("unknown target %q (direct, proxy, haproxy)", t)
		}
	}
	if len(o.Tests) == 0 {
		o.Tests = []string{"set", "get"}
	}
	for _, t := range o.Tests {
		if commandIndex(t) < 0 {
			return fmt.Errorf("unknown test %q (one of %s)", t, strings.Join(Commands, ", "))
		}
	}
	if len(o.Pipelines) == 0 {
		o.Pipelines = []int{1, 16}
	}
	if o.Clients == 0 {
		o.Clients = 50
	}
	if o.Rounds == 0 {
		o.Rounds = 5
	}
	if o.Duration == 0 && o.Requests == 0 {
		o.Duration = 2 * time.Second
	}
	if o.Warmup == 0 {
		o.Warmup = time.Second
	}
	if o.Keyspace == 0 {
		o.Keyspace = 100000
	}
	if o.ValueSize == 0 {
		o.ValueSize = 3
	}
	if o.Clients < 0 || o.Rounds < 0 || o.Keyspace < 0 || o.ValueSize < 0 || o.Requests < 0 || o.Duration < 0 {
		return errors.New("clients, rounds, keyspace, value size, requests and duration must not be negative")
	}
	return nil
}

// CompareRun is one measured run.
type CompareRun struct {
	Test     string  `json:"test"`
	Pipeline int     `json:"pipeline"`
	Round    int     `json:"round"`
	Target   string  `json:"target"`
	Result   *Result `json:"result,omitempty"`
	Err      string  `json:"error,omitempty"`
}

// CompareReport is the outcome of Compare.
type CompareReport struct {
	Date     time.Time         `json:"date"`
	Machine  Machine           `json:"machine"`
	Options  CompareOptions    `json:"-"`
	Versions map[string]string `json:"versions"`
	// Processes are the command lines of the processes started, by target
	// (ports and directories as they were).
	Processes map[string]string `json:"processes"`
	// Configs are the generated config files, by file name.
	Configs map[string]string `json:"configs"`
	// Skipped targets, with the reason.
	Skipped map[string]string `json:"skipped,omitempty"`
	Runs    []CompareRun      `json:"runs"`

	haproxyMissing bool
}

// Targets returns the targets that were measured, in order.
func (r *CompareReport) Targets() []string {
	var ts []string
	for _, t := range r.Options.Targets {
		if r.Skipped[t] == "" {
			ts = append(ts, t)
		}
	}
	return ts
}

// Failed reports whether some run failed or got error replies, or a
// target could not be started (HAProxy not being installed excepted).
func (r *CompareReport) Failed() bool {
	for t := range r.Skipped {
		if t != TargetHAProxy || !r.haproxyMissing {
			return true
		}
	}
	for _, run := range r.Runs {
		if run.Err != "" || run.Result == nil || run.Result.Errors > 0 {
			return true
		}
	}
	return false
}

// Compare measures the same load against redis-server direct, a warden
// proxy in front of it and HAProxy in front of it, alternating the targets
// in every round. It starts (and stops) the processes it needs. A target
// whose process cannot start is skipped and the reason recorded; a run
// that fails is recorded and the comparison goes on.
func Compare(ctx context.Context, o CompareOptions) (*CompareReport, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	rep := &CompareReport{
		Date: time.Now().UTC(), Machine: DescribeMachine(), Options: o,
		Versions:  map[string]string{},
		Processes: map[string]string{},
		Configs:   map[string]string{},
		Skipped:   map[string]string{},
	}
	work := o.WorkDir
	if work != "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			return nil, err
		}
	} else {
		d, err := os.MkdirTemp("", "warden-bench-compare-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		work = d
	}
	var procs []*proc
	defer func() {
		// Proxies first, then the server behind them.
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}()

	addrs := map[string]string{}
	redisAddr := o.Redis
	if redisAddr == "" {
		p, port, err := startRedisServer("redis-server", filepath.Join(work, "redis"), o.RedisServer, nil)
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
		redisAddr = loopback(port)
		rep.Processes[TargetDirect] = p.commandLine()
		rep.Versions["redis-server"] = binVersion(o.RedisServer, "--version")
	} else {
		if err := pingCheck(redisAddr)(); err != nil {
			return nil, fmt.Errorf("--redis %s: %w", redisAddr, err)
		}
		rep.Processes[TargetDirect] = "(given: " + redisAddr + ")"
	}
	if v, err := doOnce(redisAddr, 2*time.Second, "INFO", "server"); err == nil {
		rep.Versions["redis_version (INFO)"] = infoField(v.Str, "redis_version")
	}
	addrs[TargetDirect] = redisAddr

	if slices.Contains(o.Targets, TargetProxy) {
		// Warnings only: the measured proxy should not spend time logging.
		cfg := WardenProxyConfig{Group: "bench", Static: []string{redisAddr}, StaticInterval: time.Second, LogLevel: "warning"}
		p, text, err := startWardenProxy(o.Warden, filepath.Join(work, "proxy"), cfg, 15*time.Second)
		if err != nil {
			rep.Skipped[TargetProxy] = err.Error()
			logf("skipping the warden proxy: %v", err)
		} else {
			procs = append(procs, p)
			addrs[TargetProxy] = writeAddrOf(text)
			rep.Processes[TargetProxy] = "warden proxy -c proxy.yaml"
			rep.Configs["proxy.yaml"] = text
			rep.Versions["warden"] = binVersion(o.Warden, "version")
		}
	}
	if slices.Contains(o.Targets, TargetHAProxy) {
		bin, err := exec.LookPath(o.HAProxy)
		if err != nil {
			rep.Skipped[TargetHAProxy] = fmt.Sprintf("%s not found (apt-get install haproxy)", o.HAProxy)
			rep.haproxyMissing = true
			logf("skipping HAProxy: %s", rep.Skipped[TargetHAProxy])
		} else {
			p, cfg, text, err := startHAProxyFor(bin, filepath.Join(work, "haproxy"), []string{redisAddr}, 1, 15*time.Second)
			if err != nil {
				rep.Skipped[TargetHAProxy] = err.Error()
				logf("skipping HAProxy: %v", err)
			} else {
				procs = append(procs, p)
				addrs[TargetHAProxy] = cfg.Listen
				rep.Processes[TargetHAProxy] = "haproxy -db -f haproxy.cfg"
				rep.Configs["haproxy.cfg"] = text
				rep.Versions["haproxy"] = binVersion(bin, "-v")
			}
		}
	}
	targets := rep.Targets()
	logf("targets: %s", describeTargets(targets, addrs))

	// GET measures hits: fill the key space first, directly.
	if err := fill(ctx, redisAddr, o.Keyspace, o.ValueSize); err != nil {
		return rep, fmt.Errorf("filling %d keys: %w", o.Keyspace, err)
	}
	base := Options{Clients: o.Clients, Keyspace: o.Keyspace, ValueSize: o.ValueSize, Timeout: 10 * time.Second, Seed: 1}
	if o.Warmup > 0 {
		for _, t := range targets {
			w := base
			w.Addr, w.Duration, w.Mix = addrs[t], o.Warmup, []MixEntry{{"set", 1}, {"get", 1}}
			if _, err := Run(ctx, w); err != nil && ctx.Err() == nil {
				logf("warm-up of %s: %v", t, err)
			}
		}
	}
	for _, pipe := range o.Pipelines {
		for _, test := range o.Tests {
			for round := 1; round <= o.Rounds; round++ {
				for _, t := range targets {
					if ctx.Err() != nil {
						return rep, ctx.Err()
					}
					run := base
					run.Addr, run.Pipeline = addrs[t], pipe
					run.Mix = []MixEntry{{test, 1}}
					run.Requests, run.Duration = o.Requests, o.Duration
					run.Seed = uint64(round)
					res, err := Run(ctx, run)
					cr := CompareRun{Test: strings.ToUpper(test), Pipeline: pipe, Round: round, Target: t, Result: res}
					if err != nil {
						cr.Err = err.Error()
						logf("%s -P %d round %d %-8s error: %v", cr.Test, pipe, round, t, err)
					} else {
						logf("%s -P %d round %d %-8s %8.0f req/s  p50 %s ms  p99 %s ms  errors %d",
							cr.Test, pipe, round, t, res.Throughput, fmtMs(res.Latency.P50), fmtMs(res.Latency.P99), res.Errors)
					}
					rep.Runs = append(rep.Runs, cr)
				}
			}
		}
	}
	return rep, nil
}

// writeAddrOf finds the write listener in a generated proxy.yaml.
func writeAddrOf(yaml string) string {
	for _, line := range strings.Split(yaml, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "write: "); ok {
			return v
		}
	}
	return ""
}

func describeTargets(targets []string, addrs map[string]string) string {
	parts := make([]string, len(targets))
	for i, t := range targets {
		parts[i] = t + " " + addrs[t]
	}
	return strings.Join(parts, ", ")
}

// fill SETs key:<n> for n below keyspace, pipelined.
func fill(ctx context.Context, addr string, keyspace, valueSize int) error {
	c, err := dialRESP(addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	value := []byte(strings.Repeat("x", valueSize))
	set := []byte("SET")
	const batch = 1000
	var key []byte
	for start := 0; start < keyspace; start += batch {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		end := min(start+batch, keyspace)
		buf := c.buf[:0]
		for n := start; n < end; n++ {
			key = appendKey(key[:0], "key:", uint64(n))
			buf = resp.AppendCommand(buf, set, key, value)
		}
		c.buf = buf
		_ = c.c.SetDeadline(time.Now().Add(c.timeout))
		if _, err := c.c.Write(buf); err != nil {
			return err
		}
		for range end - start {
			v, err := c.read()
			if err != nil {
				return err
			}
			if v.IsError() {
				return errors.New(v.Str)
			}
		}
	}
	return nil
}

// median of xs (NaN-free); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// figures collects one target's per-round figures for a test and depth.
func (r *CompareReport) figures(test string, pipe int, target string, f func(*Result) float64) []float64 {
	var xs []float64
	for _, run := range r.Runs {
		if run.Test == test && run.Pipeline == pipe && run.Target == target && run.Err == "" && run.Result != nil {
			xs = append(xs, f(run.Result))
		}
	}
	return xs
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64)
}

// Markdown renders the report: setup, commands, medians and ratios, and
// every round.
func (r *CompareReport) Markdown() string {
	o := r.Options
	targets := r.Targets()
	var b strings.Builder
	writeHead(&b, "warden bench compare: redis-server direct, warden proxy, HAProxy", r.Date, r.Machine, r.Versions)
	load := fmt.Sprintf("%v per run", o.Duration)
	if o.Requests > 0 {
		load = fmt.Sprintf("%d requests per run", o.Requests)
	}
	fmt.Fprintf(&b, "- load: warden bench's Go generator, %d clients, %s, keyspace %d (filled before the runs, so GETs hit), values of %d B; "+
		"%d rounds, each running every target once in the order %s; a warm-up run per target before the first round is not counted.\n",
		o.Clients, load, o.Keyspace, o.ValueSize, o.Rounds, strings.Join(targets, ", "))
	b.WriteString("- the generator, the proxies and redis-server share this machine's CPUs; figures compare the targets with each other, not with other machines.\n")
	for _, t := range o.Targets {
		if why := r.Skipped[t]; why != "" {
			fmt.Fprintf(&b, "- **%s skipped**: %s\n", targetTitles[t], oneLine(why))
		}
	}
	b.WriteString("\n## Commands\n\n```\n" + o.Command + "\n")
	for _, t := range o.Targets {
		if p := r.Processes[t]; p != "" {
			fmt.Fprintf(&b, "# %s: %s\n", targetTitles[t], p)
		}
	}
	b.WriteString("```\n")
	for _, k := range slices.Sorted(maps.Keys(r.Configs)) {
		fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n```\n%s```\n\n</details>\n", k, r.Configs[k])
	}

	thr := func(res *Result) float64 { return res.Throughput }
	b.WriteString("\n## Throughput (median requests per second)\n\n")
	header := []string{"test", "pipeline"}
	for _, t := range targets {
		header = append(header, targetTitles[t])
	}
	pairs := ratioPairs(targets)
	for _, p := range pairs {
		header = append(header, p[0]+"/"+p[1])
	}
	var rows [][]string
	for _, pipe := range o.Pipelines {
		for _, test := range o.Tests {
			test = strings.ToUpper(test)
			row := []string{test, strconv.Itoa(pipe)}
			med := map[string]float64{}
			for _, t := range targets {
				med[t] = median(r.figures(test, pipe, t, thr))
				row = append(row, fmt.Sprintf("%.0f", med[t]))
			}
			for _, p := range pairs {
				row = append(row, ratio(med[p[0]], med[p[1]]))
			}
			rows = append(rows, row)
		}
	}
	b.WriteString(markdownTable(header, rows, 1))

	b.WriteString("\n## Latency (median over rounds of each run's percentile, ms)\n\n")
	header = []string{"test", "pipeline"}
	for _, t := range targets {
		header = append(header, t+" p50", t+" p99", t+" p99.9")
	}
	rows = nil
	for _, pipe := range o.Pipelines {
		for _, test := range o.Tests {
			test = strings.ToUpper(test)
			row := []string{test, strconv.Itoa(pipe)}
			for _, t := range targets {
				row = append(row,
					fmtMs(median(r.figures(test, pipe, t, func(x *Result) float64 { return x.Latency.P50 }))),
					fmtMs(median(r.figures(test, pipe, t, func(x *Result) float64 { return x.Latency.P99 }))),
					fmtMs(median(r.figures(test, pipe, t, func(x *Result) float64 { return x.Latency.P999 }))))
			}
			rows = append(rows, row)
		}
	}
	b.WriteString(markdownTable(header, rows, 1))

	b.WriteString("\n## Every run (requests per second)\n\n")
	header = []string{"test", "pipeline", "round"}
	for _, t := range targets {
		header = append(header, targetTitles[t])
	}
	rows = nil
	for _, pipe := range o.Pipelines {
		for _, test := range o.Tests {
			test = strings.ToUpper(test)
			for round := 1; round <= o.Rounds; round++ {
				row := []string{test, strconv.Itoa(pipe), strconv.Itoa(round)}
				seen := false
				for _, t := range targets {
					cell := "-"
					for _, run := range r.Runs {
						if run.Test != test || run.Pipeline != pipe || run.Round != round || run.Target != t {
							continue
						}
						seen = true
						switch {
						case run.Err != "":
							cell = "failed: " + oneLine(run.Err)
						case run.Result.Errors > 0:
							cell = fmt.Sprintf("%.0f (%d errors: %s)", run.Result.Throughput, run.Result.Errors, oneLine(run.Result.FirstError))
						default:
							cell = fmt.Sprintf("%.0f", run.Result.Throughput)
						}
					}
					row = append(row, cell)
				}
				if seen {
					rows = append(rows, row)
				}
			}
		}
	}
	b.WriteString(markdownTable(header, rows, 1))
	return b.String()
}

// writeHead writes a report's title, date, machine and versions.
func writeHead(b *strings.Builder, title string, date time.Time, m Machine, versions map[string]string) {
	b.WriteString("# " + title + "\n\n")
	fmt.Fprintf(b, "- date: %s\n", date.Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(b, "- machine: %s\n", m)
	for _, k := range slices.Sorted(maps.Keys(versions)) {
		fmt.Fprintf(b, "- %s: %s\n", k, versions[k])
	}
}

// ratioPairs are the ratios shown: proxy/direct, haproxy/direct,
// proxy/haproxy, among the targets measured.
func ratioPairs(targets []string) [][2]string {
	var out [][2]string
	for _, p := range [][2]string{{TargetProxy, TargetDirect}, {TargetHAProxy, TargetDirect}, {TargetProxy, TargetHAProxy}} {
		if slices.Contains(targets, p[0]) && slices.Contains(targets, p[1]) {
			out = append(out, p)
		}
	}
	return out
}

// oneLine makes text fit a markdown table cell.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// ResultPath is benchmarks/results/<date>-<topic>.md under dir.
func ResultPath(dir string, date time.Time, topic, ext string) string {
	return filepath.Join(dir, date.Format("2006-01-02")+"-"+topic+ext)
}

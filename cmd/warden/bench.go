package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardenhq/warden/benchmarks/bench"
)

const benchUsage = `Usage:
  warden bench [flags]            load a server (or proxy) and report throughput and latency
  warden bench compare [flags]    redis-server direct vs warden proxy vs HAProxy, side by side
  warden bench failover [flags]   numbered writes through a write port while the master dies

Run "warden bench compare --help" or "warden bench failover --help" for theirs.

Flags of warden bench:
`

// runBench is `warden bench`: it dispatches the compare and failover
// subcommands and otherwise runs the load generator once.
func runBench(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "compare":
			return runBenchCompare(args[1:])
		case "failover":
			return runBenchFailover(args[1:])
		}
	}
	fs := usageFlagSet("warden bench", benchUsage)
	var o bench.Options
	host := fs.String("h", "127.0.0.1", "server host")
	port := fs.Int("p", 6379, "server port")
	addr := fs.String("addr", "", "server address host:port (overrides -h and -p)")
	fs.IntVar(&o.Clients, "c", 50, "clients (connections)")
	fs.IntVar(&o.Pipeline, "P", 1, "pipeline depth: commands per client per round trip")
	fs.Int64Var(&o.Requests, "n", 0, "total requests (default 100000 unless -d is given)")
	fs.DurationVar(&o.Duration, "d", 0, "run for this long instead of a request count (e.g. 10s)")
	mix := fs.String("mix", "set:1,get:1", "command mix, name:weight,... of "+strings.Join(bench.Commands, " "))
	fs.IntVar(&o.Keyspace, "keyspace", 100000, "distinct keys, picked uniformly at random")
	fs.IntVar(&o.ValueSize, "value-size", 3, "value size in bytes")
	fs.StringVar(&o.Password, "auth", "", "password for AUTH")
	fs.StringVar(&o.User, "user", "", "ACL user for AUTH (with --auth)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "dial and per-batch reply timeout")
	seed := fs.Uint64("seed", 1, "seed of the key sequence")
	markdown := fs.Bool("markdown", false, "print a markdown table")
	jsonOut := fs.Bool("json", false, "print JSON")
	quiet := fs.Bool("q", false, "no progress line")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return benchUsageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	if *markdown && *jsonOut {
		return benchUsageError(fs, "--markdown and --json exclude each other")
	}
	if o.Requests > 0 && o.Duration > 0 {
		return benchUsageError(fs, "give -n or -d, not both")
	}
	if o.Clients < 1 || o.Pipeline < 1 || o.Keyspace < 1 || o.ValueSize < 1 || o.Requests < 0 || o.Duration < 0 {
		return benchUsageError(fs, "-c, -P, --keyspace and --value-size must be at least 1; -n and -d not negative")
	}
	var err error
	if o.Mix, err = bench.ParseMix(*mix); err != nil {
		return benchUsageError(fs, "%v", err)
	}
	o.Addr = *addr
	if o.Addr == "" {
		o.Addr = net.JoinHostPort(*host, strconv.Itoa(*port))
	}
	o.Seed = *seed
	if !*quiet && isTerminal(os.Stderr) {
		o.Progress = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, o)
	if res != nil {
		var werr error
		switch {
		case *jsonOut:
			werr = res.WriteJSON(os.Stdout)
		case *markdown:
			werr = res.WriteMarkdown(os.Stdout)
		default:
			werr = res.WriteText(os.Stdout)
		}
		if werr != nil {
			fmt.Fprintf(os.Stderr, "warden bench: %v\n", werr)
			return 1
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "warden bench: %v\n", err)
		return 1
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "warden bench: interrupted")
		return 130
	}
	return 0
}

// parseFlags parses args into fs; done reports that the command must exit
// with code (after --help, or a flag error already printed by fs).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	default:
		return 2, true
	}
}

func benchUsageError(fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	return 2
}

// intList parses "1,16".
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}

// nameList parses "a,b" into lower-case names.
func nameList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

const compareUsage = `Usage: warden bench compare [flags]

Runs the same load against redis-server direct, a warden proxy in front of it
("warden proxy -c proxy.yaml", a static source) and HAProxy in front of it (the
classic tcp-check recipe: PING, INFO replication role:master, QUIT), alternating
the three in every round, for each test and pipeline depth. Prints medians and
ratios as markdown and writes them, with the machine and the exact commands, to
benchmarks/results/<date>-bench-compare.md. HAProxy is skipped, with a note,
when it is not installed.

Flags:
`

// runBenchCompare is `warden bench compare`.
func runBenchCompare(args []string) int {
	fs := usageFlagSet("warden bench compare", compareUsage)
	var o bench.CompareOptions
	fs.StringVar(&o.Redis, "redis", "", "measure this running server (host:port) instead of starting a redis-server; keys key:* are written into it")
	fs.StringVar(&o.RedisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&o.HAProxy, "haproxy", "haproxy", "haproxy binary")
	fs.StringVar(&o.Warden, "warden", "", "warden binary that runs the proxy (default: this executable)")
	targets := fs.String("targets", "direct,proxy,haproxy", "targets, in the order they alternate")
	tests := fs.String("tests", "set,get", "commands measured, one run each")
	pipes := fs.String("pipelines", "1,16", "pipeline depths")
	fs.IntVar(&o.Clients, "c", 50, "clients")
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds (each runs every target once)")
	fs.DurationVar(&o.Duration, "d", 0, "duration of each run (default 2s unless -n is given)")
	fs.Int64Var(&o.Requests, "n", 0, "requests per run instead of a duration")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unrecorded warm-up run per target (0: none)")
	fs.IntVar(&o.Keyspace, "keyspace", 100000, "distinct keys")
	fs.IntVar(&o.ValueSize, "value-size", 3, "value size in bytes")
	fs.StringVar(&o.WorkDir, "work-dir", "", "keep the processes' files (logs, configs) here instead of a temporary directory")
	out := fs.String("out", "", "result file (default benchmarks/results/<date>-bench-compare.md; - for none)")
	jsonOut := fs.Bool("json", false, "print JSON instead of markdown on stdout (the file is markdown)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return benchUsageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	if o.Duration > 0 && o.Requests > 0 {
		return benchUsageError(fs, "give -n or -d, not both")
	}
	if o.Clients < 1 || o.Rounds < 1 || o.Keyspace < 1 {
		return benchUsageError(fs, "-c, --rounds and --keyspace must be at least 1")
	}
	if o.Warmup == 0 {
		o.Warmup = -1 // CompareOptions: negative is none
	}
	var err error
	if o.Pipelines, err = intList(*pipes); err != nil {
		return benchUsageError(fs, "--pipelines: %v", err)
	}
	o.Targets, o.Tests = nameList(*targets), nameList(*tests)
	o.Command = bench.ShellCommand("warden", os.Args[1:])
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Compare(ctx, o)
	if rep == nil {
		fmt.Fprintf(os.Stderr, "warden bench compare: %v\n", err)
		if errors.Is(err, context.Canceled) {
			return 130
		}
		return 1
	}
	md := rep.Markdown()
	if code := printReport(fs.Name(), *jsonOut, rep, md); code != 0 {
		return code
	}
	if err != nil {
		// A partial report is still worth reading, but not worth filing.
		fmt.Fprintf(os.Stderr, "warden bench compare: %v (no result file written)\n", err)
		return 1
	}
	if code := writeResult(*out, bench.ResultPath(resultsDir(), rep.Date, "bench-compare", ".md"), md); code != 0 {
		return code
	}
	if rep.Failed() {
		fmt.Fprintln(os.Stderr, "warden bench compare: some runs failed or got error replies (see the table)")
		return 1
	}
	return 0
}

const failoverUsage = `Usage: warden bench failover [flags]

Starts, for each system and scenario, a fresh topology on free loopback ports:
  warden          warden server x3, warden sentinel x3, warden proxy following them
  warden-refused  the same with down-after-refused-milliseconds (the fast path)
  redis           redis-server x3, redis-sentinel x3, HAProxy (tcp-check recipe)
then writes SET fo:<n> <n> through the write port while the master is killed
(kill -9, then restarted empty) or paused (SIGSTOP, then SIGCONT), and checks
every acknowledged write on the master the sentinels agree on afterwards.
Reports the unavailability window, errors, acknowledged writes lost and writes
acknowledged by a demoted master; writes a markdown report and one SVG plot
per scenario to benchmarks/results/<date>-bench-failover*.

Flags:
`

// runBenchFailover is `warden bench failover`.
func runBenchFailover(args []string) int {
	fs := usageFlagSet("warden bench failover", failoverUsage)
	var o bench.FailoverOptions
	systems := fs.String("systems", "warden,warden-refused,redis", "systems to run")
	scenarios := fs.String("scenarios", "kill,pause", "scenarios to run on each system")
	fs.StringVar(&o.Warden, "warden", "", "warden binary (default: this executable)")
	fs.StringVar(&o.RedisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&o.RedisSentinel, "redis-sentinel", "redis-sentinel", "redis-sentinel binary")
	fs.StringVar(&o.HAProxy, "haproxy", "haproxy", "haproxy binary")
	fs.IntVar(&o.Replicas, "replicas", 2, "replicas of the master")
	fs.IntVar(&o.Sentinels, "sentinels", 3, "sentinels (quorum: a majority)")
	fs.DurationVar(&o.DownAfter, "down-after", 3*time.Second, "sentinel down-after-milliseconds")
	fs.DurationVar(&o.FailoverTimeout, "failover-timeout", 10*time.Second, "sentinel failover-timeout")
	fs.DurationVar(&o.Refused, "refused", 300*time.Millisecond, "down-after-refused-milliseconds of warden-refused")
	fs.DurationVar(&o.FailoverHold, "failover-hold", 0, "warden proxy failover-hold (default: the proxy's, 5s)")
	fs.IntVar(&o.Writers, "c", 4, "writing connections")
	fs.IntVar(&o.Rate, "rate", 5000, "at most this many writes per second in all (negative: unlimited)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "per-write timeout (then the client reconnects)")
	fs.DurationVar(&o.Before, "before", 3*time.Second, "writes before the fault")
	fs.DurationVar(&o.After, "after", 20*time.Second, "writes after the fault")
	fs.DurationVar(&o.Pause, "pause", 0, "SIGSTOP length (default down-after + 2s)")
	fs.DurationVar(&o.RestartAfter, "restart-after", 0, "restart a killed master this long after the kill (default down-after + 5s; negative: never)")
	fs.DurationVar(&o.ConnLife, "conn-life", time.Second, "each writer replaces its connection this often, as short-lived clients and recycling pools do (negative: never)")
	fs.StringVar(&o.WorkDir, "work-dir", "", "keep the processes' files (logs, configs) here instead of a temporary directory")
	out := fs.String("out", "", "report file (default benchmarks/results/<date>-bench-failover.md; - for none, and no plots)")
	jsonOut := fs.Bool("json", false, "print JSON instead of markdown on stdout")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return benchUsageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	o.Systems, o.Scenarios = nameList(*systems), nameList(*scenarios)
	o.Command = bench.ShellCommand("warden", os.Args[1:])
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Failover(ctx, o)
	if rep == nil {
		fmt.Fprintf(os.Stderr, "warden bench failover: %v\n", err)
		return 2
	}
	path := *out
	if path == "" {
		path = bench.ResultPath(resultsDir(), rep.Date, "bench-failover", ".md")
	}
	svgs := map[string]string{}
	if path != "-" && err == nil {
		for _, sc := range rep.Options.Scenarios {
			svg := strings.TrimSuffix(path, ".md") + "-" + sc + ".svg"
			if code := writeResult(svg, "", rep.Chart(sc).SVG()); code != 0 {
				return code
			}
			svgs[sc] = filepath.Base(svg)
		}
	}
	md := rep.Markdown(svgs)
	if code := printReport(fs.Name(), *jsonOut, rep, md); code != 0 {
		return code
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "warden bench failover: %v (no report written)\n", err)
		return 1
	}
	if path != "-" {
		if code := writeResult(path, "", md); code != 0 {
			return code
		}
	}
	if rep.Failed() {
		fmt.Fprintln(os.Stderr, "warden bench failover: a run failed, lost acknowledged writes, or let a demoted master acknowledge some (see the report)")
		return 1
	}
	return 0
}

// printReport prints a report on stdout: v as JSON, or the markdown.
func printReport(prog string, jsonOut bool, v any, md string) int {
	if !jsonOut {
		fmt.Print(md)
		return 0
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}

// resultsDir is the repository's benchmarks/results, found from the
// working directory upwards, or benchmarks/results under the working
// directory when there is none (it is then created).
func resultsDir() string {
	const rel = "benchmarks/results"
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		p := filepath.Join(dir, rel)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
	}
}

// writeResult writes text to out, or to def when out is "", or nowhere
// when out is "-".
func writeResult(out, def, text string) int {
	if out == "-" {
		return 0
	}
	if out == "" {
		out = def
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "warden bench: %v\n", err)
		return 1
	}
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "warden bench: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "warden bench: wrote %s\n", out)
	return 0
}

// usageFlagSet is a flag set whose -h prints usage and then the flags.
func usageFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

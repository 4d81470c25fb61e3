package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

// Scenarios Failover can run.
const (
	// ScenarioKill sends SIGKILL to the master; with RestartAfter, the
	// node is started again (empty, as a master, as a supervisor would)
	// that long after.
	ScenarioKill = "kill"
	// ScenarioPause sends SIGSTOP to the master, then SIGCONT after
	// Pause: it comes back believing it is still the master.
	ScenarioPause = "pause"
)

// FailoverOptions configure Failover. The zero value of a field means the
// default in its comment.
type FailoverOptions struct {
	// Systems to run, of warden, warden-refused and redis (all three).
	Systems []string
	// Scenarios to run on each system, of kill and pause (both).
	Scenarios []string
	// Binaries: Warden (os.Executable()), RedisServer ("redis-server"),
	// RedisSentinel ("redis-sentinel"), HAProxy ("haproxy").
	Warden, RedisServer, RedisSentinel, HAProxy string
	Replicas                                    int // 2
	Sentinels                                   int // 3 (quorum: a majority)
	// DownAfter is the sentinels' down-after-milliseconds (3s);
	// FailoverTimeout their failover-timeout (10s); Refused the
	// down-after-refused-milliseconds of warden-refused (300ms).
	DownAfter, FailoverTimeout, Refused time.Duration
	// FailoverHold is the warden proxy's failover-hold (0: its default,
	// 5s).
	FailoverHold time.Duration
	// Writers is the number of connections writing (4), each one write
	// at a time.
	Writers int
	// Rate caps the writes per second over all writers (5000), so that
	// the load does not starve the sentinels and nodes of CPU and skew
	// the very timings measured; negative: as fast as they go.
	Rate int
	// Timeout bounds each write's round trip (5s); a client that times
	// out reconnects.
	Timeout time.Duration
	// ConnLife is how long a writer keeps a connection before it opens a
	// new one (1s), as short-lived clients and recycling pools do: new
	// connections follow the write port's routing of the moment (HAProxy
	// routes per connection). Negative: keep connections until they fail.
	ConnLife time.Duration
	// Before is how long writes run before the fault (3s); After how long
	// they go on after it (20s).
	Before, After time.Duration
	// Pause is how long the master stays stopped (DownAfter + 4s: past
	// the failover and past the writers' default timeout).
	Pause time.Duration
	// RestartAfter restarts a killed master this long after the kill
	// (DownAfter + 5s); negative: never.
	RestartAfter time.Duration
	// Bucket is the plots' resolution (100ms).
	Bucket time.Duration
	// Log receives progress lines (nil: none).
	Log io.Writer
	// Command is the command line, for the report.
	Command string
	// WorkDir holds the processes' files ("": a temporary directory,
	// removed at the end).
	WorkDir string
}

func (o *FailoverOptions) defaults() error {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.RedisServer, "redis-server")
	def(&o.RedisSentinel, "redis-sentinel")
	def(&o.HAProxy, "haproxy")
	if o.Warden == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding the warden binary: %w", err)
		}
		o.Warden = exe
	}
	if len(o.Systems) == 0 {
		o.Systems = []string{SystemWarden, SystemWardenRefused, SystemRedis}
	}
	for _, s := range o.Systems {
		if systemTitles[s] == "" {
			return fmt.Errorf("unknown system %q (warden, warden-refused, redis)", s)
		}
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = []string{ScenarioKill, ScenarioPause}
	}
	for _, s := range o.Scenarios {
		if s != ScenarioKill && s != ScenarioPause {
			return fmt.Errorf("unknown scenario %q (kill, pause)", s)
		}
	}
	dur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.Replicas == 0 {
		o.Replicas = 2
	}
	if o.Sentinels == 0 {
		o.Sentinels = 3
	}
	dur(&o.DownAfter, 3*time.Second)
	dur(&o.FailoverTimeout, 10*time.Second)
	dur(&o.Refused, 300*time.Millisecond)
	if o.Writers == 0 {
		o.Writers = 4
	}
	if o.Rate == 0 {
		o.Rate = 5000
	}
	dur(&o.Timeout, 5*time.Second)
	dur(&o.ConnLife, time.Second)
	dur(&o.Before, 3*time.Second)
	dur(&o.After, 20*time.Second)
	dur(&o.Pause, o.DownAfter+4*time.Second)
	dur(&o.RestartAfter, o.DownAfter+5*time.Second)
	dur(&o.Bucket, 100*time.Millisecond)
	if o.Replicas < 1 || o.Sentinels < 1 || o.Writers < 1 || o.DownAfter < 0 || o.Timeout < 0 || o.Before < 0 ||
		o.After < 0 || o.Pause < 0 || o.Bucket < 0 {
		return errors.New("replicas, sentinels and writers must be at least 1, durations not negative")
	}
	if o.RestartAfter >= o.After {
		return fmt.Errorf("the restart (%v after the kill) must come before the writes end (%v after it)", o.RestartAfter, o.After)
	}
	if o.Pause >= o.After {
		return fmt.Errorf("the pause (%v) must end before the writes do (%v after the fault)", o.Pause, o.After)
	}
	return nil
}

// FailoverRun is the outcome of one system and scenario.
type FailoverRun struct {
	System   string `json:"system"`
	Scenario string `json:"scenario"`
	// Err is set when the run could not be carried out (a process did not
	// start); the figures are then empty.
	Err string `json:"error,omitempty"`

	Attempted int64 `json:"attempted"` // writes sent
	Acked     int64 `json:"acked"`     // writes answered +OK
	Errors    int64 `json:"errors"`    // error replies, I/O errors and timeouts
	// ErrorKinds counts errors by kind: the error reply's code
	// ("READONLY"), "timeout", "refused", "reset", "eof", ...
	ErrorKinds map[string]int64 `json:"error_kinds"`
	// ErrorSamples holds one message of each kind.
	ErrorSamples map[string]string `json:"error_samples"`

	// Gap is the unavailability window: the longest time between two
	// consecutive acknowledged writes (any writer). GapStart is when it
	// began, relative to the fault.
	Gap      time.Duration `json:"gap_ns"`
	GapStart time.Duration `json:"gap_start_ns"`
	// Durable is when the first acknowledged write after the fault that
	// survived was acknowledged, relative to the fault (-1: none): the end
	// of the real unavailability, when writes acknowledged in between went
	// to a node that was about to lose them.
	Durable time.Duration `json:"durable_ns"`
	// WorstWriterGap is the longest one writer went without an ack.
	WorstWriterGap time.Duration `json:"worst_writer_gap_ns"`
	// Switch is when a majority of the sentinels first named a new
	// master, relative to the fault (-1: never seen).
	Switch time.Duration `json:"switch_ns"`
	// Demoted is when the old master was first seen as a replica again,
	// relative to the fault (-1: never seen).
	Demoted time.Duration `json:"demoted_ns"`
	// Restarted is when a killed master was started again (-1: it was
	// not); Resumed when a paused one got SIGCONT (-1: not paused).
	Restarted time.Duration `json:"restarted_ns"`
	Resumed   time.Duration `json:"resumed_ns"`

	// FinalMaster is the master the data was verified on, and Settled
	// whether the topology agreed on it before the deadline.
	FinalMaster string `json:"final_master"`
	Settled     bool   `json:"settled"`
	// Lost counts acknowledged writes missing from the final master;
	// LostDemoted those among them acknowledged after the switch, which
	// only a demoted (stale) master can have acknowledged.
	Lost        int64 `json:"lost"`
	LostDemoted int64 `json:"lost_demoted"`
	// Unacked writes found on the final master (their replies were lost
	// to a timeout or a closed connection): harmless, reported for
	// completeness.
	UnackedPresent int64 `json:"unacked_present"`

	// Rate is acknowledged writes per second in buckets of Bucket,
	// starting Before ahead of the fault.
	Rate   []float64     `json:"rate"`
	Bucket time.Duration `json:"bucket_ns"`
	// LostRate is the part of Rate that was lost afterwards (nil when
	// nothing was).
	LostRate []float64 `json:"lost_rate,omitempty"`

	Commands []string          `json:"commands"`
	Configs  map[string]string `json:"configs"`
}

// FailoverReport is the outcome of Failover.
type FailoverReport struct {
	Date     time.Time         `json:"date"`
	Machine  Machine           `json:"machine"`
	Options  FailoverOptions   `json:"-"`
	Versions map[string]string `json:"versions"`
	Runs     []*FailoverRun    `json:"runs"`
}

// Failover runs each scenario on each system, on a fresh topology every
// time: numbered writes (SET fo:<n> <n>) go through the write port from
// Writers connections while the master is killed or paused; afterwards
// every acknowledged write is looked up on the master the sentinels agree
// on.
func Failover(ctx context.Context, o FailoverOptions) (*FailoverReport, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	rep := &FailoverReport{Date: time.Now().UTC(), Machine: DescribeMachine(), Options: o, Versions: map[string]string{}}
	for _, s := range o.Systems {
		if s == SystemRedis {
			rep.Versions["redis-server"] = binVersion(o.RedisServer, "--version")
			rep.Versions["redis-sentinel"] = binVersion(o.RedisSentinel, "--version")
			if bin, err := exec.LookPath(o.HAProxy); err == nil {
				rep.Versions["haproxy"] = binVersion(bin, "-v")
			}
		} else {
			rep.Versions["warden"] = binVersion(o.Warden, "version")
		}
	}
	work := o.WorkDir
	if work != "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			return nil, err
		}
	} else {
		d, err := os.MkdirTemp("", "warden-bench-failover-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		work = d
	}
	for _, scenario := range o.Scenarios {
		for _, system := range o.Systems {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			logf("%s / %s: starting the topology", system, scenario)
			dir, err := os.MkdirTemp(work, system+"-"+scenario+"-")
			if err != nil {
				return rep, err
			}
			run := runFailover(ctx, &o, system, scenario, dir, logf)
			rep.Runs = append(rep.Runs, run)
			if run.Err != "" {
				logf("%s / %s: %s", system, scenario, run.Err)
				continue
			}
			logf("%s / %s: gap %v, %d acked, %d errors, %d lost (%d acknowledged by a demoted master)",
				system, scenario, run.Gap.Round(time.Millisecond), run.Acked, run.Errors, run.Lost, run.LostDemoted)
		}
	}
	return rep, nil
}

// ack is one acknowledged write: its number and when its reply came,
// since the writers started.
type ack struct {
	n  int64
	at time.Duration
}

// writer is one writing connection.
type writer struct {
	acks   []ack
	errs   map[string]int64
	sample map[string]string // one message per kind
	nErr   int64
	issued []int64 // numbers sent without an acknowledgement
}

// errorKind names an error for the report.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "other"
}

// replyKind is an error reply's code: its first word.
func replyKind(msg string) string {
	code, _, _ := strings.Cut(msg, " ")
	return code
}

// write loops until ctx ends: SET fo:<n> <n> with n from seq, one at a
// time. A failed connection is redialled; an error reply keeps the
// connection, as client libraries do, after a short pause.
func (w *writer) write(ctx context.Context, addr string, seq *atomic.Int64, start time.Time, timeout, life, every time.Duration) {
	w.errs, w.sample = map[string]int64{}, map[string]string{}
	var c *rconn
	var opened time.Time
	next := time.Now()
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	// After a failure, wait a little before the next write, as clients
	// with a retry backoff do, rather than spin on a closed port.
	fail := func(kind, msg string) {
		if w.errs[kind] == 0 {
			w.sample[kind] = msg
		}
		w.errs[kind]++
		w.nErr++
		sleepCtx(ctx, 10*time.Millisecond)
	}
	for ctx.Err() == nil {
		if every > 0 {
			// Pace to the rate; after a stall, start afresh rather than
			// burst to catch up.
			now := time.Now()
			if next.After(now) {
				sleepCtx(ctx, next.Sub(now))
			} else if now.Sub(next) > every {
				next = now
			}
			next = next.Add(every)
		}
		if c != nil && life > 0 && time.Since(opened) >= life {
			c.Close()
			c = nil
		}
		if c == nil {
			var err error
			if c, err = dialRESP(addr, min(timeout, time.Second)); err != nil {
				c = nil
				fail("connect "+errorKind(err), err.Error())
				continue
			}
			c.timeout = timeout
			opened = time.Now()
		}
		n := seq.Add(1)
		s := strconv.FormatInt(n, 10)
		if err := c.send("SET", "fo:"+s, s); err != nil {
			w.issued = append(w.issued, n)
			fail(errorKind(err), err.Error())
			c.Close()
			c = nil
			continue
		}
		v, err := c.read()
		switch {
		case err != nil:
			w.issued = append(w.issued, n)
			fail(errorKind(err), err.Error())
			c.Close()
			c = nil
		case v.IsError():
			w.issued = append(w.issued, n)
			fail(replyKind(v.Str), v.Str)
		default:
			w.acks = append(w.acks, ack{n: n, at: time.Since(start)})
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// watch records, while ctx lasts, when a majority of sentinels first names
// a master other than old, and when old is first seen as a replica after
// that.
type watch struct {
	mu        sync.Mutex
	switchAt  time.Time
	newMaster string
	demotedAt time.Time
}

func (w *watch) run(ctx context.Context, sentinels []string, old string) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.mu.Lock()
		switched, demoted := !w.switchAt.IsZero(), !w.demotedAt.IsZero()
		w.mu.Unlock()
		if !switched {
			if m, ok := majorityMaster(sentinels, 200*time.Millisecond); ok && m != old {
				w.mu.Lock()
				w.switchAt, w.newMaster = time.Now(), m
				w.mu.Unlock()
			}
		} else if !demoted {
			if r, _, err := role(old, 200*time.Millisecond); err == nil && r == "slave" {
				w.mu.Lock()
				w.demotedAt = time.Now()
				w.mu.Unlock()
			}
		}
	}
}

// majorityMaster asks every sentinel for the master's address and returns
// the one a majority names.
func majorityMaster(sentinels []string, timeout time.Duration) (string, bool) {
	votes := map[string]int{}
	for _, s := range sentinels {
		v, err := doOnce(s, timeout, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", groupName)
		if err != nil || len(v.Elems) != 2 {
			continue
		}
		votes[net.JoinHostPort(v.Elems[0].Str, v.Elems[1].Str)]++
	}
	for a, n := range votes {
		if n > len(sentinels)/2 {
			return a, true
		}
	}
	return "", false
}

// runFailover runs one scenario on a fresh topology of system in dir:
// writes, fault, more writes, settle, verify. Setup and verification
// failures are recorded in the run's Err.
func runFailover(ctx context.Context, o *FailoverOptions, system, scenario, dir string, logf func(string, ...any)) *FailoverRun {
	run := &FailoverRun{System: system, Scenario: scenario, Switch: -1, Demoted: -1, Restarted: -1, Resumed: -1, Durable: -1,
		Bucket: o.Bucket, ErrorKinds: map[string]int64{}, ErrorSamples: map[string]string{}}
	topo, err := startTopology(topologyOptions{
		system: system, dir: dir, warden: o.Warden, redisServer: o.RedisServer, redisSentinel: o.RedisSentinel,
		hapx: o.HAProxy, replicas: o.Replicas, sentinels: o.Sentinels, downAfter: o.DownAfter,
		failoverTimeout: o.FailoverTimeout, refused: o.Refused, failoverHold: o.FailoverHold,
	})
	if err != nil {
		run.Err = "setup: " + err.Error()
		return run
	}
	defer topo.stop()
	run.Commands, run.Configs = topo.commands, topo.configs
	old := topo.nodes[0]
	logf("%s / %s: master %s, write port %s; writing", system, scenario, old.addr(), topo.frontAddr)

	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var seq atomic.Int64
	var every time.Duration // between one writer's writes
	if o.Rate > 0 {
		every = time.Duration(o.Writers) * time.Second / time.Duration(o.Rate)
	}
	writers := make([]*writer, o.Writers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range writers {
		writers[i] = &writer{}
		wg.Add(1)
		go func(w *writer) {
			defer wg.Done()
			w.write(wctx, topo.frontAddr, &seq, start, o.Timeout, o.ConnLife, every)
		}(writers[i])
	}
	wt := &watch{}
	mctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		wt.run(mctx, topo.sentAddrs, old.addr())
	}()

	sleepCtx(ctx, o.Before)
	fault := time.Now()
	switch scenario {
	case ScenarioKill:
		logf("%s / %s: kill -9 %s (pid %d)", system, scenario, old.addr(), old.p.Pid())
		old.p.kill()
		if o.RestartAfter >= 0 {
			sleepCtx(ctx, o.RestartAfter)
			if ctx.Err() != nil {
				break
			}
			if err := old.start(); err != nil {
				logf("%s / %s: restarting the old master: %v", system, scenario, err)
			} else {
				run.Restarted = time.Since(fault)
				logf("%s / %s: old master restarted (as a master, empty)", system, scenario)
			}
		}
	case ScenarioPause:
		logf("%s / %s: SIGSTOP %s for %v", system, scenario, old.addr(), o.Pause)
		if err := old.p.signal(syscall.SIGSTOP); err != nil {
			run.Err = "SIGSTOP: " + err.Error()
		}
		sleepCtx(ctx, o.Pause)
		if err := old.p.signal(syscall.SIGCONT); err != nil && run.Err == "" {
			run.Err = "SIGCONT: " + err.Error()
		}
		run.Resumed = time.Since(fault)
	}
	sleepCtx(ctx, time.Until(fault.Add(o.After)))
	stopWriters()
	wg.Wait()
	end := time.Since(start)
	logf("%s / %s: writes stopped; waiting for the topology to settle", system, scenario)

	// Let the watch see the demotion, then settle.
	final, settled := settle(ctx, topo, old, 30*time.Second)
	stopWatch()
	<-watchDone
	run.FinalMaster, run.Settled = final, settled
	faultAt := fault.Sub(start)
	wt.mu.Lock()
	if !wt.switchAt.IsZero() {
		run.Switch = wt.switchAt.Sub(fault)
	}
	if !wt.demotedAt.IsZero() {
		run.Demoted = wt.demotedAt.Sub(fault)
	}
	wt.mu.Unlock()

	// Figures from the writers.
	var acks []ack
	var unacked []int64
	for _, w := range writers {
		acks = append(acks, w.acks...)
		unacked = append(unacked, w.issued...)
		run.Errors += w.nErr
		for k, v := range w.errs {
			run.ErrorKinds[k] += v
			if run.ErrorSamples[k] == "" {
				run.ErrorSamples[k] = w.sample[k]
			}
		}
		if g, _ := longestGap(w.acks, end); g > run.WorstWriterGap {
			run.WorstWriterGap = g
		}
	}
	run.Attempted = seq.Load()
	run.Acked = int64(len(acks))
	sort.Slice(acks, func(i, j int) bool { return acks[i].at < acks[j].at })
	gap, gapStart := longestGap(acks, end)
	run.Gap, run.GapStart = gap, gapStart-faultAt
	run.Rate = rates(acks, faultAt-o.Before, end, o.Bucket)

	if final == "" {
		if run.Err == "" {
			run.Err = "no master agreed on after the run: nothing to verify"
		}
		return run
	}
	switchSince := time.Duration(-1)
	if run.Switch >= 0 {
		switchSince = faultAt + run.Switch
	}
	kept, present, err := verify(ctx, final, acks, unacked)
	if err != nil {
		run.Err = "verifying on " + final + ": " + err.Error()
		return run
	}
	run.UnackedPresent = present
	// Writes are durable again at the first surviving ack after the
	// outage began (the longest gap, normally at the fault).
	run.Lost, run.LostDemoted, run.Durable = classify(acks, kept, max(faultAt, gapStart), switchSince)
	if run.Lost > 0 {
		var lostAcks []ack
		for i, a := range acks {
			if !kept[i] {
				lostAcks = append(lostAcks, a)
			}
		}
		run.LostRate = rates(lostAcks, faultAt-o.Before, end, o.Bucket)
	}
	if run.Durable >= 0 {
		run.Durable -= faultAt
	}
	return run
}

// classify counts the acknowledged writes missing from the final master
// (kept[i] tells for acks[i], sorted by time): lost, and among them those
// acknowledged after switchAt (>= 0), which only a demoted master can have
// acknowledged. durable is the time of the first acknowledged write after
// from that the final master has (-1: none): when writes really resumed.
func classify(acks []ack, kept []bool, from, switchAt time.Duration) (lost, lostDemoted int64, durable time.Duration) {
	durable = -1
	for i, a := range acks {
		if kept[i] {
			if durable < 0 && a.at > from {
				durable = a.at
			}
			continue
		}
		lost++
		if switchAt >= 0 && a.at > switchAt {
			lostDemoted++
		}
	}
	return lost, lostDemoted, durable
}

// settle waits until a majority of sentinels names a master that reports
// role master and, if old is running, old reports being its replica. It
// returns the master (the majority's choice even when not settled).
func settle(ctx context.Context, t *topology, old *node, limit time.Duration) (string, bool) {
	deadline := time.Now().Add(limit)
	var m string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var ok bool
		if m, ok = majorityMaster(t.sentAddrs, time.Second); ok {
			r, _, err := role(m, time.Second)
			oldOK := old.p == nil || old.p.exited() || old.addr() == m
			if !oldOK {
				or, of, err := role(old.addr(), time.Second)
				oldOK = err == nil && or == "slave" && of == m
			}
			if err == nil && r == "master" && oldOK {
				return m, true
			}
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
	return m, false
}

// longestGap is the longest time between consecutive acks (sorted by
// time), counting the end of the run as a last point; it also returns
// when that gap began.
func longestGap(acks []ack, end time.Duration) (gap, at time.Duration) {
	if len(acks) == 0 {
		return end, 0
	}
	prev := acks[0].at
	for _, a := range acks[1:] {
		if a.at-prev > gap {
			gap, at = a.at-prev, prev
		}
		prev = a.at
	}
	if end-prev > gap {
		gap, at = end-prev, prev
	}
	return gap, at
}

// rates counts acks per bucket from from to end, as per-second rates.
func rates(acks []ack, from, end, bucket time.Duration) []float64 {
	if bucket <= 0 || end <= from {
		return nil
	}
	// Whole buckets only: a last partial one would show a false drop.
	n := int((end - from) / bucket)
	out := make([]float64, n)
	for _, a := range acks {
		if a.at < from {
			continue
		}
		i := int((a.at - from) / bucket)
		if i < n {
			out[i]++
		}
	}
	for i := range out {
		out[i] /= bucket.Seconds()
	}
	return out
}

// verify reads every acknowledged and unacknowledged key from master. It
// returns, for each ack, whether its key holds its number there, and how
// many unacknowledged writes are there anyway.
func verify(ctx context.Context, master string, acks []ack, unacked []int64) (kept []bool, present int64, err error) {
	c, err := dialRESP(master, 10*time.Second)
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	// found reports, for each n, whether fo:<n> holds n.
	found := func(ns []int64) ([]bool, error) {
		out := make([]bool, 0, len(ns))
		for i := 0; i < len(ns); i += 1000 {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			batch := ns[i:min(i+1000, len(ns))]
			c.buf = c.buf[:0]
			for _, n := range batch {
				c.buf = resp.AppendCommandStrings(c.buf, "GET", "fo:"+strconv.FormatInt(n, 10))
			}
			_ = c.c.SetDeadline(time.Now().Add(c.timeout))
			if _, err := c.c.Write(c.buf); err != nil {
				return nil, err
			}
			for _, n := range batch {
				v, err := c.read()
				if err != nil {
					return nil, err
				}
				if v.IsError() {
					return nil, errors.New(v.Str)
				}
				out = append(out, !v.IsNull() && v.Str == strconv.FormatInt(n, 10))
			}
		}
		return out, nil
	}
	ns := make([]int64, len(acks))
	for i, a := range acks {
		ns[i] = a.n
	}
	if kept, err = found(ns); err != nil {
		return nil, 0, err
	}
	ok, err := found(unacked)
	if err != nil {
		return nil, 0, err
	}
	for _, f := range ok {
		if f {
			present++
		}
	}
	return kept, present, nil
}

// Systems returns the systems that ran, in order.
func (r *FailoverReport) systems() []string {
	var out []string
	for _, run := range r.Runs {
		if !slices.Contains(out, run.System) {
			out = append(out, run.System)
		}
	}
	return out
}

// Failed reports whether a run could not be carried out, lost an
// acknowledged write, or let a demoted master acknowledge one.
func (r *FailoverReport) Failed() bool {
	for _, run := range r.Runs {
		if run.Err != "" || run.Lost > 0 || run.LostDemoted > 0 {
			return true
		}
	}
	return false
}

// Chart draws acknowledged writes per second around the fault for one
// scenario, one line per system.
func (r *FailoverReport) Chart(scenario string) Chart {
	o := r.Options
	verb := "kill -9 of the master"
	if scenario == ScenarioPause {
		verb = fmt.Sprintf("SIGSTOP of the master for %v", o.Pause)
	}
	c := Chart{
		Title:  fmt.Sprintf("Acknowledged writes per second, %s (down-after %v)", verb, o.DownAfter),
		XLabel: "seconds since the fault", YLabel: "acknowledged writes / s",
		Markers: []Marker{{X: 0, Label: map[string]string{ScenarioKill: "kill -9", ScenarioPause: "SIGSTOP"}[scenario]}},
	}
	switch {
	case scenario == ScenarioPause:
		c.Markers = append(c.Markers, Marker{X: o.Pause.Seconds(), Label: "SIGCONT"})
	case o.RestartAfter >= 0:
		c.Markers = append(c.Markers, Marker{X: o.RestartAfter.Seconds(), Label: "old master restarted"})
	}
	for _, run := range r.Runs {
		if run.Scenario != scenario || run.Err != "" && len(run.Rate) == 0 {
			continue
		}
		s := Series{Name: systemTitles[run.System]}
		for i, v := range run.Rate {
			s.X = append(s.X, (time.Duration(i)*run.Bucket - o.Before).Seconds())
			s.Y = append(s.Y, v)
		}
		c.Series = append(c.Series, s)
		if len(run.LostRate) > 0 {
			l := Series{Name: systemTitles[run.System] + ": acknowledged, then lost", Dashed: true, Color: len(c.Series) - 1}
			for i, v := range run.LostRate {
				l.X = append(l.X, (time.Duration(i)*run.Bucket - o.Before).Seconds())
				l.Y = append(l.Y, v)
			}
			c.Series = append(c.Series, l)
		}
	}
	return c
}

// at formats a signed time relative to the fault.
func at(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', 2, 64)
	if s == "-0.00" {
		s = "0.00"
	}
	return s + " s"
}

func secs(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}

// Markdown renders the report; svgs maps a scenario to its plot's file
// name (relative to the report), for the image links.
func (r *FailoverReport) Markdown(svgs map[string]string) string {
	o := r.Options
	var b strings.Builder
	writeHead(&b, "warden bench failover: writes through the write port while the master fails", r.Date, r.Machine, r.Versions)
	fmt.Fprintf(&b, "- topology per run (fresh each time): 1 master + %d replicas, %d sentinels (quorum %d), down-after-milliseconds %d, failover-timeout %d",
		o.Replicas, o.Sentinels, o.Sentinels/2+1, o.DownAfter.Milliseconds(), o.FailoverTimeout.Milliseconds())
	if slices.Contains(o.Systems, SystemWardenRefused) {
		fmt.Fprintf(&b, "; warden-refused adds down-after-refused-milliseconds %d", o.Refused.Milliseconds())
	}
	b.WriteString(".\n")
	hold := "its default failover-hold"
	if o.FailoverHold > 0 {
		hold = "failover-hold " + o.FailoverHold.String()
	}
	fmt.Fprintf(&b, "- write port: warden proxy following the sentinels (%s); HAProxy with the tcp-check recipe (PING, INFO replication role:master, QUIT; inter 1s, fall 3, rise 2) over the three nodes.\n", hold)
	life := "kept until it fails"
	if o.ConnLife > 0 {
		life = "replaced every " + o.ConnLife.String() + " (short-lived clients, recycling pools)"
	}
	rate := "as fast as they go"
	if o.Rate > 0 {
		rate = fmt.Sprintf("at most %d writes/s in all", o.Rate)
	}
	fmt.Fprintf(&b, "- load: %d connections, each writing SET fo:<n> <n> one at a time (n from one counter), %s; per-write timeout %v, then a new connection; "+
		"an error reply keeps the connection, as client libraries do; 10 ms pause after any failure; each connection %s. %v of writes before the fault, %v after it.\n",
		o.Writers, rate, o.Timeout, life, o.Before, o.After)
	restart := "the killed master is not restarted"
	if o.RestartAfter >= 0 {
		restart = fmt.Sprintf("the killed master is restarted %v after the kill, empty and as a master (as a supervisor restarting redis-server with its own config would)", o.RestartAfter)
	}
	fmt.Fprintf(&b, "- kill: SIGKILL of the master; %s. pause: SIGSTOP of the master, SIGCONT %v later.\n", restart, o.Pause)
	b.WriteString("- afterwards the harness waits for the sentinels to agree on a master (and the old one to be its replica), then reads every key from that master.\n\n")
	b.WriteString("Columns: **gap** = longest time without any acknowledged write (the unavailability window), from **gap start** (relative to the fault); " +
		"**durable again** = when the first write that survived was acknowledged after the gap began (writes acknowledged in between were all lost); " +
		"**worst client** = longest gap of a single connection; **switch** = when a majority of sentinels first named the new master; " +
		"**lost** = acknowledged writes missing on the final master; **by demoted** = those acknowledged after the switch, which only a demoted master can have acknowledged.\n\n")

	b.WriteString("## Results\n\n")
	header := []string{"scenario", "system", "gap", "gap start", "durable again", "worst client", "switch", "old master demoted", "acked", "errors", "lost", "by demoted", "unacked but present"}
	var rows [][]string
	for _, run := range r.Runs {
		if run.Err != "" && run.Acked == 0 {
			rows = append(rows, []string{run.Scenario, systemTitles[run.System], "failed: " + oneLine(run.Err), "", "", "", "", "", "", "", "", "", ""})
			continue
		}
		rows = append(rows, []string{run.Scenario, systemTitles[run.System], secs(run.Gap), at(run.GapStart), secs(run.Durable), secs(run.WorstWriterGap),
			secs(run.Switch), secs(run.Demoted), strconv.FormatInt(run.Acked, 10), strconv.FormatInt(run.Errors, 10),
			strconv.FormatInt(run.Lost, 10), strconv.FormatInt(run.LostDemoted, 10), strconv.FormatInt(run.UnackedPresent, 10)})
	}
	b.WriteString(markdownTable(header, rows, 2))
	var notes []string
	for _, run := range r.Runs {
		if run.Err != "" && run.Acked > 0 {
			notes = append(notes, fmt.Sprintf("- %s / %s: %s", run.Scenario, systemTitles[run.System], oneLine(run.Err)))
		}
		if run.Err == "" && !run.Settled {
			notes = append(notes, fmt.Sprintf("- %s / %s: the topology did not settle within 30 s after the writes stopped; the data was checked on %s, the master a majority of sentinels named",
				run.Scenario, systemTitles[run.System], run.FinalMaster))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\n## Errors by kind\n\n")
	anyErr := false
	for _, run := range r.Runs {
		anyErr = anyErr || len(run.ErrorKinds) > 0
	}
	if !anyErr {
		b.WriteString("None.\n")
	}
	for _, run := range r.Runs {
		if len(run.ErrorKinds) == 0 {
			continue
		}
		kinds := slices.Sorted(maps.Keys(run.ErrorKinds))
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s %d", k, run.ErrorKinds[k])
			if m := run.ErrorSamples[k]; m != "" {
				parts[i] += " (`" + strings.ReplaceAll(oneLine(m), "`", "'") + "`)"
			}
		}
		fmt.Fprintf(&b, "- %s / %s: %s\n", run.Scenario, systemTitles[run.System], strings.Join(parts, ", "))
	}
	if len(svgs) > 0 {
		b.WriteString("\n## Throughput over time\n\n")
		for _, sc := range o.Scenarios {
			if f := svgs[sc]; f != "" {
				fmt.Fprintf(&b, "![%s](%s)\n\n", sc, f)
			}
		}
	}
	b.WriteString("## Commands\n\n```\n" + o.Command + "\n```\n")
	for _, sys := range r.systems() {
		for _, run := range r.Runs {
			if run.System != sys || len(run.Commands) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n<details><summary>%s: processes and configs (ports of one run)</summary>\n\n```\n%s\n```\n", systemTitles[sys], strings.Join(run.Commands, "\n"))
			for _, k := range slices.Sorted(maps.Keys(run.Configs)) {
				fmt.Fprintf(&b, "\n%s:\n\n```\n%s```\n", k, run.Configs[k])
			}
			b.WriteString("\n</details>\n")
			break
		}
	}
	return b.String()
}

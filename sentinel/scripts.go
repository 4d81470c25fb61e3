package sentinel

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wardenhq/warden/sentinel/core"
)

// Scripts (§4.12): notification-script and client-reconfig-script runs,
// queued and retried as redis-sentinel does.
const (
	scriptMaxRunning = 16  // SENTINEL_SCRIPT_MAX_RUNNING
	scriptMaxQueue   = 256 // SENTINEL_SCRIPT_MAX_QUEUE, running ones included
	scriptMaxRetry   = 10  // runs of one script, the first included
)

// scriptJob is one queued script run.
type scriptJob struct {
	argv    []string
	running bool
	// pid and proc are set while the process runs.
	pid  int
	proc *os.Process
	// start is when the running process started, or when a scheduled
	// one may start (zero: as soon as a slot is free).
	start    time.Time
	retryNum int  // runs started so far
	timedOut bool // killed for running too long (reported once)
	// The timings in force when the script was queued (SENTINEL DEBUG
	// script-max-runtime / script-retry-delay).
	maxRuntime, retryDelay time.Duration
}

// pendingScript is one entry of SENTINEL PENDING-SCRIPTS (§1.3), in
// Redis's field order: argv, flags ("running" or "scheduled"), pid,
// run-time (running) or run-delay (scheduled), retry-num.
type pendingScript struct {
	Argv    []string
	Running bool
	Pid     int // 0 when not running
	// RunTime is how long a running script has been running; RunDelay
	// how long until a scheduled one may start (0 when it is due).
	RunTime, RunDelay time.Duration
	RetryNum          int
}

// scriptRunner is the script queue and its scheduler goroutine, which
// starts due scripts (at most scriptMaxRunning at once) and kills those
// that run too long. A goroutine per running process waits for it and
// decides on a retry.
type scriptRunner struct {
	sh  *shell
	now func() time.Time

	mu      sync.Mutex
	queue   []*scriptJob // oldest first
	running int
	started bool
	stopped bool
	wake    chan struct{} // cap 1
	quit    chan struct{}
	done    chan struct{}
	waiters sync.WaitGroup // one per running process
}

func (sr *scriptRunner) init(sh *shell) {
	sr.sh = sh
	sr.now = time.Now
	sr.wake = make(chan struct{}, 1)
	sr.quit = make(chan struct{})
	sr.done = make(chan struct{})
}

// RunScript (core.Shell) queues a run of path with args. It runs under
// Sentinel.mu, so the timings are read from the core here.
func (sh *shell) RunScript(path string, args ...string) {
	sh.scripts.add(sh.deps.timing(), path, args...)
}

// pendingScripts lists the queue for SENTINEL PENDING-SCRIPTS, oldest
// first.
func (sh *shell) pendingScripts() []pendingScript {
	sr := &sh.scripts
	sr.mu.Lock()
	defer sr.mu.Unlock()
	now := sr.now()
	out := make([]pendingScript, 0, len(sr.queue))
	for _, j := range sr.queue {
		ps := pendingScript{Argv: slices.Clone(j.argv), Running: j.running, Pid: j.pid, RetryNum: j.retryNum}
		switch {
		case j.running:
			ps.RunTime = now.Sub(j.start)
		case !j.start.IsZero() && j.start.After(now):
			ps.RunDelay = j.start.Sub(now)
		}
		out = append(out, ps)
	}
	return out
}

// runningScripts is INFO's sentinel_running_scripts.
func (sh *shell) runningScripts() int {
	sh.scripts.mu.Lock()
	defer sh.scripts.mu.Unlock()
	return sh.scripts.running
}

// queuedScripts is INFO's sentinel_scripts_queue_length: every queued
// script, running ones included.
func (sh *shell) queuedScripts() int {
	sh.scripts.mu.Lock()
	defer sh.scripts.mu.Unlock()
	return len(sh.scripts.queue)
}

// add queues a run; when the queue is over its limit the oldest script
// that is not running is dropped (Redis's policy). It never blocks for
// long: processes are started by the scheduler goroutine.
func (sr *scriptRunner) add(t core.Timing, path string, args ...string) {
	argv := append([]string{path}, args...)
	sr.mu.Lock()
	if sr.stopped {
		sr.mu.Unlock()
		return
	}
	sr.queue = append(sr.queue, &scriptJob{argv: argv, maxRuntime: t.ScriptMaxRuntime, retryDelay: t.ScriptRetryDelay})
	if len(sr.queue) > scriptMaxQueue {
		for i, j := range sr.queue {
			if !j.running {
				sr.queue = slices.Delete(sr.queue, i, i+1)
				break
			}
		}
	}
	sr.mu.Unlock()
	sr.poke()
}

func (sr *scriptRunner) poke() {
	select {
	case sr.wake <- struct{}{}:
	default:
	}
}

func (sr *scriptRunner) start() {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.started || sr.stopped {
		return
	}
	sr.started = true
	go sr.run()
}

// stop ends the scheduler, kills the running scripts (SIGKILL) and waits
// for them; nothing queued runs afterwards.
func (sr *scriptRunner) stop() {
	sr.mu.Lock()
	started := sr.started && !sr.stopped
	sr.stopped = true
	sr.mu.Unlock()
	if started {
		close(sr.quit)
		<-sr.done
	}
	sr.mu.Lock()
	for _, j := range sr.queue {
		if j.proc != nil {
			_ = j.proc.Kill()
		}
	}
	sr.mu.Unlock()
	sr.waiters.Wait()
}

// run is the scheduler: start what is due, kill what ran too long, sleep
// until the next of those moments or until poked.
func (sr *scriptRunner) run() {
	defer close(sr.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := sr.step()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if next > 0 {
			timer.Reset(next)
		}
		select {
		case <-sr.quit:
			return
		case <-sr.wake:
		case <-timer.C:
		}
	}
}

// step does one scheduling round and returns how long until the next
// one is needed (0: only when poked).
func (sr *scriptRunner) step() time.Duration {
	sr.mu.Lock()
	now := sr.now()
	var next time.Duration
	soonest := func(d time.Duration) {
		if d <= 0 {
			d = time.Millisecond
		}
		if next == 0 || d < next {
			next = d
		}
	}
	var due []*scriptJob
	for _, j := range sr.queue {
		switch {
		case j.running && j.proc != nil && !j.timedOut:
			if left := j.start.Add(j.maxRuntime).Sub(now); left > 0 {
				soonest(left)
				continue
			}
			j.timedOut = true
			sr.sh.emit(core.LevelWarning, "-script-timeout", j.argv[0]+" "+strconv.Itoa(j.pid))
			_ = j.proc.Kill()
		case !j.running && sr.running+len(due) < scriptMaxRunning:
			if !j.start.IsZero() && j.start.After(now) {
				soonest(j.start.Sub(now))
				continue
			}
			j.running = true
			j.retryNum++
			j.start = now
			due = append(due, j)
		}
	}
	sr.running += len(due)
	sr.mu.Unlock()
	// Forking is slow next to a mutex hold: the processes start outside
	// the lock; the jobs are already marked running.
	for _, j := range due {
		if d := sr.exec(j); d > 0 {
			soonest(d)
		}
	}
	return next
}

// exec starts j's process: the parent's environment, stdin from
// /dev/null, stdout and stderr shared with this process (as a forked
// redis-sentinel child has them), no other descriptor (Go opens every
// file and socket close-on-exec, and passes no ExtraFiles). argv[0] is
// used as given, without a PATH search, like execve. It returns the time
// until j's runtime limit.
func (sr *scriptRunner) exec(j *scriptJob) time.Duration {
	cmd := &exec.Cmd{Path: j.argv[0], Args: j.argv, Stdout: os.Stdout, Stderr: os.Stderr}
	err := cmd.Start()
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if err != nil {
		// A failed fork is Redis's "<path> 99 0"; an exec failure happens
		// in Redis's child, which then exits with 2 (no retry).
		sig, code := 0, 2
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM) {
			sig, code = 99, 0
		}
		sr.running--
		sr.remove(j)
		sr.sh.emit(core.LevelWarning, "-script-error", scriptResult(j.argv[0], sig, code))
		return 0
	}
	j.proc, j.pid = cmd.Process, cmd.Process.Pid
	if sr.stopped {
		_ = j.proc.Kill()
	}
	sr.sh.emit(core.LevelDebug, "+script-child", strconv.Itoa(j.pid))
	sr.waiters.Add(1)
	go sr.wait(j, cmd)
	return j.maxRuntime
}

// wait collects j's exit: exit code 1 or a signal means "retry later"
// (up to scriptMaxRetry runs, the delay doubling each time); any other
// failure, or the last retry, is a -script-error.
func (sr *scriptRunner) wait(j *scriptJob, cmd *exec.Cmd) {
	defer sr.waiters.Done()
	_ = cmd.Wait() // the outcome is in ProcessState
	sig, code := 0, 0
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			sig = int(ws.Signal())
		} else {
			code = ws.ExitStatus()
		}
	} else {
		code = cmd.ProcessState.ExitCode()
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	sr.running--
	sr.sh.emit(core.LevelDebug, "-script-child", strconv.Itoa(j.pid)+" "+strconv.Itoa(sig)+" "+strconv.Itoa(code))
	if sr.stopped {
		sr.remove(j)
		return
	}
	if (sig != 0 || code == 1) && j.retryNum < scriptMaxRetry {
		j.running, j.proc, j.pid, j.timedOut = false, nil, 0, false
		j.start = sr.now().Add(retryDelay(j.retryDelay, j.retryNum))
	} else {
		sr.remove(j)
		if sig != 0 || code != 0 {
			sr.sh.emit(core.LevelWarning, "-script-error", scriptResult(j.argv[0], sig, code))
		}
	}
	sr.poke()
}

// retryDelay is the pause before run number retryNum+1: the base delay,
// doubled for every run after the first.
func retryDelay(base time.Duration, retryNum int) time.Duration {
	d := base
	for n := retryNum; n > 1; n-- {
		d *= 2
	}
	return d
}

func scriptResult(path string, sig, code int) string {
	return strings.Join([]string{path, strconv.Itoa(sig), strconv.Itoa(code)}, " ")
}

// remove takes j out of the queue. Caller holds sr.mu.
func (sr *scriptRunner) remove(j *scriptJob) {
	if i := slices.Index(sr.queue, j); i >= 0 {
		sr.queue = slices.Delete(sr.queue, i, i+1)
	}
}

package sentinel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
	"github.com/wardenhq/warden/sentinel/core"
)

// waitEvent waits for an event of type typ on ch and returns it.
func waitEvent(t *testing.T, ch <-chan Event, typ string, within time.Duration) Event {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed waiting for %s", typ)
			}
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %v", typ, within)
		}
	}
}

func noEvent(t *testing.T, ch <-chan Event, typ string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-ch:
			if ev.Type == typ {
				t.Fatalf("unexpected %s %q", typ, ev.Payload)
			}
		case <-deadline:
			return
		}
	}
}

func lineCount(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestScriptRetriesOnExit1ThenFails(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	script := writeScript(t, "echo run >> "+runs+"\nexit 1")
	// Ten runs with delays 1, 2, 4 ... 256 ms: about half a second.
	s, rec, _, _ := newEventShell(t, core.Timing{ScriptMaxRuntime: 10 * time.Second, ScriptRetryDelay: time.Millisecond})
	ch, unsub := s.Subscribe(1000)
	defer unsub()
	s.shell.start()
	rec.locked(func() { s.shell.RunScript(script, "a", "b") })
	ev := waitEvent(t, ch, "-script-error", 20*time.Second)
	if ev.Payload != script+" 0 1" || ev.Level != core.LevelWarning || ev.Master != "" {
		t.Errorf("-script-error event %+v", ev)
	}
	if n := lineCount(t, runs); n != scriptMaxRetry {
		t.Errorf("script ran %d times, want %d", n, scriptMaxRetry)
	}
	if n := s.shell.queuedScripts(); n != 0 {
		t.Errorf("%d scripts queued after the last retry", n)
	}
}

func TestScriptRetrySchedule(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{{1, 30 * time.Second}, {2, 60 * time.Second}, {3, 120 * time.Second}, {9, 256 * 30 * time.Second}} {
		if got := retryDelay(30*time.Second, tt.n); got != tt.want {
			t.Errorf("retryDelay(30s, %d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	script := writeScript(t, "exit 1")
	s, rec, _, _ := newEventShell(t, core.Timing{ScriptMaxRuntime: 10 * time.Second, ScriptRetryDelay: time.Hour})
	s.shell.start()
	rec.locked(func() { s.shell.RunScript(script, "x") })
	var ps []pendingScript
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		ps = s.shell.pendingScripts()
		return len(ps) == 1 && !ps[0].Running && ps[0].RetryNum == 1, fmt.Sprintf("pending %+v", ps)
	})
	p := ps[0]
	if p.Pid != 0 || p.RunDelay <= 59*time.Minute || p.RunDelay > time.Hour || p.RunTime != 0 ||
		strings.Join(p.Argv, " ") != script+" x" {
		t.Errorf("scheduled retry %+v", p)
	}
	if s.shell.runningScripts() != 0 || s.shell.queuedScripts() != 1 {
		t.Errorf("running %d, queued %d", s.shell.runningScripts(), s.shell.queuedScripts())
	}
}

func TestScriptExitCodes(t *testing.T) {
	for _, tt := range []struct {
		name, body, path string
		wantErr          string // -script-error payload after the path; "" for none
	}{
		{name: "success", body: "exit 0"},
		{name: "exit2", body: "exit 2", wantErr: " 0 2"},
		{name: "exit3", body: "exit 3", wantErr: " 0 3"},
		{name: "missing", path: "/nonexistent/script.sh", wantErr: " 0 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runs := filepath.Join(t.TempDir(), "runs")
			path := tt.path
			if path == "" {
				path = writeScript(t, "echo run >> "+runs+"\n"+tt.body)
			}
			s, rec, pub, _ := newEventShell(t, core.Timing{ScriptMaxRuntime: 10 * time.Second, ScriptRetryDelay: time.Millisecond})
			ch, unsub := s.Subscribe(100)
			defer unsub()
			s.shell.start()
			rec.locked(func() { s.shell.RunScript(path) })
			if tt.wantErr != "" {
				ev := waitEvent(t, ch, "-script-error", 10*time.Second)
				if ev.Payload != path+tt.wantErr {
					t.Errorf("-script-error %q, want %q", ev.Payload, path+tt.wantErr)
				}
			} else {
				ev := waitEvent(t, ch, "-script-child", 10*time.Second)
				if !strings.HasSuffix(ev.Payload, " 0 0") {
					t.Errorf("-script-child %q", ev.Payload)
				}
				noEvent(t, ch, "-script-error", 100*time.Millisecond)
			}
			testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
				return s.shell.queuedScripts() == 0, fmt.Sprintf("%d queued", s.shell.queuedScripts())
			})
			if tt.path == "" {
				if n := lineCount(t, runs); n != 1 {
					t.Errorf("ran %d times, want 1", n)
				}
			}
			// Debug events (+script-child, -script-child) are not published.
			for _, m := range pub.all() {
				if strings.Contains(m, "script-child") {
					t.Errorf("published %q", m)
				}
			}
		})
	}
}

func TestScriptTimeout(t *testing.T) {
	script := writeScript(t, "exec sleep 30")
	s, rec, _, _ := newEventShell(t, core.Timing{ScriptMaxRuntime: 200 * time.Millisecond, ScriptRetryDelay: time.Hour})
	ch, unsub := s.Subscribe(100)
	defer unsub()
	s.shell.start()
	rec.locked(func() { s.shell.RunScript(script) })
	var pid int
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		ps := s.shell.pendingScripts()
		if len(ps) == 1 && ps[0].Running && ps[0].Pid > 0 {
			pid = ps[0].Pid
			return true, ""
		}
		return false, fmt.Sprintf("pending %+v", ps)
	})
	ev := waitEvent(t, ch, "-script-timeout", 5*time.Second)
	if ev.Payload != script+" "+strconv.Itoa(pid) {
		t.Errorf("-script-timeout %q, want pid %d", ev.Payload, pid)
	}
	// Killed by a signal: retried later, not an error yet.
	ev = waitEvent(t, ch, "-script-child", 5*time.Second)
	if ev.Payload != fmt.Sprintf("%d %d 0", pid, syscall.SIGKILL) {
		t.Errorf("-script-child %q", ev.Payload)
	}
	testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
		ps := s.shell.pendingScripts()
		return len(ps) == 1 && !ps[0].Running && ps[0].RetryNum == 1, fmt.Sprintf("pending %+v", ps)
	})
	noEvent(t, ch, "-script-error", 50*time.Millisecond)
}

func TestScriptQueueLimits(t *testing.T) {
	script := writeScript(t, "exec sleep 30")
	s, rec, _, _ := newEventShell(t, core.Timing{ScriptMaxRuntime: time.Minute, ScriptRetryDelay: time.Hour})
	s.shell.start()
	rec.locked(func() {
		for i := 0; i < 20; i++ {
			s.shell.RunScript(script, strconv.Itoa(i))
		}
	})
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		n := 0
		for _, p := range s.shell.pendingScripts() {
			if p.Running && p.Pid > 0 {
				n++
			}
		}
		return n == scriptMaxRunning, fmt.Sprintf("%d running with a pid", n)
	})
	if r, q := s.shell.runningScripts(), s.shell.queuedScripts(); r != 16 || q != 20 {
		t.Fatalf("running %d, queued %d; want 16, 20", r, q)
	}
	// 240 more: the queue holds 256, dropping the oldest scheduled ones
	// (16..19), never a running one.
	rec.locked(func() {
		for i := 20; i < 260; i++ {
			s.shell.RunScript(script, strconv.Itoa(i))
		}
	})
	ps := s.shell.pendingScripts()
	if len(ps) != scriptMaxQueue {
		t.Fatalf("queue length %d, want %d", len(ps), scriptMaxQueue)
	}
	var pids []int
	for i, p := range ps {
		want := i
		if i >= 16 {
			want = i + 4
		}
		if p.Argv[1] != strconv.Itoa(want) || p.Running != (i < 16) {
			t.Fatalf("entry %d: %+v, want argument %d", i, p, want)
		}
		if p.Running {
			pids = append(pids, p.Pid)
		}
	}
	// stop kills the running scripts and waits for them.
	s.shell.stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("script pid %d still exists after stop: %v", pid, err)
		}
	}
}

// The script sees no descriptor of the sentinel beyond stdin, stdout and
// stderr: not the links' sockets, not the listener, not the log file.
func TestScriptNoLeakedDescriptors(t *testing.T) {
	fs := newFakeServer(t)
	out := filepath.Join(t.TempDir(), "fds")
	script := writeScript(t, `exec ls -l /proc/self/fd > "$1"`)
	s, rec, _, _ := newEventShell(t, core.Timing{ScriptMaxRuntime: 10 * time.Second, ScriptRetryDelay: time.Hour})
	s.shell.start()
	m := newInstance(core.KindMaster, fs.port())
	rec.locked(func() { s.shell.Open(m.Link, m) })
	rec.waitLog(t, "up cc")
	rec.waitLog(t, "up pc")
	f, err := os.Create(filepath.Join(t.TempDir(), "open-file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec.locked(func() { s.shell.RunScript(script, out) })
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		return s.shell.queuedScripts() == 0 && lineCount(t, out) > 0, "script not finished"
	})
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	inherited, sockets := ownDescriptors(t)
	if sockets < 5 {
		t.Fatalf("the test process has %d sockets open; want the listener and four link ends", sockets)
	}
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.Index(line, " -> ")
		if i < 0 {
			continue
		}
		fields := strings.Fields(line[:i])
		fd, err := strconv.Atoi(fields[len(fields)-1])
		if err != nil {
			t.Fatalf("cannot parse %q", line)
		}
		seen++
		target := line[i+4:]
		// fd 3 and up may only be ls's own handle on /proc/<pid>/fd, or
		// what the test process itself inherited without close-on-exec
		// (the environment running the tests may leave some open).
		if fd >= 3 && !strings.HasPrefix(target, "/proc/") && inherited[fd] != target {
			t.Errorf("descriptor leaked into the script: %s", line)
		}
	}
	if seen < 3 {
		t.Fatalf("listing has %d descriptors:\n%s", seen, b)
	}
}

// ownDescriptors lists this process's descriptors that are not
// close-on-exec (fd -> link target), and counts its sockets.
func ownDescriptors(t *testing.T) (inherited map[int]string, sockets int) {
	const oCloexec = 0o2000000
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	inherited = make(map[int]string)
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory handle ReadDir used, now closed
		}
		if strings.HasPrefix(target, "socket:") {
			sockets++
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err == nil && flags&oCloexec == 0 {
					inherited[fd] = target
				}
			}
		}
	}
	return inherited, sockets
}

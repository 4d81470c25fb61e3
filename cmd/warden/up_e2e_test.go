package main

import (
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// consecutivePorts returns n consecutive free ports on 127.0.0.1 (warden up
// numbers its nodes and sentinels from a base port). It looks below the
// kernel's ephemeral range, where the neighbours of a port the kernel just
// handed out are often taken by the outgoing connections of tests running
// in parallel; like FreePorts, it holds all the listeners until it has
// them all.
func consecutivePorts(t *testing.T, n int) []int {
	t.Helper()
	lo, hi := 20000, 32000
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if first, err := strconv.Atoi(f[0]); err == nil && first > 2000 && first < hi {
				hi = first
				lo = min(lo, hi/2)
			}
		}
	}
	for attempt := 0; attempt < 200; attempt++ {
		first := lo + rand.Intn(hi-lo-n)
		var lns []net.Listener
		ok := true
		for p := first; p < first+n; p++ {
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			ports := make([]int, n)
			for i := range ports {
				ports[i] = first + i
			}
			return ports
		}
	}
	t.Fatalf("no %d consecutive free ports found", n)
	return nil
}

// childPids lists the processes whose parent is pid, from /proc.
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parens.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			p, _ := strconv.Atoi(strings.Fields(s)[0])
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid is a live process (a zombie waiting for its
// reaper is dead).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

func waitGone(t *testing.T, pids []int, timeout time.Duration) {
	t.Helper()
	testutil.WaitFor(t, timeout, 50*time.Millisecond, func() (bool, string) {
		for _, p := range pids {
			if alive(p) {
				return false, fmt.Sprintf("child pid %d still running", p)
			}
		}
		return true, ""
	})
}

// startUp runs `warden up` with args and waits for its "what to try"
// table.
func startUp(t *testing.T, bin string, args []string) *testutil.Proc {
	t.Helper()
	p := testutil.StartProcess(t, bin, append([]string{"up"}, args...), nil)
	testutil.WaitFor(t, 120*time.Second, 100*time.Millisecond, func() (bool, string) {
		if p.Exited() {
			t.Fatalf("warden up exited:\n%s", p.Output())
		}
		return strings.Contains(p.Output(), "Ctrl-C stops everything"), "no table yet:\n" + p.Output()
	})
	return p
}

func infoField(t *testing.T, addr, section, field string) string {
	t.Helper()
	c := testutil.Dial(t, addr)
	defer c.Close()
	m := regexp.MustCompile(`(?m)^` + field + `:(\S*)`).FindStringSubmatch(string(c.Do("INFO", section)))
	if m == nil {
		t.Fatalf("%s: INFO %s has no %s", addr, section, field)
	}
	return m[1]
}

// tryDo sends one command on a new connection and returns the raw reply,
// or the error as text: for polling through a failover.
func tryDo(t *testing.T, addr string, args ...string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err.Error()
	}
	rc := testutil.NewRawConn(t, c)
	defer rc.Close()
	rc.SetTimeout(10 * time.Second)
	reply, err := rc.TryDo(args...)
	if err != nil {
		return err.Error()
	}
	return string(reply)
}

// TestUpStack runs the whole stack: `warden up` on free ports, a write
// through the write port read back through the read port, `warden status`
// from a sentinel and the proxy, kill -9 of the master and writes resuming
// on the write port, a clean stop that leaves no child behind; then a
// second start on the same directory that finds the data, and a kill -9 of
// `warden up` itself that takes its children with it.
func TestUpStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts seven processes")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the child processes")
	}
	bin := testutil.BuildWarden(t)
	nodes := consecutivePorts(t, 3)
	sentinels := consecutivePorts(t, 3)
	other := testutil.FreePorts(t, 3)
	write, read := "127.0.0.1:"+strconv.Itoa(other[0]), "127.0.0.1:"+strconv.Itoa(other[1])
	httpAddr := "127.0.0.1:" + strconv.Itoa(other[2])
	nodeAddr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(nodes[i]) }
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"--dir", dir, "--base-port", strconv.Itoa(nodes[0]), "--sentinel-port", strconv.Itoa(sentinels[0]),
		"--write-port", strconv.Itoa(other[0]), "--read-port", strconv.Itoa(other[1]), "--http", httpAddr,
		"--down-after", "2000", "--refused-fast-path", "300ms"}

	up := startUp(t, bin, args)
	pids := childPids(t, up.Pid())
	if len(pids) != 7 {
		t.Fatalf("warden up has %d children %v, want 7 (3 nodes, 3 sentinels, the proxy)", len(pids), pids)
	}
	masterPid, _ := strconv.Atoi(infoField(t, nodeAddr(0), "server", "process_id"))
	if !strings.Contains(up.Output(), fmt.Sprintf("kill -9 %d", masterPid)) {
		t.Errorf("the table does not suggest killing the master, pid %d:\n%s", masterPid, up.Output())
	}

	w := testutil.Dial(t, write)
	if got := string(w.Do("SET", "k", "v")); got != "+OK\r\n" {
		t.Fatalf("SET through the write port: %q", got)
	}
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := tryDo(t, read, "GET", "k")
		return got == "$1\r\nv\r\n", "GET k through the read port: " + got
	})
	// Both replicas have it, so the promoted one will.
	for _, i := range []int{1, 2} {
		testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
			got := tryDo(t, nodeAddr(i), "GET", "k")
			return got == "$1\r\nv\r\n", nodeAddr(i) + " GET k: " + got
		})
	}

	out, err := exec.Command(bin, "status", "--sentinel", "127.0.0.1:"+strconv.Itoa(sentinels[0]), "--proxy", "http://"+httpAddr).CombinedOutput()
	if err != nil {
		t.Fatalf("warden status: %v\n%s", err, out)
	}
	for _, want := range []string{
		"mymaster  master " + nodeAddr(0) + "  [master]", // the sentinel's view
		nodeAddr(1), nodeAddr(2),
		"127.0.0.1:" + strconv.Itoa(sentinels[2]),
		"mymaster  master " + nodeAddr(0) + "  [confirmed]", // the proxy's
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("warden status lacks %q:\n%s", want, out)
		}
	}

	if err := syscall.Kill(masterPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := tryDo(t, write, "SET", "k2", "v2")
		return got == "+OK\r\n", "SET through the write port after the kill: " + got
	})
	t.Logf("kill -9 of the master to the first write acknowledged through the write port: %v", time.Since(killed).Round(time.Millisecond))
	if got := tryDo(t, write, "GET", "k"); got != "$1\r\nv\r\n" {
		t.Errorf("GET k from the new master: %q", got)
	}
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		return strings.Contains(up.Output(), fmt.Sprintf("(pid %d) exited: signal: killed", masterPid)), "the kill not reported:\n" + up.Output()
	})

	if err := up.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := up.Wait(); err != nil {
		t.Fatalf("warden up after SIGTERM: %v\n%s", err, up.Output())
	}
	waitGone(t, pids, 5*time.Second)
	if !strings.Contains(up.Output(), "warden up: stopped") {
		t.Errorf("no stop message:\n%s", up.Output())
	}

	// Again on the same directory: the data is back, on whichever node is
	// the master now.
	up2 := startUp(t, bin, args)
	if !strings.Contains(up2.Output(), "resuming from") {
		t.Errorf("the second start does not say it resumes:\n%s", up2.Output())
	}
	pids = childPids(t, up2.Pid())
	if len(pids) != 7 {
		t.Fatalf("second warden up has %d children, want 7", len(pids))
	}
	// The old master boots as a master; the table waits for the sentinels
	// to turn it into a replica and names the real one.
	named := string(testutil.Dial(t, "127.0.0.1:"+strconv.Itoa(sentinels[0])).Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
	m := regexp.MustCompile(`\$\d+\r\n(\d+)\r\n$`).FindStringSubmatch(named)
	if m == nil || m[1] == strconv.Itoa(nodes[0]) {
		t.Fatalf("the sentinels name %q as the master", named)
	}
	newMasterPid := infoField(t, "127.0.0.1:"+m[1], "server", "process_id")
	if !strings.Contains(up2.Output(), "kill -9 "+newMasterPid+" ") {
		t.Errorf("the table does not suggest killing the master on port %s, pid %s:\n%s", m[1], newMasterPid, up2.Output())
	}
	if strings.Contains(up2.Output(), "not the sentinels'") || strings.Contains(up2.Output(), "warning") {
		t.Errorf("the roles had not settled:\n%s", up2.Output())
	}
	for k, v := range map[string]string{"k": "v", "k2": "v2"} {
		testutil.WaitFor(t, 15*time.Second, 50*time.Millisecond, func() (bool, string) {
			got := tryDo(t, write, "GET", k)
			return got == fmt.Sprintf("$%d\r\n%s\r\n", len(v), v), "GET " + k + " after the restart: " + got
		})
	}
	// kill -9 of warden up itself: the kernel takes the children down.
	up2.Kill()
	waitGone(t, pids, 10*time.Second)
}

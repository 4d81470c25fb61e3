package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

// writer keeps writing through a client and records, per master address
// it wrote to, how many writes were acknowledged.
type writer struct {
	mu     sync.Mutex
	okAt   map[string]int
	errors int
	last   error
}

func (w *writer) record(addr string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errors++
		w.last = err
		return
	}
	w.okAt[addr]++
}

func (w *writer) acked(addr string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.okAt[addr]
}

func (w *writer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("acked per master %v, %d errors (last: %v)", w.okAt, w.errors, w.last)
}

// TestSentinelGoRedisFailoverClient: go-redis's NewFailoverClient, pointed
// at three warden sentinels, keeps writing through a kill -9 failover.
func TestSentinelGoRedisFailoverClient(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
	var addrs []string
	for _, s := range g.sentinels {
		addrs = append(addrs, s.addr())
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    groupName,
		SentinelAddrs: addrs,
		DialTimeout:   500 * time.Millisecond,
		ReadTimeout:   500 * time.Millisecond,
		WriteTimeout:  500 * time.Millisecond,
		MaxRetries:    -1,
	})
	defer fc.Close()
	w := &writer{okAt: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var remote string
			err := fc.Incr(ctx, "counter").Err()
			if err == nil {
				// Which node took it: the port of a pooled connection, which
				// go-redis only keeps to the master it believes in.
				var vals map[string]string
				if vals, err = fc.ConfigGet(ctx, "port").Result(); err == nil {
					remote = "127.0.0.1:" + vals["port"]
				}
			}
			w.record(remote, err)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	old := g.nodes[0]
	oldKey := "127.0.0.1:" + strconv.Itoa(old.port)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		return w.acked(oldKey) >= 20, w.String()
	})
	old.proc.Kill()
	newMaster := g.waitNewMaster(old, 40*time.Second)
	newKey := "127.0.0.1:" + strconv.Itoa(newMaster.port)
	testutil.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		return w.acked(newKey) >= 20, "after the failover: " + w.String()
	})
	cancel()
	<-done
	t.Logf("go-redis FailoverClient: %s", w)
}

// redisPyWriter is run by /usr/bin/python3 with Debian's python3-redis:
// it discovers the master through the sentinels given as arguments,
// increments a counter in a loop, and prints "ok <master-port>" for each
// acknowledged write and "err <type>" for each failure.
const redisPyWriter = `
import sys, time
from redis.sentinel import Sentinel
ports = [int(p) for p in sys.argv[1:]]
s = Sentinel([("127.0.0.1", p) for p in ports], socket_timeout=0.5)
m = s.master_for("mymaster", socket_timeout=0.5)
end = time.time() + 90
while time.time() < end:
    try:
        m.incr("pycounter")
        host, port = m.connection_pool.get_master_address()
        print("ok", port, flush=True)
    except Exception as e:
        print("err", type(e).__name__, flush=True)
    time.sleep(0.01)
`

// TestSentinelRedisPy: redis-py's Sentinel.master_for keeps writing through
// a failover driven by warden sentinels.
func TestSentinelRedisPy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import redis.sentinel").Run(); err != nil {
		t.Skipf("redis-py not available for %s (%v): apt-get install python3-redis", py, err)
	}
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
	args := []string{"-c", redisPyWriter}
	for _, s := range g.sentinels {
		args = append(args, strconv.Itoa(s.port))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, args...)
	out, err := cmd.StdoutPipe()
	must(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	defer func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("redis-py stderr:\n%s", stderr.String())
		}
	}()
	w := &writer{okAt: map[string]int{}}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 2 && f[0] == "ok":
				w.record("127.0.0.1:"+f[1], nil)
			case len(f) >= 1 && f[0] == "err":
				w.record("", fmt.Errorf("%s", strings.Join(f[1:], " ")))
			}
		}
	}()
	old := g.nodes[0]
	testutil.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
		return w.acked(old.addr()) >= 20, w.String()
	})
	old.proc.Kill()
	newMaster := g.waitNewMaster(old, 40*time.Second)
	testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
		return w.acked(newMaster.addr()) >= 20, "after the failover: " + w.String()
	})
	t.Logf("redis-py Sentinel: %s", w)
}

package e2e

// Failover under load through the proxy's write port: numbered writes keep
// going while the master is killed or paused; afterwards every write the
// proxy acknowledged is looked for on the final master.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

// startProxyFor starts `warden proxy` with a write and a read port for g,
// following g's sentinels as external sentinels. It returns the write and
// read addresses.
func startProxyFor(t *testing.T, g *group) (write, read string) {
	t.Helper()
	ports := testutil.FreePorts(t, 2)
	write, read = "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	var addrs []string
	for _, s := range g.sentinels {
		addrs = append(addrs, fmt.Sprintf("%q", s.addr()))
	}
	conf := filepath.Join(t.TempDir(), "proxy.yaml")
	yaml := fmt.Sprintf(`http: ""
groups:
  - name: %s
    write: %s
    read: %s
    failover-hold: 10s
    sentinels:
      addrs: [%s]
      poll-interval: 200ms
`, groupName, write, read, strings.Join(addrs, ", "))
	must(t, os.WriteFile(conf, []byte(yaml), 0o644))
	testutil.StartProcess(t, testutil.BuildWarden(t), []string{"proxy", "-c", conf}, testutil.PingReady(write))
	return write, read
}

// numberedWriters keeps n clients writing w:<client>:<seq> through addr,
// one write at a time, and records which writes were acknowledged.
type numberedWriters struct {
	mu     sync.Mutex
	acked  map[string]bool
	last   time.Time // last acknowledgement
	gap    time.Duration
	errors int
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startWriters(t *testing.T, addr string, n int) *numberedWriters {
	ctx, cancel := context.WithCancel(context.Background())
	w := &numberedWriters{acked: map[string]bool{}, cancel: cancel, last: time.Now()}
	for i := 0; i < n; i++ {
		c := newClient(t, addr, func(o *redis.Options) {
			o.ReadTimeout = 2 * time.Second
			o.PoolSize = 1
		})
		w.done.Add(1)
		go func(i int) {
			defer w.done.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				key := fmt.Sprintf("w:%d:%d", i, seq)
				err := c.Set(ctx, key, seq, 0).Err()
				now := time.Now()
				w.mu.Lock()
				if err == nil {
					w.acked[key] = true
					if d := now.Sub(w.last); d > w.gap {
						w.gap = d
					}
					w.last = now
				} else {
					w.errors++
				}
				w.mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}(i)
	}
	return w
}

func (w *numberedWriters) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *numberedWriters) stop() {
	w.cancel()
	w.done.Wait()
}

// missing lists the acknowledged writes the node at addr does not have.
func (w *numberedWriters) missing(t *testing.T, addr string) []string {
	t.Helper()
	c := newClient(t, addr, nil)
	ctx := ctxT(t)
	w.mu.Lock()
	keys := make([]string, 0, len(w.acked))
	for k := range w.acked {
		keys = append(keys, k)
	}
	w.mu.Unlock()
	var out []string
	for i := 0; i < len(keys); i += 500 {
		batch := keys[i:min(i+500, len(keys))]
		n, err := c.Exists(ctx, batch...).Result()
		must(t, err)
		if int(n) == len(batch) {
			continue
		}
		for _, k := range batch {
			if c.Exists(ctx, k).Val() == 0 {
				out = append(out, k)
			}
		}
	}
	return out
}

func TestProxyFailoverUnderLoad(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause bool
	}{{"kill -9", false}, {"SIGSTOP", true}} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
			write, read := startProxyFor(t, g)
			w := startWriters(t, write, 4)
			defer w.stop()
			testutil.WaitFor(t, 20*time.Second, 20*time.Millisecond, func() (bool, string) {
				return w.count() >= 200, fmt.Sprintf("%d writes acknowledged", w.count())
			})
			old := g.nodes[0]
			if tc.pause {
				must(t, old.proc.Signal(syscall.SIGSTOP))
			} else {
				old.proc.Kill()
			}
			newMaster := g.waitNewMaster(old, 40*time.Second)
			before := w.count()
			testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
				return w.count() >= before+200, fmt.Sprintf("%d writes acknowledged since the switch", w.count()-before)
			})
			if tc.pause {
				// The old master wakes up with writes still queued for it.
				must(t, old.proc.Signal(syscall.SIGCONT))
				g.waitReplicaOf(old, newMaster, 60*time.Second)
			}
			w.stop()
			defer func() {
				if t.Failed() {
					t.Logf("events:\n%s", g.events)
				}
			}()
			// Reads through the read port still work. (A writer's first
			// write may have failed at start-up, so take one that was
			// acknowledged.)
			var key string
			w.mu.Lock()
			for k := range w.acked {
				key = k
				break
			}
			w.mu.Unlock()
			testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
				got, err := newClient(t, read, nil).Get(ctxT(t), key).Result()
				if err == nil && strings.HasSuffix(key, ":"+got) {
					return true, ""
				}
				var nodes []string
				for _, n := range g.nodes {
					if n.proc != nil && !n.proc.Exited() {
						r := g.role(n)
						v, _ := newClient(t, n.addr(), nil).Get(ctxT(t), key).Result()
						size, _ := newClient(t, n.addr(), nil).DBSize(ctxT(t)).Result()
						nodes = append(nodes, fmt.Sprintf("%s role=%s link=%s %s=%q dbsize=%d", n.addr(), r["role"], r["master_link_status"], key, v, size))
					}
				}
				return false, fmt.Sprintf("GET %s through the read port: %q %v; nodes: %v", key, got, err, nodes)
			})
			lost := w.missing(t, newMaster.addr())
			t.Logf("%s of the master: %d writes acknowledged, %d errors, longest gap %v, %d acknowledged writes missing on the new master",
				tc.name, w.count(), w.errors, w.gap.Round(time.Millisecond), len(lost))
			if tc.pause && len(lost) > 0 {
				// A paused master took no writes the replicas lack before
				// the pause; anything missing was acknowledged by it after
				// its replacement.
				t.Fatalf("%d acknowledged writes missing after the pause, e.g. %v", len(lost), lost[:min(5, len(lost))])
			}
		})
	}
}

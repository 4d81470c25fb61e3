package sentinel

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend"
	"github.com/wardenhq/warden/sentinel/core"
)

// Config says how to build a Sentinel. The zero value of every field but
// Path is a usable default.
type Config struct {
	// Path is the sentinel.conf file. It is required and must be
	// writable: a sentinel keeps its state (myid, epochs, the replicas and
	// sentinels it discovered) there, so that a restart resumes where it
	// stopped.
	Path string
	// Args are command-line overrides in redis-sentinel's form
	// ("--port", "26380", "--sentinel", "monitor", ...), applied after
	// the file.
	Args []string
	// Logger receives the log; nil discards it.
	Logger *zap.Logger
	// Now is the clock fed to the decision core; nil means time.Now.
	// Tests inject one to control time.
	Now func() time.Time
}

// Sentinel is one running sentinel: the decision core, the links to the
// monitored nodes and peer sentinels, the client port, the config file.
type Sentinel struct {
	// mu serialises every call into core, from the timer, the links and
	// the SENTINEL commands. Lock order: the backend server's lock (held
	// while a command runs) before mu; nothing that holds mu may wait for
	// the backend lock, which is why events are queued (events.go).
	mu   sync.Mutex
	core *core.Core
	log  *zap.Logger
	now  func() time.Time

	srv   *backend.Server // the client port
	shell *shell          // links, scripts and events (links.go, events.go)

	path string // absolute path of sentinel.conf
	addr string // host:port clients dial

	quit      chan struct{} // closed to stop the timer
	timerDone chan struct{} // closed when the timer goroutine returned
	startMu   sync.Mutex    // guards started against Close racing Start
	started   bool
	// listening is set once the client port is open. Until then state
	// changes (the id picked at load) are kept dirty, not written: like
	// redis-sentinel, a sentinel that cannot start leaves its file alone.
	listening atomic.Bool
	stopOnce  sync.Once
	closeOnce sync.Once
	stopErr   error // the final config flush's, set by stop
}

// New loads the configuration and builds a sentinel, without opening any
// connection yet (Start does). A bad sentinel directive comes back as a
// *redisconf.LineError naming the file and line, like any other bad
// config line.
func New(cfg Config) (*Sentinel, error) {
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// An empty path is LoadSentinelConfig's to refuse, with Redis's text.
	path := cfg.Path
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("sentinel: config file %s: %w", path, err)
		}
		path = abs
	}
	opts, dirs, err := backend.LoadSentinelConfig(path, cfg.Args, log)
	if err != nil {
		return nil, err
	}
	s := &Sentinel{
		log:       log,
		now:       now,
		path:      path,
		addr:      dialAddr(opts),
		quit:      make(chan struct{}),
		timerDone: make(chan struct{}),
	}
	s.shell = newShell(s)
	s.core = core.New(s.shell, rand.New(rand.NewSource(randomSeed())))
	s.core.Port = opts.Port
	s.core.RequirePass = opts.RequirePass
	s.core.Resolve = resolveHost
	s.core.Executable = executable
	if err := s.loadConfig(dirs); err != nil {
		return nil, err
	}
	srv, err := backend.New(opts, log)
	if err != nil {
		return nil, err
	}
	s.srv = srv
	s.register()
	// SHUTDOWN (and SIGTERM through Terminate) stop the client port; the
	// timer, the links and the final config flush go first. The hook runs
	// without the server lock, so waiting for the event publisher is safe.
	srv.OnShutdown(s.stop)
	return s, nil
}

// randomSeed seeds the core's jitter. Sentinels started together must not
// draw the same delays, so the seed comes from the system's randomness.
func randomSeed() int64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return time.Now().UnixNano()
	}
	return int64(binary.LittleEndian.Uint64(b[:]))
}

// dialAddr is the address a local client reaches the client port at: the
// first bind address, with wildcards replaced by loopback.
func dialAddr(opts *backend.Options) string {
	host := "127.0.0.1"
	if len(opts.Bind) > 0 {
		h := strings.TrimPrefix(opts.Bind[0], "-")
		switch h {
		case "*", "0.0.0.0", "":
		case "::", "::*":
			host = "::1"
		default:
			host = h
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(opts.Port))
}

// executable reports whether a script path may be run, as Redis's
// access(path, X_OK) check on notification-script and
// client-reconfig-script.
func executable(path string) bool {
	const xOK = 1
	return syscall.Access(path, xOK) == nil
}

// resolveTimeout bounds a hostname lookup; the core may call it under
// mu, as Redis's anetResolve blocks its event loop.
const resolveTimeout = 5 * time.Second

// resolveHost turns a host into an IP (the core's Resolve: it asks only
// when resolve-hostnames allows names). Like getaddrinfo's first answer,
// the first address wins.
func resolveHost(host string) (string, error) {
	if net.ParseIP(host) != nil {
		return host, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return "", err
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("%s: no address", host)
	}
	return addrs[0], nil
}

// Start opens the client port and the links and starts the timer. On an
// error nothing is left running.
func (s *Sentinel) Start() error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.started {
		return errors.New("sentinel: already started")
	}
	select {
	case <-s.quit:
		return errors.New("sentinel: closed")
	default:
	}
	if err := s.srv.Start(); err != nil {
		return err
	}
	s.listening.Store(true)
	s.started = true
	s.shell.start()
	var id string
	s.withCore(func(c *core.Core, now time.Time) {
		id = c.MyID
		c.StartupEvents()
	})
	s.log.Info("Sentinel ID", zap.String("event", "sentinel-id"), zap.String("myid", id))
	go s.timer()
	return nil
}

// timer is sentinelTimer's driver: a tick, then a randomised pause
// (NextTickDelay) so that sentinels started together do not act in
// lockstep.
func (s *Sentinel) timer() {
	defer close(s.timerDone)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		var d time.Duration
		s.withCore(func(c *core.Core, now time.Time) {
			c.Tick(now)
			d = c.NextTickDelay()
		})
		t.Reset(d)
	}
}

// stop ends everything but the client port: the timer, the links and
// scripts, then writes the config a last time. It runs once; later calls
// wait for the first to finish.
func (s *Sentinel) stop() {
	s.stopOnce.Do(func() {
		s.startMu.Lock()
		started := s.started
		close(s.quit)
		s.startMu.Unlock()
		if started {
			<-s.timerDone
			s.shell.stop()
			// A failure is logged by the flush itself; Close reports
			// it. A sentinel never started has nothing to save.
			s.stopErr = s.FlushConfig()
		}
	})
}

// Close stops the sentinel: timer, links, scripts and client port, and
// flushes the config if it was started, returning the flush's error (the
// state since the last successful save is then lost). It is idempotent
// and safe to call concurrently; it returns once the client port is
// closed.
func (s *Sentinel) Close() error {
	s.stop()
	s.closeOnce.Do(func() { s.srv.Shutdown() })
	s.startMu.Lock()
	started := s.started
	s.startMu.Unlock()
	if started {
		<-s.srv.Done()
	}
	return s.stopErr
}

// Done is closed when the client port has stopped, by Close or by the
// SHUTDOWN command. Call Close afterwards to finish the stop.
func (s *Sentinel) Done() <-chan struct{} { return s.srv.Done() }

// Addr is the host:port of the client port (where SENTINEL, PING,
// SUBSCRIBE... are served).
func (s *Sentinel) Addr() string { return s.addr }

// ID is this sentinel's myid (40 hex characters).
func (s *Sentinel) ID() string {
	var id string
	s.withCore(func(c *core.Core, _ time.Time) { id = c.MyID })
	return id
}

// MasterAddr is what SENTINEL GET-MASTER-ADDR-BY-NAME answers: the
// master's address, or the promoted replica's once this sentinel, leading
// a failover, has seen it take over. ok is false for an unknown name.
func (s *Sentinel) MasterAddr(name string) (host string, port int, ok bool) {
	s.withCore(func(c *core.Core, _ time.Time) {
		host, port, ok = c.MasterAddr(name)
	})
	return host, port, ok
}

// MasterState is a snapshot of one monitored master and what this
// sentinel knows about its group. It is a copy: safe to keep and read
// without any lock.
type MasterState struct {
	Name string
	// Host and Port are the configured master address (SENTINEL MASTER's
	// ip/port); MasterAddr gives the one clients should use.
	Host string
	Port int
	// Flags are those of SENTINEL MASTER ("master", "s_down", "o_down",
	// "disconnected", "failover_in_progress", ...).
	Flags         []string
	Quorum        int
	ConfigEpoch   uint64
	FailoverState string // "none" outside a failover
	Replicas      []ReplicaState
	Sentinels     []SentinelState
}

// ReplicaState is a replica as the master's group knows it, from its
// INFO.
type ReplicaState struct {
	Host  string
	Port  int
	RunID string // "" until its INFO was read
	Flags []string
	// ReplOffset is slave_repl_offset; Priority is slave_priority.
	ReplOffset   int64
	Priority     int
	MasterLinkUp bool
	// Announced is false for replicas with replica-announced no, which
	// SENTINEL REPLICAS hides.
	Announced bool
}

// SentinelState is another sentinel watching the same master.
type SentinelState struct {
	RunID string
	Host  string
	Port  int
	Flags []string
}

// HasFlag reports whether flags contains f.
func HasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// Masters returns a snapshot of every monitored master, sorted by name.
func (s *Sentinel) Masters() []MasterState {
	var out []MasterState
	s.withCore(func(c *core.Core, _ time.Time) {
		for _, m := range c.MasterList() {
			out = append(out, snapshotMaster(m))
		}
	})
	return out
}

func snapshotMaster(m *core.Instance) MasterState {
	ms := MasterState{
		Name:          m.Name,
		Host:          m.Addr.Host,
		Port:          m.Addr.Port,
		Flags:         splitFlags(m.FlagsString()),
		Quorum:        m.Quorum,
		ConfigEpoch:   m.ConfigEpoch,
		FailoverState: m.FailoverState.String(),
	}
	for _, r := range sortedByName(m.Replicas) {
		ms.Replicas = append(ms.Replicas, ReplicaState{
			Host:         r.Addr.Host,
			Port:         r.Addr.Port,
			RunID:        r.RunID,
			Flags:        splitFlags(r.FlagsString()),
			ReplOffset:   r.SlaveReplOffset,
			Priority:     r.SlavePriority,
			MasterLinkUp: r.SlaveMasterLinkUp,
			Announced:    r.ReplicaAnnounced,
		})
	}
	for _, p := range sortedByName(m.Sentinels) {
		ms.Sentinels = append(ms.Sentinels, SentinelState{
			RunID: p.RunID,
			Host:  p.Addr.Host,
			Port:  p.Addr.Port,
			Flags: splitFlags(p.FlagsString()),
		})
	}
	return ms
}

func splitFlags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// sortedByName lists an instance table in name order. Redis answers in
// hash-table order, which no client relies on; a fixed order makes replies
// reproducible.
func sortedByName(m map[string]*core.Instance) []*core.Instance {
	out := make([]*core.Instance, 0, len(m))
	for _, ri := range m {
		out = append(out, ri)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// withCore runs f on the core under mu, then rewrites sentinel.conf if f
// changed persistent state (once the client port is open; before, the
// change stays pending). Every entry point into the core goes through
// it. A command that must report a failed rewrite (FLUSHCONFIG, MONITOR,
// SET...) saves inside f with saveLocked instead.
func (s *Sentinel) withCore(f func(c *core.Core, now time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.core, s.now())
	if s.listening.Load() && s.core.TakeDirty() {
		_ = s.flushConfigLocked()
	}
}

// saveLocked rewrites sentinel.conf now, whether or not the core marked a
// change, and returns the outcome (Redis's sentinelFlushConfig). Caller
// holds mu, i.e. runs inside withCore.
func (s *Sentinel) saveLocked() error {
	s.core.TakeDirty()
	return s.flushConfigLocked()
}

// FlushConfig rewrites sentinel.conf with the current state (SENTINEL
// FLUSHCONFIG).
func (s *Sentinel) FlushConfig() error {
	var err error
	s.withCore(func(*core.Core, time.Time) { err = s.saveLocked() })
	return err
}

// Terminate begins the stop the way SIGTERM does for redis-sentinel: the
// sentinel logs that it is exiting, stops its timer and links, saves its
// config and closes the client port; Done is closed at the end. It
// returns at once.
func (s *Sentinel) Terminate() error { return s.srv.Terminate() }

// Package backend is warden's Redis-compatible server node: connections on
// gnet event loops, the command table and dispatch, the keyspace and its data
// types, expiry, pub/sub, transactions, persistence and INFO/CONFIG.
//
// Concurrency model: gnet runs one event loop per core; each loop frames the
// commands of its connections and executes them holding the server lock
// (Server.mu), one pipelined batch at a time, so every command is atomic and
// each client sees its replies in order. Replies produced for a client by
// another client's command (pub/sub messages, unblocked pops) are appended
// to the target's reply buffer under the same lock and flushed by the
// target's own loop, woken with Conn.Wake.
package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"
)

// Server is one warden node.
type Server struct {
	opts *Options
	log  *zap.Logger

	mu sync.Mutex // the keyspace lock; see the package doc
	// trafficLocks counts the times an event loop took mu to run client
	// commands: a background walk pauses between chunks only while it
	// moves, so that it runs at full speed when no client is active.
	trafficLocks atomic.Uint64
	dbs          []*DB
	clients      map[uint64]*Client
	nextID       atomic.Uint64

	stats     stats
	startTime time.Time
	runID     string
	// snapGen is the generation of the running (or last) background save.
	// It is 16 bits to keep Entry small; see nextSnapGen for the wrap.
	snapGen uint16
	dirty   int64 // changes since the last save

	// hooks other parts of the node attach to (replication, AOF, MONITOR)
	propagators []func(db int, args [][]byte)
	monitors    map[*Client]struct{}

	// timeNow is the clock; tests may replace it (clockIsReal is then
	// false).
	timeNow     func() time.Time
	clockIsReal bool
	// cachedMs is the command clock: frozen while a command (or a MULTI)
	// runs so that expiry checks are consistent within it, as in Redis.
	cachedMs int64
	// expiringFor is the client whose top-level command is running, unless
	// that command touches arbitrary keys: the DELs of the keys it finds
	// expired join its effects (deleteExpired).
	expiringFor *Client

	engine   gnet.Engine
	started  chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
	ctx      context.Context
	cancel   context.CancelFunc

	pubsub      pubsubState
	paused      pauseState
	notifyCache notifyCache
	// admin is the state of the server-administration commands: SLOWLOG,
	// eviction, INFO bookkeeping, shutdown (cmd_server.go, evict.go).
	admin adminState
	blk   blockingState // clients blocked on keys (blocking.go)
	// persist is the RDB/AOF state (persist.go, bgsave.go, aof.go).
	persist persistState
	// repl is the replication state (repl.go).
	repl replState

	// cmds is this server's command table: the built-in one (filtered in
	// sentinel mode) plus what RegisterCommand added (sentinelmode.go).
	cmds map[string]*Command
	// ext is what an embedder attached: INFO sections, shutdown callbacks.
	ext extState
}

type stats struct {
	connectionsReceived int64
	rejectedConns       int64
	commandsProcessed   int64
	expiredKeys         int64
	evictedKeys         int64
	keyspaceHits        int64
	keyspaceMisses      int64
	netInput            atomic.Int64
	netOutput           atomic.Int64
	errorReplies        int64
	errorsByCode        map[string]int64
	cmdStats            map[string]*cmdStat
}

type cmdStat struct {
	calls, usec, rejected, failed int64
}

// New validates opts and builds a server; call Start to listen.
func New(opts *Options, log *zap.Logger) (*Server, error) {
	if opts == nil {
		opts = DefaultOptions()
	}
	if log == nil {
		log = zap.NewNop()
	}
	if opts.Databases < 1 {
		return nil, fmt.Errorf("databases must be at least 1, got %d", opts.Databases)
	}
	s := &Server{
		opts:        opts,
		log:         log,
		clients:     map[uint64]*Client{},
		monitors:    map[*Client]struct{}{},
		timeNow:     time.Now,
		clockIsReal: true,
		started:     make(chan struct{}),
		stopped:     make(chan struct{}),
		runID:       randomHex(40),
	}
	s.stats.errorsByCode = map[string]int64{}
	s.stats.cmdStats = map[string]*cmdStat{}
	s.dbs = make([]*DB, opts.Databases)
	for i := range s.dbs {
		s.dbs[i] = newDB(s, i)
	}
	s.pubsub.init()
	s.initCommands()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Options returns the live options; callers must hold no expectations about
// fields CONFIG SET may change.
func (s *Server) Options() *Options { return s.opts }

// DB returns database i (for tests and persistence).
func (s *Server) DB(i int) *DB { return s.dbs[i] }

// Lock and Unlock take the keyspace lock, for code outside command dispatch
// (loading, tests).
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

// since is the time elapsed since start on the server's clock.
func (s *Server) since(start time.Time) time.Duration {
	if s.clockIsReal {
		return time.Since(start)
	}
	return s.timeNow().Sub(start)
}

func (s *Server) nowMs() int64 {
	if s.cachedMs != 0 {
		return s.cachedMs
	}
	return s.timeNow().UnixMilli()
}

// lruClock is a seconds clock for OBJECT IDLETIME.
//
// Inside a command it derives from the frozen command clock: reading the
// wall clock is a measurable share of a pipelined command's cost.
func (s *Server) lruClock() uint32 {
	if s.cachedMs != 0 {
		return uint32(s.cachedMs / 1000)
	}
	return uint32(s.timeNow().Unix())
}

// isReplica reports whether this node follows a master: the replica side
// sets s.repl.masterHost (repl.go).
func (s *Server) isReplica() bool { return s.repl.masterHost != "" }

// addresses returns the listen addresses in gnet's form.
func (s *Server) addresses() ([]string, error) {
	var addrs []string
	for _, b := range s.opts.Bind {
		optional := strings.HasPrefix(b, "-")
		b = strings.TrimPrefix(b, "-")
		if optional && strings.Contains(b, ":") && !ipv6Available() {
			continue
		}
		host := b
		if strings.Contains(b, ":") {
			host = "[" + b + "]"
		}
		if b == "*" {
			host = "0.0.0.0"
		}
		addrs = append(addrs, fmt.Sprintf("tcp://%s:%d", host, s.opts.Port))
	}
	if len(addrs) == 0 {
		return nil, errors.New("no address to bind")
	}
	return addrs, nil
}

// Start listens and serves until Shutdown. It returns once the listeners are
// up, or with the error that prevented it.
func (s *Server) Start() error {
	// The dataset is loaded before the listeners open, so no client ever
	// sees a partial one.
	for _, h := range loadHooks {
		if err := h(s); err != nil {
			return err
		}
	}
	addrs, err := s.addresses()
	if err != nil {
		return err
	}
	h := &connHandler{srv: s}
	errc := make(chan error, 1)
	go func() {
		err := gnet.Rotate(h, addrs,
			gnet.WithMulticore(true),
			gnet.WithReusePort(false),
			gnet.WithReuseAddr(true),
			gnet.WithLogger(zapGnetLogger{s.log.Sugar()}),
			gnet.WithLogLevel(4), // errors only; gnet's info lines are noise here
		)
		errc <- err
		close(s.stopped)
	}()
	select {
	case <-s.started:
	case err := <-errc:
		if err == nil {
			err = errors.New("gnet stopped before it started")
		}
		return fmt.Errorf("listen on %v: %w", addrs, err)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("listen on %v: timed out", addrs)
	}
	s.mu.Lock() // commands (INFO uptime) may already be running
	s.startTime = s.timeNow()
	s.mu.Unlock()
	go s.cron()
	s.log.Info("Ready to accept connections", zap.String("event", "ready"), zap.Strings("addrs", addrs))
	return nil
}

// Done is closed when the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.stopped }

// Shutdown stops listening and closes every client. It is idempotent.
func (s *Server) Shutdown() {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case <-s.started:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// gnet's Stop checks for the end every 500 ms; the engine's
			// own return (stopped) comes as soon as the loops are done.
			stopErr := make(chan error, 1)
			go func() { stopErr <- s.engine.Stop(ctx) }()
			select {
			case <-s.stopped:
			case err := <-stopErr:
				if err != nil {
					s.log.Warn("engine stop", zap.Error(err))
				}
			}
		default:
		}
	})
}

// cron is serverCron: expiry, client timeouts, and the other periodic work,
// at hz times a second.
func (s *Server) cron() {
	s.mu.Lock()
	hz := clampHz(s.opts.Hz)
	s.mu.Unlock()
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		for _, f := range cronHooks {
			f(s)
		}
		if !s.isReplica() && s.activeExpireAllowed() {
			// A quarter of the cron period, like ACTIVE_EXPIRE_CYCLE_SLOW.
			deadline := s.timeNow().Add(time.Second / time.Duration(hz) / 4)
			for _, db := range s.dbs {
				if _, timedOut := db.activeExpire(deadline); timedOut {
					break
				}
			}
		}
		if h := clampHz(s.opts.Hz); h != hz { // CONFIG SET hz
			hz = h
			t.Reset(time.Second / time.Duration(hz))
		}
		s.mu.Unlock()
	}
}

// loadHooks run, in order, at the top of Start, before any listener opens:
// loading the RDB or AOF and opening the AOF. An error aborts the start.
var loadHooks []func(*Server) error

// cronHooks run under the lock on every cron tick; features register them in
// init (save points, client timeouts, eviction, replication timers).
var cronHooks []func(*Server)

func ipv6Available() bool {
	_, err := os.Stat("/proc/net/if_inet6")
	return err == nil
}

type zapGnetLogger struct{ l *zap.SugaredLogger }

func (z zapGnetLogger) Debugf(f string, a ...any) { z.l.Debugf(f, a...) }
func (z zapGnetLogger) Infof(f string, a ...any)  { z.l.Debugf(f, a...) }
func (z zapGnetLogger) Warnf(f string, a ...any)  { z.l.Warnf(f, a...) }
func (z zapGnetLogger) Errorf(f string, a ...any) { z.l.Errorf(f, a...) }
func (z zapGnetLogger) Fatalf(f string, a ...any) { z.l.Errorf(f, a...) }

// shutdownHooks run, in order, before a SHUTDOWN or SIGTERM stops the node
// (the final save when save points are set, AOF flush, ...). An error aborts
// the shutdown, as a failed final save does in Redis.
var shutdownHooks []func(s *Server, save, nosave bool) error

// Terminate is SIGTERM: SHUTDOWN with the default save behaviour.
func (s *Server) Terminate() error { return s.shutdownWith(false, false) }

// shutdownWith runs the shutdown hooks then stops the server. save forces
// a final save, nosave skips it; neither means "if save points are set".
func (s *Server) shutdownWith(save, nosave bool) error {
	if s.opts.SentinelMode {
		save, nosave = false, true // a sentinel never saves
	}
	s.mu.Lock()
	for _, h := range shutdownHooks {
		if err := h(s, save, nosave); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	s.mu.Unlock()
	s.log.Info(s.readyToExitText(), zap.String("event", "shutdown"))
	go s.stopAfterHooks()
	return nil
}

// setClock replaces the server's clock (tests drive time with it).
func (s *Server) setClock(now func() time.Time) {
	s.timeNow = now
	s.clockIsReal = false
}

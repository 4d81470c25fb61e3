package backend

// Replication, replica side: REPLICAOF/SLAVEOF, the link to the master (the
// handshake, PSYNC, the full-sync transfer and load, the command stream),
// the cached master that makes a partial resync possible after a link drop,
// a demotion or a restart, and what a replica refuses (READONLY, MASTERDOWN,
// LOADING).
//
// The link runs in one goroutine per REPLICAOF ("session") with a plain
// net.Conn: nothing here blocks an event loop. The goroutine takes s.mu only
// to apply what it read — commands are executed as the master client, a
// Client flagged flagMaster with no connection of its own — and to publish
// its state. Every locked section first checks the session generation, so a
// goroutine whose session was ended by REPLICAOF, or by a shutdown, never
// changes anything once it has been superseded.
//
// Full sync: with repl-diskless-load disabled (the only mode implemented,
// and Redis's default), the payload, whichever its framing ($<len> or
// $EOF:<mark>), is streamed to temp-<unixtime>.<pid>.rdb in dir and fsynced,
// as Redis does. The old dataset is then dropped (clients get -LOADING
// meanwhile), the file is decoded WITHOUT the lock into fresh dictionaries,
// and these are installed and the file renamed over dbfilename in one
// locked step, after stopping any background save so that none can replace
// the received file with an older or half-loaded dataset. While loading, a
// newline goes to the master at most once a second so it does not time the
// replica out.
//
// Offsets: readOff is what Redis calls the master client's read_reploff
// (bytes received), applied its reploff (bytes executed). A command moves
// applied by its exact raw length once it has run, except inside a MULTI
// from the master, whose bytes count (and are fed to sub-replicas and the
// backlog through replFeed) at its EXEC. GETACK is answered with the applied
// offset before its own bytes, as a real replica does.
//
// Hooks installed for the master side (repl.go, repl_master.go,
// cmd_repl.go): the INFO replica block, ROLE's replica form, REPLCONF
// GETACK, repl-stream-db for the replica's own RDB files, and becoming a
// replica / a master for FAILOVER (the handshake then sends PSYNC ...
// FAILOVER and reports the answer). s.replicaNetInput() is
// total_net_repl_input_bytes.
//
// Not implemented: repl-diskless-load on-empty-db and swapdb (they behave
// as disabled), rdb-del-sync-files, TLS, and the expiry of keys written
// locally on a writable replica (Redis tracks and expires those).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/rdb"
	"github.com/wardenhq/warden/internal/resp"
)

// linkState is Redis's repl_state as ROLE names it.
type linkState int

const (
	linkNone       linkState = iota // not a replica
	linkConnect                     // must (re)connect
	linkConnecting                  // TCP connect in progress
	linkHandshake                   // PING ... PSYNC
	linkTransfer                    // receiving or loading the RDB ("sync")
	linkConnected                   // streaming
)

var linkStateNames = [...]string{"none", "connect", "connecting", "handshake", "sync", "connected"}

// replSyncIOTimeout is CONFIG_REPL_SYNCIO_TIMEOUT: how long a write to the
// master may take during the handshake and a full sync.
const replSyncIOTimeout = 5 * time.Second

// replPollInterval bounds how long the stream reader blocks, so that a
// CLIENT KILL of the master client, the 1 s ACK and repl-timeout are
// noticed promptly even when the master is silent.
const replPollInterval = 100 * time.Millisecond

// replFsyncEvery is REPL_MAX_WRITTEN_BEFORE_FSYNC.
const replFsyncEvery = 8 << 20

// replicaLink is the replica side's state, in s.repl.link. Guarded by
// Server.mu except the atomics, which the transfer updates without it.
type replicaLink struct {
	state linkState
	// gen identifies the running session; REPLICAOF bumps it.
	gen    uint64
	cancel context.CancelFunc
	// sessions counts running session goroutines, ended or not: a
	// superseded one may still be cleaning up its temporary file.
	sessions sync.WaitGroup

	// master is the master client while the link is connected.
	master   *Client
	readOff  int64 // read_reploff of the master client
	applied  int64 // reploff of the master client
	prePSYNC bool  // the master only spoke SYNC: no ACKs, no caching
	// pendingAcks are GETACK answers to send once the batch is applied.
	pendingAcks []int64
	// applying is set while a command of the master stream runs: keys
	// are then never considered expired (the master sends DELs).
	applying bool

	// cached is the cached master: what the next PSYNC asks for.
	cached *cachedMaster
	// downSince is when the connected link was lost; zero if it never
	// was up since this node became a replica.
	downSince time.Time

	// transfer progress (INFO master_sync_*)
	xferSize   int64 // -1 until the $ line is read, 0 for $EOF transfers
	xferRead   atomic.Int64
	xferLastIO atomic.Int64 // unix seconds
	netInput   atomic.Int64 // total_net_repl_input_bytes
}

// cachedMaster is what a PSYNC resumes from.
type cachedMaster struct {
	replid string
	offset int64 // last applied byte
	db     int
}

func init() {
	register(
		&Command{Name: "replicaof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale | FlagNoAsyncLoading,
			Group: "server", Since: "5.0.0", Summary: "Make the server a replica of another instance, or promote it as master.",
			Proc: replicaofCommand},
		&Command{Name: "slaveof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale | FlagNoAsyncLoading,
			Group: "server", Since: "1.0.0", Summary: "Make the server a replica of another instance, or promote it as master.",
			Proc: replicaofCommand},
	)
	// replicaof from the configuration must be known before the dataset
	// loads: a replica keeps the keys that are already expired in its RDB
	// (the master will send their DELs). The other hook runs after the
	// load, to resume from the replication info the RDB holds.
	loadHooks = append([]func(*Server) error{replicaPreLoad}, loadHooks...)
	loadHooks = append(loadHooks, replicaPostLoad)
	rejectionChecks = append(rejectionChecks, rejectReplicaState)
	replicaInfoHook = (*Server).replicaInfo
	replicaRoleHook = replicaRole
	replconfGetackHook = replicaGetack
	replicaStreamDBHook = func(s *Server) int {
		db, _ := s.replicaStreamDB()
		return db
	}
	// FAILOVER turns this node into a replica of its target, and back
	// into a master when the target refuses.
	replicationSetMasterHook = (*Server).replicationSetMaster
	replicationUnsetMasterHook = (*Server).replicationUnsetMaster
}

// --- REPLICAOF ----------------------------------------------------------

func replicaofCommand(c *Client) {
	s := c.srv
	s.replInit()
	if s.repl.failover.state != failoverNone {
		c.ReplyError("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if c.ArgIs(1, "no") && c.ArgIs(2, "one") {
		if s.isReplica() {
			s.replicationUnsetMaster()
			s.log.Info(fmt.Sprintf("MASTER MODE enabled (user request from '%s')", s.clientInfoLine(c, c)),
				zap.String("event", "replicaof-no-one"))
		}
		c.ReplyOK()
		return
	}
	if c.flags&flagReplica != 0 {
		// It would drop every replica, this client included.
		c.ReplyError("ERR Command is not valid when client is a replica.")
		return
	}
	port, ok := ParseInt(c.argv[2])
	if !ok || port < 0 || port > 65535 {
		c.ReplyError("ERR Invalid master port")
		return
	}
	host := string(c.argv[1])
	if s.isReplica() && strings.EqualFold(s.repl.masterHost, host) && s.repl.masterPort == int(port) {
		s.log.Info("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
			zap.String("event", "replicaof-same"))
		c.ReplySimple("OK Already connected to specified master")
		return
	}
	s.replicationSetMaster(host, int(port))
	s.log.Info(fmt.Sprintf("REPLICAOF %s:%d enabled (user request from '%s')", host, port, s.clientInfoLine(c, c)),
		zap.String("event", "replicaof"))
	c.ReplyOK()
}

// replicationSetMaster makes this node a replica of host:port. A node that
// was a master first caches itself as its master (its own replid and
// offset), so that it can partially resync with a promoted former replica;
// a replica switching masters keeps the cached state of the previous link
// for the same reason. Sub-replicas stay: they may be able to follow.
// Caller holds s.mu.
func (s *Server) replicationSetMaster(host string, port int) {
	s.replInit()
	l := &s.repl.link
	wasMaster := !s.isReplica()
	s.endReplicaSession(true)
	s.disconnectAllBlockedClients()
	s.repl.masterHost, s.repl.masterPort = host, port
	s.opts.MasterHost, s.opts.MasterPort = host, port // CONFIG REWRITE
	if wasMaster {
		s.log.Info("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
			zap.String("event", "cache-myself"))
		// Any db: a promoted master starts its stream with SELECT.
		l.cached = &cachedMaster{replid: s.repl.replid, offset: s.repl.offset, db: 0}
	}
	l.state = linkConnect
	s.log.Info(fmt.Sprintf("Connecting to MASTER %s:%d", host, port), zap.String("event", "replica-connect"))
	s.startReplicaSession()
}

// replicationUnsetMaster is the promotion (REPLICAOF NO ONE): the data is
// kept, the history continues under a new replid with the old one as
// replid2, and the sub-replicas are disconnected so that they learn it
// (they can partially resync). Caller holds s.mu.
func (s *Server) replicationUnsetMaster() {
	if !s.isReplica() {
		return
	}
	l := &s.repl.link
	s.endReplicaSession(false)
	s.repl.masterHost, s.repl.masterPort = "", 0
	s.opts.MasterHost, s.opts.MasterPort = "", 0
	l.cached = nil
	s.shiftReplicationID()
	s.disconnectReplicas()
	l.state = linkNone
	l.downSince = time.Time{}
	// The AOF is switched off during a full sync; a promotion in the
	// middle of one must bring it back.
	if a := &s.persist.aof; s.opts.AppendOnly && !a.on && !a.enabling {
		if err := s.startAppendOnly(); err != nil {
			s.log.Warn("Failed enabling the AOF after the promotion", zap.String("event", "aof-restart-failed"), zap.Error(err))
		}
	}
}

// startReplicaSession starts the link goroutine for the current master.
// Caller holds s.mu.
func (s *Server) startReplicaSession() {
	l := &s.repl.link
	l.gen++
	ctx, cancel := context.WithCancel(s.ctx)
	l.cancel = cancel
	l.sessions.Add(1)
	gen := l.gen
	go func() {
		defer l.sessions.Done()
		s.replicaSession(ctx, gen)
	}()
}

// endReplicaSession stops the link goroutine and frees the master client;
// with cache, the master's replid and offset are kept for a later PSYNC.
// Caller holds s.mu.
func (s *Server) endReplicaSession(cache bool) {
	l := &s.repl.link
	l.gen++
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	if l.master != nil {
		s.dropMasterClient(cache)
	}
	s.repl.masterLinkUp = false
	l.pendingAcks = nil
}

// dropMasterClient frees the master client, caching it first when asked
// (and possible), and records that the link went down. Caller holds s.mu.
func (s *Server) dropMasterClient(cache bool) {
	l := &s.repl.link
	m := l.master
	if cache && !l.prePSYNC {
		s.log.Info("Caching the disconnected master state.", zap.String("event", "cache-master"))
		// A transaction cut by the disconnection is dropped: applied
		// does not include it, so the PSYNC asks for it again.
		l.cached = &cachedMaster{replid: s.repl.replid, offset: l.applied, db: m.db.id}
	}
	s.freeClient(m)
	l.master = nil
	l.prePSYNC = false
	l.downSince = s.timeNow()
	s.repl.masterLinkUp = false
}

// replicaCurrent reports whether the session gen is still the live one.
// Caller holds s.mu.
func (s *Server) replicaCurrent(gen uint64) bool {
	return s.repl.link.gen == gen && s.isReplica() && s.ctx.Err() == nil
}

// --- configuration at start ------------------------------------------------

func replicaPreLoad(s *Server) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.MasterHost == "" {
		return nil
	}
	s.replInit()
	s.repl.masterHost, s.repl.masterPort = s.opts.MasterHost, s.opts.MasterPort
	s.repl.link.state = linkConnect
	return nil
}

// replicaPostLoad resumes a replica from the replication info of the RDB
// it started from (repl-id, repl-offset, repl-stream-db, all three needed),
// as Redis 7.0 does, then starts the link.
func replicaPostLoad(s *Server) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isReplica() {
		return nil
	}
	if aux := s.persist.loadedAux; !s.opts.AppendOnly && aux != nil {
		id := aux["repl-id"]
		off, err1 := strconv.ParseInt(aux["repl-offset"], 10, 64)
		db, err2 := strconv.Atoi(aux["repl-stream-db"])
		if len(id) == 40 && err1 == nil && err2 == nil && off != -1 && db != -1 {
			// No backlog yet: it is created when the PSYNC succeeds.
			s.repl.replid, s.repl.offset = id, off
			if db < 0 || db >= len(s.dbs) {
				db = 0
			}
			s.repl.link.cached = &cachedMaster{replid: id, offset: off, db: db}
			s.log.Info("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
				zap.String("event", "cache-myself"))
		}
	}
	s.log.Info(fmt.Sprintf("Connecting to MASTER %s:%d", s.repl.masterHost, s.repl.masterPort), zap.String("event", "replica-connect"))
	s.startReplicaSession()
	return nil
}

// --- the session -----------------------------------------------------------

// replicaSession connects to the master until the session ends: at once
// after an established link is lost (as Redis does, so the backlog is not
// recycled meanwhile), else with a backoff from 100 ms to Redis's 1 s.
func (s *Server) replicaSession(ctx context.Context, gen uint64) {
	failures := 0
	for ctx.Err() == nil {
		wasUp, err := s.replicaAttempt(ctx, gen)
		s.mu.Lock()
		current := s.replicaCurrent(gen)
		if current {
			l := &s.repl.link
			if l.master != nil {
				s.dropMasterClient(true)
			}
			l.state = linkConnect
			l.pendingAcks = nil
		}
		host, port := s.repl.masterHost, s.repl.masterPort
		s.mu.Unlock()
		if !current || ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn(err.Error(), zap.String("event", "replica-link-error"), zap.String("master", net.JoinHostPort(host, strconv.Itoa(port))))
		}
		delay := time.Duration(0)
		if wasUp {
			failures = 0
			s.log.Info(fmt.Sprintf("Reconnecting to MASTER %s:%d", host, port), zap.String("event", "replica-reconnect"))
		} else {
			delay = min(time.Second, 100*time.Millisecond<<min(failures, 4))
			failures++
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// linkConfig is what one attempt reads from the options, under the lock.
type linkConfig struct {
	host       string
	port       int
	auth, user string
	announceIP string
	listenPort int
	timeout    time.Duration
	dir        string
}

// errLinkGone reports that the session ended while the attempt ran.
var errLinkGone = errors.New("replication link superseded")

// replicaAttempt is one connection to the master, through the handshake,
// a sync and the stream, until it fails. wasUp reports whether the link
// reached the connected state.
func (s *Server) replicaAttempt(ctx context.Context, gen uint64) (wasUp bool, err error) {
	s.mu.Lock()
	if !s.replicaCurrent(gen) {
		s.mu.Unlock()
		return false, errLinkGone
	}
	o := s.opts
	cfg := linkConfig{host: s.repl.masterHost, port: s.repl.masterPort, auth: o.MasterAuth, user: o.MasterUser,
		announceIP: o.ReplicaAnnounceIP, listenPort: o.Port, timeout: o.ReplTimeout, dir: o.Dir}
	if o.ReplicaAnnouncePort != 0 {
		cfg.listenPort = o.ReplicaAnnouncePort
	}
	var cached *cachedMaster
	if l := &s.repl.link; l.cached != nil {
		cp := *l.cached
		cached = &cp
	}
	s.repl.link.state = linkConnecting
	s.mu.Unlock()
	if cfg.timeout <= 0 {
		cfg.timeout = 60 * time.Second
	}

	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
	d := net.Dialer{Timeout: cfg.timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, fmt.Errorf("Error condition on socket for SYNC: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() {
		stop()
		conn.Close()
	}()
	s.log.Info("MASTER <-> REPLICA sync started", zap.String("event", "replica-sync-started"))

	s.mu.Lock()
	if !s.replicaCurrent(gen) {
		s.mu.Unlock()
		return false, errLinkGone
	}
	s.repl.link.state = linkHandshake
	s.mu.Unlock()

	h := &handshake{s: s, gen: gen, conn: conn, br: bufio.NewReaderSize(conn, 64<<10), timeout: cfg.timeout}
	psync, err := h.run(cfg, cached)
	if err != nil {
		return false, err
	}
	switch psync.kind {
	case psyncContinue:
		if cached == nil {
			return false, errors.New("Master accepted a partial resynchronization of nothing (PSYNC ? -1)")
		}
		return s.replicaContinue(ctx, gen, h, cached, psync.replid)
	default:
		return s.replicaFullSync(ctx, gen, h, cfg, psync)
	}
}

// --- handshake ---------------------------------------------------------------

type handshake struct {
	s       *Server
	gen     uint64
	conn    net.Conn
	br      *bufio.Reader
	timeout time.Duration
}

type psyncKind int

const (
	psyncFull     psyncKind = iota // +FULLRESYNC
	psyncContinue                  // +CONTINUE
	psyncOldSync                   // the master does not know PSYNC: SYNC sent
)

type psyncResult struct {
	kind   psyncKind
	replid string // FULLRESYNC id, or CONTINUE's new id ("" if none)
	offset int64  // FULLRESYNC offset; -1 when unknown (SYNC)
}

func (h *handshake) send(args ...string) error {
	return h.write(resp.AppendCommandStrings(nil, args...))
}

func (h *handshake) write(b []byte) error {
	h.conn.SetWriteDeadline(time.Now().Add(replSyncIOTimeout))
	_, err := h.conn.Write(b)
	return err
}

// readLine reads one reply line without its CRLF. The wait is bounded by
// repl-timeout, as the handshake is in Redis.
func (h *handshake) readLine() (string, error) {
	h.conn.SetReadDeadline(time.Now().Add(h.timeout))
	var line []byte
	for {
		chunk, err := h.br.ReadSlice('\n')
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			if len(line) > 1<<20 {
				return "", errors.New("Bad protocol from MASTER: line too long")
			}
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// failoverResult reports the target's answer to PSYNC ... FAILOVER to the
// FAILOVER code; it returns whether the session still runs.
func (h *handshake) failoverResult(accepted bool, why string) bool {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.replicaCurrent(h.gen) {
		return false
	}
	if why != "" {
		s.abortFailover(why)
	} else {
		s.failoverPsyncResult(accepted)
	}
	return s.replicaCurrent(h.gen)
}

// run performs PING, AUTH, REPLCONF and PSYNC as a 7.0 replica: the block
// after PING is pipelined, and PSYNC waits for all its replies (a real
// master refuses PSYNC with pending output).
func (h *handshake) run(cfg linkConfig, cached *cachedMaster) (psyncResult, error) {
	log := h.s.log
	if err := h.send("PING"); err != nil {
		return psyncResult{}, fmt.Errorf("Sending command to master in replication handshake: %w", err)
	}
	pong, err := h.readLine()
	if err != nil {
		return psyncResult{}, fmt.Errorf("Master did not respond to command during SYNC handshake: %w", err)
	}
	if !strings.HasPrefix(pong, "+") && !strings.HasPrefix(pong, "-NOAUTH") && !strings.HasPrefix(pong, "-NOPERM") &&
		!strings.HasPrefix(pong, "-ERR operation not permitted") {
		return psyncResult{}, fmt.Errorf("Error reply to PING from master: '%s'", pong)
	}
	log.Info("Master replied to PING, replication can continue...", zap.String("event", "replica-pong"))

	var b []byte
	if cfg.auth != "" {
		if cfg.user != "" {
			b = resp.AppendCommandStrings(b, "AUTH", cfg.user, cfg.auth)
		} else {
			b = resp.AppendCommandStrings(b, "AUTH", cfg.auth)
		}
	}
	b = resp.AppendCommandStrings(b, "REPLCONF", "listening-port", strconv.Itoa(cfg.listenPort))
	if cfg.announceIP != "" {
		b = resp.AppendCommandStrings(b, "REPLCONF", "ip-address", cfg.announceIP)
	}
	b = resp.AppendCommandStrings(b, "REPLCONF", "capa", "eof", "capa", "psync2")
	if err := h.write(b); err != nil {
		return psyncResult{}, fmt.Errorf("Sending command to master in replication handshake: %w", err)
	}
	if cfg.auth != "" {
		r, err := h.readLine()
		if err != nil {
			return psyncResult{}, fmt.Errorf("Master did not respond to command during SYNC handshake: %w", err)
		}
		if strings.HasPrefix(r, "-") {
			return psyncResult{}, fmt.Errorf("Unable to AUTH to MASTER: %s", r)
		}
	}
	replies := []string{"REPLCONF listening-port", "REPLCONF ip-address", "REPLCONF capa"}
	if cfg.announceIP == "" {
		replies = []string{"REPLCONF listening-port", "REPLCONF capa"}
	}
	for _, what := range replies {
		r, err := h.readLine()
		if err != nil {
			return psyncResult{}, fmt.Errorf("Master did not respond to command during SYNC handshake: %w", err)
		}
		if strings.HasPrefix(r, "-") {
			// Not fatal: older masters lack these.
			log.Info(fmt.Sprintf("(Non critical) Master does not understand %s: %s", what, r), zap.String("event", "replica-replconf"))
		}
	}

	id, off := "?", "-1"
	if cached != nil {
		id, off = cached.replid, strconv.FormatInt(cached.offset+1, 10)
		log.Info(fmt.Sprintf("Trying a partial resynchronization (request %s:%s).", id, off), zap.String("event", "replica-psync"))
	} else {
		log.Info("Partial resynchronization not possible (no cached master)", zap.String("event", "replica-psync"))
	}
	// A master handing over with FAILOVER asks its target to take over.
	s := h.s
	s.mu.Lock()
	failover := s.replicaCurrent(h.gen) && s.repl.failover.state == failoverInProgress
	s.mu.Unlock()
	psync := []string{"PSYNC", id, off}
	if failover {
		psync = append(psync, "FAILOVER")
	}
	if err := h.send(psync...); err != nil {
		if failover {
			h.failoverResult(false, "Write error to failover target")
		}
		return psyncResult{}, fmt.Errorf("Unable to send PSYNC to master: %w", err)
	}
	var reply string
	for {
		reply, err = h.readLine()
		if err != nil {
			return psyncResult{}, fmt.Errorf("Master did not reply to PSYNC, will try later: %w", err)
		}
		if reply != "" {
			break
		}
		// A newline is the master's keepalive while it prepares.
	}
	if failover {
		// Either way of syncing means the target took over; anything
		// else rolls this node back into a master (which ends this
		// session).
		ok := strings.HasPrefix(reply, "+FULLRESYNC") || strings.HasPrefix(reply, "+CONTINUE")
		if !h.failoverResult(ok, "") {
			return psyncResult{}, fmt.Errorf("Failover target rejected psync request: %s", reply)
		}
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) < 3 || len(f[1]) != 40 {
			// Redis goes on with the transfer but keeps no history
			// it could PSYNC from later.
			log.Warn("Master replied with wrong +FULLRESYNC syntax.", zap.String("event", "replica-fullresync"))
			return psyncResult{kind: psyncFull, offset: -1}, nil
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			n = 0 // strtoll
		}
		log.Info(fmt.Sprintf("Full resync from master: %s:%d", f[1], n), zap.String("event", "replica-fullresync"))
		return psyncResult{kind: psyncFull, replid: f[1], offset: n}, nil
	case strings.HasPrefix(reply, "+CONTINUE"):
		log.Info("Successful partial resynchronization with master.", zap.String("event", "replica-continue"))
		newID := strings.TrimSpace(reply[len("+CONTINUE"):])
		if len(newID) != 40 {
			newID = ""
		}
		return psyncResult{kind: psyncContinue, replid: newID}, nil
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		return psyncResult{}, fmt.Errorf("Master is currently unable to PSYNC but should be in the future: %s", reply)
	}
	if strings.HasPrefix(reply, "-ERR") {
		log.Info(fmt.Sprintf("Master does not support PSYNC or is in error state (reply: %s)", reply), zap.String("event", "replica-sync"))
	} else {
		log.Warn(fmt.Sprintf("Unexpected reply to PSYNC from master: %s", reply), zap.String("event", "replica-sync"))
	}
	log.Info("Retrying with SYNC...", zap.String("event", "replica-sync"))
	if err := h.write([]byte("SYNC\r\n")); err != nil {
		return psyncResult{}, fmt.Errorf("I/O error writing to MASTER: %w", err)
	}
	return psyncResult{kind: psyncOldSync, offset: -1}, nil
}

// --- partial resync ----------------------------------------------------------

// replicaContinue resurrects the cached master after +CONTINUE and streams.
func (s *Server) replicaContinue(ctx context.Context, gen uint64, h *handshake, cached *cachedMaster, newID string) (bool, error) {
	s.mu.Lock()
	if !s.replicaCurrent(gen) {
		s.mu.Unlock()
		return false, errLinkGone
	}
	l := &s.repl.link
	if newID != "" && newID != cached.replid {
		s.log.Warn("Master replication ID changed to "+newID, zap.String("event", "replica-new-replid"))
		s.adoptReplicationID(newID) // disconnects sub-replicas so they learn it
	}
	if s.repl.backlog == nil {
		// Resumed from an RDB, or demoted without replicas: a replica
		// always keeps a backlog.
		s.createBacklog()
	}
	l.cached = nil
	m := s.newMasterClient(h.conn, cached.db)
	l.master, l.prePSYNC = m, false
	l.applied, l.readOff = cached.offset, cached.offset
	s.linkUp()
	s.mu.Unlock()
	s.log.Info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.", zap.String("event", "replica-partial-ok"))
	return true, s.replicaStream(ctx, gen, h, nil, m)
}

// linkUp marks the link connected. Caller holds s.mu.
func (s *Server) linkUp() {
	l := &s.repl.link
	l.state = linkConnected
	l.downSince = time.Time{}
	l.pendingAcks = nil
	s.repl.masterLinkUp = true
}

// newMasterClient creates the master client over conn. Caller holds s.mu.
func (s *Server) newMasterClient(conn net.Conn, db int) *Client {
	m := newClient(s, nil)
	m.flags |= flagMaster
	m.authd = true
	if a := conn.RemoteAddr(); a != nil {
		m.addr = a.String()
	}
	if a := conn.LocalAddr(); a != nil {
		m.laddr = a.String()
	}
	if db >= 0 && db < len(s.dbs) {
		m.db = s.dbs[db]
	}
	// Listed like any client (CLIENT LIST flags=M, CLIENT KILL TYPE
	// master, connected_clients), as in Redis.
	s.clients[m.id] = m
	return m
}

// --- full sync ---------------------------------------------------------------

// replicaFullSync receives the RDB into a temporary file, loads it and
// installs it, then streams.
func (s *Server) replicaFullSync(ctx context.Context, gen uint64, h *handshake, cfg linkConfig, ps psyncResult) (bool, error) {
	l := &s.repl.link
	s.mu.Lock()
	if !s.replicaCurrent(gen) {
		s.mu.Unlock()
		return false, errLinkGone
	}
	l.state = linkTransfer
	l.xferSize = -1
	l.xferRead.Store(0)
	l.xferLastIO.Store(s.timeNow().Unix())
	s.mu.Unlock()

	var line string
	for {
		var err error
		line, err = h.readLine()
		if err != nil {
			return false, fmt.Errorf("I/O error reading bulk count from MASTER: %w", err)
		}
		l.xferLastIO.Store(s.timeNow().Unix())
		l.netInput.Add(int64(len(line)) + 2)
		if line != "" {
			break
		}
		// A bare newline keeps the link alive while the master prepares.
	}
	switch {
	case strings.HasPrefix(line, "-"):
		return false, fmt.Errorf("MASTER aborted replication with an error: %s", line[1:])
	case !strings.HasPrefix(line, "$"):
		return false, fmt.Errorf("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", line)
	}
	var mark []byte
	var size int64
	if strings.HasPrefix(line[1:], "EOF:") && len(line) >= 5+40 {
		mark = []byte(line[5 : 5+40])
		s.log.Info("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk", zap.String("event", "replica-transfer"))
	} else {
		n, err := strconv.ParseInt(line[1:], 10, 64)
		if err != nil || n < 0 {
			return false, fmt.Errorf("Bad protocol from MASTER: invalid bulk length '%s'", line)
		}
		size = n
		s.log.Info(fmt.Sprintf("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", size), zap.String("event", "replica-transfer"))
	}
	s.mu.Lock()
	l.xferSize = size
	s.mu.Unlock()

	tmp := filepath.Join(cfg.dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	leftover, err := s.receiveRDB(h, tmp, size, mark)
	if err != nil {
		os.Remove(tmp)
		return false, err
	}
	ok, err := s.loadReceivedRDB(gen, h, tmp, ps)
	if err != nil || !ok {
		os.Remove(tmp)
		return false, err
	}
	s.mu.Lock()
	m := l.master
	ack := l.applied
	s.mu.Unlock()
	s.log.Info("MASTER <-> REPLICA sync: Finished with success", zap.String("event", "replica-sync-done"))
	if mark != nil {
		// A diskless master sends nothing after the EOF mark until this
		// first ACK (it cannot tell where the mark ends otherwise).
		if err := h.write(ackCommand(ack)); err != nil {
			return true, fmt.Errorf("I/O error writing to MASTER: %w", err)
		}
	}
	return true, s.replicaStream(ctx, gen, h, leftover, m)
}

// receiveRDB copies the payload into tmp: size bytes, or up to the EOF
// mark. It returns the bytes read past the end (the command stream).
func (s *Server) receiveRDB(h *handshake, tmp string, size int64, mark []byte) ([]byte, error) {
	l := &s.repl.link
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("Opening the temp file needed for MASTER <-> REPLICA synchronization: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var written, lastSync int64
	var tail []byte // the last bytes written, to find a mark split across reads
	var leftover []byte
	for {
		want := len(buf)
		if mark == nil {
			if left := size - written; left < int64(want) {
				want = int(left)
			}
			if want == 0 {
				break
			}
		}
		h.conn.SetReadDeadline(time.Now().Add(h.timeout))
		n, rerr := h.br.Read(buf[:want])
		if n > 0 {
			l.xferRead.Add(int64(n))
			l.netInput.Add(int64(n))
			l.xferLastIO.Store(s.timeNow().Unix())
			chunk := buf[:n]
			done := false
			if mark != nil {
				window := append(append([]byte(nil), tail...), chunk...)
				if i := bytes.Index(window, mark); i >= 0 {
					end := written - int64(len(tail)) + int64(i) // file length without the mark
					leftover = append(leftover, window[i+len(mark):]...)
					if end < written {
						if err := f.Truncate(end); err != nil {
							return nil, fmt.Errorf("Error truncating the RDB file received from the master for SYNC: %w", err)
						}
						written = end
						chunk = nil
					} else {
						chunk = chunk[:end-written]
					}
					done = true
				} else {
					keep := min(len(window), len(mark)-1)
					tail = append(tail[:0], window[len(window)-keep:]...)
				}
			}
			if len(chunk) > 0 {
				if _, err := f.Write(chunk); err != nil {
					return nil, fmt.Errorf("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: %w", err)
				}
				written += int64(len(chunk))
			}
			if written-lastSync >= replFsyncEvery {
				if err := f.Sync(); err != nil {
					return nil, fmt.Errorf("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: %w", err)
				}
				lastSync = written
			}
			if done {
				break
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				rerr = errors.New("connection lost")
			}
			return nil, fmt.Errorf("I/O error trying to sync with MASTER: %w", rerr)
		}
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: %w", err)
	}
	// Whatever the reader buffered past the payload is stream.
	if n := h.br.Buffered(); n > 0 {
		b, _ := h.br.Peek(n)
		leftover = append(leftover, b...)
		h.br.Discard(n)
	}
	return leftover, nil
}

// loadReceivedRDB replaces the dataset with the file: the old data is
// dropped (with the sub-replicas, the backlog and the cached master: this
// is a new history), the file is decoded without the lock, then installed.
// ok is false when the session ended meanwhile.
func (s *Server) loadReceivedRDB(gen uint64, h *handshake, tmp string, ps psyncResult) (ok bool, err error) {
	l := &s.repl.link
	s.mu.Lock()
	if !s.replicaCurrent(gen) {
		s.mu.Unlock()
		return false, nil
	}
	a := &s.persist.aof
	if a.on || a.enabling {
		// Restarted (with a rewrite of the new data) once loaded.
		s.stopAppendOnly()
	}
	s.abortChild(childRDB)
	l.cached = nil
	s.disconnectReplicas()
	s.freeBacklog()
	s.log.Info("MASTER <-> REPLICA sync: Flushing old data", zap.String("event", "replica-flush"))
	for _, db := range s.dbs {
		s.flushDB(db)
	}
	s.persist.loading = true
	o := *s.opts // the loader reads encoding thresholds without the lock
	now := s.timeNow()
	s.mu.Unlock()

	s.log.Info("MASTER <-> REPLICA sync: Loading DB in memory", zap.String("event", "replica-load"))
	if replicaLoadingHook != nil {
		replicaLoadingHook()
	}
	shadow, loader, lerr := s.decodeInto(tmp, &o, now, h)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.persist.loading = false
	if lerr != nil {
		return false, fmt.Errorf("Failed trying to load the MASTER synchronization DB from disk: %w", lerr)
	}
	// No background save may rename an older dataset over the file from
	// now on: a running one is stopped, a new one sees the new data.
	s.abortChild(childRDB)
	if err := replaceFile(tmp, s.rdbPath()); err != nil {
		return false, fmt.Errorf("Failed trying to rename the temp DB into %s in MASTER <-> REPLICA synchronization: %w", s.opts.DBFilename, err)
	}
	for i, db := range s.dbs {
		s.touchWatchedKeysInDB(db, shadow.dbs[i])
		db.d = shadow.dbs[i].d
		s.signalReadyKeysOfDB(db)
	}
	s.persist.loadKeysLoaded = loader.loaded
	s.persist.loadKeysExpired = loader.expired
	s.persist.loadedAux = loader.aux
	if s.opts.AppendOnly && !a.on && !a.enabling {
		if err := s.startAppendOnly(); err != nil {
			s.log.Warn("Failed enabling the AOF after successful master synchronization!", zap.String("event", "aof-restart-failed"), zap.Error(err))
		}
	}
	if !s.replicaCurrent(gen) {
		// Loaded and kept, as Redis would have done synchronously; the
		// link itself is gone.
		return false, nil
	}
	db := 0
	if v, err := strconv.Atoi(loader.aux["repl-stream-db"]); err == nil && v >= 0 && v < len(s.dbs) {
		db = v
	}
	id, off := ps.replid, ps.offset
	pre := ps.offset == -1
	if pre {
		// SYNC (or a malformed +FULLRESYNC): no history to resume; a
		// fresh id so that nothing can PSYNC into this one by mistake.
		id, off = randomHex(40), 0
	}
	s.setReplicationID(id, off)
	m := s.newMasterClient(h.conn, db)
	l.master, l.prePSYNC = m, pre
	l.applied, l.readOff = off, off
	s.linkUp()
	return true, nil
}

// replicaLoadingHook, when set, runs (without the lock) at the start of a
// full-sync load: tests use it to observe the loading state.
var replicaLoadingHook func()

// decodeInto loads the RDB file into fresh databases of a detached server
// that shares nothing with s but the logger and the clock, so it can run
// without s.mu. While it runs, a newline goes to the master once a second.
func (s *Server) decodeInto(path string, o *Options, now time.Time, h *handshake) (*Server, *rdbLoader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	shadow := &Server{opts: o, log: s.log, timeNow: s.timeNow, dbs: make([]*DB, len(s.dbs))}
	for i := range shadow.dbs {
		shadow.dbs[i] = newDB(shadow, i)
	}
	l := &rdbLoader{s: shadow, db: shadow.dbs[0], now: now.UnixMilli(), opts: o,
		keepExpired: true, aux: map[string]string{}}
	r := &keepaliveReader{r: f, conn: h.conn, last: time.Now()}
	if err := rdb.NewDecoder(r).Decode(l); err != nil {
		return nil, nil, err
	}
	return shadow, l, nil
}

// keepaliveReader writes "\n" to the master at most once a second while
// the received RDB is read (replicationSendNewlineToMaster).
type keepaliveReader struct {
	r    io.Reader
	conn net.Conn
	last time.Time
}

func (k *keepaliveReader) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(k.last) >= time.Second {
		k.last = now
		k.conn.SetWriteDeadline(now.Add(replSyncIOTimeout))
		// An error shows up on the link later; loading goes on.
		_, _ = k.conn.Write([]byte{'\n'})
	}
	return k.r.Read(p)
}

// --- the command stream ------------------------------------------------------

func ackCommand(off int64) []byte {
	return resp.AppendCommandStrings(nil, "REPLCONF", "ACK", strconv.FormatInt(off, 10))
}

// errMasterKilled reports a CLIENT KILL of the master client.
var errMasterKilled = errors.New("master client killed")

// replicaStream reads and applies the master's command stream until the
// link fails. initial holds stream bytes already read.
func (s *Server) replicaStream(ctx context.Context, gen uint64, h *handshake, initial []byte, m *Client) error {
	l := &s.repl.link
	buf := make([]byte, 0, max(64<<10, 2*len(initial)))
	buf = append(buf, initial...)
	// Anything the handshake reader buffered belongs to the stream too.
	if n := h.br.Buffered(); n > 0 {
		b, _ := h.br.Peek(n)
		buf = append(buf, b...)
		h.br.Discard(n)
	}
	pos, feedStart, need := 0, 0, 0
	var argsBuf [][]byte
	fresh := int64(len(buf))
	lastAck := time.Now()
	lim := resp.Limits{MaxBulk: 1 << 62} // the master is obeyed: no proto-max-bulk-len
	for {
		var acks []int64
		s.mu.Lock()
		if !s.replicaCurrent(gen) {
			s.mu.Unlock()
			return errLinkGone
		}
		if m.flags&flagCloseASAP != 0 {
			s.mu.Unlock()
			return errMasterKilled
		}
		now := s.timeNow()
		if fresh > 0 {
			m.lastInteraction = now
			l.readOff += fresh
			fresh = 0
		}
		if len(buf) > pos && len(buf) >= need {
			var err error
			pos, feedStart, need, argsBuf, err = s.applyStream(m, buf, pos, feedStart, lim, argsBuf)
			if err != nil {
				s.mu.Unlock()
				return err
			}
		}
		if now.Sub(m.lastInteraction) > s.opts.ReplTimeout {
			s.mu.Unlock()
			return errors.New("MASTER timeout: no data nor PING received...")
		}
		acks = append(acks, l.pendingAcks...)
		l.pendingAcks = l.pendingAcks[:0]
		if !l.prePSYNC && time.Since(lastAck) >= time.Second {
			acks = append(acks, l.applied)
		}
		s.mu.Unlock()

		for _, off := range acks {
			if err := h.write(ackCommand(off)); err != nil {
				return fmt.Errorf("I/O error writing to MASTER: %w", err)
			}
			lastAck = time.Now()
		}
		// Keep only what is not yet fed: an open MULTI's bytes and a
		// partial command.
		if feedStart > 0 {
			n := copy(buf, buf[feedStart:])
			buf = buf[:n]
			pos -= feedStart
			need = max(need-feedStart, 0)
			feedStart = 0
		}
		if want := max(need, len(buf)+4096); want > cap(buf) {
			nb := make([]byte, len(buf), max(want, 2*cap(buf)))
			copy(nb, buf)
			buf = nb
		}
		h.conn.SetReadDeadline(time.Now().Add(replPollInterval))
		n, err := h.conn.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			buf = buf[:len(buf)+n]
			fresh = int64(n)
			l.netInput.Add(int64(n))
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if ctx.Err() != nil {
				return errLinkGone
			}
			if err == io.EOF {
				return errors.New("Connection with master lost.")
			}
			return fmt.Errorf("Error reading from MASTER: %w", err)
		}
	}
}

// applyStream executes the complete commands of buf[pos:] as the master
// client and feeds what was applied to the backlog and the sub-replicas.
// It returns the new parse position, the start of the bytes not yet fed (an
// open transaction), and how many bytes buf needs before the next command
// can be framed. Caller holds s.mu.
func (s *Server) applyStream(m *Client, buf []byte, pos, feedStart int, lim resp.Limits, argsBuf [][]byte) (int, int, int, [][]byte, error) {
	l := &s.repl.link
	for pos < len(buf) {
		args, n, needN, err := resp.ReadCommandNeed(buf[pos:], lim, argsBuf)
		if err != nil {
			return pos, feedStart, 0, argsBuf, fmt.Errorf("Protocol error from MASTER: %w", err)
		}
		if n == 0 {
			return pos, feedStart, pos + needN, argsBuf, nil
		}
		pos += n
		if len(args) > 0 {
			argsBuf = args[:0]
			m.commandFailed = false
			l.applying = true
			s.processCommand(m, args)
			l.applying = false
			if m.commandFailed {
				s.log.Warn(fmt.Sprintf("== CRITICAL == This replica is sending an error to its master: '%s' after processing the command '%s'",
					strings.TrimSpace(strings.TrimPrefix(string(m.reply), "-")), string(args[0])),
					zap.String("event", "replica-error-to-master"))
			}
			// Replies to the master are never sent.
			m.reply = m.reply[:0]
		}
		if m.flags&flagMulti == 0 {
			s.replFeed(buf[feedStart:pos])
			l.applied += int64(pos - feedStart)
			feedStart = pos
		}
		if m.flags&flagCloseASAP != 0 || l.master != m {
			break
		}
	}
	return pos, feedStart, 0, argsBuf, nil
}

// applyingMasterStream reports whether the running command came from the
// master link: keys are then never expired (see DB.expireIfNeeded).
func (s *Server) applyingMasterStream() bool { return s.repl.link.applying }

// --- hooks for the master side and INFO/ROLE ---------------------------------

// replicaGetack answers REPLCONF GETACK from the master: the offset applied
// before the GETACK itself, sent once the batch is done.
func replicaGetack(c *Client) {
	l := &c.srv.repl.link
	if l.master == c && !l.prePSYNC {
		l.pendingAcks = append(l.pendingAcks, l.applied)
	}
}

// replicaStreamDB is repl-stream-db for the RDB aux fields of a replica:
// the db of the master client, or of the cached master. Caller holds s.mu.
func (s *Server) replicaStreamDB() (int, bool) {
	l := &s.repl.link
	switch {
	case l.master != nil:
		return l.master.db.id, true
	case l.cached != nil:
		return l.cached.db, true
	}
	return 0, false
}

// replicaNetInput is total_net_repl_input_bytes.
func (s *Server) replicaNetInput() int64 { return s.repl.link.netInput.Load() }

// replicaInfo writes INFO replication's replica block, from master_host to
// replica_announced. Caller holds s.mu.
func (s *Server) replicaInfo(b *strings.Builder) {
	w := infoWriter{b}
	l := &s.repl.link
	now := s.timeNow().Unix()
	readOff, applied := int64(1), int64(1)
	lastIO := int64(-1)
	switch {
	case l.master != nil:
		readOff, applied = l.readOff, l.applied
		lastIO = now - l.master.lastInteraction.Unix()
	case l.cached != nil:
		readOff, applied = l.cached.offset, l.cached.offset
	}
	w.kv("master_host", s.repl.masterHost)
	w.kv("master_port", s.repl.masterPort)
	w.kv("master_link_status", map[bool]string{true: "up", false: "down"}[l.state == linkConnected])
	w.kv("master_last_io_seconds_ago", lastIO)
	w.kv("master_sync_in_progress", boolInt(l.state == linkTransfer))
	w.kv("slave_read_repl_offset", readOff)
	w.kv("slave_repl_offset", applied)
	if l.state == linkTransfer {
		read := l.xferRead.Load()
		perc := 0.0
		if l.xferSize != 0 {
			perc = float64(read) / float64(l.xferSize) * 100
		}
		w.kv("master_sync_total_bytes", l.xferSize)
		w.kv("master_sync_read_bytes", read)
		w.kv("master_sync_left_bytes", l.xferSize-read)
		w.kv("master_sync_perc", perc)
		w.kv("master_sync_last_io_seconds_ago", now-l.xferLastIO.Load())
	}
	if l.state != linkConnected {
		down := int64(-1)
		if !l.downSince.IsZero() {
			down = now - l.downSince.Unix()
		}
		w.kv("master_link_down_since_seconds", down)
	}
	w.kv("slave_priority", s.opts.ReplicaPriority)
	w.kv("slave_read_only", boolInt(s.opts.ReplicaReadOnly))
	w.kv("replica_announced", boolInt(s.opts.ReplicaAnnounced))
}

// replicaRole replies ROLE's replica form.
func replicaRole(c *Client) {
	s := c.srv
	l := &s.repl.link
	c.ReplyArray(5)
	c.ReplyBulkString("slave")
	c.ReplyBulkString(s.repl.masterHost)
	c.ReplyInt(int64(s.repl.masterPort))
	c.ReplyBulkString(linkStateNames[l.state])
	off := int64(-1)
	if l.master != nil {
		off = l.applied
	}
	c.ReplyInt(off)
}

// --- what a replica refuses ----------------------------------------------------

// rejectReplicaState refuses, in Redis's order: writes on a read-only
// replica (READONLY), commands without the stale flag while the link is
// down and replica-serve-stale-data is off (MASTERDOWN: PING included),
// and commands without the loading flag while a full sync loads (LOADING).
// The master client is exempt from all three.
func rejectReplicaState(s *Server, c *Client, cmd *Command) string {
	if c.mustObey() {
		return ""
	}
	if s.isReplica() {
		if s.opts.ReplicaReadOnly && txAny(c, cmd, func(f CmdFlags) bool { return f&FlagWrite != 0 }) {
			return "READONLY You can't write against a read only replica."
		}
		if !s.opts.ReplicaServeStaleData && s.repl.link.state != linkConnected &&
			txAny(c, cmd, func(f CmdFlags) bool { return f&FlagStale == 0 }) {
			return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
		}
	}
	if s.persist.loading && txAny(c, cmd, func(f CmdFlags) bool { return f&FlagLoading == 0 }) {
		return "LOADING Redis is loading the dataset in memory"
	}
	return ""
}

// txAny reports whether cmd's flags match, or, for EXEC, those of a
// queued command (Redis tests EXEC with the union of its queue's flags).
func txAny(c *Client, cmd *Command, match func(CmdFlags) bool) bool {
	if cmd.Name != "exec" {
		return match(cmd.Flags)
	}
	// EXEC itself is neither a write nor refused when stale or loading:
	// its queue decides.
	for _, q := range c.multi {
		if match(q.cmd.Flags) {
			return true
		}
	}
	return false
}

package backend

// The master side of replication: the propagator that turns the write
// stream into the replication stream, REPLCONF/PSYNC/SYNC, full syncs
// (disk and diskless), partial resyncs from the backlog, replica
// bookkeeping, INFO replication and ROLE.
//
// Output path. A replica is an ordinary gnet connection. Once online it is
// fed like any client: replFeed appends the stream to c.reply and wakes the
// loop, which writes it (the loop never blocks; gnet keeps what the socket
// does not take, and flush applies client-output-buffer-limit replica to
// that). During a full sync the RDB is produced by a goroutine, and every
// byte for that replica goes through its replSender instead: bounded chunks
// handed to conn.AsyncWrite, with flow control from the socket's outbound
// buffer size as seen by the write callbacks (which run on the loop), so a
// slow replica holds at most ~replSenderHighWater bytes in memory and the
// event loop is never blocked. While a sender exists nothing is appended to
// c.reply for that replica (replies to a replica are switched off anyway);
// the sender steals what c.reply held when it was created and is retired
// only after all its writes ran on the loop, so bytes keep their order when
// the path switches back to c.reply. The stream produced since the
// snapshot began is buffered in replicaConn.pending (counted against the
// replica output limits, as Redis does) and sent right after the RDB, or,
// for a diskless transfer, after the replica's first REPLCONF ACK (nothing
// may follow the EOF mark before it).

import (
	"bufio"
	"bytes"
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

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
)

func init() {
	register(
		&Command{Name: "replconf", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagAllowBusy,
			Group: "server", Since: "3.0.0", Summary: "An internal command for configuring the replication stream",
			Proc: replconfCommand},
		&Command{Name: "psync", Arity: -3, Flags: FlagNoAsyncLoading | FlagAdmin | FlagNoScript | FlagNoMulti,
			Group: "server", Since: "2.8.0", Summary: "Internal command used for replication", Proc: syncCommand},
		&Command{Name: "sync", Arity: 1, Flags: FlagNoAsyncLoading | FlagAdmin | FlagNoScript | FlagNoMulti,
			Group: "server", Since: "1.0.0", Summary: "Internal command used for replication", Proc: syncCommand},
		&Command{Name: "role", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast,
			Group: "server", Since: "2.8.12", Summary: "Return the role of the instance in the context of replication",
			ACL: []string{"admin", "dangerous"}, Proc: roleCommand},
	)
	// Around persist.go's loadAtStart (files initialise in name order):
	// a master loads its RDB with a backlog to feed, then resumes the
	// history the RDB holds; the AOF sink comes first, then this one.
	loadHooks = append([]func(*Server) error{func(s *Server) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.replBeforeLoad()
		return nil
	}}, loadHooks...)
	loadHooks = append(loadHooks, func(s *Server) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.replInit()
		s.replResumeFromRDB()
		s.AddPropagator(s.replPropagate)
		return nil
	})
	cronHooks = append(cronHooks, (*Server).replicationCron)
	clientFreeHooks = append(clientFreeHooks, func(c *Client) { c.srv.replClientGone(c) })
	postCallHooks = append(postCallHooks, (*Server).replSendGetackIfNeeded)
	replicationInfo = func(s *Server, b *strings.Builder) { s.infoReplication(b) }
	replicationStats = func(s *Server) ReplicationStats {
		r := &s.repl
		return ReplicationStats{SyncFull: r.syncFull, SyncPartialOK: r.syncPartialOK,
			SyncPartialErr: r.syncPartialErr, NetOutput: r.streamOutput.Load() + r.senderOutput.Load(),
			NetInput: s.replicaNetInput()}
	}
	replAuxHook = func(s *Server) map[string]string { return s.replAuxFields() }
	rejectionChecks = append(rejectionChecks, minReplicasCheck)
}

// --- the propagator ---------------------------------------------------------

// replPropagate is the replication sink of the write stream
// (replicationFeedSlaves): SELECT when the db changes, then the command.
func (s *Server) replPropagate(db int, args [][]byte) {
	r := &s.repl
	if s.isReplica() || len(args) == 0 {
		// A replica forwards its master's stream (replFeed from the
		// replica side), never its own writes.
		return
	}
	if r.backlog == nil && len(r.replicas) == 0 {
		return
	}
	buf := r.scratch[:0]
	if db != r.seldb {
		buf = appendSelect(buf, db)
		r.seldb = db
	}
	buf = resp.AppendCommand(buf, args...)
	s.replFeed(buf)
	if cap(buf) <= 64<<10 {
		r.scratch = buf
	}
}

// propagateToReplicas replicates c's command to the replicas but not to
// the AOF, as (S)PUBLISH's forceCommandPropagation(PROPAGATE_REPL) does.
// Inside EXEC it joins the transaction's effects, where emitTransaction
// recognises it by name (replOnlyEffect), so that it keeps its place in
// the block.
func (c *Client) propagateToReplicas() {
	if c.flags&flagMulti != 0 {
		c.Propagate(c.argv...)
		return
	}
	c.srv.replPropagate(c.db.id, c.argv)
}

// replOnlyEffect reports whether a propagated command is one that
// propagateToReplicas sends: the only commands for replicas alone.
func replOnlyEffect(args [][]byte) bool {
	return strings.EqualFold(string(args[0]), "publish") || strings.EqualFold(string(args[0]), "spublish")
}

// replBufferMemory is what the replication stream holds in memory, for
// INFO memory: the backlog's ring (allocated whole with the backlog), and
// the stream replicas have yet to be sent: buffered since their snapshot
// began, or queued for their event loop.
func (s *Server) replBufferMemory() (backlog, replicas int64) {
	r := &s.repl
	if r.backlog != nil {
		backlog = int64(cap(r.backlog.buf))
	}
	for _, rc := range r.replicas {
		replicas += int64(len(rc.pending) + len(rc.c.reply))
	}
	return backlog, replicas
}

// replFeedCommand feeds a command in the currently selected db (PING,
// REPLCONF GETACK), never causing a SELECT, as Redis passes slaveseldb.
func (s *Server) replFeedCommand(args ...string) {
	if s.isReplica() || s.repl.backlog == nil {
		return
	}
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	s.replFeed(resp.AppendCommand(nil, b...))
}

// replBeforeLoad starts Redis 7.0's master restart (loadDataFromDisk): a
// master loading its RDB has a backlog meanwhile, so that the keys the
// load drops as already expired are fed to it as deletions
// (replFeedLoadExpired, RDBFLAGS_FEED_REPL). A replica that resumes from
// the RDB's history then drops them too, where it would otherwise keep
// them for good (replicas never expire keys themselves).
func (s *Server) replBeforeLoad() {
	if s.opts.MasterHost != "" || s.isReplica() || s.opts.AppendOnly || s.opts.SentinelMode {
		return
	}
	s.replInit()
	s.createBacklog()
	s.repl.feedLoad = true
}

// replFeedLoadExpired feeds the deletion of a key the startup load found
// expired, with the command an expiry propagates.
func (s *Server) replFeedLoadExpired(db int, key []byte) {
	s.replPropagate(db, deletionArgs(s.opts.LazyfreeExpire, key))
}

// replResumeFromRDB completes the master restart: the history of the RDB
// just loaded becomes replid2, so former replicas can partially resync,
// and what was fed during the load follows it. Without a history the
// backlog goes (no replica could use it); the offset keeps counting what
// was fed, as Redis's does.
func (s *Server) replResumeFromRDB() {
	r := &s.repl
	if !r.feedLoad {
		return
	}
	r.feedLoad = false
	aux := s.persist.loadedAux // LoadedAux takes the lock we hold
	id, off := aux["repl-id"], aux["repl-offset"]
	o, err := strconv.ParseInt(off, 10, 64)
	if len(id) != 40 || err != nil || o < 0 || aux["repl-stream-db"] == "" {
		s.freeBacklog()
		return
	}
	r.replid2 = id
	r.secondOffset = o + 1
	r.offset += o
	r.backlog.rebase(o)
	r.noReplicasSince = s.timeNow()
	s.log.Info("Resuming replication history from the RDB file", zap.String("event", "repl-resume"),
		zap.String("replid2", id), zap.Int64("offset", o))
}

// replAuxFields are rdbPopulateSaveInfo's fields: only when there is a
// history to resume (a backlog on a master, or a replica).
func (s *Server) replAuxFields() map[string]string {
	s.replInit()
	r := &s.repl
	if r.backlog == nil && !s.isReplica() {
		return nil
	}
	db := r.seldb
	if db < 0 {
		db = 0
	}
	if s.isReplica() && replicaStreamDBHook != nil {
		db = replicaStreamDBHook(s)
	}
	return map[string]string{
		"repl-stream-db": strconv.Itoa(db),
		"repl-id":        r.replid,
		"repl-offset":    strconv.FormatInt(r.offset, 10),
	}
}

// replicaStreamDBHook, set by the replica side, gives the db its master
// stream has selected (for repl-stream-db in RDB files it saves).
var replicaStreamDBHook func(s *Server) int

// --- REPLCONF ---------------------------------------------------------------

func replconfCommand(c *Client) {
	s := c.srv
	s.replInit()
	if len(c.argv)%2 == 0 {
		c.ReplyError(ErrSyntax)
		return
	}
	rc := c.repl
	if rc == nil {
		rc = &replicaConn{c: c, created: s.timeNow()}
	}
	for j := 1; j < len(c.argv); j += 2 {
		opt := strings.ToLower(string(c.argv[j]))
		val := c.argv[j+1]
		switch opt {
		case "listening-port":
			v, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			rc.port = int(v)
		case "ip-address":
			if len(val) >= 256 {
				c.ReplyError(fmt.Sprintf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(val)))
				return
			}
			rc.ip = string(val)
		case "capa":
			switch strings.ToLower(string(val)) {
			case "eof":
				rc.capaEOF = true
			case "psync2":
				rc.capaPsync2 = true
			}
		case "ack":
			// Never replied; ignored from a client that is not a replica.
			if c.flags&flagReplica == 0 || c.repl == nil {
				return
			}
			off, ok := ParseInt(val)
			if !ok {
				return
			}
			s.replicaAck(c.repl, off)
			return
		case "getack":
			if c.flags&flagMaster != 0 && replconfGetackHook != nil {
				replconfGetackHook(c)
			}
			return
		case "rdb-only":
			v, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			if v < 0 || v > 1 {
				c.ReplyError("ERR value is out of range, value must between 0 and 1")
				return
			}
			rc.rdbOnly = v == 1
		case "rdb-filter-only":
			// The only filter Redis 7.0 knows is "functions"; warden has
			// no functions, so a filtered RDB holds no data at all.
			for _, f := range strings.Fields(string(val)) {
				if !strings.EqualFold(f, "functions") {
					c.ReplyError("ERR Unsupported rdb-filter-only option: " + f)
					return
				}
			}
			rc.rdbFilter = true
		default:
			c.ReplyError("ERR Unrecognized REPLCONF option: " + string(c.argv[j]))
			return
		}
	}
	c.repl = rc
	c.ReplyOK()
}

// replicaAck records REPLCONF ACK from a replica.
func (s *Server) replicaAck(rc *replicaConn, off int64) {
	if off > rc.ackOff {
		rc.ackOff = off
	}
	rc.ackTime = s.timeNow()
	if rc.diskless && rc.snapStarted && rc.state != replOnline {
		// The replica found the EOF mark before the transfer goroutine
		// got to mark it online: it is the first ACK all the same.
		rc.ackedEarly = true
	}
	if rc.state == replOnline && rc.waitFirstAck {
		// The first ACK after a diskless transfer: the replica has
		// found the EOF mark, so the stream may start.
		s.replStartStream(rc)
	}
	if len(s.repl.waits) > 0 {
		s.processWaiters()
	}
	if s.repl.failover.state != failoverNone {
		s.failoverCheckProgress()
	}
}

// --- PSYNC / SYNC -----------------------------------------------------------

func syncCommand(c *Client) {
	s := c.srv
	s.replInit()
	r := &s.repl
	if c.flags&flagReplica != 0 {
		return // already a replica: ignore, as Redis does
	}
	psync := strings.EqualFold(string(c.argv[0]), "psync")
	var psyncOff int64
	if psync {
		v, ok := c.IntArg(2)
		if !ok {
			return
		}
		psyncOff = v
		if len(c.argv) > 3 && c.ArgIs(3, "failover") {
			if !s.isReplica() {
				c.ReplyError("ERR PSYNC FAILOVER can't be sent to a master.")
				return
			}
			if string(c.argv[1]) != r.replid {
				c.ReplyError("ERR PSYNC FAILOVER replid must match my replid.")
				return
			}
			if replicationUnsetMasterHook == nil {
				c.ReplyError("ERR PSYNC FAILOVER is not supported")
				return
			}
			replicationUnsetMasterHook(s)
			s.log.Info("MASTER MODE enabled (failover request from '"+c.addr+"')", zap.String("event", "failover-promoted"))
		}
	}
	if r.failover.state != failoverNone {
		c.ReplyError("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	if s.isReplica() && !r.masterLinkUp {
		c.ReplyError("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	rc := c.repl
	if rc == nil {
		rc = &replicaConn{c: c, created: s.timeNow()}
		c.repl = rc
	}
	if rc.rdbFilter && !rc.capaEOF {
		c.ReplyError("ERR Filtered replica requires EOF capability")
		return
	}
	s.log.Info("Replica "+s.replicaName(rc)+" asks for synchronization", zap.String("event", "repl-sync-request"))
	if psync {
		if s.tryPartialResync(c, rc, string(c.argv[1]), psyncOff) {
			r.syncPartialOK++
			return
		}
		if string(c.argv[1]) != "?" {
			r.syncPartialErr++
		}
	} else {
		rc.oldSync = true
	}
	r.syncFull++
	rc.state = replWaitBgsave
	rc.created = s.timeNow()
	s.makeReplica(c, rc)
	if len(r.replicas) == 1 && r.backlog == nil {
		s.changeReplicationID()
		s.clearReplicationID2()
		s.createBacklog()
		s.log.Info(fmt.Sprintf("Replication backlog created, my new replication IDs are '%s' and '%s'", r.replid, r.replid2),
			zap.String("event", "repl-backlog-created"))
	}
	if s.attachToRunningSync(rc) {
		return
	}
	s.replMaybeStartSync(false)
}

// makeReplica turns c into a replica connection.
func (s *Server) makeReplica(c *Client, rc *replicaConn) {
	c.flags |= flagReplica
	c.class = classReplica
	// Replicas never get replies (REPLCONF ACK has none); the stream is
	// appended to c.reply directly.
	c.replyMode = 1
	s.repl.replicas = append(s.repl.replicas, rc)
	if s.opts.ReplDisableTCPNoDelay && c.conn != nil {
		_ = c.conn.SetNoDelay(false)
	}
}

// tryPartialResync is masterTryPartialResynchronization.
func (s *Server) tryPartialResync(c *Client, rc *replicaConn, id string, off int64) bool {
	r := &s.repl
	if id != r.replid && (id != r.replid2 || off > r.secondOffset) {
		if id != "?" {
			if id != r.replid && id != r.replid2 {
				s.log.Info(fmt.Sprintf("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')",
					id, r.replid, r.replid2), zap.String("event", "repl-psync-refused"))
			} else {
				s.log.Info(fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d",
					off, r.secondOffset), zap.String("event", "repl-psync-refused"))
			}
		} else {
			s.log.Info("Full resync requested by replica "+s.replicaName(rc), zap.String("event", "repl-full-requested"))
		}
		return false
	}
	if !s.canPartialResync(id, off) {
		s.log.Info("Unable to partial resync with replica "+s.replicaName(rc)+" for lack of backlog (Replica request was: "+strconv.FormatInt(off, 10)+").",
			zap.String("event", "repl-psync-refused"))
		return false
	}
	rc.state = replOnline
	rc.ackTime = s.timeNow()
	s.makeReplica(c, rc)
	line := "+CONTINUE\r\n"
	if rc.capaPsync2 {
		line = "+CONTINUE " + r.replid + "\r\n"
	}
	tail := r.backlog.since(off)
	c.reply = append(c.reply, line...)
	c.reply = append(c.reply, tail...)
	s.log.Info(fmt.Sprintf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.",
		s.replicaName(rc), len(tail), off), zap.String("event", "repl-psync-accepted"))
	return true
}

func (s *Server) replicaName(rc *replicaConn) string {
	ip := rc.ip
	if ip == "" {
		ip = peerIP(rc.c)
	}
	if rc.port != 0 {
		return net.JoinHostPort(ip, strconv.Itoa(rc.port))
	}
	return fmt.Sprintf("%s (client id %d)", rc.c.addr, rc.c.id)
}

func peerIP(c *Client) string {
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return c.addr
	}
	return host
}

// --- full sync ----------------------------------------------------------------

// syncJob is one snapshot shared by the replicas that take part in it.
type syncJob struct {
	diskless bool
	replicas []*replicaConn
	started  bool // the snapshot instant has passed
	offset   int64
	fileDone bool
}

// attachToRunningSync is Redis's "CASE 1": a disk snapshot for other
// replicas is being written; the new one shares it, starting from the same
// offset with a copy of what they buffered.
func (s *Server) attachToRunningSync(rc *replicaConn) bool {
	job := s.repl.job
	if job == nil || job.diskless || !job.started || job.fileDone || rc.rdbOnly || rc.rdbFilter {
		return false
	}
	var peer *replicaConn
	for _, o := range job.replicas {
		if o.c.flags&flagCloseASAP == 0 && !o.rdbOnly && !o.rdbFilter {
			peer = o
			break
		}
	}
	if peer == nil {
		return false
	}
	rc.pending = append([]byte(nil), peer.pending...)
	rc.sender = s.newReplSender(rc)
	rc.snapStarted = true
	rc.syncOffset = job.offset
	job.replicas = append(job.replicas, rc)
	rc.sender.writeNow([]byte(fmt.Sprintf("+FULLRESYNC %s %d\r\n", s.repl.replid, job.offset)))
	s.log.Info("Waiting for end of BGSAVE for SYNC", zap.String("event", "repl-sync-attach"))
	return true
}

// replMaybeStartSync starts a snapshot for the replicas waiting for one,
// if none is running. Diskless syncs wait repl-diskless-sync-delay for
// more replicas unless fromCron found the delay elapsed.
func (s *Server) replMaybeStartSync(fromCron bool) {
	r := &s.repl
	if r.job != nil {
		return
	}
	var waiting []*replicaConn
	allEOF, filtered := true, false
	var maxIdle time.Duration
	now := s.timeNow()
	for _, rc := range r.replicas {
		if rc.state == replWaitBgsave && !rc.snapStarted && rc.c.flags&flagCloseASAP == 0 {
			waiting = append(waiting, rc)
			allEOF = allEOF && rc.capaEOF
			filtered = filtered || rc.rdbFilter
			maxIdle = max(maxIdle, now.Sub(rc.created))
		}
	}
	if len(waiting) == 0 {
		return
	}
	// A filtered RDB is only produced for sockets (it is not the dataset
	// a disk file would be), as in Redis.
	diskless := (s.opts.ReplDisklessSync || filtered) && allEOF
	if diskless && s.opts.ReplDisklessSyncDelay > 0 {
		enough := s.opts.ReplDisklessSyncMaxReplicas > 0 && len(waiting) >= s.opts.ReplDisklessSyncMaxReplicas
		if !enough && (!fromCron || maxIdle < s.opts.ReplDisklessSyncDelay) {
			if !fromCron {
				s.log.Info("Delay next BGSAVE for diskless SYNC", zap.String("event", "repl-sync-delay"))
			}
			return
		}
	}
	job := &syncJob{diskless: diskless, replicas: waiting}
	r.job = job
	for _, rc := range waiting {
		rc.sender = s.newReplSender(rc)
		rc.diskless = diskless
	}
	target := "disk"
	if diskless {
		target = "replicas sockets"
	}
	s.log.Info("Starting BGSAVE for SYNC with target: "+target, zap.String("event", "repl-bgsave-start"))
	go s.runSyncJob(job)
}

// syncBegin runs under the lock at the snapshot instant: the offset of the
// +FULLRESYNC line, buffering from now on, and the aux fields.
func (s *Server) syncBegin(job *syncJob) map[string]string {
	r := &s.repl
	aux := s.replAuxFields()
	job.started = true
	job.offset = r.offset
	r.snapshots++
	// Every replica must see a SELECT before the first command.
	r.seldb = -1
	for _, rc := range job.replicas {
		rc.snapStarted = true
		rc.syncOffset = r.offset
		rc.pending = nil
		line := fmt.Sprintf("+FULLRESYNC %s %d\r\n", r.replid, r.offset)
		if rc.oldSync {
			line = "" // SYNC: the payload comes without a PSYNC reply
		}
		if job.diskless {
			rc.header = []byte(line)
			rc.headerPending = true
		} else if line != "" {
			rc.sender.writeNow([]byte(line))
		}
		s.log.Info(fmt.Sprintf("Full resync requested by replica %s, offset %d", s.replicaName(rc), r.offset),
			zap.String("event", "repl-fullresync"))
	}
	return aux
}

var errNoReplicas = errors.New("no replica left for this sync")

// runSyncJob produces the snapshot and delivers it.
func (s *Server) runSyncJob(job *syncJob) {
	if job.diskless {
		s.runDisklessSync(job)
	} else {
		s.runDiskSync(job)
	}
	s.mu.Lock()
	if s.repl.job == job {
		s.repl.job = nil
	}
	s.replMaybeStartSync(true)
	s.mu.Unlock()
}

// fanout writes the RDB to every replica of a diskless sync, each prefixed
// by its +FULLRESYNC line and the $EOF header.
type fanout struct {
	s       *Server
	job     *syncJob
	mark    []byte
	targets []*replicaConn
}

func (f *fanout) Write(p []byte) (int, error) {
	alive := 0
	for i, rc := range f.targets {
		if rc == nil {
			continue
		}
		err := error(nil)
		if rc.headerPending {
			rc.headerPending = false
			hdr := append(rc.header, "$EOF:"...)
			hdr = append(hdr, f.mark...)
			hdr = append(hdr, '\r', '\n')
			rc.header = nil
			err = rc.sender.write(hdr)
		}
		if err == nil && !rc.rdbFilter {
			err = rc.sender.write(p)
		}
		if err != nil {
			f.targets[i] = nil
			f.s.mu.Lock()
			f.s.dropReplica(rc, "I/O error during diskless sync: "+err.Error())
			f.s.mu.Unlock()
			continue
		}
		alive++
	}
	if alive == 0 {
		return 0, errNoReplicas
	}
	return len(p), nil
}

func (s *Server) runDisklessSync(job *syncJob) {
	s.mu.Lock()
	targets := append([]*replicaConn(nil), job.replicas...)
	s.mu.Unlock()
	f := &fanout{s: s, job: job, mark: []byte(randomHex(40)), targets: targets}
	err := s.SnapshotToFunc(f, func() map[string]string { return s.syncBegin(job) })
	if err == nil {
		// A filtered (functions-only) RDB: warden has no functions, so
		// it is an RDB without databases.
		if empty := filteredRDB(s, f); empty != nil {
			err = empty
		}
	}
	for i, rc := range f.targets {
		if rc == nil {
			continue
		}
		if err == nil {
			err2 := rc.sender.write(f.mark)
			if err2 == nil {
				err2 = rc.sender.drain()
			}
			if err2 != nil {
				f.targets[i] = nil
				s.mu.Lock()
				s.dropReplica(rc, "I/O error during diskless sync: "+err2.Error())
				s.mu.Unlock()
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.log.Warn("Diskless rdb transfer failed: "+err.Error(), zap.String("event", "repl-diskless-failed"))
	} else {
		s.log.Info("Diskless rdb transfer done", zap.String("event", "repl-diskless-done"))
	}
	for _, rc := range f.targets {
		if rc == nil || rc.c.flags&flagCloseASAP != 0 {
			continue
		}
		if err != nil {
			s.dropReplica(rc, "diskless sync failed")
			continue
		}
		rc.sender = nil
		s.replicaSynced(rc, true)
	}
}

// filteredRDB writes a data-less RDB to the targets that asked for
// rdb-filter-only (their data bytes were skipped by fanout).
func filteredRDB(s *Server, f *fanout) error {
	var wanted bool
	for _, rc := range f.targets {
		if rc != nil && rc.rdbFilter {
			wanted = true
		}
	}
	if !wanted {
		return nil
	}
	s.mu.Lock()
	fields := s.rdbAuxFields(nil, false)
	opts := s.encoderOptions()
	s.mu.Unlock()
	var chunk bytes.Buffer
	sink, err := newRDBSink(&chunk, opts, fields)
	if err == nil {
		err = sink.end()
	}
	if err == nil {
		err = sink.flush()
	}
	if err != nil {
		return err
	}
	for i, rc := range f.targets {
		if rc != nil && rc.rdbFilter {
			if err := rc.sender.write(chunk.Bytes()); err != nil {
				f.targets[i] = nil
				s.mu.Lock()
				s.dropReplica(rc, "I/O error during diskless sync")
				s.mu.Unlock()
			}
		}
	}
	return nil
}

var replTempSeq atomic.Int64

func (s *Server) runDiskSync(job *syncJob) {
	s.mu.Lock()
	dir := s.opts.Dir
	s.mu.Unlock()
	tmp := filepath.Join(dir, fmt.Sprintf("temp-repl-%d-%d.rdb", os.Getpid(), replTempSeq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	var size int64
	if err == nil {
		bw := bufio.NewWriterSize(f, 1<<20)
		err = s.SnapshotToFunc(bw, func() map[string]string { return s.syncBegin(job) })
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			size, err = f.Seek(0, io.SeekCurrent)
		}
	}
	s.mu.Lock()
	job.fileDone = true
	if s.repl.job == job {
		s.repl.job = nil // a new snapshot may start while this one is sent
	}
	if err != nil {
		s.log.Warn("BGSAVE for replication failed: "+err.Error(), zap.String("event", "repl-bgsave-failed"))
		for _, rc := range job.replicas {
			if rc.c.flags&flagCloseASAP == 0 {
				// Sent through the sender so it follows what it queued.
				rc.sender.writeNow([]byte("-ERR BGSAVE failed, replication can't continue\r\n"))
				s.dropReplicaAfter(rc, "BGSAVE failed")
			}
		}
		s.mu.Unlock()
		if f != nil {
			f.Close()
		}
		os.Remove(tmp)
		return
	}
	var senders []*replicaConn
	for _, rc := range job.replicas {
		if rc.c.flags&flagCloseASAP == 0 {
			rc.state = replSendBulk
			senders = append(senders, rc)
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, rc := range senders {
		wg.Add(1)
		go func(rc *replicaConn) {
			defer wg.Done()
			s.sendRDBFile(rc, f, size)
		}(rc)
	}
	wg.Wait()
	f.Close()
	os.Remove(tmp)
}

// sendRDBFile sends "$<len>\r\n" and the file to rc, then puts it online.
func (s *Server) sendRDBFile(rc *replicaConn, f *os.File, size int64) {
	err := rc.sender.write([]byte("$" + strconv.FormatInt(size, 10) + "\r\n"))
	if err == nil {
		r := io.NewSectionReader(f, 0, size)
		buf := make([]byte, replChunk)
		for err == nil {
			var n int
			n, err = r.Read(buf)
			if n > 0 {
				if werr := rc.sender.write(buf[:n]); werr != nil {
					err = werr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			err = rc.sender.drain()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.dropReplica(rc, "I/O error sending the RDB: "+err.Error())
		return
	}
	if rc.c.flags&flagCloseASAP != 0 {
		return
	}
	rc.sender = nil
	s.replicaSynced(rc, false)
}

// replicaSynced puts rc online after its RDB was sent (putSlaveOnline).
func (s *Server) replicaSynced(rc *replicaConn, diskless bool) {
	rc.state = replOnline
	rc.ackTime = s.timeNow() // no false timeout right after the transfer
	if rc.rdbOnly || rc.rdbFilter {
		// redis-cli --rdb / --functions-rdb: the payload is all it wants.
		s.dropReplicaAfter(rc, "rdb-only transfer done")
		return
	}
	if diskless && !rc.oldSync && !rc.ackedEarly {
		rc.waitFirstAck = true
	} else {
		s.replStartStream(rc)
	}
	s.log.Info("Synchronization with replica "+s.replicaName(rc)+" succeeded", zap.String("event", "repl-sync-ok"))
}

// replStartStream sends what was buffered during the sync and switches rc
// to the live stream.
func (s *Server) replStartStream(rc *replicaConn) {
	rc.waitFirstAck = false
	if len(rc.pending) > 0 {
		rc.c.reply = append(rc.c.reply, rc.pending...)
		rc.pending = nil
	}
	rc.pendingSoftSince = time.Time{}
	s.wake(rc.c)
}

// --- replicas going away -------------------------------------------------------

// dropReplica closes a replica connection now. Caller holds s.mu.
func (s *Server) dropReplica(rc *replicaConn, why string) {
	s.replRemove(rc)
	if rc.sender != nil {
		rc.sender.close()
	}
	if rc.c.flags&flagCloseASAP == 0 {
		s.log.Info("Disconnecting replica "+s.replicaName(rc)+": "+why, zap.String("event", "repl-replica-dropped"))
	}
	s.closeClientAsync(rc.c, why)
}

// dropReplicaAfter closes rc once what was queued for it is written.
func (s *Server) dropReplicaAfter(rc *replicaConn, why string) {
	s.replRemove(rc)
	sd := rc.sender
	if sd == nil {
		rc.c.flags |= flagCloseAfterReply
		rc.c.closeErr = why
		s.wake(rc.c)
		return
	}
	go func() {
		_ = sd.drain()
		s.mu.Lock()
		s.closeClientAsync(rc.c, why)
		s.mu.Unlock()
	}()
}

// replRemove takes rc out of the replica list.
func (s *Server) replRemove(rc *replicaConn) {
	r := &s.repl
	for i, o := range r.replicas {
		if o == rc {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			if len(r.replicas) == 0 {
				r.noReplicasSince = s.timeNow()
			}
			break
		}
	}
	if r.job != nil {
		for i, o := range r.job.replicas {
			if o == rc {
				r.job.replicas = append(r.job.replicas[:i:i], r.job.replicas[i+1:]...)
				break
			}
		}
	}
}

// replClientGone is the client-free hook.
func (s *Server) replClientGone(c *Client) {
	s.waitClientGone(c)
	rc := c.repl
	if rc == nil {
		return
	}
	if c.flags&flagReplica != 0 {
		for _, o := range s.repl.replicas {
			if o == rc {
				s.log.Info("Connection with replica "+s.replicaName(rc)+" lost.", zap.String("event", "repl-replica-lost"))
				break
			}
		}
	}
	s.replRemove(rc)
	if rc.sender != nil {
		rc.sender.close()
	}
}

// checkPendingLimit applies client-output-buffer-limit replica to what a
// syncing replica has buffered.
func (s *Server) checkPendingLimit(rc *replicaConn) {
	lim := s.opts.OutputLimits[classReplica]
	q := int64(len(rc.pending))
	switch {
	case lim.Hard > 0 && q >= lim.Hard:
	case lim.Soft > 0 && q >= lim.Soft:
		now := s.timeNow()
		if rc.pendingSoftSince.IsZero() {
			rc.pendingSoftSince = now
			return
		}
		if now.Sub(rc.pendingSoftSince) < time.Duration(lim.SoftSeconds)*time.Second {
			return
		}
	default:
		return
	}
	s.log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits.",
		zap.String("event", "output-limit"), zap.String("addr", rc.c.addr), zap.Int64("queued", q))
	rc.pending = nil
	s.dropReplica(rc, "output buffer limit")
}

// --- replicationCron ----------------------------------------------------------

func (s *Server) replicationCron() {
	s.replInit()
	r := &s.repl
	if r.backlog != nil && int64(len(r.backlog.buf)) != max(s.opts.ReplBacklogSize, minBacklogSize) {
		r.backlog = r.backlog.resize(s.opts.ReplBacklogSize)
	}
	s.replMaybeStartSync(true)
	s.failoverCron()
	now := s.timeNow()
	sec := now.Unix()
	if sec == r.lastCronSec {
		return
	}
	r.lastCronSec = sec
	r.cronLoops++

	// PING the replicas every repl-ping-replica-period seconds, except
	// while a FAILOVER with a deadline holds writes (offsets must match).
	period := int64(s.opts.ReplPingPeriod / time.Second)
	if period < 1 {
		period = 1
	}
	if r.cronLoops%period == 0 && len(r.replicas) > 0 && !s.isReplica() &&
		!(r.failover.state != failoverNone && !r.failover.deadline.IsZero()) {
		s.replFeedCommand("PING")
	}

	for _, rc := range append([]*replicaConn(nil), r.replicas...) {
		if rc.c.flags&flagCloseASAP != 0 {
			continue
		}
		switch {
		case rc.state == replWaitBgsave && rc.sender == nil:
			// Keepalive for a replica waiting for its snapshot.
			rc.c.reply = append(rc.c.reply, '\n')
			s.wake(rc.c)
		case rc.state == replWaitBgsave && rc.sender != nil && !rc.diskless:
			rc.sender.tryWrite([]byte{'\n'})
		case rc.state == replWaitBgsave && rc.sender != nil && !rc.snapStarted:
			rc.sender.tryWrite([]byte{'\n'})
		}
		if s.opts.ReplTimeout > 0 {
			switch {
			case rc.state == replOnline && !rc.oldSync && now.Sub(rc.ackTime) > s.opts.ReplTimeout:
				s.log.Warn("Disconnecting timedout replica (streaming sync): "+s.replicaName(rc), zap.String("event", "repl-timeout"))
				s.dropReplica(rc, "timeout")
			case rc.sender != nil && rc.diskless && rc.snapStarted:
				if last := rc.sender.lastIO.Load(); last != 0 && now.Sub(time.UnixMilli(last)) > s.opts.ReplTimeout {
					s.log.Warn("Disconnecting timedout replica (full sync): "+s.replicaName(rc), zap.String("event", "repl-timeout"))
					s.dropReplica(rc, "timeout")
				}
			}
		}
	}

	// repl-backlog-ttl: a master without replicas for that long frees its
	// backlog and starts a new history.
	if !s.isReplica() && len(r.replicas) == 0 && r.backlog != nil && s.opts.ReplBacklogTTL > 0 &&
		now.Sub(r.noReplicasSince) > s.opts.ReplBacklogTTL {
		s.changeReplicationID()
		s.clearReplicationID2()
		s.freeBacklog()
		s.log.Info(fmt.Sprintf("Replication backlog freed after %d seconds without connected replicas.",
			int64(s.opts.ReplBacklogTTL/time.Second)), zap.String("event", "repl-backlog-freed"))
	}
}

// --- min-replicas-to-write --------------------------------------------------------

// goodReplicas counts online replicas that acknowledged within
// min-replicas-max-lag.
func (s *Server) goodReplicas() int {
	n := 0
	now := s.timeNow().Unix()
	maxLag := int64(s.opts.MinReplicasMaxLag / time.Second)
	for _, rc := range s.repl.replicas {
		if rc.state == replOnline && now-rc.ackTime.Unix() <= maxLag {
			n++
		}
	}
	return n
}

func minReplicasCheck(s *Server, c *Client, cmd *Command) string {
	if s.isReplica() || s.opts.MinReplicasToWrite <= 0 || s.opts.MinReplicasMaxLag <= 0 || c.flags&flagMaster != 0 {
		return ""
	}
	write := cmd.Flags&FlagWrite != 0
	if !write && cmd.Name == "exec" {
		for _, q := range c.multi {
			if q.cmd.Flags&FlagWrite != 0 {
				write = true
				break
			}
		}
	}
	if write && s.goodReplicas() < s.opts.MinReplicasToWrite {
		return "NOREPLICAS Not enough good replicas to write."
	}
	return ""
}

// --- INFO and ROLE -------------------------------------------------------------

func (s *Server) infoReplication(b *strings.Builder) {
	s.replInit()
	r := &s.repl
	kv := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	if s.isReplica() {
		kv("role", "slave")
		if replicaInfoHook != nil {
			replicaInfoHook(s, b)
		}
	} else {
		kv("role", "master")
	}
	kv("connected_slaves", len(r.replicas))
	if s.opts.MinReplicasToWrite > 0 && s.opts.MinReplicasMaxLag > 0 {
		kv("min_slaves_good_slaves", s.goodReplicas())
	}
	now := s.timeNow().Unix()
	for i, rc := range r.replicas {
		lag := int64(0)
		if rc.state == replOnline {
			lag = now - rc.ackTime.Unix()
		}
		ip := rc.ip
		if ip == "" {
			ip = peerIP(rc.c)
		}
		fmt.Fprintf(b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n", i, ip, rc.port, replStateNames[rc.state], rc.ackOff, lag)
	}
	kv("master_failover_state", r.failover.stateName())
	kv("master_replid", r.replid)
	kv("master_replid2", r.replid2)
	kv("master_repl_offset", r.offset)
	kv("second_repl_offset", r.secondOffset)
	if r.backlog != nil {
		kv("repl_backlog_active", 1)
		kv("repl_backlog_size", s.opts.ReplBacklogSize)
		kv("repl_backlog_first_byte_offset", r.backlog.firstByteOffset())
		kv("repl_backlog_histlen", r.backlog.histlen)
	} else {
		kv("repl_backlog_active", 0)
		kv("repl_backlog_size", s.opts.ReplBacklogSize)
		kv("repl_backlog_first_byte_offset", 0)
		kv("repl_backlog_histlen", 0)
	}
}

func roleCommand(c *Client) {
	s := c.srv
	s.replInit()
	if s.isReplica() {
		if replicaRoleHook != nil {
			replicaRoleHook(c)
			return
		}
	}
	c.ReplyArray(3)
	c.ReplyBulkString("master")
	c.ReplyInt(s.repl.offset)
	d := c.ReplyDeferredArray()
	n := 0
	for _, rc := range s.repl.replicas {
		if rc.state != replOnline {
			continue
		}
		ip := rc.ip
		if ip == "" {
			ip = peerIP(rc.c)
		}
		c.ReplyArray(3)
		c.ReplyBulkString(ip)
		c.ReplyBulkInt(int64(rc.port))
		c.ReplyBulkInt(rc.ackOff)
		n++
	}
	c.SetDeferredArray(d, n)
}

// --- the per-replica sender -------------------------------------------------------

// Sender flow-control bounds.
const (
	replChunk           = 256 << 10
	replSenderHighWater = 4 << 20
)

var errReplicaGone = errors.New("replica connection closed")

// replSender writes to a replica's socket from a goroutine during a full
// sync; see the file comment.
type replSender struct {
	s    *Server
	conn gnet.Conn
	mu   sync.Mutex // orders writers; held while waiting for room
	// inflight: bytes handed to AsyncWrite whose callback has not run;
	// outq: the socket's outbound buffer as the last callback saw it.
	inflight atomic.Int64
	outq     atomic.Int64
	lastIO   atomic.Int64 // unix ms of the last completed write
	failed   atomic.Bool
	notify   chan struct{}
	closed   chan struct{}
	once     sync.Once
}

// newReplSender creates rc's sender, taking over what c.reply holds (the
// loop has not written it yet, so it goes first). Caller holds s.mu.
func (s *Server) newReplSender(rc *replicaConn) *replSender {
	sd := &replSender{s: s, conn: rc.c.conn, notify: make(chan struct{}, 1), closed: make(chan struct{})}
	sd.lastIO.Store(s.timeNow().UnixMilli())
	if rc.c.conn == nil {
		sd.close()
		return sd
	}
	if len(rc.c.reply) > 0 {
		p := rc.c.reply
		rc.c.reply = nil
		sd.writeNow(p)
	}
	return sd
}

func (sd *replSender) close() { sd.once.Do(func() { close(sd.closed) }) }

func (sd *replSender) signal() {
	select {
	case sd.notify <- struct{}{}:
	default:
	}
}

// async hands p (owned by the sender from now on) to the loop.
func (sd *replSender) async(p []byte) error {
	n := int64(len(p))
	sd.inflight.Add(n)
	err := sd.conn.AsyncWrite(p, func(c gnet.Conn, err error) error {
		sd.inflight.Add(-n)
		if err != nil {
			sd.failed.Store(true)
		} else {
			sd.outq.Store(int64(c.OutboundBuffered()))
			if n > 0 {
				sd.s.repl.senderOutput.Add(n)
				sd.lastIO.Store(time.Now().UnixMilli())
			}
		}
		sd.signal()
		return nil
	})
	if err != nil {
		sd.inflight.Add(-n)
		sd.failed.Store(true)
	}
	return err
}

// writeNow queues p without waiting for room (small control lines).
// Callable with s.mu held.
func (sd *replSender) writeNow(p []byte) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.failed.Load() || sd.isClosed() {
		return
	}
	_ = sd.async(append([]byte(nil), p...))
}

// tryWrite is writeNow unless a writer is busy (keepalives from cron).
func (sd *replSender) tryWrite(p []byte) {
	if !sd.mu.TryLock() {
		return
	}
	defer sd.mu.Unlock()
	if sd.failed.Load() || sd.isClosed() {
		return
	}
	_ = sd.async(append([]byte(nil), p...))
}

func (sd *replSender) isClosed() bool {
	select {
	case <-sd.closed:
		return true
	default:
		return false
	}
}

// write sends p in chunks, waiting while the replica is behind. Must not
// be called with s.mu held.
func (sd *replSender) write(p []byte) error {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	for len(p) > 0 {
		if err := sd.waitFor(func() bool { return sd.inflight.Load()+sd.outq.Load() < replSenderHighWater }); err != nil {
			return err
		}
		n := min(len(p), replChunk)
		if err := sd.async(append([]byte(nil), p[:n]...)); err != nil {
			return errReplicaGone
		}
		p = p[n:]
	}
	return nil
}

// drain waits until every queued write ran on the loop.
func (sd *replSender) drain() error {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return sd.waitFor(func() bool { return sd.inflight.Load() == 0 })
}

// waitFor waits for cond, probing the outbound buffer while nothing is in
// flight (the loop reports drains only through callbacks).
func (sd *replSender) waitFor(cond func() bool) error {
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	for {
		if sd.failed.Load() {
			return errReplicaGone
		}
		if cond() {
			return nil
		}
		select {
		case <-sd.closed:
			return errReplicaGone
		case <-sd.s.ctx.Done():
			return errReplicaGone
		case <-sd.notify:
		case <-t.C:
			if sd.inflight.Load() == 0 {
				if err := sd.async(nil); err != nil {
					return errReplicaGone
				}
			}
			t.Reset(2 * time.Millisecond)
		}
	}
}

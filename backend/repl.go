package backend

// Replication: the state shared by the master side (repl_master.go, WAIT
// and FAILOVER in cmd_repl.go) and the replica side (repl_replica.go).
//
// # API for the replica side (stable; all calls with Server.mu held)
//
// State, in s.repl (type replState):
//
//	replid, replid2   string  40 hex chars; replid2 is replIDNone (40 zeros) when unset
//	offset            int64   master_repl_offset
//	secondOffset      int64   second_repl_offset, -1 when unset
//	backlog           *backlog nil until created (first replica on a master, or
//	                           setReplicationID on a replica)
//	replicas          []*replicaConn  connected (sub-)replicas, any state
//	masterHost        string  SET BY THE REPLICA SIDE: non-empty while this node
//	masterPort        int     follows a master (REPLICAOF host port); s.isReplica()
//	                          is s.repl.masterHost != "". Clear on REPLICAOF NO ONE.
//	masterLinkUp      bool    SET BY THE REPLICA SIDE: true while the link to the
//	                          master is in the connected state (PSYNC from
//	                          sub-replicas is refused with -NOMASTERLINK otherwise)
//	link              replicaLink  the replica side's own state (repl_replica.go)
//
// Functions:
//
//	s.replFeed(raw []byte)
//	    Appends raw stream bytes to the backlog and to every sub-replica
//	    (buffering for those in a full sync) and advances offset. Does
//	    nothing while there is no backlog (as in Redis the offset is then
//	    frozen). The replica side calls it with exactly the bytes it has
//	    applied from its master, so the whole chain shares offsets.
//	    raw is copied; the caller may reuse it.
//	s.shiftReplicationID()
//	    Promotion (REPLICAOF NO ONE, PSYNC FAILOVER): replid2 = replid,
//	    secondOffset = offset+1, new random replid; the next master stream
//	    starts with SELECT. Does not disconnect sub-replicas: call
//	    s.disconnectReplicas() too (Redis does both on promotion).
//	s.adoptReplicationID(newID string)
//	    The replica got "+CONTINUE <newID>" with an id different from its
//	    own: replid2 = old replid, secondOffset = offset+1, replid = newID,
//	    and sub-replicas are disconnected so they learn the new id.
//	s.setReplicationID(id string, off int64)
//	    After a full sync from a master: replid = id, offset = off, replid2
//	    cleared, a fresh empty backlog starting at off+1 (replicas always
//	    keep one). Call s.disconnectReplicas() before loading the RDB.
//	s.disconnectReplicas()
//	    Closes every sub-replica connection (they reconnect and PSYNC).
//	s.freeBacklog()
//	    Drops the backlog (before a full-sync load, as Redis does).
//	s.canPartialResync(id string, off int64) bool
//	    The PSYNC2 rule: id == replid, or id == replid2 && off <=
//	    secondOffset; and the backlog covers off (first <= off <= offset+1).
//	s.isReplica() bool  (server.go)
//
// Hooks the replica side installs from its init (all called with s.mu held):
//
//	replicaInfoHook func(s *Server, b *strings.Builder)
//	    Writes the replica block of INFO replication, from master_host up to
//	    and including replica_announced (the lines after role:slave). The
//	    master side writes role:, then calls it when s.isReplica(), then the
//	    common tail (connected_slaves, min_slaves_good_slaves, slaveN lines,
//	    master_failover_state, master_replid, ... repl_backlog_histlen).
//	replicaRoleHook func(c *Client)
//	    Replies ROLE's replica form (["slave", host, port, state, offset]).
//	replconfGetackHook func(c *Client)
//	    Runs REPLCONF GETACK when c is the master link (flagMaster): the
//	    replica sends REPLCONF ACK <applied offset>.
//	replicaStreamDBHook func(s *Server) int  (repl_master.go)
//	    repl-stream-db for RDB files a replica saves or sends.
//	replicationSetMasterHook(s, host, port) / replicationUnsetMasterHook(s)
//	    (cmd_repl.go) what REPLICAOF host port / NO ONE do, for FAILOVER and
//	    PSYNC ... FAILOVER. During FAILOVER (s.repl.failover.state ==
//	    failoverInProgress) the replica side sends PSYNC ... FAILOVER and
//	    reports the answer with s.failoverPsyncResult(accepted bool).
//
// Core hooks used: Client.repl (the replicaConn of a client that sent
// REPLCONF/PSYNC) and Client.woff (master_repl_offset after its last
// command, set in call(); WAIT waits for it), in client.go/command.go.
//
// The replica side also provides (repl_replica.go): s.replicaNetInput()
// for total_net_repl_input_bytes, and its own state in s.repl.link.
//
// Commands owned by the master side: PSYNC, SYNC, REPLCONF, ROLE
// (repl_master.go), WAIT, FAILOVER (cmd_repl.go). REPLICAOF/SLAVEOF belong
// to the replica side.
//
// Propagation: the master-side propagator (s.AddPropagator) encodes each
// write command and calls replFeed, unless s.isReplica(): a replica's
// sub-replicas only get what the replica side feeds from its master.
// (S)PUBLISH goes to the replicas alone (c.propagateToReplicas); inside
// EXEC it keeps its place among the transaction's effects
// (emitTransaction, multi.go).

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// replIDNone is replid2 when there is no previous history.
var replIDNone = strings.Repeat("0", 40)

// Replica states as INFO prints them.
const (
	replWaitBgsave = iota // waiting for a snapshot to start (or for the diskless delay)
	replSendBulk          // +FULLRESYNC sent, the RDB is being produced/sent
	replOnline            // streaming
)

var replStateNames = [...]string{"wait_bgsave", "send_bulk", "online"}

// replState is the node's replication state. Guarded by Server.mu.
type replState struct {
	replid, replid2 string
	offset          int64
	secondOffset    int64
	backlog         *backlog
	replicas        []*replicaConn

	// set by the replica side; see the package comment above
	masterHost   string
	masterPort   int
	masterLinkUp bool
	// link is the replica side's own state (repl_replica.go).
	link replicaLink

	// feedLoad: the RDB loading at startup feeds the deletions of the
	// keys it finds expired to the backlog (see replBeforeLoad).
	feedLoad bool
	// seldb is the db the master stream last selected (Redis's
	// slaveseldb); -1 forces a SELECT before the next command.
	seldb int
	// scratch is the propagator's encoding buffer, reused.
	scratch []byte
	// noReplicasSince is when the last replica went away (backlog TTL).
	noReplicasSince time.Time
	// pingTicks counts cron seconds for repl-ping-replica-period.
	lastCronSec int64
	cronLoops   int64

	// stats
	syncFull, syncPartialOK, syncPartialErr int64
	snapshots                               int64 // full-sync snapshots taken (tests)
	// bytes written to replicas: by the event loops (streamOutput, see
	// conn.go flush) and by full-sync senders (senderOutput)
	streamOutput, senderOutput atomic.Int64

	// getackPending: a WAIT client blocked in this event-loop round; a
	// REPLCONF GETACK * is fed once (see cmd_repl.go).
	getackPending bool
	waits         map[*Client]*waitState

	// job is the full sync being prepared or running (nil when none).
	job *syncJob
	// failover is the FAILOVER state (cmd_repl.go).
	failover failoverState

	inited bool
}

// replicaConn is one replica attached to this node. Guarded by Server.mu.
type replicaConn struct {
	c     *Client
	state int
	// ackOff/ackTime: last REPLCONF ACK offset and when it arrived.
	ackOff  int64
	ackTime time.Time
	// listening port and announced ip (REPLCONF listening-port/ip-address)
	port int
	ip   string
	// capabilities
	capaEOF, capaPsync2 bool
	// oldSync: attached with SYNC (never ACKs, no timeout, no PSYNC reply)
	oldSync bool
	// diskless target of the current full sync
	diskless bool
	// pending holds the stream produced since the snapshot of the running
	// full sync began; sent after the RDB.
	pending []byte
	// waitFirstAck: a diskless transfer finished; nothing may follow the
	// EOF mark until the replica's first ACK.
	waitFirstAck bool
	// ackedEarly: its first ACK came before the transfer was marked done.
	ackedEarly bool
	// syncOffset is the +FULLRESYNC offset.
	syncOffset int64
	// created is when it asked to sync; lastIO is the last progress of a
	// transfer (full-sync timeout).
	created time.Time
	lastIO  time.Time
	// sender writes to the socket during a full sync (repl_master.go).
	sender *replSender
	// pendingSoftSince: client-output-buffer-limit soft bookkeeping of
	// the pending buffer.
	pendingSoftSince time.Time
	// snapStarted: the snapshot of its full sync has begun (pending
	// buffering is on).
	snapStarted bool
	// header is the +FULLRESYNC line of a diskless transfer, sent with the
	// $EOF line before the first RDB bytes (headerPending until then).
	header        []byte
	headerPending bool
	// REPLCONF rdb-only 1 / rdb-filter-only: the RDB is all it wants.
	rdbOnly, rdbFilter bool
}

// Hooks the replica side installs (see the package comment).
var (
	replicaInfoHook    func(s *Server, b *strings.Builder)
	replicaRoleHook    func(c *Client)
	replconfGetackHook func(c *Client)
)

// replInit sets the initial ids. Called lazily by every entry point (New
// is not replication's to edit); idempotent. Caller holds s.mu.
func (s *Server) replInit() {
	r := &s.repl
	if r.inited {
		return
	}
	r.inited = true
	r.replid = s.defaultReplID() // the id INFO showed before, if any
	r.replid2 = replIDNone
	r.secondOffset = -1
	r.seldb = -1
	r.noReplicasSince = s.timeNow()
}

// replFeed appends raw to the backlog and the sub-replicas; see the API.
func (s *Server) replFeed(raw []byte) {
	s.replInit()
	r := &s.repl
	if r.backlog == nil || len(raw) == 0 {
		return
	}
	r.backlog.feed(raw)
	r.offset += int64(len(raw))
	for _, rc := range r.replicas {
		switch {
		case rc.c.flags&flagCloseASAP != 0:
		case rc.state == replOnline && !rc.waitFirstAck && rc.sender == nil:
			rc.c.reply = append(rc.c.reply, raw...)
			s.wake(rc.c)
		case rc.snapStarted || rc.state != replWaitBgsave:
			// The snapshot has started: buffer from its offset.
			rc.pending = append(rc.pending, raw...)
			s.checkPendingLimit(rc)
		}
		// wait_bgsave: the snapshot not yet started will contain it.
	}
}

// shiftReplicationID is the promotion step; see the API.
func (s *Server) shiftReplicationID() {
	s.replInit()
	r := &s.repl
	r.replid2 = r.replid
	r.secondOffset = r.offset + 1
	r.replid = randomHex(40)
	r.seldb = -1
	r.noReplicasSince = s.timeNow()
	s.log.Info("Setting secondary replication ID to " + r.replid2 + ", valid up to offset: " +
		strconv.FormatInt(r.secondOffset, 10) + ". New replication ID is " + r.replid)
}

// adoptReplicationID handles "+CONTINUE <newID>"; see the API.
func (s *Server) adoptReplicationID(newID string) {
	s.replInit()
	r := &s.repl
	if newID == r.replid {
		return
	}
	r.replid2 = r.replid
	r.secondOffset = r.offset + 1
	r.replid = newID
	s.disconnectReplicas()
}

// setReplicationID records the history of a completed full sync; see the
// API.
func (s *Server) setReplicationID(id string, off int64) {
	s.replInit()
	r := &s.repl
	r.replid = id
	r.offset = off
	r.replid2 = replIDNone
	r.secondOffset = -1
	r.backlog = newBacklog(s.opts.ReplBacklogSize, off)
	r.seldb = -1
}

// changeReplicationID is a fresh history (first replica, backlog TTL).
func (s *Server) changeReplicationID() {
	s.replInit()
	s.repl.replid = randomHex(40)
}

// clearReplicationID2 forgets the previous history.
func (s *Server) clearReplicationID2() {
	s.replInit()
	s.repl.replid2 = replIDNone
	s.repl.secondOffset = -1
}

// disconnectReplicas closes every sub-replica; see the API.
func (s *Server) disconnectReplicas() {
	for _, rc := range append([]*replicaConn(nil), s.repl.replicas...) {
		s.dropReplica(rc, "disconnecting replicas")
	}
}

// freeBacklog drops the backlog; see the API.
func (s *Server) freeBacklog() {
	s.repl.backlog = nil
}

// canPartialResync is the PSYNC2 acceptance rule; see the API.
func (s *Server) canPartialResync(id string, off int64) bool {
	s.replInit()
	r := &s.repl
	if id != r.replid && (id != r.replid2 || off > r.secondOffset) {
		return false
	}
	if r.backlog == nil {
		return false
	}
	first := r.backlog.firstByteOffset()
	return off >= first && off <= first+r.backlog.histlen
}

// createBacklog makes an empty backlog continuing the current offset.
func (s *Server) createBacklog() {
	s.repl.backlog = newBacklog(s.opts.ReplBacklogSize, s.repl.offset)
}

// --- the backlog ----------------------------------------------------------

// backlog is the circular buffer of the last repl-backlog-size bytes of the
// stream. Guarded by Server.mu.
type backlog struct {
	buf     []byte
	idx     int   // next write position in buf
	histlen int64 // valid bytes, <= len(buf)
	// endOff is the offset of the last byte written (master_repl_offset).
	endOff int64
}

const minBacklogSize = 16 << 10

func newBacklog(size, offset int64) *backlog {
	if size < minBacklogSize {
		size = minBacklogSize
	}
	return &backlog{buf: make([]byte, size), endOff: offset}
}

// firstByteOffset is repl_backlog_first_byte_offset.
func (b *backlog) firstByteOffset() int64 { return b.endOff - b.histlen + 1 }

func (b *backlog) feed(p []byte) {
	b.endOff += int64(len(p))
	size := len(b.buf)
	if len(p) >= size {
		copy(b.buf, p[len(p)-size:])
		b.idx = 0
		b.histlen = int64(size)
		return
	}
	n := copy(b.buf[b.idx:], p)
	if n < len(p) {
		copy(b.buf, p[n:])
	}
	b.idx = (b.idx + len(p)) % size
	b.histlen = min(b.histlen+int64(len(p)), int64(size))
}

// rebase shifts the offsets of what the backlog holds by delta: at a
// master's restart it is fed before the history it continues is known.
func (b *backlog) rebase(delta int64) { b.endOff += delta }

// since returns a copy of the bytes from offset off (inclusive) to the end;
// off must be within [firstByteOffset, endOff+1].
func (b *backlog) since(off int64) []byte {
	n := b.endOff - off + 1
	if n <= 0 {
		return nil
	}
	out := make([]byte, n)
	size := len(b.buf)
	start := (b.idx - int(n)%size + size) % size
	if int(n) == size {
		start = b.idx
	}
	k := copy(out, b.buf[start:])
	if int64(k) < n {
		copy(out[k:], b.buf[:int(n)-k])
	}
	return out
}

// resize keeps as much recent history as fits (CONFIG SET
// repl-backlog-size).
func (b *backlog) resize(size int64) *backlog {
	if size < minBacklogSize {
		size = minBacklogSize
	}
	if size == int64(len(b.buf)) {
		return b
	}
	keep := min(b.histlen, size)
	nb := &backlog{buf: make([]byte, size), endOff: b.endOff - keep}
	nb.feed(b.since(b.endOff - keep + 1))
	return nb
}

package backend

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/wardenhq/warden/internal/resp"
)

// Client is one connection's state. Fields are guarded by Server.mu unless
// noted.
type Client struct {
	srv  *Server
	conn gnet.Conn // nil for internal clients (AOF loading, replication)
	id   uint64

	db    *DB
	proto int // 2 or 3
	name  string
	lib   string // CLIENT SETINFO lib-name
	libV  string // CLIENT SETINFO lib-ver
	user  string
	authd bool

	addr, laddr string
	ctime       time.Time
	lastCmdTime time.Time
	// lastInteraction is the last time the client sent anything (idle
	// timeout).
	lastInteraction time.Time
	lastCmd         string

	// the command being executed
	argv [][]byte
	cmd  *Command

	// reply is the pending output; the client's own loop swaps it out and
	// writes it. replyOff suppresses replies (CLIENT REPLY OFF/SKIP).
	reply      []byte
	replyMode  int // 0 on, 1 off, 2 skip next
	wakeQueued bool
	flags      clientFlags
	closeErr   string // why the client is being closed, for logs

	// transactions
	multi     []queuedCmd
	watched   []watchKey
	execDirty bool // a queued command was rejected: EXEC aborts

	// pub/sub
	subs  map[string]struct{}
	psubs map[string]struct{}
	ssubs map[string]struct{}

	// blocking operations
	block *blockState

	// output-limit bookkeeping: when the soft limit was first exceeded;
	// softLimitArmed is read by the client's loop without the lock to skip
	// the check while nothing is queued (it is only set by that loop).
	softLimitSince time.Time
	softLimitArmed bool
	spare          []byte // the previous reply buffer, reused
	class          int

	// per-command state
	commandFailed bool
	prop          []propCmd // effects to propagate for the running command
	propRewritten bool

	// replication (repl.go): woff is master_repl_offset right after the
	// client's last command (what WAIT waits for); repl is set once the
	// client sent REPLCONF or PSYNC/SYNC (a replica or one in handshake).
	woff int64
	repl *replicaConn

	nameBuf []byte // scratch for command-name lookups

	// loop-owned parse state
	argsBuf  [][]byte
	needRead int
	// inCounted is how much of the inbound buffer has been counted in
	// total_net_input_bytes (and as interaction) already.
	inCounted int
}

type clientFlags uint32

const (
	flagMulti clientFlags = 1 << iota
	flagDirtyCAS
	flagCloseAfterReply
	flagCloseASAP
	flagMonitor
	flagBlocked
	flagPubsub
	flagNoEvict
	flagReplica
	flagMaster
	flagReadonly
)

type queuedCmd struct {
	cmd  *Command
	argv [][]byte
}

// propCmd is one effect to replicate, with the database it applies to.
type propCmd struct {
	db   int
	args [][]byte
}

type watchKey struct {
	db      *DB
	key     string
	expired bool // the key was already logically expired when watched
}

func newClient(s *Server, conn gnet.Conn) *Client {
	now := s.timeNow()
	c := &Client{
		srv:             s,
		conn:            conn,
		id:              s.nextID.Add(1),
		db:              s.dbs[0],
		proto:           2,
		ctime:           now,
		lastCmdTime:     now,
		lastInteraction: now,
		lastCmd:         "NULL",
		user:            "default",
	}
	if conn != nil {
		if a := conn.RemoteAddr(); a != nil {
			c.addr = a.String()
		}
		if a := conn.LocalAddr(); a != nil {
			c.laddr = a.String()
		}
	}
	c.authd = s.opts.RequirePass == ""
	return c
}

// ID is CLIENT ID.
func (c *Client) ID() uint64 { return c.id }

// Proto is the RESP version the client speaks.
func (c *Client) Proto() int { return c.proto }

// DB is the selected database.
func (c *Client) DB() *DB { return c.db }

// Args are the current command's arguments, name included. They are borrowed
// from the read buffer: copy whatever is kept after the command returns.
func (c *Client) Args() [][]byte { return c.argv }

// isLoopback reports whether the peer address is on loopback (protected
// mode).
func (c *Client) isLoopback() bool {
	if c.conn == nil {
		return true
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return strings.HasPrefix(c.addr, "/") // unix socket
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// --- replies -------------------------------------------------------------
//
// Handlers reply through these. They append to c.reply, which is flushed by
// the client's loop; a client with replies switched off gets nothing.

func (c *Client) out() bool { return c.replyMode == 0 }

// ReplyOK replies +OK.
func (c *Client) ReplyOK() {
	if c.out() {
		c.reply = append(c.reply, "+OK\r\n"...)
	}
}

// ReplySimple replies with a status string.
func (c *Client) ReplySimple(s string) {
	if c.out() {
		c.reply = resp.AppendSimple(c.reply, s)
	}
}

// ReplyError replies with an error. msg carries its code: "ERR syntax
// error", "WRONGTYPE ...". A message without a code gets "ERR ".
func (c *Client) ReplyError(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i > 0 {
		code = msg[:i]
	}
	if code == "" || code != strings.ToUpper(code) {
		msg = "ERR " + msg
		code = "ERR"
	}
	c.srv.stats.errorReplies++
	c.srv.stats.errorsByCode[code]++
	c.commandFailed = true
	if c.out() {
		c.reply = resp.AppendError(c.reply, sanitizeError(msg))
	}
}

// sanitizeError keeps an error on one line, as Redis does.
func sanitizeError(msg string) string {
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	}
	return msg
}

// ReplyInt replies with an integer.
func (c *Client) ReplyInt(v int64) {
	if c.out() {
		c.reply = resp.AppendInt(c.reply, v)
	}
}

// ReplyBulk replies with a bulk string.
func (c *Client) ReplyBulk(b []byte) {
	if c.out() {
		c.reply = resp.AppendBulk(c.reply, b)
	}
}

// ReplyBulkString replies with a bulk string.
func (c *Client) ReplyBulkString(s string) {
	if c.out() {
		c.reply = resp.AppendBulkString(c.reply, s)
	}
}

// ReplyBulkInt replies with an integer as a bulk string.
func (c *Client) ReplyBulkInt(v int64) {
	if c.out() {
		c.reply = resp.AppendBulk(c.reply, strconv.AppendInt(nil, v, 10))
	}
}

// ReplyNull replies with the null bulk string ($-1 / _).
func (c *Client) ReplyNull() {
	if c.out() {
		c.reply = resp.AppendNull(c.reply, c.proto)
	}
}

// ReplyNullArray replies with the null array (*-1 / _).
func (c *Client) ReplyNullArray() {
	if c.out() {
		c.reply = resp.AppendNullArray(c.reply, c.proto)
	}
}

// ReplyArray starts an array of n elements.
func (c *Client) ReplyArray(n int) {
	if c.out() {
		c.reply = resp.AppendArray(c.reply, n)
	}
}

// ReplyMap starts a map of n pairs (a flat array in RESP2).
func (c *Client) ReplyMap(n int) {
	if c.out() {
		c.reply = resp.AppendMap(c.reply, n, c.proto)
	}
}

// ReplySet starts a set of n elements (an array in RESP2).
func (c *Client) ReplySet(n int) {
	if c.out() {
		c.reply = resp.AppendSet(c.reply, n, c.proto)
	}
}

// ReplyPush starts a push message of n elements (an array in RESP2).
func (c *Client) ReplyPush(n int) {
	if c.out() {
		c.reply = resp.AppendPush(c.reply, n, c.proto)
	}
}

// ReplyDouble replies with a double (a bulk string in RESP2).
func (c *Client) ReplyDouble(d float64) {
	if c.out() {
		c.reply = resp.AppendDouble(c.reply, d, c.proto)
	}
}

// ReplyBool replies with a boolean (:1/:0 in RESP2).
func (c *Client) ReplyBool(v bool) {
	if c.out() {
		c.reply = resp.AppendBool(c.reply, v, c.proto)
	}
}

// ReplyVerbatim replies with a verbatim "txt" string (a bulk string in RESP2).
func (c *Client) ReplyVerbatim(s string) {
	if c.out() {
		c.reply = resp.AppendVerbatim(c.reply, "txt", []byte(s), c.proto)
	}
}

// ReplyRaw appends already-encoded RESP.
func (c *Client) ReplyRaw(b []byte) {
	if c.out() {
		c.reply = append(c.reply, b...)
	}
}

// ReplyStrings replies with an array of bulk strings.
func (c *Client) ReplyStrings(ss []string) {
	c.ReplyArray(len(ss))
	for _, s := range ss {
		c.ReplyBulkString(s)
	}
}

// deferLen is a placeholder for an aggregate whose length is known only
// after its elements are written (like Redis's addReplyDeferredLen).
type deferLen struct {
	pos int
}

// ReplyDeferredArray reserves an array header to be filled by SetDeferred.
func (c *Client) ReplyDeferredArray() deferLen {
	return deferLen{pos: len(c.reply)}
}

// SetDeferredArray writes the header reserved by ReplyDeferredArray.
func (c *Client) SetDeferredArray(d deferLen, n int) {
	c.setDeferred(d, resp.AppendArray(nil, n))
}

// SetDeferredMap writes a map header reserved by ReplyDeferredArray.
func (c *Client) SetDeferredMap(d deferLen, n int) {
	c.setDeferred(d, resp.AppendMap(nil, n, c.proto))
}

// SetDeferredSet writes a set header reserved by ReplyDeferredArray.
func (c *Client) SetDeferredSet(d deferLen, n int) {
	c.setDeferred(d, resp.AppendSet(nil, n, c.proto))
}

func (c *Client) setDeferred(d deferLen, hdr []byte) {
	if !c.out() {
		return
	}
	c.reply = append(c.reply, hdr...)
	copy(c.reply[d.pos+len(hdr):], c.reply[d.pos:len(c.reply)-len(hdr)])
	copy(c.reply[d.pos:], hdr)
}

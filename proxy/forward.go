package proxy

import (
	"bytes"

	"github.com/wardenhq/warden/internal/resp"
)

// Reply framing on backend connections. The data path never decodes a reply
// into values: it only needs to know where each reply ends (to match it with
// the request it answers), its top-level type (errors are counted, RESP3
// pushes belong to no request), and for top-level errors the first word
// (-READONLY, -MASTERDOWN and -LOADING from a master trigger a re-check).
// replyScanner does exactly that, incrementally and without allocating: it
// consumes every complete header line and any part of a bulk payload, so a
// 100 MB reply arriving in 64 KB reads is scanned once, not re-framed on
// every read, and its bytes can move on while the rest is still coming.

const (
	// maxReplyDepth bounds aggregate nesting (Redis nests a few levels;
	// 64 leaves room for Lua tables without letting a broken peer grow
	// the stack).
	maxReplyDepth = 64
	// maxReplyLine bounds a header or simple-string line (1 MiB, as
	// resp.ParseReply's default).
	maxReplyLine = 1 << 20
	// maxReplyBulk is proto-max-bulk-len.
	maxReplyBulk = 512 << 20
)

// errKind classifies a top-level error reply by its first word.
type errKind uint8

const (
	errOther errKind = iota
	errReadonly
	errMasterDown
	errLoading
)

type scanFrame struct {
	n    int64 // elements still expected; -1 for a streamed aggregate
	attr bool  // an attribute: when it completes, the value it annotates follows
}

// replyScanner frames replies; its zero value is ready. It keeps its state
// between calls, so the caller may discard what scan consumed.
type replyScanner struct {
	stack   [maxReplyDepth]scanFrame
	depth   int
	skip    int64 // bulk payload bytes (CRLF included) still to pass
	chunk   bool  // the payload being skipped is a streamed-string chunk
	inStr   bool  // inside a streamed string ($?), expecting ;<len> chunks
	started bool  // inside a reply
	// top is the type byte of the reply's top-level value (attributes
	// aside), 0 until its header has been read.
	top  byte
	kind errKind // for a top-level '-' error
}

// scan consumes bytes of b, stopping at the end of the first reply that
// completes. It returns how many bytes it consumed and whether a reply
// ended there. When done is false, the n bytes consumed are the beginning
// of a reply (possibly none: a header line is only consumed whole).
func (s *replyScanner) scan(b []byte) (n int, done bool, err error) {
	pos := 0
	for {
		if s.skip > 0 {
			avail := int64(len(b) - pos)
			if avail < s.skip {
				s.skip -= avail
				return len(b), false, nil
			}
			pos += int(s.skip)
			s.skip = 0
			// The payload's CRLF is in this buffer unless only its '\n'
			// was left over from the previous call.
			if (pos >= 2 && (b[pos-2] != '\r' || b[pos-1] != '\n')) || (pos == 1 && b[0] != '\n') {
				return 0, false, &resp.ProtocolError{Msg: "payload not terminated by CRLF"}
			}
			if s.chunk {
				s.chunk = false
				continue
			}
			if s.valueDone() {
				return pos, true, nil
			}
			continue
		}
		rest := b[pos:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			if len(rest) > maxReplyLine {
				return 0, false, &resp.ProtocolError{Msg: "reply line too long"}
			}
			return pos, false, nil
		}
		if nl == 0 || rest[nl-1] != '\r' {
			return 0, false, &resp.ProtocolError{Msg: "reply line not terminated by CRLF"}
		}
		line := rest[:nl-1]
		pos += nl + 1
		if len(line) == 0 {
			return 0, false, &resp.ProtocolError{Msg: "empty reply line"}
		}
		if !s.started {
			s.started = true
			s.top = 0
			s.kind = errOther
		}
		t := line[0]
		if s.inStr {
			if t != ';' {
				return 0, false, &resp.ProtocolError{Msg: "expected a streamed string chunk"}
			}
			l, ok := scanLen(line[1:])
			if !ok || l < 0 || l > maxReplyBulk {
				return 0, false, &resp.ProtocolError{Msg: "invalid chunk length"}
			}
			if l == 0 {
				s.inStr = false
				if s.valueDone() {
					return pos, true, nil
				}
				continue
			}
			s.skip, s.chunk = l+2, true
			continue
		}
		if t != '|' && s.depth == 0 && s.top == 0 {
			s.top = t
			if t == '-' {
				s.kind = classifyError(line[1:])
			}
		}
		switch t {
		case '+', '-', ':', '_', ',', '#', '(':
			if s.valueDone() {
				return pos, true, nil
			}
		case '$', '!', '=':
			if t == '$' && len(line) == 2 && line[1] == '?' {
				s.inStr = true
				continue
			}
			l, ok := scanLen(line[1:])
			if !ok || l < -1 || l > maxReplyBulk {
				return 0, false, &resp.ProtocolError{Msg: "invalid bulk length"}
			}
			if l < 0 { // $-1: RESP2 null
				if s.valueDone() {
					return pos, true, nil
				}
				continue
			}
			s.skip = l + 2
		case '*', '~', '>', '%', '|':
			if len(line) == 2 && line[1] == '?' {
				if err := s.push(-1, t == '|'); err != nil {
					return 0, false, err
				}
				continue
			}
			l, ok := scanLen(line[1:])
			if !ok || l < -1 {
				return 0, false, &resp.ProtocolError{Msg: "invalid aggregate length"}
			}
			if t == '%' || t == '|' {
				l *= 2
			}
			if l <= 0 { // empty, or *-1: RESP2 null array
				if t == '|' {
					continue
				}
				if s.valueDone() {
					return pos, true, nil
				}
				continue
			}
			if err := s.push(l, t == '|'); err != nil {
				return 0, false, err
			}
		case '.':
			if s.depth == 0 || s.stack[s.depth-1].n >= 0 {
				return 0, false, &resp.ProtocolError{Msg: "unexpected end of streamed aggregate"}
			}
			f := s.stack[s.depth-1]
			s.depth--
			if f.attr {
				continue
			}
			if s.valueDone() {
				return pos, true, nil
			}
		default:
			return 0, false, &resp.ProtocolError{Msg: "unknown reply type '" + string(t) + "'"}
		}
	}
}

func (s *replyScanner) push(n int64, attr bool) error {
	if s.depth == maxReplyDepth {
		return &resp.ProtocolError{Msg: "reply nested too deeply"}
	}
	s.stack[s.depth] = scanFrame{n: n, attr: attr}
	s.depth++
	return nil
}

// valueDone records that one value ended at the current level and reports
// whether that completed the whole reply.
func (s *replyScanner) valueDone() bool {
	for s.depth > 0 {
		f := &s.stack[s.depth-1]
		if f.n < 0 {
			return false // a streamed aggregate ends with "."
		}
		f.n--
		if f.n > 0 {
			return false
		}
		s.depth--
		if f.attr {
			return false // the annotated value follows at this level
		}
	}
	s.started = false
	return true
}

// scanLen parses a length; "-1" is the only negative value it accepts.
func scanLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	if b[0] == '-' {
		return -1, len(b) == 2 && b[1] == '1'
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func classifyError(msg []byte) errKind {
	switch {
	case bytes.HasPrefix(msg, []byte("READONLY ")):
		return errReadonly
	case bytes.HasPrefix(msg, []byte("MASTERDOWN ")):
		return errMasterDown
	case bytes.HasPrefix(msg, []byte("LOADING ")):
		return errLoading
	}
	return errOther
}

// slotFlags describe a request in flight.
type slotFlags uint16

const (
	sDone     slotFlags = 1 << iota // the whole reply is in buf (or local)
	sMaster                         // sent to the master for a write-capable route: retried on -READONLY etc.
	sBlocking                       // a blocking command: no reply timeout
	sHidden                         // sent by the proxy itself: its reply goes to no client
	sProbe                          // hidden ROLE probe: its reply decides a suspect master
	sTimed                          // forwarded: its latency is recorded
)

// slot is one request's place in its client's reply order. It lives in the
// client's FIFO from the moment the command is read until its reply is
// written, and meanwhile in one backend connection's queue or a hold queue.
// Slots are recycled through a per-loop free list: the hot path allocates
// none.
type slot struct {
	cl   *client // nil once the client is gone (or for hidden requests)
	next *slot   // the client's FIFO, or the free list
	bc   *backendConn
	// buf holds reply bytes that arrived while earlier replies of the
	// client were still missing.
	buf []byte
	// local is a reply the proxy makes itself (constant text, not owned).
	local []byte
	// req is the request's bytes while it waits in a hold queue.
	req []byte
	// replace, when set, is written instead of the node's reply (EXEC
	// turned into DISCARD after a refused write inside MULTI).
	replace []byte
	start   int64 // when the command was read (latency)
	sent    int64 // when it was queued on its backend connection
	reqLen  int   // its bytes in the backend connection's buffer
	flags   slotFlags
}

// slotQueue is a FIFO of slots on a ring buffer (a backend connection's
// requests awaiting replies, a hold queue).
type slotQueue struct {
	buf  []*slot
	head int
	n    int
}

func (q *slotQueue) len() int { return q.n }

func (q *slotQueue) push(s *slot) {
	if q.n == len(q.buf) {
		nb := make([]*slot, max(8, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = s
	q.n++
}

func (q *slotQueue) front() *slot {
	if q.n == 0 {
		return nil
	}
	return q.buf[q.head]
}

// at returns the i-th slot from the front.
func (q *slotQueue) at(i int) *slot { return q.buf[(q.head+i)%len(q.buf)] }

func (q *slotQueue) pop() *slot {
	if q.n == 0 {
		return nil
	}
	s := q.buf[q.head]
	q.buf[q.head] = nil
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	return s
}

// popBack removes the newest slot.
func (q *slotQueue) popBack() *slot {
	if q.n == 0 {
		return nil
	}
	i := (q.head + q.n - 1) % len(q.buf)
	s := q.buf[i]
	q.buf[i] = nil
	q.n--
	return s
}

// Reply texts the proxy writes itself. Each is a whole RESP error line.
var (
	replyOK            = []byte("+OK\r\n")
	replyReset         = []byte("+RESET\r\n")
	replyReadonly      = []byte("-READONLY You can't write against a read only replica.\r\n")
	replyNoAuth        = []byte("-NOAUTH Authentication required.\r\n")
	replyWrongPass     = []byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
	replyAuthNoPass    = []byte("-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n")
	replyAuthArity     = []byte("-ERR wrong number of arguments for 'auth' command\r\n")
	replyHelloNoAuth   = []byte("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n")
	replyNoProto       = []byte("-NOPROTO unsupported protocol version\r\n")
	replyProtoNotInt   = []byte("-ERR Protocol version is not an integer or out of range\r\n")
	replyMaxClients    = []byte("-ERR max number of clients reached\r\n")
	replyExecAbort     = []byte("-EXECABORT Transaction discarded because of previous errors.\r\n")
	replySetinfoArity  = []byte("-ERR wrong number of arguments for 'client|setinfo' command\r\n")
	replyHoldExpired   = []byte("-TRYAGAIN failover in progress: no master confirmed within failover-hold\r\n")
	replyHoldFull      = []byte("-TRYAGAIN failover in progress: the proxy's hold queue is full\r\n")
	replyNoMaster      = []byte("-TRYAGAIN no master confirmed for this group\r\n")
	replyNoReplica     = []byte("-TRYAGAIN no healthy replica and no master to fall back on\r\n")
	replyBackendLost   = []byte("-ERR proxy: connection to the node lost before its reply; the command may or may not have run\r\n")
	replyBackendDown   = []byte("-ERR proxy: node unreachable\r\n")
	replyReplyTimeout  = []byte("-ERR proxy: node reply timeout; the command may or may not have run\r\n")
	replyBackendAuth   = []byte("-ERR proxy: could not authenticate to the node (check node-user/node-pass)\r\n")
	replyPinnedDropped = []byte("-ERR proxy: the node this connection was pinned to changed role or went away\r\n")
)

// waitPrelude is sent, hidden, before WAIT on a private connection: a
// PUBLISH propagates to the replicas, so the connection's replication
// offset becomes at least that of every write the client made before
// (WAIT counts acknowledgements of the connection's own last write).
var waitPrelude = []byte("*3\r\n$7\r\nPUBLISH\r\n$25\r\n__warden_proxy_wait_sync__\r\n$1\r\n1\r\n")

// roleProbe is the ROLE command a master connection sends before trusting
// the node with writes.
var roleProbe = []byte("*1\r\n$4\r\nROLE\r\n")

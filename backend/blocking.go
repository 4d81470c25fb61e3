package backend

// Blocking operations on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX, BZMPOP), following Redis 7.0's blocked.c:
//
//   - A blocking command whose keys have data runs like its non-blocking
//     form. Otherwise (outside MULTI and scripts) the client blocks: it is
//     queued FIFO on each of its keys in db.blocking, flagBlocked stops its
//     loop from parsing further pipelined commands, and a timer is armed.
//   - Every change to a key with waiters records the key as ready (a
//     keyModified hook). After the command that changed it (a postCallHook,
//     so after the command's own propagation, as Redis does), the ready keys
//     are served in order: waiters of a key are served first-blocked
//     first-served, each with the pop done on its behalf, replied into its
//     buffer and propagated as the non-blocking command. Serving a BLMOVE
//     can make its destination ready: the loop runs until no key is ready.
//   - A key that turns into another type keeps its waiters waiting, as in
//     Redis 7.0; the timeout, CLIENT UNBLOCK or a disconnect end the wait.

import (
	"math"
	"math/big"
	"slices"
	"strings"
	"time"
)

type blockKind uint8

const (
	blockList blockKind = iota + 1
	blockZset
)

// blockState is what a blocked client waits for. Client.block points to it
// while the client is blocked. Guarded by Server.mu.
type blockState struct {
	kind blockKind
	// keys are the command's key arguments (borrowed) until blockForKeys
	// copies them, deduplicated, into names.
	keys    [][]byte
	names   []string
	timeout time.Duration // 0 = forever

	// list operations
	from, to  int    // listHead/listTail
	count     int64  // -1 for single-element pops; >0 for BLMPOP/BZMPOP
	move      bool   // BLMOVE/BRPOPLPUSH: push onto dst
	rpoplpush bool   // propagate as RPOPLPUSH rather than LMOVE
	dst       string // destination of a move

	// sorted-set operations
	zmax  bool // BZPOPMAX / BZMPOP MAX
	zmpop bool // BZMPOP: nested [key, [[member, score]...]] reply

	db    *DB
	cmd   *Command
	timer *time.Timer
	// argv (a copy) and callTime (how long the call that blocked took) make
	// the SLOWLOG entry, written when the client is served, as Redis does;
	// a wait that times out or is cancelled is never logged.
	argv     [][]byte
	callTime time.Duration
}

// blockingState is the server-wide part: the keys made ready by the current
// command, and counters for INFO.
type blockingState struct {
	ready       []readyKey
	readySet    map[readyKey]struct{}
	blocked     int // clients blocked on keys
	withTimeout int // of which have a timeout (clients_in_timeout_table)
	serving     bool
}

type readyKey struct {
	db  *DB
	key string
}

// denyBlocking reports whether c may not block: inside MULTI/EXEC and for
// internal clients (scripts, AOF loading), where a blocking command that
// would block answers as if it timed out.
func (c *Client) denyBlocking() bool {
	return c.flags&flagMulti != 0 || c.conn == nil
}

// maxBlockTimeout caps timeouts that time.Duration cannot hold; such a
// timeout is forever in practice.
const maxBlockTimeout = time.Duration(math.MaxInt64)

const (
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errTimeoutNegative = "ERR timeout is negative"
)

// blockTimeoutArg parses a blocking timeout in seconds (0 = forever),
// replying Redis's error if it is not valid. See parseBlockTimeoutMs.
func (c *Client) blockTimeoutArg(i int) (time.Duration, bool) {
	ms, msg := parseBlockTimeoutMs(c.argv[i])
	if msg != "" {
		c.ReplyError(msg)
		return 0, false
	}
	if ms >= int64(maxBlockTimeout/time.Millisecond) {
		return maxBlockTimeout, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// parseBlockTimeoutMs reproduces Redis 7.0's getTimeoutFromObjectOrReply
// for seconds: the argument is read as a C long double with strtold (hex
// floats, inf, a 64-bit mantissa and a huge exponent range), then
// (long long)ceill(v*1000) gives milliseconds. Clients see the quirks:
// a tiny positive timeout is 1 ms rather than forever, a slightly negative
// one rounds to 0 (forever), and a value too big for a long long (inf
// included) converts to LLONG_MIN and so is "negative".
func parseBlockTimeoutMs(b []byte) (int64, string) {
	str := string(b)
	if len(str) == 0 || len(str) >= 5*1024 || isSpaceByte(str[0]) || strings.ContainsRune(str, '_') {
		return 0, errTimeoutNotFloat
	}
	unsigned := strings.TrimLeft(str, "+-")
	if len(unsigned) < len(str)-1 {
		return 0, errTimeoutNotFloat // "+-1": strtold takes one sign
	}
	switch strings.ToLower(unsigned) {
	case "inf", "infinity":
		return 0, errTimeoutNegative
	}
	if len(unsigned) > 1 && unsigned[0] == '0' && strings.ContainsRune("bBoO", rune(unsigned[1])) {
		return 0, errTimeoutNotFloat // big.ParseFloat prefixes strtold lacks
	}
	f, _, err := big.ParseFloat(str, 0, 64, big.ToNearestEven)
	if err != nil {
		return 0, errTimeoutNotFloat
	}
	if f.Sign() != 0 {
		// strtold's ERANGE cases Redis rejects: overflow of the long
		// double range, and underflow to zero.
		if exp := f.MantExp(nil); exp > 16384 || exp < -16444 {
			return 0, errTimeoutNotFloat
		}
	}
	ms := new(big.Float).SetPrec(64).Mul(f, big.NewFloat(1000))
	n, acc := ms.Int(nil)
	if acc == big.Below {
		n.Add(n, big.NewInt(1)) // ceil of a positive fraction
	}
	if !n.IsInt64() || n.Sign() < 0 {
		return 0, errTimeoutNegative
	}
	return n.Int64(), ""
}

// blockForKeys blocks c, in the middle of its current command, on
// bs.keys. Caller holds s.mu and has checked denyBlocking.
func (s *Server) blockForKeys(c *Client, bs *blockState) {
	bs.db = c.db
	bs.cmd = c.cmd
	bs.argv = copyArgs(c.argv)
	bs.names = make([]string, 0, len(bs.keys))
	seen := make(map[string]struct{}, len(bs.keys))
	for _, k := range bs.keys {
		key := string(k)
		if _, dup := seen[key]; dup {
			continue // BLPOP k k 0 waits once on k, as Redis does
		}
		seen[key] = struct{}{}
		bs.names = append(bs.names, key)
		bs.db.blocking[key] = append(bs.db.blocking[key], c)
	}
	bs.keys = nil
	c.block = bs
	c.flags |= flagBlocked
	s.blk.blocked++
	if bs.timeout > 0 {
		s.blk.withTimeout++
		bs.timer = time.AfterFunc(bs.timeout, func() { s.blockTimedOut(c, bs) })
	}
}

// unblock removes c from every key it waits on and clears its blocked
// state. It does not reply or wake c. Caller holds s.mu.
func (s *Server) unblock(c *Client) {
	bs := c.block
	if bs == nil {
		return
	}
	if bs.timer != nil {
		bs.timer.Stop()
		s.blk.withTimeout--
	}
	for _, key := range bs.names {
		ws := bs.db.blocking[key]
		if i := slices.Index(ws, c); i >= 0 {
			ws = slices.Delete(ws, i, i+1)
		}
		if len(ws) == 0 {
			delete(bs.db.blocking, key)
		} else {
			bs.db.blocking[key] = ws
		}
	}
	c.block = nil
	c.flags &^= flagBlocked
	s.blk.blocked--
}

// blockTimedOut is the timer callback: it answers the timeout reply (the
// null array for every blocking command, as in Redis 7.0, BLMOVE included)
// unless c was served or unblocked meanwhile.
func (s *Server) blockTimedOut(c *Client, bs *blockState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.block != bs {
		return
	}
	s.unblock(c)
	c.ReplyNullArray()
	s.wake(c)
}

// unblockClient is CLIENT UNBLOCK: it ends target's wait on keys with the
// timeout reply, or with an UNBLOCKED error, and reports whether target was
// blocked. Caller holds s.mu.
func (s *Server) unblockClient(target *Client, withError bool) bool {
	bs := target.block
	if bs == nil {
		return false
	}
	s.unblock(target)
	if withError {
		target.ReplyError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		s.cmdStat(bs.cmd).failed++
	} else {
		target.ReplyNullArray()
	}
	s.wake(target)
	return true
}

// disconnectAllBlockedClients ends every wait on keys with an error and
// closes those clients, for a master turning into a replica (blocked pops
// would otherwise be served from the replication stream). Caller holds
// s.mu.
func (s *Server) disconnectAllBlockedClients() {
	for _, c := range s.clients {
		if c.block == nil {
			continue
		}
		s.unblock(c)
		c.ReplyError("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
		c.flags |= flagCloseAfterReply
		s.wake(c)
	}
}

// blockedClients is INFO's blocked_clients.
func (s *Server) blockedClients() int { return s.blk.blocked }

// clientsInTimeoutTable is INFO's clients_in_timeout_table: blocked clients
// with a timeout.
func (s *Server) clientsInTimeoutTable() int { return s.blk.withTimeout }

// signalKeyAsReady records key as ready if clients wait on it; they are
// served after the current command.
func (s *Server) signalKeyAsReady(db *DB, key string) {
	if len(db.blocking[key]) == 0 {
		return
	}
	rk := readyKey{db: db, key: key}
	if _, dup := s.blk.readySet[rk]; dup {
		return
	}
	if s.blk.readySet == nil {
		s.blk.readySet = map[readyKey]struct{}{}
	}
	s.blk.readySet[rk] = struct{}{}
	s.blk.ready = append(s.blk.ready, rk)
}

// handleClientsBlockedOnKeys serves the clients waiting on ready keys,
// until serving makes no further key ready. Caller holds s.mu.
func (s *Server) handleClientsBlockedOnKeys() {
	if s.blk.serving {
		return
	}
	s.blk.serving = true
	defer func() { s.blk.serving = false }()
	for len(s.blk.ready) > 0 {
		batch := s.blk.ready
		s.blk.ready = nil
		for _, rk := range batch {
			delete(s.blk.readySet, rk)
			s.serveReadyKey(rk.db, rk.key)
		}
	}
}

// serveReadyKey serves key's waiters in the order they blocked, while the
// key holds data of the type they wait for.
func (s *Server) serveReadyKey(db *DB, key string) {
	waiters := db.blocking[key]
	if len(waiters) == 0 {
		return
	}
	// Serving unblocks waiters, which edits db.blocking[key].
	waiters = slices.Clone(waiters)
	for _, w := range waiters {
		bs := w.block
		if bs == nil {
			continue // served through another key in this pass
		}
		e := db.LookupNoTouch(key)
		if e == nil || e.IsString() {
			return
		}
		switch obj := e.obj.(type) {
		case *List:
			if obj.Len() == 0 {
				return
			}
			if bs.kind != blockList {
				continue
			}
			s.serveWaiter(w, bs, func() { s.serveBlockedList(w, bs, db, key, obj) })
		case *ZSet:
			if obj.Len() == 0 {
				return
			}
			if bs.kind != blockZset {
				continue
			}
			s.serveWaiter(w, bs, func() { s.serveBlockedZset(w, bs, db, key, obj) })
		default:
			return
		}
	}
}

// propagateOne propagates one effect of serving a blocked client, the
// non-blocking form of its command (Redis's alsoPropagate there).
func (s *Server) propagateOne(db *DB, args ...[]byte) {
	s.emitPropagation([]propCmd{{db: db.ID(), args: args}}, false)
}

// serveWaiter unblocks w, runs serve (which replies into w's buffer and
// propagates), accounts the time and any error to w's blocking command, and
// wakes w's loop so it flushes the reply and resumes parsing.
func (s *Server) serveWaiter(w *Client, bs *blockState, serve func()) {
	start := s.timeNow()
	s.unblock(w)
	w.commandFailed = false
	serve()
	took := s.since(start)
	st := s.cmdStat(bs.cmd)
	st.usec += took.Microseconds()
	if w.commandFailed {
		st.failed++
	}
	if bs.cmd.Flags&FlagSkipSlowlog == 0 {
		s.slowlogPush(w, bs.argv, bs.callTime+took) // nothing to redact in a blocking command
	}
	s.wake(w)
}

func init() {
	keyModifiedHooks = append(keyModifiedHooks, func(db *DB, key string) {
		db.srv.signalKeyAsReady(db, key)
	})
	postCallHooks = append(postCallHooks, (*Server).handleClientsBlockedOnKeys)
	// Keys can become ready outside a client's command (expiry, loading,
	// replication plumbing); the cron serves them soon after.
	cronHooks = append(cronHooks, (*Server).handleClientsBlockedOnKeys)
	clientFreeHooks = append(clientFreeHooks, func(c *Client) {
		if c.block != nil {
			c.srv.unblock(c)
		}
	})
}

// --- sorted sets ---------------------------------------------------------

// blockingZpopGeneric is BZPOPMIN/BZPOPMAX (count -1: flat [key, member,
// score] reply) and BZMPOP (mpop: [key, [[member, score]...]] reply, count
// >= 1). With data present it pops like ZPOPMIN/ZPOPMAX and propagates
// that; otherwise the client blocks.
func blockingZpopGeneric(c *Client, keys [][]byte, highest bool, timeoutIdx int, count int64, mpop bool) {
	timeout, ok := c.blockTimeoutArg(timeoutIdx)
	if !ok {
		return
	}
	db := c.DB()
	for _, k := range keys {
		key := string(k)
		z, ok := zsetLookupWrite(c, key)
		if !ok {
			return
		}
		if z == nil || z.Len() == 0 {
			continue
		}
		zpopAndReply(c, db, key, z, highest, count, mpop, c.Propagate)
		return
	}
	if c.denyBlocking() {
		c.ReplyNullArray()
		return
	}
	c.srv.blockForKeys(c, &blockState{
		kind:    blockZset,
		keys:    keys,
		timeout: timeout,
		count:   count,
		zmax:    highest,
		zmpop:   mpop,
	})
}

// zpopAndReply pops from the non-empty set z at key, replies in the shape
// of the blocking command and hands the non-blocking equivalent to
// propagate: "ZPOPMIN key" for BZPOPMIN, "ZPOPMIN key n" (n = what was
// popped) for BZMPOP, as Redis 7.0 propagates them.
func zpopAndReply(c *Client, db *DB, key string, z *ZSet, highest bool, count int64, mpop bool, propagate func(args ...[]byte)) {
	n := 1
	if count != -1 {
		n = int(min(count, int64(z.Len())))
	}
	members, scores, _ := zsetPop(c, db, key, highest, n)
	if mpop {
		zsetReplyMPop(c, key, members, scores)
	} else {
		zsetReplyKeyedPop(c, key, members, scores)
	}
	propagate(zsetPopArgs(key, highest, n, count != -1)...)
}

// serveBlockedZset serves a BZPOPMIN/BZPOPMAX/BZMPOP waiter from the
// non-empty set z at key.
func (s *Server) serveBlockedZset(w *Client, bs *blockState, db *DB, key string, z *ZSet) {
	zpopAndReply(w, db, key, z, bs.zmax, bs.count, bs.zmpop, func(args ...[]byte) {
		s.propagateOne(db, args...)
	})
}

func bzpopminCommand(c *Client) {
	blockingZpopGeneric(c, c.argv[1:len(c.argv)-1], false, len(c.argv)-1, -1, false)
}

func bzpopmaxCommand(c *Client) {
	blockingZpopGeneric(c, c.argv[1:len(c.argv)-1], true, len(c.argv)-1, -1, false)
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the arguments
// are checked before the timeout, as in Redis.
func bzmpopCommand(c *Client) {
	numkeys, ok := rangeArg(c, 2, 1, math.MaxInt64, "ERR numkeys should be greater than 0")
	if !ok {
		return
	}
	if numkeys >= int64(len(c.argv)-3) {
		c.ReplyError(ErrSyntax)
		return
	}
	whereIdx := 3 + int(numkeys)
	var highest bool
	switch {
	case c.ArgIs(whereIdx, "min"):
	case c.ArgIs(whereIdx, "max"):
		highest = true
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.argv); j++ {
		if count == -1 && c.ArgIs(j, "count") && j < len(c.argv)-1 {
			j++
			if count, ok = rangeArg(c, j, 1, math.MaxInt64, "ERR count should be greater than 0"); !ok {
				return
			}
			continue
		}
		c.ReplyError(ErrSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	blockingZpopGeneric(c, c.argv[3:whereIdx], highest, 1, count, true)
}

func init() {
	register(
		&Command{Name: "bzpopmin", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagFast | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1,
			Group: "sorted-set", Since: "5.0.0", Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
			ACL: []string{"write", "sortedset", "fast", "blocking"}, Proc: bzpopminCommand},
		&Command{Name: "bzpopmax", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagFast | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1,
			Group: "sorted-set", Since: "5.0.0", Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
			ACL: []string{"write", "sortedset", "fast", "blocking"}, Proc: bzpopmaxCommand},
		&Command{Name: "bzmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, Keys: numkeysKeys(2),
			Group: "sorted-set", Since: "7.0.0", Summary: "Remove and return members with scores in a sorted set or block until one is available",
			ACL: []string{"write", "sortedset", "slow", "blocking"}, Proc: bzmpopCommand},
	)
}

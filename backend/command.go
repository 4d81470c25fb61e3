package backend

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

// Command describes one command of the table: what COMMAND INFO reports and
// how dispatch treats it.
type Command struct {
	Name     string // lower case; "config|get" style for subcommands
	Arity    int    // Redis arity: n exact, -n at least n
	Flags    CmdFlags
	FirstKey int
	LastKey  int
	Step     int
	Group    string // COMMAND DOCS group: string, generic, list, ...
	Since    string // first Redis version with the command
	Summary  string
	ACL      []string // ACL categories without '@'
	Proc     func(c *Client)
	// Keys extracts key positions when the first/last/step triple cannot
	// (ZUNIONSTORE numkeys, LMPOP, ...). Optional.
	Keys func(args [][]byte) []int
	Sub  map[string]*Command
	// Parent is set on subcommands.
	Parent *Command
}

// CmdFlags are COMMAND INFO flags and dispatch rules.
type CmdFlags uint32

const (
	FlagWrite CmdFlags = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagAdmin
	FlagPubsub
	FlagNoScript
	FlagBlocking
	FlagLoading // allowed while loading
	FlagStale   // allowed on a replica with a broken link
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMulti
	FlagAllowBusy
	// COMMAND INFO flags of a few commands (SAVE, BGSAVE, REPLICAOF, PSYNC
	// and EVAL/FCALL).
	FlagNoAsyncLoading
	FlagNoMandatoryKeys
	// FlagTouchesArbitraryKeys marks commands that may find expired keys
	// other than their arguments (SCAN, RANDOMKEY): the DELs they cause
	// go out bare, not wrapped with the command in MULTI/EXEC, as in
	// Redis 7.0. Internal: COMMAND INFO does not show it.
	FlagTouchesArbitraryKeys
)

var flagNames = []struct {
	f    CmdFlags
	name string
}{
	{FlagWrite, "write"}, {FlagReadonly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubsub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"},
	{FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagMayReplicate, "may_replicate"},
	{FlagNoMulti, "no_multi"}, {FlagAllowBusy, "allow_busy"},
	{FlagNoAsyncLoading, "no_async_loading"}, {FlagNoMandatoryKeys, "no_mandatory_keys"},
}

// FlagNames returns the COMMAND INFO flag names of f.
func (f CmdFlags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// commands is the built-in command table, filled by register from each
// family's init. Dispatch uses each Server's own copy (Server.cmds), which
// sentinel mode filters and RegisterCommand extends.
var commands = map[string]*Command{}

// register adds commands to the table. Families call it from init.
func register(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := commands[c.Name]; dup {
			panic("duplicate command " + c.Name)
		}
		for _, sc := range c.Sub {
			sc.Parent = c
		}
		commands[c.Name] = c
	}
}

// LookupCommand finds a built-in command by name, case-insensitively. A
// Server's own table may differ (sentinel mode, RegisterCommand).
func LookupCommand(name string) *Command { return commands[strings.ToLower(name)] }

// CommandNames lists every built-in command name, sorted.
func CommandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FullName is "config|get" for subcommands.
func (cmd *Command) FullName() string { return cmd.Name }

func (cmd *Command) arityOK(n int) bool {
	if cmd.Arity >= 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

// lookupArgs resolves argv to a command or subcommand, replying the Redis
// error and returning nil when it cannot.
func (c *Client) lookupArgs(argv [][]byte) *Command {
	name := strings.ToLower(string(argv[0]))
	cmd := c.srv.cmds[name]
	if cmd == nil {
		var b strings.Builder
		fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", trunc128(string(argv[0])))
		for _, a := range argv[1:] {
			fmt.Fprintf(&b, "'%s' ", trunc128(string(a)))
		}
		c.ReplyError(b.String())
		return nil
	}
	if cmd.Sub != nil {
		if len(argv) < 2 && cmd.Proc != nil && cmd.arityOK(len(argv)) {
			// A container that also runs bare, like COMMAND.
			return cmd
		}
		if len(argv) < 2 {
			c.ReplyError(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.Name))
			return nil
		}
		sub := cmd.Sub[strings.ToLower(string(argv[1]))]
		if sub == nil {
			c.ReplyError(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", trunc128(string(argv[1])), strings.ToUpper(cmd.Name)))
			return nil
		}
		cmd = sub
	}
	if !cmd.arityOK(len(argv)) {
		c.ReplyError(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.Name))
		return nil
	}
	return cmd
}

func trunc128(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}

// processCommand runs one framed command for c. Caller holds s.mu.
func (s *Server) processCommand(c *Client, argv [][]byte) {
	c.argv = argv
	if c.replyMode == 2 {
		// CLIENT REPLY SKIP applies to the next command only.
		c.replyMode = 3
	} else if c.replyMode == 3 {
		c.replyMode = 0
	}
	s.dispatch(c, argv)
	if c.replyMode == 3 && c.cmd != nil && c.cmd.Name != "client|reply" {
		c.replyMode = 0
	}
	c.argv, c.cmd = nil, nil
}

// lookupName finds argv[0] in the table without allocating: the name is
// lower-cased into a per-client scratch buffer and the map is indexed with
// a string conversion the compiler does not copy.
func (c *Client) lookupName(name []byte) *Command {
	if len(name) > 64 {
		return nil
	}
	buf := c.nameBuf[:0]
	for _, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf = append(buf, ch)
	}
	c.nameBuf = buf
	return c.srv.cmds[string(buf)]
}

func (s *Server) dispatch(c *Client, argv [][]byte) {
	cmd := c.lookupName(argv[0])
	if cmd != nil && cmd.Sub == nil && cmd.arityOK(len(argv)) {
		// fast path: no subcommand resolution
	} else {
		name := strings.ToLower(string(argv[0]))
		cmd = c.lookupArgs(argv)
		if cmd == nil {
			// lookupArgs replied an error (unknown command or subcommand,
			// wrong arity): a surrounding MULTI must abort.
			if c.flags&flagMulti != 0 && !isTxControl(name) {
				c.execDirty = true
			}
			if cs := s.stats.cmdStats[name]; cs != nil {
				cs.rejected++
			}
			return
		}
	}
	c.cmd = cmd
	if !c.authd && cmd.Flags&FlagNoAuth == 0 {
		c.rejectCommand("NOAUTH Authentication required.")
		return
	}
	if c.flags&flagMulti != 0 && !isTxControl(cmd.Name) {
		if cmd.Flags&FlagNoMulti != 0 {
			c.rejectCommand("ERR Command not allowed inside a transaction")
			return
		}
		if msg := s.checkRejections(c, cmd); msg != "" {
			c.rejectCommand(msg)
			return
		}
		c.queue(cmd, argv)
		return
	}
	if msg := s.checkRejections(c, cmd); msg != "" {
		if cmd.Name == "exec" && c.flags&flagMulti != 0 {
			// A refused EXEC ends the transaction, as in Redis.
			c.discardTransaction()
			c.ReplyError("EXECABORT Transaction discarded because of: " + msg)
			return
		}
		c.rejectCommand(msg)
		return
	}
	if c.proto == 2 && c.flags&flagPubsub != 0 && !pubsubAllowed(cmd.Name) {
		c.rejectCommand(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.Name))
		return
	}
	s.call(c, cmd)
}

// rejectCommand replies an error for a command refused before running,
// flagging a surrounding MULTI so EXEC aborts.
func (c *Client) rejectCommand(msg string) {
	if c.flags&flagMulti != 0 {
		c.execDirty = true
	}
	if c.cmd != nil {
		st := c.srv.cmdStat(c.cmd)
		st.rejected++
	}
	c.ReplyError(msg)
}

// rejectionChecks are consulted before a command runs (OOM, replica
// read-only, min-replicas, loading, ...). Each returns an error text or "".
var rejectionChecks []func(s *Server, c *Client, cmd *Command) string

func (s *Server) checkRejections(c *Client, cmd *Command) string {
	for _, f := range rejectionChecks {
		if msg := f(s, c, cmd); msg != "" {
			return msg
		}
	}
	return ""
}

func isTxControl(name string) bool {
	switch name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

func pubsubAllowed(name string) bool {
	switch name {
	case "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

func (s *Server) cmdStat(cmd *Command) *cmdStat {
	st := s.stats.cmdStats[cmd.Name]
	if st == nil {
		st = &cmdStat{}
		s.stats.cmdStats[cmd.Name] = st
	}
	return st
}

// call executes cmd with c's current argv: the part of Redis's call() that
// times the command, feeds MONITOR and SLOWLOG, and propagates its effects.
func (s *Server) call(c *Client, cmd *Command) {
	start := s.timeNow()
	outer := s.cachedMs == 0
	if outer {
		s.cachedMs = start.UnixMilli()
		if cmd.Flags&FlagTouchesArbitraryKeys == 0 {
			s.expiringFor = c
		}
	}
	dirty := s.dirty
	c.commandFailed = false
	if cmd.Flags&(FlagSkipMonitor|FlagAdmin) == 0 && len(s.monitors) > 0 {
		s.feedMonitors(c, c.argv)
	}
	if c.flags&flagMulti == 0 {
		c.prop = c.prop[:0]
	}
	c.propRewritten = false
	cmd.Proc(c)
	// Sub on a time with a monotonic reading costs one monotonic clock
	// read, cheaper than a second full time.Now.
	dur := s.since(start)
	st := s.cmdStat(cmd)
	st.calls++
	st.usec += dur.Microseconds()
	if c.commandFailed {
		st.failed++
	}
	s.stats.commandsProcessed++
	c.lastCmd = cmd.Name
	c.lastCmdTime = start
	switch {
	case c.flags&flagBlocked != 0:
		// Logged when served, if ever (serveWaiter).
		if c.block != nil {
			c.block.callTime = dur
		}
	case cmd.Flags&FlagSkipSlowlog == 0:
		s.slowlogPush(c, c.argv, dur)
	}
	if s.dirty != dirty && cmd.Flags&FlagWrite != 0 && !c.propRewritten {
		if c.flags&flagMulti == 0 && len(c.prop) == 0 {
			// The common case, one verbatim write: sinks encode at
			// once, so the borrowed argv needs no copy.
			s.propagateInternal(c.db.id, c.argv)
		} else {
			c.prop = append(c.prop, propCmd{db: c.db.id, args: copyArgs(c.argv)})
		}
	}
	if len(c.prop) > 0 && c.flags&flagMulti == 0 {
		s.emitPropagation(c.prop, false)
		c.prop = c.prop[:0]
	}
	if outer {
		s.expiringFor = nil
		// After the command's own propagation: what the hooks do (serve
		// blocked clients, whose pops are propagated) must follow it in
		// the replication stream, as in Redis.
		for _, f := range postCallHooks {
			f(s)
		}
		s.cachedMs = 0
		c.woff = s.repl.offset // WAIT (cmd_repl.go)
	}
}

// postCallHooks run after each top-level command (serving clients blocked on
// keys the command made ready, ...).
var postCallHooks []func(*Server)

// Propagate records the effects to replicate for the running command
// instead of its argv: a deterministic rewrite (SET ... PXAT) or several
// commands. Calling it with no args just suppresses propagation.
func (c *Client) Propagate(args ...[]byte) {
	c.propRewritten = true
	if len(args) > 0 {
		c.prop = append(c.prop, propCmd{db: c.db.id, args: copyArgs(args)})
	}
}

// PropagateStrings is Propagate for string arguments.
func (c *Client) PropagateStrings(args ...string) {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	c.Propagate(b...)
}

// emitPropagation sends one command's effects to the replication stream and
// the AOF, wrapped in MULTI/EXEC when there are several (or always, for a
// transaction's effects).
func (s *Server) emitPropagation(cmds []propCmd, wrap bool) {
	if len(cmds) == 0 {
		return
	}
	if len(cmds) > 1 || wrap {
		s.propagateInternal(cmds[0].db, [][]byte{[]byte("MULTI")})
		for _, p := range cmds {
			s.propagateInternal(p.db, p.args)
		}
		s.propagateInternal(cmds[len(cmds)-1].db, [][]byte{[]byte("EXEC")})
		return
	}
	s.propagateInternal(cmds[0].db, cmds[0].args)
}

// propagateInternal sends one command to every propagation sink (AOF,
// replicas). Sinks must encode args before returning: they may be borrowed
// from a client's read buffer.
func (s *Server) propagateInternal(db int, args [][]byte) {
	for _, p := range s.propagators {
		p(db, args)
	}
}

// AddPropagator registers a sink for the write stream.
func (s *Server) AddPropagator(f func(db int, args [][]byte)) {
	s.propagators = append(s.propagators, f)
}

func copyArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		start := len(buf)
		buf = append(buf, a...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

// Dirty adds n changes to the dataset counter (for save points and
// propagation). Every write that changes data must call it.
func (s *Server) Dirty(n int) { s.dirty += int64(n) }

// feedMonitors sends the command to MONITOR clients in Redis's format.
func (s *Server) feedMonitors(c *Client, argv [][]byte) {
	now := s.timeNow()
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%06d [%d %s]", now.Unix(), now.Nanosecond()/1000, c.db.id, c.monitorAddr())
	redacted := redactedArgs(c.cmd, argv) // passwords (cmd_server.go)
	for i, a := range argv {
		b.WriteString(" ")
		if redacted[i] {
			b.WriteString(`"(redacted)"`)
			continue
		}
		b.WriteString(quoteRepr(a))
	}
	line := resp.AppendSimple(nil, b.String())
	for m := range s.monitors {
		m.reply = append(m.reply, line...)
		s.wake(m)
	}
}

func (c *Client) monitorAddr() string {
	if c.conn == nil {
		return "lua"
	}
	return c.addr
}

// quoteRepr quotes a string like Redis's sdscatrepr.
func quoteRepr(a []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, ch := range a {
		switch ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString("\\n")
		case '\r':
			b.WriteString("\\r")
		case '\t':
			b.WriteString("\\t")
		case '\a':
			b.WriteString("\\a")
		case '\b':
			b.WriteString("\\b")
		default:
			if ch < 32 || ch > 126 {
				fmt.Fprintf(&b, "\\x%02x", ch)
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// --- argument parsing with Redis's error texts ----------------------------

// Common error replies.
const (
	ErrSyntax     = "ERR syntax error"
	ErrNotInt     = "ERR value is not an integer or out of range"
	ErrNotFloat   = "ERR value is not a valid float"
	ErrWrongType  = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNoSuchKey  = "ERR no such key"
	ErrOutOfRange = "ERR index out of range"
	ErrOverflow   = "ERR increment or decrement would overflow"
	ErrDBIndex    = "ERR DB index is out of range"
	ErrOOM        = "OOM command not allowed when used memory > 'maxmemory'."
	ErrNaN        = "ERR resulting score is not a number (NaN)"
)

// ParseInt parses a strict 64-bit integer like Redis's string2ll (no
// spaces, no '+', no leading zeros).
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
		if v < uint64(d-'0') {
			return 0, false
		}
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// IntArg parses argument i as an integer, replying the Redis error when it
// is not one.
func (c *Client) IntArg(i int) (int64, bool) {
	v, ok := ParseInt(c.argv[i])
	if !ok {
		c.ReplyError(ErrNotInt)
	}
	return v, ok
}

// ParseFloat parses a double like Redis's string2d/strtold: decimal or
// "inf"/"-inf", no surrounding spaces, NaN refused.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5000 {
		return 0, false
	}
	if isSpaceByte(b[0]) || isSpaceByte(b[len(b)-1]) {
		return 0, false
	}
	s := string(b)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return posInf, true
	case "-inf", "-infinity":
		return negInf, true
	}
	if floatHexNoExponent(s) {
		s += "p0" // strtod reads hex floats without a binary exponent; Go needs one
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// strtod reports ERANGE for overflow; Redis rejects it.
			return 0, false
		}
		return 0, false
	}
	if v != v {
		return 0, false
	}
	if v == 0 && floatMantissaNonZero(s) {
		// Underflow to zero ("1e-400"): strtod reports ERANGE, which Redis
		// rejects (it accepts subnormal results).
		return 0, false
	}
	// Go accepts forms C does not ("0x1p-2", "1_000"); Redis's strtod
	// takes hex floats but never underscores.
	if strings.ContainsRune(s, '_') {
		return 0, false
	}
	return v, true
}

// floatHexNoExponent reports a hex float with no "p" exponent ("0x1A").
func floatHexNoExponent(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

// floatMantissaNonZero reports whether the digits before the exponent of a
// decimal or hex float are not all zero.
func floatMantissaNonZero(s string) bool {
	s = strings.TrimLeft(s, "+-")
	digits, stop := "123456789", "eE"
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, digits, stop = s[2:], "123456789abcdefABCDEF", "pP"
	}
	if i := strings.IndexAny(s, stop); i >= 0 {
		s = s[:i]
	}
	return strings.ContainsAny(s, digits)
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FloatArg parses argument i as a double, replying the Redis error when it
// is not one.
func (c *Client) FloatArg(i int) (float64, bool) {
	v, ok := ParseFloat(c.argv[i])
	if !ok {
		c.ReplyError(ErrNotFloat)
	}
	return v, ok
}

// ArgIs reports whether argument i equals word, case-insensitively.
func (c *Client) ArgIs(i int, word string) bool {
	return i < len(c.argv) && strings.EqualFold(string(c.argv[i]), word)
}

// timeoutArg parses a blocking timeout in seconds (a double) into a
// deadline offset; 0 means forever.
func (c *Client) timeoutArg(i int) (time.Duration, bool) {
	v, ok := ParseFloat(c.argv[i])
	if !ok || v != v || v > 1e15 || v < -1e15 {
		c.ReplyError("ERR timeout is not a float or out of range")
		return 0, false
	}
	if v < 0 {
		c.ReplyError("ERR timeout is negative")
		return 0, false
	}
	return time.Duration(v * float64(time.Second)), true
}

package backend

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/ds"
	"github.com/wardenhq/warden/backend/internal/cmddocs"
)

// Server administration: INFO, TIME, COMMAND, DEBUG, SLOWLOG, MONITOR,
// SHUTDOWN, and the client-pause machinery CLIENT PAUSE and FAILOVER share.
// CONFIG lives in config.go, the INFO text in info.go.

// adminState is the per-server state of this family. Guarded by Server.mu.
type adminState struct {
	slowlog   []slowlogEntry // oldest first: pushes append
	slowlogID int64

	// replid is the replication ID INFO reports while no replication code
	// has installed replicationInfo: a node that never had a master still
	// has one, random per start, like Redis.
	replid string

	noActiveExpire bool // DEBUG SET-ACTIVE-EXPIRE 0

	mem     memState       // evict.go
	pool    []evictionCand // evict.go
	inst    instMetrics    // instantaneous_* INFO fields
	evictDB int            // next database of the random policies
}

// Hooks other families install (all called with Server.mu held).
var (
	// persistenceInfo writes the fields of INFO's Persistence section
	// (without the "# Persistence" header). When nil, INFO prints Redis's
	// values for a node that never saved.
	persistenceInfo func(s *Server, b *strings.Builder)
	// replicationInfo writes the fields of INFO's Replication section
	// (without the header). When nil, INFO prints a master with no
	// replicas.
	replicationInfo func(s *Server, b *strings.Builder)
	// shutdownSaveHook saves the dataset synchronously before SHUTDOWN
	// (SAVE, or save points configured and no NOSAVE). An error aborts
	// the shutdown unless FORCE was given. It must not take Server.mu.
	shutdownSaveHook func(s *Server) error
)

func init() {
	register(
		&Command{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, Group: "server", Since: "1.0.0",
			Summary: "Get information and statistics about the server", ACL: []string{"dangerous"}, Proc: infoCommand},
		&Command{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: "server", Since: "2.6.0",
			Summary: "Return the current server time", Proc: timeCommand},
		&Command{Name: "monitor", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "1.0.0",
			Summary: "Listen for all requests received by the server in real time", Proc: monitorCommand},
		&Command{Name: "shutdown", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagNoMulti | FlagAllowBusy,
			Group: "server", Since: "1.0.0", Summary: "Synchronously save the dataset to disk and then shut down the server", Proc: shutdownCommand},
		&Command{Name: "debug", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "1.0.0",
			Summary: "A container for debugging commands", Proc: debugCommand},
		&Command{Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands",
			Sub: map[string]*Command{
				"get": {Name: "slowlog|get", Arity: -2, Flags: FlagAdmin | FlagLoading | FlagStale, Group: "server", Since: "2.2.12",
					Summary: "Get the slow log's entries", Proc: slowlogGetCommand},
				"reset": {Name: "slowlog|reset", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale, Group: "server", Since: "2.2.12",
					Summary: "Clear all entries from the slow log", Proc: slowlogResetCommand},
				"len": {Name: "slowlog|len", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale, Group: "server", Since: "2.2.12",
					Summary: "Get the slow log's length", Proc: slowlogLenCommand},
				"help": {Name: "slowlog|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "6.2.0",
					Summary: "Show helpful text about the different subcommands", Proc: slowlogHelpCommand},
			}},
		&Command{Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
			Summary: "Get array of Redis command details", ACL: []string{"connection"}, Proc: commandCommand,
			Sub: map[string]*Command{
				"count": {Name: "command|count", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
					Summary: "Get total number of Redis commands", ACL: []string{"connection"}, Proc: commandCountCommand},
				"info": {Name: "command|info", Arity: -2, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
					Summary: "Get array of specific Redis command details, or all when no argument is given.", ACL: []string{"connection"}, Proc: commandInfoCommand},
				"docs": {Name: "command|docs", Arity: -2, Flags: FlagLoading | FlagStale, Group: "server", Since: "7.0.0",
					Summary: "Get array of specific Redis command documentation", ACL: []string{"connection"}, Proc: commandDocsCommand},
				"getkeys": {Name: "command|getkeys", Arity: -4, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
					Summary: "Extract keys given a full Redis command", ACL: []string{"connection"}, Proc: commandGetKeysCommand},
				"getkeysandflags": {Name: "command|getkeysandflags", Arity: -4, Flags: FlagLoading | FlagStale, Group: "server", Since: "7.0.0",
					Summary: "Extract keys and access flags given a full Redis command", ACL: []string{"connection"}, Proc: commandGetKeysCommand},
				"list": {Name: "command|list", Arity: -2, Flags: FlagLoading | FlagStale, Group: "server", Since: "7.0.0",
					Summary: "Get an array of Redis command names", ACL: []string{"connection"}, Proc: commandListCommand},
				"help": {Name: "command|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "5.0.0",
					Summary: "Show helpful text about the different subcommands", ACL: []string{"connection"}, Proc: commandHelpCommand},
			}},
	)
	rejectionChecks = append(rejectionChecks, rejectDebug)
	cronHooks = append(cronHooks, adminCron)
	clientFreeHooks = append(clientFreeHooks, func(c *Client) {
		delete(c.srv.paused.waiting, c)
	})
}

// helpReply writes a HELP reply in Redis's addReplyHelp format.
func helpReply(c *Client, lines []string) {
	c.ReplyArray(len(lines) + 3)
	c.ReplySimple(strings.ToUpper(string(c.argv[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.ReplySimple(l)
	}
	c.ReplySimple("HELP")
	c.ReplySimple("    Prints this help.")
}

// subcommandSyntaxError is addReplySubcommandSyntaxError, for commands that
// parse their subcommands themselves (DEBUG).
func subcommandSyntaxError(c *Client) {
	c.ReplyError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		trunc128(string(c.argv[1])), strings.ToUpper(string(c.argv[0]))))
}

// adminCron is the periodic work of this family: the instantaneous metrics,
// memory sampling and eviction, pause expiry and avg_ttl.
func adminCron(s *Server) {
	now := s.timeNow()
	s.admin.inst.sample(s, now)
	s.sampleMemory(now)
	s.checkPauseEnd()
	if s.opts.MaxMemory > 0 && s.memoryOverLimit() {
		s.performEvictions()
	}
	s.updateAvgTTL()
}

// clampHz is Redis's CONFIG_MIN_HZ..CONFIG_MAX_HZ clamp.
func clampHz(hz int) int {
	return min(max(hz, 1), 500)
}

// activeExpireAllowed reports whether the cron may expire keys: DEBUG
// SET-ACTIVE-EXPIRE 0 and client pauses stop it, as in Redis.
func (s *Server) activeExpireAllowed() bool {
	return !s.admin.noActiveExpire && s.paused.typ == pauseOff
}

// ---- instantaneous metrics ------------------------------------------------

// instMetrics keeps Redis's 16 samples, taken every 100 ms, of the
// per-second rate of commands and network bytes.
type instMetrics struct {
	last                time.Time
	lastCmds, lastIn    int64
	lastOut             int64
	idx                 int
	cmds, inBps, outBps [16]float64
}

func (m *instMetrics) sample(s *Server, now time.Time) {
	el := now.Sub(m.last)
	if el < 100*time.Millisecond {
		return
	}
	cmds, in, out := s.stats.commandsProcessed, s.stats.netInput.Load(), s.stats.netOutput.Load()
	if !m.last.IsZero() {
		sec := el.Seconds()
		m.cmds[m.idx] = float64(cmds-m.lastCmds) / sec
		m.inBps[m.idx] = float64(in-m.lastIn) / sec
		m.outBps[m.idx] = float64(out-m.lastOut) / sec
		m.idx = (m.idx + 1) % len(m.cmds)
	}
	m.last, m.lastCmds, m.lastIn, m.lastOut = now, cmds, in, out
}

func avg16(v *[16]float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / 16
}

// ---- client pause -----------------------------------------------------------

type pauseType int

const (
	pauseOff pauseType = iota
	pauseWrite
	pauseAll
)

// pausePurpose separates pauses that end independently, as Redis's
// pause_purpose: CLIENT PAUSE/UNPAUSE must not lift a FAILOVER's pause.
type pausePurpose int

const (
	pauseByClient pausePurpose = iota
	pauseForShutdown
	pauseForFailover
	numPausePurposes
)

type pauseEvent struct {
	typ   pauseType
	endMs int64
}

// pauseState is the effective pause: the strongest type of the active
// purposes, until the latest of their end times.
type pauseState struct {
	events [numPausePurposes]*pauseEvent
	typ    pauseType
	endMs  int64
	// waiting holds clients with a command held back by the pause; they
	// are woken when it ends.
	waiting map[*Client]struct{}
	timer   *time.Timer
}

// pauseClients starts or extends a pause for purpose, until endMs (unix
// ms). Caller holds s.mu.
func (s *Server) pauseClients(purpose pausePurpose, endMs int64, typ pauseType) {
	p := &s.paused
	if ev := p.events[purpose]; ev == nil {
		p.events[purpose] = &pauseEvent{typ: typ, endMs: endMs}
	} else {
		ev.typ = max(ev.typ, typ)
		ev.endMs = max(ev.endMs, endMs)
	}
	s.updatePause()
}

// unpauseClients ends purpose's pause. Caller holds s.mu.
func (s *Server) unpauseClients(purpose pausePurpose) {
	if s.paused.events[purpose] == nil {
		return
	}
	s.paused.events[purpose] = nil
	s.updatePause()
}

// updatePause recomputes the effective pause, drops expired events and
// wakes the held clients when the pause is lifted or weakened, like Redis's
// updateClientPauseTypeAndEndTime.
func (s *Server) updatePause() {
	p := &s.paused
	now := s.timeNow().UnixMilli()
	old := p.typ
	p.typ, p.endMs = pauseOff, 0
	for i, ev := range p.events {
		if ev == nil {
			continue
		}
		if ev.endMs <= now {
			p.events[i] = nil
			continue
		}
		p.typ = max(p.typ, ev.typ)
		p.endMs = max(p.endMs, ev.endMs)
	}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if p.typ != pauseOff {
		// The cron would notice the end too, but only at hz; a timer ends
		// a short pause on time.
		d := time.Duration(p.endMs-now)*time.Millisecond + time.Millisecond
		p.timer = time.AfterFunc(d, func() {
			s.mu.Lock()
			s.checkPauseEnd()
			s.mu.Unlock()
		})
	}
	if p.typ < old {
		for c := range p.waiting {
			delete(p.waiting, c)
			s.wake(c)
		}
	}
}

// checkPauseEnd lifts pauses whose time is up.
func (s *Server) checkPauseEnd() {
	if s.paused.typ != pauseOff && s.paused.endMs <= s.timeNow().UnixMilli() {
		s.updatePause()
	}
}

// clientPaused is consulted by the connection loop before it frames c's
// next command: a client already holding a command back stays put until
// the pause ends (commandPaused decides per command).
func (s *Server) clientPaused(c *Client) bool {
	if s.paused.typ == pauseOff {
		return false
	}
	s.checkPauseEnd()
	_, waiting := s.paused.waiting[c]
	return waiting && s.paused.typ != pauseOff
}

// commandPaused reports whether argv must wait for the pause to end: every
// command under PAUSE ALL, commands that may replicate (writes, PUBLISH,
// EVAL, EXEC of a transaction with writes) under PAUSE WRITE. Replicas are
// never paused. Unknown commands run, to get their error at once.
func (s *Server) commandPaused(c *Client, argv [][]byte) bool {
	p := &s.paused
	if p.typ == pauseOff || c.flags&flagReplica != 0 {
		return false
	}
	s.checkPauseEnd()
	if p.typ == pauseOff {
		return false
	}
	cmd := s.lookupCommandArgs(argv)
	if cmd == nil {
		return false
	}
	if p.typ == pauseWrite && !mayReplicate(c, cmd) {
		return false
	}
	if p.waiting == nil {
		p.waiting = map[*Client]struct{}{}
	}
	p.waiting[c] = struct{}{}
	return true
}

func mayReplicate(c *Client, cmd *Command) bool {
	if cmd.Flags&(FlagWrite|FlagMayReplicate) != 0 {
		return true
	}
	if cmd.Name == "exec" {
		for _, q := range c.multi {
			if q.cmd.Flags&(FlagWrite|FlagMayReplicate) != 0 {
				return true
			}
		}
	}
	return false
}

// lookupCommandArgs resolves argv to its command or subcommand without
// replying; nil when unknown.
func (s *Server) lookupCommandArgs(argv [][]byte) *Command {
	if len(argv) == 0 {
		return nil
	}
	cmd := s.cmds[strings.ToLower(string(argv[0]))]
	if cmd == nil || cmd.Sub == nil || len(argv) < 2 {
		return cmd
	}
	return cmd.Sub[strings.ToLower(string(argv[1]))]
}

// lookupCommandName resolves "get" or "config|get".
func (s *Server) lookupCommandName(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := s.cmds[parent]
	if !isSub || cmd == nil {
		return cmd
	}
	return cmd.Sub[sub]
}

// ---- SLOWLOG ---------------------------------------------------------------

const (
	slowlogMaxArgc = 32
	slowlogMaxArg  = 128
)

type slowlogEntry struct {
	id, unix, usec int64
	args           []string
	addr, name     string
}

// slowlogPush logs the command if it ran for at least
// slowlog-log-slower-than microseconds. argv is trimmed as Redis trims it
// and secrets are redacted.
func (s *Server) slowlogPush(c *Client, argv [][]byte, d time.Duration) {
	limit := s.opts.SlowlogSlower
	if limit < 0 || d.Microseconds() < limit {
		return
	}
	n := min(len(argv), slowlogMaxArgc)
	redacted := redactedArgs(c.cmd, argv)
	args := make([]string, n)
	for j := 0; j < n; j++ {
		switch {
		case n != len(argv) && j == n-1:
			args[j] = fmt.Sprintf("... (%d more arguments)", len(argv)-n+1)
		case redacted[j]:
			args[j] = "(redacted)"
		case len(argv[j]) > slowlogMaxArg:
			args[j] = fmt.Sprintf("%s... (%d more bytes)", argv[j][:slowlogMaxArg], len(argv[j])-slowlogMaxArg)
		default:
			args[j] = string(argv[j])
		}
	}
	e := slowlogEntry{id: s.admin.slowlogID, unix: s.timeNow().Unix(), usec: d.Microseconds(),
		args: args, addr: c.addr, name: c.name}
	s.admin.slowlogID++
	s.admin.slowlog = append(s.admin.slowlog, e)
	s.trimSlowlog()
}

// trimSlowlog drops the oldest entries beyond slowlog-max-len. Reslicing
// is O(1); append moves the live entries to a new array when it grows, so
// the dropped ones are released then.
func (s *Server) trimSlowlog() {
	if extra := len(s.admin.slowlog) - s.opts.SlowlogMaxLen; extra > 0 {
		s.admin.slowlog = s.admin.slowlog[extra:]
	}
}

// redactedArgs marks the arguments Redis hides from SLOWLOG and MONITOR:
// passwords of AUTH and HELLO AUTH, and values of sensitive configs.
func redactedArgs(cmd *Command, argv [][]byte) []bool {
	r := make([]bool, len(argv))
	if cmd == nil {
		return r
	}
	switch cmd.Name {
	case "auth":
		for j := 1; j < len(argv); j++ {
			r[j] = true
		}
	case "hello":
		for j := 2; j < len(argv); j++ {
			if strings.EqualFold(string(argv[j]), "auth") && j+2 < len(argv) {
				r[j+1], r[j+2] = true, true
				j += 2
			}
		}
	case "config|set":
		for j := 2; j+1 < len(argv); j += 2 {
			if d := lookupDirective(string(argv[j])); d != nil && d.flags&cfgSensitive != 0 {
				r[j+1] = true
			}
		}
	case "migrate":
		for j := 6; j < len(argv); j++ {
			switch strings.ToLower(string(argv[j])) {
			case "auth":
				if j+1 < len(argv) {
					r[j+1] = true
				}
			case "auth2":
				if j+2 < len(argv) {
					r[j+2] = true
				}
			}
		}
	}
	return r
}

func slowlogGetCommand(c *Client) {
	s := c.srv
	if len(c.argv) > 3 {
		subcommandSyntaxError(c)
		return
	}
	count := int64(10)
	if len(c.argv) == 3 {
		v, ok := ParseInt(c.argv[2])
		if !ok || v < -1 {
			c.ReplyError("ERR count should be greater than or equal to -1")
			return
		}
		count = v
		if count == -1 {
			count = int64(len(s.admin.slowlog))
		}
	}
	n := int(min(count, int64(len(s.admin.slowlog))))
	c.ReplyArray(n)
	for i := 0; i < n; i++ { // newest first
		e := &s.admin.slowlog[len(s.admin.slowlog)-1-i]
		c.ReplyArray(6)
		c.ReplyInt(e.id)
		c.ReplyInt(e.unix)
		c.ReplyInt(e.usec)
		c.ReplyStrings(e.args)
		c.ReplyBulkString(e.addr)
		c.ReplyBulkString(e.name)
	}
}

func slowlogResetCommand(c *Client) {
	c.srv.admin.slowlog = nil
	c.ReplyOK()
}

func slowlogLenCommand(c *Client) { c.ReplyInt(int64(len(c.srv.admin.slowlog))) }

func slowlogHelpCommand(c *Client) {
	helpReply(c, []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	})
}

// ---- INFO, TIME, MONITOR -----------------------------------------------

// infoCommand replies the INFO text. Redis 7.0 sends it with
// addReplyVerbatim: a bulk string in RESP2, a "txt" verbatim string in
// RESP3 (checked against redis-server 7.0.15).
func infoCommand(c *Client) {
	if c.srv.opts.SentinelMode {
		// A sentinel's INFO is a plain bulk string, in RESP3 too.
		c.ReplyBulkString(c.srv.genSentinelInfo(c.argv[1:]))
		return
	}
	c.ReplyVerbatim(c.srv.genInfo(c.argv[1:]))
}

// timeCommand replies the wall clock, not the frozen command clock.
func timeCommand(c *Client) {
	now := time.Now()
	c.ReplyArray(2)
	c.ReplyBulkInt(now.Unix())
	c.ReplyBulkInt(int64(now.Nanosecond() / 1000))
}

func monitorCommand(c *Client) {
	if c.flags&flagMulti != 0 {
		// Queued MONITOR runs inside EXEC, where Redis denies blocking.
		c.ReplyError("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.flags&(flagMonitor|flagReplica) != 0 {
		return // already a monitor (or a replica): Redis ignores it silently
	}
	c.flags |= flagMonitor
	c.srv.monitors[c] = struct{}{}
	c.ReplyOK()
}

// ---- SHUTDOWN ----------------------------------------------------------

func shutdownCommand(c *Client) {
	s := c.srv
	var save, nosave, force, abort bool
	for _, a := range c.argv[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now":
			// Warden does not wait for lagging replicas, so NOW changes
			// nothing; it is accepted for compatibility.
		case "force":
			force = true
		case "abort":
			abort = true
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	if (abort && len(c.argv) > 2) || (save && nosave) {
		c.ReplyError(ErrSyntax)
		return
	}
	if abort {
		// The shutdown below is immediate, so none is ever in progress.
		c.ReplyError("ERR No shutdown in progress.")
		return
	}
	if s.opts.SentinelMode {
		save, nosave = false, true // a sentinel never saves, SAVE or not
	}
	s.log.Warn("User requested shutdown...", zap.String("event", "shutdown"))
	if (save || (len(s.opts.Save) > 0 && !nosave)) && shutdownSaveHook != nil {
		s.log.Info("Saving the final RDB snapshot before exiting.", zap.String("event", "shutdown-save"))
		if err := shutdownSaveHook(s); err != nil {
			if !force {
				s.log.Warn("Error trying to save the DB, can't exit.", zap.String("event", "shutdown-save-failed"), zap.Error(err))
				c.ReplyError("ERR Errors trying to SHUTDOWN. Check logs.")
				return
			}
			s.log.Warn("Error trying to save the DB, exiting anyway (FORCE).", zap.Error(err))
		}
	}
	s.log.Warn(s.readyToExitText(), zap.String("event", "shutdown-ready"))
	// Nothing is replied: the client sees the connection close, as with
	// Redis, whose process exits. Shutdown waits for the event loops, one
	// of which is running this command, so it runs on its own goroutine
	// (after the OnShutdown callbacks, which must not run under the lock).
	c.flags |= flagCloseASAP
	go s.stopAfterHooks()
}

// ---- COMMAND -------------------------------------------------------------

// aclCategoryOrder is Redis's category bit order, which COMMAND INFO and
// ACL CAT follow.
var aclCategoryOrder = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting"}

// aclCategories are the registered categories plus those Redis implies
// from the flags (setImplicitACLCategories), in Redis's order.
func (cmd *Command) aclCategories() []string {
	has := map[string]bool{}
	for _, a := range cmd.ACL {
		has[strings.TrimPrefix(strings.ToLower(a), "@")] = true
	}
	f := cmd.Flags
	if f&FlagWrite != 0 {
		has["write"] = true
	}
	if f&FlagReadonly != 0 && !has["scripting"] {
		has["read"] = true
	}
	if f&FlagAdmin != 0 {
		has["admin"], has["dangerous"] = true, true
	}
	if f&FlagPubsub != 0 {
		has["pubsub"] = true
	}
	if f&FlagFast != 0 {
		has["fast"] = true
	}
	if f&FlagBlocking != 0 {
		has["blocking"] = true
	}
	if !has["fast"] {
		has["slow"] = true
	}
	var out []string
	for _, cat := range aclCategoryOrder {
		if has[cat] {
			out = append(out, cat)
		}
	}
	return out
}

// infoFlags are the COMMAND INFO flags in Redis's order; may_replicate is
// hidden there, movablekeys derived from a key-extraction function.
func (cmd *Command) infoFlags() []string {
	f := cmd.Flags
	var out []string
	add := func(bit CmdFlags, name string) {
		if f&bit != 0 {
			out = append(out, name)
		}
	}
	add(FlagWrite, "write")
	add(FlagReadonly, "readonly")
	add(FlagDenyOOM, "denyoom")
	add(FlagAdmin, "admin")
	add(FlagPubsub, "pubsub")
	add(FlagNoScript, "noscript")
	add(FlagBlocking, "blocking")
	add(FlagLoading, "loading")
	add(FlagStale, "stale")
	add(FlagSkipMonitor, "skip_monitor")
	add(FlagSkipSlowlog, "skip_slowlog")
	add(FlagFast, "fast")
	add(FlagNoAuth, "no_auth")
	add(FlagNoMandatoryKeys, "no_mandatory_keys")
	add(FlagNoAsyncLoading, "no_async_loading")
	add(FlagNoMulti, "no_multi")
	if cmd.Keys != nil {
		out = append(out, "movablekeys")
	}
	add(FlagAllowBusy, "allow_busy")
	return out
}

func sortedSubs(cmd *Command) []*Command {
	subs := make([]*Command, 0, len(cmd.Sub))
	for _, sc := range cmd.Sub {
		subs = append(subs, sc)
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
	return subs
}

func (c *Client) replyStatusSet(items []string) {
	c.ReplySet(len(items))
	for _, it := range items {
		c.ReplySimple(it)
	}
}

// replyCommandInfo writes one COMMAND INFO entry. The fields up to the
// ACL categories come from warden's table, which is what dispatch
// enforces; tips and key specs, which the table lacks, are Redis's
// (package cmddocs); a command Redis does not have gets empty tips and a
// key spec derived from its first/last/step triple. The subcommands are
// those of warden's table.
func (c *Client) replyCommandInfo(cmd *Command) {
	if cmd == nil {
		c.ReplyNull()
		return
	}
	c.ReplyArray(10)
	c.ReplyBulkString(cmd.Name)
	c.ReplyInt(int64(cmd.Arity))
	c.replyStatusSet(cmd.infoFlags())
	c.ReplyInt(int64(cmd.FirstKey))
	c.ReplyInt(int64(cmd.LastKey))
	c.ReplyInt(int64(cmd.Step))
	cats := cmd.aclCategories()
	c.ReplySet(len(cats))
	for _, cat := range cats {
		c.ReplySimple("@" + cat)
	}
	if d := cmddocs.Lookup(cmd.Name); d != nil {
		c.ReplyRaw(d.TipsAndKeySpecs(c.proto))
	} else {
		c.ReplySet(0) // tips
		c.replyKeySpecs(cmd)
	}
	subs := sortedSubs(cmd)
	if len(subs) == 0 {
		c.ReplySet(0)
		return
	}
	c.ReplyArray(len(subs))
	for _, sc := range subs {
		c.replyCommandInfo(sc)
	}
}

// replyKeySpecs writes the key specs of a command Redis does not have: one
// spec from the first/last/step triple, RW for writes and RO otherwise.
func (c *Client) replyKeySpecs(cmd *Command) {
	if cmd.FirstKey <= 0 && cmd.Keys == nil {
		c.ReplySet(0)
		return
	}
	c.ReplySet(1)
	c.ReplyMap(3)
	c.ReplyBulkString("flags")
	if cmd.Flags&FlagWrite != 0 {
		c.replyStatusSet([]string{"RW"})
	} else {
		c.replyStatusSet([]string{"RO"})
	}
	c.ReplyBulkString("begin_search")
	c.ReplyMap(2)
	c.ReplyBulkString("type")
	if cmd.FirstKey <= 0 {
		c.ReplyBulkString("unknown")
		c.ReplyBulkString("spec")
		c.ReplyMap(0)
	} else {
		c.ReplyBulkString("index")
		c.ReplyBulkString("spec")
		c.ReplyMap(1)
		c.ReplyBulkString("index")
		c.ReplyInt(int64(cmd.FirstKey))
	}
	c.ReplyBulkString("find_keys")
	c.ReplyMap(2)
	c.ReplyBulkString("type")
	if cmd.FirstKey <= 0 || cmd.Keys != nil {
		c.ReplyBulkString("unknown")
		c.ReplyBulkString("spec")
		c.ReplyMap(0)
		return
	}
	last := cmd.LastKey
	if last >= 0 {
		last -= cmd.FirstKey
	}
	c.ReplyBulkString("range")
	c.ReplyBulkString("spec")
	c.ReplyMap(3)
	c.ReplyBulkString("lastkey")
	c.ReplyInt(int64(last))
	c.ReplyBulkString("keystep")
	c.ReplyInt(int64(cmd.Step))
	c.ReplyBulkString("limit")
	c.ReplyInt(0)
}

// replyCommandDocs writes one COMMAND DOCS map: Redis's documentation of
// the command (package cmddocs), or for a command Redis does not have the
// summary, since and group of warden's table; then the subcommands of
// warden's table, last as in Redis.
func (c *Client) replyCommandDocs(cmd *Command) {
	subs := sortedSubs(cmd)
	n := 0
	if len(subs) > 0 {
		n++
	}
	if d := cmddocs.Lookup(cmd.Name); d != nil {
		c.ReplyMap(n + d.DocPairs())
		c.ReplyRaw(d.Docs(c.proto))
	} else {
		var pairs []string
		if cmd.Summary != "" {
			pairs = append(pairs, "summary", cmd.Summary)
		}
		if cmd.Since != "" {
			pairs = append(pairs, "since", cmd.Since)
		}
		pairs = append(pairs, "group", cmd.Group)
		c.ReplyMap(n + len(pairs)/2)
		for _, p := range pairs {
			c.ReplyBulkString(p)
		}
	}
	if len(subs) > 0 {
		c.ReplyBulkString("subcommands")
		c.ReplyMap(len(subs))
		for _, sc := range subs {
			c.ReplyBulkString(sc.Name)
			c.replyCommandDocs(sc)
		}
	}
}

func commandCommand(c *Client) {
	names := c.srv.commandNames()
	c.ReplyArray(len(names))
	for _, n := range names {
		c.replyCommandInfo(c.srv.cmds[n])
	}
}

func commandCountCommand(c *Client) { c.ReplyInt(int64(len(c.srv.cmds))) }

func commandInfoCommand(c *Client) {
	if len(c.argv) == 2 {
		commandCommand(c)
		return
	}
	c.ReplyArray(len(c.argv) - 2)
	for _, a := range c.argv[2:] {
		c.replyCommandInfo(c.srv.lookupCommandName(string(a)))
	}
}

func commandDocsCommand(c *Client) {
	var cmds []*Command
	if len(c.argv) == 2 {
		for _, n := range c.srv.commandNames() {
			cmds = append(cmds, c.srv.cmds[n])
		}
	} else {
		for _, a := range c.argv[2:] {
			if cmd := c.srv.lookupCommandName(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.ReplyMap(len(cmds))
	for _, cmd := range cmds {
		c.ReplyBulkString(cmd.Name)
		c.replyCommandDocs(cmd)
	}
}

// commandKeyPositions returns the key argument positions of argv for cmd
// (argv[0] is the command name), or ok false when argv is too short for
// the declared positions.
func commandKeyPositions(cmd *Command, argv [][]byte) (pos []int, ok bool) {
	if cmd.Keys != nil {
		for _, p := range cmd.Keys(argv) {
			if p <= 0 || p >= len(argv) {
				return nil, false
			}
			pos = append(pos, p)
		}
		return pos, len(pos) > 0
	}
	if cmd.FirstKey <= 0 {
		return nil, false
	}
	last := cmd.LastKey
	if last < 0 {
		last += len(argv)
	}
	step := max(cmd.Step, 1)
	if cmd.FirstKey >= len(argv) || last >= len(argv) || last < cmd.FirstKey {
		return nil, false
	}
	for i := cmd.FirstKey; i <= last; i += step {
		pos = append(pos, i)
	}
	return pos, true
}

// commandGetKeysCommand is COMMAND GETKEYS and GETKEYSANDFLAGS, checking
// in Redis's order: the command, whether it has keys at all, its arity,
// then the keys.
func commandGetKeysCommand(c *Client) {
	withFlags := c.cmd.Name == "command|getkeysandflags"
	argv := c.argv[2:]
	cmd := c.srv.lookupCommandArgs(argv)
	if cmd == nil {
		c.ReplyError("ERR Invalid command specified")
		return
	}
	e := cmddocs.Lookup(cmd.Name)
	hasKeys := cmd.FirstKey > 0 || cmd.Keys != nil
	if e != nil {
		hasKeys = hasRealKeySpec(e.KeySpecs())
	}
	switch {
	case !hasKeys:
		c.ReplyError("ERR The command has no key arguments")
		return
	case !cmd.arityOK(len(argv)):
		c.ReplyError("ERR Invalid number of arguments specified for command")
		return
	}
	var keys []cmddocs.KeyRef
	if e != nil {
		keys = keysFromSpecs(cmd.Name, e.KeySpecs(), argv)
	} else {
		// A command Redis lacks has no key specs to go by: its table
		// positions, flagged by what the command does as a whole.
		flag := []string{"RO"}
		if cmd.Flags&FlagWrite != 0 {
			flag = []string{"RW"}
		}
		pos, _ := commandKeyPositions(cmd, argv)
		for _, p := range pos {
			keys = append(keys, cmddocs.KeyRef{Pos: p, Flags: flag})
		}
	}
	if len(keys) == 0 {
		if cmd.Flags&FlagNoMandatoryKeys != 0 {
			c.ReplyArray(0)
			return
		}
		c.ReplyError("ERR Invalid arguments specified for command")
		return
	}
	c.ReplyArray(len(keys))
	for _, k := range keys {
		if withFlags {
			c.ReplyArray(2)
			c.ReplyBulk(argv[k.Pos])
			c.replyStatusSet(k.Flags)
		} else {
			c.ReplyBulk(argv[k.Pos])
		}
	}
}

// hasRealKeySpec reports whether a spec names actual keys: SPUBLISH's
// shard channel, say, is a not_key spec, and Redis says such a command
// has no key arguments.
func hasRealKeySpec(specs []cmddocs.KeySpec) bool {
	for i := range specs {
		if !specs[i].Has("not_key") {
			return true
		}
	}
	return false
}

// keysFromSpecs finds the keys of argv as Redis 7.0's
// getKeysFromCommandWithSpecs does: from the key specs when they can be
// trusted, else from the command's key procedure. A variable_flags spec
// (SET, BITFIELD) always defers to the procedure, whose flags depend on
// the arguments; so does a spec that does not fit argv.
func keysFromSpecs(name string, specs []cmddocs.KeySpec, argv [][]byte) []cmddocs.KeyRef {
	varFlags := false
	for i := range specs {
		varFlags = varFlags || specs[i].Has("variable_flags")
	}
	if !varFlags {
		if keys, ok := cmddocs.Keys(specs, argv); ok {
			return keys
		}
	}
	return keysProc(name, specs, argv)
}

// Flags that Redis's key procedures give the keys they find.
var (
	flagsRead      = []string{"RO", "access"}
	flagsReadWrite = []string{"RW", "access", "update"}
	flagsOverwrite = []string{"OW", "update"}
)

// keysProc is the key procedure Redis falls back on for the commands
// warden shares with it. SET and BITFIELD flag their key by what the
// arguments ask for; the numkeys commands (ZUNIONSTORE, LMPOP, ...)
// count with atoi and list the destination last, giving no flags. Other
// commands have no procedure. warden's own Keys functions are not used:
// they parse numkeys strictly and list the destination first, so they
// would differ from Redis exactly where the specs fail.
func keysProc(name string, specs []cmddocs.KeySpec, argv [][]byte) []cmddocs.KeyRef {
	switch name {
	case "set":
		for _, a := range argv[3:] {
			if strings.EqualFold(string(a), "get") {
				return []cmddocs.KeyRef{{Pos: 1, Flags: flagsReadWrite}}
			}
		}
		return []cmddocs.KeyRef{{Pos: 1, Flags: flagsOverwrite}}
	case "bitfield":
		return []cmddocs.KeyRef{{Pos: 1, Flags: bitfieldKeyFlags(argv)}}
	}
	return numkeysProc(specs, argv)
}

// bitfieldKeyFlags reads BITFIELD's operations as far as they are well
// formed: only GETs (and OVERFLOWs) leave the key read-only; a SET, an
// INCRBY or anything malformed is taken as a write.
func bitfieldKeyFlags(argv [][]byte) []string {
	for i := 2; i < len(argv); i++ {
		rem := len(argv) - i - 1
		switch op := string(argv[i]); {
		case strings.EqualFold(op, "get") && rem >= 2:
			i += 2
		case strings.EqualFold(op, "overflow") && rem >= 1:
			i++
		default:
			return flagsReadWrite
		}
	}
	return flagsRead
}

// numkeysProc is Redis's procedure for the commands whose keys a numkeys
// argument counts, laid out by their keynum spec and, for a destination
// (ZUNIONSTORE's), the index spec before it. Unlike the spec it parses
// the count like C's atoi ("2abc" is 2), and it lists the destination
// after the sources.
func numkeysProc(specs []cmddocs.KeySpec, argv [][]byte) []cmddocs.KeyRef {
	dst := 0
	for i := range specs {
		s := &specs[i]
		if s.Begin == cmddocs.BeginIndex && s.Find == cmddocs.FindRange {
			dst = s.Index
			continue
		}
		if s.Begin != cmddocs.BeginIndex || s.Find != cmddocs.FindKeynum {
			return nil
		}
		countAt, first, step := s.Index+s.KeyNumIdx, s.Index+s.FirstKey, max(s.KeyStep, 1)
		if countAt >= len(argv) {
			return nil
		}
		n := cAtoi(argv[countAt])
		if n < 1 || n > (len(argv)-first)/step {
			return nil
		}
		keys := make([]cmddocs.KeyRef, 0, n+1)
		for k := 0; k < n; k++ {
			keys = append(keys, cmddocs.KeyRef{Pos: first + k*step, Flags: []string{}})
		}
		if dst > 0 {
			keys = append(keys, cmddocs.KeyRef{Pos: dst, Flags: []string{}})
		}
		return keys
	}
	return nil
}

// cAtoi is glibc's atoi: leading white space, an optional sign, then as
// many digits as there are, saturating at the 64-bit limits before the
// conversion to a 32-bit int truncates.
func cAtoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	// n saturates at 2^63, the magnitude of the most negative int64.
	const limit = math.MaxInt64 + 1
	var n uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n > limit/10 {
			n = limit
		} else {
			n = min(n*10+uint64(b[i]-'0'), limit)
		}
	}
	var v int64
	switch {
	case neg:
		v = -int64(n) // 2^63 wraps to the most negative int64, as wanted
	case n == limit:
		v = math.MaxInt64
	default:
		v = int64(n)
	}
	return int(int32(v))
}

func commandListCommand(c *Client) {
	var filter func(cmd *Command) bool
	for i := 2; i < len(c.argv); i++ {
		if !c.ArgIs(i, "filterby") || len(c.argv)-1-i != 2 {
			c.ReplyError(ErrSyntax)
			return
		}
		arg := string(c.argv[i+2])
		switch strings.ToLower(string(c.argv[i+1])) {
		case "module":
			filter = func(*Command) bool { return false } // warden has no modules
		case "aclcat":
			cat := strings.ToLower(arg)
			filter = func(cmd *Command) bool {
				for _, x := range cmd.aclCategories() {
					if x == cat {
						return true
					}
				}
				return false
			}
		case "pattern":
			pat := []byte(arg)
			filter = func(cmd *Command) bool { return ds.Match(pat, []byte(cmd.Name), true) }
		default:
			c.ReplyError(ErrSyntax)
			return
		}
		i += 2
	}
	var out []string
	for _, n := range c.srv.commandNames() {
		cmd := c.srv.cmds[n]
		if filter == nil || filter(cmd) {
			out = append(out, cmd.Name)
		}
		for _, sc := range sortedSubs(cmd) {
			if filter == nil || filter(sc) {
				out = append(out, sc.Name)
			}
		}
	}
	c.ReplyStrings(out)
}

func commandHelpCommand(c *Client) {
	helpReply(c, []string{
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	})
}

// ---- DEBUG -------------------------------------------------------------

// rejectDebug applies enable-debug-command (no by default, as in Redis
// 7.0): DEBUG is a protected command.
func rejectDebug(s *Server, c *Client, cmd *Command) string {
	if cmd.Name != "debug" || allowProtected(s.opts.EnableDebugCommand, c) {
		return ""
	}
	return `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`
}

// allowProtected is Redis's allowProtectedAction: "yes", or "local" from a
// loopback or unix-socket client.
func allowProtected(setting string, c *Client) bool {
	switch setting {
	case "yes":
		return true
	case "local":
		return c.isLoopback()
	}
	return false
}

func debugCommand(c *Client) {
	s := c.srv
	sub := strings.ToLower(string(c.argv[1]))
	switch {
	case sub == "help" && len(c.argv) == 2:
		helpReply(c, []string{
			"DIGEST",
			"    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]",
			"    Output a hex signature of the values of all the specified keys.",
			"POPULATE <count> [<prefix>] [<size>]",
			"    Create <count> string keys named key:<num>. If <prefix> is specified then",
			"    it is used instead of the 'key' prefix. These are not propagated to",
			"    replicas. Cluster slots are not respected so keys not belonging to the",
			"    current node can be created in cluster mode.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
		})
	case sub == "sleep" && len(c.argv) == 3:
		// DEBUG SLEEP blocks the whole server, which is its purpose (tests
		// use it to simulate a busy server); strtod semantics: junk is 0.
		secs, _ := strconv.ParseFloat(strings.TrimSpace(string(c.argv[2])), 64)
		if secs > 0 {
			time.Sleep(time.Duration(secs * float64(time.Second)))
		}
		c.ReplyOK()
	case sub == "set-active-expire" && len(c.argv) == 3:
		v, _ := strconv.Atoi(string(c.argv[2])) // atoi, as Redis
		s.admin.noActiveExpire = v == 0
		c.ReplyOK()
	case sub == "populate" && len(c.argv) >= 3 && len(c.argv) <= 5:
		debugPopulate(c)
	case sub == "digest" && len(c.argv) == 2:
		c.ReplySimple(s.datasetDigestHex())
	case sub == "digest-value":
		c.ReplyArray(len(c.argv) - 2)
		for _, k := range c.argv[2:] {
			// Like Redis, logically expired keys still count.
			c.ReplySimple(digestHex(keyDigest(c.db.d.get(string(k)))))
		}
	default:
		if debugPersistHook != nil && debugPersistHook(c, sub) {
			return // RELOAD, LOADAOF (cmd_persist.go)
		}
		subcommandSyntaxError(c)
	}
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: count string keys
// <prefix>:<n> holding "value:<n>" (cut or zero-padded to size when size is
// given); existing keys are left alone. Like Redis it is a test aid: nothing
// is propagated, the dirty counter does not move, and a prefix is cut so that
// the key name fits Redis's 128-byte buffer.
func debugPopulate(c *Client) {
	count, ok := rangeArg(c, 2, 0, math.MaxInt64, errMustBePositive)
	if !ok {
		return
	}
	size := int64(0)
	if len(c.argv) == 5 {
		if size, ok = rangeArg(c, 4, 0, math.MaxInt64, errMustBePositive); !ok {
			return
		}
	}
	prefix := []byte("key")
	if len(c.argv) >= 4 {
		prefix = c.argv[3]
	}
	const nameBuf = 127 // snprintf into char[128]
	db := c.DB()
	var name, val, pad []byte
	for j := int64(0); j < count; j++ {
		name = append(append(name[:0], prefix...), ':')
		name = strconv.AppendInt(name, j, 10)
		if len(name) > nameBuf {
			name = name[:nameBuf]
		}
		key := string(name)
		if db.lookupOverwrite(key) != nil {
			continue
		}
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		v := val
		if size > 0 {
			if pad == nil {
				pad = make([]byte, size)
			}
			clear(pad)
			copy(pad, val)
			v = pad
		}
		c.storeString(key, v, false, false, encAuto) // copies v
		c.srv.keyModified(db, key)
	}
	c.ReplyOK()
}

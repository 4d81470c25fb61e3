// Package core is the sentinel's decision logic: what a Redis Sentinel knows
// about the masters it monitors, their replicas and the other sentinels, and
// what it decides from that knowledge — SDOWN, ODOWN, votes, the leader, the
// failover steps, the replica to promote, the configuration adopted from
// hellos, the sentinel.conf state.
//
// It does no I/O and reads no clock. The shell (package sentinel) feeds it
// observations stamped with the time they were made (Tick, Reply, Hello,
// LinkUp, LinkDown, PubSubActivity), answers the SENTINEL commands through
// its methods, and carries out what it asks for through the Shell interface:
// open and drop links, send commands, publish events, run scripts. Tests
// drive it with simulated nodes and an in-memory network.
//
// Core is not safe for concurrent use; the shell serialises every call.
// The behaviour follows redis-sentinel 7.0 (see shared/reference/
// sentinel-protocol.md); where a rule below cites a section, it is of that
// brief.
package core

import (
	"math/rand"
	"net"
	"strconv"
	"strings"
	"time"
)

// Kind says what an instance is.
type Kind uint8

const (
	KindMaster Kind = iota + 1
	KindReplica
	KindSentinel
)

func (k Kind) String() string {
	switch k {
	case KindMaster:
		return "master"
	case KindReplica:
		return "slave"
	case KindSentinel:
		return "sentinel"
	}
	return "unknown"
}

// Addr is a host (an IP, or a hostname when resolve-hostnames is on) and a
// port.
type Addr struct {
	Host string
	Port int
}

// String formats the address as Redis names replicas: ip:port, with IPv6
// hosts in brackets.
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// Plain is "host:port" without IPv6 brackets, the form of INFO's address=.
func (a Addr) Plain() string { return a.Host + ":" + strconv.Itoa(a.Port) }

// Flags are the instance states Redis shows in the flags field.
type Flags uint32

const (
	FlagSDown Flags = 1 << iota
	FlagODown
	FlagMasterDown         // a peer sentinel said the master is down (peer entries)
	FlagFailoverInProgress // masters
	FlagPromoted           // the replica chosen for promotion
	FlagReconfSent
	FlagReconfInprog
	FlagReconfDone
	FlagForceFailover
	FlagScriptKillSent
	FlagMasterReboot
)

// FailoverState is a step of the failover state machine (§4.6).
type FailoverState uint8

const (
	FailoverNone FailoverState = iota
	FailoverWaitStart
	FailoverSelectSlave
	FailoverSendSlaveofNoone
	FailoverWaitPromotion
	FailoverReconfSlaves
	FailoverUpdateConfig
)

var failoverStateNames = [...]string{"none", "wait_start", "select_slave", "send_slaveof_noone",
	"wait_promotion", "reconf_slaves", "update_config"}

func (s FailoverState) String() string { return failoverStateNames[s] }

// Link is the connection state the shell reports for an instance: a command
// connection and, for masters and replicas, a pub/sub connection. Sentinel
// entries with the same runid under different masters share one Link
// (Refcount counts them), as in Redis.
type Link struct {
	// CC and PC say whether the command and pub/sub connections are up.
	// Sentinel links have no pub/sub connection; PC stays false and does
	// not count as disconnected for them.
	CC, PC bool
	// CCConnTime and PCConnTime are when each connection came up.
	CCConnTime, PCConnTime time.Time
	// PCLastActivity is the last time anything arrived on the pub/sub
	// connection.
	PCLastActivity time.Time
	// LastAvailTime is the last acceptable PING reply (+PONG, -LOADING,
	// -MASTERDOWN); it starts as the link's creation time.
	LastAvailTime time.Time
	// ActPingTime is when the oldest PING still unanswered was sent; zero
	// when none is pending. It starts as the creation time, so an instance
	// that never answers goes SDOWN after down-after-milliseconds.
	ActPingTime time.Time
	// LastPingTime is when the last PING was sent (rate limiting only).
	LastPingTime time.Time
	// LastPongTime is the last reply of any kind to a PING.
	LastPongTime time.Time
	// LastReconnTime is the last time the shell was asked to connect.
	LastReconnTime time.Time
	// RefusedSince is when the command connection's dials started being
	// actively refused (the host answered, nothing listens on the port);
	// zero once a dial fails otherwise or the connection comes up. It
	// feeds the down-after-refused-milliseconds fast path.
	RefusedSince time.Time
	// LocalIP is the local IP of the command connection; the shell sets it
	// before reporting LinkUp for that connection. Hellos announce it when
	// announce-ip is not set (§3.3), and are not sent while it is unknown.
	LocalIP string
	// PendingCommands counts requests sent and not yet answered.
	PendingCommands int
	Refcount        int
	// Shell is the shell's own handle for this link's connections.
	Shell any
}

// Disconnected reports whether a connection the instance needs is down
// (the "disconnected" flag).
func (l *Link) Disconnected(k Kind) bool {
	return !l.CC || (k != KindSentinel && !l.PC)
}

// Instance is a monitored master, one of its replicas or one of the other
// sentinels watching it (Redis's sentinelRedisInstance).
type Instance struct {
	Kind  Kind
	Flags Flags
	// Name is the master name; "ip:port" for a replica; the runid for a
	// sentinel.
	Name  string
	RunID string // from INFO run_id, or a sentinel's hello; "" until known
	Addr  Addr
	Link  *Link
	// Master is the master a replica or sentinel entry belongs to; nil
	// for masters.
	Master *Instance

	LastPubTime             time.Time // last hello published to it (success)
	LastHelloTime           time.Time // sentinels: last hello received from it
	LastMasterDownReplyTime time.Time // sentinels: last IS-MASTER-DOWN-BY-ADDR reply
	SDownSince              time.Time
	ODownSince              time.Time
	DownAfter               time.Duration
	MasterRebootDownAfter   time.Duration
	// DownAfterRefused is warden's opt-in fast path (masters only, applies
	// to the whole group): SDOWN after this long without an acceptable
	// reply when every dial since is refused. 0 = off.
	DownAfterRefused    time.Duration
	MasterRebootSince   time.Time
	InfoRefresh         time.Time // last INFO reply; zero if never
	Info                string    // the last INFO text, for INFO-CACHE
	RoleReported        Kind
	RoleReportedTime    time.Time
	SlaveConfChangeTime time.Time // last change of the reported master_host/port

	// Master only.
	Sentinels            map[string]*Instance // by runid
	Replicas             map[string]*Instance // by Addr.String()
	Quorum               int
	ParallelSyncs        int
	AuthPass, AuthUser   string
	RenamedCommands      map[string]string // lower-case command -> new name
	ConfigEpoch          uint64
	NotificationScript   string
	ClientReconfigScript string
	Leader               string // runid this sentinel voted for (and for sentinels: what they voted)
	LeaderEpoch          uint64
	FailoverEpoch        uint64
	FailoverState        FailoverState
	FailoverStateChange  time.Time
	FailoverStartTime    time.Time
	FailoverTimeout      time.Duration
	FailoverDelayLogged  time.Time
	PromotedReplica      *Instance

	// Replica only, from its INFO.
	MasterLinkDownTime  time.Duration
	SlavePriority       int
	ReplicaAnnounced    bool
	SlaveReconfSentTime time.Time
	SlaveMasterHost     string
	SlaveMasterPort     int
	SlaveMasterLinkUp   bool
	SlaveReplOffset     int64

	// removed is set when the instance is released; replies that arrive
	// for it afterwards are dropped.
	removed bool
}

// Removed reports whether the instance has been released (its replies are
// then ignored).
func (ri *Instance) Removed() bool { return ri.removed }

// Timing holds the periods SENTINEL DEBUG can change (Appendix A).
type Timing struct {
	InfoPeriod             time.Duration
	PingPeriod             time.Duration
	AskPeriod              time.Duration
	PublishPeriod          time.Duration
	DefaultDownAfter       time.Duration
	DefaultFailoverTimeout time.Duration
	TiltTrigger            time.Duration
	TiltPeriod             time.Duration
	SlaveReconfTimeout     time.Duration
	MinLinkReconnectPeriod time.Duration
	ElectionTimeout        time.Duration
	ScriptMaxRuntime       time.Duration
	ScriptRetryDelay       time.Duration
}

// DefaultTiming is redis-sentinel 7.0's.
func DefaultTiming() Timing {
	return Timing{
		InfoPeriod:             10 * time.Second,
		PingPeriod:             time.Second,
		AskPeriod:              time.Second,
		PublishPeriod:          2 * time.Second,
		DefaultDownAfter:       30 * time.Second,
		DefaultFailoverTimeout: 180 * time.Second,
		TiltTrigger:            2 * time.Second,
		TiltPeriod:             30 * time.Second,
		SlaveReconfTimeout:     10 * time.Second,
		MinLinkReconnectPeriod: 15 * time.Second,
		ElectionTimeout:        10 * time.Second,
		ScriptMaxRuntime:       60 * time.Second,
		ScriptRetryDelay:       30 * time.Second,
	}
}

// Fixed constants of sentinel.c that SENTINEL DEBUG does not expose.
const (
	DefaultPort          = 26379
	HelloChannel         = "__sentinel__:hello"
	DefaultQuorum        = 2
	DefaultParallelSyncs = 1
	DefaultSlavePriority = 100
	// MaxPendingCommands per link reference: no periodic command is sent
	// on a link with this many × refcount unanswered.
	MaxPendingCommands = 100
	// MaxDesync is the random jitter added to a failover start.
	MaxDesync = 1000 * time.Millisecond
	// AskStale: peer replies older than this many ask periods are dropped.
	AskStale = 5
)

// SimFailure flags (SENTINEL SIMULATE-FAILURE).
const (
	SimCrashAfterElection = 1 << iota
	SimCrashAfterPromotion
)

// Level is an event's log level; every level but Debug is published.
type Level uint8

const (
	LevelDebug Level = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)

// Event is one sentinel event (§2): published on the channel named Type
// with Payload as the message, logged, and for warning-level events about
// an instance passed to the master's notification-script.
type Event struct {
	Type    string
	Level   Level
	Payload string
	// Instance is what the event concerns (nil for +tilt, scripts...).
	Instance *Instance
	// Master is the master name of the group the event belongs to ("" if
	// none). Typed subscribers (the proxy) filter on it.
	Master string
}

// Op names what a Request is for, so its reply can be handled.
type Op uint8

const (
	OpPing Op = iota + 1
	OpInfo
	OpHello     // PUBLISH __sentinel__:hello
	OpAskMaster // SENTINEL is-master-down-by-addr
	OpSlaveOf   // the MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL ×2 / EXEC pipeline
	OpScriptKill
)

// Request is a command (or a pipeline of commands) the core wants sent on
// an instance's command connection. Command names are already renamed
// through the master's rename-command table.
type Request struct {
	Inst *Instance
	Op   Op
	Cmds [][]string
	// Master is the master an OpAskMaster request is about.
	Master *Instance
	// Link is the link the request was sent on: its pending count is the
	// one the reply settles, even if Inst has moved to another link since.
	Link *Link
	// Sent is when the request was handed to the shell.
	Sent time.Time
}

// ReplyKind is the RESP type of a reply.
type ReplyKind uint8

const (
	ReplyStatus ReplyKind = iota + 1
	ReplyError
	ReplyInt
	ReplyBulk
	ReplyArray
	ReplyNull
)

// Reply is a decoded RESP reply. RESP3 types are folded into these by the
// shell (maps become arrays of pairs, verbatim strings bulk strings).
type Reply struct {
	Kind  ReplyKind
	Str   string // status, error (without the '-'), bulk
	Int   int64
	Elems []Reply
}

// Shell is what the core asks of the outside world. Every method must
// return at once; results come back through the Core methods named.
type Shell interface {
	// Open starts maintaining l's connections to inst.Addr: dial the
	// command connection (and the pub/sub one for masters and replicas),
	// send the handshake commands given by Core.Handshake, and report each
	// connection with Core.LinkUp / Core.LinkDown. The shell does not
	// redial by itself: the core calls Open again (at most once a second)
	// while a connection is down.
	Open(l *Link, inst *Instance)
	// Drop closes l's connections (command, pub/sub or both); pending
	// requests are answered with a nil reply.
	Drop(l *Link, cc, pc bool)
	// Send queues req on the command connection of req.Inst.Link; its
	// reply (nil if the connection is lost first) comes back through
	// Core.Reply.
	Send(req *Request)
	// Event publishes, logs and scripts an event.
	Event(ev Event)
	// RunScript queues a script run (path and arguments).
	RunScript(path string, args ...string)
	// Exit ends the process (SENTINEL SIMULATE-FAILURE).
	Exit(code int)
}

// Core is one sentinel's knowledge and decisions.
type Core struct {
	MyID         string
	CurrentEpoch uint64
	Masters      map[string]*Instance // by name

	Tilt         bool
	TiltStart    time.Time
	PreviousTime time.Time

	// Own address as announced in hellos.
	Port         int
	AnnounceIP   string
	AnnouncePort int

	ResolveHostnames    bool
	AnnounceHostnames   bool
	DenyScriptsReconfig bool
	// Credentials towards other sentinels; RequirePass (the sentinel's own
	// client password) is used when SentinelPass is empty.
	SentinelUser, SentinelPass string
	RequirePass                string

	SimFailure int
	Timing     Timing

	// Resolve turns a hostname into an IP when ResolveHostnames is on; the
	// shell sets it (tests may leave the default, which only accepts IPs).
	Resolve func(host string) (string, error)
	// Executable reports whether a script path may be run (config and
	// SENTINEL SET check it); the shell sets it.
	Executable func(path string) bool

	shell Shell
	rand  *rand.Rand
	dirty bool
	// confKeep names the sentinel.conf keys ("deny-scripts-reconfig",
	// "resolve-hostnames", "announce-hostnames") known to be in the file:
	// Redis rewrites those even at their default value, and omits them
	// otherwise (see RewriteConfig).
	confKeep map[string]bool
}

// New returns an empty core that talks to shell and draws its jitter from
// rng (tests pass a seeded one).
func New(shell Shell, rng *rand.Rand) *Core {
	return &Core{
		Masters:             make(map[string]*Instance),
		Port:                DefaultPort,
		DenyScriptsReconfig: true,
		Timing:              DefaultTiming(),
		Resolve:             resolveIPOnly,
		Executable:          func(string) bool { return false },
		shell:               shell,
		rand:                rng,
	}
}

func resolveIPOnly(host string) (string, error) {
	if net.ParseIP(host) == nil {
		return "", errInvalidAddr
	}
	return host, nil
}

type coreError string

func (e coreError) Error() string { return string(e) }

const errInvalidAddr = coreError("Invalid IP address or hostname specified")

// errNoSuchMaster is the reply of every SENTINEL subcommand naming an
// unknown master.
const errNoSuchMaster = coreError("ERR No such master with that name")

// TakeDirty reports whether the persistent state changed since the last
// call (the shell then rewrites sentinel.conf), and clears the mark.
func (c *Core) TakeDirty() bool {
	d := c.dirty
	c.dirty = false
	return d
}

// markDirty records a change that must reach sentinel.conf.
func (c *Core) markDirty() { c.dirty = true }

// NextTickDelay is how long the shell waits before the next Tick: Redis
// re-randomises its timer between 10 and 19 Hz every tick so that the
// sentinels do not act in lockstep.
func (c *Core) NextTickDelay() time.Duration {
	hz := 10 + c.rand.Intn(10)
	return time.Second / time.Duration(hz)
}

// jitter is a random delay below MaxDesync.
func (c *Core) jitter() time.Duration {
	return time.Duration(c.rand.Int63n(int64(MaxDesync)))
}

// newInstance creates an instance; for replicas and sentinels it is added
// to master's tables (the caller has checked for duplicates). Sentinel
// entries share the Link of another entry with the same runid, as Redis's
// createSentinelRedisInstance + sentinelTryConnectionSharing do.
func (c *Core) newInstance(kind Kind, name string, addr Addr, master *Instance, now time.Time) *Instance {
	ri := &Instance{
		Kind:                kind,
		Name:                name,
		Addr:                addr,
		Master:              master,
		Link:                &Link{LastAvailTime: now, ActPingTime: now, LastPongTime: now, Refcount: 1},
		RoleReported:        kind,
		RoleReportedTime:    now,
		SlavePriority:       DefaultSlavePriority,
		ReplicaAnnounced:    true,
		DownAfter:           c.Timing.DefaultDownAfter,
		SlaveConfChangeTime: now,
	}
	if kind == KindReplica {
		ri.RoleReported = KindReplica
	}
	switch kind {
	case KindMaster:
		ri.Sentinels = make(map[string]*Instance)
		ri.Replicas = make(map[string]*Instance)
		ri.Quorum = DefaultQuorum
		ri.ParallelSyncs = DefaultParallelSyncs
		ri.FailoverTimeout = c.Timing.DefaultFailoverTimeout
		ri.RenamedCommands = make(map[string]string)
	case KindReplica:
		ri.DownAfter = master.DownAfter
		master.Replicas[name] = ri
	case KindSentinel:
		ri.DownAfter = master.DownAfter
		master.Sentinels[name] = ri
	}
	return ri
}

// releaseInstance forgets ri (and, for a master, its replicas and
// sentinels), dropping its link unless another entry still shares it.
func (c *Core) releaseInstance(ri *Instance) {
	if ri.Kind == KindMaster {
		for _, r := range ri.Replicas {
			c.releaseInstance(r)
		}
		for _, s := range ri.Sentinels {
			c.releaseInstance(s)
		}
		ri.Replicas = map[string]*Instance{}
		ri.Sentinels = map[string]*Instance{}
	}
	ri.removed = true
	c.releaseLink(ri)
}

// releaseLink drops ri's reference to its link; the connections are closed
// when nobody else uses them.
func (c *Core) releaseLink(ri *Instance) {
	l := ri.Link
	l.Refcount--
	if l.Refcount <= 0 {
		c.shell.Drop(l, true, true)
		l.CC, l.PC = false, false
	}
	ri.Link = &Link{LastAvailTime: l.LastAvailTime, ActPingTime: l.ActPingTime, Refcount: 1}
}

// shareLink makes sentinel entry ri use the link of another entry with the
// same runid under a different master, if one exists and is connected
// (sentinelTryConnectionSharing). Returns whether it did.
func (c *Core) shareLink(ri *Instance) bool {
	if ri.Kind != KindSentinel || ri.RunID == "" || ri.Link.Refcount > 1 {
		return false
	}
	for _, m := range c.Masters {
		if m == ri.Master {
			continue
		}
		other := m.Sentinels[ri.RunID]
		if other == nil || other == ri || other.Link.Disconnected(KindSentinel) {
			continue
		}
		c.releaseLink(ri)
		ri.Link = other.Link
		ri.Link.Refcount++
		return true
	}
	return false
}

// masterOf is the master of ri's group (ri itself for a master).
func masterOf(ri *Instance) *Instance {
	if ri.Kind == KindMaster {
		return ri
	}
	return ri.Master
}

// renamed applies the group's rename-command table to a command name.
func renamed(ri *Instance, cmd string) string {
	m := masterOf(ri)
	if m == nil || len(m.RenamedCommands) == 0 {
		return cmd
	}
	if n, ok := m.RenamedCommands[strings.ToLower(cmd)]; ok {
		return n
	}
	return cmd
}

// command builds one command with its name renamed for ri's group.
func command(ri *Instance, name string, args ...string) []string {
	return append([]string{renamed(ri, name)}, args...)
}

// Handshake is what the shell sends first on a new connection of ri's link:
// AUTH (when there are credentials), CLIENT SETNAME, and on the pub/sub
// connection SUBSCRIBE to the hello channel (§3.1). Replies are not checked.
func (c *Core) Handshake(ri *Instance, pubsub bool) [][]string {
	var cmds [][]string
	user, pass := c.credentials(ri)
	switch {
	case pass != "" && user != "":
		cmds = append(cmds, command(ri, "AUTH", user, pass))
	case pass != "":
		cmds = append(cmds, command(ri, "AUTH", pass))
	}
	suffix := "cmd"
	if pubsub {
		suffix = "pubsub"
	}
	id8 := c.MyID
	if len(id8) > 8 {
		id8 = id8[:8]
	}
	cmds = append(cmds, command(ri, "CLIENT", "SETNAME", "sentinel-"+id8+"-"+suffix))
	if pubsub {
		cmds = append(cmds, command(ri, "SUBSCRIBE", HelloChannel))
	}
	return cmds
}

// credentials are the user and password used on ri's links: the master's
// auth-user/auth-pass for masters and replicas; sentinel-user/pass (or the
// own requirepass) for sentinels.
func (c *Core) credentials(ri *Instance) (user, pass string) {
	if ri.Kind == KindSentinel {
		if c.SentinelPass != "" {
			return c.SentinelUser, c.SentinelPass
		}
		return "", c.RequirePass
	}
	m := masterOf(ri)
	return m.AuthUser, m.AuthPass
}

// send hands a request to the shell and counts it as pending. With the
// command connection down nothing is sent and send returns nil (Redis's
// redisAsyncCommand fails the same way).
func (c *Core) send(ri *Instance, op Op, now time.Time, cmds ...[]string) *Request {
	if !ri.Link.CC {
		return nil
	}
	req := &Request{Inst: ri, Op: op, Cmds: cmds, Sent: now, Link: ri.Link}
	ri.Link.PendingCommands += len(cmds)
	c.shell.Send(req)
	return req
}

// announcedHost is how an instance's host appears in replies and events:
// as stored (a hostname only when announce-hostnames lets it through).
func (c *Core) announcedHost(a Addr) string { return a.Host }

// prefix is the "%@" event prefix (§2.1) for ri.
func (c *Core) prefix(ri *Instance) string {
	var b strings.Builder
	b.WriteString(ri.Kind.String())
	b.WriteByte(' ')
	b.WriteString(ri.Name)
	b.WriteByte(' ')
	b.WriteString(c.announcedHost(ri.Addr))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(ri.Addr.Port))
	if ri.Kind != KindMaster {
		m := ri.Master
		b.WriteString(" @ ")
		b.WriteString(m.Name)
		b.WriteByte(' ')
		b.WriteString(c.announcedHost(m.Addr))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(m.Addr.Port))
	}
	return b.String()
}

// event emits an event about ri ("%@ " + extra when ri is not nil, or
// payload alone).
func (c *Core) event(level Level, typ string, ri *Instance, extra string) {
	ev := Event{Type: typ, Level: level, Instance: ri}
	if ri != nil {
		ev.Master = masterOf(ri).Name
		ev.Payload = c.prefix(ri)
		if extra != "" {
			ev.Payload += " " + extra
		}
	} else {
		ev.Payload = extra
	}
	c.shell.Event(ev)
}

// eventRaw emits an event whose payload has no instance prefix (+new-epoch,
// +vote-for-leader, +switch-master) but that belongs to master's group.
func (c *Core) eventRaw(level Level, typ string, master *Instance, payload string) {
	ev := Event{Type: typ, Level: level, Payload: payload, Instance: master}
	if master != nil {
		ev.Master = master.Name
	}
	c.shell.Event(ev)
}

// FlagsString is the flags field of SENTINEL MASTER/REPLICAS/SENTINELS
// (§1.4), in Redis's fixed order.
func (ri *Instance) FlagsString() string {
	var parts []string
	add := func(cond bool, name string) {
		if cond {
			parts = append(parts, name)
		}
	}
	f := ri.Flags
	add(f&FlagSDown != 0, "s_down")
	add(f&FlagODown != 0, "o_down")
	add(ri.Kind == KindMaster, "master")
	add(ri.Kind == KindReplica, "slave")
	add(ri.Kind == KindSentinel, "sentinel")
	add(ri.Link.Disconnected(ri.Kind), "disconnected")
	add(f&FlagMasterDown != 0, "master_down")
	add(f&FlagFailoverInProgress != 0, "failover_in_progress")
	add(f&FlagPromoted != 0, "promoted")
	add(f&FlagReconfSent != 0, "reconf_sent")
	add(f&FlagReconfInprog != 0, "reconf_inprog")
	add(f&FlagReconfDone != 0, "reconf_done")
	add(f&FlagForceFailover != 0, "force_failover")
	add(f&FlagScriptKillSent != 0, "script_kill_sent")
	return strings.Join(parts, ",")
}

// MasterByAddr finds a monitored master by address (IS-MASTER-DOWN-BY-ADDR
// looks masters up this way).
func (c *Core) MasterByAddr(a Addr) *Instance {
	for _, m := range c.Masters {
		if m.Addr == a {
			return m
		}
	}
	return nil
}

// CurrentMasterAddr is the address GET-MASTER-ADDR-BY-NAME, hellos and the
// config rewrite give (§1.5): the promoted replica's once the leader's
// failover reached reconf_slaves, the master's otherwise.
func (m *Instance) CurrentMasterAddr() Addr {
	if m.Flags&FlagFailoverInProgress != 0 && m.PromotedReplica != nil &&
		m.FailoverState >= FailoverReconfSlaves {
		return m.PromotedReplica.Addr
	}
	return m.Addr
}

// pingPeriod is min(down-after, ping-period) (§3.2).
func (c *Core) pingPeriod(ri *Instance) time.Duration {
	if ri.DownAfter < c.Timing.PingPeriod {
		return ri.DownAfter
	}
	return c.Timing.PingPeriod
}

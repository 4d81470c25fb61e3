// Package routing tells the proxy where each Redis command may go and what
// connection state it creates, and picks a replica for reads.
//
// It is pure: no I/O, no goroutines, no locks, only the standard library.
// The classification table (table.go) is Redis 7.0's command table reduced to
// what a master/replica proxy needs. Its Write and Read flags are Redis's
// "write" and "readonly" command flags; a test checks them against the
// backend's full command table, which carries Redis's flags, so the two
// cannot drift. Commands warden's node does not implement but clients send
// (EVAL, FCALL, streams, geo, HyperLogLog, SCRIPT, FUNCTION, ACL, CLUSTER,
// ...) are in the table too, with Redis 7.0's flags.
//
// # Where a command goes
//
// The proxy serves three kinds of port. The write port stands for the
// master, the read port for "a replica", the smart port for the master with
// reads spread over replicas. From the flags of Lookup's Info:
//
//   - Write: the master. On the read port the proxy refuses it with
//     "-READONLY You can't write against a read only replica.", which is
//     what a Redis replica answers.
//   - MasterOnly (every Admin command has it too): the master on every
//     port, the read port included, since a per-command balancer would run
//     it on an arbitrary replica (CONFIG SET on a random replica is never
//     what the caller meant) or the result would be wrong elsewhere
//     (PUBLISH on a replica reaches only that replica's subscribers, while
//     the master propagates it to every replica's).
//   - Read: a balanced replica on the read and smart ports, the master on
//     the write port.
//   - none of the three ("node-local": PING, ECHO, INFO, ROLE, TIME,
//     COMMAND, CLIENT INFO, PUBSUB NUMSUB...): the port's own node: the
//     master on the write and smart ports, a balanced replica on the read
//     port, as if the client were connected to that node.
//   - Cursor (SCAN and its kin, also Read): a cursor only means something
//     on the node that returned it, so these are not balanced per call.
//   - Refused: answered with Info.RefusedError; Local: answered by the
//     proxy; the Pin flags: see each flag.
//
// A pinned client's commands all go on its private connection to the node
// it is pinned to; the flags then decide only which node a new pin goes to,
// and the read port's -READONLY refusal (see PinMulti for writes inside
// MULTI).
//
// # Unknown commands
//
// A command (or a subcommand of a known container) that is not in the table
// is classified Info{Flags: Write} with Name "": it may write (a newer
// Redis's command, a module's), so it goes to the master, which answers it
// or gives Redis's own "unknown command" error; on the read port it gets
// -READONLY. A container without its subcommand ("CONFIG"
// alone) is the container's own entry, with no flags, so the node answers
// its arity error.
package routing

import "strings"

// Flags classify a command for routing. Several can be set (BLPOP is
// Write|PinBlocking).
type Flags uint32

const (
	// Write: Redis's "write" flag, or the command may write (EVAL, EVALSHA
	// and FCALL, which Redis flags may_replicate instead). Master only; on
	// the read port the proxy answers -READONLY.
	Write Flags = 1 << iota
	// Read: Redis's "readonly" flag. May run on a replica on the read and
	// smart ports.
	Read
	// Admin: Redis's "admin" flag (CONFIG, SLOWLOG, CLIENT LIST/PAUSE,
	// LATENCY, ACL SETUSER, MODULE, SAVE, ...). Such commands also carry
	// MasterOnly: they run on the master on every port. The admin commands
	// that would break the proxy or the topology (DEBUG, SHUTDOWN,
	// REPLICAOF, FAILOVER, MONITOR, SYNC, CLIENT KILL, ...) are Refused
	// instead. FLUSHALL and FLUSHDB are Write, as in Redis, not Admin.
	Admin
	// PinMulti: MULTI. The client is pinned to a private connection until
	// EXEC or DISCARD (EndsTx) is answered, or RESET. On the read port a
	// write inside MULTI must make EXEC fail (-EXECABORT), as on a Redis
	// replica: forwarding it to the pinned replica, which refuses it
	// itself, gets exactly that.
	PinMulti
	// PinWatch: WATCH. Pinned until EXEC, DISCARD or UNWATCH is answered
	// (the keys must be watched on the connection that runs EXEC).
	PinWatch
	// PinSubscribe: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE. Pinned for the
	// pub/sub session: until an unsubscribe reply reports 0 remaining
	// subscriptions, or RESET. The private connection then carries
	// unsolicited messages (and, in RESP3, push frames).
	PinSubscribe
	// PinBlocking: Redis's "blocking" flag (BLPOP, BRPOP, BRPOPLPUSH,
	// BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, XREAD, XREADGROUP) plus
	// WAIT, WAITAOF, SCRIPT KILL and FUNCTION KILL: served on a private
	// connection until the reply, because they can hold a connection's
	// pipeline for their whole timeout (0 = forever), or, for the KILLs,
	// must not queue behind the busy script on a shared connection.
	// XREAD and XREADGROUP only block with a BLOCK argument; the table
	// marks them as Redis does, and the proxy may look for BLOCK to avoid
	// the pin. WAIT counts replicas that acknowledged the offset of the
	// connection's own last write: on a fresh private connection that
	// offset is 0 and WAIT would return at once, so the proxy must run it
	// on a connection whose last write is at least the client's (for
	// example after a propagated no-op on the private connection).
	PinBlocking
	// PinConnState: the command changes per-connection state on the node
	// (SELECT, CLIENT SETNAME, CLIENT TRACKING, CLIENT CACHING, CLIENT
	// NO-EVICT, CLIENT NO-TOUCH, CLIENT ID, HELLO): pinned for the rest of
	// the client connection (or until RESET). The proxy may skip the pin
	// when the state is the default one (SELECT 0, HELLO 2 without
	// SETNAME). CLIENT ID pins because the id is only useful for later
	// commands (CLIENT UNBLOCK, CLIENT TRACKING REDIRECT) and only a
	// private connection has a stable id of its own.
	PinConnState
	// EndsTx: EXEC, DISCARD, UNWATCH: once answered, the PinMulti and
	// PinWatch pins end (UNWATCH inside MULTI is queued, not run, so it
	// does not end a MULTI pin).
	EndsTx
	// Local: answered by the proxy itself, never forwarded as such:
	//   - AUTH: checked against the proxy's requirepass; the proxy has its
	//     own node credentials.
	//   - QUIT: +OK, then the client connection (and any private backend
	//     connection) is closed.
	//   - RESET: +RESET; every pin ends (closing the private connection
	//     discards the node-side state: MULTI, WATCH, subscriptions, db,
	//     name, tracking, protocol) and the proxy's own client state
	//     (authentication, protocol) goes back to a new connection's.
	//   - CLIENT SETINFO (Redis 7.2; 7.0 rejects it): +OK after checking
	//     the arguments as 7.2 does; clients such as go-redis v9 send it on
	//     every connection, so forwarding would pin or fail each of them.
	//   - HELLO also has PinConnState: the proxy checks its AUTH option
	//     itself and never forwards it; HELLO switching to RESP3 or with
	//     SETNAME needs the pin (forwarded without AUTH), and a bare HELLO
	//     or HELLO 2 can be answered without a backend.
	Local
	// Refused: never proxied; the proxy answers Info.RefusedError(). See
	// table.go for each command's reason: replication (SYNC, PSYNC,
	// REPLCONF) and topology (REPLICAOF, SLAVEOF, FAILOVER) belong to the
	// nodes and sentinels; SHUTDOWN and DEBUG would act on whichever node
	// holds a role at the moment; MONITOR is a node debugging stream;
	// CLIENT KILL would cut the proxy's shared connections; CLIENT REPLY
	// breaks the proxy's one-reply-per-request matching; SCRIPT DEBUG is an
	// interactive session with one node; CLUSTER, READONLY, READWRITE and
	// ASKING are cluster commands, answered with the text a non-cluster
	// Redis gives.
	Refused
	// MasterOnly: runs on the master on every port, without being a write
	// (so it is not refused on the read port): every Admin command, PUBLISH
	// and SPUBLISH (the master propagates them to the replicas'
	// subscribers), WAIT and WAITAOF, and SCRIPT LOAD, EXISTS, FLUSH and
	// KILL (the script cache is per node; EVALSHA runs on the master).
	MasterOnly
	// Cursor: SCAN, HSCAN, SSCAN, ZSCAN. The cursor is a position in one
	// node's hash table, which is seeded randomly per process, so a cursor
	// is meaningless on another node: the proxy must send a client's
	// follow-up calls to the node that returned the cursor (or send these
	// commands to the master), not balance them per call.
	Cursor
)

// Pins is every flag that pins a client to a private backend connection.
const Pins = PinMulti | PinWatch | PinSubscribe | PinBlocking | PinConnState

var flagNames = [...]string{
	"write", "read", "admin", "pin-multi", "pin-watch", "pin-subscribe", "pin-blocking",
	"pin-conn-state", "ends-tx", "local", "refused", "master-only", "cursor",
}

// String lists the flags, e.g. "write|pin-blocking"; "" for none.
func (f Flags) String() string {
	var b strings.Builder
	for i, n := range flagNames {
		if f&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(n)
	}
	return b.String()
}

// Master reports whether the command runs on the master on every port
// (Write or MasterOnly; Admin commands carry MasterOnly).
func (f Flags) Master() bool { return f&(Write|MasterOnly) != 0 }

// Info is a command's classification.
type Info struct {
	// Name is the lower-case Redis name, "client|setname" for a
	// subcommand (the form of Redis's cmdstat_ lines); "" when the command
	// is not in the table.
	Name  string
	Flags Flags
	// Arity is Redis's: n means exactly n arguments (the name included),
	// -n at least n. 0 for unknown commands.
	Arity int
}

// Known reports whether the command is in the table.
func (i Info) Known() bool { return i.Name != "" }

// RefusedError is the error reply for a Refused command, without the
// leading '-' and the CRLF ("" when the command is not Refused).
func (i Info) RefusedError() string {
	if i.Flags&Refused == 0 {
		return ""
	}
	return tab.refusals[i.Name]
}

// unknown is what Lookup returns for commands not in the table.
var unknown = Info{Flags: Write}

// Lookup classifies a command by its name, in any case, and for container
// commands (CLIENT, CONFIG, OBJECT, SCRIPT, ...) by its subcommand, the
// argument after the name (nil or empty when there is none). sub is ignored
// for other commands. Lookup does not allocate and does not retain name or
// sub; it is safe for concurrent use.
func Lookup(name, sub []byte) Info {
	if len(name) == 0 || len(name) > tab.maxName {
		return unknown
	}
	i, e := tab.find(foldHash(name, -1), name, -1)
	if e == nil {
		return unknown
	}
	if !e.container || len(sub) == 0 {
		return e.info
	}
	if len(sub) > tab.maxSub {
		return unknown
	}
	if _, s := tab.find(foldHash(sub, i), sub, i); s != nil {
		return s.info
	}
	return unknown
}

package backend

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
)

// Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT.

// RedisVersion is the Redis release warden answers as (HELLO, INFO).
const RedisVersion = "7.0.15"

const (
	errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."
	errNoDefPass = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
)

func init() {
	connFlags := FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagNoAuth | FlagAllowBusy
	register(
		&Command{Name: "ping", Arity: -1, Flags: FlagFast, Group: "connection", Since: "1.0.0",
			Summary: "Ping the server", ACL: []string{"connection"}, Proc: pingCommand},
		&Command{Name: "echo", Arity: 2, Flags: FlagLoading | FlagStale | FlagFast, Group: "connection", Since: "1.0.0",
			Summary: "Echo the given string", ACL: []string{"connection"}, Proc: echoCommand},
		&Command{Name: "quit", Arity: -1, Flags: connFlags, Group: "connection", Since: "1.0.0",
			Summary: "Close the connection", ACL: []string{"connection"}, Proc: quitCommand},
		&Command{Name: "reset", Arity: 1, Flags: connFlags, Group: "connection", Since: "6.2.0",
			Summary: "Reset the connection", ACL: []string{"connection"}, Proc: resetCommand},
		&Command{Name: "auth", Arity: -2, Flags: connFlags, Group: "connection", Since: "1.0.0",
			Summary: "Authenticate to the server", ACL: []string{"connection"}, Proc: authCommand},
		&Command{Name: "hello", Arity: -1, Flags: connFlags, Group: "connection", Since: "6.0.0",
			Summary: "Handshake with Redis", ACL: []string{"connection"}, Proc: helloCommand},
		&Command{Name: "select", Arity: 2, Flags: FlagLoading | FlagStale | FlagFast, Group: "connection", Since: "1.0.0",
			Summary: "Change the selected database for the current connection", ACL: []string{"connection"}, Proc: selectCommand},
	)
}

func pingCommand(c *Client) {
	if len(c.argv) > 2 {
		c.ReplyError("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.flags&flagPubsub != 0 && c.proto == 2 {
		// In RESP2 a subscribed client can only read pushes, so Redis
		// answers with a pushed-message-like array.
		c.ReplyArray(2)
		c.ReplyBulkString("pong")
		if len(c.argv) == 1 {
			c.ReplyBulkString("")
		} else {
			c.ReplyBulk(c.argv[1])
		}
		return
	}
	if len(c.argv) == 1 {
		c.ReplySimple("PONG")
	} else {
		c.ReplyBulk(c.argv[1])
	}
}

func echoCommand(c *Client) { c.ReplyBulk(c.argv[1]) }

func quitCommand(c *Client) {
	c.ReplyOK()
	c.flags |= flagCloseAfterReply
}

// resetCommand is Redis's clearClientConnectionState: the connection goes
// back to how it was after accept (RESP2, db 0, not authenticated if a
// password is required, no transaction, subscriptions, name or MONITOR).
// CLIENT NO-EVICT is kept, as in Redis.
func resetCommand(c *Client) {
	s := c.srv
	if c.flags&(flagReplica|flagMaster) != 0 {
		c.ReplyError("ERR can only reset normal client connections")
		return
	}
	if c.flags&flagMonitor != 0 {
		delete(s.monitors, c)
		c.flags &^= flagMonitor
	}
	c.db = s.dbs[0]
	c.proto = 2
	c.user = "default"
	c.authd = s.opts.RequirePass == ""
	c.discardTransaction()
	s.pubsub.unsubscribeAll(c)
	c.name = ""
	c.flags &^= flagReadonly | flagPubsub
	c.replyMode = 0
	c.ReplySimple("RESET")
}

// checkPassword reports whether user/pass authenticate, with the single
// "default" user of a node without ACLs: any password when requirepass is
// unset (nopass), else requirepass. The comparison takes the same time
// whatever the input: both sides are hashed first so that neither length
// nor content leaks through timing.
func (s *Server) checkPassword(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	if s.opts.RequirePass == "" {
		return true
	}
	a := sha256.Sum256(pass)
	b := sha256.Sum256([]byte(s.opts.RequirePass))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func authCommand(c *Client) {
	s := c.srv
	if len(c.argv) > 3 {
		c.ReplyError(ErrSyntax)
		return
	}
	user, pass := []byte("default"), c.argv[1]
	if len(c.argv) == 2 {
		if s.opts.RequirePass == "" {
			c.ReplyError(errNoDefPass)
			return
		}
	} else {
		user, pass = c.argv[1], c.argv[2]
	}
	if !s.checkPassword(user, pass) {
		c.ReplyError(errWrongPass)
		return
	}
	c.authd = true
	c.user = string(user)
	c.ReplyOK()
}

func helloCommand(c *Client) {
	s := c.srv
	ver := int64(0)
	next := 1
	if len(c.argv) >= 2 {
		v, ok := ParseInt(c.argv[1])
		if !ok {
			c.ReplyError("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.ReplyError("NOPROTO unsupported protocol version")
			return
		}
		ver = v
		next = 2
	}
	for j := next; j < len(c.argv); j++ {
		more := len(c.argv) - 1 - j
		switch {
		case c.ArgIs(j, "auth") && more >= 2:
			if !s.checkPassword(c.argv[j+1], c.argv[j+2]) {
				c.ReplyError(errWrongPass)
				return
			}
			c.authd = true
			c.user = string(c.argv[j+1])
			j += 2
		case c.ArgIs(j, "setname") && more >= 1:
			if !c.setName(c.argv[j+1]) {
				return
			}
			j++
		default:
			c.ReplyError(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", c.argv[j]))
			return
		}
	}
	if !c.authd {
		c.ReplyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if ver != 0 {
		c.proto = int(ver)
	}
	role := "master"
	if s.isReplica() {
		role = "replica"
	}
	// A sentinel answers 6 pairs: mode sentinel and no role.
	pairs, mode := 7, "standalone"
	if s.opts.SentinelMode {
		pairs, mode = 6, "sentinel"
	}
	c.ReplyMap(pairs)
	c.ReplyBulkString("server")
	c.ReplyBulkString("redis")
	c.ReplyBulkString("version")
	c.ReplyBulkString(RedisVersion)
	c.ReplyBulkString("proto")
	c.ReplyInt(int64(c.proto))
	c.ReplyBulkString("id")
	c.ReplyInt(int64(c.id))
	c.ReplyBulkString("mode")
	c.ReplyBulkString(mode)
	if !s.opts.SentinelMode {
		c.ReplyBulkString("role")
		c.ReplyBulkString(role)
	}
	c.ReplyBulkString("modules")
	c.ReplyArray(0)
}

func selectCommand(c *Client) {
	id, ok := ParseInt(c.argv[1])
	if !ok {
		c.ReplyError(ErrNotInt)
		return
	}
	if id < -1<<31 || id > 1<<31-1 {
		c.ReplyError("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if id < 0 || id >= int64(len(c.srv.dbs)) {
		c.ReplyError(ErrDBIndex)
		return
	}
	c.db = c.srv.dbs[id]
	c.ReplyOK()
}

// setName validates and sets the connection name (CLIENT SETNAME, HELLO
// SETNAME), replying the error when the name is invalid. An empty name
// clears it.
func (c *Client) setName(name []byte) bool {
	if !isValidClientAttr(name) {
		c.ReplyError("ERR Client names cannot contain spaces, newlines or special characters.")
		return false
	}
	c.name = string(name)
	return true
}

// isValidClientAttr is the character rule of client names and library
// attributes: printable ASCII without spaces, so CLIENT LIST splits.
func isValidClientAttr(v []byte) bool {
	for _, ch := range v {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

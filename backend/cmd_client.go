package backend

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// CLIENT and its subcommands.
//
// Left out: CLIENT TRACKING and CLIENT CACHING (server-assisted client-side
// caching is not implemented, so they answer "unknown subcommand" rather
// than pretend); GETREDIR and TRACKINGINFO are kept since "tracking off" is
// the true answer.
//
// CLIENT SETINFO is a Redis 7.2 command that 7.0 rejects as an unknown
// subcommand. It is accepted here because go-redis v9 (and other current
// clients) send CLIENT SETINFO LIB-NAME / LIB-VER on every new connection,
// pipelined after HELLO, ignoring the result: rejecting it would count an
// error and a rejected call in INFO for every connection. The values are
// stored but not shown in CLIENT LIST, whose format stays 7.0's.

func init() {
	f := FlagNoScript | FlagLoading | FlagStale
	admin := FlagAdmin | f
	sub := func(name string, arity int, flags CmdFlags, since, summary string, proc func(*Client)) *Command {
		return &Command{Name: "client|" + name, Arity: arity, Flags: flags, Group: "connection", Since: since,
			Summary: summary, ACL: []string{"connection"}, Proc: proc}
	}
	register(&Command{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0",
		Summary: "A container for client connection commands",
		Sub: map[string]*Command{
			"id":      sub("id", 2, f, "5.0.0", "Returns the client ID for the current connection", clientIDCommand),
			"setname": sub("setname", 3, f, "2.6.9", "Set the current connection name", clientSetNameCommand),
			"getname": sub("getname", 2, f, "2.6.9", "Get the current connection name", clientGetNameCommand),
			"list":    sub("list", -2, admin, "2.4.0", "Get the list of client connections", clientListCommand),
			"info": sub("info", 2, f, "6.2.0", "Returns information about the current client connection.",
				clientInfoCommand),
			"kill":    sub("kill", -3, admin, "2.4.0", "Kill the connection of a client", clientKillCommand),
			"pause":   sub("pause", -3, admin, "2.9.50", "Stop processing commands from clients for some time", clientPauseCommand),
			"unpause": sub("unpause", 2, admin, "6.2.0", "Resume processing of clients that were paused", clientUnpauseCommand),
			"no-evict": sub("no-evict", 3, admin, "7.0.0", "Set client eviction mode for the current connection",
				clientNoEvictCommand),
			"reply": sub("reply", 3, f, "3.2.0", "Instruct the server whether to reply to commands", clientReplyCommand),
			"unblock": sub("unblock", -3, admin, "5.0.0",
				"Unblock a client blocked in a blocking command from a different connection", clientUnblockCommand),
			"getredir": sub("getredir", 2, f, "6.0.0", "Get tracking notifications redirection client ID if any",
				clientGetRedirCommand),
			"trackinginfo": sub("trackinginfo", 2, f, "6.2.0",
				"Return information about server assisted client side caching for the current connection", clientTrackingInfoCommand),
			"setinfo": sub("setinfo", 4, f, "7.2.0", "Sets information specific to the client or connection.", clientSetInfoCommand),
			"help": sub("help", 2, FlagLoading|FlagStale, "5.0.0", "Show helpful text about the different subcommands",
				clientHelpCommand),
		}})
}

func clientIDCommand(c *Client) { c.ReplyInt(int64(c.id)) }

func clientSetNameCommand(c *Client) {
	if c.setName(c.argv[2]) {
		c.ReplyOK()
	}
}

func clientGetNameCommand(c *Client) {
	if c.name == "" {
		c.ReplyNull()
		return
	}
	c.ReplyBulkString(c.name)
}

func clientSetInfoCommand(c *Client) {
	attr := string(c.argv[2])
	var dst *string
	switch strings.ToLower(attr) {
	case "lib-name":
		dst = &c.lib
	case "lib-ver":
		dst = &c.libV
	default:
		c.ReplyError(fmt.Sprintf("ERR Unrecognized option '%s'", attr))
		return
	}
	if !isValidClientAttr(c.argv[3]) {
		c.ReplyError(fmt.Sprintf("ERR %s cannot contain spaces, newlines or special characters.", attr))
		return
	}
	*dst = string(c.argv[3])
	c.ReplyOK()
}

// Client types of CLIENT LIST/KILL TYPE and client-output-buffer-limit.
const (
	clientTypeNormal = iota
	clientTypeReplica
	clientTypePubsub
	clientTypeMaster
)

func clientTypeByName(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return clientTypeNormal
	case "slave", "replica":
		return clientTypeReplica
	case "pubsub":
		return clientTypePubsub
	case "master":
		return clientTypeMaster
	}
	return -1
}

func (c *Client) clientType() int {
	switch {
	case c.flags&flagMaster != 0:
		return clientTypeMaster
	case c.flags&flagReplica != 0 && c.flags&flagMonitor == 0:
		return clientTypeReplica
	case c.flags&flagPubsub != 0:
		return clientTypePubsub
	}
	return clientTypeNormal
}

// sortedClients lists the clients by id, the order Redis keeps them in.
func (s *Server) sortedClients() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func argvBytes(argv [][]byte) int {
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	return n
}

// clientInfoLine is one CLIENT LIST line in Redis 7.0's format (without the
// newline). self is the client running the command, whose cmd= is the
// running command as in Redis. Buffer figures describe warden's buffers:
// the query buffer belongs to the event loop and is reported as 0; rbs/obl
// are the pending reply buffer.
func (s *Server) clientInfoLine(cl, self *Client) string {
	now := s.timeNow()
	var flags []byte
	if cl.flags&flagMonitor != 0 {
		flags = append(flags, 'O')
	} else if cl.flags&flagReplica != 0 {
		flags = append(flags, 'S')
	}
	for _, f := range []struct {
		bit clientFlags
		ch  byte
	}{
		{flagMaster, 'M'}, {flagPubsub, 'P'}, {flagMulti, 'x'}, {flagBlocked, 'b'}, {flagDirtyCAS, 'd'},
		{flagCloseAfterReply, 'c'}, {flagCloseASAP, 'A'}, {flagReadonly, 'r'}, {flagNoEvict, 'e'},
	} {
		if cl.flags&f.bit != 0 {
			flags = append(flags, f.ch)
		}
	}
	if len(flags) == 0 {
		flags = append(flags, 'N')
	}
	fd := -1
	events := ""
	if cl.conn != nil {
		fd = cl.conn.Fd()
		events = "r"
	}
	multi := -1
	multiMem := 0
	if cl.flags&flagMulti != 0 {
		multi = len(cl.multi)
		for _, q := range cl.multi {
			multiMem += argvBytes(q.argv)
		}
	}
	argvMem := 0
	cmd := cl.lastCmd
	if cl == self && cl.cmd != nil {
		cmd = cl.cmd.Name
		argvMem = argvBytes(cl.argv)
	}
	obl := len(cl.reply)
	totMem := obl + argvMem + multiMem
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d "+
		"multi=%d qbuf=0 qbuf-free=0 argv-mem=%d multi-mem=%d rbs=%d rbp=%d obl=%d oll=0 omem=0 tot-mem=%d "+
		"events=%s cmd=%s user=%s redir=-1 resp=%d",
		cl.id, cl.addr, cl.laddr, fd, cl.name, int64(now.Sub(cl.ctime).Seconds()), int64(now.Sub(cl.lastCmdTime).Seconds()),
		flags, cl.db.id, len(cl.subs), len(cl.psubs), len(cl.ssubs),
		multi, argvMem, multiMem, cap(cl.reply), obl, obl, totMem,
		events, cmd, cl.user, cl.proto)
}

func clientInfoCommand(c *Client) {
	c.ReplyVerbatim(c.srv.clientInfoLine(c, c) + "\n")
}

func clientListCommand(c *Client) {
	s := c.srv
	var list []*Client
	switch {
	case len(c.argv) == 4 && c.ArgIs(2, "type"):
		typ := clientTypeByName(string(c.argv[3]))
		if typ < 0 {
			c.ReplyError(fmt.Sprintf("ERR Unknown client type '%s'", c.argv[3]))
			return
		}
		for _, cl := range s.sortedClients() {
			if cl.clientType() == typ {
				list = append(list, cl)
			}
		}
	case len(c.argv) > 3 && c.ArgIs(2, "id"):
		for _, a := range c.argv[3:] {
			id, ok := ParseInt(a)
			if !ok {
				c.ReplyError("ERR Invalid client ID")
				return
			}
			if cl := s.clients[uint64(id)]; cl != nil && id > 0 {
				list = append(list, cl)
			}
		}
	case len(c.argv) != 2:
		c.ReplyError(ErrSyntax)
		return
	default:
		list = s.sortedClients()
	}
	var b strings.Builder
	for _, cl := range list {
		b.WriteString(s.clientInfoLine(cl, c))
		b.WriteByte('\n')
	}
	c.ReplyVerbatim(b.String())
}

func clientKillCommand(c *Client) {
	s := c.srv
	var (
		addr, laddr string
		hasAddr     bool
		hasLaddr    bool
		typ         = -1
		id          int64
		user        string
		hasUser     bool
		maxAge      int64
		skipMe      = true
	)
	if len(c.argv) == 3 {
		// Old form: CLIENT KILL addr, which may kill the caller itself.
		addr, hasAddr, skipMe = string(c.argv[2]), true, false
	} else {
		for i := 2; i < len(c.argv); i += 2 {
			if i+1 >= len(c.argv) {
				c.ReplyError(ErrSyntax)
				return
			}
			val := c.argv[i+1]
			switch strings.ToLower(string(c.argv[i])) {
			case "id":
				v, ok := ParseInt(val)
				if !ok || v < 1 {
					c.ReplyError("ERR client-id should be greater than 0")
					return
				}
				id = v
			case "type":
				typ = clientTypeByName(string(val))
				if typ < 0 {
					c.ReplyError(fmt.Sprintf("ERR Unknown client type '%s'", val))
					return
				}
			case "addr":
				addr, hasAddr = string(val), true
			case "laddr":
				laddr, hasLaddr = string(val), true
			case "user":
				// Without ACLs the only user is "default".
				if string(val) != "default" {
					c.ReplyError(fmt.Sprintf("ERR No such user '%s'", val))
					return
				}
				user, hasUser = string(val), true
			case "skipme":
				switch strings.ToLower(string(val)) {
				case "yes":
					skipMe = true
				case "no":
					skipMe = false
				default:
					c.ReplyError(ErrSyntax)
					return
				}
			case "maxage":
				// Redis 7.4's filter, accepted here as an extension: kill
				// connections older than maxage seconds.
				v, ok := ParseInt(val)
				if !ok || v < 1 {
					c.ReplyError("ERR maxage is not an integer or out of range")
					return
				}
				maxAge = v
			default:
				c.ReplyError(ErrSyntax)
				return
			}
		}
	}
	now := s.timeNow()
	killed, closeSelf := 0, false
	for _, cl := range s.sortedClients() {
		if (hasAddr && cl.addr != addr) || (hasLaddr && cl.laddr != laddr) ||
			(typ >= 0 && cl.clientType() != typ) || (id != 0 && cl.id != uint64(id)) ||
			(hasUser && cl.user != user) || (maxAge > 0 && int64(now.Sub(cl.ctime).Seconds()) <= maxAge) ||
			(cl == c && skipMe) {
			continue
		}
		if cl == c {
			closeSelf = true
		} else {
			s.killClient(cl, "killed by CLIENT KILL")
		}
		killed++
	}
	if len(c.argv) == 3 {
		if killed == 0 {
			c.ReplyError("ERR No such client")
		} else {
			c.ReplyOK()
		}
	} else {
		c.ReplyInt(int64(killed))
	}
	if closeSelf {
		c.flags |= flagCloseAfterReply
	}
}

// killClient closes cl now: its state goes at once, as with Redis's
// freeClient, and its loop closes the socket.
func (s *Server) killClient(cl *Client, why string) {
	s.closeClientAsync(cl, why)
	s.freeClient(cl)
}

func clientPauseCommand(c *Client) {
	s := c.srv
	typ := pauseAll
	if len(c.argv) == 4 {
		switch {
		case c.ArgIs(3, "write"):
			typ = pauseWrite
		case c.ArgIs(3, "all"):
			typ = pauseAll
		default:
			c.ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(c.argv) > 4 {
		subcommandSyntaxError(c)
		return
	}
	ms, ok := ParseInt(c.argv[2])
	if !ok {
		c.ReplyError("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.ReplyError("ERR timeout is negative")
		return
	}
	end := int64(0)
	if ms > 0 {
		now := s.timeNow().UnixMilli()
		end = now + ms
		if ms > math.MaxInt64-now {
			end = math.MaxInt64
		}
	}
	s.pauseClients(pauseByClient, end, typ)
	c.ReplyOK()
}

func clientUnpauseCommand(c *Client) {
	c.srv.unpauseClients(pauseByClient)
	c.ReplyOK()
}

func clientNoEvictCommand(c *Client) {
	switch {
	case c.ArgIs(2, "on"):
		c.flags |= flagNoEvict
	case c.ArgIs(2, "off"):
		c.flags &^= flagNoEvict
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	c.ReplyOK()
}

// clientReplyCommand switches replies: replyMode 0 on, 1 off, 2 skip the
// next command (processCommand turns 2 into "skipping" for that command).
func clientReplyCommand(c *Client) {
	switch {
	case c.ArgIs(2, "on"):
		c.replyMode = 0
		c.ReplyOK()
	case c.ArgIs(2, "off"):
		c.replyMode = 1
	case c.ArgIs(2, "skip"):
		if c.replyMode != 1 {
			c.replyMode = 2
		}
	default:
		c.ReplyError(ErrSyntax)
	}
}

func clientUnblockCommand(c *Client) {
	s := c.srv
	withError := false
	if len(c.argv) == 4 {
		switch {
		case c.ArgIs(3, "timeout"):
		case c.ArgIs(3, "error"):
			withError = true
		default:
			c.ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(c.argv) > 4 {
		subcommandSyntaxError(c)
		return
	}
	id, ok := c.IntArg(2)
	if !ok {
		return
	}
	target := s.clients[uint64(id)]
	if target == nil || target.flags&flagBlocked == 0 {
		c.ReplyInt(0)
		return
	}
	s.unblockClient(target, withError)
	c.ReplyInt(1)
}

func clientGetRedirCommand(c *Client) { c.ReplyInt(-1) }

func clientTrackingInfoCommand(c *Client) {
	c.ReplyMap(3)
	c.ReplyBulkString("flags")
	c.ReplySet(1)
	c.ReplyBulkString("off")
	c.ReplyBulkString("redirect")
	c.ReplyInt(-1)
	c.ReplyBulkString("prefixes")
	c.ReplyArray(0)
}

func clientHelpCommand(c *Client) {
	helpReply(c, []string{
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	})
}

package backend

import (
	"errors"
	"time"

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/tcpopt"
)

// connHandler is the gnet event handler of the node's listeners.
type connHandler struct {
	gnet.BuiltinEventEngine
	srv *Server
}

func (h *connHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.srv.engine = eng
	close(h.srv.started)
	return gnet.None
}

func (h *connHandler) OnOpen(conn gnet.Conn) ([]byte, gnet.Action) {
	s := h.srv
	s.mu.Lock() // newClient reads options CONFIG SET may change
	defer s.mu.Unlock()
	c := newClient(s, conn)
	conn.SetContext(c)
	s.stats.connectionsReceived++
	if len(s.clients) >= s.opts.MaxClients {
		s.stats.rejectedConns++
		return resp.AppendError(nil, "ERR max number of clients reached"), gnet.Close
	}
	if s.opts.ProtectedMode && s.opts.RequirePass == "" && !c.isLoopback() {
		s.stats.rejectedConns++
		return resp.AppendError(nil, protectedModeText), gnet.Close
	}
	s.clients[c.id] = c
	// Like Redis, a failure here is not worth refusing the client for.
	_ = tcpopt.KeepAlive(conn, s.opts.TCPKeepAlive)
	return nil, gnet.None
}

func (h *connHandler) OnClose(conn gnet.Conn, err error) gnet.Action {
	c, _ := conn.Context().(*Client)
	if c == nil {
		return gnet.None
	}
	s := h.srv
	s.mu.Lock()
	s.freeClient(c)
	s.mu.Unlock()
	return gnet.None
}

// freeClient drops every trace of c from the server. Caller holds s.mu.
func (s *Server) freeClient(c *Client) {
	if _, ok := s.clients[c.id]; !ok {
		return
	}
	delete(s.clients, c.id)
	for _, f := range clientFreeHooks {
		f(c)
	}
	delete(s.monitors, c)
	c.flags |= flagCloseASAP
}

// clientFreeHooks run (under the lock) when a client goes away: pub/sub,
// WATCH and blocking state register cleanups here.
var clientFreeHooks []func(*Client)

func (h *connHandler) OnTraffic(conn gnet.Conn) gnet.Action {
	c, _ := conn.Context().(*Client)
	if c == nil {
		return gnet.Close
	}
	s := h.srv
	// Only bytes that arrived since the last call are new: what is still
	// buffered (a partial frame, a blocked client's pipeline) was counted
	// and was an interaction already.
	buffered := conn.InboundBuffered()
	fresh := buffered - c.inCounted
	c.inCounted = buffered
	if fresh > 0 {
		s.stats.netInput.Add(int64(fresh))
	}
	if c.needRead > 0 && buffered < c.needRead {
		// A large argument is still arriving; don't re-frame it on every
		// read. Pending replies (pushed by others) still go out.
		if fresh > 0 {
			s.mu.Lock()
			c.lastInteraction = s.timeNow() // not idle: still sending
			s.mu.Unlock()
		}
		return h.flush(c, conn, nil)
	}
	buf, _ := conn.Peek(-1)
	consumed := 0
	var perr error

	s.trafficLocks.Add(1)
	s.mu.Lock()
	if fresh > 0 {
		c.lastInteraction = s.timeNow()
	}
	for c.flags&(flagBlocked|flagCloseAfterReply|flagCloseASAP) == 0 && !s.clientPaused(c) {
		args, n, need, err := resp.ReadCommandNeed(buf[consumed:], s.limitsFor(c), c.argsBuf)
		if err != nil {
			perr = err
			break
		}
		if n == 0 {
			c.needRead = 0
			if need > 64<<10 {
				c.needRead = need
			}
			break
		}
		c.needRead = 0
		// An empty command (blank inline line, "*0") comes back with no
		// args; after a first command the slice is argsBuf[:0], not nil,
		// so test the length: processCommand would index args[0].
		if len(args) > 0 && s.commandPaused(c, args) {
			// CLIENT PAUSE: the command stays in the buffer until the
			// pause ends and the client is woken.
			break
		}
		consumed += n
		if len(args) == 0 {
			continue
		}
		c.argsBuf = args[:0]
		s.processCommand(c, args)
	}
	if perr != nil {
		consumed = len(buf)
		c.ReplyErrorText("ERR " + perr.Error())
		c.flags |= flagCloseAfterReply
		c.closeErr = perr.Error()
		s.log.Info("client protocol error", zap.String("event", "protocol-error"), zap.String("addr", c.addr), zap.Error(perr))
	} else if int64(len(buf)-consumed) > s.opts.QueryBufLimit {
		c.flags |= flagCloseASAP
		s.log.Warn("Closing client that reached max query buffer length", zap.String("event", "qbuf-limit"), zap.String("addr", c.addr))
	}
	// Take the replies in the same critical section: one lock per read.
	out, flags := c.takeReply()
	s.mu.Unlock()
	if consumed > 0 {
		_, _ = conn.Discard(consumed)
	}
	c.inCounted = len(buf) - consumed
	return h.write(c, conn, out, flags)
}

// takeReply swaps out c's pending output. Caller holds s.mu.
func (c *Client) takeReply() ([]byte, clientFlags) {
	out := c.reply
	if cap(out) <= 64<<10 {
		// Reuse the buffer's spare half next time: most replies are
		// small and a fresh slice per read is pure GC work.
		c.reply = c.spare[:0]
		c.spare = out
	} else {
		c.reply = nil
		c.spare = nil
	}
	c.wakeQueued = false
	return out, c.flags
}

// flush writes c's pending replies and applies the close flags. It runs on
// c's loop.
func (h *connHandler) flush(c *Client, conn gnet.Conn, _ error) gnet.Action {
	s := h.srv
	s.mu.Lock()
	out, flags := c.takeReply()
	s.mu.Unlock()
	return h.write(c, conn, out, flags)
}

// write sends out (gnet copies what the socket does not take at once) and
// applies the output limits and close flags. It runs on c's loop.
func (h *connHandler) write(c *Client, conn gnet.Conn, out []byte, flags clientFlags) gnet.Action {
	s := h.srv
	if len(out) > 0 {
		if flags&flagReplica != 0 {
			s.repl.streamOutput.Add(int64(len(out))) // total_net_repl_output_bytes
		} else {
			s.stats.netOutput.Add(int64(len(out)))
		}
		if _, err := conn.Write(out); err != nil {
			return gnet.Close
		}
		if queued := conn.OutboundBuffered(); flags&flagCloseASAP == 0 && (queued > 0 || c.softLimitArmed) &&
			!s.checkOutputLimit(c, queued) {
			return gnet.Close
		}
	}
	if flags&(flagCloseAfterReply|flagCloseASAP) != 0 {
		return gnet.Close
	}
	return gnet.None
}

// wake asks c's loop to flush what other clients queued for it (pub/sub
// messages, an unblocked pop) and to resume parsing. Caller holds s.mu.
func (s *Server) wake(c *Client) {
	if c.conn == nil || c.wakeQueued {
		return
	}
	c.wakeQueued = true
	_ = c.conn.Wake(nil)
}

// closeClientAsync closes c from any goroutine holding s.mu (CLIENT KILL,
// output limits, timeouts).
func (s *Server) closeClientAsync(c *Client, why string) {
	c.flags |= flagCloseASAP
	c.closeErr = why
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// checkOutputLimit applies client-output-buffer-limit to what is queued in
// the socket's outbound buffer. It reports false if c must be closed.
func (s *Server) checkOutputLimit(c *Client, queued int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	lim := s.opts.OutputLimits[c.class]
	q := int64(queued)
	if lim.Hard > 0 && q >= lim.Hard {
		s.log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits.",
			zap.String("event", "output-limit"), zap.String("addr", c.addr), zap.Int64("queued", q))
		c.flags |= flagCloseASAP
		return false
	}
	if lim.Soft > 0 && q >= lim.Soft {
		now := s.timeNow()
		if c.softLimitSince.IsZero() {
			c.softLimitSince = now
			c.softLimitArmed = true
		} else if now.Sub(c.softLimitSince) >= time.Duration(lim.SoftSeconds)*time.Second {
			s.log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits.",
				zap.String("event", "output-limit"), zap.String("addr", c.addr), zap.Int64("queued", q))
			c.flags |= flagCloseASAP
			return false
		}
	} else {
		c.softLimitSince = time.Time{}
		c.softLimitArmed = false
	}
	return true
}

func (s *Server) limitsFor(c *Client) resp.Limits {
	// Unauthenticated clients may not send big frames, so they cannot
	// make us buffer much.
	return resp.Limits{MaxBulk: s.opts.ProtoMaxBulk, Unauthenticated: !c.authd}
}

// ReplyErrorText replies with an exact error text, bypassing error stats
// (protocol errors).
func (c *Client) ReplyErrorText(msg string) {
	// CLIENT REPLY OFF and SKIP silence protocol errors too, as in Redis.
	if c.out() {
		c.reply = resp.AppendError(c.reply, msg)
	}
}

var errClosed = errors.New("client closed")

const protectedModeText = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

func init() {
	cronHooks = append(cronHooks, (*Server).closeIdleClients)
}

// closeIdleClients applies the `timeout` directive: clients idle longer are
// closed, except replicas, masters, blocked and pub/sub clients, as Redis
// does. Runs under the lock.
func (s *Server) closeIdleClients() {
	if s.opts.Timeout <= 0 {
		return
	}
	now := s.timeNow()
	for _, c := range s.clients {
		if c.flags&(flagReplica|flagMaster|flagBlocked|flagPubsub) != 0 {
			continue
		}
		if now.Sub(c.lastInteraction) > s.opts.Timeout {
			s.log.Debug("Closing idle client", zap.String("event", "idle-timeout"), zap.String("addr", c.addr))
			s.closeClientAsync(c, "idle timeout")
		}
	}
}

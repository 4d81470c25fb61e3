package backend

// Transactions: MULTI/EXEC/DISCARD and optimistic locking with WATCH.

func init() {
	txFlags := FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy
	register(
		&Command{Name: "multi", Arity: 1, Flags: txFlags, Group: "transactions", Since: "1.2.0",
			Summary: "Start a transaction block", ACL: []string{"fast", "transaction"}, Proc: multiCommand},
		&Command{Name: "exec", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagSkipSlowlog, Group: "transactions", Since: "1.2.0",
			Summary: "Execute all commands issued after MULTI", ACL: []string{"slow", "transaction"}, Proc: execCommand},
		&Command{Name: "discard", Arity: 1, Flags: txFlags, Group: "transactions", Since: "2.0.0",
			Summary: "Discard all commands issued after MULTI", ACL: []string{"fast", "transaction"}, Proc: discardCommand},
		&Command{Name: "watch", Arity: -2, Flags: txFlags, FirstKey: 1, LastKey: -1, Step: 1, Group: "transactions", Since: "2.2.0",
			Summary: "Watch the given keys to determine execution of the MULTI/EXEC block", ACL: []string{"fast", "transaction"}, Proc: watchCommand},
		&Command{Name: "unwatch", Arity: 1, Flags: txFlags, Group: "transactions", Since: "2.2.0",
			Summary: "Forget about all watched keys", ACL: []string{"fast", "transaction"}, Proc: unwatchCommand},
	)
	keyModifiedHooks = append(keyModifiedHooks, touchWatchedKey)
	clientFreeHooks = append(clientFreeHooks, func(c *Client) { c.unwatchAll() })
}

// queue adds a command to c's MULTI queue. argv is copied: it is borrowed
// from the read buffer.
func (c *Client) queue(cmd *Command, argv [][]byte) {
	c.multi = append(c.multi, queuedCmd{cmd: cmd, argv: copyArgs(argv)})
	c.ReplySimple("QUEUED")
}

func multiCommand(c *Client) {
	if c.flags&flagMulti != 0 {
		c.ReplyError("ERR MULTI calls can not be nested")
		return
	}
	c.flags |= flagMulti
	c.ReplyOK()
}

func (c *Client) discardTransaction() {
	c.multi = nil
	c.flags &^= flagMulti | flagDirtyCAS
	c.execDirty = false
	c.unwatchAll()
}

func discardCommand(c *Client) {
	if c.flags&flagMulti == 0 {
		c.ReplyError("ERR DISCARD without MULTI")
		return
	}
	c.discardTransaction()
	c.ReplyOK()
}

func execCommand(c *Client) {
	s := c.srv
	if c.flags&flagMulti == 0 {
		c.ReplyError("ERR EXEC without MULTI")
		return
	}
	if c.execDirty {
		c.discardTransaction()
		c.ReplyError("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if c.flags&flagDirtyCAS != 0 || c.watchedKeyExpired() {
		c.discardTransaction()
		c.ReplyNullArray()
		return
	}
	queued := c.multi
	c.multi = nil
	c.unwatchAll()
	// flagMulti stays set while the queue runs so that the effects of
	// every command collect in c.prop and go out as one MULTI/EXEC.
	execArgv, execCmd := c.argv, c.cmd
	c.prop = c.prop[:0]
	endCollect := s.collectPropagation(c)
	c.ReplyArray(len(queued))
	for _, q := range queued {
		c.argv, c.cmd = q.argv, q.cmd
		if msg := s.checkRejections(c, q.cmd); msg != "" {
			c.ReplyError(msg)
			continue
		}
		s.call(c, q.cmd)
	}
	endCollect()
	c.argv, c.cmd = execArgv, execCmd
	c.flags &^= flagMulti | flagDirtyCAS
	c.execDirty = false
	s.emitTransaction(c.prop)
	c.prop = c.prop[:0]
	c.propRewritten = true
}

// collectPropagation diverts, until the returned function runs, what is
// propagated outside call()'s bookkeeping (the DEL of a key found expired,
// an eviction) into c.prop: inside EXEC it must land in the transaction at
// its place, as Redis's also_propagate array keeps it, not ahead of the
// MULTI.
func (s *Server) collectPropagation(c *Client) (end func()) {
	sinks := s.propagators
	s.propagators = []func(int, [][]byte){func(db int, args [][]byte) {
		c.prop = append(c.prop, propCmd{db: db, args: copyArgs(args)})
	}}
	return func() {
		// A sink registered meanwhile (none is, in practice) stays.
		s.propagators = append(sinks, s.propagators[1:]...)
	}
}

// emitTransaction propagates the effects of an EXEC as Redis 7.0's
// propagatePendingCommands does: a single effect bare, several wrapped in
// MULTI/EXEC, nothing for a transaction that changed nothing. Effects for
// replicas only ((S)PUBLISH) keep their place in the block but skip the
// other sinks, so the AOF may get an empty MULTI/EXEC, as Redis's does.
func (s *Server) emitTransaction(cmds []propCmd) {
	wrap := len(cmds) > 1
	if wrap {
		s.propagateInternal(cmds[0].db, [][]byte{[]byte("MULTI")})
	}
	for _, p := range cmds {
		if replOnlyEffect(p.args) {
			s.replPropagate(p.db, p.args)
		} else {
			s.propagateInternal(p.db, p.args)
		}
	}
	if wrap {
		s.propagateInternal(cmds[len(cmds)-1].db, [][]byte{[]byte("EXEC")})
	}
}

func watchCommand(c *Client) {
	if c.flags&flagMulti != 0 {
		c.ReplyError("ERR WATCH inside MULTI is not allowed")
		return
	}
	for _, k := range c.argv[1:] {
		key := string(k)
		already := false
		for _, w := range c.watched {
			if w.db == c.db && w.key == key {
				already = true
				break
			}
		}
		if already {
			continue
		}
		e := c.db.d.get(key)
		expired := e != nil && e.expireAt != 0 && e.expireAt <= c.srv.nowMs()
		c.watched = append(c.watched, watchKey{db: c.db, key: key, expired: expired})
		c.db.watched[key] = append(c.db.watched[key], c)
	}
	c.ReplyOK()
}

func unwatchCommand(c *Client) {
	c.unwatchAll()
	c.flags &^= flagDirtyCAS
	c.ReplyOK()
}

func (c *Client) unwatchAll() {
	for _, w := range c.watched {
		l := removeClient(w.db.watched[w.key], c)
		if len(l) == 0 {
			delete(w.db.watched, w.key)
		} else {
			w.db.watched[w.key] = l
		}
	}
	c.watched = nil
}

// watchedKeyExpired reports whether a watched key that was live when
// WATCHed has logically expired since: Redis 7.0 aborts EXEC then, even
// though no command touched the key.
func (c *Client) watchedKeyExpired() bool {
	now := c.srv.nowMs()
	for _, w := range c.watched {
		if w.expired {
			continue
		}
		if e := w.db.d.get(w.key); e != nil && e.expireAt != 0 && e.expireAt <= now {
			return true
		}
	}
	return false
}

// touchWatchedKey marks every client watching key as dirty so its EXEC
// fails.
func touchWatchedKey(db *DB, key string) {
	if len(db.watched) == 0 {
		return
	}
	for _, c := range db.watched[key] {
		c.flags |= flagDirtyCAS
	}
}

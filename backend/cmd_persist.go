package backend

// The persistence commands: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, and the
// DEBUG RELOAD / DEBUG LOADAOF subcommands.

import (
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

func init() {
	register(
		&Command{Name: "save", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading | FlagNoMulti,
			Group: "server", Since: "1.0.0", Summary: "Synchronously save the dataset to disk", Proc: saveCommand},
		&Command{Name: "bgsave", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading,
			Group: "server", Since: "1.0.0", Summary: "Asynchronously save the dataset to disk", Proc: bgsaveCommand},
		&Command{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast,
			Group: "server", Since: "1.0.0", Summary: "Get the UNIX time stamp of the last successful save to disk",
			ACL: []string{"admin", "dangerous"}, Proc: lastsaveCommand},
		&Command{Name: "bgrewriteaof", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoAsyncLoading,
			Group: "server", Since: "1.0.0", Summary: "Asynchronously rewrite the append-only file", Proc: bgrewriteaofCommand},
	)
	debugPersistHook = debugPersist
}

// debugPersistHook handles the DEBUG subcommands of persistence (RELOAD,
// LOADAOF); it reports whether it handled sub. Set by this file, called by
// debugCommand.
var debugPersistHook func(c *Client, sub string) bool

func saveCommand(c *Client) {
	s := c.srv
	if s.persist.child == childRDB {
		c.ReplyError("ERR Background save already in progress")
		return
	}
	if err := s.saveLocked(); err != nil {
		c.ReplyError("ERR")
		return
	}
	// rdb_saves counts SAVE and BGSAVE, not the saves FLUSHALL or
	// SHUTDOWN make.
	s.persist.saves++
	c.ReplyOK()
}

func bgsaveCommand(c *Client) {
	s := c.srv
	schedule := false
	if len(c.argv) > 1 {
		if len(c.argv) == 2 && c.ArgIs(1, "schedule") {
			schedule = true
		} else {
			c.ReplyError(ErrSyntax)
			return
		}
	}
	// Inside EXEC a save cannot start: it is scheduled, as in Redis.
	inExec := c.flags&flagMulti != 0
	p := &s.persist
	switch {
	case p.child == childRDB:
		c.ReplyError("ERR Background save already in progress")
	case p.child != childNone || inExec:
		if schedule || inExec {
			p.bgsaveScheduled = true
			c.ReplySimple("Background saving scheduled")
		} else {
			c.ReplyError("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
		}
	default:
		if err := s.startBgsave(); err != nil {
			c.ReplyError("ERR")
			return
		}
		c.ReplySimple("Background saving started")
	}
}

func lastsaveCommand(c *Client) {
	c.ReplyInt(c.srv.persist.lastSave.Unix())
}

func bgrewriteaofCommand(c *Client) {
	s := c.srv
	p := &s.persist
	switch {
	case p.child == childAOF:
		c.ReplyError("ERR Background append only file rewriting already in progress")
	case p.child != childNone || c.flags&flagMulti != 0:
		p.aof.rewriteScheduled = true
		p.aof.consecutiveFailures = 0
		c.ReplySimple("Background append only file rewriting scheduled")
	default:
		msg, err := s.startAOFRewrite()
		if err != nil {
			s.log.Warn("Can't execute an AOF background rewriting", zap.String("event", "aof-rewrite-failed"), zap.Error(err))
			c.ReplyError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
			return
		}
		c.ReplySimple(msg)
	}
}

// debugPersist implements DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] and DEBUG
// LOADAOF. Both block the server while they run, as in Redis.
func debugPersist(c *Client, sub string) bool {
	s := c.srv
	switch sub {
	case "reload":
		merge, flush, save := false, true, true
		for _, a := range c.argv[2:] {
			switch strings.ToLower(string(a)) {
			case "merge":
				merge = true
			case "noflush":
				flush = false
			case "nosave":
				save = false
			default:
				c.ReplyError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
				return true
			}
		}
		if save {
			if s.persist.child == childRDB {
				// The running save would race the reload's own file.
				s.abortChild(childRDB)
			}
			if err := s.saveLocked(); err != nil {
				c.ReplyError("ERR Error trying to save the DB, check server logs.")
				return true
			}
		}
		if flush {
			for _, db := range s.dbs {
				s.flushDB(db)
			}
		}
		start := time.Now()
		if _, err := s.loadRDBFile(merge); err != nil {
			s.log.Warn("Error trying to load the RDB dump", zap.String("event", "debug-reload-failed"), zap.Error(err))
			c.ReplyError("ERR Error trying to load the RDB dump, check server logs.")
			return true
		}
		s.log.Info(fmt.Sprintf("DB reloaded by DEBUG RELOAD: %.3f seconds", time.Since(start).Seconds()), zap.String("event", "debug-reload"))
		c.ReplyOK()
		return true
	case "loadaof":
		if len(c.argv) != 2 {
			return false
		}
		if s.persist.aof.on {
			if err := s.aofFlushFinal(); err != nil {
				c.ReplyError("ERR Error flushing the AOF, check server logs.")
				return true
			}
		}
		for _, db := range s.dbs {
			s.flushDB(db)
		}
		start := time.Now()
		s.persist.aof.inMulti = false
		f := s.persist.aof.f
		// Replaying must not append what it replays.
		s.persist.aof.f = nil
		_, err := s.loadAOF()
		s.persist.aof.f = f
		if err != nil {
			s.log.Warn("Error loading the AOF", zap.String("event", "debug-loadaof-failed"), zap.Error(err))
			c.ReplyError("ERR Error loading the AOF, check server logs.")
			return true
		}
		s.dirty = 0
		s.log.Info(fmt.Sprintf("Append Only File loaded by DEBUG LOADAOF: %.3f seconds", time.Since(start).Seconds()), zap.String("event", "debug-loadaof"))
		c.ReplyOK()
		return true
	}
	return false
}

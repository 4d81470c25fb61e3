package sentinel

import (
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/redisconf"
	"github.com/wardenhq/warden/sentinel/core"
)

// loadConfig applies the `sentinel ...` directives of the file and the
// command line to the core and gives the sentinel an id if it has none.
// When that (or anything else in loading) changed the state, the file is
// saved once the sentinel listens (Start), as redis-sentinel does at
// startup: a sentinel that fails to start leaves its file alone.
func (s *Sentinel) loadConfig(dirs []redisconf.Directive) error {
	args := make([][]string, len(dirs))
	for i, d := range dirs {
		args[i] = d.Args
	}
	var err error
	s.withCore(func(c *core.Core, now time.Time) {
		if err = c.LoadConfig(args, now); err != nil {
			return
		}
		c.EnsureMyID()
	})
	var ce *core.ConfigError
	if errors.As(err, &ce) && ce.Index >= 0 && ce.Index < len(dirs) {
		// Point at the offending line, so the process prints Redis's
		// FATAL CONFIG FILE ERROR block as for any bad line.
		d := dirs[ce.Index]
		return &redisconf.LineError{File: d.File, Line: d.Line,
			Text:   redisconf.FormatLine(append([]string{d.Name}, d.Args...)...),
			Reason: ce.Reason, Err: err}
	}
	return err
}

// flushConfigLocked rewrites sentinel.conf with the core's state: the
// sentinel lines are replaced in place, new ones appended, stale ones
// removed, everything else in the file kept (the rewrite is atomic).
// Caller holds mu. A failure is logged, as Redis does, and returned for
// the commands that report it.
func (s *Sentinel) flushConfigLocked() error {
	set, order := s.core.RewriteConfig()
	if err := redisconf.Rewrite(s.path, set, order); err != nil {
		s.log.Warn("WARNING: Sentinel was not able to save the new configuration on disk!!!",
			zap.String("event", "config-save-failed"), zap.String("path", s.path), zap.Error(err))
		return err
	}
	s.log.Info("Sentinel new configuration saved on disk", zap.String("event", "config-saved"))
	return nil
}

package main

import (
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend"
	"github.com/wardenhq/warden/sentinel"
)

const sentinelUsage = `Usage: warden sentinel /path/to/sentinel.conf [--directive value ...]
       warden server /path/to/sentinel.conf --sentinel [--directive value ...]

Runs a sentinel, like redis-sentinel. The config file is required and must be
writable: the sentinel saves its state there. Directives can be given on the
command line too, sentinel ones included:
  warden sentinel sentinel.conf --port 26380 --sentinel monitor mymaster 127.0.0.1 6379 2
`

// sentinelMode reports whether a `warden server` command line asks for a
// sentinel, as redis-server checks for --sentinel anywhere in it.
func sentinelMode(args []string) bool {
	for _, a := range args {
		if a == "--sentinel" {
			return true
		}
	}
	return false
}

// runSentinel is `warden sentinel` (and `warden server --sentinel`): load
// the config, start the sentinel, and serve until SIGTERM/SIGINT or
// SHUTDOWN, then save the config a last time. It returns the exit code.
func runSentinel(args []string) int {
	const prog = "warden sentinel"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(sentinelUsage)
		return 0
	}
	path, args := configArg(args)
	opts, _, err := backend.LoadSentinelConfig(path, args, nil)
	if err != nil {
		return configFailed(prog, err)
	}
	cfg := sentinel.Config{Path: path, Args: args}
	if opts.Daemonize && os.Getenv(daemonEnv) != "1" {
		// Redis reads the whole config, sentinel lines included, before
		// it detaches, so a bad line reaches the terminal. The detached
		// copy builds its own sentinel; this one only checks.
		s, err := sentinel.New(cfg)
		if err != nil {
			return configFailed(prog, err)
		}
		_ = s.Close()
	}
	var s *sentinel.Sentinel
	code := runProcess(prog, "sentinel", opts, func(log *zap.Logger) (service, error) {
		cfg.Logger = log
		var err error
		if s, err = sentinel.New(cfg); err != nil {
			configFailed(prog, err)
			log.Error("bad configuration", zap.String("event", "config-failed"), zap.Error(err))
			return nil, err
		}
		log.Info("Sentinel initialized", zap.String("event", "start"), zap.Int("port", opts.Port), zap.String("config", path))
		if err := s.Start(); err != nil {
			log.Error("cannot start", zap.String("event", "start-failed"), zap.Error(err))
			_ = s.Close()
			s = nil
			return nil, err
		}
		return s, nil
	})
	if s != nil {
		// After SIGTERM or SHUTDOWN the sentinel has already stopped its
		// links and saved; Close waits for that to be complete.
		_ = s.Close()
	}
	return code
}

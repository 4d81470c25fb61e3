package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend"
	"github.com/wardenhq/warden/internal/logging"
	"github.com/wardenhq/warden/internal/redisconf"
)

const serverUsage = `Usage: warden server [/path/to/redis.conf] [--directive value ...]

Every redis.conf directive can be given on the command line, as with
redis-server:  warden server --port 6380 --requirepass secret --save ""
`

// runServer is `warden server`: load the config, start the node, and serve
// until SIGTERM/SIGINT or SHUTDOWN. It returns the exit code.
func runServer(args []string) int {
	var path string
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(serverUsage)
		return 0
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	opts, err := backend.LoadConfig(path, args, nil)
	if err != nil {
		var le *redisconf.LineError
		if errors.As(err, &le) {
			fmt.Fprintln(os.Stderr, le.Fatal())
			// Redis's banner names the line but not the file, which
			// matters once includes are involved: say it too.
			fmt.Fprintf(os.Stderr, "warden server: %v\n", le)
		} else {
			fmt.Fprintf(os.Stderr, "warden server: %v\n", err)
		}
		return 1
	}
	if opts.Daemonize {
		parent, err := daemonize()
		if err != nil {
			fmt.Fprintf(os.Stderr, "warden server: %v\n", err)
			return 1
		}
		if parent {
			return 0
		}
	}
	log, logFile, err := logging.New("server", opts.LogFile, opts.LogLevel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "warden server: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	if path := os.Getenv("WARDEN_CPUPROFILE"); path != "" {
		// A developer aid for performance work: profile the whole run.
		stop, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "warden server: %v\n", err)
			return 1
		}
		defer stop()
	}
	srv, err := backend.New(opts, log)
	if err != nil {
		log.Error("bad configuration", zap.Error(err))
		return 1
	}
	log.Info("Server initialized", zap.String("event", "start"), zap.Int("port", opts.Port), zap.String("config", path))
	if err := srv.Start(); err != nil {
		log.Error("cannot start", zap.String("event", "start-failed"), zap.Error(err))
		return 1
	}
	removePid, err := writePidFile(opts.PidFile, opts.Daemonize, opts.Port)
	if err != nil {
		// Redis only warns when it cannot write the pid file.
		log.Warn("Failed to write PID file", zap.String("event", "pidfile"), zap.Error(err))
	}
	defer removePid()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if logFile != nil {
					if err := logFile.Reopen(); err != nil {
						fmt.Fprintf(os.Stderr, "warden server: %v\n", err)
					}
				}
				log.Info("Received SIGHUP, log file reopened", zap.String("event", "sighup"))
				continue
			}
			log.Info("Received signal, scheduling shutdown...", zap.String("event", "signal"), zap.String("signal", sig.String()))
			if err := srv.Terminate(); err != nil {
				log.Error("Errors trying to shut down the server", zap.String("event", "shutdown-failed"), zap.Error(err))
			}
		case <-srv.Done():
			log.Info("Server stopped", zap.String("event", "exit"))
			return 0
		}
	}
}

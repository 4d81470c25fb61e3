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
       warden server /path/to/sentinel.conf --sentinel [--directive value ...]

Every redis.conf directive can be given on the command line, as with
redis-server:  warden server --port 6380 --requirepass secret --save ""
With --sentinel the process is a sentinel, as "warden sentinel".
`

// runServer is `warden server`: load the config, start the node, and serve
// until SIGTERM/SIGINT or SHUTDOWN. It returns the exit code. Like
// redis-server, it runs a sentinel instead when --sentinel is among the
// arguments.
func runServer(args []string) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(serverUsage)
		return 0
	}
	if sentinelMode(args) {
		return runSentinel(args)
	}
	path, args := configArg(args)
	opts, err := backend.LoadConfig(path, args, nil)
	if err != nil {
		return configFailed("warden server", err)
	}
	return runProcess("warden server", "server", opts, func(log *zap.Logger) (service, error) {
		srv, err := backend.New(opts, log)
		if err != nil {
			log.Error("bad configuration", zap.Error(err))
			return nil, err
		}
		log.Info("Server initialized", zap.String("event", "start"), zap.Int("port", opts.Port), zap.String("config", path))
		if err := srv.Start(); err != nil {
			log.Error("cannot start", zap.String("event", "start-failed"), zap.Error(err))
			return nil, err
		}
		return srv, nil
	})
}

// configArg splits off the config file path, the first argument when it
// is not an option, as redis-server reads its command line.
func configArg(args []string) (path string, rest []string) {
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		return args[0], args[1:]
	}
	return "", args
}

// configFailed reports a configuration that cannot be loaded and returns
// the exit code.
func configFailed(prog string, err error) int {
	var le *redisconf.LineError
	if errors.As(err, &le) {
		fmt.Fprintln(os.Stderr, le.Fatal())
		// Redis's banner names the line but not the file, which
		// matters once includes are involved: say it too.
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, le)
	} else {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
	}
	return 1
}

// service is a started component that runProcess supervises.
type service interface {
	// Terminate begins a clean stop, as SIGTERM does.
	Terminate() error
	// Done is closed once the component has stopped.
	Done() <-chan struct{}
}

// runProcess is the process life cycle shared by the components: detach
// when daemonize is set, open the log, start the component, write the pid
// file, then reopen the log on SIGHUP and stop cleanly on SIGTERM/SIGINT
// (or when the component stops by itself, e.g. SHUTDOWN). It returns the
// exit code.
func runProcess(prog, role string, opts *backend.Options, start func(log *zap.Logger) (service, error)) int {
	if opts.Daemonize {
		parent, err := daemonize()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
			return 1
		}
		if parent {
			return 0
		}
	}
	log, logFile, err := logging.New(role, opts.LogFile, opts.LogLevel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	if path := os.Getenv("WARDEN_CPUPROFILE"); path != "" {
		// A developer aid for performance work: profile the whole run.
		stop, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
			return 1
		}
		defer stop()
	}
	svc, err := start(log)
	if err != nil {
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
	defer signal.Stop(sigs)
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if logFile != nil {
					if err := logFile.Reopen(); err != nil {
						fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
					}
				}
				log.Info("Received SIGHUP, log file reopened", zap.String("event", "sighup"))
				continue
			}
			log.Info("Received signal, scheduling shutdown...", zap.String("event", "signal"), zap.String("signal", sig.String()))
			if err := svc.Terminate(); err != nil {
				log.Error("Errors trying to shut down the server", zap.String("event", "shutdown-failed"), zap.Error(err))
			}
		case <-svc.Done():
			log.Info("Server stopped", zap.String("event", "exit"))
			return 0
		}
	}
}

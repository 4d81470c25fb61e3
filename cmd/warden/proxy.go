package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend"
	"github.com/wardenhq/warden/proxy"
)

const proxyUsage = `Usage: warden proxy -c proxy.yaml [--check] [--pidfile path] [--daemonize]

Runs the gateway: per master group a write port that always reaches the
current master and a read port spread over the healthy replicas, following
failovers through an embedded sentinel, external sentinels or static checks.
configs/proxy.yaml is a commented example of the file.

  -c, --config path   the YAML configuration (required)
  --check             load and check the configuration, then exit
  --pidfile path      write the process id there while running
  --daemonize         detach from the terminal (implies a pid file,
                      /var/run/warden-proxy.pid unless --pidfile is given)

SIGTERM and SIGINT stop the proxy cleanly; SIGHUP reopens the log file.
`

// defaultProxyPidFile is where a daemonized proxy writes its pid when no
// --pidfile is given (the node's default names a port; the proxy has many).
const defaultProxyPidFile = "/var/run/warden-proxy.pid"

// runProxy is `warden proxy`: load proxy.yaml, build one topology source
// per group, start the proxy and its HTTP server, and serve until
// SIGTERM/SIGINT. It returns the exit code.
func runProxy(args []string) int {
	const prog = "warden proxy"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), proxyUsage) }
	var path, pidFile string
	var check, daemon bool
	fs.StringVar(&path, "c", "", "configuration file")
	fs.StringVar(&path, "config", "", "configuration file")
	fs.BoolVar(&check, "check", false, "check the configuration and exit")
	fs.StringVar(&pidFile, "pidfile", "", "pid file")
	fs.BoolVar(&daemon, "daemonize", false, "run in the background")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 && path == "" {
		// `warden proxy proxy.yaml` reads as the node's `warden server
		// redis.conf` does.
		path = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected argument %q\n", prog, fs.Arg(0))
		return 2
	}
	if path == "" {
		fmt.Fprintf(os.Stderr, "%s: no configuration file (-c proxy.yaml)\n\n%s", prog, proxyUsage)
		return 2
	}
	cfg, err := proxy.LoadConfig(path)
	if err != nil {
		// One line per problem, each naming file, line and key.
		fmt.Fprintf(os.Stderr, "%s: bad configuration:\n%v\n", prog, err)
		return 1
	}
	if check {
		sources, err := buildSources(cfg, zap.NewNop())
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
			return 1
		}
		closeSources(sources)
		fmt.Printf("%s: configuration %s is valid (%d groups)\n", prog, path, len(cfg.Groups))
		return 0
	}
	if daemon && pidFile == "" {
		pidFile = defaultProxyPidFile
	}
	// runProcess is the node's and the sentinel's life cycle; the proxy
	// has the same process-level settings under the same names.
	opts := &backend.Options{LogFile: cfg.LogFile, LogLevel: cfg.LogLevel, PidFile: pidFile, Daemonize: daemon}
	return runProcess(prog, "proxy", opts, func(log *zap.Logger) (service, error) {
		log.Info("Proxy initialized", zap.String("event", "start"), zap.String("config", path), zap.Int("groups", len(cfg.Groups)))
		svc, err := startProxy(cfg, log)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
			log.Error("cannot start", zap.String("event", "start-failed"), zap.Error(err))
			return nil, err
		}
		return svc, nil
	})
}

// buildSources makes each group's topology source. On error the sources
// already built are closed.
func buildSources(cfg *proxy.Config, log *zap.Logger) (map[string]proxy.Source, error) {
	sources := make(map[string]proxy.Source, len(cfg.Groups))
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		src, err := proxy.NewSource(g, log.With(zap.String("group", g.Name)))
		if err != nil {
			closeSources(sources)
			return nil, fmt.Errorf("group %s: %w", g.Name, err)
		}
		sources[g.Name] = src
	}
	return sources, nil
}

func closeSources(sources map[string]proxy.Source) {
	for _, s := range sources {
		_ = s.Close()
	}
}

// proxyService is the running proxy as runProcess supervises it.
type proxyService struct {
	p    *proxy.Proxy
	http *proxy.HTTPServer // nil when http is off
	log  *zap.Logger

	stop sync.Once
	done chan struct{}
}

// startProxy builds and starts the proxy and its HTTP server, and logs
// "Ready to accept connections" with every listener's bound address.
func startProxy(cfg *proxy.Config, log *zap.Logger) (*proxyService, error) {
	sources, err := buildSources(cfg, log)
	if err != nil {
		return nil, err
	}
	p, err := proxy.New(cfg, sources, log)
	if err != nil {
		closeSources(sources)
		return nil, err
	}
	if err := p.Start(); err != nil {
		_ = p.Close()
		return nil, err
	}
	svc := &proxyService{p: p, log: log, done: make(chan struct{})}
	if cfg.HTTP != "" {
		svc.http = proxy.NewHTTPServer(cfg.HTTP, p.Stats, log)
		if err := svc.http.Start(); err != nil {
			_ = p.Close()
			return nil, err
		}
	}
	addrs := p.Addrs()
	names := make([]string, 0, len(addrs))
	for name := range addrs {
		names = append(names, name)
	}
	sort.Strings(names)
	fields := []zap.Field{zap.String("event", "ready")}
	for _, name := range names {
		fields = append(fields, zap.String(name, addrs[name]))
	}
	if svc.http != nil {
		fields = append(fields, zap.String("http", svc.http.Addr()))
	}
	log.Info("Ready to accept connections", fields...)
	return svc, nil
}

// Terminate stops the HTTP server first (no new scrapes of a proxy going
// away), then the proxy; Done is closed once both have stopped.
func (s *proxyService) Terminate() error {
	s.stop.Do(func() {
		go func() {
			defer close(s.done)
			if s.http != nil {
				_ = s.http.Close()
			}
			if err := s.p.Close(); err != nil {
				s.log.Warn("proxy close", zap.String("event", "close-failed"), zap.Error(err))
			}
		}()
	})
	return nil
}

func (s *proxyService) Done() <-chan struct{} { return s.done }

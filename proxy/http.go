package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// HTTPServer serves the proxy's observability endpoints (Config.HTTP,
// default 127.0.0.1:8404):
//
//	/metrics  Prometheus text format (warden_proxy_* plus Go runtime and process metrics)
//	/status   the StatsSnapshot as JSON (durations in ms, times RFC3339Nano)
//	/         a human stats page, in the spirit of HAProxy's, refreshing every 2 s
//
// Only GET and HEAD are served (405 otherwise); any other path is a 404.
// Every request takes its own snapshot through the stats function, so the
// data path is never asked for more than one copy per request and the
// server keeps no state of its own about the proxy.
type HTTPServer struct {
	addr  string
	stats func() StatsSnapshot
	log   *zap.Logger
	srv   *http.Server

	mu     sync.Mutex
	ln     net.Listener
	served chan struct{} // closed when Serve has returned
	closed bool
}

// httpCloseGrace bounds how long Close waits for requests in progress
// before cutting their connections.
const httpCloseGrace = 2 * time.Second

// NewHTTPServer prepares the server; nothing listens until Start. stats is
// called once per request (from the HTTP server's goroutines, possibly
// concurrently) and must return a copy the caller may keep.
func NewHTTPServer(addr string, stats func() StatsSnapshot, log *zap.Logger) *HTTPServer {
	if log == nil {
		log = zap.NewNop()
	}
	s := &HTTPServer{addr: addr, stats: stats, log: log}

	// A private registry: the process may hold several proxies (tests,
	// `warden up`), and the global one would mix them.
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newProxyCollector(stats),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: promErrorLog{log},
		// One odd series (say a duplicated backend) must not blank the
		// whole scrape: serve what was gathered and log the rest.
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes that pile up (a stuck client, a too eager scraper) get
		// a 503 instead of each taking a snapshot.
		MaxRequestsInFlight: 4,
	})

	// Go 1.22 patterns: "GET" also matches HEAD, other methods get a 405
	// with an Allow header, "/{$}" is the root alone, the rest is a 404.
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /status", s.serveStatus)
	mux.HandleFunc("GET /{$}", s.servePage)

	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log.With(zap.String("event", "http-server-error"))),
	}
	return s
}

// Start listens on the configured address (bind errors are returned) and
// serves in the background. It fails if the server was started or closed.
func (s *HTTPServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("proxy http: server closed")
	}
	if s.ln != nil {
		return errors.New("proxy http: already started")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("proxy http: listen %s: %w", s.addr, err)
	}
	s.ln = ln
	served := make(chan struct{})
	s.served = served
	go func() {
		defer close(served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("stats and metrics server stopped", zap.String("event", "http-serve-failed"), zap.Error(err))
		}
	}()
	s.log.Info("stats and metrics listening", zap.String("event", "http-listen"), zap.String("addr", ln.Addr().String()))
	return nil
}

// Addr is the bound address once started (the real port when the
// configured one was 0), the configured address before.
func (s *HTTPServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.addr
}

// Close stops listening, lets requests in progress finish for a moment
// (httpCloseGrace) and then cuts them; the port is free when it returns.
// It is idempotent and safe before Start.
func (s *HTTPServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	served := s.served
	s.mu.Unlock()
	if served == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpCloseGrace)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		// The grace ran out: cut what is left.
		err = s.srv.Close()
	}
	<-served
	s.log.Info("stats and metrics closed", zap.String("event", "http-closed"))
	return err
}

// promErrorLog routes promhttp's gathering errors to zap.
type promErrorLog struct{ log *zap.Logger }

func (l promErrorLog) Println(v ...any) {
	l.log.Warn("metrics gathering error", zap.String("event", "metrics-error"), zap.String("error", fmt.Sprint(v...)))
}

func (s *HTTPServer) serveStatus(w http.ResponseWriter, r *http.Request) {
	body, err := json.MarshalIndent(newStatusJSON(s.stats()), "", "  ")
	s.reply(w, "application/json", append(body, '\n'), err)
}

// reply sends a response built whole beforehand (so a failure is a clean
// 500, never half a document) and not to be cached: it is a snapshot.
func (s *HTTPServer) reply(w http.ResponseWriter, contentType string, body []byte, buildErr error) {
	if buildErr != nil {
		s.log.Error("response building failed", zap.String("event", "http-build-failed"),
			zap.String("content_type", contentType), zap.Error(buildErr))
		http.Error(w, "internal error (see the proxy log)", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	if _, err := w.Write(body); err != nil {
		s.log.Debug("response write failed", zap.String("event", "http-write-failed"), zap.Error(err))
	}
}

// ---- /metrics ----

// proxyCollector turns one StatsSnapshot per scrape into const metrics:
// the data path keeps its own counters (merged on demand), so mirroring
// them into live prometheus vectors would only add a second copy to keep
// in step.
//
// Labels: listeners are {group, role, listener} (role write/read/smart,
// listener its address); backends and replicas are {group, backend} or
// {group, replica} without the role, because a node changes role on a
// failover and its counters must stay one series; the role is published
// by warden_proxy_backend_info.
type proxyCollector struct {
	stats func() StatsSnapshot

	uptime *prometheus.Desc

	conns, accepted, rejected, commands, errs *prometheus.Desc
	latency                                   *prometheus.Desc

	backendUp, backendInfo, backendConns, backendInflight *prometheus.Desc
	backendCommands, backendErrors                        *prometheus.Desc

	replicaUp, replicaLagBytes, replicaLagSeconds *prometheus.Desc

	masterState, masterInfo, generation, held *prometheus.Desc
	failovers, lastFailover, lastFailoverAt   *prometheus.Desc
}

func newProxyCollector(stats func() StatsSnapshot) *proxyCollector {
	const ns = "warden_proxy_"
	listener := []string{"group", "role", "listener"}
	backend := []string{"group", "backend"}
	replica := []string{"group", "replica"}
	group := []string{"group"}
	d := prometheus.NewDesc
	return &proxyCollector{
		stats:  stats,
		uptime: d(ns+"uptime_seconds", "Seconds since the proxy started.", nil, nil),

		conns:    d(ns+"connections", "Open client connections.", listener, nil),
		accepted: d(ns+"connections_accepted_total", "Client connections accepted.", listener, nil),
		rejected: d(ns+"connections_rejected_total", "Client connections rejected (maxclients, AUTH failures).", listener, nil),
		commands: d(ns+"commands_total", "Commands received from clients.", listener, nil),
		errs:     d(ns+"errors_total", "Error replies sent to clients (the proxy's own and forwarded ones).", listener, nil),
		latency:  d(ns+"command_duration_seconds", "Latency of forwarded commands, request in to reply out.", listener, nil),

		backendUp:       d(ns+"backend_up", "1 when the data path considers the backend healthy.", backend, nil),
		backendInfo:     d(ns+"backend_info", "The backend's current role (always 1).", []string{"group", "backend", "role"}, nil),
		backendConns:    d(ns+"backend_connections", "Open connections to the backend (all event loops).", backend, nil),
		backendInflight: d(ns+"backend_inflight", "Requests sent to the backend and not answered yet.", backend, nil),
		backendCommands: d(ns+"backend_commands_total", "Commands forwarded to the backend.", backend, nil),
		backendErrors:   d(ns+"backend_errors_total", "Error replies received from the backend.", backend, nil),

		replicaUp:         d(ns+"replica_up", "1 when the replica's link is up and it is neither loading nor down.", replica, nil),
		replicaLagBytes:   d(ns+"replica_lag_bytes", "Replication offset lag behind the master (absent when unknown).", replica, nil),
		replicaLagSeconds: d(ns+"replica_lag_seconds", "Replication lag the master reports (absent when unknown).", replica, nil),

		masterState:    d(ns+"master_state", "How far the master is trusted: 0 unknown, 1 confirmed, 2 changing.", group, nil),
		masterInfo:     d(ns+"master_info", "The group's master (the last confirmed one while changing; always 1).", []string{"group", "master"}, nil),
		generation:     d(ns+"topology_generation", "Topology versions published for the group.", group, nil),
		held:           d(ns+"held_requests", "Write requests waiting in the failover hold queue.", group, nil),
		failovers:      d(ns+"failovers_total", "Master changes the proxy has followed.", group, nil),
		lastFailover:   d(ns+"last_failover_duration_seconds", "The last failover's duration from detection to the phase: switched (new master confirmed) or resumed (first write acknowledged).", []string{"group", "phase"}, nil),
		lastFailoverAt: d(ns+"last_failover_timestamp_seconds", "When the last failover was detected (Unix time).", group, nil),
	}
}

func (c *proxyCollector) descs() []*prometheus.Desc {
	return []*prometheus.Desc{
		c.uptime,
		c.conns, c.accepted, c.rejected, c.commands, c.errs, c.latency,
		c.backendUp, c.backendInfo, c.backendConns, c.backendInflight, c.backendCommands, c.backendErrors,
		c.replicaUp, c.replicaLagBytes, c.replicaLagSeconds,
		c.masterState, c.masterInfo, c.generation, c.held, c.failovers, c.lastFailover, c.lastFailoverAt,
	}
}

// Describe implements prometheus.Collector.
func (c *proxyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs() {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one snapshot per scrape, so
// every series of a scrape comes from the same instant.
func (c *proxyCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- constMetric(d, prometheus.GaugeValue, v, labels)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- constMetric(d, prometheus.CounterValue, float64(v), labels)
	}

	gauge(c.uptime, snap.Uptime.Seconds())

	for _, l := range snap.Listeners {
		lv := []string{l.Group, l.Role, l.Addr}
		gauge(c.conns, float64(l.Conns), lv...)
		counter(c.accepted, l.Accepted, lv...)
		counter(c.rejected, l.Rejected, lv...)
		counter(c.commands, l.Commands, lv...)
		counter(c.errs, l.Errors, lv...)
		buckets := make(map[float64]uint64, len(l.LatencyBuckets))
		for _, b := range l.LatencyBuckets {
			// +Inf is implied by the count; a NaN bound means nothing.
			if !math.IsInf(b.Le, 0) && !math.IsNaN(b.Le) {
				buckets[b.Le] = b.Count
			}
		}
		h, err := prometheus.NewConstHistogram(c.latency, l.LatencyCount, l.LatencySum, buckets, lv...)
		if err != nil {
			h = prometheus.NewInvalidMetric(c.latency, err)
		}
		ch <- h
	}

	last := metricLastFailovers(snap.Failovers)
	for _, g := range snap.Groups {
		t := &g.Topology
		name := t.Group
		gauge(c.masterState, float64(t.State), name)
		if t.Master != "" {
			gauge(c.masterInfo, 1, name, t.Master)
		}
		gauge(c.generation, float64(t.Generation), name)
		gauge(c.held, float64(g.Held), name)

		for _, b := range g.Backends {
			bv := []string{name, b.Addr}
			gauge(c.backendUp, metricBool(b.Healthy), bv...)
			gauge(c.backendInfo, 1, name, b.Addr, b.Role)
			gauge(c.backendConns, float64(b.Conns), bv...)
			gauge(c.backendInflight, float64(b.Inflight), bv...)
			counter(c.backendCommands, b.Commands, bv...)
			counter(c.backendErrors, b.Errors, bv...)
		}
		for _, r := range t.Replicas {
			rv := []string{name, r.Addr}
			gauge(c.replicaUp, metricBool(statusReplicaUp(r)), rv...)
			if r.LagBytes >= 0 {
				gauge(c.replicaLagBytes, float64(r.LagBytes), rv...)
			}
			if r.LagSeconds >= 0 {
				gauge(c.replicaLagSeconds, float64(r.LagSeconds), rv...)
			}
		}

		// The history is bounded; the data path's count is not, but a
		// counter below the records in view would be plainly wrong.
		fl := last[name]
		counter(c.failovers, max(g.FailoverCount, uint64(fl.count)), name)
		if fl.count > 0 {
			gauge(c.lastFailoverAt, metricUnixTime(fl.latest.Detected), name)
		}
		if fl.switched != nil {
			gauge(c.lastFailover, fl.switched.Switched.Sub(fl.switched.Detected).Seconds(), name, "switched")
		}
		if fl.resumed != nil {
			gauge(c.lastFailover, fl.resumed.Resumed.Sub(fl.resumed.Detected).Seconds(), name, "resumed")
		}
	}
}

// constMetric builds a const metric, or an invalid one that the registry
// reports (bad label values, say) without dropping the rest of the scrape.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

// metricGroupFailovers is what the metrics need of one group's failover history.
type metricGroupFailovers struct {
	count    int
	latest   *FailoverRecord // the most recent record
	switched *FailoverRecord // the most recent record with a switch
	resumed  *FailoverRecord // the most recent record with a resume
}

// metricLastFailovers indexes the history (most recent last) by group. A
// failover still in progress has no switch yet: its group then reports
// the previous failover's durations rather than none.
func metricLastFailovers(h []FailoverRecord) map[string]metricGroupFailovers {
	out := make(map[string]metricGroupFailovers)
	for i := range h {
		f := &h[i]
		g := out[f.Group]
		g.count++
		g.latest = f
		if !f.Switched.IsZero() {
			g.switched = f
		}
		if !f.Resumed.IsZero() {
			g.resumed = f
		}
		out[f.Group] = g
	}
	return out
}

// statusReplicaUp is the source's own view of a replica; the read balancer
// adds MaxReplicaLag on top (shown per backend as Healthy).
func statusReplicaUp(r Replica) bool { return r.LinkUp && !r.Loading && !r.Down }

func metricBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func metricUnixTime(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// latencyQuantile estimates the q-quantile (0 < q < 1) of a histogram
// from its cumulative buckets, as Prometheus's histogram_quantile does:
// linear interpolation inside the bucket holding the rank, from 0 for the
// first bucket. When the rank lies past the last finite bound, that bound
// is returned with over set (the true value is larger). ok is false when
// there is nothing to estimate from.
func latencyQuantile(q float64, buckets []Bucket, count uint64) (v float64, over, ok bool) {
	if count == 0 || q <= 0 || q >= 1 {
		return 0, false, false
	}
	finite := make([]Bucket, 0, len(buckets))
	for _, b := range buckets {
		if !math.IsInf(b.Le, 0) && !math.IsNaN(b.Le) {
			finite = append(finite, b)
		}
	}
	if len(finite) == 0 {
		return 0, false, false
	}
	sort.Slice(finite, func(i, j int) bool { return finite[i].Le < finite[j].Le })
	rank := q * float64(count)
	lowLe, lowCount := 0.0, 0.0
	for _, b := range finite {
		n := float64(b.Count)
		if n >= rank {
			if b.Le <= 0 || n <= lowCount {
				return b.Le, false, true
			}
			return lowLe + (b.Le-lowLe)*(rank-lowCount)/(n-lowCount), false, true
		}
		lowLe, lowCount = b.Le, n
	}
	return finite[len(finite)-1].Le, true, true
}

// ---- /status ----

// The JSON shapes of /status: stable field names, kept apart from the
// stats types so those can change without changing the API. Durations are
// milliseconds (float), times RFC3339Nano ("" or absent when unset),
// unknown lags -1.
type statusJSON struct {
	Taken     string           `json:"taken"`
	UptimeMS  float64          `json:"uptime_ms"`
	Listeners []statusListener `json:"listeners"`
	Groups    []statusGroup    `json:"groups"`
	Failovers []statusFailover `json:"failovers"`
}

type statusListener struct {
	Group    string        `json:"group"`
	Role     string        `json:"role"`
	Addr     string        `json:"addr"`
	Conns    int64         `json:"conns"`
	Accepted uint64        `json:"accepted"`
	Rejected uint64        `json:"rejected"`
	Commands uint64        `json:"commands"`
	Errors   uint64        `json:"errors"`
	Latency  statusLatency `json:"latency"`
}

type statusLatency struct {
	Count uint64  `json:"count"`
	SumMS float64 `json:"sum_ms"`
	// Estimated from the buckets (see latencyQuantile); absent without
	// observations; the highest bound when past it.
	P50MS *float64 `json:"p50_ms,omitempty"`
	P99MS *float64 `json:"p99_ms,omitempty"`
	// Cumulative; the +Inf bucket is left out (its count is Count).
	Buckets []statusBucket `json:"buckets"`
}

type statusBucket struct {
	LeMS  float64 `json:"le_ms"`
	Count uint64  `json:"count"`
}

type statusGroup struct {
	Name          string          `json:"name"`
	Master        string          `json:"master"`
	State         string          `json:"state"` // unknown, confirmed, changing
	Generation    uint64          `json:"generation"`
	Since         string          `json:"since,omitempty"`
	Reason        string          `json:"reason,omitempty"`
	Held          int             `json:"held"`
	FailoverCount uint64          `json:"failover_count"`
	Replicas      []statusReplica `json:"replicas"`
	Backends      []statusBackend `json:"backends"`
}

type statusReplica struct {
	Addr     string `json:"addr"`
	LinkUp   bool   `json:"link_up"`
	Loading  bool   `json:"loading"`
	Down     bool   `json:"down"`
	LagBytes int64  `json:"lag_bytes"`
	LagMS    int64  `json:"lag_ms"`
}

type statusBackend struct {
	Addr     string `json:"addr"`
	Role     string `json:"role"`
	Healthy  bool   `json:"healthy"`
	Conns    int    `json:"conns"`
	Inflight int64  `json:"inflight"`
	Commands uint64 `json:"commands"`
	Errors   uint64 `json:"errors"`
}

type statusFailover struct {
	Group    string   `json:"group"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Detected string   `json:"detected"`
	Switched string   `json:"switched,omitempty"`
	Resumed  string   `json:"resumed,omitempty"`
	SwitchMS *float64 `json:"switch_ms,omitempty"` // detected → switched
	ResumeMS *float64 `json:"resume_ms,omitempty"` // detected → resumed
	Held     int      `json:"held"`
	Expired  int      `json:"expired"`
}

func newStatusJSON(s StatsSnapshot) statusJSON {
	out := statusJSON{
		Taken:     statusTime(s.Taken),
		UptimeMS:  statusMS(s.Uptime),
		Listeners: make([]statusListener, 0, len(s.Listeners)),
		Groups:    make([]statusGroup, 0, len(s.Groups)),
		Failovers: make([]statusFailover, 0, len(s.Failovers)),
	}
	for _, l := range s.Listeners {
		lat := statusLatency{
			Count:   l.LatencyCount,
			SumMS:   statusSecondsMS(l.LatencySum),
			Buckets: make([]statusBucket, 0, len(l.LatencyBuckets)),
		}
		for _, b := range l.LatencyBuckets {
			if !math.IsInf(b.Le, 0) && !math.IsNaN(b.Le) {
				lat.Buckets = append(lat.Buckets, statusBucket{LeMS: statusSecondsMS(b.Le), Count: b.Count})
			}
		}
		if v, _, ok := latencyQuantile(0.5, l.LatencyBuckets, l.LatencyCount); ok {
			lat.P50MS = statusPtr(statusSecondsMS(v))
		}
		if v, _, ok := latencyQuantile(0.99, l.LatencyBuckets, l.LatencyCount); ok {
			lat.P99MS = statusPtr(statusSecondsMS(v))
		}
		out.Listeners = append(out.Listeners, statusListener{
			Group: l.Group, Role: l.Role, Addr: l.Addr,
			Conns: l.Conns, Accepted: l.Accepted, Rejected: l.Rejected,
			Commands: l.Commands, Errors: l.Errors,
			Latency: lat,
		})
	}
	for _, g := range s.Groups {
		t := g.Topology
		sg := statusGroup{
			Name: t.Group, Master: t.Master, State: t.State.String(),
			Generation: t.Generation, Since: statusTime(t.Since), Reason: t.Reason,
			Held: g.Held, FailoverCount: g.FailoverCount,
			Replicas: make([]statusReplica, 0, len(t.Replicas)),
			Backends: make([]statusBackend, 0, len(g.Backends)),
		}
		for _, r := range t.Replicas {
			lag := r.LagSeconds
			if lag >= 0 {
				lag *= 1000
			}
			sg.Replicas = append(sg.Replicas, statusReplica{
				Addr: r.Addr, LinkUp: r.LinkUp, Loading: r.Loading, Down: r.Down,
				LagBytes: r.LagBytes, LagMS: lag,
			})
		}
		for _, b := range g.Backends {
			sg.Backends = append(sg.Backends, statusBackend{
				Addr: b.Addr, Role: b.Role, Healthy: b.Healthy, Conns: b.Conns,
				Inflight: b.Inflight, Commands: b.Commands, Errors: b.Errors,
			})
		}
		out.Groups = append(out.Groups, sg)
	}
	for _, f := range s.Failovers {
		sf := statusFailover{
			Group: f.Group, From: f.From, To: f.To,
			Detected: statusTime(f.Detected), Switched: statusTime(f.Switched), Resumed: statusTime(f.Resumed),
			Held: f.Held, Expired: f.Expired,
		}
		if !f.Switched.IsZero() {
			sf.SwitchMS = statusPtr(statusMS(f.Switched.Sub(f.Detected)))
		}
		if !f.Resumed.IsZero() {
			sf.ResumeMS = statusPtr(statusMS(f.Resumed.Sub(f.Detected)))
		}
		out.Failovers = append(out.Failovers, sf)
	}
	return out
}

// statusTime formats t for /status; the zero time is "".
func statusTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func statusMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// statusSecondsMS converts seconds to milliseconds; a non-finite value (which
// JSON cannot carry) becomes 0 rather than failing the whole document.
func statusSecondsMS(s float64) float64 {
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return 0
	}
	return s * 1000
}

func statusPtr[T any](v T) *T { return &v }

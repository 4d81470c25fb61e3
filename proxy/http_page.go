package proxy

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

// The human stats page (GET /): one section per group with its master,
// replicas, listeners, backends and recent failovers, in the spirit of
// HAProxy's stats page. It reloads itself every 2 s with a meta refresh,
// so it needs no script and no external asset; html/template escapes
// every name and address taken from the configuration or the network.

//go:embed http_page.html
var statsPageSource string

var statsPageTmpl = template.Must(template.New("stats").Parse(statsPageSource))

// statsPageFailovers bounds the failovers shown per group (most recent
// first); /status has the whole retained history.
const statsPageFailovers = 10

type pageView struct {
	Taken  string
	Uptime string
	Groups []pageGroup
}

type pageGroup struct {
	Name          string
	Master        string
	State         string
	StateClass    string
	Since         string // how long ago the state changed
	SinceTime     string
	Reason        string
	Generation    uint64
	Held          int
	FailoverCount uint64
	Replicas      []pageReplica
	Listeners     []pageListener
	Backends      []pageBackend
	Failovers     []pageFailover
}

type pageReplica struct {
	Addr     string
	Status   string
	Class    string
	LagBytes string
	Lag      string
}

type pageListener struct {
	Role, Addr         string
	Conns              int64
	Accepted, Rejected uint64
	Commands, Errors   uint64
	P50, P99, Mean     string
}

type pageBackend struct {
	Addr, Role       string
	Health, Class    string
	Conns            int
	Inflight         int64
	Commands, Errors uint64
}

type pageFailover struct {
	From, To          string
	Detected          string
	Switched, Resumed string // "+812 ms" after detection, or "pending"
	Held, Expired     int
	Class             string
}

func (s *HTTPServer) servePage(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	err := statsPageTmpl.Execute(&buf, newPageView(s.stats()))
	s.reply(w, "text/html; charset=utf-8", buf.Bytes(), err)
}

func newPageView(s StatsSnapshot) pageView {
	v := pageView{
		Taken:  pageTime(s.Taken),
		Uptime: s.Uptime.Truncate(time.Second).String(),
	}
	index := make(map[string]int, len(s.Groups))
	for _, g := range s.Groups {
		t := &g.Topology
		pg := pageGroup{
			Name:          t.Group,
			Master:        t.Master,
			State:         t.State.String(),
			StateClass:    pageStateClass(t.State),
			SinceTime:     pageTime(t.Since),
			Reason:        t.Reason,
			Generation:    t.Generation,
			Held:          g.Held,
			FailoverCount: g.FailoverCount,
		}
		if !t.Since.IsZero() && !s.Taken.IsZero() {
			pg.Since = pageDuration(s.Taken.Sub(t.Since)) + " ago"
		}
		for _, r := range t.Replicas {
			pg.Replicas = append(pg.Replicas, newPageReplica(r))
		}
		for _, b := range g.Backends {
			pb := pageBackend{
				Addr: b.Addr, Role: b.Role, Health: "down", Class: "bad",
				Conns: b.Conns, Inflight: b.Inflight, Commands: b.Commands, Errors: b.Errors,
			}
			if b.Healthy {
				pb.Health, pb.Class = "up", "good"
			}
			pg.Backends = append(pg.Backends, pb)
		}
		if _, dup := index[t.Group]; !dup {
			index[t.Group] = len(v.Groups)
		}
		v.Groups = append(v.Groups, pg)
	}
	// Listeners and failovers of a group the snapshot does not describe
	// still show, under a section of their own, rather than vanish.
	groupOf := func(name string) *pageGroup {
		i, ok := index[name]
		if !ok {
			i = len(v.Groups)
			index[name] = i
			v.Groups = append(v.Groups, pageGroup{Name: name, State: "no topology", StateClass: "warn"})
		}
		return &v.Groups[i]
	}
	for _, l := range s.Listeners {
		pl := pageListener{
			Role: l.Role, Addr: l.Addr, Conns: l.Conns,
			Accepted: l.Accepted, Rejected: l.Rejected, Commands: l.Commands, Errors: l.Errors,
			P50: pageQuantile(0.5, l), P99: pageQuantile(0.99, l), Mean: "-",
		}
		if l.LatencyCount > 0 {
			pl.Mean = pageSeconds(l.LatencySum / float64(l.LatencyCount))
		}
		g := groupOf(l.Group)
		g.Listeners = append(g.Listeners, pl)
	}
	for i := len(s.Failovers) - 1; i >= 0; i-- { // most recent first
		f := s.Failovers[i]
		g := groupOf(f.Group)
		if len(g.Failovers) >= statsPageFailovers {
			continue
		}
		pf := pageFailover{
			From: f.From, To: f.To, Detected: pageTime(f.Detected),
			Switched: pageSince(f.Detected, f.Switched), Resumed: pageSince(f.Detected, f.Resumed),
			Held: f.Held, Expired: f.Expired, Class: "good",
		}
		if pf.To == "" {
			pf.To = "-" // not chosen yet
		}
		if f.Resumed.IsZero() {
			pf.Class = "warn"
		}
		if f.Expired > 0 {
			pf.Class = "bad"
		}
		g.Failovers = append(g.Failovers, pf)
	}
	return v
}

func newPageReplica(r Replica) pageReplica {
	p := pageReplica{Addr: r.Addr, Status: "up", Class: "good", LagBytes: "?", Lag: "?"}
	switch {
	case r.Down:
		p.Status, p.Class = "down", "bad"
	case r.Loading:
		p.Status, p.Class = "loading", "warn"
	case !r.LinkUp:
		p.Status, p.Class = "link down", "bad"
	}
	if r.LagBytes >= 0 {
		p.LagBytes = fmt.Sprintf("%d B", r.LagBytes)
	}
	if r.LagSeconds >= 0 {
		p.Lag = fmt.Sprintf("%d s", r.LagSeconds)
	}
	return p
}

func pageStateClass(s MasterState) string {
	switch s {
	case MasterConfirmed:
		return "good"
	case MasterChanging:
		return "warn"
	}
	return "bad"
}

// pageQuantile formats the approximate q-quantile of a listener's
// latency; "> x" when it lies past the highest bucket.
func pageQuantile(q float64, l ListenerStats) string {
	v, over, ok := latencyQuantile(q, l.LatencyBuckets, l.LatencyCount)
	switch {
	case !ok:
		return "-"
	case over:
		return "> " + pageSeconds(v)
	}
	return pageSeconds(v)
}

func pageSeconds(s float64) string { return pageDuration(time.Duration(s * float64(time.Second))) }

// pageDuration prints latencies and failover phases at a useful
// precision: µs-level below a millisecond, 0.1 ms below a second.
func pageDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Truncate(time.Second).String()
}

// pageSince is a failover phase relative to its detection.
func pageSince(detected, t time.Time) string {
	if t.IsZero() {
		return "pending"
	}
	return "+" + pageDuration(t.Sub(detected))
}

func pageTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04:05.000 MST")
}

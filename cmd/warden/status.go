package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

const statusUsage = `Usage: warden status [--sentinel host:port ...] [--proxy http://127.0.0.1:8404]
                     [--name mymaster] [--pass p] [--node-pass p] [--watch 1s]

Prints the live topology: each master with its replicas (link, offset, lag),
the sentinels watching it and the configuration epoch, as a sentinel sees it
(SENTINEL MASTERS / REPLICAS / SENTINELS, plus the master's own INFO for the
lag), and the proxy's view from its /status (state, replicas, backends, the
last failovers).

With neither --sentinel nor --proxy it asks the sentinel on 127.0.0.1:26379,
and the proxy on http://127.0.0.1:8404 if that sentinel does not answer.
Several --sentinel: the first that answers is used.
`

// statusTimeout bounds every connection and exchange of `warden status`: it
// looks at a live system and must not hang on a stopped node.
const statusTimeout = 2 * time.Second

// statusReplyLimits bound what a peer can make the client decode; the
// largest legitimate reply is a sentinel's replica list.
var statusReplyLimits = resp.ReplyLimits{MaxBulk: 16 << 20, MaxLine: 1 << 20, MaxElems: 1 << 20, MaxDepth: 8}

type statusOptions struct {
	sentinels []string
	proxy     string
	name      string
	pass      string // the sentinels' password (sentinel requirepass)
	nodePass  string // the nodes' password, for the master's INFO
	watch     time.Duration
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// runStatus is `warden status`. It returns the exit code: 1 when no source
// answered.
func runStatus(args []string) int {
	var o statusOptions
	fs := flag.NewFlagSet("warden status", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), statusUsage) }
	fs.Var((*stringList)(&o.sentinels), "sentinel", "a sentinel's host:port (repeatable)")
	fs.StringVar(&o.proxy, "proxy", "", "the proxy's HTTP address")
	fs.StringVar(&o.name, "name", "", "only this master (default: all the sentinel monitors)")
	fs.StringVar(&o.pass, "pass", "", "password of the sentinels")
	fs.StringVar(&o.nodePass, "node-pass", "", "password of the nodes")
	fs.DurationVar(&o.watch, "watch", 0, "print again every interval until interrupted (0: once)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "warden status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.watch < 0 {
		fmt.Fprintln(os.Stderr, "warden status: negative --watch")
		return 2
	}
	clear := o.watch > 0 && isTerminal(os.Stdout)
	for {
		var b strings.Builder
		err := printStatus(&b, o)
		if clear {
			fmt.Print("\033[H\033[2J")
		}
		if o.watch > 0 {
			fmt.Printf("%s (every %v, Ctrl-C to stop)\n\n", time.Now().Format("15:04:05"), o.watch)
		}
		fmt.Print(b.String())
		if err != nil {
			fmt.Fprintf(os.Stderr, "warden status: %v\n", err)
			if o.watch == 0 {
				return 1
			}
		}
		if o.watch == 0 {
			return 0
		}
		time.Sleep(o.watch)
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printStatus writes the status from the sources o names (or the default
// ones) to w. It fails only when no source could be read.
func printStatus(w io.Writer, o statusOptions) error {
	sentinels, proxyURL := o.sentinels, o.proxy
	fallback := len(sentinels) == 0 && proxyURL == ""
	if fallback {
		sentinels = []string{"127.0.0.1:26379"}
	}
	var errs []error
	answered := false
	if len(sentinels) > 0 {
		err := printSentinelStatus(w, sentinels, o)
		if err == nil {
			answered = true
		} else {
			errs = append(errs, err)
		}
	}
	if fallback && !answered {
		proxyURL = "http://127.0.0.1:8404"
	}
	if proxyURL != "" {
		if answered {
			fmt.Fprintln(w)
		}
		if err := printProxyStatus(w, proxyURL, o.name); err == nil {
			answered = true
		} else {
			errs = append(errs, err)
		}
	}
	if answered {
		// What did answer is printed; the rest is still worth saying.
		for _, err := range errs {
			fmt.Fprintf(w, "(%v)\n", err)
		}
		return nil
	}
	return errors.Join(errs...)
}

// ---- from a sentinel ----

func printSentinelStatus(w io.Writer, addrs []string, o statusOptions) error {
	var c *respClient
	var errs []string
	for _, a := range addrs {
		var err error
		if c, err = dialRESP(a, o.pass, statusTimeout); err == nil {
			break
		}
		errs = append(errs, err.Error())
	}
	if c == nil {
		return fmt.Errorf("no sentinel answered: %s", strings.Join(errs, "; "))
	}
	defer c.Close()
	masters, err := c.entries("SENTINEL", "MASTERS")
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL MASTERS: %w", c.addr, err)
	}
	sort.Slice(masters, func(i, j int) bool { return masters[i]["name"] < masters[j]["name"] })
	shown := 0
	for _, m := range masters {
		if o.name != "" && m["name"] != o.name {
			continue
		}
		if shown > 0 {
			fmt.Fprintln(w)
		}
		shown++
		if err := printSentinelMaster(w, c, m, o.nodePass); err != nil {
			return err
		}
	}
	if shown == 0 {
		if o.name != "" {
			return fmt.Errorf("sentinel %s does not monitor %q", c.addr, o.name)
		}
		return fmt.Errorf("sentinel %s monitors no master", c.addr)
	}
	return nil
}

func printSentinelMaster(w io.Writer, c *respClient, m map[string]string, nodePass string) error {
	name := m["name"]
	master := net.JoinHostPort(m["ip"], m["port"])
	replicas, err := c.entries("SENTINEL", "REPLICAS", name)
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL REPLICAS: %w", c.addr, err)
	}
	peers, err := c.entries("SENTINEL", "SENTINELS", name)
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL SENTINELS: %w", c.addr, err)
	}
	quorum := "?"
	if v, err := c.do("SENTINEL", "CKQUORUM", name); err == nil {
		quorum = v.Str
	} else {
		quorum = err.Error()
	}

	fmt.Fprintf(w, "%s  master %s  [%s]  config-epoch %s  (sentinel %s)\n", name, master, m["flags"], m["config-epoch"], c.addr)
	fmt.Fprintf(w, "  quorum %s: %s\n", m["quorum"], quorum)

	// The master's own view gives offsets and lag in seconds; the
	// sentinels read replica offsets only every few seconds.
	masterInfo, infoErr := nodeReplicationInfo(master, nodePass)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  REPLICA\tFLAGS\tLINK\tOFFSET\tLAG\n")
	sort.Slice(replicas, func(i, j int) bool { return replicas[i]["name"] < replicas[j]["name"] })
	for _, r := range replicas {
		addr := net.JoinHostPort(r["ip"], r["port"])
		offset, lag := r["slave-repl-offset"], "?"
		if infoErr == nil {
			if rs, ok := masterInfo.replicas[addr]; ok {
				offset = strconv.FormatInt(rs.offset, 10)
				lag = fmt.Sprintf("%s, %ds", formatBytes(masterInfo.offset-rs.offset), rs.lag)
			} else {
				lag = "not connected"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", addr, r["flags"], r["master-link-status"], offset, lag)
	}
	if len(replicas) == 0 {
		fmt.Fprintf(tw, "  (none)\t\t\t\t\n")
	}
	tw.Flush()
	if infoErr != nil {
		fmt.Fprintf(w, "  (lag unknown: master %s: %v)\n", master, infoErr)
	}

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  SENTINEL\tFLAGS\tLAST HELLO\n")
	fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.addr, "(asked)", "")
	sort.Slice(peers, func(i, j int) bool { return peers[i]["name"] < peers[j]["name"] })
	for _, p := range peers {
		hello := p["last-hello-message"]
		if ms, err := strconv.ParseInt(hello, 10, 64); err == nil {
			hello = (time.Duration(ms) * time.Millisecond).String() + " ago"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", net.JoinHostPort(p["ip"], p["port"]), p["flags"], hello)
	}
	return tw.Flush()
}

// replicationInfo is a master's INFO replication, as far as status needs
// it.
type replicationInfo struct {
	role     string
	offset   int64
	replicas map[string]replicaOffset // by host:port
}

type replicaOffset struct {
	offset, lag int64
}

func nodeReplicationInfo(addr, pass string) (replicationInfo, error) {
	c, err := dialRESP(addr, pass, statusTimeout)
	if err != nil {
		return replicationInfo{}, err
	}
	defer c.Close()
	v, err := c.do("INFO", "replication")
	if err != nil {
		return replicationInfo{}, err
	}
	return parseReplicationInfo(v.Str), nil
}

// parseReplicationInfo reads the fields of INFO replication that status
// shows: role, master_repl_offset and the slaveN lines
// (ip=...,port=...,state=...,offset=...,lag=...).
func parseReplicationInfo(text string) replicationInfo {
	info := replicationInfo{replicas: make(map[string]replicaOffset)}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch {
		case k == "role":
			info.role = v
		case k == "master_repl_offset":
			info.offset, _ = strconv.ParseInt(v, 10, 64)
		case strings.HasPrefix(k, "slave") && strings.Contains(v, "ip="):
			f := make(map[string]string)
			for _, kv := range strings.Split(v, ",") {
				if a, b, ok := strings.Cut(kv, "="); ok {
					f[a] = b
				}
			}
			off, _ := strconv.ParseInt(f["offset"], 10, 64)
			lag, _ := strconv.ParseInt(f["lag"], 10, 64)
			info.replicas[net.JoinHostPort(f["ip"], f["port"])] = replicaOffset{offset: off, lag: lag}
		}
	}
	return info
}

func formatBytes(n int64) string {
	switch {
	case n < 0:
		return "?"
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// ---- from the proxy ----

// proxyStatus is the part of the proxy's /status document (proxy/http.go)
// that status prints.
type proxyStatus struct {
	UptimeMS  float64 `json:"uptime_ms"`
	Listeners []struct {
		Group, Role, Addr string
		Conns             int64
	} `json:"listeners"`
	Groups []struct {
		Name, Master, State, Since, Reason string
		Generation                         uint64
		Held                               int
		FailoverCount                      uint64 `json:"failover_count"`
		Replicas                           []struct {
			Addr     string
			LinkUp   bool  `json:"link_up"`
			Loading  bool  `json:"loading"`
			Down     bool  `json:"down"`
			LagBytes int64 `json:"lag_bytes"`
			LagMS    int64 `json:"lag_ms"`
		} `json:"replicas"`
		Backends []struct {
			Addr, Role string
			Healthy    bool
			Conns      int
			Inflight   int64
		} `json:"backends"`
	} `json:"groups"`
	Failovers []struct {
		Group, From, To, Detected string
		SwitchMS                  *float64 `json:"switch_ms"`
		ResumeMS                  *float64 `json:"resume_ms"`
		Held, Expired             int
	} `json:"failovers"`
}

func fetchProxyStatus(base string) (*proxyStatus, error) {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	client := http.Client{Timeout: statusTimeout}
	res, err := client.Get(strings.TrimSuffix(base, "/") + "/status")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("proxy %s: /status: %s", base, res.Status)
	}
	var st proxyStatus
	if err := json.NewDecoder(io.LimitReader(res.Body, 16<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("proxy %s: /status: %w", base, err)
	}
	return &st, nil
}

func printProxyStatus(w io.Writer, base, name string) error {
	st, err := fetchProxyStatus(base)
	if err != nil {
		return err
	}
	shown := 0
	for _, g := range st.Groups {
		if name != "" && g.Name != name {
			continue
		}
		if shown > 0 {
			fmt.Fprintln(w)
		}
		shown++
		fmt.Fprintf(w, "%s  master %s  [%s]  generation %d  failovers %d  (proxy %s, up %v)\n",
			g.Name, orNone(g.Master), g.State, g.Generation, g.FailoverCount, base,
			(time.Duration(st.UptimeMS) * time.Millisecond).Round(time.Second))
		if g.Reason != "" {
			fmt.Fprintf(w, "  since %s: %s\n", g.Since, g.Reason)
		}
		if g.Held > 0 {
			fmt.Fprintf(w, "  %d requests held waiting for a master\n", g.Held)
		}
		var ls []string
		for _, l := range st.Listeners {
			if l.Group == g.Name {
				ls = append(ls, fmt.Sprintf("%s %s (%d clients)", l.Role, l.Addr, l.Conns))
			}
		}
		if len(ls) > 0 {
			fmt.Fprintf(w, "  listeners: %s\n", strings.Join(ls, ", "))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  REPLICA\tSTATE\tLAG\n")
		for _, r := range g.Replicas {
			state := "ok"
			switch {
			case r.Down:
				state = "down"
			case r.Loading:
				state = "loading"
			case !r.LinkUp:
				state = "link down"
			}
			lag := "?"
			if r.LagBytes >= 0 {
				lag = formatBytes(r.LagBytes)
			}
			if r.LagMS >= 0 {
				lag += fmt.Sprintf(", %dms", r.LagMS)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Addr, state, lag)
		}
		if len(g.Replicas) == 0 {
			fmt.Fprintf(tw, "  (none)\t\t\n")
		}
		tw.Flush()
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  BACKEND\tROLE\tHEALTHY\tCONNS\tINFLIGHT\n")
		for _, b := range g.Backends {
			fmt.Fprintf(tw, "  %s\t%s\t%v\t%d\t%d\n", b.Addr, b.Role, b.Healthy, b.Conns, b.Inflight)
		}
		tw.Flush()
		for _, f := range st.Failovers {
			if f.Group != g.Name {
				continue
			}
			fmt.Fprintf(w, "  failover %s: %s -> %s, switched %s, resumed %s, %d held, %d expired\n",
				f.Detected, orNone(f.From), orNone(f.To), msOrDash(f.SwitchMS), msOrDash(f.ResumeMS), f.Held, f.Expired)
		}
	}
	if shown == 0 {
		if name != "" {
			return fmt.Errorf("proxy %s has no group %q", base, name)
		}
		return fmt.Errorf("proxy %s has no group", base)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func msOrDash(ms *float64) string {
	if ms == nil {
		return "-"
	}
	return fmt.Sprintf("after %.0fms", *ms)
}

// ---- a small RESP client ----

// respClient is a blocking RESP2 client for the command line tools (status,
// up): one command at a time, every exchange bounded by the timeout.
// Replies come back decoded by internal/resp; an error reply is returned as
// an error.
type respClient struct {
	addr    string
	conn    net.Conn
	br      *bufio.Reader
	timeout time.Duration
	buf     []byte
}

// dialRESP connects to addr and, when pass is set, authenticates.
func dialRESP(addr, pass string, timeout time.Duration) (*respClient, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &respClient{addr: addr, conn: conn, br: bufio.NewReader(conn), timeout: timeout}
	if pass != "" {
		if _, err := c.do("AUTH", pass); err != nil {
			conn.Close()
			// The password stays out of the message.
			return nil, fmt.Errorf("%s: AUTH: %w", addr, err)
		}
	}
	return c, nil
}

func (c *respClient) Close() error { return c.conn.Close() }

// do sends one command and returns its reply.
func (c *respClient) do(args ...string) (resp.Value, error) {
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return resp.Value{}, err
	}
	c.buf = resp.AppendCommandStrings(c.buf[:0], args...)
	if _, err := c.conn.Write(c.buf); err != nil {
		return resp.Value{}, err
	}
	v, err := resp.ReadReply(c.br, statusReplyLimits)
	if err != nil {
		return resp.Value{}, err
	}
	if v.IsError() {
		return v, errors.New(v.Str)
	}
	return v, nil
}

// entries runs a command answering a list of field/value arrays (SENTINEL
// MASTERS, REPLICAS, SENTINELS) and returns them as maps.
func (c *respClient) entries(args ...string) ([]map[string]string, error) {
	v, err := c.do(args...)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, len(v.Elems))
	for _, e := range v.Elems {
		m := make(map[string]string, len(e.Elems)/2)
		for i := 0; i+1 < len(e.Elems); i += 2 {
			m[e.Elems[i].Str] = e.Elems[i+1].Str
		}
		out = append(out, m)
	}
	return out, nil
}

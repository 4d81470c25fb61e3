package bench

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	loopbackpkg "github.com/wardenhq/warden/internal/loopback"
	"github.com/wardenhq/warden/internal/resp"
)

// Systems Failover can run.
const (
	// SystemWarden is warden server ×3, warden sentinel ×3 and a warden
	// proxy following those sentinels.
	SystemWarden = "warden"
	// SystemWardenRefused is SystemWarden with the sentinels'
	// down-after-refused-milliseconds fast path on.
	SystemWardenRefused = "warden-refused"
	// SystemRedis is redis-server ×3, redis-sentinel ×3 and HAProxy with
	// the tcp-check recipe in front of the three nodes.
	SystemRedis = "redis"
)

var systemTitles = map[string]string{
	SystemWarden:        "warden (nodes, sentinels, proxy)",
	SystemWardenRefused: "warden, refused fast path",
	SystemRedis:         "redis-server + redis-sentinel + HAProxy",
}

const groupName = "mymaster"

// node is one data node of a failover topology.
type node struct {
	name string
	port int
	bin  string
	args []string
	dir  string
	p    *proc
}

func (n *node) addr() string { return loopback(n.port) }

// start runs the node with its command line and waits until it answers
// PING.
func (n *node) start() error {
	p, err := startProc(n.name, n.dir, n.bin, n.args...)
	if err != nil {
		return err
	}
	if err := waitReady(p, 10*time.Second, pingCheck(n.addr())); err != nil {
		p.kill()
		return fmt.Errorf("%s: %w", n.name, err)
	}
	n.p = p
	return nil
}

// topology is a master, its replicas, their sentinels and the write port
// in front of them.
type topology struct {
	system    string
	nodes     []*node // nodes[0] is the first master
	sentinels []*proc
	sentAddrs []string
	front     *proc
	frontAddr string
	// commands and configs describe what was started, for the report.
	commands []string
	configs  map[string]string
}

// topologyOptions are what startTopology needs from FailoverOptions.
type topologyOptions struct {
	system                                   string
	dir                                      string
	warden, redisServer, redisSentinel, hapx string
	replicas, sentinels                      int
	downAfter, failoverTimeout, refused      time.Duration
	failoverHold                             time.Duration
}

// startTopology starts nodes, sentinels and the write port, and waits
// until the sentinels know every replica and each other and a SET goes
// through the write port. On error it stops what it started.
func startTopology(o topologyOptions) (t *topology, err error) {
	t = &topology{system: o.system, configs: map[string]string{}}
	defer func() {
		if err != nil {
			t.stop()
		}
	}()
	wardenKind := o.system != SystemRedis
	nodeBin, nodePrefix, sentBin, sentPrefix := o.redisServer, []string(nil), o.redisSentinel, []string(nil)
	if wardenKind {
		nodeBin, nodePrefix = o.warden, []string{"server"}
		sentBin, sentPrefix = o.warden, []string{"sentinel"}
	}
	ports, err := loopbackpkg.FreePorts(1 + o.replicas + o.sentinels)
	if err != nil {
		return t, err
	}
	for i := range 1 + o.replicas {
		n := &node{name: fmt.Sprintf("node-%d", ports[i]), port: ports[i], bin: nodeBin, dir: filepath.Join(o.dir, fmt.Sprintf("node-%d", ports[i]))}
		n.args = append(append([]string{}, nodePrefix...), "--port", strconv.Itoa(n.port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", n.dir, "--repl-diskless-sync-delay", "0")
		if i > 0 {
			n.args = append(n.args, "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
		}
		if err := n.start(); err != nil {
			return t, err
		}
		t.nodes = append(t.nodes, n)
		t.commands = append(t.commands, n.p.commandLine())
	}
	if err := waitReady(nil, 20*time.Second, func() error { return replicasInSync(t.nodes) }); err != nil {
		return t, fmt.Errorf("replicas: %w", err)
	}
	for i := range o.sentinels {
		port := ports[1+o.replicas+i]
		dir := filepath.Join(o.dir, fmt.Sprintf("sentinel-%d", port))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return t, err
		}
		lines := []string{
			"port " + strconv.Itoa(port),
			"bind 127.0.0.1",
			"dir " + dir,
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", groupName, ports[0], o.sentinels/2+1),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", groupName, o.downAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", groupName, o.failoverTimeout.Milliseconds()),
		}
		if o.system == SystemWardenRefused {
			lines = append(lines, fmt.Sprintf("sentinel down-after-refused-milliseconds %s %d", groupName, o.refused.Milliseconds()))
		}
		text := strings.Join(lines, "\n") + "\n"
		conf := filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			return t, err
		}
		if i == 0 {
			t.configs["sentinel.conf (first of "+strconv.Itoa(o.sentinels)+")"] = text
		}
		p, err := startProc(fmt.Sprintf("sentinel-%d", port), dir, sentBin, append(append([]string{}, sentPrefix...), conf)...)
		if err != nil {
			return t, err
		}
		t.sentinels = append(t.sentinels, p)
		t.sentAddrs = append(t.sentAddrs, loopback(port))
		t.commands = append(t.commands, p.commandLine())
		if err := waitReady(p, 10*time.Second, pingCheck(loopback(port))); err != nil {
			return t, fmt.Errorf("sentinel: %w", err)
		}
	}
	if err := waitReady(nil, 30*time.Second, func() error { return sentinelsDiscovered(t.sentAddrs, o.replicas) }); err != nil {
		return t, fmt.Errorf("sentinels: %w", err)
	}
	nodeAddrs := make([]string, len(t.nodes))
	for i, n := range t.nodes {
		nodeAddrs[i] = n.addr()
	}
	if wardenKind {
		cfg := WardenProxyConfig{Group: groupName, Sentinels: t.sentAddrs, FailoverHold: o.failoverHold}
		p, text, err := startWardenProxy(o.warden, filepath.Join(o.dir, "proxy"), cfg, 20*time.Second)
		if err != nil {
			return t, err
		}
		t.front, t.frontAddr = p, writeAddrOf(text)
		t.commands = append(t.commands, "warden proxy -c proxy.yaml")
		t.configs["proxy.yaml"] = text
		return t, nil
	}
	bin, err := exec.LookPath(o.hapx)
	if err != nil {
		return t, fmt.Errorf("%s not found (apt-get install haproxy)", o.hapx)
	}
	// Ten fresh connections in a row reach the master: the replicas have
	// failed their role:master check (fall 3 × inter 1s).
	p, cfg, text, err := startHAProxyFor(bin, filepath.Join(o.dir, "haproxy"), nodeAddrs, 10, 20*time.Second)
	if err != nil {
		return t, err
	}
	t.front, t.frontAddr = p, cfg.Listen
	t.commands = append(t.commands, "haproxy -db -f haproxy.cfg")
	t.configs["haproxy.cfg"] = text
	return t, nil
}

// stop ends the front, the sentinels, then the nodes.
func (t *topology) stop() {
	if t.front != nil {
		t.front.stop()
	}
	for _, s := range t.sentinels {
		s.stop()
	}
	for _, n := range t.nodes {
		if n.p != nil {
			n.p.stop()
		}
	}
}

// role returns a node's ROLE: "master", or "slave" and its master's
// address.
func role(addr string, timeout time.Duration) (string, string, error) {
	v, err := doOnce(addr, timeout, "ROLE")
	if err != nil {
		return "", "", err
	}
	if len(v.Elems) == 0 {
		return "", "", errors.New("empty ROLE reply")
	}
	r := v.Elems[0].Str
	if r == "slave" && len(v.Elems) >= 3 {
		return r, net.JoinHostPort(v.Elems[1].Str, strconv.Itoa(valueInt(v.Elems[2]))), nil
	}
	return r, "", nil
}

// valueInt reads an integer that may come as ':' or as a string.
func valueInt(v resp.Value) int {
	if v.Type == ':' {
		return int(v.Int)
	}
	n, _ := strconv.Atoi(v.Str)
	return n
}

// replicasInSync checks that nodes[0] is a master whose replicas are all
// online with their offset caught up.
func replicasInSync(nodes []*node) error {
	v, err := doOnce(nodes[0].addr(), time.Second, "INFO", "replication")
	if err != nil {
		return err
	}
	info := v.Str
	if r := infoField(info, "role"); r != "master" {
		return fmt.Errorf("%s is %s", nodes[0].addr(), r)
	}
	want := strconv.Itoa(len(nodes) - 1)
	if got := infoField(info, "connected_slaves"); got != want {
		return fmt.Errorf("%s replicas connected, want %s", got, want)
	}
	for i := 1; i < len(nodes); i++ {
		rv, err := doOnce(nodes[i].addr(), time.Second, "INFO", "replication")
		if err != nil {
			return err
		}
		if s := infoField(rv.Str, "master_link_status"); s != "up" {
			return fmt.Errorf("%s: master link %s", nodes[i].addr(), s)
		}
	}
	return nil
}

// sentinelsDiscovered checks that every sentinel sees the group's
// replicas and all the other sentinels: a failover needs both.
func sentinelsDiscovered(addrs []string, replicas int) error {
	for _, a := range addrs {
		v, err := doOnce(a, time.Second, "SENTINEL", "MASTER", groupName)
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		m := pairs(v)
		if m["num-slaves"] != strconv.Itoa(replicas) || m["num-other-sentinels"] != strconv.Itoa(len(addrs)-1) {
			return fmt.Errorf("%s knows %s replicas and %s other sentinels", a, m["num-slaves"], m["num-other-sentinels"])
		}
	}
	return nil
}

// pairs turns a flat key/value array (or a RESP3 map) into a map.
func pairs(v resp.Value) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		m[v.Elems[i].Str] = v.Elems[i+1].Str
	}
	return m
}

package core

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/redisconf"
)

// cfShell records what the core asks of the shell, for the config tests.
type cfShell struct {
	events []Event
	drops  []*Link
}

func (s *cfShell) Open(l *Link, inst *Instance)    {}
func (s *cfShell) Drop(l *Link, cc, pc bool)       { s.drops = append(s.drops, l) }
func (s *cfShell) Send(req *Request)               {}
func (s *cfShell) Event(ev Event)                  { s.events = append(s.events, ev) }
func (s *cfShell) RunScript(p string, a ...string) {}
func (s *cfShell) Exit(code int)                   {}
func (s *cfShell) takeEvents() (out []string) {
	for _, ev := range s.events {
		out = append(out, ev.Type+" "+ev.Payload)
	}
	s.events = nil
	return out
}

var cfT0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// newCfCore is a core with a seeded rand, a fake resolver that knows
// "localhost" and "redis.example", and an Executable that accepts paths
// under /scripts/.
func newCfCore(t testing.TB) (*Core, *cfShell) {
	t.Helper()
	sh := &cfShell{}
	c := New(sh, rand.New(rand.NewSource(1)))
	c.Executable = func(p string) bool { return strings.HasPrefix(p, "/scripts/") }
	c.Resolve = func(host string) (string, error) {
		switch host {
		case "localhost":
			return "127.0.0.1", nil
		case "redis.example":
			return "10.1.2.3", nil
		}
		if ip, ok := canonicalIP(host); ok {
			return ip, nil
		}
		return "", errors.New("no such host")
	}
	return c, sh
}

// cfDirs turns config text into LoadConfig's input: the words after
// "sentinel" of each sentinel line.
func cfDirs(t testing.TB, text string) [][]string {
	t.Helper()
	ds, err := redisconf.Parse(strings.NewReader(text), "test.conf")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, d := range ds {
		if d.Name == "sentinel" {
			out = append(out, d.Args)
		}
	}
	return out
}

func cfLoad(t testing.TB, text string) (*Core, *cfShell) {
	t.Helper()
	c, sh := newCfCore(t)
	if err := c.LoadConfig(cfDirs(t, text), cfT0); err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return c, sh
}

func TestConfigLoadPassesAndValues(t *testing.T) {
	// Per-master lines above their monitor line, globals at the end: the
	// three passes make the order irrelevant.
	c, _ := cfLoad(t, `
sentinel down-after-milliseconds m 2000
sentinel known-replica m 127.0.0.1 6380
sentinel known-slave m 127.0.0.1 6381
sentinel known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel known-sentinel m 127.0.0.1 26381
sentinel failover-timeout m 10000
sentinel parallel-syncs m 3
sentinel notification-script m /scripts/n.sh
sentinel client-reconfig-script m /scripts/r.sh
sentinel auth-pass m secret
sentinel auth-user m bob
sentinel master-reboot-down-after-period m 5000
sentinel down-after-refused-milliseconds m 400
sentinel config-epoch m 9
sentinel leader-epoch m 8
sentinel rename-command m CONFIG cfg
SENTINEL MONITOR m 127.0.0.1 6379 2
sentinel monitor other ::0001 7000 1
sentinel current-epoch 5
sentinel myid 0123456789abcdef0123456789abcdef01234567
sentinel announce-ip 10.0.0.9
sentinel announce-port 26999
sentinel deny-scripts-reconfig no
sentinel sentinel-user su
sentinel sentinel-pass sp
sentinel resolve-hostnames no
sentinel announce-hostnames yes
sentinel
`)
	m := c.Master("m")
	if m == nil || c.Master("other") == nil || len(c.Masters) != 2 {
		t.Fatalf("masters: %v", c.Masters)
	}
	if got := c.Master("other").Addr; got != (Addr{"::1", 7000}) {
		t.Errorf("IPv6 address stored as %v, want canonical ::1", got)
	}
	if m.Addr != (Addr{"127.0.0.1", 6379}) || m.Quorum != 2 {
		t.Errorf("master %v quorum %d", m.Addr, m.Quorum)
	}
	if m.DownAfter != 2*time.Second || m.FailoverTimeout != 10*time.Second || m.ParallelSyncs != 3 ||
		m.MasterRebootDownAfter != 5*time.Second || m.DownAfterRefused != 400*time.Millisecond {
		t.Errorf("timings: %v %v %d %v", m.DownAfter, m.FailoverTimeout, m.ParallelSyncs, m.MasterRebootDownAfter)
	}
	if m.NotificationScript != "/scripts/n.sh" || m.ClientReconfigScript != "/scripts/r.sh" ||
		m.AuthPass != "secret" || m.AuthUser != "bob" {
		t.Errorf("scripts/auth: %q %q %q %q", m.NotificationScript, m.ClientReconfigScript, m.AuthPass, m.AuthUser)
	}
	if m.ConfigEpoch != 9 || m.LeaderEpoch != 8 {
		t.Errorf("epochs %d %d", m.ConfigEpoch, m.LeaderEpoch)
	}
	// config-epoch 9 raised the current epoch above the configured 5.
	if c.CurrentEpoch != 9 {
		t.Errorf("current epoch %d, want 9", c.CurrentEpoch)
	}
	if !reflect.DeepEqual(m.RenamedCommands, map[string]string{"config": "cfg"}) {
		t.Errorf("renamed %v", m.RenamedCommands)
	}
	if len(m.Replicas) != 2 || m.Replicas["127.0.0.1:6380"] == nil || m.Replicas["127.0.0.1:6381"] == nil {
		t.Fatalf("replicas %v", m.Replicas)
	}
	// The old known-sentinel form without runid is ignored.
	if len(m.Sentinels) != 1 {
		t.Fatalf("sentinels %v", m.Sentinels)
	}
	s := m.Sentinels["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
	if s == nil || s.RunID != s.Name || s.Addr != (Addr{"127.0.0.1", 26380}) || s.Kind != KindSentinel || s.Master != m {
		t.Fatalf("sentinel %+v", s)
	}
	// down-after was applied before the instances existed and after: all
	// of the group use it.
	for _, ri := range []*Instance{m.Replicas["127.0.0.1:6380"], m.Replicas["127.0.0.1:6381"], s} {
		if ri.DownAfter != 2*time.Second {
			t.Errorf("%s down-after %v", ri.Name, ri.DownAfter)
		}
	}
	if c.MyID != "0123456789abcdef0123456789abcdef01234567" || c.AnnounceIP != "10.0.0.9" || c.AnnouncePort != 26999 ||
		c.DenyScriptsReconfig || c.SentinelUser != "su" || c.SentinelPass != "sp" || c.ResolveHostnames ||
		!c.AnnounceHostnames {
		t.Errorf("globals: %+v", c)
	}
	if c.TakeDirty() {
		t.Error("loading marked the config dirty")
	}
}

func TestConfigLoadErrors(t *testing.T) {
	const mon = "monitor m 127.0.0.1 6379 2"
	cases := []struct {
		name   string
		lines  []string
		index  int
		reason string
	}{
		{"unknown", []string{mon, "bogus x"}, 1, "Unrecognized sentinel configuration statement."},
		// Names fold A-Z only, as strcasecmp: a Kelvin sign is no K.
		{"ascii folding", []string{mon, "\u212Anown-replica m 127.0.0.1 1"}, 1, "Unrecognized sentinel configuration statement."},
		{"wrong arity", []string{mon, "down-after-milliseconds m"}, 1, "Unrecognized sentinel configuration statement."},
		{"monitor arity", []string{"monitor m 127.0.0.1 6379"}, 0, "Unrecognized sentinel configuration statement."},
		{"quorum 0", []string{"monitor m 127.0.0.1 6379 0"}, 0, "Quorum must be 1 or greater."},
		{"quorum text", []string{"monitor m 127.0.0.1 6379 x"}, 0, "Quorum must be 1 or greater."},
		{"port range", []string{"monitor m 127.0.0.1 65536 2"}, 0, "Invalid port number."},
		{"negative port", []string{"monitor m 127.0.0.1 -1 2"}, 0, "Invalid port number."},
		// The port is checked before the host.
		{"port before host", []string{"monitor m nohost 70000 2"}, 0, "Invalid port number."},
		{"hostname without resolve", []string{"monitor m localhost 6379 2"}, 0, "Can't resolve instance hostname."},
		{"duplicate master", []string{mon, "monitor m 127.0.0.2 6379 2"}, 1, "Duplicate master name."},
		{"no master", []string{mon, "failover-timeout x 1000"}, 1, "No such master with specified name."},
		{"no master replica", []string{mon, "known-replica x 127.0.0.1 1"}, 1, "No such master with specified name."},
		{"down-after 0", []string{mon, "down-after-milliseconds m 0"}, 1, "negative or zero time parameter."},
		{"failover-timeout -1", []string{mon, "failover-timeout m -1"}, 1, "negative or zero time parameter."},
		{"reboot negative", []string{mon, "master-reboot-down-after-period m -5"}, 1, "negative time parameter."},
		{"refused negative", []string{mon, "down-after-refused-milliseconds m -5"}, 1, "negative time parameter."},
		{"refused unknown master", []string{mon, "down-after-refused-milliseconds x 5"}, 1, "No such master with specified name."},
		{"myid short", []string{"myid abc"}, 0, "Malformed Sentinel id in myid option."},
		{"rename twice", []string{mon, "rename-command m PING P1", "rename-command m ping P2"}, 2,
			"Same command renamed multiple times with rename-command."},
		{"notification not executable", []string{mon, "notification-script m /bin/nope"}, 1,
			"Notification script seems non existing or non executable."},
		{"reconfig not executable", []string{mon, "client-reconfig-script m /bin/nope"}, 1,
			"Client reconfiguration script seems non existing or non executable."},
		{"dup replica", []string{mon, "known-replica m 127.0.0.1 6380", "known-slave m 127.0.0.1 6380"}, 2,
			"Duplicate hostname and port for replica."},
		{"dup sentinel", []string{mon, "known-sentinel m 127.0.0.1 1 abc", "known-sentinel m 127.0.0.2 2 abc"}, 2,
			"Duplicate runid for sentinel."},
		{"replica bad host", []string{mon, "known-replica m some-host 6380"}, 1, "Can't resolve instance hostname."},
		{"deny bool", []string{"deny-scripts-reconfig maybe"}, 0,
			"Please specify yes or no for the deny-scripts-reconfig options."},
		{"resolve bool", []string{"resolve-hostnames 1"}, 0, "Please specify yes or no for the resolve-hostnames option."},
		{"announce bool", []string{"announce-hostnames"}, 0, "Unrecognized sentinel configuration statement."},
		{"announce bool value", []string{"announce-hostnames x"}, 0,
			"Please specify yes or no for the announce-hostnames option."},
		// Pass order: the monitor (index 1) fails before the earlier
		// per-master line (index 0) is looked at.
		{"passes", []string{"parallel-syncs m 1", "monitor m 127.0.0.1 6379 0"}, 1, "Quorum must be 1 or greater."},
		// ... and a global setting fails before a monitor line.
		{"pre-monitor first", []string{mon, "myid x"}, 1, "Malformed Sentinel id in myid option."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCfCore(t)
			var dirs [][]string
			for _, l := range tc.lines {
				dirs = append(dirs, strings.Fields(l))
			}
			err := c.LoadConfig(dirs, cfT0)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if ce.Index != tc.index || ce.Reason != tc.reason || ce.Error() != tc.reason {
				t.Fatalf("got index %d %q, want %d %q", ce.Index, ce.Reason, tc.index, tc.reason)
			}
		})
	}
}

func TestConfigLoadCNumbers(t *testing.T) {
	// Redis reads these numbers with atoi/strtoull: junk after the digits
	// is ignored, white space and a sign before them accepted.
	c, _ := cfLoad(t, `
sentinel monitor m 127.0.0.1 "  6379xyz" 2abc
sentinel parallel-syncs m -4
sentinel down-after-milliseconds m "+1500ms"
sentinel config-epoch m -1
sentinel leader-epoch m 99999999999999999999999
sentinel announce-port junk
`)
	m := c.Master("m")
	if m.Addr.Port != 6379 || m.Quorum != 2 || m.ParallelSyncs != -4 || m.DownAfter != 1500*time.Millisecond {
		t.Errorf("port %d quorum %d syncs %d down-after %v", m.Addr.Port, m.Quorum, m.ParallelSyncs, m.DownAfter)
	}
	if m.ConfigEpoch != 1<<64-1 || m.LeaderEpoch != 1<<64-1 || c.AnnouncePort != 0 {
		t.Errorf("epochs %d %d announce-port %d", m.ConfigEpoch, m.LeaderEpoch, c.AnnouncePort)
	}
	for in, want := range map[string]int{
		"": 0, "-": 0, "12": 12, " \t\n12": 12, "-12x": -12, "+7": 7, "2147483647": 2147483647,
		"2147483648": -2147483648, "99999999999999999999": -1, "-99999999999999999999": 0, "0x10": 0,
	} {
		if got := atoi(in); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[string]uint64{
		"": 0, "18446744073709551615": 1<<64 - 1, "18446744073709551616": 1<<64 - 1, "-2": 1<<64 - 2, " 7z": 7,
	} {
		if got := strtoull(in); got != want {
			t.Errorf("strtoull(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestConfigLoadHostnames(t *testing.T) {
	// With resolve-hostnames (a pre-monitor setting, so its position does
	// not matter) names are accepted, even ones that do not resolve yet.
	c, _ := cfLoad(t, `
sentinel monitor m redis.example 6379 2
sentinel known-replica m not-yet-in-dns 6380
sentinel known-replica m ::ffff:10.0.0.1 6381
sentinel resolve-hostnames yes
`)
	m := c.Master("m")
	if m.Addr.Host != "redis.example" || m.Replicas["not-yet-in-dns:6380"] == nil {
		t.Fatalf("addr %v replicas %v", m.Addr, m.Replicas)
	}
	if m.Replicas["[::ffff:10.0.0.1]:6381"] == nil {
		t.Fatalf("IPv4-mapped replica not kept in its IPv6 form: %v", m.Replicas)
	}
}

func TestConfigEnsureMyIDAndStartupEvents(t *testing.T) {
	c, sh := cfLoad(t, "sentinel monitor b 127.0.0.1 6380 1\nsentinel monitor a 127.0.0.1 6379 2\n")
	c.EnsureMyID()
	if len(c.MyID) != 40 || strings.Trim(c.MyID, "0123456789abcdef") != "" {
		t.Fatalf("myid %q", c.MyID)
	}
	if !c.TakeDirty() {
		t.Fatal("a new id must be saved")
	}
	id := c.MyID
	c.EnsureMyID()
	if c.MyID != id || c.TakeDirty() {
		t.Fatal("an existing id must be kept")
	}
	// Two cores seeded alike get the same id; the rand is the only source.
	c2, _ := newCfCore(t)
	c2.EnsureMyID()
	if c2.MyID != id {
		t.Errorf("seeded ids differ: %s %s", c2.MyID, id)
	}
	c.StartupEvents()
	want := []string{
		"+monitor master a 127.0.0.1 6379 quorum 2",
		"+monitor master b 127.0.0.1 6380 quorum 1",
	}
	if got := sh.takeEvents(); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	c.StartupEvents()
	if ev := sh.events; ev == nil || ev[0].Level != LevelWarning || ev[0].Master != "a" || ev[0].Instance != c.Master("a") {
		t.Fatalf("event %+v", ev)
	}
}

// cfRewrite runs redisconf.Rewrite with c's sentinel lines over old and
// returns the new file text.
func cfRewrite(t testing.TB, c *Core, old string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	set, order := c.RewriteConfig()
	if err := redisconf.Rewrite(path, set, order); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cfObservedConf is the file a redis-sentinel 7.0.15 wrote after the first
// failover of the lab run in §5.3.
const cfObservedConf = `# my comment line
port 46501
bind 127.0.0.1
daemonize yes
pidfile "/var/lib/sentinel/pid"
logfile "/var/lib/sentinel/log.txt"
dir "/var/lib/sentinel"
sentinel monitor mymaster 127.0.0.1 46381 2
sentinel down-after-milliseconds mymaster 2000
sentinel failover-timeout mymaster 10000

# Generated by CONFIG REWRITE
protected-mode no
latency-tracking-info-percentiles 50 99 99.9
user default on nopass ~* &* +@all
sentinel myid 6e3eeee21921aa5ffcdf63f7ac48d476264893bd
sentinel config-epoch mymaster 7
sentinel leader-epoch mymaster 7
sentinel current-epoch 7

sentinel known-replica mymaster 127.0.0.1 46379

sentinel known-replica mymaster 127.0.0.1 46380

sentinel known-sentinel mymaster 127.0.0.1 46500 89bcf54ff5531b120b227dfaae50aa591db849aa

sentinel known-sentinel mymaster 127.0.0.1 46502 d105f30f2a566beb7791b8522f062b5b519df17c
`

func TestConfigRewriteObservedFile(t *testing.T) {
	// Loading what Redis wrote and writing it back changes nothing but a
	// blank line at the end: Redis's rewrite splits the old text on "\n"
	// and keeps the empty string after the last one as a line (which is
	// also where the blank lines between the appended lines come from).
	c, _ := cfLoad(t, cfObservedConf)
	if got := cfRewrite(t, c, cfObservedConf); got != cfObservedConf+"\n" {
		t.Fatalf("rewrite of an unchanged state changed the file:\n%s", got)
	}

	// A second failover, led by this sentinel, caught in reconf_slaves:
	// the monitor line names the promoted replica, its known-replica line
	// the old master; a new sentinel and epochs appear.
	m := c.Master("mymaster")
	promoted := m.Replicas["127.0.0.1:46380"]
	m.Flags |= FlagFailoverInProgress
	m.FailoverState = FailoverReconfSlaves
	m.PromotedReplica = promoted
	m.ConfigEpoch, m.LeaderEpoch, c.CurrentEpoch = 8, 8, 8
	s := c.newInstance(KindSentinel, "ffff0000ffff0000ffff0000ffff0000ffff0000", Addr{"127.0.0.1", 46503}, m, cfT0)
	s.RunID = s.Name
	c.newInstance(KindSentinel, "no-runid-yet", Addr{"127.0.0.1", 46504}, m, cfT0)
	want := strings.NewReplacer(
		"sentinel monitor mymaster 127.0.0.1 46381 2", "sentinel monitor mymaster 127.0.0.1 46380 2",
		"config-epoch mymaster 7", "config-epoch mymaster 8",
		"leader-epoch mymaster 7", "leader-epoch mymaster 8",
		"current-epoch 7", "current-epoch 8",
		"known-replica mymaster 127.0.0.1 46380", "known-replica mymaster 127.0.0.1 46381",
	).Replace(cfObservedConf) + "\nsentinel known-sentinel mymaster 127.0.0.1 46503 ffff0000ffff0000ffff0000ffff0000ffff0000\n"
	if got := cfRewrite(t, c, cfObservedConf); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// cfStartTestConf is the file of the tcl suite's start test: Redis's
// tests/sentinel/tests/includes/sentinel.conf plus what the harness
// appends. Its first lines (directives above monitor, comments) must keep
// their order through SENTINEL FLUSHCONFIG.
const cfStartTestConf = `# assume master is down after being unresponsive for 20s
sentinel down-after-milliseconds setmaster 20000
# reconfigure one slave at a time
sentinel parallel-syncs setmaster 2
# wait for 4m before assuming failover went wrong
sentinel failover-timeout setmaster 240000
# monitoring set
sentinel monitor setmaster 10.0.0.1 30000 2

port 20000
repl-diskless-sync-delay 0
dir ./sentinel_0
logfile log.txt
sentinel deny-scripts-reconfig no
enable-protected-configs yes
enable-debug-command yes
`

func TestConfigRewriteStartTestFile(t *testing.T) {
	c, _ := cfLoad(t, cfStartTestConf)
	c.EnsureMyID()
	want := cfStartTestConf + `
# Generated by CONFIG REWRITE
sentinel myid ` + c.MyID + `
sentinel config-epoch setmaster 0
sentinel leader-epoch setmaster 0
sentinel current-epoch 0
`
	got := cfRewrite(t, c, cfStartTestConf)
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	// A second flush only adds the trailing blank line (see
	// TestConfigRewriteObservedFile); after that the file is stable.
	again := cfRewrite(t, c, got)
	if again != got+"\n" {
		t.Fatalf("second rewrite:\n%s", again)
	}
	if third := cfRewrite(t, c, again); third != again {
		t.Fatalf("third rewrite changed the file:\n%s", third)
	}
}

func TestConfigRewriteLines(t *testing.T) {
	c, _ := cfLoad(t, `
sentinel monitor m 127.0.0.1 6379 2
sentinel monitor gone 127.0.0.1 7000 2
sentinel known-slave m 127.0.0.1 6380
sentinel deny-scripts-reconfig yes
sentinel rename-command m PING pong
sentinel rename-command m config cfg
sentinel auth-pass m "pass word"
sentinel myid 0123456789abcdef0123456789abcdef01234567
sentinel announce-ip 10.0.0.9
`)
	if err := c.Remove("gone"); err != nil {
		t.Fatal(err)
	}
	set, order := c.RewriteConfig()
	if len(order) != len(set) {
		t.Errorf("order has %d keys, set %d", len(order), len(set))
	}
	for _, k := range order {
		if _, ok := set[k]; !ok {
			t.Errorf("order key %q not in set", k)
		}
	}
	want := map[string][][]string{
		"sentinel myid":                  {{"0123456789abcdef0123456789abcdef01234567"}},
		"sentinel deny-scripts-reconfig": {{"yes"}}, // default, but in the file
		"sentinel monitor":               {{"m", "127.0.0.1", "6379", "2"}},
		"sentinel auth-pass":             {{"m", "pass word"}},
		"sentinel config-epoch":          {{"m", "0"}},
		"sentinel leader-epoch":          {{"m", "0"}},
		"sentinel known-replica":         {{"m", "127.0.0.1", "6380"}},
		"sentinel rename-command":        {{"m", "config", "cfg"}, {"m", "ping", "pong"}},
		"sentinel current-epoch":         {{"0"}},
		"sentinel announce-ip":           {{"10.0.0.9"}},
	}
	for k, v := range set {
		if !reflect.DeepEqual(v, want[k]) {
			t.Errorf("%s: got %q, want %q", k, v, want[k])
		}
	}

	old := "sentinel monitor m 127.0.0.1 6379 2\nsentinel monitor gone 127.0.0.1 7000 2\n" +
		"sentinel known-slave m 127.0.0.1 6380\nsentinel resolve-hostnames no\nsentinel announce-port 5\n"
	got := cfRewrite(t, c, old)
	// The removed master's monitor line, the legacy known-slave line, the
	// unset announce-port and the default resolve-hostnames (not loaded by
	// this core, so not known to be wanted) are deleted.
	wantFile := `sentinel monitor m 127.0.0.1 6379 2

# Generated by CONFIG REWRITE
sentinel myid 0123456789abcdef0123456789abcdef01234567
sentinel deny-scripts-reconfig yes
sentinel auth-pass m "pass word"
sentinel config-epoch m 0
sentinel leader-epoch m 0
sentinel known-replica m 127.0.0.1 6380
sentinel rename-command m config cfg
sentinel rename-command m ping pong
sentinel current-epoch 0
sentinel announce-ip 10.0.0.9
`
	if got != wantFile {
		t.Fatalf("got:\n%s\nwant:\n%s", got, wantFile)
	}

	// Non-default globals are written, and stay written once back at the
	// default (Redis rewrites a line it found in the file).
	c.ResolveHostnames = true
	set, _ = c.RewriteConfig()
	if !reflect.DeepEqual(set["sentinel resolve-hostnames"], [][]string{{"yes"}}) {
		t.Fatalf("resolve-hostnames: %q", set["sentinel resolve-hostnames"])
	}
	c.ResolveHostnames = false
	set, _ = c.RewriteConfig()
	if !reflect.DeepEqual(set["sentinel resolve-hostnames"], [][]string{{"no"}}) {
		t.Fatalf("resolve-hostnames back at default: %q", set["sentinel resolve-hostnames"])
	}
	if set["sentinel announce-hostnames"] != nil {
		t.Fatalf("announce-hostnames at default and never written: %q", set["sentinel announce-hostnames"])
	}
}

func TestConfigRewriteRoundTrip(t *testing.T) {
	c, _ := cfLoad(t, `
sentinel myid 0123456789abcdef0123456789abcdef01234567
sentinel monitor m 127.0.0.1 6379 2
sentinel monitor "with space" ::1 7000 3
sentinel down-after-milliseconds m 1234
sentinel failover-timeout m 4321
sentinel parallel-syncs m 0
sentinel notification-script m /scripts/n
sentinel client-reconfig-script "with space" /scripts/r
sentinel auth-pass m "p\"w"
sentinel auth-user m u
sentinel master-reboot-down-after-period m 77
sentinel down-after-refused-milliseconds m 300
sentinel config-epoch m 3
sentinel leader-epoch "with space" 4
sentinel known-replica m 127.0.0.1 6380
sentinel known-replica "with space" ::2 7001
sentinel known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel rename-command m SLAVEOF so
sentinel current-epoch 11
sentinel announce-ip "a b"
sentinel announce-port 1
sentinel sentinel-user x
sentinel sentinel-pass y
sentinel deny-scripts-reconfig no
sentinel announce-hostnames yes
`)
	text := cfRewrite(t, c, "")
	c2, _ := cfLoad(t, text)
	set1, _ := c.RewriteConfig()
	set2, _ := c2.RewriteConfig()
	if !reflect.DeepEqual(set1, set2) {
		t.Fatalf("reloaded state differs:\n%v\n%v\nfile:\n%s", set1, set2, text)
	}
	// Same lines; the rewrite only adds its trailing blank line.
	if got := cfRewrite(t, c2, text); got != text+"\n" {
		t.Fatalf("rewrite after reload changed the file:\n%s\nwas:\n%s", got, text)
	}
}

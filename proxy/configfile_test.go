package proxy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// minimalGroup is the smallest valid group, for tests that vary one key.
const minimalGroup = `groups:
  - name: mymaster
    write: 5000
    static:
      nodes: [127.0.0.1:6379]
`

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := parseConfig([]byte(text), "proxy.yaml", "/etc/warden")
	if err != nil {
		t.Fatalf("parseConfig:\n%s\nerror: %v", text, err)
	}
	return cfg
}

func TestConfigDefaults(t *testing.T) {
	cfg := mustParse(t, minimalGroup)
	yes := true
	want := &Config{
		HTTP:              "127.0.0.1:8404",
		Bind:              "127.0.0.1",
		MaxClients:        10000,
		ClientOutputLimit: 64 << 20,
		LogLevel:          "notice",
		Groups: []GroupConfig{{
			Name:  "mymaster",
			Write: "127.0.0.1:5000",
			Static: &StaticConfig{
				Nodes:    []string{"127.0.0.1:6379"},
				Interval: time.Second, Fall: 3, Rise: 2,
			},
			FailoverHold:          5 * time.Second,
			HoldQueue:             10000,
			MaxReplicaLag:         1 << 20,
			ReadBalance:           "round-robin",
			ReadFallback:          &yes,
			BackendConnectTimeout: time.Second,
			BackendReplyTimeout:   10 * time.Second,
		}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Normalize is not idempotent:\n got %+v\nwant %+v", cfg, want)
	}

	// DefaultConfig itself: every top-level default, no group.
	d := DefaultConfig()
	if d.HTTP != "127.0.0.1:8404" || d.Bind != "127.0.0.1" || d.MaxClients != 10000 ||
		d.ClientOutputLimit != 64<<20 || len(d.Groups) != 0 {
		t.Fatalf("DefaultConfig = %+v", d)
	}
}

func TestConfigEverySetting(t *testing.T) {
	cfg := mustParse(t, `
http: 127.0.0.1:9000
requirepass: s3cret
maxclients: 50
client-idle-timeout: 90s
client-output-limit: 1048576
bind: 0.0.0.0
logfile: logs/proxy.log
loglevel: warning
groups:
  - name: a
    write: 127.0.0.1:5000
    read: 5001
    smart: "[::1]:5006"
    embedded-sentinel:
      config: sentinel.conf
    node-user: proxy
    node-pass: np
    failover-hold: 1500ms
    hold-queue: 7
    max-replica-lag: 4096
    read-balance: least-outstanding
    read-fallback: false
    backend-connect-timeout: 250ms
    backend-reply-timeout: 1m
  - name: b
    write: 127.0.0.1:5002
    sentinels:
      addrs: [127.0.0.1:26379, "localhost:26380"]
      user: u
      pass: p
      poll-interval: 200ms
`)
	no := false
	if cfg.HTTP != "0.0.0.0:9000" && cfg.HTTP != "127.0.0.1:9000" {
		t.Errorf("http = %q", cfg.HTTP)
	}
	if cfg.RequirePass != "s3cret" || cfg.MaxClients != 50 || cfg.ClientIdleTimeout != 90*time.Second ||
		cfg.ClientOutputLimit != 1<<20 || cfg.Bind != "0.0.0.0" || cfg.LogLevel != "warning" {
		t.Errorf("top level = %+v", cfg)
	}
	if cfg.LogFile != "/etc/warden/logs/proxy.log" {
		t.Errorf("logfile = %q, want it relative to the config's directory", cfg.LogFile)
	}
	a := cfg.Groups[0]
	want := GroupConfig{
		Name: "a", Write: "127.0.0.1:5000", Read: "0.0.0.0:5001", Smart: "[::1]:5006",
		Embedded: &EmbeddedConfig{ConfigFile: "/etc/warden/sentinel.conf"},
		NodeUser: "proxy", NodePass: "np",
		FailoverHold: 1500 * time.Millisecond, HoldQueue: 7, MaxReplicaLag: 4096,
		ReadBalance: "least-outstanding", ReadFallback: &no,
		BackendConnectTimeout: 250 * time.Millisecond, BackendReplyTimeout: time.Minute,
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("group a:\n got %+v\nwant %+v", a, want)
	}
	b := cfg.Groups[1].Sentinels
	if !reflect.DeepEqual(b, &ExternalConfig{Addrs: []string{"127.0.0.1:26379", "localhost:26380"}, User: "u", Pass: "p",
		PollInterval: 200 * time.Millisecond}) {
		t.Errorf("group b sentinels = %+v", b)
	}
}

// TestConfigErrors covers every check: each case is a file and what its
// error must say, line included.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // substrings of the error
	}{
		{"empty file", ``, []string{"proxy.yaml: groups: no groups"}},
		{"no groups", "http: \"\"\ngroups: []\n", []string{"proxy.yaml:2: groups: no groups"}},
		{"unknown top key", "htpp: 1\n" + minimalGroup, []string{`proxy.yaml:1: htpp: unknown key "htpp"`}},
		{"unknown group key", minimalGroup + "    wirte: 5000\n", []string{`proxy.yaml:6: groups[0].wirte: unknown key "wirte"`}},
		{"unknown nested key", minimalGroup + "      nods: [a:1]\n", []string{`proxy.yaml:6: groups[0].static.nods: unknown key "nods"`}},
		{"key twice", "maxclients: 1\nmaxclients: 2\n" + minimalGroup, []string{`proxy.yaml:2: maxclients: key "maxclients" given twice (first at line 1)`}},
		{"duration without unit", minimalGroup + "    failover-hold: 5\n", []string{"proxy.yaml:6: groups[0].failover-hold: duration 5 needs a unit"}},
		{"bad duration", minimalGroup + "    failover-hold: 5x\n", []string{`proxy.yaml:6: groups[0].failover-hold: invalid duration "5x"`}},
		{"negative duration", minimalGroup + "    failover-hold: -1s\n", []string{"proxy.yaml:6: groups[0].failover-hold: negative duration -1s"}},
		{"negative idle timeout", "client-idle-timeout: -1s\n" + minimalGroup, []string{"proxy.yaml:1: client-idle-timeout: negative duration"}},
		{"bad int", "maxclients: many\n" + minimalGroup, []string{`proxy.yaml:1: maxclients: want an integer, not "many"`}},
		{"negative int", "maxclients: -1\n" + minimalGroup, []string{"proxy.yaml:1: maxclients: negative value -1"}},
		{"negative size", "client-output-limit: -5\n" + minimalGroup, []string{"client-output-limit: negative value -5"}},
		{"bad bool", minimalGroup + "    read-fallback: maybe\n", []string{`groups[0].read-fallback: want true or false, not "maybe"`}},
		{"list wanted", minimalGroup + "    sentinels: {addrs: 127.0.0.1:1}\n", []string{"want a list, not a string"}},
		{"syntax", "groups: [\n", []string{"proxy.yaml:"}},
		{"two documents", minimalGroup + "---\nhttp: x\n", []string{"more than one YAML document"}},
		{"bad loglevel", "loglevel: loud\n" + minimalGroup, []string{`proxy.yaml:1: loglevel: invalid log level "loud"`}},
		{"bad bind", "bind: 127.0.0.1:80\n" + minimalGroup, []string{`proxy.yaml:1: bind: invalid address "127.0.0.1:80"`}},
		{"bad http", "http: nowhere\n" + minimalGroup, []string{`proxy.yaml:1: http: invalid address "nowhere"`}},
		{"missing name", "groups:\n  - write: 5000\n    static: {nodes: [h:1]}\n", []string{"proxy.yaml:2: groups[0].name: missing"}},
		{"spaced name", "groups:\n  - name: my master\n    write: 5000\n    static: {nodes: [h:1]}\n", []string{`proxy.yaml:2: groups[0].name: invalid name "my master"`}},
		{"duplicate name", minimalGroup + "  - name: mymaster\n    write: 5002\n    static: {nodes: [h:1]}\n",
			[]string{`proxy.yaml:6: groups[1].name: name "mymaster" already used by groups[0]`}},
		{"missing write", "groups:\n  - name: m\n    read: 5001\n    static: {nodes: [h:1]}\n", []string{"proxy.yaml:2: groups[0].write: missing"}},
		{"bad port", "groups:\n  - name: m\n    write: 70000\n    static: {nodes: [h:1]}\n", []string{`proxy.yaml:3: groups[0].write: invalid port in "127.0.0.1:70000"`}},
		{"bad host", "groups:\n  - name: m\n    write: \"bad host:5000\"\n    static: {nodes: [h:1]}\n", []string{`groups[0].write: invalid host in "bad host:5000"`}},
		{"no source", "groups:\n  - name: m\n    write: 5000\n", []string{"proxy.yaml:2: groups[0]: no topology source"}},
		{"two sources", minimalGroup + "    sentinels: {addrs: [h:1]}\n", []string{"proxy.yaml:2: groups[0]: sentinels and static: set exactly one topology source"}},
		{"three sources", minimalGroup + "    sentinels: {addrs: [h:1]}\n    embedded-sentinel: {config: s.conf}\n",
			[]string{"embedded-sentinel and sentinels and static: set exactly one"}},
		{"embedded without config", "groups:\n  - name: m\n    write: 5000\n    embedded-sentinel: {}\n",
			[]string{"proxy.yaml:4: groups[0].embedded-sentinel.config: missing"}},
		{"no sentinels", "groups:\n  - name: m\n    write: 5000\n    sentinels: {addrs: []}\n", []string{"groups[0].sentinels.addrs: missing"}},
		{"bad sentinel", "groups:\n  - name: m\n    write: 5000\n    sentinels:\n      addrs:\n        - h:1\n        - 26379\n",
			[]string{`proxy.yaml:7: groups[0].sentinels.addrs[1]: invalid address "26379" (want host:port)`}},
		{"sentinel port 0", "groups:\n  - name: m\n    write: 5000\n    sentinels: {addrs: [\"h:0\"]}\n", []string{`invalid port in "h:0"`}},
		{"sentinel twice", "groups:\n  - name: m\n    write: 5000\n    sentinels: {addrs: [h:1, h:01]}\n", []string{"groups[0].sentinels.addrs[1]: sentinel h:1 listed twice"}},
		{"sentinel user without pass", "groups:\n  - name: m\n    write: 5000\n    sentinels: {addrs: [h:1], user: u}\n", []string{"groups[0].sentinels.user: user set without pass"}},
		{"negative poll", "groups:\n  - name: m\n    write: 5000\n    sentinels: {addrs: [h:1], poll-interval: -1s}\n", []string{"groups[0].sentinels.poll-interval: negative duration"}},
		{"no nodes", "groups:\n  - name: m\n    write: 5000\n    static: {}\n", []string{"groups[0].static.nodes: missing"}},
		{"node twice", "groups:\n  - name: m\n    write: 5000\n    static: {nodes: [h:1, h:1]}\n", []string{"groups[0].static.nodes[1]: node h:1 listed twice"}},
		{"negative fall", "groups:\n  - name: m\n    write: 5000\n    static: {nodes: [h:1], fall: -1}\n", []string{"groups[0].static.fall: negative value -1"}},
		{"negative rise", "groups:\n  - name: m\n    write: 5000\n    static: {nodes: [h:1], rise: -2}\n", []string{"groups[0].static.rise: negative value -2"}},
		{"negative interval", "groups:\n  - name: m\n    write: 5000\n    static: {nodes: [h:1], interval: -2s}\n", []string{"groups[0].static.interval: negative duration"}},
		{"node user without pass", minimalGroup + "    node-user: u\n", []string{"proxy.yaml:6: groups[0].node-user: node-user set without node-pass"}},
		{"negative hold queue", minimalGroup + "    hold-queue: -1\n", []string{"groups[0].hold-queue: negative value"}},
		{"negative lag", minimalGroup + "    max-replica-lag: -1\n", []string{"groups[0].max-replica-lag: negative value"}},
		{"bad balance", minimalGroup + "    read-balance: random\n", []string{`proxy.yaml:6: groups[0].read-balance: unknown policy "random" (want round-robin or least-outstanding)`}},
		{"negative connect timeout", minimalGroup + "    backend-connect-timeout: -1ms\n", []string{"groups[0].backend-connect-timeout: negative duration"}},
		{"negative reply timeout", minimalGroup + "    backend-reply-timeout: -1ms\n", []string{"groups[0].backend-reply-timeout: negative duration"}},
		{"write = read", "groups:\n  - name: m\n    write: 5000\n    read: 127.0.0.1:5000\n    static: {nodes: [h:1]}\n",
			[]string{"proxy.yaml:4: groups[0].read: address 127.0.0.1:5000 already used by groups[0].write"}},
		{"http = listener", "http: 127.0.0.1:5000\n" + minimalGroup, []string{"groups[0].write: address 127.0.0.1:5000 already used by http"}},
		{"wildcard clash", "requirepass: x\n" + minimalGroup + "    read: 0.0.0.0:5000\n", []string{"groups[0].read: address 0.0.0.0:5000 already used by groups[0].write"}},
		{"localhost clash", "groups:\n  - name: m\n    write: localhost:5000\n    read: 127.0.0.1:5000\n    static: {nodes: [h:1]}\n",
			[]string{"already used by groups[0].write"}},
		{"clash across groups", minimalGroup + "  - name: other\n    write: 127.0.0.1:5000\n    static: {nodes: [h:1]}\n",
			[]string{"groups[1].write: address 127.0.0.1:5000 already used by groups[0].write"}},
		{"unprotected bind", "bind: 0.0.0.0\n" + minimalGroup, []string{"groups[0].write: 0.0.0.0:5000 is not a loopback address and requirepass is not set"}},
		{"unprotected listener", "groups:\n  - name: m\n    write: 5000\n    read: 10.0.0.1:5001\n    static: {nodes: [h:1]}\n",
			[]string{"proxy.yaml:4: groups[0].read: 10.0.0.1:5001 is not a loopback address"}},
		{"unprotected all interfaces", "groups:\n  - name: m\n    write: \":5000\"\n    static: {nodes: [h:1]}\n",
			[]string{"groups[0].write: :5000 is not a loopback address"}},
		{"unprotected host name", "groups:\n  - name: m\n    write: 5000\n    smart: redis.example.com:5006\n    static: {nodes: [h:1]}\n",
			[]string{"groups[0].smart: redis.example.com:5006 is not a loopback address"}},
		{"several problems", "maxclients: -1\ngroups:\n  - name: m\n    write: 5000\n",
			[]string{"proxy.yaml:1: maxclients: negative value", "proxy.yaml:3: groups[0]: no topology source"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseConfig([]byte(c.text), "proxy.yaml", "/etc/warden")
			if err == nil {
				t.Fatalf("no error for:\n%s", c.text)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\ndoes not contain\n  %s", err, w)
				}
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("%T is not a *ConfigError", err)
			}
		})
	}
}

// TestConfigAccepted covers what the checks must let through.
func TestConfigAccepted(t *testing.T) {
	cases := []struct{ name, text string }{
		{"protected by requirepass", "bind: 0.0.0.0\nrequirepass: x\n" + minimalGroup},
		{"ipv6 loopback", "bind: \"::1\"\n" + minimalGroup},
		{"localhost", "groups:\n  - name: m\n    write: localhost:5000\n    static: {nodes: [h:1]}\n"},
		{"http off", "http: \"\"\n" + minimalGroup},
		{"http off the loopback", "http: 0.0.0.0:8404\n" + minimalGroup}, // no data behind it
		{"port 0 twice", "groups:\n  - name: m\n    write: 0\n    read: 0\n    static: {nodes: [h:1]}\n"},
		{"same port other hosts", "groups:\n  - name: m\n    write: 127.0.0.1:5000\n    read: 127.0.0.2:5000\n    static: {nodes: [h:1]}\n"},
		{"loglevel nothing", "loglevel: nothing\n" + minimalGroup},
		{"comments and flow style", "# c\n{groups: [{name: m, write: 5000, static: {nodes: ['h:1']}}]} # c\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { mustParse(t, c.text) })
	}
}

func TestConfigDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"500ms": 500 * time.Millisecond, "5s": 5 * time.Second, "1m30s": 90 * time.Second,
		"1.5s": 1500 * time.Millisecond, "\"2s\"": 2 * time.Second, "250us": 250 * time.Microsecond,
	} {
		cfg := mustParse(t, minimalGroup+"    failover-hold: "+in+"\n")
		if got := cfg.Groups[0].FailoverHold; got != want {
			t.Errorf("failover-hold %s = %v, want %v", in, got, want)
		}
	}
	// 0s is the default, not "no hold".
	if got := mustParse(t, minimalGroup+"    failover-hold: 0s\n").Groups[0].FailoverHold; got != 5*time.Second {
		t.Errorf("failover-hold 0s = %v, want the default 5s", got)
	}
}

func TestConfigBarePortTakesBind(t *testing.T) {
	cfg := mustParse(t, "bind: \"::1\"\nhttp: 8405\n"+minimalGroup+"    read: \"05001\"\n")
	g := cfg.Groups[0]
	if g.Write != "[::1]:5000" || g.Read != "[::1]:5001" || cfg.HTTP != "[::1]:8405" {
		t.Fatalf("write %q read %q http %q", g.Write, g.Read, cfg.HTTP)
	}
}

// TestNormalizeInCode: a Config built in code gets the same defaults and
// checks, with errors that name the key but no file.
func TestNormalizeInCode(t *testing.T) {
	cfg := &Config{Groups: []GroupConfig{{Name: "m", Write: "127.0.0.1:0", Sentinels: &ExternalConfig{Addrs: []string{"127.0.0.1:26379"}}}}}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP != "" {
		t.Errorf("http = %q: empty means off for a Config built in code", cfg.HTTP)
	}
	if cfg.MaxClients != 10000 || cfg.Groups[0].Sentinels.PollInterval != time.Second || *cfg.Groups[0].ReadFallback != true {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	bad := &Config{Groups: []GroupConfig{{Name: "m"}}}
	err := bad.Normalize()
	if err == nil || !strings.HasPrefix(err.Error(), "groups[0].write: missing") {
		t.Fatalf("err = %v", err)
	}
}

// TestExampleConfig loads configs/proxy.yaml, the documented example: it
// must stay valid and keep the seeds' layout.
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "configs", "proxy.yaml")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	type layout struct{ name, write, read, source string }
	var got []layout
	for _, g := range cfg.Groups {
		src := "static"
		if g.Embedded != nil {
			src = "embedded"
			abs, _ := filepath.Abs(filepath.Join("..", "configs", "sentinel-shard-a.conf"))
			if g.Embedded.ConfigFile != abs {
				t.Errorf("embedded config %q, want %q", g.Embedded.ConfigFile, abs)
			}
		} else if g.Sentinels != nil {
			src = "sentinels"
		}
		got = append(got, layout{g.Name, g.Write, g.Read, src})
	}
	want := []layout{
		{"shard-a", "127.0.0.1:5000", "127.0.0.1:5001", "embedded"},
		{"shard-b", "127.0.0.1:5002", "127.0.0.1:5003", "sentinels"},
		{"shard-c", "127.0.0.1:5004", "127.0.0.1:5005", "static"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("layout %v, want %v", got, want)
	}
	// The example documents the defaults: its explicit values are them.
	c := cfg.Groups[2]
	d := mustParse(t, minimalGroup).Groups[0]
	if c.FailoverHold != d.FailoverHold || c.HoldQueue != d.HoldQueue || c.MaxReplicaLag != d.MaxReplicaLag ||
		c.ReadBalance != d.ReadBalance || *c.ReadFallback != *d.ReadFallback ||
		c.BackendConnectTimeout != d.BackendConnectTimeout || c.BackendReplyTimeout != d.BackendReplyTimeout ||
		c.Static.Interval != d.Static.Interval || c.Static.Fall != d.Static.Fall || c.Static.Rise != d.Static.Rise {
		t.Errorf("the example's group settings differ from the defaults:\n%+v\n%+v", c, d)
	}
	def := DefaultConfig()
	if cfg.HTTP != def.HTTP || cfg.MaxClients != def.MaxClients || cfg.ClientOutputLimit != def.ClientOutputLimit || cfg.LogLevel != def.LogLevel {
		t.Errorf("the example's top-level settings differ from the defaults: %+v", cfg)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzLoadConfig: no input panics; an error always says something; an
// accepted config is stable under Normalize and survives being written
// back out as YAML and read again.
func FuzzLoadConfig(f *testing.F) {
	f.Add(minimalGroup)
	f.Add("http: \"\"\nbind: \"::1\"\nrequirepass: x\n" + minimalGroup + "    read: 0\n    smart: 0\n")
	if data, err := os.ReadFile(filepath.Join("..", "configs", "proxy.yaml")); err == nil {
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := parseConfig([]byte(text), "fuzz.yaml", "/base")
		if err != nil {
			for _, e := range splitErrors(err) {
				var ce *ConfigError
				if !errors.As(e, &ce) || ce.Msg == "" || ce.Line < 0 || ce.File != "fuzz.yaml" {
					t.Fatalf("bad error %#v", e)
				}
			}
			return
		}
		// A second copy, so that normalizing it again shares nothing
		// with cfg.
		again, err := parseConfig([]byte(text), "fuzz.yaml", "/base")
		if err != nil {
			t.Fatalf("second parse: %v", err)
		}
		if err := again.Normalize(); err != nil {
			t.Fatalf("Normalize of a normalized config: %v", err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("Normalize not idempotent:\n%+v\n%+v", again, cfg)
		}
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := parseConfig(out, "out.yaml", "/elsewhere")
		if err != nil {
			t.Fatalf("written back:\n%s\nerror: %v", out, err)
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("written back and read:\n%+v\nwant\n%+v\n%s", back, cfg, out)
		}
	})
}

package backend

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wardenhq/warden/internal/redisconf"
	"github.com/wardenhq/warden/internal/testutil"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	if err := os.WriteFile(inc, []byte("maxmemory-policy allkeys-lru\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := writeConf(t, `
# comment
bind 127.0.0.1 ::1
port 7000
protected-mode no
requirepass "pa ss"
databases 4
save 900 1
save 300 10
dir `+dir+`
dbfilename snap.rdb
appendonly yes
appendfsync always
maxmemory 100mb
maxmemory-samples 10
include `+inc+`
timeout 30
tcp-keepalive 60
hz 1000
notify-keyspace-events KEA
client-output-buffer-limit replica 1gb 512mb 30 pubsub 0 0 0
slowlog-log-slower-than -1
hash-max-ziplist-entries 64
list-max-ziplist-size 8
list-max-ziplist-entries 512
slaveof 10.1.2.3 6380
masterauth secret
replica-read-only no
repl-ping-slave-period 3
repl-timeout 20
repl-backlog-size 16mb
repl-backlog-ttl 0
repl-diskless-sync no
repl-diskless-sync-delay 0
repl-diskless-load swapdb
min-slaves-to-write 2
min-replicas-max-lag 5
slave-priority 0
replica-announce-ip 1.2.3.4
replica-announce-port 7777
replica-announced no
lazyfree-lazy-server-del yes
always-show-logo yes
rename-command FLUSHALL ""
`)
	core, logs := observer.New(zap.WarnLevel)
	o, err := LoadConfig(path, []string{"--port", "7001", "--save", "60 5", "--loglevel", "warning"}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	checks := []struct {
		name      string
		got, want any
	}{
		{"ConfigFile", o.ConfigFile, abs},
		{"Bind", strings.Join(o.Bind, ","), "127.0.0.1,::1"},
		{"Port (command line wins)", o.Port, 7001},
		{"ProtectedMode", o.ProtectedMode, false},
		{"RequirePass", o.RequirePass, "pa ss"},
		{"Databases", o.Databases, 4},
		// The file's save lines replace the defaults and accumulate; the
		// command line's replace them again (its first save line resets).
		{"Save", getSave(o), "900 1 300 10 60 5"},
		{"Dir", o.Dir, dir},
		{"DBFilename", o.DBFilename, "snap.rdb"},
		{"AppendOnly", o.AppendOnly, true},
		{"AppendFsync", o.AppendFsync, "always"},
		{"MaxMemory", o.MaxMemory, int64(100 << 20)},
		{"MaxMemSamples", o.MaxMemSamples, 10},
		{"MaxMemPolicy (include)", o.MaxMemPolicy, "allkeys-lru"},
		{"Timeout", o.Timeout, 30 * time.Second},
		{"TCPKeepAlive", o.TCPKeepAlive, 60 * time.Second},
		{"Hz (clamped)", o.Hz, 500},
		{"NotifyKeyspace", o.NotifyKeyspace, "AKE"},
		{"OutputLimits replica", o.OutputLimits[classReplica], OutputLimit{Hard: 1 << 30, Soft: 512 << 20, SoftSeconds: 30}},
		{"OutputLimits pubsub", o.OutputLimits[classPubsub], OutputLimit{}},
		{"OutputLimits normal", o.OutputLimits[classNormal], OutputLimit{}},
		{"SlowlogSlower", o.SlowlogSlower, int64(-1)},
		{"HashMaxListpackEntries (alias)", o.HashMaxListpackEntries, 64},
		{"ListMaxListpackSize (alias)", o.ListMaxListpackSize, 8},
		{"LogLevel", o.LogLevel, "warning"},
		{"MasterHost (slaveof)", o.MasterHost, "10.1.2.3"},
		{"MasterPort", o.MasterPort, 6380},
		{"MasterAuth", o.MasterAuth, "secret"},
		{"ReplicaReadOnly", o.ReplicaReadOnly, false},
		{"ReplPingPeriod (alias)", o.ReplPingPeriod, 3 * time.Second},
		{"ReplTimeout", o.ReplTimeout, 20 * time.Second},
		{"ReplBacklogSize", o.ReplBacklogSize, int64(16 << 20)},
		{"ReplBacklogTTL", o.ReplBacklogTTL, time.Duration(0)},
		{"ReplDisklessSync", o.ReplDisklessSync, false},
		{"ReplDisklessSyncDelay", o.ReplDisklessSyncDelay, time.Duration(0)},
		{"ReplDisklessLoad", o.ReplDisklessLoad, "swapdb"},
		{"MinReplicasToWrite (alias)", o.MinReplicasToWrite, 2},
		{"MinReplicasMaxLag", o.MinReplicasMaxLag, 5 * time.Second},
		{"ReplicaPriority (alias)", o.ReplicaPriority, 0},
		{"ReplicaAnnounceIP", o.ReplicaAnnounceIP, "1.2.3.4"},
		{"ReplicaAnnouncePort", o.ReplicaAnnouncePort, 7777},
		{"ReplicaAnnounced", o.ReplicaAnnounced, false},
		{"Extra lazyfree-lazy-server-del", o.Extra["lazyfree-lazy-server-del"], "yes"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	warned := map[string]bool{}
	for _, e := range logs.All() {
		warned[e.ContextMap()["directive"].(string)] = true
	}
	for _, name := range []string{"lazyfree-lazy-server-del", "always-show-logo", "rename-command"} {
		if !warned[name] {
			t.Errorf("no warning for ignored directive %s", name)
		}
	}
	for _, name := range []string{"port", "maxmemory", "list-max-ziplist-entries", "slaveof", "replicaof"} {
		if warned[name] {
			t.Errorf("warning for supported directive %s", name)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		text, reason string
		line         int
	}{
		{"port 7000\nnosuch-directive yes\n", "Bad directive or wrong number of arguments", 2},
		{"port\n", "wrong number of arguments", 1},
		{"port 1 2\n", "wrong number of arguments", 1},
		{"\n\nprotected-mode maybe\n", "argument must be 'yes' or 'no'", 3},
		{"maxmemory 10xb\n", "argument must be a memory value", 1},
		{"port 70000\n", "argument must be between 0 and 65535 inclusive", 1},
		{"maxmemory-policy lru\n", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction", 1},
		{"save 10\n", "Invalid save parameters", 1},
		{"replicaof host 99999\n", "Invalid master port", 1},
		{"sentinel monitor m 127.0.0.1 6379 2\n", "sentinel directive while not in sentinel mode", 1},
		{"rename-command GET\n", "Bad directive or wrong number of arguments", 1},
		{"notify-keyspace-events Q\n", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", 1},
		{"dir /nonexistent/dir\n", "No such file or directory", 1},
	} {
		path := writeConf(t, tc.text)
		_, err := LoadConfig(path, nil, nil)
		var le *redisconf.LineError
		if !errors.As(err, &le) {
			t.Errorf("%q: error %v, want a LineError", tc.text, err)
			continue
		}
		if le.Reason != tc.reason || le.Line != tc.line || le.File != path {
			t.Errorf("%q: got %s:%d %q, want line %d %q", tc.text, le.File, le.Line, le.Reason, tc.line, tc.reason)
		}
	}
	_, err := LoadConfig("", []string{"--bogus", "1"}, nil)
	var le *redisconf.LineError
	if !errors.As(err, &le) || le.File != redisconf.CommandLine || le.Reason != "Bad directive or wrong number of arguments" {
		t.Errorf("command line: %v", err)
	}
}

// TestConfigTable checks the table against itself: every default parses,
// every bound directive's default equals Redis's, every value round-trips.
func TestConfigTable(t *testing.T) {
	def := DefaultOptions()
	// Where warden deliberately differs from redis-server's compiled-in
	// default.
	differs := map[string]bool{
		"bind": true, // loopback only, as redis.conf ships it
		"dir":  true, // the current directory, made absolute
	}
	for _, d := range redisDirectives {
		if d.bind != nil && !differs[d.name] {
			if got := d.get(def); got != d.def {
				t.Errorf("%s: DefaultOptions gives %q, Redis's default is %q", d.name, got, d.def)
			}
		}
		o := cloneOptions(def)
		args := d.argsOf(d.get(o))
		if d.name == "dir" {
			args = []string{t.TempDir()}
		}
		before := d.get(o)
		if err := d.set(o, args); err != nil {
			t.Errorf("%s: its own value %q does not parse: %v", d.name, before, err)
		} else if after := d.get(o); after != before && d.name != "dir" {
			t.Errorf("%s: %q reads back as %q", d.name, before, after)
		}
	}
	for _, name := range []string{"slaveof", "repl-ping-slave-period", "min-slaves-to-write", "min-slaves-max-lag",
		"slave-priority", "slave-announce-ip", "slave-announce-port", "slave-read-only", "slave-serve-stale-data",
		"hash-max-ziplist-entries", "zset-max-ziplist-value", "list-max-ziplist-size"} {
		if d := lookupDirective(name); d == nil || d.bind == nil {
			t.Errorf("alias %s is not a supported directive", name)
		}
	}
	if len(directiveNames()) < 190 {
		t.Errorf("only %d directive names", len(directiveNames()))
	}
}

func TestConfigSetAtomicAndApply(t *testing.T) {
	s, addr := startTestServer(t, func(o *Options) { o.RequirePass = "pw" })
	c := testutil.Dial(t, addr)
	c.Do("AUTH", "pw")
	if r := c.Do("CONFIG", "SET", "maxmemory", "5mb", "hz", "0", "slowlog-max-len", "x"); !strings.HasPrefix(string(r), "-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len')") {
		t.Fatalf("bad value: %q", r)
	}
	s.Lock()
	mm, hz := s.opts.MaxMemory, s.opts.Hz
	s.Unlock()
	if mm != 0 || hz != 10 {
		t.Errorf("failed CONFIG SET changed maxmemory=%d hz=%d", mm, hz)
	}
	// Changing the listeners is refused and undone, with the other values.
	if r := c.Do("CONFIG", "SET", "maxmemory", "5mb", "port", "1"); !strings.Contains(string(r), "argument 'port'") {
		t.Errorf("CONFIG SET port: %q", r)
	}
	s.Lock()
	mm = s.opts.MaxMemory
	s.Unlock()
	if mm != 0 {
		t.Errorf("maxmemory changed by a failed CONFIG SET: %d", mm)
	}
	// Removing the password lets waiting connections in.
	other := testutil.Dial(t, addr)
	if r := other.Do("PING"); !strings.HasPrefix(string(r), "-NOAUTH") {
		t.Fatalf("PING before auth = %q", r)
	}
	c.Do("CONFIG", "SET", "requirepass", "")
	if r := other.Do("PING"); string(r) != "+PONG\r\n" {
		t.Errorf("PING after requirepass removed = %q", r)
	}
	if r := c.Do("CONFIG", "SET", "hz", "0"); string(r) != "+OK\r\n" {
		t.Errorf("hz 0: %q", r)
	}
	if r := c.Do("CONFIG", "GET", "hz"); string(r) != "*2\r\n$2\r\nhz\r\n$1\r\n1\r\n" {
		t.Errorf("hz clamped: %q", r)
	}
}

// TestLoadConfigSaveReset checks that save "" clears the save points of the
// file before it, from the file itself or the command line, as Redis does.
func TestLoadConfigSaveReset(t *testing.T) {
	path := writeConf(t, "save 900 1\nsave 300 10\n")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"file only", nil, 2},
		{"command line clears", []string{"--save", ""}, 0},
		{"command line clears then adds", []string{"--save", "", "--save", "60 5"}, 1},
	}
	for _, tt := range tests {
		opts, err := LoadConfig(path, tt.args, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(opts.Save) != tt.want {
			t.Errorf("%s: %d save points %v, want %d", tt.name, len(opts.Save), opts.Save, tt.want)
		}
	}
}

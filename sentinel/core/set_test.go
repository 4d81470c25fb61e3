package core

import (
	"reflect"
	"testing"
	"time"
)

func cfErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestConfigMonitorCommand(t *testing.T) {
	cases := []struct {
		name, host, port, quorum string
		resolve                  bool
		want                     string
	}{
		// Redis checks in this order: quorum is an integer, port is an
		// integer, quorum >= 1, host, port range, name.
		{"m", "127.0.0.1", "x", "y", false, "ERR Invalid quorum"},
		{"m", "nohost", "x", "0", false, "ERR Invalid port"},
		{"m", "nohost", "99999", "0", false, "ERR Quorum must be 1 or greater."},
		{"m", "nohost", "99999", "1", false, "ERR Invalid IP address or hostname specified"},
		{"m", "localhost", "6379", "1", false, "ERR Invalid IP address or hostname specified"},
		{"m", "nohost", "6379", "1", true, "ERR Invalid IP address or hostname specified"},
		{"m", "127.0.0.1", "99999", "1", false, "ERR Invalid port number."},
		{"m", "127.0.0.1", "-1", "1", false, "ERR Invalid port number."},
		{"m", "127.0.0.1", " 1", "1", false, "ERR Invalid port"},
		{"m", "127.0.0.1", "6379", "+1", false, "ERR Invalid quorum"},
		{"dup", "127.0.0.1", "6379", "1", false, "ERR Duplicate master name."},
		{"m", "localhost", "6379", "1", true, ""},
		{"m", "::1", "6379", "1", false, ""},
	}
	for _, tc := range cases {
		c, sh := newCfCore(t)
		c.ResolveHostnames = tc.resolve
		if err := c.Monitor("dup", "127.0.0.1", "1", "1", cfT0); err != nil {
			t.Fatal(err)
		}
		c.TakeDirty()
		sh.takeEvents()
		err := c.Monitor(tc.name, tc.host, tc.port, tc.quorum, cfT0)
		if got := cfErrText(err); got != tc.want {
			t.Errorf("MONITOR %s %s %s %s: got %q, want %q", tc.name, tc.host, tc.port, tc.quorum, got, tc.want)
			continue
		}
		if err != nil {
			if c.TakeDirty() || len(sh.events) > 0 || len(c.Masters) != 1 {
				t.Errorf("a refused MONITOR changed state")
			}
			continue
		}
		m := c.Master("m")
		if m == nil || m.Addr.Host != tc.host || m.Addr.Port != 6379 || m.Quorum != 1 {
			t.Fatalf("master %+v", m)
		}
		if !c.TakeDirty() {
			t.Error("MONITOR must save the config")
		}
		want := []string{"+monitor master m " + tc.host + " 6379 quorum 1"}
		if got := sh.takeEvents(); !reflect.DeepEqual(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
	}
}

func TestConfigRemoveCommand(t *testing.T) {
	c, sh := cfLoad(t, `
sentinel monitor m 127.0.0.1 6379 2
sentinel known-replica m 127.0.0.1 6380
sentinel known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
`)
	if err := c.Remove("nope"); cfErrText(err) != "ERR No such master with that name" {
		t.Fatalf("got %v", err)
	}
	m := c.Master("m")
	r := m.Replicas["127.0.0.1:6380"]
	if err := c.Remove("m"); err != nil {
		t.Fatal(err)
	}
	if got := sh.takeEvents(); !reflect.DeepEqual(got, []string{"-monitor master m 127.0.0.1 6379"}) {
		t.Fatalf("events %q", got)
	}
	if c.Master("m") != nil || !c.TakeDirty() || !m.Removed() || !r.Removed() {
		t.Fatal("master not forgotten")
	}
	// The master's, the replica's and the sentinel's links are closed.
	if len(sh.drops) != 3 {
		t.Fatalf("%d links dropped, want 3", len(sh.drops))
	}
}

func TestConfigSetCommand(t *testing.T) {
	load := func(t *testing.T) (*Core, *cfShell) {
		c, sh := cfLoad(t, `
sentinel monitor m 127.0.0.1 6379 2
sentinel known-replica m 127.0.0.1 6380
sentinel known-sentinel m 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel deny-scripts-reconfig no
`)
		return c, sh
	}
	errCases := []struct {
		args []string
		want string
	}{
		{[]string{"quorum", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'quorum'"},
		{[]string{"QUORUM", "x"}, "ERR Invalid argument 'x' for SENTINEL SET 'QUORUM'"},
		{[]string{"down-after-milliseconds", "-1"}, "ERR Invalid argument '-1' for SENTINEL SET 'down-after-milliseconds'"},
		{[]string{"failover-timeout", "1.5"}, "ERR Invalid argument '1.5' for SENTINEL SET 'failover-timeout'"},
		{[]string{"parallel-syncs", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'parallel-syncs'"},
		{[]string{"master-reboot-down-after-period", "-1"},
			"ERR Invalid argument '-1' for SENTINEL SET 'master-reboot-down-after-period'"},
		{[]string{"down-after-refused-milliseconds", "-1"},
			"ERR Invalid argument '-1' for SENTINEL SET 'down-after-refused-milliseconds'"},
		{[]string{"down-after-milliseconds", "9223372036854775807"},
			"ERR Invalid argument '9223372036854775807' for SENTINEL SET 'down-after-milliseconds'"},
		{[]string{"bogus", "1"}, "ERR Unknown option or number of arguments for SENTINEL SET 'bogus'"},
		{[]string{"quorum"}, "ERR Unknown option or number of arguments for SENTINEL SET 'quorum'"},
		{[]string{"rename-command", "PING"}, "ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'"},
		{[]string{"rename-command", "", "X"}, "ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{[]string{"rename-command", "PING", ""}, "ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{[]string{"notification-script", "/bin/nope"}, "ERR Notification script seems non existing or non executable"},
		{[]string{"client-reconfig-script", "/bin/nope"},
			"ERR Client reconfiguration script seems non existing or non executable"},
	}
	for _, tc := range errCases {
		c, sh := load(t)
		err := c.Set("m", tc.args, cfT0)
		if got := cfErrText(err); got != tc.want {
			t.Errorf("SET %q: got %q, want %q", tc.args, got, tc.want)
		}
		if c.TakeDirty() || len(sh.events) != 0 {
			t.Errorf("SET %q: refused alone but changed something", tc.args)
		}
	}
	if err := func() error { c, _ := load(t); return c.Set("x", []string{"quorum", "1"}, cfT0) }(); cfErrText(err) != "ERR No such master with that name" {
		t.Errorf("unknown master: %v", err)
	}

	t.Run("down-after-refused-milliseconds", func(t *testing.T) {
		c, sh := load(t)
		if err := c.Set("m", []string{"down-after-refused-milliseconds", "300"}, cfT0); err != nil {
			t.Fatal(err)
		}
		if c.Master("m").DownAfterRefused != 300*time.Millisecond || !c.TakeDirty() {
			t.Fatalf("fast path %v", c.Master("m").DownAfterRefused)
		}
		if got := sh.takeEvents(); !reflect.DeepEqual(got, []string{"+set master m 127.0.0.1 6379 down-after-refused-milliseconds 300"}) {
			t.Fatalf("events %q", got)
		}
		set, _ := c.RewriteConfig()
		if got := set["sentinel down-after-refused-milliseconds"]; !reflect.DeepEqual(got, [][]string{{"m", "300"}}) {
			t.Fatalf("rewrite %q", got)
		}
		if err := c.Set("m", []string{"down-after-refused-milliseconds", "0"}, cfT0); err != nil {
			t.Fatal(err)
		}
		if set, _ := c.RewriteConfig(); len(set["sentinel down-after-refused-milliseconds"]) != 0 {
			t.Fatalf("off, but still written: %q", set["sentinel down-after-refused-milliseconds"])
		}
	})

	t.Run("pairs before a bad one stay applied", func(t *testing.T) {
		c, sh := load(t)
		err := c.Set("m", []string{"quorum", "5", "failover-timeout", "60000", "parallel-syncs", "no", "quorum", "7"}, cfT0)
		if cfErrText(err) != "ERR Invalid argument 'no' for SENTINEL SET 'parallel-syncs'" {
			t.Fatalf("got %v", err)
		}
		m := c.Master("m")
		if m.Quorum != 5 || m.FailoverTimeout != time.Minute || !c.TakeDirty() {
			t.Fatalf("quorum %d timeout %v", m.Quorum, m.FailoverTimeout)
		}
		want := []string{
			"+set master m 127.0.0.1 6379 quorum 5",
			"+set master m 127.0.0.1 6379 failover-timeout 60000",
		}
		if got := sh.takeEvents(); !reflect.DeepEqual(got, want) {
			t.Fatalf("events %q", got)
		}
	})

	t.Run("every option", func(t *testing.T) {
		c, sh := load(t)
		m := c.Master("m")
		r := m.Replicas["127.0.0.1:6380"]
		s := m.Sentinels["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
		m.Link.CC, m.Link.PC, r.Link.CC, s.Link.CC = true, true, true, true
		args := []string{
			"Down-After-Milliseconds", "2500", "failover-timeout", "9000", "parallel-syncs", "4",
			"quorum", "3", "master-reboot-down-after-period", "0", "master-reboot-down-after-period", "700",
			"notification-script", "/scripts/n", "client-reconfig-script", "/scripts/r",
			"rename-command", "PING", "PONG", "rename-command", "CONFIG", "Config",
			"auth-pass", "s3cret", "auth-user", "alice",
		}
		if err := c.Set("m", args, cfT0); err != nil {
			t.Fatal(err)
		}
		if !c.TakeDirty() {
			t.Fatal("not dirty")
		}
		if m.DownAfter != 2500*time.Millisecond || r.DownAfter != m.DownAfter || s.DownAfter != m.DownAfter {
			t.Errorf("down-after %v %v %v", m.DownAfter, r.DownAfter, s.DownAfter)
		}
		if m.FailoverTimeout != 9*time.Second || m.ParallelSyncs != 4 || m.Quorum != 3 ||
			m.MasterRebootDownAfter != 700*time.Millisecond {
			t.Errorf("values %v %d %d %v", m.FailoverTimeout, m.ParallelSyncs, m.Quorum, m.MasterRebootDownAfter)
		}
		if m.NotificationScript != "/scripts/n" || m.ClientReconfigScript != "/scripts/r" ||
			m.AuthPass != "s3cret" || m.AuthUser != "alice" {
			t.Errorf("strings %q %q %q %q", m.NotificationScript, m.ClientReconfigScript, m.AuthPass, m.AuthUser)
		}
		// CONFIG renamed to itself (any case) is no renaming at all.
		if !reflect.DeepEqual(m.RenamedCommands, map[string]string{"ping": "PONG"}) {
			t.Errorf("renamed %v", m.RenamedCommands)
		}
		p := "+set master m 127.0.0.1 6379 "
		want := []string{
			p + "Down-After-Milliseconds 2500", p + "failover-timeout 9000", p + "parallel-syncs 4",
			p + "quorum 3", p + "master-reboot-down-after-period 0", p + "master-reboot-down-after-period 700",
			p + "notification-script /scripts/n", p + "client-reconfig-script /scripts/r",
			p + "rename-command PING PONG", p + "rename-command CONFIG Config",
			p + "auth-pass ******", p + "auth-user alice",
		}
		if got := sh.takeEvents(); !reflect.DeepEqual(got, want) {
			t.Fatalf("events:\n%q\nwant:\n%q", got, want)
		}
		// auth-pass and auth-user each dropped the master's and the
		// replica's links, never the sentinel's.
		if len(sh.drops) != 4 || sh.drops[0] != m.Link || sh.drops[1] != r.Link {
			t.Fatalf("drops %v", sh.drops)
		}
		if m.Link.CC || m.Link.PC || r.Link.CC || !s.Link.CC {
			t.Fatal("link state not updated")
		}
		// Empty values clear.
		if err := c.Set("m", []string{"auth-pass", "", "auth-user", "", "notification-script", "", "client-reconfig-script", ""}, cfT0); err != nil {
			t.Fatal(err)
		}
		if m.AuthPass != "" || m.AuthUser != "" || m.NotificationScript != "" || m.ClientReconfigScript != "" {
			t.Fatal("not cleared")
		}
		sh.takeEvents()
		// Renaming back to the original name removes the entry.
		if err := c.Set("m", []string{"rename-command", "ping", "PING"}, cfT0); err != nil || len(m.RenamedCommands) != 0 {
			t.Fatalf("%v %v", err, m.RenamedCommands)
		}
	})

	t.Run("deny-scripts-reconfig", func(t *testing.T) {
		c, _ := load(t)
		c.DenyScriptsReconfig = true
		want := "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"
		for _, opt := range []string{"notification-script", "client-reconfig-script"} {
			if err := c.Set("m", []string{opt, "/scripts/x"}, cfT0); cfErrText(err) != want {
				t.Errorf("%s: %v", opt, err)
			}
			// Also when clearing.
			if err := c.Set("m", []string{opt, ""}, cfT0); cfErrText(err) != want {
				t.Errorf("%s clear: %v", opt, err)
			}
		}
	})
}

func TestConfigConfigGetSet(t *testing.T) {
	c, sh := cfLoad(t, `
sentinel monitor a 127.0.0.1 6379 2
sentinel monitor b 127.0.0.1 7000 2
sentinel known-sentinel a 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel known-sentinel b 127.0.0.1 26380 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel known-sentinel b 127.0.0.1 26381 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
`)
	all := [][2]string{
		{"resolve-hostnames", "no"}, {"announce-hostnames", "no"}, {"announce-ip", ""},
		{"announce-port", "0"}, {"sentinel-user", ""}, {"sentinel-pass", ""},
	}
	if got := c.ConfigGet("*"); !reflect.DeepEqual(got, all) {
		t.Fatalf("GET *: %q", got)
	}
	if got := c.ConfigGet("ANNOUNCE-*"); !reflect.DeepEqual(got, all[1:4]) {
		t.Fatalf("GET ANNOUNCE-*: %q", got)
	}
	if got := c.ConfigGet("nothing"); len(got) != 0 {
		t.Fatalf("GET nothing: %q", got)
	}

	errs := []struct{ p, v, want string }{
		{"resolve-hostnames", "1", "ERR Invalid value '1' to SENTINEL CONFIG SET 'resolve-hostnames'"},
		{"Announce-Hostnames", "", "ERR Invalid value '' to SENTINEL CONFIG SET 'Announce-Hostnames'"},
		{"announce-port", "65536", "ERR Invalid value '65536' to SENTINEL CONFIG SET 'announce-port'"},
		{"announce-port", "-1", "ERR Invalid value '-1' to SENTINEL CONFIG SET 'announce-port'"},
		{"announce-port", "x", "ERR Invalid value 'x' to SENTINEL CONFIG SET 'announce-port'"},
		{"loglevel", "debug", "ERR Invalid argument 'loglevel' to SENTINEL CONFIG SET"},
	}
	for _, e := range errs {
		if got := cfErrText(c.ConfigSet(e.p, e.v)); got != e.want {
			t.Errorf("SET %s %s: %q, want %q", e.p, e.v, got, e.want)
		}
	}
	if c.TakeDirty() {
		t.Fatal("refused CONFIG SET marked dirty")
	}
	for _, kv := range [][2]string{
		{"RESOLVE-HOSTNAMES", "yes"}, {"announce-hostnames", "YES"}, {"announce-ip", "10.9.8.7"},
		{"announce-port", "26000"},
	} {
		if err := c.ConfigSet(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
		if !c.TakeDirty() {
			t.Fatalf("SET %s not saved", kv[0])
		}
	}
	if len(sh.drops) != 0 {
		t.Fatal("links dropped for a non-credential setting")
	}
	a := c.Master("a").Sentinels["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
	b := c.Master("b").Sentinels["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
	// Share a's link with b's entry for the same sentinel, as hello
	// processing would.
	a.Link.CC = true
	if !c.shareLink(b) || a.Link != b.Link {
		t.Fatal("link not shared")
	}
	sh.drops = nil // sharing released b's own link
	if err := c.ConfigSet("sentinel-user", "u"); err != nil {
		t.Fatal(err)
	}
	// Two distinct sentinel links: the shared one once, and bbbb's.
	if len(sh.drops) != 2 || a.Link.CC {
		t.Fatalf("drops %d", len(sh.drops))
	}
	if err := c.ConfigSet("sentinel-pass", "p"); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"resolve-hostnames", "yes"}, {"announce-hostnames", "yes"}, {"announce-ip", "10.9.8.7"},
		{"announce-port", "26000"}, {"sentinel-user", "u"}, {"sentinel-pass", "p"},
	}
	if got := c.ConfigGet("*"); !reflect.DeepEqual(got, want) {
		t.Fatalf("GET * after SET: %q", got)
	}
	if err := c.ConfigSet("sentinel-pass", ""); err != nil || c.SentinelPass != "" {
		t.Fatal("empty sentinel-pass must clear it")
	}
}

func TestConfigDebugCommand(t *testing.T) {
	c, _ := newCfCore(t)
	want := [][2]string{
		{"INFO-PERIOD", "10000"}, {"PING-PERIOD", "1000"}, {"ASK-PERIOD", "1000"}, {"PUBLISH-PERIOD", "2000"},
		{"DEFAULT-DOWN-AFTER", "30000"}, {"DEFAULT-FAILOVER-TIMEOUT", "180000"}, {"TILT-TRIGGER", "2000"},
		{"TILT-PERIOD", "30000"}, {"SLAVE-RECONF-TIMEOUT", "10000"}, {"MIN-LINK-RECONNECT-PERIOD", "15000"},
		{"ELECTION-TIMEOUT", "10000"}, {"SCRIPT-MAX-RUNTIME", "60000"}, {"SCRIPT-RETRY-DELAY", "30000"},
	}
	if got := c.DebugValues(); !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults %q", got)
	}
	var args []string
	for i, p := range debugParams {
		args = append(args, p.name, "1"+want[i][1])
	}
	if err := c.Debug(args); err != nil {
		t.Fatal(err)
	}
	for i, kv := range c.DebugValues() {
		if kv[1] != "1"+want[i][1] {
			t.Errorf("%s = %s after setting 1%s", kv[0], kv[1], want[i][1])
		}
	}
	if c.Timing.InfoPeriod != 110*time.Second || c.Timing.ScriptRetryDelay != 130*time.Second {
		t.Fatalf("timing %+v", c.Timing)
	}
	errs := []struct {
		args []string
		want string
	}{
		{[]string{"info-period", "0"}, "ERR Invalid argument '0' for SENTINEL DEBUG 'info-period'"},
		{[]string{"PING-PERIOD", "abc"}, "ERR Invalid argument 'abc' for SENTINEL DEBUG 'PING-PERIOD'"},
		{[]string{"nope", "1"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'nope'"},
		{[]string{"tilt-period"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'tilt-period'"},
		{[]string{"ask-period", "5", "tilt-period"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'tilt-period'"},
	}
	for _, e := range errs {
		if got := cfErrText(c.Debug(e.args)); got != e.want {
			t.Errorf("DEBUG %q: %q, want %q", e.args, got, e.want)
		}
	}
	// The pair before the bad one was applied.
	if c.Timing.AskPeriod != 5*time.Millisecond {
		t.Errorf("ask-period %v", c.Timing.AskPeriod)
	}
	// default-down-after applies to masters created afterwards.
	if err := c.Debug([]string{"default-down-after", "1234"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Monitor("m", "127.0.0.1", "6379", "1", cfT0); err != nil {
		t.Fatal(err)
	}
	if c.Master("m").DownAfter != 1234*time.Millisecond {
		t.Fatalf("new master down-after %v", c.Master("m").DownAfter)
	}
}

func TestConfigSimulateFailure(t *testing.T) {
	cases := []struct {
		args  []string
		help  bool
		err   string
		flags int
	}{
		{[]string{"crash-after-election"}, false, "", SimCrashAfterElection},
		{[]string{"CRASH-AFTER-PROMOTION", "crash-after-election"}, false, "", SimCrashAfterElection | SimCrashAfterPromotion},
		{[]string{"crash-after-promotion", "help", "bogus"}, true, "", SimCrashAfterPromotion},
		{[]string{"crash-after-election", "bogus"}, false, "ERR Unknown failure simulation specified", SimCrashAfterElection},
		{[]string{"Help"}, true, "", 0},
	}
	for _, tc := range cases {
		c, _ := newCfCore(t)
		c.SimFailure = SimCrashAfterElection | SimCrashAfterPromotion
		help, err := c.SetSimulateFailure(tc.args)
		if help != tc.help || cfErrText(err) != tc.err || c.SimFailure != tc.flags {
			t.Errorf("%q: help %v err %v flags %d", tc.args, help, err, c.SimFailure)
		}
	}
}

package core

import (
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/redisconf"
)

// ConfigError reports a `sentinel ...` directive LoadConfig rejected. Index
// is the directive's position in the slice given to LoadConfig, so the
// caller can name the file and line; Reason is Redis's own text for the
// problem (the last line of its FATAL CONFIG FILE ERROR banner).
type ConfigError struct {
	Index  int
	Reason string
}

func (e *ConfigError) Error() string { return e.Reason }

// Reasons LoadConfig gives, worded as sentinel.c words them so an operator
// sees the message they would get from redis-sentinel.
const (
	reasonNoMaster     = "No such master with specified name."
	reasonUnrecognized = "Unrecognized sentinel configuration statement."
	reasonBadQuorum    = "Quorum must be 1 or greater."
	reasonBadTime      = "negative or zero time parameter."
	reasonNegTime      = "negative time parameter."
	reasonBadMyID      = "Malformed Sentinel id in myid option."
	reasonRenamedTwice = "Same command renamed multiple times with rename-command."
	reasonNotifScript  = "Notification script seems non existing or non executable."
	reasonReconfScript = "Client reconfiguration script seems non existing or non executable."
	reasonDupMaster    = "Duplicate master name."
	reasonDupReplica   = "Duplicate hostname and port for replica."
	reasonDupSentinel  = "Duplicate runid for sentinel."
	reasonNoResolve    = "Can't resolve instance hostname."
	reasonBadPort      = "Invalid port number."
)

// preMonitor are the directives Redis applies before any `monitor` line,
// because monitor and the per-master lines depend on them (an announce or
// resolve-hostnames setting must be known before addresses are checked).
var preMonitor = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true,
	"myid": true, "resolve-hostnames": true, "announce-hostnames": true,
}

// LoadConfig applies the `sentinel ...` directives of a config file: each
// element of dirs is the words after "sentinel" on one line, in file order.
// Like Redis it applies them in three passes — the global settings of
// preMonitor, then every `monitor`, then the rest — so the order of lines
// in the file does not matter (a file may set down-after-milliseconds above
// the monitor line it refers to). The first bad directive stops the load
// with a *ConfigError; what was applied before it stays applied, which does
// not matter because the caller then exits, as redis-sentinel does.
// A bare `sentinel` line (no words) is skipped: Redis reads it as the
// switch into sentinel mode.
func (c *Core) LoadConfig(dirs [][]string, now time.Time) error {
	pass := func(i int) int {
		switch name := redisconf.LowerASCII(dirs[i][0]); {
		case preMonitor[name]:
			return 0
		case name == "monitor":
			return 1
		}
		return 2
	}
	for p := 0; p < 3; p++ {
		for i, args := range dirs {
			if len(args) == 0 || pass(i) != p {
				continue
			}
			if reason := c.applyDirective(args, now); reason != "" {
				return &ConfigError{Index: i, Reason: reason}
			}
		}
	}
	return nil
}

// applyDirective applies one directive and returns "" or the reason it was
// refused. Numbers are read with C's atoi/strtoull, as Redis reads them, so
// the same files load with the same values ("2x" is 2, "x" is 0).
func (c *Core) applyDirective(args []string, now time.Time) string {
	name := redisconf.LowerASCII(args[0])
	n := len(args)
	// The per-master directives all start with the master's name.
	var m *Instance
	if n >= 2 {
		m = c.Masters[args[1]]
	}
	switch {
	case name == "monitor" && n == 5:
		quorum := atoi(args[4])
		if quorum <= 0 {
			return reasonBadQuorum
		}
		addr, reason := c.configAddr(args[2], atoi(args[3]))
		if reason != "" {
			return reason
		}
		if c.Masters[args[1]] != nil {
			return reasonDupMaster
		}
		nm := c.newInstance(KindMaster, args[1], addr, nil, now)
		nm.Quorum = quorum
		c.Masters[nm.Name] = nm

	case name == "down-after-milliseconds" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		ms := atoi(args[2])
		if ms <= 0 {
			return reasonBadTime
		}
		c.setDownAfter(m, time.Duration(ms)*time.Millisecond)

	case name == "failover-timeout" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		ms := atoi(args[2])
		if ms <= 0 {
			return reasonBadTime
		}
		m.FailoverTimeout = time.Duration(ms) * time.Millisecond

	case name == "parallel-syncs" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		// Redis takes any number here, zero and negative included.
		m.ParallelSyncs = atoi(args[2])

	case name == "notification-script" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		if !c.Executable(args[2]) {
			return reasonNotifScript
		}
		m.NotificationScript = args[2]

	case name == "client-reconfig-script" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		if !c.Executable(args[2]) {
			return reasonReconfScript
		}
		m.ClientReconfigScript = args[2]

	case name == "auth-pass" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		m.AuthPass = args[2]

	case name == "auth-user" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		m.AuthUser = args[2]

	case name == "down-after-refused-milliseconds" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		ms := atoi(args[2])
		if ms < 0 {
			return reasonNegTime
		}
		m.DownAfterRefused = time.Duration(ms) * time.Millisecond

	case name == "master-reboot-down-after-period" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		ms := atoi(args[2])
		if ms < 0 {
			return reasonNegTime
		}
		m.MasterRebootDownAfter = time.Duration(ms) * time.Millisecond

	case name == "current-epoch" && n == 2:
		// The highest value wins: config-epoch lines may already have
		// raised it.
		if e := strtoull(args[1]); e > c.CurrentEpoch {
			c.CurrentEpoch = e
		}

	case name == "myid" && n == 2:
		if len(args[1]) != 40 {
			return reasonBadMyID
		}
		c.MyID = args[1]

	case name == "config-epoch" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		m.ConfigEpoch = strtoull(args[2])
		// A configuration this new cannot come from an older epoch.
		if m.ConfigEpoch > c.CurrentEpoch {
			c.CurrentEpoch = m.ConfigEpoch
		}

	case name == "leader-epoch" && n == 3:
		if m == nil {
			return reasonNoMaster
		}
		m.LeaderEpoch = strtoull(args[2])

	case (name == "known-replica" || name == "known-slave") && n == 4:
		if m == nil {
			return reasonNoMaster
		}
		addr, reason := c.configAddr(args[2], atoi(args[3]))
		if reason != "" {
			return reason
		}
		if m.Replicas[addr.String()] != nil {
			return reasonDupReplica
		}
		c.newInstance(KindReplica, addr.String(), addr, m, now)

	case name == "known-sentinel" && (n == 4 || n == 5):
		// The old form without a runid is accepted and ignored: such a
		// sentinel cannot be told apart from a new one anyway.
		if n == 4 {
			break
		}
		if m == nil {
			return reasonNoMaster
		}
		addr, reason := c.configAddr(args[2], atoi(args[3]))
		if reason != "" {
			return reason
		}
		runid := args[4]
		if m.Sentinels[runid] != nil {
			return reasonDupSentinel
		}
		si := c.newInstance(KindSentinel, runid, addr, m, now)
		si.RunID = runid
		c.shareLink(si)

	case name == "rename-command" && n == 4:
		if m == nil {
			return reasonNoMaster
		}
		// Commands are matched case-insensitively, so PING and ping are
		// the same command renamed twice.
		key := redisconf.LowerASCII(args[2])
		if _, dup := m.RenamedCommands[key]; dup {
			return reasonRenamedTwice
		}
		m.RenamedCommands[key] = args[3]

	case name == "announce-ip" && n == 2:
		if args[1] != "" {
			c.AnnounceIP = args[1]
		}

	case name == "announce-port" && n == 2:
		// Unchecked, as in Redis.
		c.AnnouncePort = atoi(args[1])

	case name == "deny-scripts-reconfig" && n == 2:
		v, err := redisconf.ParseBool(args[1])
		if err != nil {
			return "Please specify yes or no for the deny-scripts-reconfig options."
		}
		c.DenyScriptsReconfig = v
		c.keepConf("deny-scripts-reconfig")

	case name == "sentinel-user" && n == 2:
		if args[1] != "" {
			c.SentinelUser = args[1]
		}

	case name == "sentinel-pass" && n == 2:
		if args[1] != "" {
			c.SentinelPass = args[1]
		}

	case name == "resolve-hostnames" && n == 2:
		v, err := redisconf.ParseBool(args[1])
		if err != nil {
			return "Please specify yes or no for the resolve-hostnames option."
		}
		c.ResolveHostnames = v
		c.keepConf("resolve-hostnames")

	case name == "announce-hostnames" && n == 2:
		v, err := redisconf.ParseBool(args[1])
		if err != nil {
			return "Please specify yes or no for the announce-hostnames option."
		}
		c.AnnounceHostnames = v
		c.keepConf("announce-hostnames")

	default:
		return reasonUnrecognized
	}
	return ""
}

// configAddr checks an address from the config file as Redis's
// createSentinelAddr does for it: the port first, then the host, which
// must be an IP unless resolve-hostnames is on; with it on, a name that
// does not resolve yet is still accepted (DNS may be down at boot, and the
// name is resolved again on every connect).
func (c *Core) configAddr(host string, port int) (Addr, string) {
	if port < 0 || port > 65535 {
		return Addr{}, reasonBadPort
	}
	h, ok := c.checkHost(host, true)
	if !ok {
		return Addr{}, reasonNoResolve
	}
	return Addr{Host: h, Port: port}, ""
}

// checkHost validates a host and returns the form to store: an IP in its
// canonical text (Redis prints addresses back through inet_ntop), or a
// hostname as given when resolve-hostnames allows names. With
// acceptUnresolved false a name must resolve now (SENTINEL MONITOR).
func (c *Core) checkHost(host string, acceptUnresolved bool) (string, bool) {
	if ip, ok := canonicalIP(host); ok {
		return ip, true
	}
	if !c.ResolveHostnames {
		return "", false
	}
	if _, err := c.Resolve(host); err != nil && !acceptUnresolved {
		return "", false
	}
	return host, true
}

// canonicalIP is inet_ntop(inet_pton(host)): IPv4 dotted, IPv6 compressed,
// and an IPv4-mapped IPv6 address kept in its ::ffff:a.b.c.d form, which
// Go would otherwise print as plain IPv4.
func canonicalIP(host string) (string, bool) {
	ip := net.ParseIP(host)
	if ip == nil {
		return "", false
	}
	if v4 := ip.To4(); v4 != nil && strings.Contains(host, ":") {
		return "::ffff:" + v4.String(), true
	}
	return ip.String(), true
}

// setDownAfter sets a master's down-after period and copies it to its
// replicas and sentinels, whose SDOWN checks use their own copy.
func (c *Core) setDownAfter(m *Instance, d time.Duration) {
	m.DownAfter = d
	for _, r := range m.Replicas {
		r.DownAfter = d
	}
	for _, s := range m.Sentinels {
		s.DownAfter = d
	}
}

// keepConf records that key is now in sentinel.conf (see confKeep).
func (c *Core) keepConf(key string) {
	if c.confKeep == nil {
		c.confKeep = make(map[string]bool)
	}
	c.confKeep[key] = true
}

// rewriteOrder is the order in which Redis's rewriteConfigSentinelOption
// emits its lines; redisconf.Rewrite appends new lines in key order, so a
// freshly written file reads like one redis-sentinel writes. (Redis emits
// all lines of one master before the next master's; with per-key grouping
// several masters' appended lines come key by key instead.)
var rewriteOrder = []string{
	"sentinel myid",
	"sentinel deny-scripts-reconfig",
	"sentinel resolve-hostnames",
	"sentinel announce-hostnames",
	"sentinel monitor",
	"sentinel down-after-milliseconds",
	"sentinel failover-timeout",
	"sentinel parallel-syncs",
	"sentinel notification-script",
	"sentinel client-reconfig-script",
	"sentinel auth-pass",
	"sentinel auth-user",
	"sentinel master-reboot-down-after-period",
	"sentinel down-after-refused-milliseconds",
	"sentinel config-epoch",
	"sentinel leader-epoch",
	"sentinel known-replica",
	"sentinel known-sentinel",
	"sentinel rename-command",
	"sentinel current-epoch",
	"sentinel announce-ip",
	"sentinel announce-port",
	"sentinel sentinel-user",
	"sentinel sentinel-pass",
	"sentinel known-slave",
}

// RewriteConfig returns the sentinel part of a CONFIG REWRITE, as input for
// redisconf.Rewrite: for each "sentinel <directive>" key the lines it must
// have (arguments after the two key words), and the key order. Every key
// is present; a key with no lines deletes stale lines of that kind (a
// removed master's monitor line, a forgotten replica). What is written
// follows §5.3: monitor with the current master address (the promoted
// replica during the leader's reconfiguration), per-master settings only
// when they differ from the defaults, epochs always, one known-replica per
// replica (the old master's address for the one at the current master
// address, so a restart mid-failover still knows the old master), one
// known-sentinel per sentinel whose runid is known.
//
// deny-scripts-reconfig, resolve-hostnames and announce-hostnames are
// written when not at their defaults or when already in the file, as
// Redis's non-forced rewrite does. Legacy "sentinel known-slave" lines are
// deleted (their replicas are written as known-replica): Redis 7.0 keeps
// them next to the new known-replica lines, which makes the next start
// fail on a duplicate replica, and 7.2 rewrites them in place.
//
// It records the flags it writes as being in the file from then on, so it
// is meant to be called for a save, not to peek at the state.
func (c *Core) RewriteConfig() (set map[string][][]string, order []string) {
	set = make(map[string][][]string, len(rewriteOrder))
	for _, k := range rewriteOrder {
		set[k] = nil
	}
	add := func(key string, args ...string) {
		set["sentinel "+key] = append(set["sentinel "+key], args)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

	// Before EnsureMyID there is no id, and an empty one would not load.
	if c.MyID != "" {
		add("myid", c.MyID)
	}
	flag := func(key string, v, def bool) {
		if v != def {
			c.keepConf(key)
		}
		if c.confKeep[key] {
			add(key, redisconf.FormatBool(v))
		}
	}
	flag("deny-scripts-reconfig", c.DenyScriptsReconfig, true)
	flag("resolve-hostnames", c.ResolveHostnames, false)
	flag("announce-hostnames", c.AnnounceHostnames, false)

	for _, m := range c.MasterList() {
		cur := m.CurrentMasterAddr()
		add("monitor", m.Name, c.announcedHost(cur), strconv.Itoa(cur.Port), strconv.Itoa(m.Quorum))
		if m.DownAfter != c.Timing.DefaultDownAfter {
			add("down-after-milliseconds", m.Name, ms(m.DownAfter))
		}
		if m.FailoverTimeout != c.Timing.DefaultFailoverTimeout {
			add("failover-timeout", m.Name, ms(m.FailoverTimeout))
		}
		if m.ParallelSyncs != DefaultParallelSyncs {
			add("parallel-syncs", m.Name, strconv.Itoa(m.ParallelSyncs))
		}
		if m.NotificationScript != "" {
			add("notification-script", m.Name, m.NotificationScript)
		}
		if m.ClientReconfigScript != "" {
			add("client-reconfig-script", m.Name, m.ClientReconfigScript)
		}
		if m.AuthPass != "" {
			add("auth-pass", m.Name, m.AuthPass)
		}
		if m.AuthUser != "" {
			add("auth-user", m.Name, m.AuthUser)
		}
		if m.MasterRebootDownAfter != 0 {
			add("master-reboot-down-after-period", m.Name, ms(m.MasterRebootDownAfter))
		}
		if m.DownAfterRefused != 0 {
			add("down-after-refused-milliseconds", m.Name, ms(m.DownAfterRefused))
		}
		add("config-epoch", m.Name, u(m.ConfigEpoch))
		add("leader-epoch", m.Name, u(m.LeaderEpoch))
		for _, r := range sortedInstances(m.Replicas) {
			a := r.Addr
			if a.Port == cur.Port && redisconf.LowerASCII(a.Host) == redisconf.LowerASCII(cur.Host) {
				a = m.Addr
			}
			add("known-replica", m.Name, c.announcedHost(a), strconv.Itoa(a.Port))
		}
		for _, s := range sortedInstances(m.Sentinels) {
			if s.RunID == "" {
				continue
			}
			add("known-sentinel", m.Name, c.announcedHost(s.Addr), strconv.Itoa(s.Addr.Port), s.RunID)
		}
		cmds := make([]string, 0, len(m.RenamedCommands))
		for k := range m.RenamedCommands {
			cmds = append(cmds, k)
		}
		sort.Strings(cmds)
		for _, k := range cmds {
			add("rename-command", m.Name, k, m.RenamedCommands[k])
		}
	}

	add("current-epoch", u(c.CurrentEpoch))
	if c.AnnounceIP != "" {
		add("announce-ip", c.AnnounceIP)
	}
	if c.AnnouncePort != 0 {
		add("announce-port", strconv.Itoa(c.AnnouncePort))
	}
	if c.SentinelUser != "" {
		add("sentinel-user", c.SentinelUser)
	}
	if c.SentinelPass != "" {
		add("sentinel-pass", c.SentinelPass)
	}
	return set, append([]string(nil), rewriteOrder...)
}

// EnsureMyID gives the sentinel a random 40-hex-character id when the
// config had none, and marks the config dirty so the id is saved at once:
// peers know this sentinel by it across restarts.
func (c *Core) EnsureMyID() {
	if c.MyID != "" {
		return
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 40)
	for i := range b {
		b[i] = hex[c.rand.Intn(16)]
	}
	c.MyID = string(b)
	c.markDirty()
}

// StartupEvents publishes +monitor for every configured master, as Redis
// does once it is running, so subscribers and notification scripts learn
// what this sentinel watches.
func (c *Core) StartupEvents() {
	for _, m := range c.MasterList() {
		c.event(LevelWarning, "+monitor", m, "quorum "+strconv.Itoa(m.Quorum))
	}
}

// Master returns the master monitored under name (names are
// case-sensitive), or nil.
func (c *Core) Master(name string) *Instance { return c.Masters[name] }

// MasterList returns the monitored masters sorted by name. Redis lists
// them in hash-table order, which no client may rely on; a fixed order
// keeps replies and rewrites stable.
func (c *Core) MasterList() []*Instance { return sortedInstances(c.Masters) }

// atoi is C's atoi as glibc has it: strtol in base 10 (leading white
// space, an optional sign, digits up to the first other byte, 0 when there
// are none, saturating at the 64-bit range) truncated to a 32-bit int.
// Redis reads most numbers of sentinel.conf this way.
func atoi(s string) int {
	neg, digits := cNumber(s)
	var v int64
	for i := 0; i < len(digits); i++ {
		d := int64(digits[i] - '0')
		if !neg && v > (math.MaxInt64-d)/10 {
			v = math.MaxInt64
			break
		}
		if neg && v < (math.MinInt64+d)/10 {
			v = math.MinInt64
			break
		}
		if neg {
			v = v*10 - d
		} else {
			v = v*10 + d
		}
	}
	return int(int32(v))
}

// strtoull is C's strtoull in base 10: like atoi's parsing, saturating at
// the uint64 maximum, and a leading '-' negating the result modulo 2^64.
// Redis reads the epochs of sentinel.conf this way.
func strtoull(s string) uint64 {
	neg, digits := cNumber(s)
	var v uint64
	for i := 0; i < len(digits); i++ {
		d := uint64(digits[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return math.MaxUint64
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v
}

// cNumber splits the start of s as strtol sees it: white space skipped, a
// sign, and the run of decimal digits that follows.
func cNumber(s string) (neg bool, digits string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return neg, s[i:j]
}

package sentinel

import (
	"strings"
	"time"

	"github.com/wardenhq/warden/backend"
	"github.com/wardenhq/warden/sentinel/core"
)

// Reply texts of the SENTINEL commands that are the shell's own (the
// core's methods return theirs).
const (
	errSaveConfig  = "ERR Failed to save config file. Check server logs."
	errOnlyHello   = "ERR Only HELLO messages are accepted by Sentinel instances."
	errConfigForms = "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
	errNotInt      = "ERR value is not an integer or out of range"
)

// sentinelHelp is SENTINEL HELP's text (redis-sentinel 7.0).
var sentinelHelp = []string{
	"CKQUORUM <master-name>",
	"    Check if the current Sentinel configuration is able to reach the quorum",
	"    needed to failover a master and the majority needed to authorize the",
	"    failover.",
	"CONFIG SET <param> <value>",
	"    Set a global Sentinel configuration parameter.",
	"CONFIG GET <param>",
	"    Get global Sentinel configuration parameter.",
	"DEBUG [<param> <value> ...]",
	"    Show a list of configurable time parameters and their values (milliseconds).",
	"    Or update current configurable parameters values (one or more).",
	"GET-MASTER-ADDR-BY-NAME <master-name>",
	"    Return the ip and port number of the master with that name.",
	"FAILOVER <master-name>",
	"    Manually failover a master node without asking for agreement from other",
	"    Sentinels",
	"FLUSHCONFIG",
	"    Force Sentinel to rewrite its configuration on disk, including the current",
	"    Sentinel state.",
	"INFO-CACHE <master-name>",
	"    Return last cached INFO output from masters and all its replicas.",
	"IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
	"    Check if the master specified by ip:port is down from current Sentinel's",
	"    point of view.",
	"MASTER <master-name>",
	"    Show the state and info of the specified master.",
	"MASTERS",
	"    Show a list of monitored masters and their state.",
	"MONITOR <name> <ip> <port> <quorum>",
	"    Start monitoring a new master with the specified name, ip, port and quorum.",
	"MYID",
	"    Return the ID of the Sentinel instance.",
	"PENDING-SCRIPTS",
	"    Get pending scripts information.",
	"REMOVE <master-name>",
	"    Remove master from Sentinel's monitor list.",
	"REPLICAS <master-name>",
	"    Show a list of replicas for this master and their state.",
	"RESET <pattern>",
	"    Reset masters for specific master name matching this pattern.",
	"SENTINELS <master-name>",
	"    Show a list of Sentinel instances for this master and their state.",
	"SET <master-name> <option> <value> [<option> <value> ...]",
	"    Set configuration parameters for certain masters.",
	"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
	"    Simulate a Sentinel crash.",
}

// register installs the sentinel's commands and INFO section on the client
// port. Their table entries (arity, flags, group, since, summary) are
// redis-sentinel 7.0's, so COMMAND INFO/DOCS and the arity errors match;
// the ACL categories follow from the flags (admin → @admin @dangerous,
// no fast → @slow).
func (s *Sentinel) register() {
	sub := func(name string, arity int, since, summary string, proc func(*backend.Client)) *backend.Command {
		return &backend.Command{Name: "sentinel|" + name, Arity: arity, Flags: backend.FlagAdmin,
			Group: "sentinel", Since: since, Summary: summary, Proc: proc}
	}
	help := sub("help", 2, "6.2.0", "Show helpful text about the different subcommands", s.cmdHelp)
	help.Flags = backend.FlagLoading | backend.FlagStale
	subs := []*backend.Command{
		sub("ckquorum", 3, "2.8.4", "Check for a Sentinel quorum", s.cmdCKQuorum),
		sub("config", -3, "6.2.0", "Configure Sentinel", s.cmdConfig),
		sub("debug", -2, "7.0.0", "List or update the current configurable parameters", s.cmdDebug),
		sub("failover", 3, "2.8.4", "Force a failover", s.cmdFailover),
		sub("flushconfig", 2, "2.8.4", "Rewrite configuration file", s.cmdFlushConfig),
		sub("get-master-addr-by-name", 3, "2.8.4", "Get port and address of a master", s.cmdGetMasterAddr),
		help,
		sub("info-cache", -3, "3.2.0", "Get cached INFO from the instances in the deployment", s.cmdInfoCache),
		sub("is-master-down-by-addr", 6, "2.8.4", "Check if a master is down", s.cmdIsMasterDown),
		sub("master", 3, "2.8.4", "Shows the state of a master", s.cmdMaster),
		sub("masters", 2, "2.8.4", "List the monitored masters", s.cmdMasters),
		sub("monitor", 6, "2.8.4", "Start monitoring", s.cmdMonitor),
		sub("myid", 2, "6.2.0", "Get the Sentinel instance ID", s.cmdMyID),
		sub("pending-scripts", 2, "2.8.4", "Get information about pending scripts", s.cmdPendingScripts),
		sub("remove", 3, "2.8.4", "Stop monitoring", s.cmdRemove),
		sub("replicas", 3, "5.0.0", "List the monitored replicas", s.cmdReplicas),
		sub("reset", 3, "2.8.4", "Reset masters by name pattern", s.cmdReset),
		sub("sentinels", 3, "2.8.4", "List the Sentinel instances", s.cmdSentinels),
		sub("set", -5, "2.8.4", "Change the configuration of a monitored master", s.cmdSet),
		sub("simulate-failure", -3, "3.2.0", "Simulate failover scenarios", s.cmdSimulateFailure),
		sub("slaves", 3, "2.8.0", "List the monitored slaves", s.cmdReplicas),
	}
	table := make(map[string]*backend.Command, len(subs))
	for _, c := range subs {
		table[strings.TrimPrefix(c.Name, "sentinel|")] = c
	}
	s.srv.RegisterCommand(&backend.Command{Name: "sentinel", Arity: -2, Flags: backend.FlagAdmin,
		Group: "sentinel", Since: "2.8.4", Summary: "A container for Sentinel commands", Sub: table})
	s.srv.RegisterCommand(&backend.Command{Name: "publish", Arity: 3,
		Flags: backend.FlagPubsub | backend.FlagLoading | backend.FlagStale | backend.FlagFast | backend.FlagMayReplicate,
		Group: "pubsub", Since: "2.0.0", Summary: "Post a message to a channel", Proc: s.cmdPublish})
	s.srv.RegisterCommand(&backend.Command{Name: "role", Arity: 1,
		Flags: backend.FlagNoScript | backend.FlagLoading | backend.FlagStale | backend.FlagFast,
		Group: "server", Since: "2.8.12", Summary: "Return the role of the instance in the context of replication",
		ACL: []string{"admin", "dangerous"}, Proc: s.cmdRole})
	s.srv.AddInfoSection("sentinel", "Sentinel", s.infoSection)
}

// args copies the command's arguments: the backend lends them from its
// read buffer.
func args(c *backend.Client) []string {
	a := c.Args()
	out := make([]string, len(a))
	for i, b := range a {
		out[i] = string(b)
	}
	return out
}

// replyEntry writes an instance entry: a map (a flat array in RESP2) whose
// values are all bulk strings, numbers included, as clients expect.
func replyEntry(c *backend.Client, e [][2]string) {
	c.ReplyMap(len(e))
	for _, kv := range e {
		c.ReplyBulkString(kv[0])
		c.ReplyBulkString(kv[1])
	}
}

func replyEntries(c *backend.Client, es [][][2]string) {
	c.ReplyArray(len(es))
	for _, e := range es {
		replyEntry(c, e)
	}
}

// replySaved answers a command that changed the configuration: +OK, or
// Redis's error when sentinel.conf could not be written.
func replySaved(c *backend.Client, saveErr error) {
	if saveErr != nil {
		c.ReplyError(errSaveConfig)
		return
	}
	c.ReplyOK()
}

func (s *Sentinel) cmdHelp(c *backend.Client) {
	c.ReplyHelp(sentinelHelp)
}

func (s *Sentinel) cmdMasters(c *backend.Client) {
	var es [][][2]string
	s.withCore(func(co *core.Core, now time.Time) {
		for _, m := range co.MasterList() {
			es = append(es, co.Entry(m, now))
		}
	})
	replyEntries(c, es)
}

func (s *Sentinel) cmdMaster(c *backend.Client) {
	name := string(c.Args()[2])
	var e [][2]string
	found := false
	s.withCore(func(co *core.Core, now time.Time) {
		if m := co.Master(name); m != nil {
			e, found = co.Entry(m, now), true
		}
	})
	if !found {
		c.ReplyError(core.ErrNoSuchMaster.Error())
		return
	}
	replyEntry(c, e)
}

// cmdReplicas is SENTINEL REPLICAS (and SLAVES): replicas whose INFO says
// replica_announced:0 are left out.
func (s *Sentinel) cmdReplicas(c *backend.Client) { s.replyGroup(c, (*core.Core).ReplicaList) }

func (s *Sentinel) cmdSentinels(c *backend.Client) { s.replyGroup(c, (*core.Core).SentinelList) }

// replyGroup answers with the entries of the instances list gives for the
// master named by the third argument.
func (s *Sentinel) replyGroup(c *backend.Client, list func(co *core.Core, m *core.Instance) []*core.Instance) {
	name := string(c.Args()[2])
	var es [][][2]string
	found := false
	s.withCore(func(co *core.Core, now time.Time) {
		m := co.Master(name)
		if m == nil {
			return
		}
		found = true
		for _, ri := range list(co, m) {
			es = append(es, co.Entry(ri, now))
		}
	})
	if !found {
		c.ReplyError(core.ErrNoSuchMaster.Error())
		return
	}
	replyEntries(c, es)
}

// cmdGetMasterAddr answers the address clients should use, with the port
// as a bulk string (Lettuce accepts nothing else) and a null array for an
// unknown name.
func (s *Sentinel) cmdGetMasterAddr(c *backend.Client) {
	host, port, ok := s.MasterAddr(string(c.Args()[2]))
	if !ok {
		c.ReplyNullArray()
		return
	}
	c.ReplyArray(2)
	c.ReplyBulkString(host)
	c.ReplyBulkInt(int64(port))
}

// cmdIsMasterDown is SENTINEL IS-MASTER-DOWN-BY-ADDR. The reply types
// (integer, bulk, integer) are what real sentinels check before counting
// the answer.
func (s *Sentinel) cmdIsMasterDown(c *backend.Client) {
	a := args(c)
	port, ok1 := backend.ParseInt([]byte(a[3]))
	epoch, ok2 := backend.ParseInt([]byte(a[4]))
	if !ok1 || !ok2 {
		c.ReplyError(errNotInt)
		return
	}
	var (
		down        bool
		leader      string
		leaderEpoch uint64
	)
	s.withCore(func(co *core.Core, now time.Time) {
		// A negative epoch wraps as Redis's cast to uint64 does.
		down, leader, leaderEpoch = co.IsMasterDownByAddr(core.Addr{Host: a[2], Port: int(port)}, uint64(epoch), a[5], now)
	})
	if leader == "" {
		leader = "*"
	}
	c.ReplyArray(3)
	if down {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
	c.ReplyBulkString(leader)
	c.ReplyInt(int64(leaderEpoch))
}

func (s *Sentinel) cmdFailover(c *backend.Client) {
	name := string(c.Args()[2])
	var err error
	s.withCore(func(co *core.Core, now time.Time) { err = co.Failover(name, now) })
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	c.ReplyOK()
}

func (s *Sentinel) cmdReset(c *backend.Client) {
	pattern := string(c.Args()[2])
	var n int
	s.withCore(func(co *core.Core, now time.Time) { n = co.Reset(pattern, now) })
	c.ReplyInt(int64(n))
}

func (s *Sentinel) cmdCKQuorum(c *backend.Client) {
	name := string(c.Args()[2])
	var (
		msg string
		err error
	)
	s.withCore(func(co *core.Core, _ time.Time) { msg, err = co.CKQuorum(name) })
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	c.ReplySimple(msg)
}

func (s *Sentinel) cmdFlushConfig(c *backend.Client) {
	replySaved(c, s.FlushConfig())
}

// cmdMonitor is SENTINEL MONITOR: the config is saved before the reply
// (and before +monitor reaches subscribers, which the event queue
// delivers later).
func (s *Sentinel) cmdMonitor(c *backend.Client) {
	a := args(c)
	var err, saveErr error
	s.withCore(func(co *core.Core, now time.Time) {
		if err = co.Monitor(a[2], a[3], a[4], a[5], now); err == nil {
			saveErr = s.saveLocked()
		}
	})
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	replySaved(c, saveErr)
}

func (s *Sentinel) cmdRemove(c *backend.Client) {
	name := string(c.Args()[2])
	var err, saveErr error
	s.withCore(func(co *core.Core, _ time.Time) {
		if err = co.Remove(name); err == nil {
			saveErr = s.saveLocked()
		}
	})
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	replySaved(c, saveErr)
}

// cmdSet is SENTINEL SET. Pairs before a bad one stay applied and are
// saved (withCore saves the dirty state), but the reply is the error.
func (s *Sentinel) cmdSet(c *backend.Client) {
	a := args(c)
	var err, saveErr error
	s.withCore(func(co *core.Core, now time.Time) {
		if err = co.Set(a[2], a[3:], now); err == nil {
			saveErr = s.saveLocked()
		}
	})
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	replySaved(c, saveErr)
}

// cmdInfoCache is SENTINEL INFO-CACHE: per known master asked for, its
// name and an array of [age-ms, INFO or null] pairs, the master's first.
func (s *Sentinel) cmdInfoCache(c *backend.Client) {
	names := args(c)[2:]
	var es []core.InfoCacheEntry
	s.withCore(func(co *core.Core, now time.Time) { es = co.InfoCache(names, now) })
	c.ReplyArray(2 * len(es))
	for _, e := range es {
		c.ReplyBulkString(e.Name)
		c.ReplyArray(len(e.Infos))
		for _, ci := range e.Infos {
			c.ReplyArray(2)
			c.ReplyInt(ci.Age)
			if ci.Cached {
				c.ReplyBulkString(ci.Info)
			} else {
				c.ReplyNull()
			}
		}
	}
}

func (s *Sentinel) cmdMyID(c *backend.Client) {
	c.ReplyBulkString(s.ID())
}

// cmdConfig is SENTINEL CONFIG GET <pattern> / SET <param> <value>, one
// parameter at a time as in 7.0.
func (s *Sentinel) cmdConfig(c *backend.Client) {
	a := args(c)
	switch {
	case strings.EqualFold(a[2], "set") && len(a) == 5:
		var err, saveErr error
		s.withCore(func(co *core.Core, _ time.Time) {
			if err = co.ConfigSet(a[3], a[4]); err == nil {
				saveErr = s.saveLocked()
			}
		})
		if err != nil {
			c.ReplyError(err.Error())
			return
		}
		replySaved(c, saveErr)
	case strings.EqualFold(a[2], "get") && len(a) == 4:
		var kv [][2]string
		s.withCore(func(co *core.Core, _ time.Time) { kv = co.ConfigGet(a[3]) })
		replyEntry(c, kv)
	default:
		c.ReplyError(errConfigForms)
	}
}

// cmdSimulateFailure is SENTINEL SIMULATE-FAILURE: the core replaces the
// flags; HELP answers the list of flag names instead of +OK.
func (s *Sentinel) cmdSimulateFailure(c *backend.Client) {
	a := args(c)
	var (
		help bool
		err  error
	)
	s.withCore(func(co *core.Core, _ time.Time) { help, err = co.SetSimulateFailure(a[2:]) })
	switch {
	case err != nil:
		c.ReplyError(err.Error())
	case help:
		c.ReplyStrings(core.SimulateFailureHelp)
	default:
		c.ReplyOK()
	}
}

// cmdDebug is SENTINEL DEBUG: without arguments the timing parameters (a
// map of bulk strings); with pairs, sets them.
func (s *Sentinel) cmdDebug(c *backend.Client) {
	a := args(c)
	if len(a) == 2 {
		var kv [][2]string
		s.withCore(func(co *core.Core, _ time.Time) { kv = co.DebugValues() })
		replyEntry(c, kv)
		return
	}
	var err error
	s.withCore(func(co *core.Core, _ time.Time) { err = co.Debug(a[2:]) })
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	c.ReplyOK()
}

// cmdPublish is the sentinel's PUBLISH: peers deliver their hellos with
// it; nothing else may be published here.
func (s *Sentinel) cmdPublish(c *backend.Client) {
	a := c.Args()
	if string(a[1]) != core.HelloChannel {
		c.ReplyError(errOnlyHello)
		return
	}
	payload := string(a[2])
	s.withCore(func(co *core.Core, now time.Time) { co.Hello(payload, now) })
	c.ReplyInt(1)
}

// cmdRole is the sentinel's ROLE: "sentinel" and the monitored master
// names.
func (s *Sentinel) cmdRole(c *backend.Client) {
	var names []string
	s.withCore(func(co *core.Core, _ time.Time) {
		for _, m := range co.MasterList() {
			names = append(names, m.Name)
		}
	})
	c.ReplyArray(2)
	c.ReplyBulkString("sentinel")
	c.ReplyStrings(names)
}

// cmdPendingScripts is SENTINEL PENDING-SCRIPTS: one map per queued
// script (running ones included), numbers as bulk strings as in Redis.
func (s *Sentinel) cmdPendingScripts(c *backend.Client) {
	ps := s.shell.pendingScripts()
	c.ReplyArray(len(ps))
	for _, p := range ps {
		c.ReplyMap(5)
		c.ReplyBulkString("argv")
		c.ReplyStrings(p.Argv)
		c.ReplyBulkString("flags")
		if p.Running {
			c.ReplyBulkString("running")
		} else {
			c.ReplyBulkString("scheduled")
		}
		c.ReplyBulkString("pid")
		c.ReplyBulkInt(int64(p.Pid))
		if p.Running {
			c.ReplyBulkString("run-time")
			c.ReplyBulkInt(p.RunTime.Milliseconds())
		} else {
			c.ReplyBulkString("run-delay")
			c.ReplyBulkInt(p.RunDelay.Milliseconds())
		}
		c.ReplyBulkString("retry-num")
		c.ReplyBulkInt(int64(p.RetryNum))
	}
}

// infoSection is the body of INFO's "# Sentinel" section. The script
// counts are read first: the scripts' lock is never taken inside mu here.
func (s *Sentinel) infoSection() string {
	running, queued := s.shell.runningScripts(), s.shell.queuedScripts()
	var out string
	s.withCore(func(co *core.Core, now time.Time) { out = co.InfoSection(now, running, queued) })
	return out
}

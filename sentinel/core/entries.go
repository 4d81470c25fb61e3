package core

import (
	"strconv"
	"strings"
	"time"
)

// Entry is the instance entry of SENTINEL MASTER(S), REPLICAS/SLAVES and
// SENTINELS (§1.4): name/value pairs in Redis's field order, every value a
// decimal or text string (Redis sends numbers here as bulk strings, and
// Lettuce depends on it). Times are milliseconds elapsed before now.
// Optional fields appear exactly when Redis shows them: failover-state
// during a failover, s-down-time and o-down-time while down, the scripts
// when set.
func (c *Core) Entry(ri *Instance, now time.Time) [][2]string {
	e := make([][2]string, 0, 24)
	add := func(k, v string) { e = append(e, [2]string{k, v}) }
	num := func(k string, v int64) { add(k, strconv.FormatInt(v, 10)) }
	dur := func(k string, d time.Duration) { num(k, d.Milliseconds()) }
	since := func(k string, t time.Time) { num(k, elapsedMs(now, t)) }

	add("name", ri.Name)
	add("ip", c.announcedHost(ri.Addr))
	num("port", int64(ri.Addr.Port))
	add("runid", ri.RunID)
	add("flags", ri.FlagsString())
	num("link-pending-commands", int64(ri.Link.PendingCommands))
	num("link-refcount", int64(ri.Link.Refcount))
	if ri.Flags&FlagFailoverInProgress != 0 {
		add("failover-state", ri.FailoverState.String())
	}
	since("last-ping-sent", ri.Link.ActPingTime)
	since("last-ok-ping-reply", ri.Link.LastAvailTime)
	since("last-ping-reply", ri.Link.LastPongTime)
	if ri.Flags&FlagSDown != 0 {
		since("s-down-time", ri.SDownSince)
	}
	if ri.Flags&FlagODown != 0 {
		since("o-down-time", ri.ODownSince)
	}
	dur("down-after-milliseconds", ri.DownAfter)

	if ri.Kind == KindMaster || ri.Kind == KindReplica {
		since("info-refresh", ri.InfoRefresh)
		role := "slave"
		if ri.RoleReported == KindMaster {
			role = "master"
		}
		add("role-reported", role)
		since("role-reported-time", ri.RoleReportedTime)
	}

	switch ri.Kind {
	case KindMaster:
		add("config-epoch", strconv.FormatUint(ri.ConfigEpoch, 10))
		num("num-slaves", int64(len(ri.Replicas)))
		num("num-other-sentinels", int64(len(ri.Sentinels)))
		num("quorum", int64(ri.Quorum))
		dur("failover-timeout", ri.FailoverTimeout)
		num("parallel-syncs", int64(ri.ParallelSyncs))
		if ri.NotificationScript != "" {
			add("notification-script", ri.NotificationScript)
		}
		if ri.ClientReconfigScript != "" {
			add("client-reconfig-script", ri.ClientReconfigScript)
		}
	case KindReplica:
		dur("master-link-down-time", ri.MasterLinkDownTime)
		status := "err"
		if ri.SlaveMasterLinkUp {
			status = "ok"
		}
		add("master-link-status", status)
		host := ri.SlaveMasterHost
		if host == "" {
			host = "?"
		}
		add("master-host", host)
		num("master-port", int64(ri.SlaveMasterPort))
		num("slave-priority", int64(ri.SlavePriority))
		num("slave-repl-offset", ri.SlaveReplOffset)
		announced := "0"
		if ri.ReplicaAnnounced {
			announced = "1"
		}
		add("replica-announced", announced)
	case KindSentinel:
		since("last-hello-message", ri.LastHelloTime)
		leader := ri.Leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", leader)
		add("voted-leader-epoch", strconv.FormatUint(ri.LeaderEpoch, 10))
	}
	return e
}

// elapsedMs is how many milliseconds before now t was; 0 for the zero
// time, which stands for "never" (no PING pending, no INFO yet) where
// Redis shows 0 too.
func elapsedMs(now, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t).Milliseconds()
}

// ReplicaList is what SENTINEL REPLICAS/SLAVES lists for m: its replicas
// sorted by name, without those whose INFO says replica_announced:0.
func (c *Core) ReplicaList(m *Instance) []*Instance {
	var out []*Instance
	for _, r := range sortedInstances(m.Replicas) {
		if r.ReplicaAnnounced {
			out = append(out, r)
		}
	}
	return out
}

// SentinelList is what SENTINEL SENTINELS lists for m: the other sentinels
// watching it, sorted by runid.
func (c *Core) SentinelList(m *Instance) []*Instance { return sortedInstances(m.Sentinels) }

// MasterAddr is SENTINEL GET-MASTER-ADDR-BY-NAME: the current master
// address of the named master (§1.5: the promoted replica's once the
// leader's failover reached reconf_slaves), host in announced form; ok is
// false for an unknown name.
func (c *Core) MasterAddr(name string) (host string, port int, ok bool) {
	m := c.Masters[name]
	if m == nil {
		return "", 0, false
	}
	a := m.CurrentMasterAddr()
	return c.announcedHost(a), a.Port, true
}

// InfoSection is the body of INFO's "# Sentinel" section (§1.2): the lines
// after the title, each ending in CRLF like the other INFO sections.
// runningScripts and queuedScripts come from the shell, which runs them.
// A master's address is the stored one (not the promoted replica's during
// a failover), without IPv6 brackets; sentinels counts this one too.
func (c *Core) InfoSection(now time.Time, runningScripts, queuedScripts int) string {
	var b strings.Builder
	line := func(k string, v int64) {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteString("\r\n")
	}
	tilt, since := int64(0), int64(-1)
	if c.Tilt {
		tilt, since = 1, elapsedMs(now, c.TiltStart)/1000
	}
	line("sentinel_masters", int64(len(c.Masters)))
	line("sentinel_tilt", tilt)
	line("sentinel_tilt_since_seconds", since)
	line("sentinel_running_scripts", int64(runningScripts))
	line("sentinel_scripts_queue_length", int64(queuedScripts))
	line("sentinel_simulate_failure_flags", int64(c.SimFailure))
	for i, m := range c.MasterList() {
		status := "ok"
		switch {
		case m.Flags&FlagODown != 0:
			status = "odown"
		case m.Flags&FlagSDown != 0:
			status = "sdown"
		}
		b.WriteString("master")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(":name=")
		b.WriteString(m.Name)
		b.WriteString(",status=")
		b.WriteString(status)
		b.WriteString(",address=")
		b.WriteString(c.announcedHost(m.Addr))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(m.Addr.Port))
		b.WriteString(",slaves=")
		b.WriteString(strconv.Itoa(len(m.Replicas)))
		b.WriteString(",sentinels=")
		b.WriteString(strconv.Itoa(len(m.Sentinels) + 1))
		b.WriteString("\r\n")
	}
	return b.String()
}

// InfoCacheEntry is one master of SENTINEL INFO-CACHE: its name, then the
// last INFO of the master followed by that of each replica.
type InfoCacheEntry struct {
	Name  string
	Infos []CachedInfo
}

// CachedInfo is one instance's cached INFO reply. The wire form is a
// two-element array: Age as an integer, then Info as a bulk string, or a
// null when Cached is false (no INFO received yet).
type CachedInfo struct {
	Age    int64 // milliseconds since the reply; 0 if none yet
	Info   string
	Cached bool
}

// InfoCache is SENTINEL INFO-CACHE <name> [...]: an entry per known name,
// each once, in the order asked (unknown names are skipped, as Redis
// does); replicas in name order.
func (c *Core) InfoCache(names []string, now time.Time) []InfoCacheEntry {
	var out []InfoCacheEntry
	seen := make(map[string]bool)
	cached := func(ri *Instance) CachedInfo {
		// Redis tests the master's refresh time before computing each
		// replica's age, which gives a replica that never answered an age
		// of "now since 1970"; the replica's own time is used here.
		return CachedInfo{Age: elapsedMs(now, ri.InfoRefresh), Info: ri.Info, Cached: ri.Info != ""}
	}
	for _, n := range names {
		m := c.Masters[n]
		if m == nil || seen[n] {
			continue
		}
		seen[n] = true
		e := InfoCacheEntry{Name: n, Infos: []CachedInfo{cached(m)}}
		for _, r := range sortedInstances(m.Replicas) {
			e.Infos = append(e.Infos, cached(r))
		}
		out = append(out, e)
	}
	return out
}

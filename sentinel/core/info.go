package core

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// refreshInstanceInfo is Redis's sentinelRefreshInstanceInfo: it reads an
// INFO reply of a master or replica (§3.5), discovers replicas, records
// role changes, and then — except in TILT — acts on what it saw: the
// promotion step of a failover, a returning old master converted to a
// replica, a replica following the wrong master fixed, the progress of a
// replica being reconfigured (§4.6, §4.9).
func (c *Core) refreshInstanceInfo(ri *Instance, info string, now time.Time) {
	ri.Info = info
	// Reported only while the link is down: absent means up.
	ri.MasterLinkDownTime = 0

	// Lines are read in the order Redis prints them: the replica fields
	// count only after a role:slave line, as in Redis. Numbers are read as
	// leniently as Redis reads them (atoi, strtoull: config.go).
	var role Kind
	for _, l := range strings.Split(info, "\n") {
		l = strings.TrimSuffix(l, "\r")

		if len(l) >= 47 && strings.HasPrefix(l, "run_id:") {
			c.infoRunID(ri, l[7:47], now)
		}

		if ri.Kind == KindMaster && len(l) >= 7 && strings.HasPrefix(l, "slave") && l[5] >= '0' && l[5] <= '9' {
			c.infoReplicaLine(ri, l, now)
		}

		if v, ok := strings.CutPrefix(l, "master_link_down_since_seconds:"); ok {
			ri.MasterLinkDownTime = time.Duration(atoi(v)) * time.Second
		}

		switch {
		case strings.HasPrefix(l, "role:master"):
			role = KindMaster
		case strings.HasPrefix(l, "role:slave"):
			role = KindReplica
		}
		if role != KindReplica {
			continue
		}
		if v, ok := strings.CutPrefix(l, "master_host:"); ok {
			if ri.SlaveMasterHost == "" || !strings.EqualFold(v, ri.SlaveMasterHost) {
				ri.SlaveMasterHost = v
				ri.SlaveConfChangeTime = now
			}
		}
		if v, ok := strings.CutPrefix(l, "master_port:"); ok {
			if p := atoi(v); p != ri.SlaveMasterPort {
				ri.SlaveMasterPort = p
				ri.SlaveConfChangeTime = now
			}
		}
		if v, ok := strings.CutPrefix(l, "master_link_status:"); ok {
			ri.SlaveMasterLinkUp = strings.EqualFold(v, "up")
		}
		if v, ok := strings.CutPrefix(l, "slave_priority:"); ok {
			ri.SlavePriority = atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "slave_repl_offset:"); ok {
			ri.SlaveReplOffset = int64(strtoull(v))
		}
		if v, ok := strings.CutPrefix(l, "replica_announced:"); ok {
			ri.ReplicaAnnounced = atoi(v) != 0
		}
	}
	ri.InfoRefresh = now

	// A reply without a role line is not a Redis INFO; it changes nothing
	// about the role (Redis would record role 0).
	if role != 0 && role != ri.RoleReported {
		ri.RoleReportedTime = now
		ri.RoleReported = role
		if role == KindReplica {
			ri.SlaveConfChangeTime = now
		}
		// "+" when the instance now agrees with our view of it, "-" when
		// it contradicts it.
		typ := "-role-change"
		if ri.Kind == role {
			typ = "+role-change"
		}
		c.event(LevelVerbose, typ, ri, "new reported role is "+role.String())
	}

	if c.Tilt {
		return
	}

	// A master reporting role:slave is left alone: it goes SDOWN after a
	// while (checkSubjectivelyDown), which may lead to a failover.

	if ri.Kind == KindReplica && role == KindMaster {
		m := ri.Master
		if ri.Flags&FlagPromoted != 0 && m.Flags&FlagFailoverInProgress != 0 &&
			m.FailoverState == FailoverWaitPromotion {
			c.promotedReplicaReportsMaster(ri, now)
		} else {
			// A replica turned master (typically the old master coming
			// back). Wait a few hello periods after the change, so that a
			// newer configuration from another sentinel can arrive first,
			// then force our view on it.
			wait := 4 * c.Timing.PublishPeriod
			if ri.Flags&FlagPromoted == 0 && c.masterLooksSane(m, now) &&
				noDownFor(ri, wait, now) && now.Sub(ri.RoleReportedTime) > wait {
				if c.sendSlaveOf(ri, m.Addr, now) {
					c.event(LevelNotice, "+convert-to-slave", ri, "")
				}
			}
		}
	}

	// A replica replicating from another address. The failover timeout
	// gives a failover in progress elsewhere time to finish first.
	if ri.Kind == KindReplica && role == KindReplica {
		m := ri.Master
		if ri.SlaveMasterPort != m.Addr.Port || !c.sameHost(m.Addr.Host, ri.SlaveMasterHost) {
			wait := m.FailoverTimeout
			if c.masterLooksSane(m, now) && noDownFor(ri, wait, now) &&
				now.Sub(ri.SlaveConfChangeTime) > wait {
				if c.sendSlaveOf(ri, m.Addr, now) {
					c.event(LevelNotice, "+fix-slave-config", ri, "")
				}
			}
		}
	}

	// A replica being reconfigured by our failover: has it moved on?
	if ri.Kind == KindReplica && role == KindReplica &&
		ri.Flags&(FlagReconfSent|FlagReconfInprog) != 0 {
		c.replicaReconfProgress(ri, now)
	}
}

// infoRunID records the run_id of an INFO reply; a different one than
// before means the instance restarted (+reboot). For a master with
// master-reboot-down-after-period set this opens the reboot window of
// §4.1.
func (c *Core) infoRunID(ri *Instance, id string, now time.Time) {
	if ri.RunID == "" {
		ri.RunID = id
		return
	}
	if ri.RunID == id {
		return
	}
	c.event(LevelNotice, "+reboot", ri, "")
	if ri.Kind == KindMaster && ri.MasterRebootDownAfter != 0 {
		ri.Flags |= FlagMasterReboot
		ri.MasterRebootSince = now
	}
	ri.RunID = id
}

// infoReplicaLine discovers a replica from a slave<N> line of a master's
// INFO, in either format: "slave0:ip=10.0.0.2,port=6380,state=online,..."
// or the old "slave0:10.0.0.2,6380,online". Only ip and port are used.
func (c *Core) infoReplicaLine(m *Instance, l string, now time.Time) {
	var host, port string
	if !strings.Contains(l, "ip=") {
		_, rest, ok := strings.Cut(l, ":")
		if !ok {
			return
		}
		var tail string
		host, tail, ok = strings.Cut(rest, ",")
		if !ok {
			return
		}
		// The old format has a third field; without it the line is cut
		// short and is skipped, as in Redis.
		port, _, ok = strings.Cut(tail, ",")
		if !ok {
			return
		}
	} else {
		_, host, _ = strings.Cut(l, "ip=")
		host, _, _ = strings.Cut(host, ",")
		var ok bool
		if _, port, ok = strings.Cut(l, "port="); !ok {
			return
		}
		port, _, _ = strings.Cut(port, ",")
	}
	addr, ok := c.parseAddr(host, port)
	if !ok {
		return
	}
	key := addr.String()
	if _, known := m.Replicas[key]; known {
		return
	}
	r := c.newInstance(KindReplica, key, addr, m, now)
	c.event(LevelNotice, "+slave", r, "")
	c.markDirty()
}

// parseAddr validates an address reported by a node or a peer: the host
// must resolve (be an IP unless resolve-hostnames is on) and the port be
// a number in 0..65535 (0 is kept but never connected, as in Redis).
func (c *Core) parseAddr(host, port string) (Addr, bool) {
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return Addr{}, false
	}
	if _, ok := c.resolveHost(host); !ok {
		return Addr{}, false
	}
	return Addr{Host: host, Port: p}, true
}

// resolveHost turns a host into an IP for comparisons: through c.Resolve
// with resolve-hostnames, otherwise only IPs are accepted (as Redis
// resolves with ANET_IP_ONLY then).
func (c *Core) resolveHost(host string) (string, bool) {
	if host == "" {
		return "", false
	}
	resolve := resolveIPOnly
	if c.ResolveHostnames && c.Resolve != nil {
		resolve = c.Resolve
	}
	ip, err := resolve(host)
	if err != nil {
		return "", false
	}
	return ip, true
}

// sameHost reports whether two hosts name the same IP once resolved
// (sentinelAddrEqualsHostname); a host that does not resolve matches
// nothing.
func (c *Core) sameHost(a, b string) bool {
	ipa, ok := c.resolveHost(a)
	if !ok {
		return false
	}
	ipb, ok := c.resolveHost(b)
	if !ok {
		return false
	}
	if pa, pb := net.ParseIP(ipa), net.ParseIP(ipb); pa != nil && pb != nil {
		return pa.Equal(pb)
	}
	return strings.EqualFold(ipa, ipb)
}

// masterLooksSane is sentinelMasterLooksSane: before reconfiguring a
// replica towards the master, the master must be one in our view and its
// own, not down, and have answered INFO recently.
func (c *Core) masterLooksSane(m *Instance, now time.Time) bool {
	return m.Kind == KindMaster &&
		m.RoleReported == KindMaster &&
		m.Flags&(FlagSDown|FlagODown) == 0 &&
		!m.InfoRefresh.IsZero() && now.Sub(m.InfoRefresh) < 2*c.Timing.InfoPeriod
}

// noDownFor reports whether ri was neither SDOWN nor ODOWN in the last d
// (or never was): the last time one of them began is older than d.
func noDownFor(ri *Instance, d time.Duration, now time.Time) bool {
	last := ri.SDownSince
	if ri.ODownSince.After(last) {
		last = ri.ODownSince
	}
	return last.IsZero() || now.Sub(last) > d
}

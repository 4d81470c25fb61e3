package core

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/backend/ds"
	"github.com/wardenhq/warden/internal/redisconf"
)

// Errors of the SENTINEL subcommands handled here, with Redis's texts. The
// Error() of every error these methods return is the whole reply line
// without its leading '-'.
const (
	ErrNoSuchMaster  = coreError("ERR No such master with that name")
	errScriptsDenied = coreError("ERR Reconfiguration of scripts path is denied for security reasons. " +
		"Check the deny-scripts-reconfig configuration directive in your Sentinel configuration")
	errSetNotifScript  = coreError("ERR Notification script seems non existing or non executable")
	errSetReconfScript = coreError("ERR Client reconfiguration script seems non existing or non executable")
)

// errf builds an error reply text.
func errf(format string, args ...any) error {
	return coreError(fmt.Sprintf(format, args...))
}

// Monitor is SENTINEL MONITOR: start watching a new master. The checks run
// in Redis's order, so the same bad command gets the same error: quorum and
// port must be integers, quorum at least 1, the host an IP (or, with
// resolve-hostnames, a name that resolves now), the port in range, the name
// new. The config is then marked for saving and +monitor published.
func (c *Core) Monitor(name, host, port, quorum string, now time.Time) error {
	q, err := redisconf.ParseInt(quorum)
	if err != nil {
		return coreError("ERR Invalid quorum")
	}
	p, err := redisconf.ParseInt(port)
	if err != nil {
		return coreError("ERR Invalid port")
	}
	if q <= 0 {
		return coreError("ERR Quorum must be 1 or greater.")
	}
	h, ok := c.checkHost(host, false)
	if !ok {
		return coreError("ERR " + string(errInvalidAddr))
	}
	if p < 0 || p > 65535 {
		return coreError("ERR " + reasonBadPort)
	}
	if c.Masters[name] != nil {
		return coreError("ERR " + reasonDupMaster)
	}
	m := c.newInstance(KindMaster, name, Addr{Host: h, Port: int(p)}, nil, now)
	m.Quorum = int(q)
	c.Masters[name] = m
	c.markDirty()
	c.event(LevelWarning, "+monitor", m, "quorum "+strconv.Itoa(m.Quorum))
	return nil
}

// Remove is SENTINEL REMOVE: stop watching a master, forgetting its
// replicas and sentinels and closing their links. -monitor is published
// first, while the master's address can still be named.
func (c *Core) Remove(name string) error {
	m := c.Masters[name]
	if m == nil {
		return ErrNoSuchMaster
	}
	c.event(LevelWarning, "-monitor", m, "")
	delete(c.Masters, name)
	c.releaseInstance(m)
	c.markDirty()
	return nil
}

// Set is SENTINEL SET <name> <option> <value> [<option> <value> ...]
// (args are the words after the name). Pairs are applied one by one, each
// publishing +set; at the first bad pair Set stops with its error, and the
// pairs before it stay applied (and the config is still marked dirty), as
// in Redis. A new auth-pass or auth-user drops the links to the master and
// its replicas so that they reconnect with the new credentials.
func (c *Core) Set(name string, args []string, now time.Time) error {
	m := c.Masters[name]
	if m == nil {
		return ErrNoSuchMaster
	}
	changed := false
	defer func() {
		if changed {
			c.markDirty()
		}
	}()
	for j := 0; j < len(args); j++ {
		opt := args[j]
		more := len(args) - 1 - j
		start := j
		redacted := false
		// value reads the word after opt as a strictly positive (or,
		// with zeroOK, non-negative) integer; duration reads it as
		// milliseconds.
		value := func(zeroOK bool) (int64, error) {
			j++
			v, err := redisconf.ParseInt(args[j])
			if err != nil || v < 0 || (v == 0 && !zeroOK) {
				return 0, errf("ERR Invalid argument '%s' for SENTINEL SET '%s'", args[j], opt)
			}
			return v, nil
		}
		duration := func(zeroOK bool) (time.Duration, error) {
			v, err := value(zeroOK)
			if err == nil && v > math.MaxInt64/int64(time.Millisecond) {
				// Beyond what a time.Duration holds (292 years).
				err = errf("ERR Invalid argument '%s' for SENTINEL SET '%s'", args[j], opt)
			}
			return time.Duration(v) * time.Millisecond, err
		}
		switch lo := redisconf.LowerASCII(opt); {
		case lo == "down-after-milliseconds" && more > 0:
			d, err := duration(false)
			if err != nil {
				return err
			}
			c.setDownAfter(m, d)
		case lo == "failover-timeout" && more > 0:
			d, err := duration(false)
			if err != nil {
				return err
			}
			m.FailoverTimeout = d
		case lo == "parallel-syncs" && more > 0:
			v, err := value(false)
			if err != nil {
				return err
			}
			m.ParallelSyncs = int(v)
		case (lo == "notification-script" || lo == "client-reconfig-script") && more > 0:
			j++
			path := args[j]
			if c.DenyScriptsReconfig {
				return errScriptsDenied
			}
			if path != "" && !c.Executable(path) {
				if lo == "notification-script" {
					return errSetNotifScript
				}
				return errSetReconfScript
			}
			if lo == "notification-script" {
				m.NotificationScript = path
			} else {
				m.ClientReconfigScript = path
			}
		case lo == "auth-pass" && more > 0:
			j++
			m.AuthPass = args[j]
			c.dropMasterLinks(m)
			redacted = true
		case lo == "auth-user" && more > 0:
			j++
			m.AuthUser = args[j]
			c.dropMasterLinks(m)
		case lo == "quorum" && more > 0:
			v, err := value(false)
			if err != nil {
				return err
			}
			m.Quorum = int(v)
		case lo == "rename-command" && more > 1:
			oldName, newName := args[j+1], args[j+2]
			j += 2
			if oldName == "" || newName == "" {
				bad := newName
				if newName != "" {
					bad = oldName
				}
				return errf("ERR Invalid argument '%s' for SENTINEL SET '%s'", bad, opt)
			}
			key := redisconf.LowerASCII(oldName)
			delete(m.RenamedCommands, key)
			// Renaming a command to itself just removes the renaming.
			if key != redisconf.LowerASCII(newName) {
				m.RenamedCommands[key] = newName
			}
		case lo == "master-reboot-down-after-period" && more > 0:
			d, err := duration(true)
			if err != nil {
				return err
			}
			m.MasterRebootDownAfter = d
		case lo == "down-after-refused-milliseconds" && more > 0:
			d, err := duration(true)
			if err != nil {
				return err
			}
			m.DownAfterRefused = d
		default:
			return errf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt)
		}
		changed = true
		// The event repeats the words as the client wrote them.
		words := append([]string(nil), args[start:j+1]...)
		if redacted {
			words[1] = "******"
		}
		c.event(LevelWarning, "+set", m, strings.Join(words, " "))
	}
	return nil
}

// dropMasterLinks closes the connections to a master and its replicas (not
// to its sentinels, whose credentials are sentinel-user/pass); the next
// tick reconnects them, sending AUTH with the new credentials.
func (c *Core) dropMasterLinks(m *Instance) {
	c.dropLink(m.Link)
	for _, r := range sortedInstances(m.Replicas) {
		c.dropLink(r.Link)
	}
}

// dropLink closes both connections of a link and marks them down, as
// releaseLink does. The shell is asked even when the core thinks nothing is
// connected, because a dial may be in flight with the old credentials.
func (c *Core) dropLink(l *Link) {
	c.shell.Drop(l, true, true)
	l.CC, l.PC = false, false
}

// dropSentinelLinks closes the links to every other sentinel (each shared
// link once), after sentinel-user/pass changed.
func (c *Core) dropSentinelLinks() {
	seen := make(map[*Link]bool)
	for _, m := range c.MasterList() {
		for _, s := range sortedInstances(m.Sentinels) {
			if !seen[s.Link] {
				seen[s.Link] = true
				c.dropLink(s.Link)
			}
		}
	}
}

// ConfigGet is SENTINEL CONFIG GET <pattern> (7.0: one pattern): the global
// parameters whose names match the glob, case-insensitively, in Redis's
// fixed order, as name/value pairs.
func (c *Core) ConfigGet(pattern string) [][2]string {
	params := [][2]string{
		{"resolve-hostnames", redisconf.FormatBool(c.ResolveHostnames)},
		{"announce-hostnames", redisconf.FormatBool(c.AnnounceHostnames)},
		{"announce-ip", c.AnnounceIP},
		{"announce-port", strconv.Itoa(c.AnnouncePort)},
		{"sentinel-user", c.SentinelUser},
		{"sentinel-pass", c.SentinelPass},
	}
	var out [][2]string
	for _, p := range params {
		if ds.Match([]byte(pattern), []byte(p[0]), true) {
			out = append(out, p)
		}
	}
	return out
}

// ConfigSet is SENTINEL CONFIG SET <param> <value> (7.0: one pair). An
// empty sentinel-user or sentinel-pass clears it; changing either drops the
// links to the other sentinels so they are re-authenticated.
func (c *Core) ConfigSet(param, value string) error {
	badValue := func() error {
		return errf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", value, param)
	}
	switch redisconf.LowerASCII(param) {
	case "resolve-hostnames":
		v, err := redisconf.ParseBool(value)
		if err != nil {
			return badValue()
		}
		c.ResolveHostnames = v
	case "announce-hostnames":
		v, err := redisconf.ParseBool(value)
		if err != nil {
			return badValue()
		}
		c.AnnounceHostnames = v
	case "announce-ip":
		c.AnnounceIP = value
	case "announce-port":
		v, err := redisconf.ParseInt(value)
		if err != nil || v < 0 || v > 65535 {
			return badValue()
		}
		c.AnnouncePort = int(v)
	case "sentinel-user":
		c.SentinelUser = value
		c.dropSentinelLinks()
	case "sentinel-pass":
		c.SentinelPass = value
		c.dropSentinelLinks()
	default:
		return errf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", param)
	}
	c.markDirty()
	return nil
}

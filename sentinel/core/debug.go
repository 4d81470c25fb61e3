package core

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/redisconf"
)

// debugParams ties the SENTINEL DEBUG names to the Timing fields, in the
// order SENTINEL DEBUG lists them (the tcl suite reads values by index).
var debugParams = []struct {
	name  string // the setting name; the listing shows it upper-cased
	field func(*Timing) *time.Duration
}{
	{"info-period", func(t *Timing) *time.Duration { return &t.InfoPeriod }},
	{"ping-period", func(t *Timing) *time.Duration { return &t.PingPeriod }},
	{"ask-period", func(t *Timing) *time.Duration { return &t.AskPeriod }},
	{"publish-period", func(t *Timing) *time.Duration { return &t.PublishPeriod }},
	{"default-down-after", func(t *Timing) *time.Duration { return &t.DefaultDownAfter }},
	{"default-failover-timeout", func(t *Timing) *time.Duration { return &t.DefaultFailoverTimeout }},
	{"tilt-trigger", func(t *Timing) *time.Duration { return &t.TiltTrigger }},
	{"tilt-period", func(t *Timing) *time.Duration { return &t.TiltPeriod }},
	{"slave-reconf-timeout", func(t *Timing) *time.Duration { return &t.SlaveReconfTimeout }},
	{"min-link-reconnect-period", func(t *Timing) *time.Duration { return &t.MinLinkReconnectPeriod }},
	{"election-timeout", func(t *Timing) *time.Duration { return &t.ElectionTimeout }},
	{"script-max-runtime", func(t *Timing) *time.Duration { return &t.ScriptMaxRuntime }},
	{"script-retry-delay", func(t *Timing) *time.Duration { return &t.ScriptRetryDelay }},
}

// Debug is SENTINEL DEBUG <param> <value> [...]: it sets internal periods
// (milliseconds, > 0). Pairs apply in order; the first bad one stops with
// its error and those before it stay set, as in Redis. New values take
// effect from the next use (default-down-after and
// default-failover-timeout only for masters added later). The periods are
// not saved in the config file.
func (c *Core) Debug(args []string) error {
	for j := 0; j < len(args); j++ {
		opt := args[j]
		var field *time.Duration
		if j+1 < len(args) {
			for _, p := range debugParams {
				if redisconf.LowerASCII(opt) == p.name {
					field = p.field(&c.Timing)
					break
				}
			}
		}
		if field == nil {
			return errf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", opt)
		}
		j++
		v, err := redisconf.ParseInt(args[j])
		// Values past what a time.Duration holds (292 years) are refused
		// too; Redis would take them, but nothing could wait that long.
		if err != nil || v <= 0 || v > math.MaxInt64/int64(time.Millisecond) {
			return errf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", args[j], opt)
		}
		*field = time.Duration(v) * time.Millisecond
	}
	return nil
}

// DebugValues is SENTINEL DEBUG without arguments: the 13 periods, with
// upper-case names and millisecond values.
func (c *Core) DebugValues() [][2]string {
	out := make([][2]string, 0, len(debugParams))
	for _, p := range debugParams {
		ms := p.field(&c.Timing).Milliseconds()
		out = append(out, [2]string{strings.ToUpper(p.name), strconv.FormatInt(ms, 10)})
	}
	return out
}

// SetSimulateFailure is SENTINEL SIMULATE-FAILURE <flag> [...]. The flags
// are replaced, not added to: they are cleared first, then each word sets
// one (crash-after-election, crash-after-promotion, any case). "help" ends
// the command at once with help = true (the caller replies with the two
// flag names), keeping the flags set by earlier words; an unknown word
// ends it with an error, also keeping them, as Redis does.
func (c *Core) SetSimulateFailure(args []string) (help bool, err error) {
	c.SimFailure = 0
	for _, a := range args {
		switch redisconf.LowerASCII(a) {
		case "crash-after-election":
			c.SimFailure |= SimCrashAfterElection
		case "crash-after-promotion":
			c.SimFailure |= SimCrashAfterPromotion
		case "help":
			return true, nil
		default:
			return false, coreError("ERR Unknown failure simulation specified")
		}
	}
	return false, nil
}

// SimulateFailureHelp is the reply to SENTINEL SIMULATE-FAILURE HELP.
var SimulateFailureHelp = []string{"crash-after-election", "crash-after-promotion"}

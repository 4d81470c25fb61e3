package e2e

// The Lettuce transcript test: what Lettuce 6.4 sends to a sentinel
// (protocol brief §6.1), replayed byte for byte against a real
// redis-sentinel 7.0 and a warden sentinel watching the same group, every
// reply decoded with internal/resp and checked for the shape Lettuce
// parses, and the two sentinels' replies compared shape for shape (types,
// map keys in order, texts of statuses and errors; bytes where nothing
// varies). The only allowances are for Redis's hash-table order, which
// its random hash seed makes vary from run to run: the entries of
// REPLICAS/SLAVES/SENTINELS, the frames of an UNSUBSCRIBE of every
// channel, and the +slave events after a switch are compared as sets.

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
)

// decode parses raw as exactly one reply.
func decode(t testing.TB, what string, raw []byte) resp.Value {
	t.Helper()
	v, n, err := resp.ParseReply(raw, resp.ReplyLimits{})
	if err != nil || n != len(raw) {
		t.Fatalf("%s: reply %q does not decode as one reply (used %d bytes): %v", what, raw, n, err)
	}
	return v
}

// rdo sends a command on a raw connection and decodes its reply.
func rdo(t testing.TB, c *testutil.RawConn, args ...string) resp.Value {
	t.Helper()
	return decode(t, strings.Join(args, " "), c.Do(args...))
}

// skipMessages sends a command on a subscribed connection and returns
// its reply, skipping the (p)message frames that may come first.
func skipMessages(t testing.TB, c *testutil.RawConn, args ...string) resp.Value {
	t.Helper()
	c.Send(testutil.EncodeCommand(args...))
	for {
		raw, err := c.ReadReply()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		v := decode(t, strings.Join(args, " "), raw)
		if (v.Type == '>' || v.Type == '*') && len(v.Elems) > 0 &&
			(v.Elems[0].Str == "pmessage" || v.Elems[0].Str == "message") {
			continue
		}
		return v
	}
}

// replyShape describes v without the values that differ between two
// healthy sentinels (ids, times, addresses): the type of every value, the
// keys of maps in order, the text of simple strings and errors. With
// unordered, the elements of the top-level aggregate are sorted, for the
// replies whose order is Redis's hash-table order (REPLICAS, SENTINELS).
func replyShape(v resp.Value, unordered bool) string {
	var b strings.Builder
	writeShape(&b, v, unordered)
	return b.String()
}

func writeShape(b *strings.Builder, v resp.Value, unordered bool) {
	b.WriteByte(v.Type)
	if v.Null {
		b.WriteString("null")
		return
	}
	switch v.Type {
	case '+', '-':
		b.WriteString(v.Str)
	case '%':
		b.WriteByte('{')
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if i > 0 {
				b.WriteByte(' ')
			}
			k := v.Elems[i]
			if k.Type != '$' && k.Type != '+' {
				writeShape(b, k, false)
			} else {
				b.WriteString(k.Str)
			}
			b.WriteByte('=')
			writeShape(b, v.Elems[i+1], false)
		}
		b.WriteByte('}')
	case '*', '~', '>':
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = replyShape(e, false)
		}
		if unordered {
			sort.Strings(parts)
		}
		b.WriteByte('[')
		b.WriteString(strings.Join(parts, " "))
		b.WriteByte(']')
	}
}

// mapOf returns a RESP3 map's entries, failing unless v is a map whose
// keys are bulk strings and, with bulkValues, whose values are too.
func mapOf(t testing.TB, what string, v resp.Value, bulkValues bool) (map[string]string, []string) {
	t.Helper()
	if v.Type != '%' {
		t.Fatalf("%s: got type %q (%s), want a RESP3 map", what, v.Type, replyShape(v, false))
	}
	m := map[string]string{}
	var keys []string
	for i := 0; i+1 < len(v.Elems); i += 2 {
		k, val := v.Elems[i], v.Elems[i+1]
		if k.Type != '$' {
			t.Fatalf("%s: key %d has type %q, want a bulk string", what, i/2, k.Type)
		}
		if bulkValues && (val.Type != '$' || val.Null) {
			t.Errorf("%s: value of %q has type %q (%s), want a bulk string (Lettuce and Spring read strings)",
				what, k.Str, val.Type, replyShape(val, false))
		}
		m[k.Str] = val.Str
		keys = append(keys, k.Str)
	}
	return m, keys
}

// checkNumeric fails for fields that are present and not integers.
func checkNumeric(t testing.TB, what string, m map[string]string, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if v, ok := m[f]; ok {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				t.Errorf("%s: %s = %q, not an integer", what, f, v)
			}
		}
	}
}

// requireKeys fails for fields missing from m.
func requireKeys(t testing.TB, what string, m map[string]string, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := m[f]; !ok {
			t.Errorf("%s: no %q field", what, f)
		}
	}
}

// pushLog collects the frames a subscribed raw connection receives.
type pushLog struct {
	mu     sync.Mutex
	frames []resp.Value
	err    error
}

// collect reads frames from c until it fails (it is closed at cleanup).
func (p *pushLog) collect(c *testutil.RawConn) {
	c.SetTimeout(10 * time.Minute)
	go func() {
		for {
			raw, err := c.ReadReply()
			var v resp.Value
			if err == nil {
				var n int
				v, n, err = resp.ParseReply(raw, resp.ReplyLimits{})
				if err == nil && n != len(raw) {
					err = fmt.Errorf("frame %q: %d trailing bytes", raw, len(raw)-n)
				}
			}
			p.mu.Lock()
			if err != nil {
				p.err = err
				p.mu.Unlock()
				return
			}
			p.frames = append(p.frames, v)
			p.mu.Unlock()
		}
	}()
}

func (p *pushLog) snapshot() ([]resp.Value, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]resp.Value(nil), p.frames...), p.err
}

func (p *pushLog) reset() {
	p.mu.Lock()
	p.frames = nil
	p.mu.Unlock()
}

// pmessage is one event as Lettuce gets it from PSUBSCRIBE *.
type pmessage struct{ channel, payload string }

// events checks that every frame is a RESP3 push `>4 pmessage * <channel>
// <payload>` of bulk strings and returns them.
func (p *pushLog) events(t testing.TB, who string) []pmessage {
	t.Helper()
	frames, _ := p.snapshot()
	var out []pmessage
	for _, f := range frames {
		ok := f.Type == '>' && len(f.Elems) == 4
		for i := 0; ok && i < 4; i++ {
			ok = f.Elems[i].Type == '$' && !f.Elems[i].Null
		}
		if !ok || f.Elems[0].Str != "pmessage" || f.Elems[1].Str != "*" {
			t.Fatalf("%s: event frame %s is not a RESP3 push >4 pmessage * <channel> <payload>", who,
				replyShape(f, false))
		}
		out = append(out, pmessage{f.Elems[2].Str, f.Elems[3].Str})
	}
	return out
}

// waitEvent waits until the log holds channel and returns its payload.
func (p *pushLog) waitEvent(t testing.TB, who, channel string, limit time.Duration) string {
	t.Helper()
	var payload string
	testutil.WaitFor(t, limit, 20*time.Millisecond, func() (bool, string) {
		evs := p.events(t, who)
		for _, e := range evs {
			if e.channel == channel {
				payload = e.payload
				return true, ""
			}
		}
		_, err := p.snapshot()
		return false, fmt.Sprintf("%s: no %s among %d events (read error: %v)", who, channel, len(evs), err)
	})
	return payload
}

// waitCount waits until the log holds n events on channel.
func (p *pushLog) waitCount(t testing.TB, who kind, channel string, n int, limit time.Duration) {
	t.Helper()
	testutil.WaitFor(t, limit, 20*time.Millisecond, func() (bool, string) {
		got := 0
		for _, e := range p.events(t, string(who)) {
			if e.channel == channel {
				got++
			}
		}
		return got >= n, fmt.Sprintf("%s sentinel: %d %s events, want %d", who, got, channel, n)
	})
}

var (
	hexIDRE  = regexp.MustCompile(`\b[0-9a-f]{40}\b`)
	numberRE = regexp.MustCompile(`\b[0-9]+\b`)
)

// normalizePayload replaces what differs between two failovers in an
// event payload: ports by the role of their process (roles), sentinel ids
// by <id>, epochs by <epoch>.
func normalizePayload(channel, payload string, roles map[string]string) string {
	payload = hexIDRE.ReplaceAllString(payload, "<id>")
	switch channel {
	case "+new-epoch":
		return "<epoch>"
	case "+vote-for-leader":
		return numberRE.ReplaceAllString(payload, "<epoch>")
	}
	return numberRE.ReplaceAllStringFunc(payload, func(n string) string {
		if r, ok := roles[n]; ok {
			return r
		}
		return n
	})
}

// failoverChain are the events a failover leader publishes exactly once,
// in this order, whichever sentinel it is (with one other replica to
// reconfigure).
var failoverChain = []string{
	"+new-epoch", "+try-failover", "+vote-for-leader", "+elected-leader",
	"+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
	"+failover-state-wait-promotion", "+promoted-slave", "+failover-state-reconf-slaves",
	"+slave-reconf-sent", "+slave-reconf-inprog", "+slave-reconf-done", "+failover-end", "+switch-master",
}

func chainOf(evs []pmessage) []string {
	in := map[string]bool{}
	for _, c := range failoverChain {
		in[c] = true
	}
	var out []string
	for _, e := range evs {
		if in[e.channel] {
			out = append(out, e.channel)
		}
	}
	return out
}

func channelsOf(evs []pmessage) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.channel)
	}
	return out
}

// lettuceSide is one sentinel as the transcript sees it.
type lettuceSide struct {
	s      *sentinelProc
	cmd    *testutil.RawConn // the command connection (HELLO 3 first)
	pubsub *testutil.RawConn // HELLO 3 then PSUBSCRIBE *
	events *pushLog
	shapes map[string]string // step → reply shape, for the comparison
}

// TestSentinelLettuceTranscript replays Lettuce 6.4's sentinel traffic
// against a real redis-sentinel and a warden sentinel watching the same
// three real redis-server nodes with the same config.
func TestSentinelLettuceTranscript(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{real, warden})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	g.waitReplicasSettled()
	master := g.nodes[0]
	sides := []*lettuceSide{}
	for _, s := range g.sentinels {
		sides = append(sides, &lettuceSide{s: s, shapes: map[string]string{}})
	}

	// The handshake and the topology queries (RedisHandshake, then
	// SentinelTopologyProvider), on one connection per sentinel.
	for _, sd := range sides {
		who := fmt.Sprintf("%s sentinel", sd.s.kind)
		sd.cmd = testutil.Dial(t, sd.s.addr())
		record := func(step string, v resp.Value, unordered bool) {
			sd.shapes[step] = replyShape(v, unordered)
		}

		hello := rdo(t, sd.cmd, "HELLO", "3")
		record("HELLO 3", hello, false)
		hm, keys := mapOf(t, who+" HELLO 3", hello, false)
		eq(t, who+" HELLO 3 keys", keys, []string{"server", "version", "proto", "id", "mode", "modules"})
		eq(t, who+" HELLO mode", hm["mode"], "sentinel")
		eq(t, who+" HELLO server", hm["server"], "redis")
		for i := 0; i+1 < len(hello.Elems); i += 2 {
			k, v := hello.Elems[i].Str, hello.Elems[i+1]
			switch k {
			case "proto":
				if v.Type != ':' || v.Int != 3 {
					t.Errorf("%s HELLO proto = %s %d, want integer 3", who, replyShape(v, false), v.Int)
				}
			case "id":
				if v.Type != ':' {
					t.Errorf("%s HELLO id has type %q, want an integer (Lettuce reads it as a long)", who, v.Type)
				}
			case "version":
				// Lettuce 6.3 compares it with 7.2 to decide on CLIENT
				// SETINFO: it must parse as a version.
				parts := strings.Split(v.Str, ".")
				for _, p := range parts {
					if _, err := strconv.Atoi(p); err != nil || len(parts) != 3 || v.Type != '$' {
						t.Errorf("%s HELLO version %s %q does not parse as x.y.z", who, replyShape(v, false), v.Str)
						break
					}
				}
			case "modules":
				if v.Type != '*' || len(v.Elems) != 0 {
					t.Errorf("%s HELLO modules = %s, want an empty array", who, replyShape(v, false))
				}
			}
		}

		// Fire-and-forget in Lettuce 6.4: the reply is only logged, but
		// it must be one reply, so the next command's reply lines up.
		for _, args := range [][]string{{"CLIENT", "SETINFO", "lib-name", "Lettuce"}, {"CLIENT", "SETINFO", "lib-ver", "6.4.0"}} {
			v := rdo(t, sd.cmd, args...)
			record(strings.Join(args, " "), v, false)
			if v.Type != '+' && v.Type != '-' {
				t.Errorf("%s %v: reply %s, want +OK or an error", who, args, replyShape(v, false))
			}
		}

		addr := rdo(t, sd.cmd, "SENTINEL", "get-master-addr-by-name", groupName)
		record("SENTINEL get-master-addr-by-name", addr, false)
		if addr.Type != '*' || len(addr.Elems) != 2 || addr.Elems[0].Type != '$' || addr.Elems[1].Type != '$' {
			t.Fatalf("%s get-master-addr-by-name: %s, want an array of 2 bulk strings (SocketAddressOutput)",
				who, replyShape(addr, false))
		}
		port, err := strconv.Atoi(addr.Elems[1].Str)
		if err != nil || addr.Elems[0].Str+":"+strconv.Itoa(port) != master.addr() {
			t.Errorf("%s get-master-addr-by-name = %q %q, want %s", who, addr.Elems[0].Str, addr.Elems[1].Str,
				master.addr())
		}
		unknown := rdo(t, sd.cmd, "SENTINEL", "get-master-addr-by-name", "nosuchmaster")
		record("SENTINEL get-master-addr-by-name unknown", unknown, false)
		if unknown.Type != '_' {
			t.Errorf("%s get-master-addr-by-name of an unknown name: %s, want RESP3 null", who,
				replyShape(unknown, false))
		}

		mv := rdo(t, sd.cmd, "SENTINEL", "master", groupName)
		record("SENTINEL master", mv, false)
		mm, _ := mapOf(t, who+" SENTINEL master", mv, true)
		// What Lettuce (ip, port) and Spring's RedisServer read.
		requireKeys(t, who+" SENTINEL master", mm, "name", "ip", "port", "runid", "flags", "last-ping-sent",
			"last-ok-ping-reply", "down-after-milliseconds", "info-refresh", "role-reported", "role-reported-time",
			"config-epoch", "num-slaves", "num-other-sentinels", "quorum", "failover-timeout", "parallel-syncs")
		checkNumeric(t, who+" SENTINEL master", mm, "port", "link-pending-commands", "link-refcount",
			"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
			"role-reported-time", "config-epoch", "num-slaves", "num-other-sentinels", "quorum", "failover-timeout",
			"parallel-syncs")
		eq(t, who+" master name", mm["name"], groupName)
		eq(t, who+" master address", mm["ip"]+":"+mm["port"], master.addr())
		eq(t, who+" master flags", mm["flags"], "master")
		eq(t, who+" master num-slaves", mm["num-slaves"], "2")
		eq(t, who+" master num-other-sentinels", mm["num-other-sentinels"], "1")

		rv := rdo(t, sd.cmd, "SENTINEL", "replicas", groupName)
		record("SENTINEL replicas", rv, true)
		if rv.Type != '*' || len(rv.Elems) != 2 {
			t.Fatalf("%s SENTINEL replicas: %s, want an array of 2 maps", who, replyShape(rv, false))
		}
		var reps []string
		for i, e := range rv.Elems {
			what := fmt.Sprintf("%s SENTINEL replicas[%d]", who, i)
			em, _ := mapOf(t, what, e, true)
			requireKeys(t, what, em, "ip", "port", "flags")
			checkNumeric(t, what, em, "port", "master-port", "slave-priority", "slave-repl-offset")
			// Lettuce keeps a replica unless its flags say s_down, o_down
			// or disconnected.
			if em["flags"] != "slave" {
				t.Errorf("%s flags = %q, want slave", what, em["flags"])
			}
			reps = append(reps, em["ip"]+":"+em["port"])
		}
		eq(t, who+" replicas", sorted(reps), sorted([]string{g.nodes[1].addr(), g.nodes[2].addr()}))

		// Not sent by Lettuce, but by go-redis and ioredis; same entries.
		sv := rdo(t, sd.cmd, "SENTINEL", "sentinels", groupName)
		record("SENTINEL sentinels", sv, true)
		if sv.Type != '*' || len(sv.Elems) != 1 {
			t.Fatalf("%s SENTINEL sentinels: %s, want an array of 1 map", who, replyShape(sv, false))
		}
		sm, _ := mapOf(t, who+" SENTINEL sentinels[0]", sv.Elems[0], true)
		requireKeys(t, who+" SENTINEL sentinels[0]", sm, "ip", "port", "flags", "runid")

		// Spring's LettuceSentinelConnection: masters() and replicas()
		// (sent as SLAVES).
		msv := rdo(t, sd.cmd, "SENTINEL", "masters")
		record("SENTINEL masters", msv, false)
		if msv.Type != '*' || len(msv.Elems) != 1 {
			t.Fatalf("%s SENTINEL masters: %s, want an array of 1 map", who, replyShape(msv, false))
		}
		mapOf(t, who+" SENTINEL masters[0]", msv.Elems[0], true)
		record("SENTINEL slaves", rdo(t, sd.cmd, "SENTINEL", "slaves", groupName), true)

		// The handshake with the options Lettuce adds: a client name,
		// credentials (any password passes a nopass default user), a bad
		// user.
		for _, args := range [][]string{
			{"HELLO", "3", "SETNAME", "lettuce#sentinel"},
			{"HELLO", "3", "AUTH", "default", "secret", "SETNAME", "x"},
			{"HELLO", "3", "AUTH", "nobody", "secret"},
			{"HELLO", "3", "AUTH", "default"},
		} {
			c := testutil.Dial(t, sd.s.addr())
			record(strings.Join(args, " "), rdo(t, c, args...), false)
			c.Close()
		}
		record("CLIENT GETNAME after HELLO SETNAME", func() resp.Value {
			c := testutil.Dial(t, sd.s.addr())
			defer c.Close()
			rdo(t, c, "HELLO", "3", "SETNAME", "lettuce#sentinel")
			return rdo(t, c, "CLIENT", "GETNAME")
		}(), false)

		// RESP2 subscribers: the confirmation, PING in subscribed mode,
		// and the refusal of other commands.
		c2 := testutil.Dial(t, sd.s.addr())
		for i, args := range [][]string{{"PSUBSCRIBE", "*"}, {"PING"}, {"PING", "x"}, {"SENTINEL", "MASTERS"},
			{"PUNSUBSCRIBE", "*"}, {"PING"}} {
			v := skipMessages(t, c2, args...)
			step := fmt.Sprintf("RESP2 subscribed %d: %s", i, strings.Join(args, " "))
			record(step, v, false)
			sd.shapes[step+" bytes"] = string(resp.AppendValue(nil, v))
		}
		c2.Close()

		// go-redis's subscription (RESP3): one confirmation per channel,
		// and the unsubscribe forms, nulls included.
		c3 := testutil.Dial(t, sd.s.addr())
		rdo(t, c3, "HELLO", "3")
		c3.Send(testutil.EncodeCommand("SUBSCRIBE", "+switch-master", "+replica-reconf-done"))
		// UNSUBSCRIBE without channels answers in the order of Redis's
		// channel table, which its random hash seed makes vary: for that
		// pair only the channels as a set and the counts are compared.
		var unsubChannels, unsubCounts []string
		for i, args := range [][]string{{"SUBSCRIBE", "+switch-master", "+replica-reconf-done"}, {"(second)"},
			{"PUNSUBSCRIBE"}, {"UNSUBSCRIBE"}, {"(second)"}, {"UNSUBSCRIBE"}, {"PING"}} {
			if args[0] != "(second)" && i > 0 {
				c3.Send(testutil.EncodeCommand(args...))
			}
			raw, err := c3.ReadReply()
			must(t, err)
			step := fmt.Sprintf("RESP3 subscribe %d: %s", i, strings.Join(args, " "))
			v := decode(t, step, raw)
			record(step, v, false)
			if (i == 3 || i == 4) && len(v.Elems) == 3 {
				unsubChannels = append(unsubChannels, v.Elems[1].Str)
				unsubCounts = append(unsubCounts, strconv.FormatInt(v.Elems[2].Int, 10))
				continue
			}
			sd.shapes[step+" bytes"] = string(raw)
		}
		sd.shapes["RESP3 UNSUBSCRIBE all: channels"] = strings.Join(sorted(unsubChannels), " ")
		sd.shapes["RESP3 UNSUBSCRIBE all: counts"] = strings.Join(unsubCounts, " ")
		c3.Close()

		// Lettuce's Master/Replica pub/sub connection.
		sd.pubsub = testutil.Dial(t, sd.s.addr())
		record("pubsub HELLO 3", rdo(t, sd.pubsub, "HELLO", "3"), false)
		conf := rdo(t, sd.pubsub, "PSUBSCRIBE", "*")
		record("PSUBSCRIBE *", conf, false)
		if conf.Type != '>' || len(conf.Elems) != 3 || conf.Elems[0].Str != "psubscribe" ||
			conf.Elems[1].Type != '$' || conf.Elems[1].Str != "*" || conf.Elems[2].Type != ':' || conf.Elems[2].Int != 1 {
			t.Fatalf("%s PSUBSCRIBE * confirmation: %s, want >3 psubscribe * :1", who, replyShape(conf, false))
		}
		for _, args := range [][]string{{"PING"}, {"PING", "x"}, {"SENTINEL", "get-master-addr-by-name", groupName}} {
			v := skipMessages(t, sd.pubsub, args...)
			record("RESP3 subscribed "+strings.Join(args, " "), v, false)
			if args[0] == "PING" {
				sd.shapes["RESP3 subscribed "+strings.Join(args, " ")+" bytes"] = string(resp.AppendValue(nil, v))
			}
		}
		sd.events = &pushLog{}
		sd.events.collect(sd.pubsub)
	}

	// An event each: +set, asked of each sentinel on its own.
	for _, sd := range sides {
		who := fmt.Sprintf("%s sentinel", sd.s.kind)
		v := rdo(t, sd.cmd, "SENTINEL", "SET", groupName, "quorum", "2")
		sd.shapes["SENTINEL SET quorum"] = replyShape(v, false)
		payload := sd.events.waitEvent(t, who, "+set", 10*time.Second)
		want := fmt.Sprintf("master %s 127.0.0.1 %d quorum 2", groupName, master.port)
		eq(t, who+" +set payload", payload, want)
	}

	// A failover led by each sentinel in turn: every event on both
	// subscriptions is a >4 push; the leaders publish the same chain; the
	// observer switches to the same address.
	chains := map[kind][]string{}
	payloads := map[string][][]string{} // leader/observer → per failover
	current := master
	for _, lead := range sides {
		g.waitDiscovered(2, 1)
		g.waitReplicasSettled()
		for _, sd := range sides {
			sd.events.reset()
		}
		old := current
		leader := fmt.Sprintf("%s sentinel", lead.s.kind)
		testutil.WaitFor(t, 30*time.Second, 200*time.Millisecond, func() (bool, string) {
			v := rdo(t, lead.cmd, "SENTINEL", "FAILOVER", groupName)
			return v.Type == '+' && v.Str == "OK", fmt.Sprintf("SENTINEL FAILOVER on the %s: %s", leader,
				replyShape(v, false))
		})
		current = g.waitNewMaster(old, 60*time.Second)
		var switched []string
		for _, sd := range sides {
			who := fmt.Sprintf("%s sentinel (leader: %s)", sd.s.kind, leader)
			switched = append(switched, sd.events.waitEvent(t, who, "+switch-master", 30*time.Second))
		}
		want := fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", groupName, old.port, current.port)
		eq(t, "+switch-master payloads (leader: "+leader+")", switched, []string{want, want})
		evs := lead.events.events(t, leader)
		chains[lead.s.kind] = chainOf(evs)
		eq(t, leader+" failover chain", chainOf(evs), failoverChain)
		// The observer learns the new config from the leader's hello.
		// Every sentinel re-adds the same replicas under the new master,
		// with the payload Lettuce's topology refresh matches ("@ <name> ").
		var slaves [][]string
		for _, sd := range sides {
			sd.events.waitCount(t, sd.s.kind, "+slave", 2, 10*time.Second)
			var ps []string
			for _, e := range sd.events.events(t, "observer") {
				if e.channel == "+slave" {
					ps = append(ps, e.payload)
				}
			}
			slaves = append(slaves, sorted(ps))
			if sd == lead {
				continue
			}
			evs := sd.events.events(t, "observer")
			var got []string
			for _, c := range channelsOf(evs) {
				if c == "+new-epoch" || c == "+config-update-from" || c == "+switch-master" {
					got = append(got, c)
				}
			}
			eq(t, fmt.Sprintf("observer %s, %s leading", sd.s.kind, leader), got,
				[]string{"+new-epoch", "+config-update-from", "+switch-master"})
			t.Logf("observer %s saw, with the %s leading: %v", sd.s.kind, leader, channelsOf(evs))
		}
		eq(t, "+slave payloads of leader and observer", slaves[1], slaves[0])
		if len(slaves[0]) != 2 || !strings.Contains(slaves[0][0], "@ "+groupName+" ") {
			t.Errorf("+slave payloads %q: want the two other nodes, \"@ %s \" in each", slaves[0], groupName)
		}
		t.Logf("leader %s published: %v", leader, channelsOf(evs))
		// The payloads, with what differs between the two failovers
		// (addresses, ids, epochs) replaced by their role.
		roles := map[string]string{strconv.Itoa(old.port): "OLD", strconv.Itoa(current.port): "NEW"}
		for _, n := range g.nodes {
			if n != old && n != current {
				roles[strconv.Itoa(n.port)] = "OTHER"
			}
		}
		for _, sd := range sides {
			roles[strconv.Itoa(sd.s.port)] = "SENTINEL"
		}
		for _, sd := range sides {
			role := "observer"
			if sd == lead {
				role = "leader"
			}
			var got []string
			for _, e := range sd.events.events(t, role) {
				if (role == "leader" && slices.Contains(failoverChain, e.channel)) || e.channel == "+slave" ||
					e.channel == "+new-epoch" || e.channel == "+config-update-from" || e.channel == "+switch-master" {
					got = append(got, e.channel+" "+normalizePayload(e.channel, e.payload, roles))
				}
			}
			payloads[role] = append(payloads[role], got)
		}
		for _, n := range g.nodes {
			if n != current {
				g.waitReplicaOf(n, current, 60*time.Second)
			}
		}
	}

	// Leader and observer published the same payloads, whichever
	// sentinel led. (+slave order is the replica table's; the two +slave
	// events are the last ones of either role.)
	for _, role := range []string{"leader", "observer"} {
		if len(payloads[role]) != 2 {
			t.Fatalf("%s payloads: %q", role, payloads[role])
		}
		a, b := payloads[role][0], payloads[role][1]
		for _, l := range [][]string{a, b} {
			if n := len(l); n >= 2 {
				sort.Strings(l[n-2:])
			}
		}
		eq(t, fmt.Sprintf("%s events, warden leading vs redis-sentinel leading", role), b, a)
	}
	t.Logf("leader payloads: %q", payloads["leader"][0])
	t.Logf("observer payloads: %q", payloads["observer"][0])

	// RESP2, as a client that never sent HELLO (Lettuce after its
	// fallback, redis-py, ioredis): same replies from both.
	resp2 := [][]string{
		{"PING"},
		{"PING", "hello"},
		{"AUTH", "secret"},
		{"AUTH", "default", "secret"},
		{"AUTH", "nobody", "secret"},
		{"HELLO", "4"},
		{"HELLO", "x"},
		{"HELLO", "2"},
		{"CLIENT", "SETNAME", "lettuce#sentinel"},
		{"CLIENT", "GETNAME"},
		{"QUIT"},
		{"NOSUCHCOMMAND", "arg"},
	}
	for _, sd := range sides {
		c := testutil.Dial(t, sd.s.addr())
		for _, args := range resp2 {
			v := rdo(t, c, args...)
			step := "RESP2 " + strings.Join(args, " ")
			sd.shapes[step] = replyShape(v, false)
			switch step {
			case "RESP2 HELLO 2":
				// A flat array: its keys and the constant values.
				var kv []string
				for i := 0; i+1 < len(v.Elems); i += 2 {
					val := v.Elems[i+1].Str
					if v.Elems[i].Str == "id" {
						val = "<id>"
					} else if v.Elems[i+1].Type == ':' {
						val = strconv.FormatInt(v.Elems[i+1].Int, 10)
					}
					kv = append(kv, v.Elems[i].Str+"="+val)
				}
				sd.shapes[step+" fields"] = strings.Join(kv, " ")
			default:
				sd.shapes[step+" bytes"] = string(resp.AppendValue(nil, v))
			}
		}
	}
	// Lettuce's fallback test: an unknown command's error starts with ERR
	// and contains "unknown".
	for _, sd := range sides {
		got := sd.shapes["RESP2 NOSUCHCOMMAND arg"]
		if !strings.HasPrefix(got, "-ERR ") || !strings.Contains(got, "unknown") {
			t.Errorf("%s sentinel: unknown command answered %s", sd.s.kind, got)
		}
	}

	// The comparison: every step, real against warden.
	realShapes, wardenShapes := sides[0].shapes, sides[1].shapes
	var steps []string
	for step := range realShapes {
		steps = append(steps, step)
	}
	sort.Strings(steps)
	for _, step := range steps {
		if realShapes[step] != wardenShapes[step] {
			t.Errorf("%s: shapes differ\n  redis-sentinel: %s\n  warden:         %s", step, realShapes[step],
				wardenShapes[step])
		}
	}
	eq(t, "steps compared", len(wardenShapes), len(realShapes))
	t.Logf("%d replies compared between redis-sentinel and warden; failover chains %v", len(steps), chains)
}

package backend

import (
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/ds"
	"github.com/wardenhq/warden/internal/resp"
)

// pubsubState holds channel and pattern subscriptions. Subscribers of a
// channel are kept in subscription order, which is the delivery order.
type pubsubState struct {
	channels map[string][]*Client
	patterns map[string][]*Client
	// patternOrder keeps patterns in first-subscription order so pattern
	// messages go out in a stable order.
	patternOrder []string
	shard        map[string][]*Client
}

func (p *pubsubState) init() {
	p.channels = map[string][]*Client{}
	p.patterns = map[string][]*Client{}
	p.shard = map[string][]*Client{}
}

func init() {
	register(
		&Command{Name: "subscribe", Arity: -2, Flags: FlagPubsub | FlagNoScript | FlagLoading | FlagStale, Group: "pubsub", Since: "2.0.0",
			Summary: "Listen for messages published to the given channels", ACL: []string{"pubsub", "slow"}, Proc: subscribeCommand},
		&Command{Name: "unsubscribe", Arity: -1, Flags: FlagPubsub | FlagNoScript | FlagLoading | FlagStale, Group: "pubsub", Since: "2.0.0",
			Summary: "Stop listening for messages posted to the given channels", ACL: []string{"pubsub", "slow"}, Proc: unsubscribeCommand},
		&Command{Name: "psubscribe", Arity: -2, Flags: FlagPubsub | FlagNoScript | FlagLoading | FlagStale, Group: "pubsub", Since: "2.0.0",
			Summary: "Listen for messages published to channels matching the given patterns", ACL: []string{"pubsub", "slow"}, Proc: psubscribeCommand},
		&Command{Name: "punsubscribe", Arity: -1, Flags: FlagPubsub | FlagNoScript | FlagLoading | FlagStale, Group: "pubsub", Since: "2.0.0",
			Summary: "Stop listening for messages posted to channels matching the given patterns", ACL: []string{"pubsub", "slow"}, Proc: punsubscribeCommand},
		&Command{Name: "ssubscribe", Arity: -2, Flags: FlagPubsub | FlagNoScript | FlagLoading | FlagStale, FirstKey: 1, LastKey: -1, Step: 1, Group: "pubsub", Since: "7.0.0",
			Summary: "Listen for messages published to the given shard channels", ACL: []string{"pubsub", "slow"}, Proc: ssubscribeCommand},
		&Command{Name: "sunsubscribe", Arity: -1, Flags: FlagPubsub | FlagNoScript | FlagLoading | FlagStale, FirstKey: 1, LastKey: -1, Step: 1, Group: "pubsub", Since: "7.0.0",
			Summary: "Stop listening for messages posted to the given shard channels", ACL: []string{"pubsub", "slow"}, Proc: sunsubscribeCommand},
		&Command{Name: "publish", Arity: 3, Flags: FlagPubsub | FlagLoading | FlagStale | FlagFast | FlagMayReplicate, Group: "pubsub", Since: "2.0.0",
			Summary: "Post a message to a channel", ACL: []string{"pubsub", "fast"}, Proc: publishCommand},
		&Command{Name: "spublish", Arity: 3, Flags: FlagPubsub | FlagLoading | FlagStale | FlagFast | FlagMayReplicate, FirstKey: 1, LastKey: 1, Step: 1, Group: "pubsub", Since: "7.0.0",
			Summary: "Post a message to a shard channel", ACL: []string{"pubsub", "fast"}, Proc: spublishCommand},
		&Command{Name: "pubsub", Arity: -2, Group: "pubsub", Since: "2.8.0", Summary: "A container for Pub/Sub commands", ACL: []string{"slow"},
			Sub: map[string]*Command{
				"channels": {Name: "pubsub|channels", Arity: -2, Flags: FlagPubsub | FlagLoading | FlagStale, Group: "pubsub", Since: "2.8.0",
					Summary: "List active channels", ACL: []string{"pubsub", "slow"}, Proc: pubsubChannelsCommand},
				"numsub": {Name: "pubsub|numsub", Arity: -2, Flags: FlagPubsub | FlagLoading | FlagStale, Group: "pubsub", Since: "2.8.0",
					Summary: "Get the count of subscribers for channels", ACL: []string{"pubsub", "slow"}, Proc: pubsubNumsubCommand},
				"numpat": {Name: "pubsub|numpat", Arity: 2, Flags: FlagPubsub | FlagLoading | FlagStale, Group: "pubsub", Since: "2.8.0",
					Summary: "Get the count of unique patterns pattern subscriptions", ACL: []string{"pubsub", "slow"}, Proc: pubsubNumpatCommand},
				"shardchannels": {Name: "pubsub|shardchannels", Arity: -2, Flags: FlagPubsub | FlagLoading | FlagStale, Group: "pubsub", Since: "7.0.0",
					Summary: "List active shard channels", ACL: []string{"pubsub", "slow"}, Proc: pubsubShardChannelsCommand},
				"shardnumsub": {Name: "pubsub|shardnumsub", Arity: -2, Flags: FlagPubsub | FlagLoading | FlagStale, Group: "pubsub", Since: "7.0.0",
					Summary: "Get the count of subscribers for shard channels", ACL: []string{"pubsub", "slow"}, Proc: pubsubShardNumsubCommand},
				"help": {Name: "pubsub|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "pubsub", Since: "6.2.0",
					Summary: "Show helpful text about the different subcommands", ACL: []string{"slow"}, Proc: pubsubHelpCommand},
			}},
	)
	clientFreeHooks = append(clientFreeHooks, func(c *Client) {
		c.srv.pubsub.unsubscribeAll(c)
	})
}

// subscriptions is the count Redis reports in (un)subscribe replies:
// channels plus patterns (shard channels are counted on their own).
func (c *Client) subscriptions() int { return len(c.subs) + len(c.psubs) }

func (c *Client) updatePubsubFlag() {
	if len(c.subs)+len(c.psubs)+len(c.ssubs) > 0 {
		c.flags |= flagPubsub
		c.class = classPubsub
	} else {
		c.flags &^= flagPubsub
		if c.class == classPubsub {
			c.class = classNormal
		}
	}
}

// replySubscription writes one (un)subscribe confirmation. channel nil
// means "no channel" (UNSUBSCRIBE with nothing subscribed).
func (c *Client) replySubscription(kind string, channel []byte, hasChannel bool, count int) {
	c.ReplyPush(3)
	c.ReplyBulkString(kind)
	if hasChannel {
		c.ReplyBulk(channel)
	} else {
		c.ReplyNull()
	}
	c.ReplyInt(int64(count))
}

func subscribeCommand(c *Client) {
	ps := &c.srv.pubsub
	for _, ch := range c.argv[1:] {
		name := string(ch)
		if c.subs == nil {
			c.subs = map[string]struct{}{}
		}
		if _, ok := c.subs[name]; !ok {
			c.subs[name] = struct{}{}
			ps.channels[name] = append(ps.channels[name], c)
		}
		c.updatePubsubFlag()
		c.replySubscription("subscribe", ch, true, c.subscriptions())
	}
}

func ssubscribeCommand(c *Client) {
	ps := &c.srv.pubsub
	for _, ch := range c.argv[1:] {
		name := string(ch)
		if c.ssubs == nil {
			c.ssubs = map[string]struct{}{}
		}
		if _, ok := c.ssubs[name]; !ok {
			c.ssubs[name] = struct{}{}
			ps.shard[name] = append(ps.shard[name], c)
		}
		c.updatePubsubFlag()
		c.replySubscription("ssubscribe", ch, true, len(c.ssubs))
	}
}

func psubscribeCommand(c *Client) {
	ps := &c.srv.pubsub
	for _, p := range c.argv[1:] {
		name := string(p)
		if c.psubs == nil {
			c.psubs = map[string]struct{}{}
		}
		if _, ok := c.psubs[name]; !ok {
			c.psubs[name] = struct{}{}
			if len(ps.patterns[name]) == 0 {
				ps.patternOrder = append(ps.patternOrder, name)
			}
			ps.patterns[name] = append(ps.patterns[name], c)
		}
		c.updatePubsubFlag()
		c.replySubscription("psubscribe", p, true, c.subscriptions())
	}
}

func removeClient(list []*Client, c *Client) []*Client {
	for i, x := range list {
		if x == c {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func (ps *pubsubState) unsubscribe(c *Client, name string) bool {
	if _, ok := c.subs[name]; !ok {
		return false
	}
	delete(c.subs, name)
	if l := removeClient(ps.channels[name], c); len(l) == 0 {
		delete(ps.channels, name)
	} else {
		ps.channels[name] = l
	}
	return true
}

func (ps *pubsubState) sunsubscribe(c *Client, name string) bool {
	if _, ok := c.ssubs[name]; !ok {
		return false
	}
	delete(c.ssubs, name)
	if l := removeClient(ps.shard[name], c); len(l) == 0 {
		delete(ps.shard, name)
	} else {
		ps.shard[name] = l
	}
	return true
}

func (ps *pubsubState) punsubscribe(c *Client, name string) bool {
	if _, ok := c.psubs[name]; !ok {
		return false
	}
	delete(c.psubs, name)
	if l := removeClient(ps.patterns[name], c); len(l) == 0 {
		delete(ps.patterns, name)
		for i, p := range ps.patternOrder {
			if p == name {
				ps.patternOrder = append(ps.patternOrder[:i:i], ps.patternOrder[i+1:]...)
				break
			}
		}
	} else {
		ps.patterns[name] = l
	}
	return true
}

func (ps *pubsubState) unsubscribeAll(c *Client) {
	for name := range c.subs {
		ps.unsubscribe(c, name)
	}
	for name := range c.psubs {
		ps.punsubscribe(c, name)
	}
	for name := range c.ssubs {
		ps.sunsubscribe(c, name)
	}
	c.updatePubsubFlag()
}

// sortedKeys returns a set's members in a stable order, for the replies of
// the "unsubscribe from everything" forms.
func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unsubscribeCommand(c *Client) {
	ps := &c.srv.pubsub
	if len(c.argv) == 1 {
		if len(c.subs) == 0 {
			c.replySubscription("unsubscribe", nil, false, c.subscriptions())
			return
		}
		for _, name := range sortedKeys(c.subs) {
			ps.unsubscribe(c, name)
			c.updatePubsubFlag()
			c.replySubscription("unsubscribe", []byte(name), true, c.subscriptions())
		}
		return
	}
	for _, ch := range c.argv[1:] {
		ps.unsubscribe(c, string(ch))
		c.updatePubsubFlag()
		c.replySubscription("unsubscribe", ch, true, c.subscriptions())
	}
}

func sunsubscribeCommand(c *Client) {
	ps := &c.srv.pubsub
	if len(c.argv) == 1 {
		if len(c.ssubs) == 0 {
			c.replySubscription("sunsubscribe", nil, false, len(c.ssubs))
			return
		}
		for _, name := range sortedKeys(c.ssubs) {
			ps.sunsubscribe(c, name)
			c.updatePubsubFlag()
			c.replySubscription("sunsubscribe", []byte(name), true, len(c.ssubs))
		}
		return
	}
	for _, ch := range c.argv[1:] {
		ps.sunsubscribe(c, string(ch))
		c.updatePubsubFlag()
		c.replySubscription("sunsubscribe", ch, true, len(c.ssubs))
	}
}

func punsubscribeCommand(c *Client) {
	ps := &c.srv.pubsub
	if len(c.argv) == 1 {
		if len(c.psubs) == 0 {
			c.replySubscription("punsubscribe", nil, false, c.subscriptions())
			return
		}
		for _, name := range sortedKeys(c.psubs) {
			ps.punsubscribe(c, name)
			c.updatePubsubFlag()
			c.replySubscription("punsubscribe", []byte(name), true, c.subscriptions())
		}
		return
	}
	for _, p := range c.argv[1:] {
		ps.punsubscribe(c, string(p))
		c.updatePubsubFlag()
		c.replySubscription("punsubscribe", p, true, c.subscriptions())
	}
}

// Publish delivers msg to the subscribers of channel and of matching
// patterns and returns how many received it.
func (s *Server) Publish(channel, msg []byte) int {
	ps := &s.pubsub
	n := 0
	for _, sub := range ps.channels[string(channel)] {
		s.deliver(sub, func(dst []byte, proto int) []byte {
			dst = resp.AppendPush(dst, 3, proto)
			dst = resp.AppendBulkString(dst, "message")
			dst = resp.AppendBulk(dst, channel)
			return resp.AppendBulk(dst, msg)
		})
		n++
	}
	for _, pat := range ps.patternOrder {
		if !ds.Match([]byte(pat), channel, false) {
			continue
		}
		for _, sub := range ps.patterns[pat] {
			s.deliver(sub, func(dst []byte, proto int) []byte {
				dst = resp.AppendPush(dst, 4, proto)
				dst = resp.AppendBulkString(dst, "pmessage")
				dst = resp.AppendBulkString(dst, pat)
				dst = resp.AppendBulk(dst, channel)
				return resp.AppendBulk(dst, msg)
			})
			n++
		}
	}
	return n
}

// deliver queues a message for sub, encoded for its protocol, and wakes its
// loop. A subscriber whose pending output passes the pub/sub hard limit is
// disconnected, as Redis does with client-output-buffer-limit pubsub.
func (s *Server) deliver(sub *Client, encode func(dst []byte, proto int) []byte) {
	if sub.flags&flagCloseASAP != 0 {
		return
	}
	sub.reply = encode(sub.reply, sub.proto)
	if lim := s.opts.OutputLimits[classPubsub]; lim.Hard > 0 && int64(len(sub.reply)) > lim.Hard {
		s.log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits.",
			zap.String("event", "output-limit"), zap.String("addr", sub.addr), zap.Int("pending", len(sub.reply)))
		sub.reply = nil
		s.closeClientAsync(sub, "output buffer limit")
		return
	}
	s.wake(sub)
}

func publishCommand(c *Client) {
	n := c.srv.Publish(c.argv[1], c.argv[2])
	c.propagateToReplicas()
	c.ReplyInt(int64(n))
}

func spublishCommand(c *Client) {
	s := c.srv
	n := 0
	channel, msg := c.argv[1], c.argv[2]
	for _, sub := range s.pubsub.shard[string(channel)] {
		s.deliver(sub, func(dst []byte, proto int) []byte {
			dst = resp.AppendPush(dst, 3, proto)
			dst = resp.AppendBulkString(dst, "smessage")
			dst = resp.AppendBulk(dst, channel)
			return resp.AppendBulk(dst, msg)
		})
		n++
	}
	c.propagateToReplicas()
	c.ReplyInt(int64(n))
}

func replyChannelList(c *Client, m map[string][]*Client) {
	var pat []byte
	if len(c.argv) > 3 {
		c.ReplyError(wrongArgs(c.cmd.Name))
		return
	}
	if len(c.argv) == 3 {
		pat = c.argv[2]
	}
	var names []string
	for name := range m {
		if pat == nil || ds.Match(pat, []byte(name), false) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	c.ReplyStrings(names)
}

func pubsubChannelsCommand(c *Client)      { replyChannelList(c, c.srv.pubsub.channels) }
func pubsubShardChannelsCommand(c *Client) { replyChannelList(c, c.srv.pubsub.shard) }

func replyNumsub(c *Client, m map[string][]*Client) {
	c.ReplyMap(len(c.argv) - 2)
	for _, ch := range c.argv[2:] {
		c.ReplyBulk(ch)
		c.ReplyInt(int64(len(m[string(ch)])))
	}
}

func pubsubNumsubCommand(c *Client)      { replyNumsub(c, c.srv.pubsub.channels) }
func pubsubShardNumsubCommand(c *Client) { replyNumsub(c, c.srv.pubsub.shard) }

func pubsubNumpatCommand(c *Client) { c.ReplyInt(int64(len(c.srv.pubsub.patterns))) }

func pubsubHelpCommand(c *Client) {
	helpReply(c, []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
}

func wrongArgs(name string) string {
	return "ERR wrong number of arguments for '" + strings.ToLower(name) + "' command"
}

package backend

import (
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// getkeysLines are command lines valid for both warden and Redis: at least
// one for every command of warden's table that has keys (the test checks
// none is missing), then the cases where Redis leaves the key specs for
// the command's key procedure or finds no keys.
var getkeysLines = []string{
	"append k v", "bitcount k", "bitfield_ro k get u8 0", "bitop and d a b", "bitpos k 1",
	"blmove a b left right 0", "blmpop 0 2 a b left", "blpop a b 0", "brpop a b 0",
	"brpoplpush a b 0", "bzmpop 0 2 a b min", "bzpopmax a b 0", "bzpopmin a b 0", "copy a b",
	"decr k", "decrby k 1", "del a b", "exists a b", "expire k 1", "expireat k 1",
	"expiretime k", "get k", "getbit k 0", "getdel k", "getex k", "getrange k 0 1",
	"getset k v", "hdel k f", "hexists k f", "hget k f", "hgetall k", "hincrby k f 1",
	"hincrbyfloat k f 1", "hkeys k", "hlen k", "hmget k f g", "hmset k f v", "hrandfield k",
	"hscan k 0", "hset k f v", "hsetnx k f v", "hstrlen k f", "hvals k", "incr k",
	"incrby k 1", "incrbyfloat k 1", "lcs a b", "lindex k 0", "linsert k before p v",
	"llen k", "lmove a b left right", "lmpop 2 a b left", "lpop k", "lpos k v", "lpush k v",
	"lpushx k v", "lrange k 0 1", "lrem k 0 v", "lset k 0 v", "ltrim k 0 1", "mget a b",
	"move k 1", "mset a 1 b 2", "msetnx a 1 b 2", "object encoding k", "object freq k",
	"object idletime k", "object refcount k", "persist k", "pexpire k 1", "pexpireat k 1",
	"pexpiretime k", "psetex k 1 v", "pttl k", "rename a b", "renamenx a b", "rpop k",
	"rpoplpush a b", "rpush k v", "rpushx k v", "sadd k m", "scard k", "sdiff a b",
	"sdiffstore d a b", "setbit k 0 1", "setex k 1 v", "setnx k v", "setrange k 0 v",
	"sinter a b", "sintercard 2 a b", "sinterstore d a b", "sismember k m", "smembers k",
	"smismember k m", "smove a b m", "spop k", "srandmember k", "srem k m", "sscan k 0",
	"strlen k", "substr k 0 1", "sunion a b", "sunionstore d a b", "touch a b", "ttl k",
	"type k", "unlink a b", "watch a b", "zadd k 1 m", "zcard k", "zcount k 0 1",
	"zdiff 2 a b", "zdiffstore d 2 a b", "zincrby k 1 m", "zinter 2 a b", "zintercard 2 a b",
	"zinterstore d 2 a b", "zlexcount k - +", "zmpop 2 a b min", "zmscore k m", "zpopmax k",
	"zpopmin k", "zrandmember k", "zrange k 0 1", "zrangebylex k - +", "zrangebyscore k 0 1",
	"zrangestore d k 0 1", "zrank k m", "zrem k m", "zremrangebylex k - +",
	"zremrangebyrank k 0 1", "zremrangebyscore k 0 1", "zrevrange k 0 1",
	"zrevrangebylex k + -", "zrevrangebyscore k 1 0", "zrevrank k m", "zscan k 0",
	"zscore k m", "zunion 2 a b", "zunionstore d 2 a b",

	// Only not_key specs: Redis says there are no keys.
	"spublish ch m", "ssubscribe a b", "sunsubscribe a",
	// variable_flags: the flags follow the arguments.
	"set k v", "set k get", "set k v GET", "set k v ex 1 get",
	"bitfield k", "bitfield k get u8 0", "bitfield k get u8", "bitfield k set u8 0 1",
	"bitfield k overflow wrap get u8 0", "bitfield k incrby u8 0 1", "bitfield k foo",
	// A numkeys the spec rejects but atoi reads: keys without flags, the
	// destination last.
	"zunionstore d 2abc a b", "zunionstore d 02 a b", "zunionstore d +2 a b",
	"sintercard 2abc a b", "lmpop 1x a left",
	// Counts that fit no way, or wrap as a C int.
	"zunionstore d 3 a b", "zunionstore d 0 a", "zunionstore d -1 a b", "zdiff 2 a",
	"zunionstore d 4294967298 a b", "zunionstore d 4294967296 a b", "zinter x a",
	"lmpop 1 a b left", "blmpop 0 2 a left", "mset a 1 b",
	// Errors before the keys.
	"get", "get a b", "nosuch a", "ping a",
}

func TestDiffGetKeys(t *testing.T) {
	covered := map[string]bool{}
	for _, line := range getkeysLines {
		f := strings.Fields(line)
		name := f[0]
		if cmd := commands[name]; cmd != nil && len(cmd.Sub) > 0 && len(f) > 1 {
			name += "|" + f[1]
		}
		covered[name] = true
	}
	var missing []string
	for _, cmd := range commands {
		for _, c := range append([]*Command{cmd}, sortedSubs(cmd)...) {
			if (c.FirstKey > 0 || c.Keys != nil) && !covered[c.Name] {
				missing = append(missing, c.Name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no GETKEYS line for %v", missing)
	}
	adminDiff(t, func(int) []testutil.Step {
		var s steps
		for _, line := range getkeysLines {
			for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
				s.add(append([]string{"COMMAND", sub}, strings.Fields(line)...)...)
			}
		}
		s.add("COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", " 2", "a", "b")
		return s
	}, nil, nil)
}

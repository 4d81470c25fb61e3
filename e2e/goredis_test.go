package e2e

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

// protocols are the RESP versions every go-redis test runs with: go-redis
// negotiates them with HELLO, so both paths of the server are exercised.
var protocols = []int{2, 3}

func withProto(proto int) func(*redis.Options) {
	return func(o *redis.Options) { o.Protocol = proto }
}

// TestGoRedisDataTypes drives every data type through go-redis, in RESP2 and
// RESP3, checking the parsed results.
func TestGoRedisDataTypes(t *testing.T) {
	srv := testutil.StartWarden(t)
	for _, proto := range protocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			c := newClient(t, srv.Addr(), withProto(proto))
			ctx := ctxT(t)
			p := fmt.Sprintf("p%d:", proto) // key prefix per protocol

			t.Run("negotiated", func(t *testing.T) {
				info, err := c.Do(ctx, "CLIENT", "INFO").Text()
				if err != nil {
					t.Fatalf("CLIENT INFO: %v", err)
				}
				if want := regexp.MustCompile(fmt.Sprintf(`(^| )resp=%d( |\n|$)`, proto)); !want.MatchString(info) {
					t.Fatalf("CLIENT INFO %q lacks resp=%d: HELLO %d did not take", info, proto, proto)
				}
				// The reply types differ by protocol: a double and a map
				// in RESP3, a bulk string and a flat array in RESP2.
				must(t, c.ZAdd(ctx, p+"types:z", redis.Z{Score: 1.5, Member: "m"}).Err())
				must(t, c.HSet(ctx, p+"types:h", "f", "v").Err())
				score, err := c.Do(ctx, "ZSCORE", p+"types:z", "m").Result()
				must(t, err)
				all, err := c.Do(ctx, "HGETALL", p+"types:h").Result()
				must(t, err)
				if proto == 3 {
					if score != 1.5 {
						t.Errorf("RESP3 ZSCORE = %#v, want float64 1.5", score)
					}
					if m, ok := all.(map[interface{}]interface{}); !ok || m["f"] != "v" {
						t.Errorf("RESP3 HGETALL = %#v, want map[f:v]", all)
					}
				} else {
					if score != "1.5" {
						t.Errorf("RESP2 ZSCORE = %#v, want string 1.5", score)
					}
					if !reflect.DeepEqual(all, []interface{}{"f", "v"}) {
						t.Errorf("RESP2 HGETALL = %#v, want [f v]", all)
					}
				}
			})

			t.Run("strings", func(t *testing.T) {
				k := p + "str"
				must(t, c.Set(ctx, k, "hello", 0).Err())
				eq(t, "GET", c.Get(ctx, k).Val(), "hello")
				eq(t, "APPEND", c.Append(ctx, k, " world").Val(), int64(11))
				eq(t, "STRLEN", c.StrLen(ctx, k).Val(), int64(11))
				eq(t, "GETRANGE", c.GetRange(ctx, k, 0, 4).Val(), "hello")
				eq(t, "SETNX existing", c.SetNX(ctx, k, "x", 0).Val(), false)
				if _, err := c.Get(ctx, p+"missing").Result(); err != redis.Nil {
					t.Errorf("GET missing: err %v, want redis.Nil", err)
				}
				eq(t, "INCR", c.Incr(ctx, p+"n").Val(), int64(1))
				eq(t, "INCRBY", c.IncrBy(ctx, p+"n", 41).Val(), int64(42))
				eq(t, "DECR", c.Decr(ctx, p+"n").Val(), int64(41))
				eq(t, "INCRBYFLOAT", c.IncrByFloat(ctx, p+"f", 2.5).Val(), 2.5)
				if err := c.Incr(ctx, k).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR value is not an integer") {
					t.Errorf("INCR on text: %v", err)
				}
				must(t, c.MSet(ctx, p+"a", "1", p+"b", "2").Err())
				eq(t, "MGET", c.MGet(ctx, p+"a", p+"nope", p+"b").Val(), []interface{}{"1", nil, "2"})
				must(t, c.Set(ctx, p+"ttl", "v", 100*time.Second).Err())
				if ttl := c.TTL(ctx, p+"ttl").Val(); ttl <= 90*time.Second || ttl > 100*time.Second {
					t.Errorf("TTL = %v, want ~100s", ttl)
				}
				eq(t, "GETDEL", c.GetDel(ctx, p+"ttl").Val(), "v")
				eq(t, "EXISTS after GETDEL", c.Exists(ctx, p+"ttl").Val(), int64(0))
				if err := c.LPush(ctx, k, "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
					t.Errorf("LPUSH on a string: %v, want WRONGTYPE", err)
				}
			})

			t.Run("hashes", func(t *testing.T) {
				k := p + "hash"
				eq(t, "HSET", c.HSet(ctx, k, "a", "1", "b", "2", "c", "3").Val(), int64(3))
				eq(t, "HGET", c.HGet(ctx, k, "b").Val(), "2")
				eq(t, "HGETALL", c.HGetAll(ctx, k).Val(), map[string]string{"a": "1", "b": "2", "c": "3"})
				eq(t, "HINCRBY", c.HIncrBy(ctx, k, "a", 10).Val(), int64(11))
				eq(t, "HMGET", c.HMGet(ctx, k, "a", "zz").Val(), []interface{}{"11", nil})
				eq(t, "HEXISTS", c.HExists(ctx, k, "c").Val(), true)
				eq(t, "HDEL", c.HDel(ctx, k, "c", "zz").Val(), int64(1))
				eq(t, "HLEN", c.HLen(ctx, k).Val(), int64(2))
				keys := c.HKeys(ctx, k).Val()
				sort.Strings(keys)
				eq(t, "HKEYS", keys, []string{"a", "b"})
			})

			t.Run("lists", func(t *testing.T) {
				k := p + "list"
				eq(t, "RPUSH", c.RPush(ctx, k, "b", "c").Val(), int64(2))
				eq(t, "LPUSH", c.LPush(ctx, k, "a").Val(), int64(3))
				eq(t, "LRANGE", c.LRange(ctx, k, 0, -1).Val(), []string{"a", "b", "c"})
				eq(t, "LINDEX", c.LIndex(ctx, k, -1).Val(), "c")
				eq(t, "LINSERT", c.LInsertBefore(ctx, k, "c", "bb").Val(), int64(4))
				eq(t, "LREM", c.LRem(ctx, k, 0, "b").Val(), int64(1))
				eq(t, "LMOVE", c.LMove(ctx, k, p+"list2", "LEFT", "RIGHT").Val(), "a")
				eq(t, "LPOP", c.LPop(ctx, k).Val(), "bb")
				eq(t, "RPOP", c.RPop(ctx, k).Val(), "c")
				eq(t, "EXISTS emptied list", c.Exists(ctx, k).Val(), int64(0))
				must(t, c.RPush(ctx, k, 1, 2, 3, 4, 5).Err())
				must(t, c.LTrim(ctx, k, 1, 3).Err())
				eq(t, "LRANGE after LTRIM", c.LRange(ctx, k, 0, -1).Val(), []string{"2", "3", "4"})
				eq(t, "LLEN", c.LLen(ctx, k).Val(), int64(3))
			})

			t.Run("sets", func(t *testing.T) {
				a, b := p+"set:a", p+"set:b"
				eq(t, "SADD", c.SAdd(ctx, a, "x", "y", "z", "x").Val(), int64(3))
				must(t, c.SAdd(ctx, b, "y", "z", "w").Err())
				eq(t, "SCARD", c.SCard(ctx, a).Val(), int64(3))
				eq(t, "SISMEMBER", c.SIsMember(ctx, a, "y").Val(), true)
				eq(t, "SMISMEMBER", c.SMIsMember(ctx, a, "x", "q").Val(), []bool{true, false})
				eq(t, "SINTER", sorted(c.SInter(ctx, a, b).Val()), []string{"y", "z"})
				eq(t, "SUNION", sorted(c.SUnion(ctx, a, b).Val()), []string{"w", "x", "y", "z"})
				eq(t, "SDIFF", sorted(c.SDiff(ctx, a, b).Val()), []string{"x"})
				eq(t, "SREM", c.SRem(ctx, a, "x", "nope").Val(), int64(1))
				eq(t, "SMEMBERS", sorted(c.SMembers(ctx, a).Val()), []string{"y", "z"})
			})

			t.Run("zsets", func(t *testing.T) {
				k := p + "zset"
				eq(t, "ZADD", c.ZAdd(ctx, k, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"},
					redis.Z{Score: -3, Member: "c"}).Val(), int64(3))
				eq(t, "ZSCORE", c.ZScore(ctx, k, "b").Val(), 2.5)
				eq(t, "ZRANGE WITHSCORES", c.ZRangeWithScores(ctx, k, 0, -1).Val(), []redis.Z{
					{Score: -3, Member: "c"}, {Score: 1, Member: "a"}, {Score: 2.5, Member: "b"}})
				eq(t, "ZRANK", c.ZRank(ctx, k, "a").Val(), int64(1))
				eq(t, "ZINCRBY", c.ZIncrBy(ctx, k, 10, "c").Val(), 7.0)
				eq(t, "ZREVRANGE", c.ZRevRange(ctx, k, 0, 0).Val(), []string{"c"})
				eq(t, "ZRANGEBYSCORE", c.ZRangeByScore(ctx, k, &redis.ZRangeBy{Min: "(1", Max: "+inf"}).Val(), []string{"b", "c"})
				eq(t, "ZPOPMIN", c.ZPopMin(ctx, k).Val(), []redis.Z{{Score: 1, Member: "a"}})
				eq(t, "ZREM", c.ZRem(ctx, k, "b").Val(), int64(1))
				eq(t, "ZCARD", c.ZCard(ctx, k).Val(), int64(1))
			})

			t.Run("pipeline", func(t *testing.T) {
				k := p + "pipe"
				const n = 1000
				cmds, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
					for i := 0; i < n; i++ {
						pipe.Incr(ctx, k)
					}
					return nil
				})
				must(t, err)
				if len(cmds) != n {
					t.Fatalf("%d results, want %d", len(cmds), n)
				}
				for i, cmd := range cmds {
					if v := cmd.(*redis.IntCmd).Val(); v != int64(i+1) {
						t.Fatalf("INCR #%d = %d, want %d (replies out of order?)", i, v, i+1)
					}
				}
				// One failing command does not disturb its neighbours.
				var set *redis.StatusCmd
				var bad *redis.IntCmd
				var get *redis.StringCmd
				_, err = c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
					set = pipe.Set(ctx, k+":s", "abc", 0)
					bad = pipe.Incr(ctx, k+":s")
					get = pipe.Get(ctx, k+":s")
					return nil
				})
				if err == nil || bad.Err() == nil {
					t.Errorf("pipeline with INCR on text: err %v / %v, want an error", err, bad.Err())
				}
				eq(t, "SET in pipeline", set.Val(), "OK")
				eq(t, "GET in pipeline", get.Val(), "abc")
			})
		})
	}
}

// TestGoRedisTransactions covers MULTI/EXEC through TxPipelined and WATCH
// with a concurrent modification.
func TestGoRedisTransactions(t *testing.T) {
	srv := testutil.StartWarden(t)
	for _, proto := range protocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			c := newClient(t, srv.Addr(), withProto(proto))
			other := newClient(t, srv.Addr(), withProto(proto))
			ctx := ctxT(t)
			p := fmt.Sprintf("p%d:", proto)

			t.Run("TxPipelined", func(t *testing.T) {
				var incr *redis.IntCmd
				var get *redis.StringCmd
				_, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Set(ctx, p+"tx", "10", 0)
					incr = pipe.IncrBy(ctx, p+"tx", 5)
					get = pipe.Get(ctx, p+"tx")
					return nil
				})
				must(t, err)
				eq(t, "INCRBY in MULTI", incr.Val(), int64(15))
				eq(t, "GET in MULTI", get.Val(), "15")

				// A command rejected while queueing aborts EXEC.
				_, err = c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Set(ctx, p+"tx", "99", 0)
					pipe.Do(ctx, "NOSUCHCOMMAND")
					return nil
				})
				if err == nil || !strings.Contains(err.Error(), "EXECABORT") {
					t.Errorf("EXEC after a bad command: %v, want EXECABORT", err)
				}
				eq(t, "value after aborted EXEC", c.Get(ctx, p+"tx").Val(), "15")
			})

			t.Run("WatchConflict", func(t *testing.T) {
				k := p + "watched"
				must(t, c.Set(ctx, k, "1", 0).Err())
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					n, err := tx.Get(ctx, k).Int()
					if err != nil {
						return err
					}
					// Another client changes the key between WATCH and EXEC.
					if err := other.Set(ctx, k, "100", 0).Err(); err != nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
						pipe.Set(ctx, k, n+1, 0)
						return nil
					})
					return err
				}, k)
				if !errors.Is(err, redis.TxFailedErr) {
					t.Fatalf("EXEC after a concurrent SET: %v, want redis.TxFailedErr", err)
				}
				eq(t, "value after failed EXEC", c.Get(ctx, k).Val(), "100")

				// Undisturbed, the same transaction commits.
				err = c.Watch(ctx, func(tx *redis.Tx) error {
					n, err := tx.Get(ctx, k).Int()
					if err != nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
						pipe.Set(ctx, k, n+1, 0)
						return nil
					})
					return err
				}, k)
				must(t, err)
				eq(t, "value after EXEC", c.Get(ctx, k).Val(), "101")
			})

			t.Run("OptimisticCounter", func(t *testing.T) {
				// The go-redis optimistic-locking pattern under real
				// contention: every increment lands exactly once.
				k := p + "counter"
				const workers, each = 4, 50
				var wg sync.WaitGroup
				var mu sync.Mutex
				var errs []error
				conflicts := 0
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < each; i++ {
							for {
								err := c.Watch(ctx, func(tx *redis.Tx) error {
									n, err := tx.Get(ctx, k).Int()
									if err != nil && err != redis.Nil {
										return err
									}
									_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
										pipe.Set(ctx, k, n+1, 0)
										return nil
									})
									return err
								}, k)
								if err == nil {
									break
								}
								mu.Lock()
								if errors.Is(err, redis.TxFailedErr) {
									conflicts++
									mu.Unlock()
									continue
								}
								errs = append(errs, err)
								mu.Unlock()
								return
							}
						}
					}()
				}
				wg.Wait()
				if len(errs) > 0 {
					t.Fatalf("transactions failed: %v", errs)
				}
				eq(t, "counter", c.Get(ctx, k).Val(), strconv.Itoa(workers*each))
				t.Logf("%d WATCH conflicts retried", conflicts)
			})
		})
	}
}

// TestGoRedisPubSub subscribes to a channel and a pattern and receives what
// another client publishes.
func TestGoRedisPubSub(t *testing.T) {
	srv := testutil.StartWarden(t)
	for _, proto := range protocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			c := newClient(t, srv.Addr(), withProto(proto))
			pub := newClient(t, srv.Addr(), withProto(proto))
			ctx := ctxT(t)
			ch := fmt.Sprintf("news%d.tech", proto)

			sub := c.Subscribe(ctx, ch)
			defer sub.Close()
			if m, err := sub.Receive(ctx); err != nil {
				t.Fatalf("SUBSCRIBE: %v", err)
			} else if s, ok := m.(*redis.Subscription); !ok || s.Kind != "subscribe" || s.Channel != ch || s.Count != 1 {
				t.Fatalf("SUBSCRIBE confirmation = %#v", m)
			}
			must(t, sub.PSubscribe(ctx, fmt.Sprintf("news%d.*", proto)))
			if m, err := sub.Receive(ctx); err != nil {
				t.Fatalf("PSUBSCRIBE: %v", err)
			} else if s, ok := m.(*redis.Subscription); !ok || s.Kind != "psubscribe" || s.Count != 2 {
				t.Fatalf("PSUBSCRIBE confirmation = %#v", m)
			}
			eq(t, "PUBSUB NUMSUB", pub.PubSubNumSub(ctx, ch).Val(), map[string]int64{ch: 1})

			const n = 50
			for i := 0; i < n; i++ {
				eq(t, "PUBLISH receivers", pub.Publish(ctx, ch, fmt.Sprintf("msg-%d", i)).Val(), int64(2))
			}
			// Each message arrives twice, as a message then a pmessage,
			// in publish order.
			for i := 0; i < n; i++ {
				for _, pattern := range []string{"", fmt.Sprintf("news%d.*", proto)} {
					rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					m, err := sub.ReceiveMessage(rctx)
					cancel()
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					want := fmt.Sprintf("msg-%d", i)
					if m.Channel != ch || m.Payload != want || m.Pattern != pattern {
						t.Fatalf("got %+v, want channel %s payload %s pattern %q", m, ch, want, pattern)
					}
				}
			}
			must(t, sub.Unsubscribe(ctx, ch))
			must(t, sub.PUnsubscribe(ctx))
			testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
				n := pub.Publish(ctx, ch, "after").Val()
				return n == 0, fmt.Sprintf("PUBLISH after unsubscribing reached %d clients", n)
			})
		})
	}
}

// TestGoRedisBLPOP blocks two clients on a list and serves them, in the
// order they blocked, from a third.
func TestGoRedisBLPOP(t *testing.T) {
	srv := testutil.StartWarden(t)
	for _, proto := range protocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := ctxT(t)
			a := newClient(t, srv.Addr(), withProto(proto))
			b := newClient(t, srv.Addr(), withProto(proto))
			pusher := newClient(t, srv.Addr(), withProto(proto))
			q := fmt.Sprintf("queue%d", proto)

			blocked := func(n int) func() (bool, string) {
				return func() (bool, string) {
					info := pusher.Info(ctx, "clients").Val()
					want := fmt.Sprintf("blocked_clients:%d\r\n", n)
					return strings.Contains(info, want), "INFO clients: " + info
				}
			}
			type result struct {
				v   []string
				err error
			}
			ra, rb := make(chan result, 1), make(chan result, 1)
			go func() {
				v, err := a.BLPop(ctx, 10*time.Second, q).Result()
				ra <- result{v, err}
			}()
			testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, blocked(1))
			go func() {
				v, err := b.BLPop(ctx, 10*time.Second, q).Result()
				rb <- result{v, err}
			}()
			testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, blocked(2))

			eq(t, "RPUSH", pusher.RPush(ctx, q, "first", "second").Val(), int64(2))
			for name, ch := range map[string]chan result{"first": ra, "second": rb} {
				select {
				case r := <-ch:
					if r.err != nil {
						t.Fatalf("BLPOP for %s: %v", name, r.err)
					}
					eq(t, "BLPOP", r.v, []string{q, name})
				case <-time.After(5 * time.Second):
					t.Fatalf("BLPOP waiting for %q was not served", name)
				}
			}
			testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, blocked(0))
			eq(t, "list drained", pusher.Exists(ctx, q).Val(), int64(0))

			// A timeout is a nil reply. (Through Do: go-redis rounds
			// BLPop's timeout up to whole seconds.)
			start := time.Now()
			if _, err := a.Do(ctx, "BLPOP", q, "0.2").Result(); err != redis.Nil {
				t.Errorf("BLPOP timeout: err %v, want redis.Nil", err)
			}
			if d := time.Since(start); d < 150*time.Millisecond {
				t.Errorf("BLPOP with a 0.2 s timeout returned after %v", d)
			}
		})
	}
}

// TestGoRedisSelectDB uses go-redis's DB option (SELECT on every pooled
// connection) and checks the databases are apart.
func TestGoRedisSelectDB(t *testing.T) {
	srv := testutil.StartWarden(t)
	ctx := ctxT(t)
	db0 := newClient(t, srv.Addr(), nil)
	db5 := newClient(t, srv.Addr(), func(o *redis.Options) { o.DB = 5; o.PoolSize = 4 })

	// Concurrent commands so that several pooled connections each SELECT.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := db5.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
				t.Errorf("SET in db 5: %v", err)
			}
		}(i)
	}
	wg.Wait()
	eq(t, "DBSIZE db5", db5.DBSize(ctx).Val(), int64(20))
	eq(t, "DBSIZE db0", db0.DBSize(ctx).Val(), int64(0))
	if err := db0.Get(ctx, "k1").Err(); err != redis.Nil {
		t.Errorf("GET k1 in db 0: %v, want redis.Nil", err)
	}
	eq(t, "GET k1 in db 5", db5.Get(ctx, "k1").Val(), "1")
	info := db0.Info(ctx, "keyspace").Val()
	if !strings.Contains(info, "db5:keys=20,expires=0,avg_ttl=0") || strings.Contains(info, "db0:") {
		t.Errorf("INFO keyspace = %q, want only db5 with 20 keys", info)
	}
	if err := newClient(t, srv.Addr(), func(o *redis.Options) { o.DB = 16 }).Ping(ctx).Err(); err == nil ||
		!strings.Contains(err.Error(), "DB index is out of range") {
		t.Errorf("DB 16 of 16: %v, want ERR DB index is out of range", err)
	}
}

// TestGoRedisAuth runs a node with requirepass: the Password option
// authenticates (through HELLO AUTH), no password gets NOAUTH, a wrong one
// WRONGPASS.
func TestGoRedisAuth(t *testing.T) {
	srv := testutil.StartWarden(t, "--requirepass", "s3cret")
	for _, proto := range protocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := ctxT(t)
			good := newClient(t, srv.Addr(), func(o *redis.Options) { o.Protocol = proto; o.Password = "s3cret" })
			must(t, good.Ping(ctx).Err())
			must(t, good.Set(ctx, "authed", "yes", 0).Err())
			eq(t, "GET", good.Get(ctx, "authed").Val(), "yes")

			none := newClient(t, srv.Addr(), withProto(proto))
			for _, err := range []error{none.Ping(ctx).Err(), none.Get(ctx, "authed").Err()} {
				if err == nil || !strings.HasPrefix(err.Error(), "NOAUTH Authentication required") {
					t.Errorf("without a password: %v, want NOAUTH Authentication required.", err)
				}
			}
			wrong := newClient(t, srv.Addr(), func(o *redis.Options) { o.Protocol = proto; o.Password = "nope" })
			if err := wrong.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
				t.Errorf("wrong password: %v, want WRONGPASS", err)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func eq(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

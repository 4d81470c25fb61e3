package testutil

// Dataset comparison: DEBUG DIGEST differs between redis-server and warden,
// so "two nodes hold the same data" is checked with a full dump, key by key:
// type, absolute expire time (PEXPIRETIME) and canonical value, for every
// database. Replication tests of the backend and end-to-end tests share it.

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// DumpDataset returns "db/key" -> "type|pexpiretime|value" for every key of
// the node at addr (RESP2, no password). Values are canonical: sets and
// hashes sorted, lists and sorted sets in order, scores in the shortest
// exact float form. Keys that expire while the dump runs are left out.
func DumpDataset(ctx context.Context, addr string) (map[string]string, error) {
	out := map[string]string{}
	base := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	defer base.Close()
	ks, err := base.Info(ctx, "keyspace").Result()
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(ks, "\r\n") {
		if !strings.HasPrefix(line, "db") {
			continue
		}
		db, err := strconv.Atoi(line[2:strings.IndexByte(line, ':')])
		if err != nil {
			return nil, fmt.Errorf("keyspace line %q", line)
		}
		if err := dumpDB(ctx, addr, db, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func dumpDB(ctx context.Context, addr string, db int, out map[string]string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := dumpKeys(ctx, c, db, keys, out); err != nil {
				return err
			}
		}
		cursor = next
		if cursor == 0 {
			return nil
		}
	}
}

func dumpKeys(ctx context.Context, c *redis.Client, db int, keys []string, out map[string]string) error {
	pipe := c.Pipeline()
	types := make([]*redis.StatusCmd, len(keys))
	exps := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		types[i] = pipe.Type(ctx, k)
		exps[i] = redis.NewIntCmd(ctx, "pexpiretime", k)
		_ = pipe.Process(ctx, exps[i])
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return err
	}
	pipe = c.Pipeline()
	vals := make([]func() (string, error), len(keys))
	for i, k := range keys {
		switch types[i].Val() {
		case "string":
			cmd := pipe.Get(ctx, k)
			vals[i] = func() (string, error) { return strconv.Quote(cmd.Val()), cmd.Err() }
		case "list":
			cmd := pipe.LRange(ctx, k, 0, -1)
			vals[i] = func() (string, error) { return quoteList(cmd.Val(), false), cmd.Err() }
		case "set":
			cmd := pipe.SMembers(ctx, k)
			vals[i] = func() (string, error) { return quoteList(cmd.Val(), true), cmd.Err() }
		case "zset":
			cmd := pipe.ZRangeWithScores(ctx, k, 0, -1)
			vals[i] = func() (string, error) {
				var b strings.Builder
				for _, z := range cmd.Val() {
					fmt.Fprintf(&b, "%q=%s ", z.Member, strconv.FormatFloat(z.Score, 'g', -1, 64))
				}
				return b.String(), cmd.Err()
			}
		case "hash":
			cmd := pipe.HGetAll(ctx, k)
			vals[i] = func() (string, error) {
				var fs []string
				for f, v := range cmd.Val() {
					fs = append(fs, strconv.Quote(f)+"="+strconv.Quote(v))
				}
				sort.Strings(fs)
				return strings.Join(fs, " "), cmd.Err()
			}
		case "stream":
			cmd := pipe.XRange(ctx, k, "-", "+")
			grp := pipe.XInfoGroups(ctx, k)
			vals[i] = func() (string, error) {
				var b strings.Builder
				for _, m := range cmd.Val() {
					fs := make([]string, 0, len(m.Values))
					for f, v := range m.Values {
						fs = append(fs, fmt.Sprintf("%q=%q", f, v))
					}
					sort.Strings(fs)
					fmt.Fprintf(&b, "%s{%s} ", m.ID, strings.Join(fs, " "))
				}
				for _, g := range grp.Val() {
					fmt.Fprintf(&b, "group:%s/%d/%d/%s ", g.Name, g.Consumers, g.Pending, g.LastDeliveredID)
				}
				return b.String(), cmd.Err()
			}
		case "none":
			// expired or deleted between SCAN and TYPE (a live node)
			vals[i] = nil
		default:
			return fmt.Errorf("key %q: unknown type %q", k, types[i].Val())
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return err
	}
	for i, k := range keys {
		if vals[i] == nil {
			continue
		}
		v, err := vals[i]()
		if err == redis.Nil {
			continue // expired between TYPE and the read (a live node)
		}
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		out[fmt.Sprintf("%d/%s", db, k)] = fmt.Sprintf("%s|%d|%s", types[i].Val(), exps[i].Val(), v)
	}
	return nil
}

func quoteList(items []string, sorted bool) string {
	if sorted {
		items = append([]string(nil), items...)
		sort.Strings(items)
	}
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " ")
}

// DiffDatasets describes how two dumps differ (empty if equal), listing at
// most a few keys.
func DiffDatasets(a, b map[string]string) string {
	var diffs []string
	for k, va := range a {
		vb, ok := b[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s only in A (%s)", k, truncDump(va)))
		case va != vb:
			diffs = append(diffs, fmt.Sprintf("%s differs: A=%s B=%s", k, truncDump(va), truncDump(vb)))
		}
	}
	for k, vb := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s only in B (%s)", k, truncDump(vb)))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	sort.Strings(diffs)
	n := len(diffs)
	if n > 8 {
		diffs = diffs[:8]
	}
	return fmt.Sprintf("%d keys of %d/%d differ: %s", n, len(a), len(b), strings.Join(diffs, "; "))
}

func truncDump(s string) string {
	if len(s) > 120 {
		return s[:120] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

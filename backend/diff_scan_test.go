package backend

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// HSCAN/SSCAN/ZSCAN of the big encodings against real Redis. Their cursors
// depend on each server's hash seed and cannot be compared; what must agree
// is the set of elements a complete scan returns (with their values or
// scores, formatted alike), that COUNT makes the scan incremental, and every
// reply that does not depend on a cursor: errors, and a COUNT large enough
// to finish in one call.

// scanDiffSetup fills a hashtable hash, a hashtable set and a skiplist
// sorted set of n elements, the sorted set with scores whose formatting is
// easy to get wrong.
func scanDiffSetup(p string, n int) [][]string {
	hset, sadd, zadd := []string{"HSET", p + "h"}, []string{"SADD", p + "s"}, []string{"ZADD", p + "z"}
	for i := 0; i < n; i++ {
		m := "m" + strconv.Itoa(i)
		hset = append(hset, m, fmt.Sprint("v", i*i))
		sadd = append(sadd, m, strconv.Itoa(i))
		zadd = append(zadd, strconv.Itoa(i-n/2), m)
	}
	for i, score := range []string{"1.1", "0.30000000000000004", "1e300", "-inf", "inf", "-0", "1e-300",
		"123456789012345678", "-2.5", "3.0", "0.1", "1e17", "-1.5e-7"} {
		zadd = append(zadd, score, fmt.Sprint("f", i))
	}
	return [][]string{hset, sadd, zadd}
}

func TestDiffScanBigEncodings(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	const n = 1000
	kinds := []struct {
		cmd, key, enc string
		width         int
	}{{"HSCAN", "h", "hashtable", 2}, {"SSCAN", "s", "hashtable", 1}, {"ZSCAN", "z", "skiplist", 2}}
	options := [][]string{nil, {"COUNT", "1"}, {"COUNT", "7"}, {"MATCH", "m1*"}, {"MATCH", "f*", "COUNT", "3"},
		{"MATCH", "*5", "COUNT", "100"}, {"COUNT", "100000"}, {"MATCH", "nomatch"}}
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			// results[server][kind/options] is what a complete scan returned.
			results := map[string]map[string]map[string]string{}
			calls := map[string]map[string]int{}
			hsBoth(t, real.Addr(), addr, proto, scanDiffSetup("", n), func(t *testing.T, c *testutil.RawConn) {
				got, cnt := map[string]map[string]string{}, map[string]int{}
				for _, k := range kinds {
					if enc := string(c.Do("OBJECT", "ENCODING", k.key)); enc != fmt.Sprintf("$%d\r\n%s\r\n", len(k.enc), k.enc) {
						t.Fatalf("%s: encoding %q", k.key, enc)
					}
					for _, opts := range options {
						id := fmt.Sprint(k.cmd, opts)
						got[id] = map[string]string{}
						for cursor := "0"; ; {
							r := hsDecode(t, c.Do(append([]string{k.cmd, k.key, cursor}, opts...)...))
							if r.kind != '*' || len(r.items) != 2 || r.items[1].kind != '*' {
								t.Fatalf("%s: bad reply %+v", id, r)
							}
							items := r.items[1].strs()
							for i := 0; i < len(items); i += k.width {
								got[id][items[i]] = items[i+k.width-1]
							}
							cnt[id]++
							if cursor = r.items[0].str; cursor == "0" {
								break
							}
							if cnt[id] > 10*n {
								t.Fatalf("%s: no end", id)
							}
						}
					}
				}
				results[t.Name()], calls[t.Name()] = got, cnt
			})
			r, w := results[t.Name()+"/redis"], results[t.Name()+"/warden"]
			if r == nil || w == nil {
				t.Fatalf("missing results")
			}
			for _, id := range slices.Sorted(maps.Keys(r)) {
				if !maps.Equal(r[id], w[id]) {
					var diff []string
					for m, v := range r[id] {
						if wv, ok := w[id][m]; !ok || wv != v {
							diff = append(diff, fmt.Sprintf("%s: redis %q warden %q (present %v)", m, v, wv, ok))
						}
					}
					t.Errorf("%s: %d elements from redis, %d from warden; differences: %q", id, len(r[id]), len(w[id]), diff)
				}
				// Both walk incrementally with a small COUNT and finish
				// at once with a huge one.
				rc, wc := calls[t.Name()+"/redis"][id], calls[t.Name()+"/warden"][id]
				if (rc == 1) != (wc == 1) {
					t.Errorf("%s: redis took %d calls, warden %d", id, rc, wc)
				}
			}
		})
	}
}

// TestDiffScanBigEncodingsReplies compares, byte for byte, the replies of
// scans of big collections that do not depend on the cursor: argument
// errors (checked after the key, as Redis does), and complete scans in one
// call whose result has at most one element.
func TestDiffScanBigEncodingsReplies(t *testing.T) {
	runDiff(t, func(p string) []testutil.Step {
		var s steps
		for _, cmd := range scanDiffSetup(p, 200) {
			s.add(cmd...)
		}
		s.add("SET", p+"str", "x")
		for _, k := range []struct{ cmd, key string }{{"HSCAN", p + "h"}, {"SSCAN", p + "s"}, {"ZSCAN", p + "z"}} {
			s.add("OBJECT", "ENCODING", k.key)
			for _, args := range [][]string{
				{"x"}, {" 1"}, {"-"}, {"18446744073709551616"}, {"1.0"},
				{"0", "COUNT", "0"}, {"0", "COUNT", "-1"}, {"0", "COUNT", "x"}, {"0", "COUNT"}, {"0", "MATCH"},
				{"0", "TYPE", "string"}, {"0", "NOVALUES"}, {"0", "foo", "bar"}, {"7", "COUNT", "1", "MATCH"},
				{"0", "MATCH", "nomatch", "COUNT", "100000"}, {"0", "MATCH", "m7", "COUNT", "100000"},
				{"0", "MATCH", "f[5]", "COUNT", "1000"}, {"0", "COUNT", "5", "MATCH", "m19", "COUNT", "10000"},
			} {
				s.add(append([]string{k.cmd, k.key}, args...)...)
			}
			s.add(k.cmd, p+"str", "0", "COUNT", "0")
			s.add(k.cmd, p+"none", "0", "COUNT", "0")
			s.add(k.cmd, k.key)
		}
		return s
	}, nil, nil)
}

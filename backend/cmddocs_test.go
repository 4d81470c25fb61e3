package backend

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/backend/internal/cmddocs"
	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
)

// Tests of COMMAND INFO and COMMAND DOCS built from Redis's command data
// (package cmddocs): the data covers warden's table and agrees with it
// (TestCommandDocsData, no server needed), and every command's replies
// match redis-server's byte for byte (TestDiffCommandDocs).

// tableCommands lists the built-in commands and their subcommands, sorted.
func tableCommands() []*Command {
	var out []*Command
	for _, n := range CommandNames() {
		out = append(out, commands[n])
		out = append(out, sortedSubs(commands[n])...)
	}
	return out
}

// inTable reports whether the built-in table has a command or subcommand.
func inTable(name string) bool {
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := commands[parent]
	return cmd != nil && (!isSub || cmd.Sub[sub] != nil)
}

// laterCommand reports whether cmd arrived after the Redis version warden
// emulates (CLIENT SETINFO, 7.2): Redis has no data for it, and warden
// describes it from its own table.
func laterCommand(cmd *Command) bool { return versionLess(RedisVersion, cmd.Since) }

func laterName(name string) bool {
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := commands[parent]
	if isSub && cmd != nil {
		cmd = cmd.Sub[sub]
	}
	return cmd != nil && laterCommand(cmd)
}

// versionLess compares dotted versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// TestCommandDocsData checks that the embedded data is Redis's of the
// version warden emulates, covers every command of the table (a command
// added without regenerating it fails here), and agrees with the table on
// the COMMAND INFO fields warden takes from the table.
func TestCommandDocsData(t *testing.T) {
	if v := cmddocs.Version(); v != RedisVersion {
		t.Errorf("cmddocs data is of redis %s, warden emulates %s: regenerate it (go generate ./backend/internal/cmddocs)", v, RedisVersion)
	}
	for _, cmd := range tableCommands() {
		d := cmddocs.Lookup(cmd.Name)
		switch {
		case laterCommand(cmd):
			if d != nil {
				t.Errorf("%s: since %s, yet Redis %s has data for it", cmd.Name, cmd.Since, RedisVersion)
			}
			continue
		case d == nil:
			t.Errorf("%s: no data in Redis %s's table (regenerate it with go generate ./backend/internal/cmddocs; "+
				"a command Redis added later needs its Since)", cmd.Name, RedisVersion)
			continue
		}
		acl := cmd.aclCategories()
		for i := range acl {
			acl[i] = "@" + acl[i]
		}
		got := fmt.Sprint(cmd.Arity, cmd.infoFlags(), cmd.FirstKey, cmd.LastKey, cmd.Step, acl)
		want := fmt.Sprint(d.Arity, d.Flags, d.FirstKey, d.LastKey, d.Step, d.ACL)
		if got != want {
			t.Errorf("%s: table has arity, flags, keys, ACL\n%s\nRedis has\n%s", cmd.Name, got, want)
		}
	}
}

// canonical re-encodes a COMMAND/COMMAND INFO (info true) or COMMAND DOCS
// reply with the subcommands of each entry sorted by name and only those
// keep accepts: Redis lists them in its hash tables' order, random per
// process, and warden's table has fewer (or later) subcommands than Redis.
// Everything else keeps its bytes.
func canonical(t *testing.T, raw []byte, info bool, keep func(name string) bool) []byte {
	t.Helper()
	v, n, err := resp.ParseReply(raw, resp.ReplyLimits{})
	if err != nil || n != len(raw) {
		t.Fatalf("parse %q: %v", raw, err)
	}
	if info {
		canonicalInfos(v.Elems, keep)
	} else {
		canonicalDocs(v.Elems, keep)
	}
	return resp.AppendValue(nil, v)
}

// canonicalInfos sorts the subcommands (10th element) of COMMAND INFO
// entries.
func canonicalInfos(entries []resp.Value, keep func(string) bool) {
	for i := range entries {
		if e := entries[i].Elems; len(e) == 10 && len(e[9].Elems) > 0 {
			e[9].Elems = slices.DeleteFunc(e[9].Elems, func(sc resp.Value) bool { return !keep(sc.Elems[0].Str) })
			slices.SortFunc(e[9].Elems, func(a, b resp.Value) int { return strings.Compare(a.Elems[0].Str, b.Elems[0].Str) })
			canonicalInfos(e[9].Elems, keep)
		}
	}
}

// canonicalDocs sorts the "subcommands" maps of COMMAND DOCS docs, given
// the name/doc pairs of a map (RESP3) or flat array (RESP2).
func canonicalDocs(pairs []resp.Value, keep func(string) bool) {
	for i := 1; i < len(pairs); i += 2 {
		doc := pairs[i].Elems
		for j := 0; j+1 < len(doc); j += 2 {
			if doc[j].Str != "subcommands" {
				continue
			}
			type sub struct{ name, doc resp.Value }
			var subs []sub
			for k := 0; k+1 < len(doc[j+1].Elems); k += 2 {
				if s := (sub{doc[j+1].Elems[k], doc[j+1].Elems[k+1]}); keep(s.name.Str) {
					subs = append(subs, s)
				}
			}
			slices.SortFunc(subs, func(a, b sub) int { return strings.Compare(a.name.Str, b.name.Str) })
			flat := make([]resp.Value, 0, 2*len(subs))
			for _, s := range subs {
				flat = append(flat, s.name, s.doc)
			}
			canonicalDocs(flat, keep)
			doc[j+1].Elems = flat
		}
	}
}

// entriesByName splits a canonical COMMAND or COMMAND DOCS reply into its
// top-level entries, encoded, by command name.
func entriesByName(t *testing.T, raw []byte, info bool) map[string][]byte {
	t.Helper()
	v, _, err := resp.ParseReply(raw, resp.ReplyLimits{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	out := map[string][]byte{}
	if info {
		for _, e := range v.Elems {
			out[e.Elems[0].Str] = resp.AppendValue(nil, e)
		}
		return out
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out[v.Elems[i].Str] = resp.AppendValue(nil, v.Elems[i+1])
	}
	return out
}

// TestDiffCommandDocs compares COMMAND INFO <cmd> and COMMAND DOCS <cmd>
// with redis-server for every command and subcommand of warden's table,
// in RESP2 and RESP3, byte for byte up to the order and set of
// subcommands (see canonical); then COMMAND and COMMAND DOCS without
// arguments, which must list exactly warden's commands, each as Redis
// describes it.
func TestDiffCommandDocs(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	keepWarden := func(name string) bool { return !laterName(name) }
	keepRedis := func(name string) bool { return inTable(name) && !laterName(name) }
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			w, r := testutil.Dial(t, addr), testutil.Dial(t, real.Addr())
			if proto == 3 {
				w.Do("HELLO", "3")
				r.Do("HELLO", "3")
			}
			compared := 0
			for _, cmd := range tableCommands() {
				if laterCommand(cmd) {
					continue // Redis has no such command; TestCommandDocsFallback
				}
				for _, sub := range []string{"INFO", "DOCS"} {
					args := []string{"COMMAND", sub, cmd.Name}
					gw, gr := w.Do(args...), r.Do(args...)
					if bytes.Equal(gw, gr) {
						compared++
						continue
					}
					info := sub == "INFO"
					cw, cr := canonical(t, gw, info, keepWarden), canonical(t, gr, info, keepRedis)
					if !bytes.Equal(cw, cr) {
						t.Errorf("%s:\nwarden %q\nredis  %q", strings.Join(args, " "), cw, cr)
					} else {
						compared++
					}
				}
			}
			t.Logf("%d replies compared", compared)
			for _, args := range [][]string{{"COMMAND"}, {"COMMAND", "DOCS"}} {
				info := len(args) == 1
				ew := entriesByName(t, canonical(t, w.Do(args...), info, keepWarden), info)
				er := entriesByName(t, canonical(t, r.Do(args...), info, keepRedis), info)
				var names []string
				for n, e := range ew {
					names = append(names, n)
					if !laterName(n) && !bytes.Equal(e, er[n]) {
						t.Errorf("%s entry %s:\nwarden %q\nredis  %q", strings.Join(args, " "), n, e, er[n])
					}
				}
				slices.Sort(names)
				if want := CommandNames(); !slices.Equal(names, want) {
					t.Errorf("%s lists %v\nwant the table's %v", strings.Join(args, " "), names, want)
				}
			}
		})
	}
}

// TestCommandDocsFallback checks the replies for commands Redis 7.0 does
// not have: docs from warden's table, no tips, key specs from the key
// triple.
func TestCommandDocsFallback(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	for _, tc := range [][2]string{
		{"COMMAND DOCS client|setinfo", "*2\r\n$14\r\nclient|setinfo\r\n*6\r\n$7\r\nsummary\r\n" +
			"$54\r\nSets information specific to the client or connection.\r\n$5\r\nsince\r\n$5\r\n7.2.0\r\n" +
			"$5\r\ngroup\r\n$10\r\nconnection\r\n"},
		{"COMMAND INFO client|setinfo", "*1\r\n*10\r\n$14\r\nclient|setinfo\r\n:4\r\n*3\r\n+noscript\r\n+loading\r\n" +
			"+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"},
	} {
		if got := string(c.Do(strings.Fields(tc[0])...)); got != tc[1] {
			t.Errorf("%s:\n got %q\nwant %q", tc[0], got, tc[1])
		}
	}
}

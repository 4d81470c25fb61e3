// Package cmddocs holds the per-command facts of Redis's command table that
// warden's own table does not carry: what COMMAND DOCS reports (summary,
// complexity, history, nested arguments, ...) and the tips and key
// specifications of COMMAND INFO. They come from a real redis-server of the
// version warden emulates, captured by the generator in ./gen into
// commands.resp, so the COMMAND replies match Redis byte for byte without a
// hand-maintained copy of its table.
//
// commands.resp is one RESP3 value:
//
//	%2 "version" <redis_version>
//	   "commands" %N <full name> *2 [<info> <docs>]
//
// sorted by full name ("config", "config|get", ...), where <info> is the
// COMMAND INFO entry without its last element (the subcommands) and <docs>
// the COMMAND DOCS map without its "subcommands" pair: the subcommands of
// a reply are those of warden's table, which may differ from Redis's, so
// the caller adds them.
package cmddocs

//go:generate go run ./gen -out commands.resp

import (
	_ "embed"
	"fmt"
	"sort"
	"sync"

	"github.com/wardenhq/warden/internal/resp"
)

//go:embed commands.resp
var raw []byte

// Entry is one command's or subcommand's data.
type Entry struct {
	Name string
	// Arity, Flags, FirstKey, LastKey, Step and ACL are the first fields of
	// Redis's COMMAND INFO entry. warden replies its own table's values (they
	// are what dispatch enforces); these let tests check the two agree.
	Arity                   int64
	Flags                   []string
	FirstKey, LastKey, Step int64
	ACL                     []string

	// The replies are encoded once per protocol (index 0 RESP2, 1 RESP3)
	// so that COMMAND, which writes every entry, only copies bytes.
	tipsAndSpecs [2][]byte // the 8th and 9th elements of COMMAND INFO
	docPairs     int
	docs         [2][]byte // the pairs of the COMMAND DOCS map, no header
	keySpecs     []KeySpec // the 9th element decoded, for COMMAND GETKEYS
}

// TipsAndKeySpecs returns the tips and key-specs elements of the COMMAND
// INFO entry, encoded for proto (2 or 3). The caller must not modify it.
func (e *Entry) TipsAndKeySpecs(proto int) []byte { return e.tipsAndSpecs[protoIndex(proto)] }

// DocPairs is the number of pairs of the COMMAND DOCS map, without
// "subcommands".
func (e *Entry) DocPairs() int { return e.docPairs }

// Docs returns the DocPairs pairs of the COMMAND DOCS map, encoded for
// proto, without the map header: the caller writes the header, counting
// the "subcommands" pair it adds after these. The caller must not modify
// it.
func (e *Entry) Docs(proto int) []byte { return e.docs[protoIndex(proto)] }

func protoIndex(proto int) int {
	if proto >= 3 {
		return 1
	}
	return 0
}

type table struct {
	version string
	entries map[string]*Entry
}

// The data is decoded on first use rather than at init: most processes
// that link the backend (tools, tests of other commands) never ask.
var load = sync.OnceValue(func() *table {
	t, err := parse(raw)
	if err != nil {
		// The file is generated and embedded; TestData catches this.
		panic("cmddocs: commands.resp: " + err.Error())
	}
	return t
})

// Lookup returns the data of a command by full name in lower case
// ("get", "config|get"), or nil when Redis has no such command.
func Lookup(name string) *Entry { return load().entries[name] }

// Version is the redis_version of the server the data was captured from.
func Version() string { return load().version }

// Names lists the full names of all entries, sorted.
func Names() []string {
	t := load()
	names := make([]string, 0, len(t.entries))
	for n := range t.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func parse(b []byte) (*table, error) {
	top, n, err := resp.ParseReply(b, resp.ReplyLimits{})
	switch {
	case err != nil:
		return nil, err
	case n != len(b):
		return nil, fmt.Errorf("%d bytes after the data", len(b)-n)
	}
	root, err := mapOf(top, "version", "commands")
	if err != nil {
		return nil, err
	}
	if root["version"].Type != '$' {
		return nil, fmt.Errorf("version is not a string")
	}
	cmds := root["commands"]
	if cmds.Type != '%' {
		return nil, fmt.Errorf("commands is not a map")
	}
	t := &table{version: root["version"].Str, entries: make(map[string]*Entry, len(cmds.Elems)/2)}
	for i := 0; i < len(cmds.Elems); i += 2 {
		name := cmds.Elems[i].Str
		e, err := parseEntry(name, cmds.Elems[i+1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		t.entries[name] = e
	}
	return t, nil
}

// parseEntry decodes one *2 [<info> <docs>] pair of the file.
func parseEntry(name string, v resp.Value) (*Entry, error) {
	if v.Type != '*' || len(v.Elems) != 2 {
		return nil, fmt.Errorf("not an [info docs] pair")
	}
	info, docs := v.Elems[0], v.Elems[1]
	if info.Type != '*' || len(info.Elems) != 9 || docs.Type != '%' {
		return nil, fmt.Errorf("malformed info or docs")
	}
	if err := checkTypes(v); err != nil {
		return nil, err
	}
	f := info.Elems
	if f[0].Str != name {
		return nil, fmt.Errorf("info names %q", f[0].Str)
	}
	e := &Entry{Name: name, Arity: f[1].Int, Flags: strs(f[2]), FirstKey: f[3].Int, LastKey: f[4].Int,
		Step: f[5].Int, ACL: strs(f[6]), docPairs: len(docs.Elems) / 2}
	specs, err := parseKeySpecs(f[8])
	if err != nil {
		return nil, err
	}
	e.keySpecs = specs
	for i, proto := range []int{2, 3} {
		e.tipsAndSpecs[i] = appendValue(appendValue(nil, f[7], proto), f[8], proto)
		for _, d := range docs.Elems {
			e.docs[i] = appendValue(e.docs[i], d, proto)
		}
	}
	return e, nil
}

// checkTypes accepts the types Redis uses in these replies, the only ones
// appendValue converts between protocols.
func checkTypes(v resp.Value) error {
	switch v.Type {
	case '$', '+', ':':
		if v.Null {
			return fmt.Errorf("unexpected null")
		}
		return nil
	case '*', '%', '~':
		for _, e := range v.Elems {
			if err := checkTypes(e); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unexpected RESP type %q", v.Type)
}

// appendValue encodes v for proto as Redis would: maps become flat arrays
// and sets arrays in RESP2; strings and integers are the same in both.
func appendValue(dst []byte, v resp.Value, proto int) []byte {
	switch v.Type {
	case '%':
		dst = resp.AppendMap(dst, len(v.Elems)/2, proto)
	case '~':
		dst = resp.AppendSet(dst, len(v.Elems), proto)
	case '*':
		dst = resp.AppendArray(dst, len(v.Elems))
	default:
		return resp.AppendValue(dst, v)
	}
	for _, e := range v.Elems {
		dst = appendValue(dst, e, proto)
	}
	return dst
}

// mapOf returns the values of a RESP3 map with exactly the given string
// keys.
func mapOf(v resp.Value, keys ...string) (map[string]resp.Value, error) {
	if v.Type != '%' || len(v.Elems) != 2*len(keys) {
		return nil, fmt.Errorf("want a map of %v", keys)
	}
	m := make(map[string]resp.Value, len(keys))
	for i := 0; i < len(v.Elems); i += 2 {
		m[v.Elems[i].Str] = v.Elems[i+1]
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return nil, fmt.Errorf("no %q in the map", k)
		}
	}
	return m, nil
}

func strs(v resp.Value) []string {
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = e.Str
	}
	return out
}

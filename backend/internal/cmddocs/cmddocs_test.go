package cmddocs

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/wardenhq/warden/internal/resp"
)

// downgrade is v as a RESP2 client sees it: maps as flat arrays, sets as
// arrays.
func downgrade(v resp.Value) resp.Value {
	if v.Type == '%' || v.Type == '~' {
		v.Type = '*'
	}
	elems := make([]resp.Value, len(v.Elems))
	for i, e := range v.Elems {
		elems[i] = downgrade(e)
	}
	v.Elems = elems
	return v
}

// TestData checks that the embedded file decodes, and that each entry's
// encodings are the file's bytes in RESP3 and their RESP2 downgrade.
func TestData(t *testing.T) {
	top, _, err := resp.ParseReply(raw, resp.ReplyLimits{})
	if err != nil {
		t.Fatal(err)
	}
	cmds := top.Elems[3].Elems
	if len(Names()) != len(cmds)/2 || len(cmds) == 0 {
		t.Fatalf("%d names for %d entries", len(Names()), len(cmds)/2)
	}
	for _, name := range []string{"get", "config|get", "sentinel", "sentinel|myid"} {
		if Lookup(name) == nil {
			t.Errorf("no %s", name)
		}
	}
	if Lookup("nosuch") != nil || Lookup("GET") != nil {
		t.Errorf("Lookup found a command Redis does not have")
	}
	for i := 0; i < len(cmds); i += 2 {
		name, info, docs := cmds[i].Str, cmds[i+1].Elems[0], cmds[i+1].Elems[1]
		e := Lookup(name)
		if e == nil || e.Name != name {
			t.Fatalf("Lookup(%q) = %v", name, e)
		}
		tail := resp.Value{Type: '*', Elems: info.Elems[7:9]}
		body := func(v resp.Value) []byte { // without the aggregate header
			b := resp.AppendValue(nil, v)
			return b[bytes.IndexByte(b, '\n')+1:]
		}
		for _, tc := range []struct {
			what      string
			got, want []byte
		}{
			{"RESP3 tips and key specs", e.TipsAndKeySpecs(3), body(tail)},
			{"RESP2 tips and key specs", e.TipsAndKeySpecs(2), body(downgrade(tail))},
			{"RESP3 docs", e.Docs(3), body(docs)},
			{"RESP2 docs", e.Docs(2), body(downgrade(docs))},
			{"doc pairs", fmt.Append(nil, e.DocPairs()), fmt.Append(nil, len(docs.Elems)/2)},
		} {
			if !bytes.Equal(tc.got, tc.want) {
				t.Errorf("%s %s:\n got %q\nwant %q", name, tc.what, tc.got, tc.want)
			}
		}
	}
}

func TestParseRejects(t *testing.T) {
	const entry = "%2\r\n$7\r\nversion\r\n$1\r\n7\r\n$8\r\ncommands\r\n%1\r\n$1\r\nx\r\n*2\r\n" +
		"*9\r\n$1\r\nx\r\n:1\r\n~0\r\n:0\r\n:0\r\n:0\r\n~0\r\n~0\r\n~0\r\n%1\r\n$1\r\na\r\n"
	if tb, err := parse([]byte(entry + "$1\r\nb\r\n")); err != nil || tb.entries["x"] == nil {
		t.Fatalf("a minimal entry: %v", err)
	}
	for _, bad := range []string{
		"",
		"*0\r\n",
		"%2\r\n$7\r\nversion\r\n$1\r\n7\r\n$8\r\ncommands\r\n*0\r\n",
		"%2\r\n$7\r\nversion\r\n$1\r\n7\r\n$8\r\ncommands\r\n%0\r\n+extra\r\n",
		// A double, which appendValue does not convert between protocols.
		entry + ",1.5\r\n",
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%q) accepted it", bad)
		}
	}
}

package cmddocs

import (
	"fmt"
	"strings"
	"testing"
)

func TestGetKeysEvaluator(t *testing.T) {
	rangeSpec := func(index, last, step, limit int, flags ...string) KeySpec {
		return KeySpec{Flags: flags, Begin: BeginIndex, Index: index, Find: FindRange, LastKey: last, KeyStep: step, Limit: limit}
	}
	keyword := func(word string, from, last, limit int) KeySpec {
		return KeySpec{Flags: []string{"RO"}, Begin: BeginKeyword, Keyword: word, StartFrom: from,
			Find: FindRange, LastKey: last, KeyStep: 1, Limit: limit}
	}
	keynum := func(index int) KeySpec {
		return KeySpec{Flags: []string{"RO", "access"}, Begin: BeginIndex, Index: index, Find: FindKeynum, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}
	}
	real := func(name string) []KeySpec {
		e := Lookup(name)
		if e == nil {
			t.Fatalf("no %s", name)
		}
		return e.KeySpecs()
	}
	tests := []struct {
		specs []KeySpec
		line  string
		want  string // "pos[flags] ...", or "invalid"
	}{
		{[]KeySpec{rangeSpec(1, 0, 1, 0, "RO")}, "get k", "1[RO]"},
		{[]KeySpec{rangeSpec(1, -1, 2, 0, "OW")}, "mset a 1 b 2", "1[OW] 3[OW]"},
		{[]KeySpec{rangeSpec(1, -2, 1, 0, "RW")}, "blpop a b 0", "1[RW] 2[RW]"},
		{[]KeySpec{rangeSpec(1, 3, 1, 0)}, "get k", "invalid"}, // last past the end
		{[]KeySpec{keyword("streams", 1, -1, 2)}, "xread count 1 streams a b 0 0", "4[RO] 5[RO]"},
		{[]KeySpec{keyword("streams", 1, -1, 2)}, "xread STREAMS a 0", "2[RO]"},
		{[]KeySpec{keyword("streams", 1, -1, 2)}, "xread count 1 a 0", ""},        // absent: no keys, still valid
		{[]KeySpec{keyword("store", 2, 0, 0)}, "cmd k x store", ""},               // the last argument is never searched
		{[]KeySpec{keyword("store", 2, 0, 0)}, "cmd k x store d", "4[RO]"},        // found
		{[]KeySpec{keyword("store", 2, 0, 0)}, "cmd k store d store e", "3[RO]"},  // the first one wins
		{[]KeySpec{keyword("store", -1, 0, 0)}, "cmd k store d store e", "5[RO]"}, // backwards from the end
		{[]KeySpec{keyword("k", -1, 0, 0)}, "cmd k x", ""},                        // backwards stops before 1
		{[]KeySpec{keynum(1)}, "zunion 2 a b withscores", "2[RO access] 3[RO access]"},
		{[]KeySpec{keynum(1)}, "zunion 3 a b", "invalid"},
		{[]KeySpec{keynum(1)}, "zunion 0 a", "invalid"},
		{[]KeySpec{keynum(1)}, "zunion 02 a b", "invalid"},
		{[]KeySpec{keynum(1)}, "zunion -1 a b", "invalid"},
		{[]KeySpec{keynum(1)}, "zunion 4294967297 a", "2[RO access]"}, // the count wraps as a C int
		{[]KeySpec{keynum(1)}, "zunion", "invalid"},
		{[]KeySpec{{Flags: []string{"not_key"}, Begin: BeginIndex, Index: 1, Find: FindRange}, rangeSpec(2, 0, 1, 0, "RO")}, "c x k", "2[RO]"},
		{[]KeySpec{{Begin: BeginUnknown, Find: FindUnknown}}, "c k", "invalid"},
		{[]KeySpec{rangeSpec(1, 0, 1, 0, "RO", "incomplete")}, "c k", "invalid"},

		// Redis's own specs.
		{real("lmove"), "lmove a b left right", "1[RW access delete] 2[RW insert]"},
		{real("zunionstore"), "zunionstore d 2 a b", "1[OW update] 3[RO access] 4[RO access]"},
		{real("zunionstore"), "zunionstore d 2abc a b", "invalid"},
		{real("blmpop"), "blmpop 0 2 a b left", "3[RW access delete] 4[RW access delete]"},
		{real("georadius"), "georadius k 0 0 1 m STORE d", "1[RO access] 7[OW update]"},
		{real("georadius"), "georadius k 0 0 1 m STORE", "1[RO access]"},
		{real("xreadgroup"), "xreadgroup group g c streams a b > >", "5[RO access] 6[RO access]"},
		{real("xread"), "xread count 1 streams a b 0 0", "4[RO access] 5[RO access]"},
		{real("sort"), "sort k store d", "invalid"},
	}
	for _, tt := range tests {
		keys, ok := Keys(tt.specs, bytesOf(tt.line))
		got := "invalid"
		if ok {
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%d%v", k.Pos, k.Flags)
			}
			got = strings.Join(parts, " ")
		} else if len(keys) != 0 {
			got = fmt.Sprintf("invalid with keys %v", keys)
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestGetKeysSpecsDecoded checks the decoding against the data's own
// first/last/step for the commands whose only spec is a plain range,
// which is what Redis derives that triple from.
func TestGetKeysSpecsDecoded(t *testing.T) {
	for _, name := range Names() {
		e := Lookup(name)
		specs := e.KeySpecs()
		if len(specs) != 1 || specs[0].Begin != BeginIndex || specs[0].Find != FindRange || specs[0].Limit != 0 {
			continue
		}
		s := specs[0]
		last := int64(s.LastKey)
		if last >= 0 {
			last += int64(s.Index)
		}
		if int64(s.Index) != e.FirstKey || last != e.LastKey || int64(s.KeyStep) != e.Step {
			t.Errorf("%s: spec %+v, triple %d %d %d", name, s, e.FirstKey, e.LastKey, e.Step)
		}
	}
}

func bytesOf(line string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(line) {
		out = append(out, []byte(f))
	}
	return out
}

package redisconf

import (
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// Seeds beyond these live in testdata/fuzz/<FuzzName>.

func FuzzSplitArgs(f *testing.F) {
	for _, c := range splitCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := SplitArgs(line)
		if err != nil {
			if words != nil {
				t.Fatalf("words %q with error", words)
			}
			return
		}
		// What was split must format back into a line that splits the same.
		if len(words) == 0 {
			return
		}
		again, err := SplitArgs(FormatLine(words...))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("SplitArgs(FormatLine(%q)) = %q, %v", words, again, err)
		}
	})
}

// fuzzFS is the only file system FuzzParse's includes can see, so that a
// fuzzed "include /dev/zero" cannot read the real one.
var fuzzFS = fstest.MapFS{
	"inc.conf":   {Data: []byte("port 1\ninclude d/*.conf\n")},
	"d/a.conf":   {Data: []byte("hz 10\n")},
	"d/b.conf":   {Data: []byte("save \"\"\n")},
	"loop.conf":  {Data: []byte("include loop.conf\n")},
	"bad.conf":   {Data: []byte("a \"b\n")},
	"empty.conf": {Data: nil},
}

func fuzzParser() *parser {
	p := newParser()
	p.open = func(name string) (io.ReadCloser, error) { return fuzzFS.Open(name) }
	p.glob = func(pattern string) ([]string, error) { return fs.Glob(fuzzFS, pattern) }
	return p
}

func FuzzParse(f *testing.F) {
	f.Add("# c\nport 6379\n  bind 127.0.0.1  \nsave \"\"\n")
	f.Add("include inc.conf\nPORT 2")
	f.Add("include loop.conf")
	f.Add("include bad.conf")
	f.Add("include d/*.conf\ninclude nothing/*.conf\ninclude [")
	f.Add("sentinel monitor m 127.0.0.1 6379 2\r\nsentinel known-replica m 127.0.0.1 6380\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		ds, err := fuzzParser().parse(strings.NewReader(text), "fuzz.conf")
		if err != nil {
			if le, ok := err.(*LineError); ok && (le.Line < 1 || le.Reason == "" || le.Fatal() == "") {
				t.Fatalf("bad LineError %#v", le)
			}
			return
		}
		// Formatting the directives and parsing that gives them back.
		var b strings.Builder
		for _, x := range ds {
			if x.Line < 1 || x.File == "" || x.Name != LowerASCII(x.Name) {
				t.Fatalf("bad directive %#v", x)
			}
			b.WriteString(FormatLine(append([]string{x.Name}, x.Args...)...))
			b.WriteByte('\n')
		}
		again, err := fuzzParser().parse(strings.NewReader(b.String()), "again.conf")
		if err != nil {
			t.Fatalf("reformatted config %q: %v", b.String(), err)
		}
		if len(again) != len(ds) {
			t.Fatalf("reformatted: %d directives, want %d", len(again), len(ds))
		}
		for i := range ds {
			if again[i].Name != ds[i].Name || !slices.Equal(again[i].Args, ds[i].Args) {
				t.Fatalf("reformatted directive %d: %#v, want %#v", i, again[i], ds[i])
			}
		}
	})
}

func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"", "0", "1", "1b", "1k", "1kb", "1K", "100mb", "1g", "1GB", "kb", "-1", "+5", "1.5mb",
		"9223372036854775807", "9223372036854775808", "8589934591gb", "18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseMemory(s); err == nil {
			if v < 0 {
				t.Fatalf("ParseMemory(%q) = %d", s, v)
			}
			if back, err := ParseMemory(FormatMemory(v)); err != nil || back != v {
				t.Fatalf("ParseMemory(FormatMemory(%d)) = %d, %v", v, back, err)
			}
		}
		// string2ll accepts only the canonical form, so it round-trips.
		if v, err := ParseInt(s); err == nil && strconv.FormatInt(v, 10) != s {
			t.Fatalf("ParseInt(%q) = %d", s, v)
		}
		ParseBool(s)
	})
}

func FuzzRewrite(f *testing.F) {
	f.Add("# c\nport 1\nsave 1 1\nsave 2 2\n\n\n", "save", "3 3")
	f.Add("a \"b\nport 1", "port", "")
	f.Add("", "requirepass", "a b\"c\n")
	f.Add(RewriteSignature+"\nhz 1\r\nHZ 2", "hz", "#x")
	f.Fuzz(func(t *testing.T, old, key, arg string) {
		key = LowerASCII(key)
		if key == "" || strings.ContainsAny(key, " \t\r\n\v\f\"'#\x00") {
			key = "k"
		}
		out, err := rewriteContent(old, map[string][][]string{key: {{arg}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Every line is a comment, blank, or splits; the key's lines are
		// exactly the one that was set.
		var got [][]string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			words, err := SplitArgs(line)
			if err != nil {
				t.Fatalf("line %q of output does not split: %v", line, err)
			}
			if len(words) > 0 && LowerASCII(words[0]) == key {
				got = append(got, words[1:])
			}
		}
		if len(got) != 1 || !slices.Equal(got[0], []string{arg}) {
			t.Fatalf("lines for %q = %q, want [[%q]]\n%s", key, got, arg, out)
		}
	})
}

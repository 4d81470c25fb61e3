package redisconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

func TestRewriteContent(t *testing.T) {
	cases := []struct {
		name  string
		old   string
		set   map[string][][]string
		order []string
		want  string
	}{
		{
			name: "in place, orphans blanked, new lines appended, blank runs collapsed",
			old:  "# top comment\n\n\n   # indented comment   \nport 6379\nsave 900 1\nsave 300 10\nsave 60 10000\n  hz    10  \n\n\n",
			set: map[string][][]string{
				"save":        {{"5", "5"}},
				"requirepass": {{`a b"c`}},
				"port":        {{"7000"}},
				"hz":          nil, // removed
			},
			order: []string{"port", "save", "requirepass", "hz"},
			want:  "# top comment\n\n# indented comment\nport 7000\nsave 5 5\n\n" + RewriteSignature + "\nrequirepass \"a b\\\"c\"\n",
		},
		{
			name: "existing signature is not repeated",
			old:  "port 1\n" + RewriteSignature + "\nhz 10\n",
			set:  map[string][][]string{"maxmemory": {{"1mb"}}},
			want: "port 1\n" + RewriteSignature + "\nhz 10\n\nmaxmemory 1mb\n",
		},
		{
			name: "unparsable line kept as a comment, others untouched",
			old:  "port 1\nbad \"quote\n  hz 1\n",
			set:  map[string][][]string{"port": {{"2"}}},
			want: "port 2\n# ??? bad \"quote\nhz 1\n\n",
		},
		{
			name: "more lines than before: reuse, then append",
			old:  "save 1 1\nport 1",
			set:  map[string][][]string{"save": {{"2", "2"}, {"3", "3"}}},
			want: "save 2 2\nport 1\n" + RewriteSignature + "\nsave 3 3\n",
		},
		{
			name: "sentinel keys address sub-directives",
			old: "port 26379\nsentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 1000\n" +
				"sentinel known-replica m 127.0.0.1 6380\nSENTINEL Known-Replica m 127.0.0.1 6381\n",
			set: map[string][][]string{
				"sentinel monitor":       {{"m", "127.0.0.1", "6380", "2"}},
				"sentinel known-replica": {{"m", "127.0.0.1", "6381"}},
				"sentinel current-epoch": {{"1"}},
			},
			want: "port 26379\nsentinel monitor m 127.0.0.1 6380 2\nsentinel down-after-milliseconds m 1000\n" +
				"sentinel known-replica m 127.0.0.1 6381\n\n" + RewriteSignature + "\nsentinel current-epoch 1\n",
		},
		{
			name: "empty file, quoting, sorted keys",
			old:  "",
			set: map[string][][]string{
				"requirepass":    {{""}},
				"rename-command": {{"CONFIG", ""}, {"FLUSHALL", "x y"}},
				"dir":            {{"/var/lib/redis"}},
			},
			want: RewriteSignature + "\ndir /var/lib/redis\nrename-command CONFIG \"\"\nrename-command FLUSHALL \"x y\"\nrequirepass \"\"\n",
		},
		{
			name:  "order decides appended order; keys match case-insensitively",
			old:   "PORT 1",
			set:   map[string][][]string{"b": {{"1"}}, "a": {{"2"}}, "Port": {{"2"}}},
			order: []string{"b", "nonexistent", "b"},
			want:  "port 2\n" + RewriteSignature + "\nb 1\na 2\n",
		},
	}
	for _, c := range cases {
		got, err := rewriteContent(c.old, c.set, c.order)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
	if _, err := rewriteContent("", map[string][][]string{"Port": nil, "port": nil}, nil); err == nil {
		t.Error("duplicate keys accepted")
	}
}

func TestRewriteFile(t *testing.T) {
	dir := t.TempDir()

	// A missing file is created.
	path := filepath.Join(dir, "new.conf")
	if err := Rewrite(path, map[string][][]string{"port": {{"1"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != RewriteSignature+"\nport 1\n" {
		t.Fatalf("new file: %q", b)
	}

	// Mode is kept, no temporary file is left, and the result parses back.
	path = filepath.Join(dir, "redis.conf")
	os.WriteFile(path, []byte("# keep me\nport 1\nsave 1 1\n"), 0o600)
	set := map[string][][]string{"port": {{"2"}}, "save": {{""}}, "masterauth": {{"p w"}}}
	if err := Rewrite(path, set, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("directory holds %d files, want 2 (temporary file left?)", len(ents))
	}
	ds, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][][]string{}
	for _, x := range ds {
		got[x.Name] = append(got[x.Name], x.Args)
	}
	if !reflect.DeepEqual(got, set) {
		t.Errorf("parsed back %v, want %v", got, set)
	}

	// A symlink is followed: the target changes, the link stays a link.
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	target := filepath.Join(dir, "real", "sentinel.conf")
	os.WriteFile(target, []byte("port 1\n"), 0o644)
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Rewrite(link, map[string][][]string{"port": {{"3"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("symlink replaced by a file")
	}
	if b, _ := os.ReadFile(target); !strings.HasPrefix(string(b), "port 3\n") {
		t.Errorf("target = %q", b)
	}

	if err := Rewrite(filepath.Join(dir, "missing-dir", "x.conf"), nil, nil); err == nil {
		t.Error("rewrite into a missing directory succeeded")
	}
}

// TestRewriteMatchesRedis lets redis-server CONFIG REWRITE a file, then
// asks Rewrite for the same directive values and expects the same file:
// same lines reused, blanked and appended, same comments, blank lines and
// signature. Argument quoting may differ (Redis quotes every string), so
// directive lines are compared as words.
func TestRewriteMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	orig := "# top comment\n\n\n   # indented comment   \nport 0\nmaxmemory 100mb\nsave 900 1\nsave 300 10\nsave 60 10000\n" +
		"  hz    10  \nrename-command FLUSHDB \"\"\nappendonly no\n# trailing comment\n\n\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := testutil.StartRedis(t, path)
	conn := testutil.Dial(t, srv.Addr())

	rounds := [][][]string{
		{{"save", "5 5"}, {"maxmemory", "0"}, {"requirepass", `a b"c`}},
		{{"hz", "20"}, {"save", "1 2 3 4 5 6"}, {"requirepass", ""}},
	}
	before := orig
	for i, sets := range rounds {
		for _, kv := range sets {
			if r := string(conn.Do("CONFIG", "SET", kv[0], kv[1])); r != "+OK\r\n" {
				t.Fatalf("CONFIG SET %s: %q", kv[0], r)
			}
		}
		if r := string(conn.Do("CONFIG", "REWRITE")); r != "+OK\r\n" {
			t.Fatalf("CONFIG REWRITE: %q", r)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		redis := string(b)

		set, order := directivesOf(t, redis)
		for k := range directivesOfMust(t, before) {
			if _, ok := set[k]; !ok {
				set[k] = nil // Redis dropped it
			}
		}
		ours, err := rewriteContent(before, set, order)
		if err != nil {
			t.Fatal(err)
		}
		if o, r := normalise(t, ours), normalise(t, redis); !reflect.DeepEqual(o, r) {
			t.Errorf("round %d: from\n%s\nRedis wrote\n%s\nRewrite wrote\n%s", i, before, redis, ours)
		}
		t.Logf("round %d: Redis and Rewrite agree on:\n%s", i, redis)
		before = redis
	}
}

// directivesOf groups a file's directive lines by name, with names in
// order of first appearance.
func directivesOf(t *testing.T, text string) (map[string][][]string, []string) {
	t.Helper()
	ds, err := Parse(strings.NewReader(text), "x")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string][][]string{}
	var order []string
	for _, x := range ds {
		if _, ok := set[x.Name]; !ok {
			order = append(order, x.Name)
		}
		set[x.Name] = append(set[x.Name], x.Args)
	}
	return set, order
}

func directivesOfMust(t *testing.T, text string) map[string][][]string {
	set, _ := directivesOf(t, text)
	return set
}

// normalise re-formats directive lines so quoting style does not matter.
func normalise(t *testing.T, text string) []string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" || l[0] == '#' {
			continue
		}
		w, err := SplitArgs(l)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines[i] = FormatLine(w...)
	}
	return lines
}

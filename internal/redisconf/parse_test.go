package redisconf

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

func d(name string, line int, args ...string) Directive {
	if args == nil {
		args = []string{}
	}
	return Directive{Name: name, Args: args, Line: line}
}

// stripFiles clears File (checked separately) and normalises empty Args.
func stripFiles(ds []Directive) []Directive {
	out := make([]Directive, len(ds))
	for i, x := range ds {
		x.File = ""
		if x.Args == nil {
			x.Args = []string{}
		}
		out[i] = x
	}
	return out
}

func TestParse(t *testing.T) {
	text := "# comment\n" +
		"\n" +
		"   # indented comment\n" +
		"PORT 6380\r\n" +
		"  bind 127.0.0.1 -::1   \n" +
		"requirepass \"a b\\\"c\"\n" +
		"save ''\n" +
		"save 900 1\n" +
		"\v\n" + // blank to Redis: no words
		"sentinel monitor mymaster 127.0.0.1 6379 2\n" +
		"appendonly yes" // no final newline
	got, err := Parse(strings.NewReader(text), "redis.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []Directive{
		d("port", 4, "6380"),
		d("bind", 5, "127.0.0.1", "-::1"),
		d("requirepass", 6, `a b"c`),
		d("save", 7, ""),
		d("save", 8, "900", "1"),
		d("sentinel", 10, "monitor", "mymaster", "127.0.0.1", "6379", "2"),
		d("appendonly", 11, "yes"),
	}
	if !reflect.DeepEqual(stripFiles(got), want) {
		t.Fatalf("Parse =\n%v\nwant\n%v", got, want)
	}
	for _, x := range got {
		if x.File != "redis.conf" {
			t.Errorf("File = %q", x.File)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		text, reason, line string
		lineNo             int
	}{
		{"port 1\n  port \"6379  \n", reasonUnbalanced, `port "6379`, 2},
		{"a 'b'c", reasonUnbalanced, "a 'b'c", 1},
		{"\n\ninclude\n", reasonBadArgs, "include", 3},
		{"include a b", reasonBadArgs, "include a b", 1},
		{"x\x00y", "NUL byte in configuration line", `x\x00y`, 1},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.text), "r.conf")
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("%q: err = %v, want *LineError", c.text, err)
			continue
		}
		if le.File != "r.conf" || le.Line != c.lineNo || le.Text != c.line || le.Reason != c.reason {
			t.Errorf("%q: got %+v", c.text, *le)
		}
	}
	le := &LineError{File: "r.conf", Line: 2, Text: `port "6379`, Reason: reasonUnbalanced}
	if got, want := le.Error(), `r.conf:2: Unbalanced quotes in configuration line ('port "6379')`; got != want {
		t.Errorf("Error() = %s, want %s", got, want)
	}
	want := "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"6379'\nUnbalanced quotes in configuration line"
	if got := le.Fatal(); got != want {
		t.Errorf("Fatal() =\n%s\nwant\n%s", got, want)
	}
}

// TestFatalMatchesRedis checks the banner against what redis-server
// itself prints for the same bad files.
func TestFatalMatchesRedis(t *testing.T) {
	bin := testutil.RequireBinary(t, "redis-server")
	out, _ := exec.Command(bin, "--version").Output()
	if !strings.Contains(string(out), "v="+RedisVersion+" ") {
		t.Skipf("banner text is version specific; installed: %s", out)
	}
	dir := t.TempDir()
	for i, text := range []string{
		"# ok\nport 0\n  port \"6379  \n",
		"port 0\ninclude a b\n",
		"\n\n\nbind 'x'y\n",
	} {
		path := filepath.Join(dir, "bad.conf")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, path)
		cmd.Dir = dir
		redisOut, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("case %d: redis-server accepted %q", i, text)
		}
		_, perr := ParseFile(path)
		var le *LineError
		if !errors.As(perr, &le) {
			t.Fatalf("case %d: ParseFile = %v", i, perr)
		}
		if got, want := le.Fatal(), strings.TrimSpace(string(redisOut)); got != want {
			t.Errorf("case %d:\nours:\n%s\nredis-server:\n%s", i, got, want)
		}
	}
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(name, text string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Relative includes resolve against the working directory, not the
	// including file's directory: etc/main.conf names etc/extra.conf.
	write("etc/main.conf", "port 1\ninclude etc/extra.conf\ninclude etc/conf.d/*.conf\ninclude etc/empty.d/*.conf\nport 9\n")
	write("etc/extra.conf", "maxmemory 1mb\n")
	write("etc/conf.d/b.conf", "hz 20\n")
	write("etc/conf.d/a.conf", "hz 10\ninclude etc/leaf.conf\n")
	write("etc/leaf.conf", "daemonize no\n")

	got, err := ParseFile("etc/main.conf")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range got {
		names = append(names, x.File+":"+x.Name+" "+strings.Join(x.Args, " "))
	}
	want := []string{
		"etc/main.conf:port 1",
		"etc/extra.conf:maxmemory 1mb",
		"etc/conf.d/a.conf:hz 10",
		"etc/leaf.conf:daemonize no",
		"etc/conf.d/b.conf:hz 20",
		"etc/main.conf:port 9",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("got %q\nwant %q", names, want)
	}

	// Relative to the including file is not how Redis resolves: error.
	write("etc/rel.conf", "include extra.conf\n")
	_, err = ParseFile("etc/rel.conf")
	var le *LineError
	if !errors.As(err, &le) || le.File != "etc/rel.conf" || le.Line != 1 || !errors.Is(err, fs.ErrNotExist) ||
		le.Reason != "can't open config file 'extra.conf': No such file or directory" {
		t.Fatalf("missing include: %#v", err)
	}

	write("etc/loop1.conf", "port 1\ninclude etc/loop2.conf\n")
	write("etc/loop2.conf", "include etc/loop1.conf\n")
	_, err = ParseFile("etc/loop1.conf")
	if !errors.As(err, &le) || le.File != "etc/loop2.conf" || !strings.Contains(le.Reason, "include loop") {
		t.Fatalf("include loop: %v", err)
	}

	write("self/a.conf", "port 1\n")
	write("self/self.conf", "include self/*.conf\n") // matches itself
	_, err = ParseFile("self/self.conf")
	if !errors.As(err, &le) || !strings.Contains(le.Reason, "include loop: 'self/self.conf'") {
		t.Fatalf("self-including glob: %v", err)
	}

	_, err = ParseFile("nope.conf")
	if err == nil || !errors.Is(err, fs.ErrNotExist) || errors.As(err, &le) {
		t.Fatalf("missing top-level file: %v", err)
	}
	if !strings.Contains(err.Error(), "can't open config file 'nope.conf'") {
		t.Errorf("message: %v", err)
	}
}

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args []string
		want []Directive
	}{
		{nil, nil},
		{[]string{"--port", "6380", "--requirepass", "x", "--save", "", "--replicaof", "127.0.0.1", "6379"},
			[]Directive{d("port", 1, "6380"), d("requirepass", 2, "x"), d("save", 3, ""), d("replicaof", 4, "127.0.0.1", "6379")}},
		// A bare --save before another option, or last, means save "".
		{[]string{"--save", "--port", "1"}, []Directive{d("save", 1, ""), d("port", 2, "1")}},
		{[]string{"--port", "1", "--SAVE"}, []Directive{d("port", 1, "1"), d("save", 2, "")}},
		// Any other option takes the next word, even one starting with --.
		{[]string{"--requirepass", "--x", "--port", "1"}, []Directive{d("requirepass", 1, "--x"), d("port", 2, "1")}},
		{[]string{"--sentinel", "--port", "26379"}, []Directive{d("sentinel", 1), d("port", 2, "26379")}},
		{[]string{"--sentinel"}, []Directive{d("sentinel", 1)}},
		// Name and values in one word are split like a config line.
		{[]string{"--save 900 1", "--Port", "6380"}, []Directive{d("save", 1, "900", "1"), d("port", 2, "6380")}},
		// Values are verbatim: spaces, quotes, escapes, newlines.
		{[]string{"--requirepass", "a b\"c'\\n\n\x01é", "--dir", ""},
			[]Directive{d("requirepass", 1, "a b\"c'\\n\n\x01é"), d("dir", 2, "")}},
		{[]string{"--port", "6380", "extra"}, []Directive{d("port", 1, "6380", "extra")}},
		// Words before any --name form a line of their own, as in Redis.
		{[]string{"port", "7000", "--hz", "5"}, []Directive{d("port", 1, "7000"), d("hz", 2, "5")}},
	}
	for _, c := range cases {
		got, err := ParseArgs(c.args)
		if err != nil {
			t.Errorf("ParseArgs(%q): %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(stripFiles(got), stripFiles(c.want)) {
			t.Errorf("ParseArgs(%q) =\n%v\nwant\n%v", c.args, got, c.want)
		}
		for _, x := range got {
			if x.File != CommandLine {
				t.Errorf("File = %q", x.File)
			}
		}
	}
	_, err := ParseArgs([]string{"--port", "1", `--"foo`})
	var le *LineError
	if !errors.As(err, &le) || le.File != CommandLine || le.Line != 2 || le.Reason != reasonUnbalanced {
		t.Fatalf("unbalanced option name: %v", err)
	}
}

// TestParseArgsMatchesRedis starts redis-server with awkward overrides and
// checks that the values it ended up with are the ones ParseArgs reads.
func TestParseArgsMatchesRedis(t *testing.T) {
	args := []string{"--requirepass", `a b"c' \x41`, "--maxmemory", "2mb", "--hz 20", "--save", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"}
	srv := testutil.StartRedis(t, args...)
	conn := testutil.Dial(t, srv.Addr())
	ds, err := ParseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	if r := string(conn.Do("AUTH", `a b"c' \x41`)); r != "+OK\r\n" {
		t.Fatalf("AUTH = %q", r)
	}
	for _, x := range ds {
		want := x.Args[0]
		if x.Name == "maxmemory" { // CONFIG GET answers in bytes
			n, err := ParseMemory(want)
			if err != nil {
				t.Fatal(err)
			}
			want = strconv.FormatInt(n, 10)
		}
		got := string(conn.Do("CONFIG", "GET", x.Name))
		if exp := string(testutil.EncodeCommand(x.Name, want)); got != exp {
			t.Errorf("%s: redis has %q, ParseArgs read %q", x.Name, got, x.Args)
		}
	}
}

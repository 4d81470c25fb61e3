package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// runTool runs a Redis tool against port with a time limit and returns its
// combined output; a non-zero exit fails the test.
func runTool(t *testing.T, stdin []byte, limit time.Duration, name string, args ...string) string {
	t.Helper()
	out, err := runToolErr(t, stdin, limit, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runToolErr(t *testing.T, stdin []byte, limit time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	bin := testutil.RequireBinary(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %v: %w", limit, err)
	}
	return string(out), err
}

func cli(t *testing.T, port int, args ...string) string {
	t.Helper()
	return strings.TrimSpace(runTool(t, nil, 30*time.Second, "redis-cli",
		append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)...))
}

// TestRedisCLI uses redis-cli as a user would: one-shot commands, --pipe
// mass insertion, INFO, RESP3 and an inline command over raw TCP.
func TestRedisCLI(t *testing.T) {
	testutil.RequireBinary(t, "redis-cli")
	srv := testutil.StartWarden(t)
	port := srv.Port()

	t.Run("PING", func(t *testing.T) {
		eq(t, "redis-cli PING", cli(t, port, "PING"), "PONG")
	})
	t.Run("SET/GET", func(t *testing.T) {
		eq(t, "redis-cli SET", cli(t, port, "SET", "greeting", "hello world"), "OK")
		eq(t, "redis-cli GET", cli(t, port, "GET", "greeting"), "hello world")
		eq(t, "redis-cli GET missing", cli(t, port, "GET", "missing"), "")
		// An error reply is printed with its code; redis-cli exits 0.
		eq(t, "redis-cli INCR on text", cli(t, port, "INCR", "greeting"), "ERR value is not an integer or out of range")
	})

	t.Run("pipe", func(t *testing.T) {
		const n = 10000
		var in bytes.Buffer
		for i := 0; i < n; i++ {
			in.Write(testutil.EncodeCommand("SET", fmt.Sprintf("mass:%05d", i), fmt.Sprintf("value-%d", i)))
		}
		out := runTool(t, in.Bytes(), 60*time.Second, "redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "--pipe")
		if !strings.Contains(out, fmt.Sprintf("errors: 0, replies: %d", n)) {
			t.Fatalf("redis-cli --pipe output:\n%s\nwant errors: 0, replies: %d", out, n)
		}
		eq(t, "GET of a piped key", cli(t, port, "GET", "mass:09999"), "value-9999")
		eq(t, "DBSIZE", cli(t, port, "DBSIZE"), strconv.Itoa(n+1)) // + "greeting"
	})

	t.Run("INFO keyspace", func(t *testing.T) {
		out := cli(t, port, "INFO", "keyspace")
		lines := strings.Split(strings.ReplaceAll(out, "\r", ""), "\n")
		eq(t, "INFO keyspace", lines, []string{"# Keyspace", "db0:keys=10001,expires=0,avg_ttl=0"})
	})

	t.Run("RESP3 HELLO", func(t *testing.T) {
		// With -3 redis-cli sends HELLO 3 on connect, then our HELLO;
		out := cli(t, port, "-3", "HELLO")
		// non-interactive output prints the map one "key value" per line.
		got := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			k, v, _ := strings.Cut(line, " ")
			got[k] = v
		}
		for k, v := range map[string]string{"server": "redis", "proto": "3", "mode": "standalone", "role": "master"} {
			if got[k] != v {
				t.Errorf("redis-cli -3 HELLO: %s = %q, want %q; output:\n%s", k, got[k], v, out)
			}
		}
		if !strings.HasPrefix(got["version"], "7.0.") {
			t.Errorf("redis-cli -3 HELLO: version %q, want 7.0.x", got["version"])
		}
		// A RESP3 double, as redis-cli -3 shows it.
		cli(t, port, "ZADD", "z", "1.5", "m")
		eq(t, "redis-cli -3 ZSCORE", cli(t, port, "-3", "ZSCORE", "z", "m"), "1.5")
	})

	t.Run("inline over TCP", func(t *testing.T) {
		// What a telnet user types: inline commands, CRLF or bare LF,
		// quoted arguments.
		c, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
		must(t, err)
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		for _, step := range []struct{ send, want string }{
			{"PING\r\n", "+PONG\r\n"},
			{"ping hello\n", "$5\r\nhello\r\n"},
			{"SET telnet \"a b\\x41\"\r\n", "+OK\r\n"},
			{"GET telnet\r\n", "$4\r\na bA\r\n"},
			{"  EXISTS   telnet   nope \r\n", ":1\r\n"},
			{"\r\n", ""}, // an empty line is ignored
			{"NOSUCH arg\r\n", "-ERR unknown command 'NOSUCH', with args beginning with: 'arg' \r\n"},
		} {
			if _, err := c.Write([]byte(step.send)); err != nil {
				t.Fatalf("write %q: %v", step.send, err)
			}
			if step.want == "" {
				continue
			}
			got := make([]byte, len(step.want))
			if _, err := ioReadFull(r, got); err != nil {
				t.Fatalf("after %q: %v", step.send, err)
			}
			eq(t, fmt.Sprintf("reply to %q", step.send), string(got), step.want)
		}
		// Unbalanced quotes are a protocol error that closes the link.
		c.Write([]byte("SET x \"open\r\n"))
		line, _ := r.ReadString('\n')
		eq(t, "unbalanced quotes", line, "-ERR Protocol error: unbalanced quotes in request\r\n")
		if _, err := r.ReadByte(); err == nil {
			t.Errorf("connection still open after a protocol error")
		}
		eq(t, "server alive", cli(t, port, "PING"), "PONG")
	})
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// benchLine is what redis-benchmark -q prints for a finished test.
var benchLine = regexp.MustCompile(`^[A-Za-z0-9_ ()]+: [0-9]+(\.[0-9]+)? requests per second, p50=[0-9.]+ msec$`)

// defaultBenchTests are the tests redis-benchmark 7.0 runs without -t, in
// order.
var defaultBenchTests = []string{
	"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
	"SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)",
	"LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
	"LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)", "MSET (10 keys)",
}

// checkBenchmark runs redis-benchmark with args against port and fails on
// any error, or any output line that is not a result line.
func checkBenchmark(t *testing.T, port int, args ...string) {
	t.Helper()
	argv := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-q"}, args...)
	out, err := runToolErr(t, nil, 5*time.Minute, "redis-benchmark", argv...)
	if err != nil {
		t.Fatalf("redis-benchmark %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	lower := strings.ToLower(out)
	if strings.Contains(out, "ERR") || strings.Contains(lower, "error") {
		t.Errorf("redis-benchmark %s reported errors:\n%s", strings.Join(argv, " "), out)
	}
	var results []string
	for _, line := range strings.Split(out, "\n") {
		// Progress updates are overwritten with '\r'; the last segment
		// of a line is what a terminal would show.
		if i := strings.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !benchLine.MatchString(line) {
			t.Errorf("redis-benchmark %s: unexpected line %q", strings.Join(argv, " "), line)
			continue
		}
		results = append(results, line)
	}
	var names []string
	for _, r := range results {
		names = append(names, r[:strings.Index(r, ":")])
	}
	if !reflect.DeepEqual(names, defaultBenchTests) {
		t.Errorf("redis-benchmark %s ran %q, want %q", strings.Join(argv, " "), names, defaultBenchTests)
	}
	t.Logf("redis-benchmark %s: %d tests\n%s", strings.Join(argv, " "), len(results), strings.Join(results, "\n"))
}

// TestRedisBenchmark runs redis-benchmark's default test suite against
// warden, with and without pipelining: every test must finish without one
// error reply.
func TestRedisBenchmark(t *testing.T) {
	testutil.RequireBinary(t, "redis-benchmark")
	srv := testutil.StartWarden(t)
	t.Run("P1", func(t *testing.T) { checkBenchmark(t, srv.Port(), "-n", "20000") })
	t.Run("P16", func(t *testing.T) { checkBenchmark(t, srv.Port(), "-n", "20000", "-P", "16") })
	// The server is still fine afterwards.
	eq(t, "PING after benchmarks", cli(t, srv.Port(), "PING"), "PONG")
}

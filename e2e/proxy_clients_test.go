package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// startStaticProxy starts `warden proxy` with one group whose topology is
// the static check of a single redis-server, and returns the proxy process
// and its write address.
func startStaticProxy(t testing.TB, redisAddr string) (*testutil.Proc, string) {
	t.Helper()
	port := testutil.FreePort(t)
	write := "127.0.0.1:" + strconv.Itoa(port)
	conf := filepath.Join(t.TempDir(), "proxy.yaml")
	yaml := fmt.Sprintf(`http: ""
maxclients: 20000
groups:
  - name: g
    write: %s
    static:
      nodes: [%q]
      interval: 200ms
`, write, redisAddr)
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.StartProcess(t, testutil.BuildWarden(t), []string{"proxy", "-c", conf}, testutil.PingReady(write))
	return p, write
}

// TestProxyRedisCli: redis-cli through the write port, single commands and
// a pipe of many.
func TestProxyRedisCli(t *testing.T) {
	r := testutil.StartRedis(t)
	_, write := startStaticProxy(t, r.Addr())
	port := write[strings.LastIndexByte(write, ':')+1:]
	p, _ := strconv.Atoi(port)
	if got := cli(t, p, "SET", "greeting", "hello"); got != "OK" {
		t.Fatalf("SET: %q", got)
	}
	if got := cli(t, p, "GET", "greeting"); got != "hello" {
		t.Fatalf("GET: %q", got)
	}
	var in strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&in, "RPUSH list %d\n", i)
	}
	out := runTool(t, []byte(in.String()), 30*time.Second, "redis-cli", "-p", port)
	if n := strings.Count(out, "\n"); n != 1000 || !strings.HasSuffix(out, "1000\n") {
		t.Fatalf("redis-cli with 1000 piped commands: %d lines, ends %q", n, out[max(0, len(out)-20):])
	}
	if got := cli(t, p, "LLEN", "list"); got != "1000" {
		t.Fatalf("LLEN: %q", got)
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(tb testing.TB, pid int) int64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// BenchmarkProxyIdleClients measures the proxy's memory per idle client:
// 10,000 connections to the write port, each having sent one PING, then
// idle. Reported as KiB/client (RSS growth of the proxy process divided by
// the clients). Issue 5's target: at most 16 KiB.
//
//	go test -run '^$' -bench BenchmarkProxyIdleClients -benchtime 1x ./e2e/
func BenchmarkProxyIdleClients(b *testing.B) {
	const clients = 10000
	r := testutil.StartRedis(b)
	proxy, write := startStaticProxy(b, r.Addr())
	for i := 0; i < b.N; i++ {
		before := rssKiB(b, proxy.Pid())
		conns := make([]net.Conn, 0, clients)
		ping := []byte("*1\r\n$4\r\nPING\r\n")
		buf := make([]byte, 7)
		for j := 0; j < clients; j++ {
			c, err := net.DialTimeout("tcp", write, 5*time.Second)
			if err != nil {
				b.Fatalf("client %d: %v", j, err)
			}
			conns = append(conns, c)
			if _, err := c.Write(ping); err != nil {
				b.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Read(buf); err != nil || string(buf) != "+PONG\r\n" {
				b.Fatalf("client %d: PING %q %v", j, buf, err)
			}
		}
		time.Sleep(time.Second) // let the proxy settle (GC) before reading
		after := rssKiB(b, proxy.Pid())
		b.ReportMetric(float64(after-before)/clients, "KiB/client")
		b.ReportMetric(float64(after)/1024, "MiB-RSS")
		for _, c := range conns {
			c.Close()
		}
	}
}

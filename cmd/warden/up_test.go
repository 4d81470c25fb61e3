package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/backend"
	"github.com/wardenhq/warden/internal/testutil"
	"github.com/wardenhq/warden/proxy"
	"github.com/wardenhq/warden/sentinel"
)

func TestUpFlags(t *testing.T) {
	c, err := parseUpFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := &upConfig{dir: "data", replicas: 2, sentinels: 3, downAfter: 5000, basePort: 6379, sentinelPort: 26379,
		writePort: 5000, readPort: 5001, http: "127.0.0.1:8404", refused: 500 * time.Millisecond}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults %+v, want %+v", c, want)
	}
	if got := c.nodePorts(); !reflect.DeepEqual(got, []int{6379, 6380, 6381}) {
		t.Errorf("node ports %v", got)
	}
	if got := c.sentinelPorts(); !reflect.DeepEqual(got, []int{26379, 26380, 26381}) {
		t.Errorf("sentinel ports %v", got)
	}

	c, err = parseUpFlags([]string{"--dir", "/x", "--replicas", "0", "--sentinels", "5", "--down-after", "3000",
		"--base-port", "7000", "--sentinel-port", "27000", "--write-port", "6000", "--read-port", "6001",
		"--http", "", "--refused-fast-path", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.replicas != 0 || c.sentinels != 5 || c.http != "" || c.refused != 0 || len(c.nodePorts()) != 1 {
		t.Fatalf("parsed %+v", c)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--replicas", "-1"}, "--replicas"},
		{[]string{"--sentinels", "0"}, "--sentinels"},
		{[]string{"--down-after", "0"}, "--down-after"},
		{[]string{"--refused-fast-path", "-1s"}, "--refused-fast-path"},
		{[]string{"--dir", ""}, "--dir"},
		{[]string{"--base-port", "65535"}, "node 2: port 65536 out of range"},
		{[]string{"--sentinel-port", "6380"}, "sentinel 1: port 6380 is also node 2"},
		{[]string{"--write-port", "26381"}, "--write-port: port 26381 is also sentinel 3"},
		{[]string{"--read-port", "5000"}, "--read-port: port 5000 is also --write-port"},
		{[]string{"--http", "127.0.0.1:5001"}, "--http: port 5001 is also --read-port"},
		{[]string{"--http", "nope"}, "--http"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--nope"}, "flag provided but not defined"},
	} {
		_, err := parseUpFlags(bad.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: err = %v, want %q", bad.args, err, bad.want)
		}
	}
	// Another interface's port 5001 is no clash.
	if _, err := parseUpFlags([]string{"--http", "10.1.2.3:5001"}, io.Discard); err != nil {
		t.Errorf("--http on another address: %v", err)
	}
}

// TestUpFiles checks the generated files with the parsers that will read
// them: the node's, the sentinel's and the proxy's.
func TestUpFiles(t *testing.T) {
	dir := t.TempDir()
	c, err := parseUpFlags([]string{"--down-after", "2000", "--refused-fast-path", "300ms", "--sentinels", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	nodeDir := filepath.Join(dir, "node 6380") // a space, to check the quoting
	if err := os.MkdirAll(nodeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(nodeDir, "redis.conf")
	if wrote, err := writeNew(path, nodeConfig(nodeDir, 6380, 6379)); err != nil || !wrote {
		t.Fatalf("writeNew: %v %v", wrote, err)
	}
	if wrote, err := writeNew(path, "other"); err != nil || wrote {
		t.Fatalf("writeNew over an existing file: %v %v", wrote, err)
	}
	opts, err := backend.LoadConfig(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Port != 6380 || opts.MasterHost != "127.0.0.1" || opts.MasterPort != 6379 || !opts.AppendOnly ||
		len(opts.Save) == 0 || opts.Dir != nodeDir {
		t.Errorf("node options: port %d replicaof %s:%d appendonly %v save %v dir %q",
			opts.Port, opts.MasterHost, opts.MasterPort, opts.AppendOnly, opts.Save, opts.Dir)
	}
	opts, err = backend.LoadConfig(writeTemp(t, nodeConfig(dir, 6379, 6379)), nil, nil)
	if err != nil || opts.MasterHost != "" {
		t.Errorf("the master's config: %v, replicaof %q", err, opts.MasterHost)
	}

	spath := writeTemp(t, sentinelConfig(dir, 26379, 6379, 3))
	s, err := sentinel.New(sentinel.Config{Path: spath, Args: c.sentinelArgs()})
	if err != nil {
		t.Fatal(err)
	}
	ms := s.Masters()
	if len(ms) != 1 || ms[0].Name != "mymaster" || ms[0].Port != 6379 || ms[0].Quorum != 3 {
		t.Errorf("sentinel masters %+v", ms)
	}
	if err := s.FlushConfig(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	saved := readFile(t, spath)
	for _, line := range []string{
		"sentinel down-after-milliseconds mymaster 2000",
		"sentinel down-after-refused-milliseconds mymaster 300",
		"sentinel failover-timeout mymaster 10000",
	} {
		if !strings.Contains(saved, line) {
			t.Errorf("sentinel.conf lacks %q:\n%s", line, saved)
		}
	}

	ppath := filepath.Join(dir, "proxy.yaml")
	if err := os.WriteFile(ppath, []byte(c.proxyConfig("notice")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := proxy.LoadConfig(ppath)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Groups[0]
	if len(cfg.Groups) != 1 || g.Name != "mymaster" || g.Write != "127.0.0.1:5000" || g.Read != "127.0.0.1:5001" ||
		cfg.HTTP != "127.0.0.1:8404" || g.Sentinels == nil ||
		!reflect.DeepEqual(g.Sentinels.Addrs, []string{"127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381", "127.0.0.1:26382", "127.0.0.1:26383"}) {
		t.Errorf("proxy config %+v, group %+v", cfg, g)
	}
	c.http = ""
	if err := os.WriteFile(ppath, []byte(c.proxyConfig("notice")), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err := proxy.LoadConfig(ppath); err != nil || cfg.HTTP != "" {
		t.Errorf("--http \"\": %v, http %q", err, cfg.HTTP)
	}
}

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.conf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	f, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDir(dir); err == nil || !strings.Contains(err.Error(), "in use by another warden up") {
		t.Fatalf("second lock: %v", err)
	}
	f.Close()
	f, err = lockDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	f.Close()
}

func TestUpPortsFree(t *testing.T) {
	ports := testutil.FreePorts(t, 2)
	c, err := parseUpFlags([]string{"--base-port", strconv.Itoa(ports[0]), "--replicas", "0", "--sentinels", "1",
		"--sentinel-port", strconv.Itoa(ports[1]), "--write-port", "0", "--read-port", "0", "--http", ""}, io.Discard)
	if err == nil {
		t.Fatal("port 0 accepted")
	}
	free := testutil.FreePorts(t, 4)
	c, err = parseUpFlags([]string{"--base-port", strconv.Itoa(free[0]), "--replicas", "0", "--sentinels", "1",
		"--sentinel-port", strconv.Itoa(free[1]), "--write-port", strconv.Itoa(free[2]), "--read-port", strconv.Itoa(free[3]),
		"--http", ""}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.portsFree(); err != nil {
		t.Fatalf("free ports: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(free[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := c.portsFree(); err == nil || !strings.Contains(err.Error(), "proxy write port 127.0.0.1:"+strconv.Itoa(free[2])+" is not free") {
		t.Fatalf("taken port: %v", err)
	}
}

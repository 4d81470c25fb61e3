package backend

// Master-side replication tests with scripted fake replicas speaking the
// protocol over a raw socket, so that the exact bytes (framing, offsets,
// keepalives, what is withheld until the first ACK) are checked.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// fakeReplica is a scripted replica connection.
type fakeReplica struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dialFakeReplica(t testing.TB, addr string) *fakeReplica {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fakeReplica{t: t, c: c, r: bufio.NewReaderSize(c, 1<<16)}
}

func (f *fakeReplica) send(args ...string) {
	f.t.Helper()
	f.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := f.c.Write(testutil.EncodeCommand(args...)); err != nil {
		f.t.Fatalf("fake replica send %v: %v", args, err)
	}
}

// line reads one CRLF line (without it); keepalive newlines are skipped
// when skipKeepalive.
func (f *fakeReplica) line(skipKeepalive bool) string {
	f.t.Helper()
	for {
		f.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := f.r.ReadString('\n')
		if err != nil {
			f.t.Fatalf("fake replica read line: %v (got %q)", err, l)
		}
		if l == "\n" && skipKeepalive {
			continue
		}
		return strings.TrimRight(l, "\r\n")
	}
}

func (f *fakeReplica) do(args ...string) string {
	f.t.Helper()
	f.send(args...)
	return f.line(false)
}

func (f *fakeReplica) readN(n int) []byte {
	f.t.Helper()
	f.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(f.r, b); err != nil {
		f.t.Fatalf("fake replica read %d bytes: %v", n, err)
	}
	return b
}

// rdb reads the payload after +FULLRESYNC in either framing and reports
// whether it was the EOF-marked (diskless) one.
func (f *fakeReplica) rdb() (payload []byte, diskless bool) {
	f.t.Helper()
	hdr := f.line(true)
	if mark, ok := strings.CutPrefix(hdr, "$EOF:"); ok {
		if len(mark) != 40 {
			f.t.Fatalf("bad EOF mark %q", mark)
		}
		var buf []byte
		for !bytes.HasSuffix(buf, []byte(mark)) {
			f.c.SetReadDeadline(time.Now().Add(20 * time.Second))
			b, err := f.r.ReadByte()
			if err != nil {
				f.t.Fatalf("reading diskless RDB: %v after %d bytes", err, len(buf))
			}
			buf = append(buf, b)
		}
		return buf[:len(buf)-40], true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(hdr, "$"))
	if err != nil || hdr[0] != '$' {
		f.t.Fatalf("bad bulk header %q", hdr)
	}
	return f.readN(n), false
}

// command reads one RESP multibulk command of the stream, returning it and
// its size in bytes.
func (f *fakeReplica) command() ([]string, int) {
	f.t.Helper()
	h := f.line(false)
	size := len(h) + 2
	if h == "" || h[0] != '*' {
		f.t.Fatalf("stream: expected a multibulk, got %q", h)
	}
	n, _ := strconv.Atoi(h[1:])
	out := make([]string, n)
	for i := range out {
		bl := f.line(false)
		l, _ := strconv.Atoi(bl[1:])
		out[i] = string(f.readN(l + 2)[:l])
		size += len(bl) + 2 + l + 2
	}
	return out, size
}

// expectSilence checks nothing arrives for d.
func (f *fakeReplica) expectSilence(d time.Duration) {
	f.t.Helper()
	f.c.SetReadDeadline(time.Now().Add(d))
	b, err := f.r.ReadByte()
	if err == nil {
		f.t.Fatalf("expected silence, got byte %q", b)
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		f.t.Fatalf("expected silence, got error %v", err)
	}
}

// handshake sends the REPLCONFs a 7.0 replica sends.
func (f *fakeReplica) handshake(port int, eof bool) {
	f.t.Helper()
	if r := f.do("REPLCONF", "listening-port", strconv.Itoa(port)); r != "+OK" {
		f.t.Fatalf("REPLCONF listening-port: %q", r)
	}
	capa := []string{"REPLCONF", "capa", "psync2"}
	if eof {
		capa = []string{"REPLCONF", "capa", "eof", "capa", "psync2"}
	}
	if r := f.do(capa...); r != "+OK" {
		f.t.Fatalf("REPLCONF capa: %q", r)
	}
}

// fullSync runs PSYNC ? -1 and reads the RDB; it returns the replid and
// offset of +FULLRESYNC.
func (f *fakeReplica) fullSync(wantDiskless bool) (string, int64, []byte) {
	f.t.Helper()
	f.send("PSYNC", "?", "-1")
	l := f.line(true)
	parts := strings.Fields(l)
	if len(parts) != 3 || parts[0] != "+FULLRESYNC" || len(parts[1]) != 40 {
		f.t.Fatalf("PSYNC reply %q", l)
	}
	off, _ := strconv.ParseInt(parts[2], 10, 64)
	payload, diskless := f.rdb()
	if diskless != wantDiskless {
		f.t.Fatalf("diskless framing = %v, want %v", diskless, wantDiskless)
	}
	if !bytes.HasPrefix(payload, []byte("REDIS0010")) {
		f.t.Fatalf("payload is not an RDB v10: %q", payload[:min(len(payload), 20)])
	}
	return parts[1], off, payload
}

func doCmd(t testing.TB, addr string, args ...any) any {
	t.Helper()
	c := replClient(addr)
	defer c.Close()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		return err
	}
	return v
}

func TestReplBacklogRing(t *testing.T) {
	b := newBacklog(16<<10, 100)
	if b.firstByteOffset() != 101 || b.histlen != 0 {
		t.Fatalf("empty backlog: first %d histlen %d", b.firstByteOffset(), b.histlen)
	}
	var all []byte
	for i := 0; i < 5000; i++ {
		p := []byte(fmt.Sprintf("<%d>", i))
		all = append(all, p...)
		b.feed(p)
	}
	if b.histlen != 16<<10 || b.endOff != 100+int64(len(all)) {
		t.Fatalf("histlen %d endOff %d, want %d %d", b.histlen, b.endOff, 16<<10, 100+len(all))
	}
	first := b.firstByteOffset()
	for _, off := range []int64{first, first + 1, first + 9999, b.endOff, b.endOff + 1} {
		got := b.since(off)
		want := all[off-101:]
		if !bytes.Equal(got, want) {
			t.Fatalf("since(%d): %d bytes, want %d", off, len(got), len(want))
		}
	}
	// A feed bigger than the ring keeps its tail.
	big := bytes.Repeat([]byte("0123456789"), 5000)
	all = append(all, big...)
	b.feed(big)
	if got := b.since(b.firstByteOffset()); !bytes.Equal(got, all[len(all)-16<<10:]) {
		t.Fatalf("after a big feed the ring does not hold the tail")
	}
	// Resizing keeps the most recent history.
	nb := b.resize(32 << 10)
	if nb.histlen != 16<<10 || nb.endOff != b.endOff || !bytes.Equal(nb.since(nb.firstByteOffset()), all[len(all)-16<<10:]) {
		t.Fatalf("grown backlog lost history: histlen %d", nb.histlen)
	}
	sb := nb.resize(20 << 10)
	sb = sb.resize(16 << 10)
	if sb.histlen != 16<<10 || !bytes.Equal(sb.since(sb.firstByteOffset()), all[len(all)-16<<10:]) {
		t.Fatalf("shrunk backlog lost history")
	}
}

func TestReplFakeReplicaDiskSync(t *testing.T) {
	s, addr := startReplServer(t, func(o *Options) { o.ReplDisklessSync = false })
	doCmd(t, addr, "set", "k", "v")
	f := dialFakeReplica(t, addr)
	f.handshake(6390, true)
	id, off, payload := f.fullSync(false)
	if off != 0 {
		t.Fatalf("first FULLRESYNC offset %d, want 0 (no backlog before)", off)
	}
	if !bytes.Contains(payload, []byte("repl-id")) || !bytes.Contains(payload, []byte(id)) {
		t.Fatalf("RDB lacks the repl-id aux field")
	}
	if !bytes.Contains(payload, []byte("k")) {
		t.Fatalf("RDB lacks the key")
	}
	// The stream starts with SELECT, right after the payload.
	doCmd(t, addr, "set", "k2", "v2")
	cmd, n1 := f.command()
	cmd2, n2 := f.command()
	if strings.Join(cmd, " ") != "SELECT 0" || strings.Join(cmd2, " ") != "set k2 v2" {
		t.Fatalf("stream: %q %q", cmd, cmd2)
	}
	if n1 != 23 {
		t.Fatalf("SELECT 0 is %d bytes, want 23", n1)
	}
	info := replInfo(t, addr, "replication")
	if info["slave0"] != fmt.Sprintf("ip=127.0.0.1,port=6390,state=online,offset=0,lag=%s", info["slave0"][strings.LastIndex(info["slave0"], "=")+1:]) {
		t.Fatalf("slave0 line %q", info["slave0"])
	}
	if got := info["master_repl_offset"]; got != strconv.Itoa(n1+n2) {
		t.Fatalf("master_repl_offset %s, want %d", got, n1+n2)
	}
	if info["master_replid"] != id || info["repl_backlog_active"] != "1" || info["repl_backlog_first_byte_offset"] != "1" ||
		info["repl_backlog_histlen"] != strconv.Itoa(n1+n2) {
		t.Fatalf("replication info %v", info)
	}
	// ACK moves offset= and WAIT counts it.
	f.send("REPLCONF", "ACK", strconv.Itoa(n1+n2))
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		l := replInfo(t, addr, "replication")["slave0"]
		return strings.Contains(l, fmt.Sprintf("offset=%d,", n1+n2)), l
	})
	_ = s
}

func TestReplFakeReplicaDisklessSync(t *testing.T) {
	_, addr := startReplServer(t, nil)
	doCmd(t, addr, "set", "k", "v")
	f := dialFakeReplica(t, addr)
	f.handshake(6391, true)
	_, off, _ := f.fullSync(true)
	// Nothing may follow the EOF mark before the first ACK.
	doCmd(t, addr, "set", "k2", "v2")
	f.expectSilence(300 * time.Millisecond)
	if st := replInfo(t, addr, "replication")["slave0"]; !strings.Contains(st, "state=online") {
		t.Fatalf("slave0 %q", st)
	}
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	cmd, _ := f.command()
	cmd2, _ := f.command()
	if strings.Join(cmd, " ") != "SELECT 0" || strings.Join(cmd2, " ") != "set k2 v2" {
		t.Fatalf("stream after ACK: %q %q", cmd, cmd2)
	}

	// A replica without capa eof gets the disk framing even so.
	g := dialFakeReplica(t, addr)
	g.handshake(6392, false)
	g.fullSync(false)
}

func TestReplPartialResync(t *testing.T) {
	s, addr := startReplServer(t, nil)
	f := dialFakeReplica(t, addr)
	f.handshake(6393, true)
	id, _, _ := f.fullSync(true)
	f.send("REPLCONF", "ACK", "0")
	doCmd(t, addr, "set", "a", "1")
	_, n1 := f.command()
	_, n2 := f.command()
	f.c.Close()
	doCmd(t, addr, "set", "b", "2")
	// psync2 replica: +CONTINUE <replid> and the missing bytes.
	g := dialFakeReplica(t, addr)
	g.handshake(6393, true)
	g.send("PSYNC", id, strconv.Itoa(n1+n2+1))
	if l := g.line(false); l != "+CONTINUE "+id {
		t.Fatalf("PSYNC reply %q", l)
	}
	if cmd, _ := g.command(); strings.Join(cmd, " ") != "set b 2" {
		t.Fatalf("backlog tail %q", cmd)
	}
	// Old replica without psync2: bare +CONTINUE. Offset just past the
	// end: nothing to send.
	h := dialFakeReplica(t, addr)
	h.do("REPLCONF", "listening-port", "6394")
	end := replInfo(t, addr, "replication")["master_repl_offset"]
	e, _ := strconv.Atoi(end)
	h.send("PSYNC", id, strconv.Itoa(e+1))
	if l := h.line(false); l != "+CONTINUE" {
		t.Fatalf("PSYNC reply without psync2 %q", l)
	}
	// Offsets out of the backlog, unknown ids: full sync, counted.
	for _, args := range [][]string{{id, strconv.Itoa(e + 2)}, {id, "0"}, {strings.Repeat("a", 40), "1"}} {
		k := dialFakeReplica(t, addr)
		k.handshake(6395, true)
		k.send("PSYNC", args[0], args[1])
		if l := k.line(true); !strings.HasPrefix(l, "+FULLRESYNC ") {
			t.Fatalf("PSYNC %v: %q", args, l)
		}
		k.c.Close()
	}
	st := replInfo(t, addr, "stats")
	if st["sync_partial_ok"] != "2" || st["sync_partial_err"] != "3" || st["sync_full"] != "4" {
		t.Fatalf("stats: ok=%s err=%s full=%s", st["sync_partial_ok"], st["sync_partial_err"], st["sync_full"])
	}

	// PSYNC2 after a promotion: the old id is accepted up to
	// second_repl_offset, not beyond.
	s.mu.Lock()
	s.shiftReplicationID()
	newID := s.repl.replid
	second := s.repl.secondOffset
	s.mu.Unlock()
	info := replInfo(t, addr, "replication")
	if info["master_replid2"] != id || info["second_repl_offset"] != strconv.FormatInt(second, 10) {
		t.Fatalf("after shift: %v", info)
	}
	p := dialFakeReplica(t, addr)
	p.handshake(6396, true)
	p.send("PSYNC", id, strconv.FormatInt(second, 10))
	if l := p.line(false); l != "+CONTINUE "+newID {
		t.Fatalf("PSYNC with replid2: %q", l)
	}
	doCmd(t, addr, "set", "c", "3")
	if cmd, _ := p.command(); strings.Join(cmd, " ") != "SELECT 0" {
		t.Fatalf("after a promotion the stream restarts with SELECT, got %q", cmd)
	}
	q := dialFakeReplica(t, addr)
	q.handshake(6397, true)
	q.send("PSYNC", id, strconv.FormatInt(second+1, 10))
	if l := q.line(true); !strings.HasPrefix(l, "+FULLRESYNC "+newID) {
		t.Fatalf("PSYNC with replid2 past second_repl_offset: %q", l)
	}
}

func TestReplReplconfAndSyncErrors(t *testing.T) {
	_, addr := startReplServer(t, nil)
	c := testutil.Dial(t, addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"REPLCONF", "listening-port"}, "-ERR syntax error\r\n"},
		{[]string{"REPLCONF", "foo", "bar"}, "-ERR Unrecognized REPLCONF option: foo\r\n"},
		{[]string{"REPLCONF", "listening-port", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"REPLCONF", "ip-address", strings.Repeat("i", 256)}, "-ERR REPLCONF ip-address provided by replica instance is too long: 256 bytes\r\n"},
		{[]string{"REPLCONF", "rdb-only", "2"}, "-ERR value is out of range, value must between 0 and 1\r\n"},
		{[]string{"REPLCONF"}, "+OK\r\n"},
		{[]string{"REPLCONF", "capa", "eof", "capa", "whatever"}, "+OK\r\n"},
		{[]string{"PSYNC", "?", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"WAIT", "x", "0"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"WAIT", "0", "x"}, "-ERR timeout is not an integer or out of range\r\n"},
		{[]string{"WAIT", "0", "-1"}, "-ERR timeout is negative\r\n"},
		{[]string{"WAIT", "0", "0"}, ":0\r\n"},
		{[]string{"ROLE"}, "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"},
	} {
		if got := string(c.Do(tc.args...)); got != tc.want {
			t.Errorf("%v = %q, want %q", tc.args, got, tc.want)
		}
	}
	// ACK and GETACK never reply: the PING after them answers first.
	c.Send(append(testutil.EncodeCommand("REPLCONF", "ACK", "10"), testutil.EncodeCommand("REPLCONF", "GETACK", "*")...))
	if got := string(c.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("after ACK/GETACK: %q", got)
	}
}

func TestReplWaitAndGetack(t *testing.T) {
	_, addr := startReplServer(t, nil)
	f := dialFakeReplica(t, addr)
	f.handshake(6400, true)
	_, off, _ := f.fullSync(true)
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))

	c := testutil.Dial(t, addr)
	if got := string(c.Do("WAIT", "1", "0")); got != ":1\r\n" {
		t.Fatalf("WAIT with nothing written = %q, want :1", got)
	}
	c.Do("SET", "x", "1")
	// WAIT blocks, GETACK * is fed; the replica's ACK releases it.
	c.Send(testutil.EncodeCommand("WAIT", "1", "0"))
	var cmds [][]string
	total := 0
	for {
		cmd, n := f.command()
		cmds = append(cmds, cmd)
		total += n
		if strings.Join(cmd, " ") == "REPLCONF GETACK *" {
			if n != 37 {
				t.Fatalf("GETACK is %d bytes, want 37", n)
			}
			break
		}
	}
	if len(cmds) != 3 {
		t.Fatalf("stream before GETACK: %q", cmds)
	}
	c.SetTimeout(5 * time.Second)
	f.send("REPLCONF", "ACK", strconv.FormatInt(off+int64(total)-37, 10))
	r, err := c.ReadReply()
	if err != nil || string(r) != ":1\r\n" {
		t.Fatalf("WAIT 1 0 = %q, %v", r, err)
	}
	// Not enough replicas: the timeout answers with the count reached.
	c.Do("SET", "x", "2")
	start := time.Now()
	if got := string(c.Do("WAIT", "2", "200")); got != ":0\r\n" {
		t.Fatalf("WAIT 2 200 = %q, want :0 (the ACK does not cover the last SET)", got)
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("WAIT returned after %v, before its timeout", d)
	}
	// Inside MULTI it never blocks.
	c.Do("MULTI")
	c.Do("WAIT", "5", "0")
	if got := string(c.Do("EXEC")); got != "*1\r\n:0\r\n" {
		t.Fatalf("WAIT in MULTI: %q", got)
	}
	// blocked_clients counts a client in WAIT.
	d := testutil.Dial(t, addr)
	d.Do("SET", "y", "1")
	d.Send(testutil.EncodeCommand("WAIT", "3", "0"))
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		v := replInfo(t, addr, "clients")["blocked_clients"]
		return v == "1", "blocked_clients " + v
	})
	d.Close()
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		v := replInfo(t, addr, "clients")["blocked_clients"]
		return v == "0", "blocked_clients after close " + v
	})
}

func TestReplMinReplicasToWrite(t *testing.T) {
	_, addr := startReplServer(t, func(o *Options) { o.MinReplicasToWrite = 1; o.MinReplicasMaxLag = 2 * time.Second })
	c := testutil.Dial(t, addr)
	if got := string(c.Do("SET", "a", "1")); got != "-NOREPLICAS Not enough good replicas to write.\r\n" {
		t.Fatalf("SET without replicas: %q", got)
	}
	if got := string(c.Do("GET", "a")); got != "$-1\r\n" {
		t.Fatalf("reads still work: %q", got)
	}
	if v := replInfo(t, addr, "replication")["min_slaves_good_slaves"]; v != "0" {
		t.Fatalf("min_slaves_good_slaves %q", v)
	}
	f := dialFakeReplica(t, addr)
	f.handshake(6401, true)
	_, off, _ := f.fullSync(true)
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := string(c.Do("SET", "a", "1"))
		return got == "+OK\r\n", got
	})
	if v := replInfo(t, addr, "replication")["min_slaves_good_slaves"]; v != "1" {
		t.Fatalf("min_slaves_good_slaves %q", v)
	}
	// The replica stops acknowledging: after max-lag writes are refused
	// again, EXEC of a queued write included.
	c.Do("MULTI")
	c.Do("SET", "b", "1")
	testutil.WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		l := replInfo(t, addr, "replication")["min_slaves_good_slaves"]
		return l == "0", "good replicas " + l
	})
	// rejectCommand on EXEC is execCommandAbort in Redis 7.0.
	if got := string(c.Do("EXEC")); got != "-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
}

func TestReplTimersPingTimeoutTTL(t *testing.T) {
	_, addr := startReplServer(t, func(o *Options) {
		o.ReplPingPeriod = time.Second
		o.ReplTimeout = 2 * time.Second
		o.ReplBacklogTTL = time.Second
	})
	f := dialFakeReplica(t, addr)
	f.handshake(6402, true)
	id, off, _ := f.fullSync(true)
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	// PINGs come every second, in the current db (no SELECT).
	cmd, n := f.command()
	if strings.Join(cmd, " ") != "PING" || n != 14 {
		t.Fatalf("expected PING (14 bytes), got %q (%d)", cmd, n)
	}
	// No ACK for repl-timeout: dropped.
	f.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, f.r); err != nil {
		t.Fatalf("expected the master to close a silent replica, got %v", err)
	}
	testutil.WaitFor(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		i := replInfo(t, addr, "replication")
		return i["connected_slaves"] == "0", "connected_slaves " + i["connected_slaves"]
	})
	// No replica for repl-backlog-ttl: backlog freed, new history.
	testutil.WaitFor(t, 5*time.Second, 100*time.Millisecond, func() (bool, string) {
		i := replInfo(t, addr, "replication")
		return i["repl_backlog_active"] == "0" && i["master_replid"] != id, fmt.Sprint(i)
	})
}

func TestReplOutputLimitDropsSlowReplica(t *testing.T) {
	s, addr := startReplServer(t, nil)
	s.mu.Lock()
	s.opts.OutputLimits[classReplica] = OutputLimit{Hard: 1 << 20}
	s.mu.Unlock()
	f := dialFakeReplica(t, addr)
	f.handshake(6403, true)
	_, off, _ := f.fullSync(true)
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	// The replica stops reading; 200 MB of writes overflow 1 MB of
	// output buffer (beyond what the kernel socket buffers take).
	c := replClient(addr)
	defer c.Close()
	big := strings.Repeat("x", 1<<20)
	testutil.WaitFor(t, 30*time.Second, 0, func() (bool, string) {
		c.Set(context.Background(), "big", big, 0)
		i := replInfo(t, addr, "replication")
		return i["connected_slaves"] == "0", "connected_slaves " + i["connected_slaves"]
	})
}

func TestReplSharedDisklessSnapshot(t *testing.T) {
	s, addr := startReplServer(t, func(o *Options) { o.ReplDisklessSyncDelay = 2 * time.Second })
	populateAllTypes(t, addr)
	a := dialFakeReplica(t, addr)
	b := dialFakeReplica(t, addr)
	a.handshake(6404, true)
	b.handshake(6405, true)
	a.send("PSYNC", "?", "-1")
	b.send("PSYNC", "?", "-1")
	// Both wait the delay, getting a newline keepalive every second, and
	// share the snapshot.
	if st := replInfo(t, addr, "replication")["slave1"]; !strings.Contains(st, "state=wait_bgsave") {
		t.Fatalf("slave1 while waiting: %q", st)
	}
	la := a.line(false)
	keepalives := 0
	for la == "" {
		keepalives++
		la = a.line(false)
	}
	if keepalives == 0 {
		t.Fatalf("no keepalive newline during a 2 s diskless delay")
	}
	lb := b.line(true)
	if la != lb || !strings.HasPrefix(la, "+FULLRESYNC ") {
		t.Fatalf("FULLRESYNC lines %q / %q", la, lb)
	}
	pa, _ := a.rdb()
	pb, _ := b.rdb()
	if !bytes.Equal(pa, pb) {
		t.Fatalf("the two replicas got different RDBs")
	}
	s.mu.Lock()
	n := s.repl.snapshots
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d snapshots for two replicas, want 1", n)
	}
}

func TestReplRDBCarriesReplicationInfo(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	s, addr := startReplServer(t, func(o *Options) { o.Dir = dir; o.Port = port })
	f := dialFakeReplica(t, addr)
	f.handshake(6406, true)
	id, off, _ := f.fullSync(true)
	f.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	c := testutil.Dial(t, addr)
	c.Do("SELECT", "2")
	c.Do("SET", "k", "v")
	if got := string(c.Do("SAVE")); got != "+OK\r\n" {
		t.Fatalf("SAVE: %q", got)
	}
	offset := replInfo(t, addr, "replication")["master_repl_offset"]
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"repl-id", id, "repl-offset", "repl-stream-db"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Fatalf("dump.rdb lacks %q", want)
		}
	}
	// A restarted master takes that history as replid2, so its replicas
	// can continue (Redis 7.0).
	s.Shutdown()
	<-s.Done()
	_, addr2 := startReplServer(t, func(o *Options) { o.Dir = dir; o.Port = freePort(t) })
	i := replInfo(t, addr2, "replication")
	o, _ := strconv.ParseInt(offset, 10, 64)
	if i["master_replid2"] != id || i["second_repl_offset"] != strconv.FormatInt(o+1, 10) ||
		i["master_repl_offset"] != offset || i["repl_backlog_active"] != "1" {
		t.Fatalf("after restart: %v", i)
	}
	g := dialFakeReplica(t, addr2)
	g.handshake(6406, true)
	g.send("PSYNC", id, strconv.FormatInt(o+1, 10))
	if l := g.line(false); !strings.HasPrefix(l, "+CONTINUE ") {
		t.Fatalf("PSYNC after master restart: %q", l)
	}
}

// A replica asking while a disk snapshot for another one is being written
// shares it (Redis's "Waiting for end of BGSAVE for SYNC").
func TestReplAttachToRunningDiskSync(t *testing.T) {
	s, addr := startReplServer(t, func(o *Options) { o.ReplDisklessSync = false })
	c := replClient(addr)
	for i := 0; i < 20000; i += 500 {
		kv := make([]any, 0, 1000)
		for k := i; k < i+500; k++ {
			kv = append(kv, fmt.Sprintf("key:%d", k), "v")
		}
		if err := c.MSet(context.Background(), kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	slow := func() { time.Sleep(20 * time.Millisecond) }
	snapshotChunkHook.Store(&slow)
	defer snapshotChunkHook.Store(nil)
	a := dialFakeReplica(t, addr)
	a.handshake(6410, true)
	a.send("PSYNC", "?", "-1")
	la := a.line(true)
	doCmd(t, addr, "set", "during", "1") // buffered for both
	b := dialFakeReplica(t, addr)
	b.handshake(6411, true)
	b.send("PSYNC", "?", "-1")
	lb := b.line(true)
	if la != lb || !strings.HasPrefix(la, "+FULLRESYNC ") {
		t.Fatalf("FULLRESYNC lines %q / %q", la, lb)
	}
	snapshotChunkHook.Store(nil)
	pa, _ := a.rdb()
	pb, _ := b.rdb()
	if !bytes.Equal(pa, pb) {
		t.Fatalf("different RDBs")
	}
	for _, f := range []*fakeReplica{a, b} {
		cmd, _ := f.command()
		cmd2, _ := f.command()
		if strings.Join(cmd, " ") != "SELECT 0" || strings.Join(cmd2, " ") != "set during 1" {
			t.Fatalf("buffered stream %q %q", cmd, cmd2)
		}
	}
	s.mu.Lock()
	n := s.repl.snapshots
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d snapshots, want 1", n)
	}
	st := replInfo(t, addr, "stats")
	if rb, _ := strconv.Atoi(st["total_net_repl_output_bytes"]); rb < 2*len(pa) {
		t.Fatalf("total_net_repl_output_bytes %d, sent at least %d", rb, 2*len(pa))
	}
}

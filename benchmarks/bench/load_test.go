package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/resp"
)

// fakeServer is an in-test RESP server that counts what it receives and
// how the client pipelines.
type fakeServer struct {
	t        *testing.T
	l        net.Listener
	password string
	delay    time.Duration // before answering each read's commands
	failOn   string        // a command answered with an error

	mu     sync.Mutex
	counts map[string]int
	// maxBatch is the most commands framed from one read. The server
	// answers each read's commands before it reads again, so it is also
	// the most a client had unanswered.
	maxBatch int
	conns    int
	wg       sync.WaitGroup
}

// newFakeServer starts a server; configure, if given, sets its options
// before it accepts anything.
func newFakeServer(t *testing.T, configure ...func(*fakeServer)) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, l: l, counts: map[string]int{}}
	for _, f := range configure {
		f(s)
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) addr() string { return s.l.Addr().String() }

func (s *fakeServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *fakeServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	go func() {
		// Unblock the read when the test ends.
		<-s.t.Context().Done()
		c.Close()
	}()
	authed := s.password == ""
	var in, out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		in = append(in, buf[:n]...)
		out = out[:0]
		batch := 0
		for {
			args, used, err := resp.ReadCommand(in, resp.Limits{}, nil)
			if err != nil {
				s.t.Errorf("fake server: %v", err)
				return
			}
			if used == 0 {
				break
			}
			in = in[used:]
			if args == nil {
				continue
			}
			batch++
			name := strings.ToUpper(string(args[0]))
			if name == "AUTH" {
				if string(args[len(args)-1]) == s.password {
					authed = true
					out = resp.AppendSimple(out, "OK")
				} else {
					out = resp.AppendError(out, "WRONGPASS invalid username-password pair or user is disabled.")
				}
				continue
			}
			s.mu.Lock()
			s.counts[name]++
			s.mu.Unlock()
			switch {
			case !authed:
				out = resp.AppendError(out, "NOAUTH Authentication required.")
			case strings.EqualFold(name, s.failOn):
				out = resp.AppendError(out, "ERR injected")
			case name == "GET":
				if bytes.HasSuffix(args[1], []byte("1")) {
					out = resp.AppendNull(out, 2)
				} else {
					out = resp.AppendBulkString(out, "xxx")
				}
			case name == "PING":
				out = resp.AppendSimple(out, "PONG")
			case name == "INCR", name == "LPUSH", name == "DEL", name == "HSET":
				out = resp.AppendInt(out, 1)
			default:
				out = resp.AppendSimple(out, "OK")
			}
		}
		s.mu.Lock()
		s.maxBatch = max(s.maxBatch, batch)
		s.mu.Unlock()
		if s.delay > 0 {
			time.Sleep(s.delay)
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func (s *fakeServer) snapshot() (counts map[string]int, maxBatch, conns int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts = map[string]int{}
	for k, v := range s.counts {
		counts[k] = v
	}
	return counts, s.maxBatch, s.conns
}

func TestRunExactRequestCount(t *testing.T) {
	s := newFakeServer(t)
	// 7 clients and a pipeline of 16 do not divide 1000: the last batches
	// are short, and the total is still exact.
	res, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 7, Pipeline: 16, Requests: 1000,
		Mix: []MixEntry{{"set", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	counts, maxBatch, conns := s.snapshot()
	if counts["SET"] != 1000 || res.Requests != 1000 || res.Commands[0].Requests != 1000 {
		t.Fatalf("server saw %d SETs, result says %d (%d): want 1000", counts["SET"], res.Requests, res.Commands[0].Requests)
	}
	if conns != 7 {
		t.Errorf("%d connections, want 7", conns)
	}
	if maxBatch != 16 {
		t.Errorf("largest batch the server read was %d commands, want 16 (one write per batch of 16, never more unanswered)", maxBatch)
	}
	if res.Errors != 0 || res.Throughput <= 0 || res.Seconds <= 0 {
		t.Errorf("errors %d, throughput %v, seconds %v", res.Errors, res.Throughput, res.Seconds)
	}
	if h := res.Histogram(); h.TotalCount() != 1000 {
		t.Errorf("histogram holds %d latencies, want 1000", h.TotalCount())
	}
}

func TestRunNoPipelining(t *testing.T) {
	s := newFakeServer(t)
	if _, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 3, Pipeline: 1, Requests: 300}); err != nil {
		t.Fatal(err)
	}
	counts, maxBatch, _ := s.snapshot()
	if maxBatch != 1 {
		t.Errorf("without pipelining the server read %d commands at once", maxBatch)
	}
	if counts["SET"]+counts["GET"] != 300 {
		t.Errorf("counts %v, want 300 in all", counts)
	}
}

func TestRunMixRatios(t *testing.T) {
	s := newFakeServer(t)
	mix, err := ParseMix("set:1,get:3,incr:2,ping")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 5, Pipeline: 4, Requests: 7000, Mix: mix})
	if err != nil {
		t.Fatal(err)
	}
	counts, _, _ := s.snapshot()
	// 7000 requests are 1000 cycles of 7 slots: the mix is exact.
	want := map[string]int{"SET": 1000, "GET": 3000, "INCR": 2000, "PING": 1000}
	for name, n := range want {
		if counts[name] != n {
			t.Errorf("%s: server saw %d, want %d (all: %v)", name, counts[name], n, counts)
		}
	}
	if len(res.Commands) != 4 {
		t.Fatalf("%d command rows, want 4", len(res.Commands))
	}
	for _, c := range res.Commands {
		if int(c.Requests) != want[c.Command] {
			t.Errorf("result row %s: %d requests, want %d", c.Command, c.Requests, want[c.Command])
		}
	}
	// Keys ending in 1 are misses in the fake server: about a tenth.
	get := res.Commands[1]
	if get.Misses < 150 || get.Misses > 450 {
		t.Errorf("GET misses %d of 3000, expected about 300", get.Misses)
	}
}

func TestSchedule(t *testing.T) {
	cycle := schedule([]MixEntry{{"set", 1}, {"get", 3}})
	if len(cycle) != 4 {
		t.Fatalf("cycle %v", cycle)
	}
	n := [2]int{}
	for _, k := range cycle {
		n[k]++
	}
	if n != [2]int{1, 3} {
		t.Errorf("cycle %v has %v", cycle, n)
	}
	// Smooth: the single SET is not at either end of GETs in a row of 3.
	if cycle[0] == 0 && cycle[1] == 1 && cycle[2] == 1 && cycle[3] == 1 {
		t.Errorf("cycle %v is not interleaved", cycle)
	}
}

func TestRunRecordsLatency(t *testing.T) {
	s := newFakeServer(t, func(s *fakeServer) { s.delay = 5 * time.Millisecond })
	res, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 2, Pipeline: 4, Requests: 80, Mix: []MixEntry{{"get", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Latency
	if l.P50 < 5 || l.P99 < l.P50 || l.P999 < l.P99 || l.Max < l.P999 {
		t.Errorf("latency %+v: want p50 >= 5 ms (the server's delay) and ordered percentiles", l)
	}
	if l.Max > 5000 {
		t.Errorf("max latency %v ms", l.Max)
	}
	// Two clients, each waiting 5 ms per batch of 4: at most 1600/s.
	if res.Throughput > 1700 {
		t.Errorf("throughput %.0f/s is impossible with a 5 ms server", res.Throughput)
	}
}

func TestRunDuration(t *testing.T) {
	s := newFakeServer(t)
	start := time.Now()
	res, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("a 300 ms run took %v", took)
	}
	counts, _, _ := s.snapshot()
	if res.Requests == 0 || int(res.Requests) != counts["SET"]+counts["GET"] {
		t.Errorf("result %d requests, server %v", res.Requests, counts)
	}
}

func TestRunCancel(t *testing.T) {
	s := newFakeServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Options{Addr: s.addr(), Clients: 2, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Seconds > 5 || res.Requests == 0 {
		t.Errorf("cancelled run: %v s, %d requests", res.Seconds, res.Requests)
	}
}

// TestRunCancelSilentServer: a cancelled run does not wait for the
// per-batch timeout when the server never answers.
func TestRunCancelSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Options{Addr: l.Addr().String(), Clients: 3, Requests: 100, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second || res.Requests != 0 {
		t.Errorf("cancelled run against a silent server took %v with %d replies", took, res.Requests)
	}
}

func TestRunAuthAndErrors(t *testing.T) {
	s := newFakeServer(t, func(s *fakeServer) {
		s.password = "sekret"
		s.failOn = "DEL"
	})
	res, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 2, Requests: 100, Password: "sekret",
		Mix: []MixEntry{{"set", 1}, {"del", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 50 || res.Commands[1].Errors != 50 || res.Commands[0].Errors != 0 {
		t.Errorf("errors %d (SET %d, DEL %d), want 50 on DEL", res.Errors, res.Commands[0].Errors, res.Commands[1].Errors)
	}
	if res.FirstError != "ERR injected" {
		t.Errorf("first error %q", res.FirstError)
	}
	_, err = Run(t.Context(), Options{Addr: s.addr(), Clients: 2, Requests: 10, Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestRunConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := Run(t.Context(), Options{Addr: addr, Clients: 1, Requests: 1, Timeout: time.Second}); err == nil {
		t.Error("no error for a closed port")
	}
}

func TestRunServerGoesAway(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			buf := make([]byte, 1024)
			_, _ = c.Read(buf)
			c.Close() // no reply
		}
	}()
	_, err = Run(t.Context(), Options{Addr: l.Addr().String(), Clients: 1, Requests: 10, Timeout: 2 * time.Second})
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("server closing mid-request: %v", err)
	}
}

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		bad  bool
	}{
		{in: "set:1,get:1", want: "set:1,get:1"},
		{in: "SET:2, get", want: "set:2,get:1"},
		{in: "ping", want: "ping:1"},
		{in: "set:0", bad: true},
		{in: "set:x", bad: true},
		{in: "flushall:1", bad: true},
		{in: "set,set", bad: true},
		{in: "", bad: true},
		{in: " , ", bad: true},
	} {
		mix, err := ParseMix(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseMix(%q) = %v, want an error", tc.in, mix)
			}
			continue
		}
		if err != nil || FormatMix(mix) != tc.want {
			t.Errorf("ParseMix(%q) = %q, %v; want %q", tc.in, FormatMix(mix), err, tc.want)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Requests: 10, Duration: time.Second},
		{Clients: -1},
		{Pipeline: -2},
		{Mix: []MixEntry{{"nope", 1}}},
		{Mix: []MixEntry{{"set", 0}}},
	} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("Run(%+v) accepted bad options", o)
		}
	}
}

func TestAppendKey(t *testing.T) {
	if got := string(appendKey(nil, "key:", 12345)); got != "key:000000012345" {
		t.Errorf("appendKey = %q", got)
	}
}

func sampleResult(t *testing.T) *Result {
	t.Helper()
	s := newFakeServer(t)
	res, err := Run(t.Context(), Options{Addr: s.addr(), Clients: 3, Pipeline: 2, Requests: 600,
		Mix: []MixEntry{{"set", 1}, {"get", 2}}, Keyspace: 10, ValueSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestResultMarkdown(t *testing.T) {
	res := sampleResult(t)
	var b strings.Builder
	if err := res.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Description, blank, header, separator, SET, GET, all.
	if len(lines) != 7 {
		t.Fatalf("markdown has %d lines:\n%s", len(lines), out)
	}
	if lines[2] != "| command | requests | errors | misses | req/s | p50 ms | p99 ms | p99.9 ms | max ms |" ||
		lines[3] != "|---|---:|---:|---:|---:|---:|---:|---:|---:|" {
		t.Errorf("table header:\n%s\n%s", lines[2], lines[3])
	}
	for i, prefix := range []string{"| SET | 200 | 0 | - | ", "| GET | 400 | 0 | ", "| all | 600 | 0 | - | "} {
		if !strings.HasPrefix(lines[4+i], prefix) {
			t.Errorf("row %d %q, want prefix %q", i, lines[4+i], prefix)
		}
		if n := strings.Count(lines[4+i], "|"); n != 10 {
			t.Errorf("row %q has %d cells", lines[4+i], n-1)
		}
	}
	if !strings.Contains(lines[0], "3 clients, pipeline 2, mix set:1,get:2, keyspace 10, value 8 B") ||
		!strings.Contains(lines[0], "600 requests in") {
		t.Errorf("description %q", lines[0])
	}
}

func TestResultText(t *testing.T) {
	res := sampleResult(t)
	var b strings.Builder
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// Description, summary, blank, header, SET, GET, all.
	if len(lines) != 7 || !strings.Contains(lines[3], "p99.9 ms") || !strings.HasPrefix(strings.TrimSpace(lines[6]), "all") {
		t.Fatalf("text output:\n%s", b.String())
	}
	// Right-aligned columns: every table line has the same length.
	for _, l := range lines[3:] {
		if len(l) != len(lines[3]) {
			t.Errorf("misaligned table:\n%s", strings.Join(lines[3:], "\n"))
			break
		}
	}
}

func TestResultJSON(t *testing.T) {
	res := sampleResult(t)
	var b bytes.Buffer
	if err := res.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	for _, k := range []string{"addr", "clients", "pipeline", "mix", "requests", "errors", "seconds", "throughput", "latency_ms", "commands"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, b.String())
		}
	}
	var back Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Requests != 600 || len(back.Commands) != 2 || back.Commands[1].Command != "GET" ||
		back.Latency.P99 != res.Latency.P99 || back.Mix != "set:1,get:2" {
		t.Errorf("JSON round trip: %+v", back)
	}
	lat := got["latency_ms"].(map[string]any)
	for _, k := range []string{"p50", "p99", "p99_9", "max", "mean"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency_ms lacks %q", k)
		}
	}
}

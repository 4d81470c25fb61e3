package proxy

import (
	"strings"
	"testing"
	"time"
)

func TestReplyScanner(t *testing.T) {
	cases := []struct {
		name string
		in   string
		top  byte
		kind errKind
	}{
		{"simple", "+OK\r\n", '+', errOther},
		{"error", "-ERR bad\r\n", '-', errOther},
		{"readonly", "-READONLY You can't write against a read only replica.\r\n", '-', errReadonly},
		{"masterdown", "-MASTERDOWN Link with MASTER is down\r\n", '-', errMasterDown},
		{"loading", "-LOADING Redis is loading the dataset in memory\r\n", '-', errLoading},
		{"int", ":42\r\n", ':', errOther},
		{"bulk", "$5\r\nhello\r\n", '$', errOther},
		{"bulk with CRLF inside", "$4\r\n\r\n\r\n\r\n", '$', errOther},
		{"null bulk", "$-1\r\n", '$', errOther},
		{"empty bulk", "$0\r\n\r\n", '$', errOther},
		{"array", "*2\r\n$1\r\na\r\n:1\r\n", '*', errOther},
		{"null array", "*-1\r\n", '*', errOther},
		{"empty array", "*0\r\n", '*', errOther},
		{"nested", "*2\r\n*2\r\n+a\r\n+b\r\n*1\r\n$1\r\nc\r\n", '*', errOther},
		{"exec with errors", "*2\r\n+OK\r\n-ERR x\r\n", '*', errOther},
		{"resp3 map", "%2\r\n+a\r\n:1\r\n+b\r\n#t\r\n", '%', errOther},
		{"resp3 set", "~2\r\n,1.5\r\n(123\r\n", '~', errOther},
		{"resp3 null", "_\r\n", '_', errOther},
		{"resp3 push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n", '>', errOther},
		{"resp3 verbatim", "=8\r\ntxt:abcd\r\n", '=', errOther},
		{"resp3 blob error", "!5\r\nERR x\r\n", '!', errOther},
		{"attribute then value", "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", '$', errOther},
		{"streamed string", "$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n", '$', errOther},
		{"streamed array", "*?\r\n:1\r\n:2\r\n.\r\n", '*', errOther},
		{"streamed in array", "*2\r\n*?\r\n:1\r\n.\r\n:2\r\n", '*', errOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Whole, followed by another reply.
			var s replyScanner
			in := tc.in + "+NEXT\r\n"
			n, done, err := s.scan([]byte(in))
			if err != nil || !done || n != len(tc.in) {
				t.Fatalf("scan = %d %v %v, want %d true nil", n, done, err, len(tc.in))
			}
			if s.top != tc.top || s.kind != tc.kind {
				t.Fatalf("top %q kind %d, want %q %d", s.top, s.kind, tc.top, tc.kind)
			}
			n, done, err = s.scan([]byte(in[len(tc.in):]))
			if err != nil || !done || n != 7 || s.top != '+' {
				t.Fatalf("second reply: %d %v %v top %q", n, done, err, s.top)
			}
			// Split at every position: the scanner consumes what it can,
			// the caller keeps the rest, as the data path does.
			for cut := 1; cut < len(tc.in); cut++ {
				var s replyScanner
				buf := []byte(tc.in[:cut])
				rest := tc.in[cut:]
				consumed := 0
				n, done, err := s.scan(buf)
				if err != nil || done {
					t.Fatalf("cut %d: first part %d %v %v", cut, n, done, err)
				}
				consumed += n
				buf = append(buf[n:], rest...)
				n, done, err = s.scan(buf)
				if err != nil || !done || consumed+n != len(tc.in) {
					t.Fatalf("cut %d: second part %d %v %v (consumed %d)", cut, n, done, err, consumed)
				}
				if s.top != tc.top {
					t.Fatalf("cut %d: top %q", cut, s.top)
				}
			}
			// One byte at a time.
			var s1 replyScanner
			var pending []byte
			total := 0
			for i := 0; i < len(tc.in); i++ {
				pending = append(pending, tc.in[i])
				n, done, err := s1.scan(pending)
				if err != nil {
					t.Fatalf("byte %d: %v", i, err)
				}
				total += n
				pending = pending[n:]
				if done != (i == len(tc.in)-1) {
					t.Fatalf("byte %d: done=%v", i, done)
				}
			}
			if total != len(tc.in) {
				t.Fatalf("byte by byte consumed %d of %d", total, len(tc.in))
			}
		})
	}
}

func TestReplyScannerErrors(t *testing.T) {
	for _, in := range []string{
		"?x\r\n",
		"+OK\n",
		"$3\r\nabcde\r\n",
		"$x\r\n",
		"*-2\r\n",
		"\r\n",
		".\r\n",
		"*1\r\n;3\r\n",
		strings.Repeat("*1\r\n", maxReplyDepth+1) + ":1\r\n",
	} {
		var s replyScanner
		if _, _, err := s.scan([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	var s replyScanner
	if _, _, err := s.scan([]byte("+" + strings.Repeat("a", maxReplyLine+10))); err == nil {
		t.Error("overlong line accepted")
	}
}

func TestReplyScannerLargeBulkStreams(t *testing.T) {
	// A 1 MB bulk in 4 KB reads: every read is consumed as it comes.
	payload := strings.Repeat("x", 1<<20)
	in := "$" + "1048576" + "\r\n" + payload + "\r\n"
	var s replyScanner
	consumed := 0
	var pending []byte
	for i := 0; i < len(in); i += 4096 {
		end := min(i+4096, len(in))
		pending = append(pending, in[i:end]...)
		n, done, err := s.scan(pending)
		if err != nil {
			t.Fatal(err)
		}
		consumed += n
		pending = pending[n:]
		if len(pending) > 16 {
			t.Fatalf("scanner kept %d bytes buffered", len(pending))
		}
		if done && end != len(in) {
			t.Fatal("done early")
		}
	}
	if consumed != len(in) {
		t.Fatalf("consumed %d of %d", consumed, len(in))
	}
}

func TestSlotQueue(t *testing.T) {
	var q slotQueue
	slots := make([]*slot, 100)
	for i := range slots {
		slots[i] = &slot{reqLen: i}
	}
	next := 0
	for round := 0; round < 5; round++ {
		for i := 0; i < 20; i++ {
			q.push(slots[(round*20+i)%100])
		}
		for i := 0; i < 15; i++ {
			s := q.pop()
			if s.reqLen != next%100 {
				t.Fatalf("pop %d: got %d", next, s.reqLen)
			}
			next++
		}
	}
	if q.len() != 25 || q.front().reqLen != next%100 || q.at(1).reqLen != (next+1)%100 {
		t.Fatalf("len %d front %d", q.len(), q.front().reqLen)
	}
	last := q.popBack()
	if last.reqLen != 99 || q.len() != 24 {
		t.Fatalf("popBack %d len %d", last.reqLen, q.len())
	}
}

func TestFailoverTracker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	topo := func(state MasterState, master string) *Topology {
		return &Topology{Group: "g", State: state, Master: master}
	}
	var f failoverTracker
	// Start-up: Unknown → Confirmed A is not a failover.
	d, s := f.topology("g", nil, topo(MasterUnknown, ""), at(0))
	if d || s {
		t.Fatal("start-up counted")
	}
	d, s = f.topology("g", topo(MasterUnknown, ""), topo(MasterConfirmed, "a"), at(1))
	if d || s || f.open != nil {
		t.Fatal("first confirmation counted as a failover")
	}
	// A → Changing → B.
	d, s = f.topology("g", topo(MasterConfirmed, "a"), topo(MasterChanging, "a"), at(100))
	if !d || s {
		t.Fatalf("changing: detected %v switched %v", d, s)
	}
	if !f.held(3) || f.held(2) {
		t.Fatal("held: first reported wrong")
	}
	d, s = f.topology("g", topo(MasterChanging, "a"), topo(MasterConfirmed, "b"), at(900))
	if d || !s {
		t.Fatalf("confirmed b: detected %v switched %v", d, s)
	}
	r := f.resumed(at(950))
	if r == nil || r.From != "a" || r.To != "b" || r.Held != 5 || r.Detected != at(100) ||
		r.Switched != at(900) || r.Resumed != at(950) {
		t.Fatalf("record %+v", r)
	}
	if f.resumed(at(960)) != nil {
		t.Fatal("resumed twice")
	}
	// Direct switch B → C, opened by the data path first.
	if !f.suspect("g", "b", at(2000)) || f.suspect("g", "b", at(2001)) {
		t.Fatal("suspect")
	}
	d, s = f.topology("g", topo(MasterConfirmed, "b"), topo(MasterConfirmed, "c"), at(2500))
	if d || !s {
		t.Fatalf("b→c: detected %v switched %v", d, s)
	}
	recs := f.records()
	if len(recs) != 2 || recs[1].From != "b" || recs[1].To != "c" || recs[1].Detected != at(2000) {
		t.Fatalf("records %+v", recs)
	}
	for i := 0; i < failoverHistory+5; i++ {
		f.suspect("g", "x", at(3000+i))
		f.topology("g", topo(MasterConfirmed, "x"), topo(MasterConfirmed, "y"), at(3000+i))
		f.resumed(at(3000 + i))
	}
	if n := len(f.records()); n > failoverHistory+1 {
		t.Fatalf("history not bounded: %d", n)
	}
}

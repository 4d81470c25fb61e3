package resp

import (
	"bytes"
	"strings"
	"testing"
)

func argsEqual(a [][]byte, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != b[i] {
			return false
		}
	}
	return true
}

func TestReadCommand(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		args    []string
		n       int
		errText string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}, 20, ""},
		{"multibulk with tail", "*1\r\n$4\r\nPING\r\n*1\r\n", []string{"PING"}, 14, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO", ""}, 20, ""},
		{"binary bulk", "*1\r\n$3\r\na\r\n\r\n", []string{"a\r\n"}, 13, ""},
		{"zero count", "*0\r\n", nil, 4, ""},
		{"negative count", "*-1\r\n", nil, 5, ""},
		{"incomplete header", "*2\r", nil, 0, ""},
		{"incomplete bulk", "*1\r\n$5\r\nhel", nil, 0, ""},
		{"incomplete crlf", "*1\r\n$5\r\nhello\r", nil, 0, ""},
		{"inline", "SET k v\r\n", []string{"SET", "k", "v"}, 9, ""},
		{"inline lf only", "PING\n", []string{"PING"}, 5, ""},
		{"inline quoted", "SET k \"a b\\n\"\r\n", []string{"SET", "k", "a b\n"}, 15, ""},
		{"inline single quoted", "SET k 'it\\'s'\n", []string{"SET", "k", "it's"}, 14, ""},
		{"inline hex", "ECHO \"\\x41\\x42\"\n", []string{"ECHO", "AB"}, 16, ""},
		{"inline empty line", "\r\n", nil, 2, ""},
		{"inline unbalanced", "SET \"k\n", nil, 0, "Protocol error: unbalanced quotes in request"},
		{"inline closing quote glued", "SET \"k\"v\n", nil, 0, "Protocol error: unbalanced quotes in request"},
		{"bad count", "*x\r\n", nil, 0, "Protocol error: invalid multibulk length"},
		{"bad bulk prefix", "*1\r\n+OK\r\n", nil, 0, "Protocol error: expected '$', got '+'"},
		{"negative bulk", "*1\r\n$-1\r\n", nil, 0, "Protocol error: invalid bulk length"},
		{"huge bulk", "*1\r\n$999999999999\r\n", nil, 0, "Protocol error: invalid bulk length"},
		{"bulk not a number", "*1\r\n$abc\r\n", nil, 0, "Protocol error: invalid bulk length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, n, err := ReadCommand([]byte(tt.in), Limits{}, nil)
			if tt.errText != "" {
				if err == nil || err.Error() != tt.errText || !IsProtocolError(err) {
					t.Fatalf("err = %v, want %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if n != tt.n || !argsEqual(args, tt.args) {
				t.Fatalf("got args=%q n=%d, want %q n=%d", args, n, tt.args, tt.n)
			}
		})
	}
}

// TestReadCommandEmptyLineReusedBuffer checks that an empty inline line
// yields nil args even when the caller passes a reused args buffer.
func TestReadCommandEmptyLineReusedBuffer(t *testing.T) {
	buf := make([][]byte, 0, 4)
	args, n, err := ReadCommand([]byte("\r\n"), Limits{}, buf)
	if err != nil || n != 2 || args != nil {
		t.Fatalf("got args=%v n=%d err=%v, want nil args, n=2", args, n, err)
	}
}

func TestReadCommandLimits(t *testing.T) {
	_, _, err := ReadCommand([]byte("*11\r\n"), Limits{Unauthenticated: true}, nil)
	if err == nil || err.Error() != "Protocol error: unauthenticated multibulk length" {
		t.Fatalf("unauth count: %v", err)
	}
	_, _, err = ReadCommand([]byte("*1\r\n$16385\r\n"), Limits{Unauthenticated: true}, nil)
	if err == nil || err.Error() != "Protocol error: unauthenticated bulk length" {
		t.Fatalf("unauth bulk: %v", err)
	}
	_, _, err = ReadCommand([]byte("*1\r\n$11\r\n"), Limits{MaxBulk: 10}, nil)
	if err == nil || err.Error() != "Protocol error: invalid bulk length" {
		t.Fatalf("max bulk: %v", err)
	}
	big := strings.Repeat("a", 70<<10)
	_, _, err = ReadCommand([]byte(big), Limits{}, nil)
	if err == nil || err.Error() != "Protocol error: too big inline request" {
		t.Fatalf("inline flood: %v", err)
	}
	_, _, err = ReadCommand([]byte("*1"+big), Limits{}, nil)
	if err == nil || err.Error() != "Protocol error: too big mbulk count string" {
		t.Fatalf("mbulk flood: %v", err)
	}
	_, _, err = ReadCommand([]byte("*1\r\n$1"+strings.Repeat("1", 70<<10)), Limits{}, nil)
	if err == nil || err.Error() != "Protocol error: too big bulk count string" {
		t.Fatalf("bulk count flood: %v", err)
	}
}

func TestReadCommandNeed(t *testing.T) {
	frame := "*2\r\n$3\r\nSET\r\n$100000\r\n" + strings.Repeat("x", 100000) + "\r\n"
	_, n, need, err := ReadCommandNeed([]byte(frame[:500]), Limits{}, nil)
	if err != nil || n != 0 || need != len(frame) {
		t.Fatalf("need = %d (n=%d err=%v), want %d", need, n, err, len(frame))
	}
}

// TestReadCommandByteAtATime feeds a pipeline one byte at a time, as a slow
// network would, and checks the same commands come out.
func TestReadCommandByteAtATime(t *testing.T) {
	stream := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nGET \"a b\"\n"
	want := [][]string{{"SET", "k", "hello"}, {"PING"}, {"ECHO", ""}, {"GET", "a b"}}
	var buf []byte
	var got [][]string
	for i := 0; i < len(stream); i++ {
		buf = append(buf, stream[i])
		for {
			args, n, err := ReadCommand(buf, Limits{}, nil)
			if err != nil {
				t.Fatalf("at byte %d: %v", i, err)
			}
			if n == 0 {
				break
			}
			if args != nil {
				var s []string
				for _, a := range args {
					s = append(s, string(a))
				}
				got = append(got, s)
			}
			buf = buf[n:]
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Fatalf("command %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// FuzzReadCommand checks that no input panics, that consumed counts stay in
// range, and that a framed multibulk command re-encodes to the same bytes.
func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "SET \"a\\x41\" 'b'\n", "*-1\r\n", "*1\r\n$-5\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n", "\"unterminated\n", "*99999999999999999999\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		args, n, err := ReadCommand(in, Limits{MaxBulk: 1 << 20}, nil)
		if err != nil {
			if !IsProtocolError(err) {
				t.Fatalf("non-protocol error %v", err)
			}
			return
		}
		if n < 0 || n > len(in) {
			t.Fatalf("consumed %d of %d", n, len(in))
		}
		if n > 0 && len(in) > 0 && in[0] == '*' && args != nil {
			enc := AppendCommand(nil, args...)
			// Redis ignores the two bytes after each payload, so only
			// compare when the frame used proper CRLFs.
			if bytes.Count(in[:n], []byte("\r\n")) == 1+2*len(args) && !bytes.Equal(enc, in[:n]) {
				re, _, _ := ReadCommand(enc, Limits{MaxBulk: 1 << 20}, nil)
				if len(re) != len(args) {
					t.Fatalf("re-encoding changed the command: %q vs %q", enc, in[:n])
				}
			}
		}
	})
}

func FuzzSplitInline(f *testing.F) {
	for _, s := range []string{"a b c", "\"a\\x4", "'x\\''", "\"\"", "  lead", "\"q\"x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		args, ok := SplitInline(in, nil)
		if !ok {
			return
		}
		total := 0
		for _, a := range args {
			total += len(a)
		}
		if total > len(in) {
			t.Fatalf("split produced more bytes (%d) than it read (%d)", total, len(in))
		}
	})
}

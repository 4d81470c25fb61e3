package testutil

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// validReplies covers every RESP2 and RESP3 type, nulls, nesting,
// attributes in and out of aggregates, streamed types, and a bulk whose
// body contains CRLF (framing must use the length, not look for lines).
var validReplies = []string{
	"+OK\r\n",
	"+\r\n",
	"-ERR unknown command 'FOO'\r\n",
	":0\r\n",
	":-12\r\n",
	"$5\r\nhello\r\n",
	"$0\r\n\r\n",
	"$-1\r\n",
	"$6\r\na\r\nb\r\n\r\n",
	"*-1\r\n",
	"*0\r\n",
	"*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
	"*3\r\n*2\r\n*1\r\n*0\r\n$-1\r\n_\r\n:7\r\n",
	"_\r\n",
	",3.14\r\n",
	",-inf\r\n",
	",nan\r\n",
	"#t\r\n",
	"#f\r\n",
	"!21\r\nSYNTAX invalid syntax\r\n",
	"=15\r\ntxt:Some string\r\n",
	"(3492890328409238509324850943850943825024385\r\n",
	"%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n_\r\n",
	"%0\r\n",
	"~3\r\n+a\r\n:1\r\n#f\r\n",
	">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
	"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2039123\r\n",
	"*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n",
	"$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n",
	"*?\r\n:1\r\n$1\r\nx\r\n.\r\n",
	"%?\r\n+a\r\n:1\r\n.\r\n",
}

var invalidReplies = []string{
	"?what\r\n",
	"+OK\n",
	"\r\n",
	":12a\r\n",
	"$3\r\nabcd\r\n",
	"$-2\r\n",
	"$x\r\n",
	"~-1\r\n",
	"%-1\r\n",
	"*1\r\n+a\n",
	"#x\r\n",
	"_1\r\n",
	",abc\r\n",
	"(12x\r\n",
	"$?\r\n:4\r\n",
}

func TestSplitReplyValid(t *testing.T) {
	for _, r := range validReplies {
		reply, rest, err := SplitReply([]byte(r + "+next\r\n"))
		if err != nil || string(reply) != r || string(rest) != "+next\r\n" {
			t.Errorf("SplitReply(%q) = %q, %q, %v", r, reply, rest, err)
		}
		// Every proper prefix is incomplete: not an error, and never mistaken
		// for a shorter complete reply.
		for i := 0; i < len(r); i++ {
			if got, _, err := SplitReply([]byte(r[:i])); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("SplitReply(%q) = %q, %v; want ErrUnexpectedEOF", r[:i], got, err)
			}
		}
	}
}

func TestSplitReplyInvalid(t *testing.T) {
	for _, r := range invalidReplies {
		if got, _, err := SplitReply([]byte(r)); !errors.Is(err, ErrProtocol) {
			t.Errorf("SplitReply(%q) = %q, %v; want ErrProtocol", r, got, err)
		}
	}
}

func TestSplitReplyDepthLimit(t *testing.T) {
	deep := strings.Repeat("*1\r\n", maxDepth+10) + ":1\r\n"
	if _, _, err := SplitReply([]byte(deep)); !errors.Is(err, ErrProtocol) {
		t.Fatalf("deep nesting: err = %v, want ErrProtocol", err)
	}
}

// TestRawConnSplitReads feeds all replies through a pipe in random small
// chunks (and one byte at a time): framing must not depend on read sizes.
func TestRawConnSplitReads(t *testing.T) {
	stream := []byte(strings.Join(validReplies, ""))
	for _, maxChunk := range []int{1, 2, 3, 7, 64} {
		client, server := net.Pipe()
		c := NewRawConn(t, client)
		rng := rand.New(rand.NewPCG(1, uint64(maxChunk)))
		go func() {
			defer server.Close()
			for b := stream; len(b) > 0; {
				n := min(1+rng.IntN(maxChunk), len(b))
				if _, err := server.Write(b[:n]); err != nil {
					return
				}
				b = b[n:]
			}
		}()
		for i, want := range validReplies {
			got, err := c.ReadReply()
			if err != nil || string(got) != want {
				t.Fatalf("chunk %d, reply %d: got %q, %v; want %q", maxChunk, i, got, err, want)
			}
		}
	}
}

func TestRawConnDo(t *testing.T) {
	client, server := net.Pipe()
	c := NewRawConn(t, client)
	want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, len(want))
		if _, err := io.ReadFull(server, buf); err != nil {
			errc <- err
			return
		}
		if string(buf) != want {
			errc <- errors.New("server got " + string(buf))
			return
		}
		// The reply arrives in two writes; Do must return all of it.
		server.Write([]byte("*2\r\n$1\r\na"))
		server.Write([]byte("\r\n_\r\n"))
		errc <- nil
	}()
	if got := c.Do("SET", "k", ""); string(got) != "*2\r\n$1\r\na\r\n_\r\n" {
		t.Errorf("Do = %q", got)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRawConnTimeout(t *testing.T) {
	client, _ := net.Pipe()
	c := NewRawConn(t, client)
	c.SetTimeout(50 * time.Millisecond)
	start := time.Now()
	if _, err := c.ReadReply(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadReply with no data: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("ReadReply took %v", d)
	}
}

func TestEncodeCommand(t *testing.T) {
	got := EncodeCommand("ECHO", "a\r\nb")
	if want := "*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n"; !bytes.Equal(got, []byte(want)) {
		t.Fatalf("EncodeCommand = %q, want %q", got, want)
	}
}

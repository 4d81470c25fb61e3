package testutil

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// DefaultTimeout bounds each read and write on a RawConn.
const DefaultTimeout = 5 * time.Second

// Framing limits: generous for tests, but a garbage length must not make the
// reader allocate gigabytes or recurse without end.
const (
	maxBulkLen  = 512 << 20
	maxLineLen  = 16 << 20
	maxDepth    = 512
	maxElements = 1 << 31
)

// RawConn is a RESP connection for tests that sends commands and returns
// replies as raw bytes, exactly as the server framed them.
//
// Do and Send fail the test on I/O errors and so must be called from the
// test's goroutine; TryDo and ReadReply return errors and may be used
// anywhere. A RawConn is not safe for concurrent use.
type RawConn struct {
	t       testing.TB
	c       net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

// Dial connects to addr (closed at cleanup) or fails the test.
func Dial(t testing.TB, addr string) *RawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, DefaultTimeout)
	if err != nil {
		t.Fatalf("testutil: dial %s: %v", addr, err)
	}
	return NewRawConn(t, c)
}

// NewRawConn wraps an established connection (for instance one end of
// net.Pipe) and closes it at cleanup.
func NewRawConn(t testing.TB, c net.Conn) *RawConn {
	rc := &RawConn{t: t, c: c, r: bufio.NewReaderSize(c, 64<<10), timeout: DefaultTimeout}
	t.Cleanup(func() { rc.c.Close() })
	return rc
}

// SetTimeout changes the per-operation deadline (DefaultTimeout initially).
func (c *RawConn) SetTimeout(d time.Duration) { c.timeout = d }

// Conn returns the underlying connection.
func (c *RawConn) Conn() net.Conn { return c.c }

// Do sends one command as a RESP multibulk and returns the raw bytes of the
// one reply that follows, failing the test on an I/O or framing error.
func (c *RawConn) Do(args ...string) []byte {
	c.t.Helper()
	reply, err := c.TryDo(args...)
	if err != nil {
		c.t.Fatalf("testutil: %s: %v", FormatCommand(args), err)
	}
	return reply
}

// TryDo is Do returning the error instead of failing the test.
func (c *RawConn) TryDo(args ...string) ([]byte, error) {
	if err := c.write(EncodeCommand(args...)); err != nil {
		return nil, err
	}
	return c.ReadReply()
}

// Send writes raw bytes (a pipeline, an inline command, deliberately broken
// input) without reading anything, failing the test on error.
func (c *RawConn) Send(raw []byte) {
	c.t.Helper()
	if err := c.write(raw); err != nil {
		c.t.Fatalf("testutil: send: %v", err)
	}
}

func (c *RawConn) write(b []byte) error {
	if err := c.c.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := c.c.Write(b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// ReadReply reads exactly one complete reply, nested aggregates included,
// and returns its raw bytes. An attribute (|) is returned together with the
// reply it annotates; a push (>) counts as a reply of its own. The read
// deadline is the connection's timeout.
func (c *RawConn) ReadReply() ([]byte, error) {
	if err := c.c.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return nil, fmt.Errorf("set read deadline: %w", err)
	}
	reply, err := readReply(c.r, nil, 0)
	if err != nil {
		return reply, fmt.Errorf("read reply: %w", err)
	}
	return reply, nil
}

// Close closes the connection.
func (c *RawConn) Close() error { return c.c.Close() }

// EncodeCommand encodes args as a RESP multibulk, the way clients send
// commands.
func EncodeCommand(args ...string) []byte {
	b := make([]byte, 0, 16+len(args)*16)
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// ErrProtocol marks replies that break RESP framing.
var ErrProtocol = errors.New("RESP protocol error")

func protoErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}

// SplitReply frames the first reply in b, returning it and the bytes after
// it. A b that holds only part of a reply gives io.ErrUnexpectedEOF.
func SplitReply(b []byte) (reply, rest []byte, err error) {
	r := bufio.NewReader(bytes.NewReader(b))
	reply, err = readReply(r, nil, 0)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, b, err
	}
	return b[:len(reply):len(reply)], b[len(reply):], nil
}

// readReply appends one reply read from r to dst. It reads through
// bufio.Reader, so replies split over any number of reads frame the same.
func readReply(r *bufio.Reader, dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, protoErrorf("replies nested deeper than %d", maxDepth)
	}
	start := len(dst)
	dst, err := readLine(r, dst)
	if err != nil {
		return dst, err
	}
	line := dst[start : len(dst)-2]
	typ, body := line[0], string(line[1:])
	switch typ {
	case '+', '-':
		return dst, nil
	case ':':
		if _, err := strconv.ParseInt(body, 10, 64); err != nil {
			return dst, protoErrorf("bad integer %q", line)
		}
		return dst, nil
	case '(':
		if !isBigNumber(body) {
			return dst, protoErrorf("bad big number %q", line)
		}
		return dst, nil
	case ',':
		if _, err := strconv.ParseFloat(body, 64); err != nil && body != "inf" && body != "-inf" && body != "nan" {
			return dst, protoErrorf("bad double %q", line)
		}
		return dst, nil
	case '_':
		if body != "" {
			return dst, protoErrorf("bad null %q", line)
		}
		return dst, nil
	case '#':
		if body != "t" && body != "f" {
			return dst, protoErrorf("bad boolean %q", line)
		}
		return dst, nil
	case '$', '!', '=':
		if body == "?" {
			return readStreamedString(r, dst)
		}
		n, err := parseLength(line, typ == '$')
		if err != nil || n < 0 {
			return dst, err // n == -1: RESP2 null bulk, nothing follows
		}
		if n > maxBulkLen {
			return dst, protoErrorf("bulk length %d over limit", n)
		}
		return readBody(r, dst, int(n))
	case '*', '~', '>', '%', '|':
		if body == "?" {
			return readStreamedAggregate(r, dst, typ, depth)
		}
		n, err := parseLength(line, typ == '*')
		if err != nil || n < 0 {
			return dst, err // *-1: RESP2 null array
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		if n > maxElements {
			return dst, protoErrorf("aggregate length %d over limit", n)
		}
		for i := int64(0); i < n; i++ {
			if dst, err = readReply(r, dst, depth+1); err != nil {
				return dst, err
			}
		}
		if typ == '|' {
			// An attribute annotates the reply that follows it; the two
			// together are what the caller asked for.
			return readReply(r, dst, depth+1)
		}
		return dst, nil
	}
	return dst, protoErrorf("unknown reply type %q in %q", typ, line)
}

// readLine appends one CRLF-terminated line, CRLF included.
func readLine(r *bufio.Reader, dst []byte) ([]byte, error) {
	start := len(dst)
	for {
		frag, err := r.ReadSlice('\n')
		dst = append(dst, frag...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF && len(dst) > start {
				err = io.ErrUnexpectedEOF
			}
			return dst, err
		}
		if len(dst)-start > maxLineLen {
			return dst, protoErrorf("line longer than %d bytes", maxLineLen)
		}
	}
	line := dst[start:]
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return dst, protoErrorf("line %q does not end in CRLF or is empty", line)
	}
	return dst, nil
}

// readBody appends n bytes and the CRLF that must follow them.
func readBody(r *bufio.Reader, dst []byte, n int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, n+2)...)
	if _, err := io.ReadFull(r, dst[start:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return dst[:start], err
	}
	if dst[len(dst)-2] != '\r' || dst[len(dst)-1] != '\n' {
		return dst, protoErrorf("bulk of length %d not followed by CRLF", n)
	}
	return dst, nil
}

// readStreamedString reads the chunks of a RESP3 streamed string ($?),
// ";<len>" headers with bodies, up to the ";0" terminator.
func readStreamedString(r *bufio.Reader, dst []byte) ([]byte, error) {
	for {
		start := len(dst)
		var err error
		if dst, err = readLine(r, dst); err != nil {
			return dst, err
		}
		line := dst[start : len(dst)-2]
		if line[0] != ';' {
			return dst, protoErrorf("bad streamed string chunk %q", line)
		}
		n, err := parseLength(line, false)
		if err != nil {
			return dst, err
		}
		if n == 0 {
			return dst, nil
		}
		if n > maxBulkLen {
			return dst, protoErrorf("chunk length %d over limit", n)
		}
		if dst, err = readBody(r, dst, int(n)); err != nil {
			return dst, err
		}
	}
}

// readStreamedAggregate reads elements of a RESP3 streamed aggregate (*? ~?
// %? >? |?) up to the "." terminator.
func readStreamedAggregate(r *bufio.Reader, dst []byte, typ byte, depth int) ([]byte, error) {
	for i := 0; ; i++ {
		if b, err := r.Peek(3); err == nil && string(b) == ".\r\n" {
			r.Discard(3)
			dst = append(dst, ".\r\n"...)
			break
		}
		var err error
		if dst, err = readReply(r, dst, depth+1); err != nil {
			return dst, err
		}
		if i >= maxElements {
			return dst, protoErrorf("streamed aggregate over limit")
		}
	}
	if typ == '|' {
		return readReply(r, dst, depth+1)
	}
	return dst, nil
}

// parseLength reads the decimal length after a type byte. -1 is accepted
// only where RESP2 uses it for null.
func parseLength(line []byte, nullable bool) (int64, error) {
	n, err := strconv.ParseInt(string(line[1:]), 10, 64)
	if err != nil || n < -1 || (n == -1 && !nullable) {
		return 0, protoErrorf("bad length in %q", line)
	}
	return n, nil
}

func isBigNumber(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

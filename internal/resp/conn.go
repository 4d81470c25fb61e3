package resp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"
)

// Conn is a blocking client connection for control-plane exchanges (health
// checks, sentinel queries), not for the data path: each Do is one write
// and its replies, bounded by Timeout, and the context given to Dial
// closes the connection when it ends.
type Conn struct {
	NC      net.Conn
	R       *bufio.Reader
	Timeout time.Duration
	Limits  ReplyLimits
	stop    func() bool
}

// Dial connects to addr within timeout and authenticates when pass is set
// (AUTH pass, or AUTH user pass). The password only goes on the wire: an
// AUTH failure reports the server's error text, which never repeats it.
// readBuf sizes the reader (0 = bufio's default).
func Dial(ctx context.Context, addr, user, pass string, timeout time.Duration, readBuf int, lim ReplyLimits) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if readBuf <= 0 {
		readBuf = 4096
	}
	c := &Conn{NC: nc, R: bufio.NewReaderSize(nc, readBuf), Timeout: timeout, Limits: lim}
	c.stop = context.AfterFunc(ctx, func() { nc.Close() })
	if pass != "" {
		args := []string{"AUTH", pass}
		if user != "" {
			args = []string{"AUTH", user, pass}
		}
		rs, err := c.Do(args)
		if err == nil && rs[0].IsError() {
			err = fmt.Errorf("AUTH: %s", rs[0].Str)
		}
		if err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Do sends cmds in one write and reads one reply each, all within the
// timeout. After an error the connection must be closed.
func (c *Conn) Do(cmds ...[]string) ([]Value, error) {
	var buf []byte
	for _, a := range cmds {
		buf = AppendCommandStrings(buf, a...)
	}
	if err := c.NC.SetDeadline(time.Now().Add(c.Timeout)); err != nil {
		return nil, err
	}
	if _, err := c.NC.Write(buf); err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(cmds))
	for range cmds {
		v, err := ReadReply(c.R, c.Limits)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Close closes the connection and drops the context hook.
func (c *Conn) Close() {
	c.stop()
	c.NC.Close()
}

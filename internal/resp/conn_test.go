package resp

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer answers each command read from one connection with the
// reply script gives for it, and records the commands.
func fakeServer(t *testing.T, script func(args []string) string) (addr string, got chan []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan []string, 16)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			v, err := ReadReply(br, ReplyLimits{})
			if err != nil {
				return
			}
			var args []string
			for _, e := range v.Elems {
				args = append(args, e.Str)
			}
			got <- args
			if _, err := c.Write([]byte(script(args))); err != nil {
				return
			}
		}
	}()
	return ln.Addr().String(), got
}

func TestConnAuthAndPipeline(t *testing.T) {
	addr, got := fakeServer(t, func(args []string) string {
		switch strings.ToUpper(args[0]) {
		case "AUTH":
			return "+OK\r\n"
		case "PING":
			return "+PONG\r\n"
		}
		return "$2\r\nhi\r\n"
	})
	c, err := Dial(context.Background(), addr, "u", "secret", time.Second, 0, ReplyLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if a := <-got; strings.Join(a, " ") != "AUTH u secret" {
		t.Fatalf("handshake %q", a)
	}
	rs, err := c.Do([]string{"PING"}, []string{"GET", "k"})
	if err != nil || len(rs) != 2 || rs[0].Str != "PONG" || rs[1].Str != "hi" {
		t.Fatalf("replies %+v %v", rs, err)
	}
}

func TestConnAuthFailureKeepsPasswordOut(t *testing.T) {
	addr, _ := fakeServer(t, func([]string) string {
		return "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
	})
	_, err := Dial(context.Background(), addr, "", "s3cret-value", time.Second, 0, ReplyLimits{})
	if err == nil || !strings.HasPrefix(err.Error(), "AUTH: WRONGPASS") || strings.Contains(err.Error(), "s3cret-value") {
		t.Fatalf("error %v", err)
	}
}

func TestConnTimeoutAndCancel(t *testing.T) {
	addr, _ := fakeServer(t, func([]string) string {
		time.Sleep(300 * time.Millisecond)
		return "+late\r\n"
	})
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Dial(ctx, addr, "", "", 50*time.Millisecond, 0, ReplyLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do([]string{"PING"}); err == nil {
		t.Fatal("a reply slower than the timeout was accepted")
	}
	cancel()
	// The context closed the connection: further use fails at once.
	c.Timeout = time.Second
	if _, err := c.Do([]string{"PING"}); err == nil {
		t.Fatal("connection still usable after its context ended")
	}
	c.Close()
}

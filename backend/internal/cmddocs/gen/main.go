// Command gen captures Redis's command documentation and key specs into
// commands.resp, the data file of package cmddocs (see its doc comment for
// the format). It starts redis-server twice on free loopback ports, once
// normally and once in sentinel mode (for SENTINEL and its subcommands,
// which a normal server does not have), reads COMMAND INFO and COMMAND
// DOCS from each over RESP3, flattens the subcommands into entries of
// their own, and writes everything sorted by name, so a regeneration from
// the same Redis gives the same file whatever order Redis's hash tables
// listed the commands in.
//
// Regenerate with redis-server 7.0.15 (the version warden emulates,
// backend.RedisVersion) on PATH, from the repository root:
//
//	go generate ./backend/internal/cmddocs
//
// which runs, in that directory, "go run ./gen -out commands.resp". The
// -redis-server flag names another binary.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/loopback"
	"github.com/wardenhq/warden/internal/resp"
)

func main() {
	out := flag.String("out", "commands.resp", "file to write")
	bin := flag.String("redis-server", "redis-server", "redis-server binary")
	// Data from another version would silently change what warden claims
	// to be; the backend's tests also check it against RedisVersion.
	want := flag.String("version", "7.0.15", "required redis_version of the server")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("cmddocs/gen: ")
	if err := run(*bin, *want, *out); err != nil {
		log.Fatal(err)
	}
}

// snapshot is what one server reports, flattened: full name to the
// COMMAND INFO entry without subcommands, and to the COMMAND DOCS map
// without "subcommands".
type snapshot struct {
	version    string
	info, docs map[string]resp.Value
}

func run(bin, want, out string) error {
	dir, err := os.MkdirTemp("", "cmddocs-gen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	normal, err := capture(bin, dir, false)
	if err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	sentinel, err := capture(bin, dir, true)
	if err != nil {
		return fmt.Errorf("redis-server --sentinel: %w", err)
	}
	if normal.version != want || sentinel.version != want {
		return fmt.Errorf("%s is redis %s, want %s", bin, normal.version, want)
	}
	if err := merge(normal, sentinel); err != nil {
		return err
	}
	data, n := encode(normal)
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	log.Printf("wrote %d commands of redis %s to %s (%d bytes)", n, normal.version, out, len(data))
	return nil
}

// merge adds the sentinel-only commands to s. A command both modes have
// must be described identically: one command table serves both in Redis.
func merge(s, sentinel *snapshot) error {
	for name, v := range sentinel.info {
		if old, ok := s.info[name]; ok {
			if !bytes.Equal(resp.AppendValue(nil, old), resp.AppendValue(nil, v)) ||
				!bytes.Equal(resp.AppendValue(nil, s.docs[name]), resp.AppendValue(nil, sentinel.docs[name])) {
				return fmt.Errorf("%s differs between normal and sentinel mode", name)
			}
			continue
		}
		s.info[name], s.docs[name] = v, sentinel.docs[name]
	}
	return nil
}

func encode(s *snapshot) ([]byte, int) {
	names := make([]string, 0, len(s.info))
	for n := range s.info {
		names = append(names, n)
	}
	sort.Strings(names)
	cmds := resp.Value{Type: '%'}
	for _, n := range names {
		cmds.Elems = append(cmds.Elems, bulk(n), resp.Value{Type: '*', Elems: []resp.Value{s.info[n], s.docs[n]}})
	}
	root := resp.Value{Type: '%', Elems: []resp.Value{bulk("version"), bulk(s.version), bulk("commands"), cmds}}
	return resp.AppendValue(nil, root), len(names)
}

func bulk(s string) resp.Value { return resp.Value{Type: '$', Str: s} }

// capture starts a server, reads its command table and stops it.
func capture(bin, dir string, sentinel bool) (*snapshot, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no"}
	if sentinel {
		// A sentinel insists on a writable config file of its own.
		conf := filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(conf, nil, 0o644); err != nil {
			return nil, err
		}
		args = append([]string{conf, "--sentinel"}, args...)
	} else {
		args = append(args, "--save", "", "--appendonly", "no")
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The logs are read only once the process has ended: exec copies its
	// output into them until then.
	stop := sync.OnceFunc(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var c *resp.Conn
	for {
		if c, err = resp.Dial(ctx, addr, "", "", time.Second, 1<<16, resp.ReplyLimits{}); err == nil {
			break
		}
		if ctx.Err() != nil {
			stop()
			return nil, fmt.Errorf("no answer on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.Close()
	c.Timeout = 20 * time.Second
	rs, err := c.Do([]string{"HELLO", "3"}, []string{"INFO", "server"}, []string{"COMMAND", "INFO"},
		[]string{"COMMAND", "DOCS"})
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.IsError() {
			return nil, errors.New(r.Str)
		}
	}
	s := &snapshot{version: infoField(rs[1].Str, "redis_version"), info: map[string]resp.Value{},
		docs: map[string]resp.Value{}}
	if err := flattenInfo(rs[2], s.info); err != nil {
		return nil, err
	}
	if err := flattenDocs(rs[3], s.docs); err != nil {
		return nil, err
	}
	for name := range s.info {
		if _, ok := s.docs[name]; !ok {
			return nil, fmt.Errorf("%s has COMMAND INFO but no COMMAND DOCS", name)
		}
	}
	if len(s.info) != len(s.docs) {
		return nil, fmt.Errorf("%d COMMAND INFO entries, %d COMMAND DOCS entries", len(s.info), len(s.docs))
	}
	return s, nil
}

// flattenInfo stores each entry of a COMMAND INFO reply (an array of
// 10-element entries whose last element lists the subcommands' entries)
// under its name, without that last element.
func flattenInfo(v resp.Value, into map[string]resp.Value) error {
	for _, e := range v.Elems {
		if e.Type != '*' || len(e.Elems) != 10 || e.Elems[0].Type != '$' {
			return fmt.Errorf("unexpected COMMAND INFO entry %v", e)
		}
		into[e.Elems[0].Str] = resp.Value{Type: '*', Elems: e.Elems[:9]}
		if err := flattenInfo(e.Elems[9], into); err != nil {
			return err
		}
	}
	return nil
}

// flattenDocs stores each doc of a COMMAND DOCS map under its name,
// without its "subcommands" pair, whose map it flattens in turn. Redis
// writes that pair last, which lets warden append its own.
func flattenDocs(v resp.Value, into map[string]resp.Value) error {
	if v.Type != '%' {
		return fmt.Errorf("COMMAND DOCS reply is not a map")
	}
	for i := 0; i < len(v.Elems); i += 2 {
		name, doc := v.Elems[i].Str, v.Elems[i+1]
		if doc.Type != '%' {
			return fmt.Errorf("docs of %s are not a map", name)
		}
		pairs := doc.Elems
		for j := 0; j < len(pairs); j += 2 {
			if pairs[j].Str != "subcommands" {
				continue
			}
			if j != len(pairs)-2 {
				return fmt.Errorf("docs of %s: subcommands is not the last field", name)
			}
			if err := flattenDocs(pairs[j+1], into); err != nil {
				return err
			}
			pairs = pairs[:j]
		}
		into[name] = resp.Value{Type: '%', Elems: pairs}
	}
	return nil
}

func infoField(text, field string) string {
	for _, line := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

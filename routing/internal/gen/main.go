// Command gen extracts Redis's command table (name, arity, flags) from a
// Redis source tree's src/commands.c into the reference file the routing
// tests check the routing table against:
//
//	git -C redis show 7.0.15:src/commands.c > /tmp/commands.c
//	go run ./routing/internal/gen -version 7.0.15 /tmp/commands.c > routing/testdata/redis-7.0-commands.txt
//
// Only facts are taken (names, arities, flag names), one command a line:
// "name arity flag,flag,..." with subcommands as "container|sub", flags in
// lower case without the CMD_ prefix ("-" for none). Sentinel-only
// commands (CMD_ONLY_SENTINEL) and the CMD_SENTINEL flag are left out: the
// proxy fronts data nodes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

var (
	// "struct redisCommand CLIENT_Subcommands[] = {" opens a container's
	// subcommand array; "struct redisCommand redisCommandTable[] = {" the
	// top-level one.
	subArray = regexp.MustCompile(`^struct redisCommand (\w+)_Subcommands\[\] = \{`)
	topArray = regexp.MustCompile(`^struct redisCommand redisCommandTable\[\] = \{`)
	// An entry: {"name","summary",...,function,arity,flags,... The
	// function is a C identifier ending in Command, or NULL for a
	// container; the summary may hold commas, so the match anchors on
	// the function, arity and flags run.
	cmdLine = regexp.MustCompile(`^\{"([^"]+)",.*,(\w+Command|NULL),(-?\d+),([A-Z_|0-9]+),`)
)

func main() {
	version := flag.String("version", "", "the Redis version of the source, for the header line")
	flag.Parse()
	if flag.NArg() != 1 || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -version 7.0.15 path/to/redis/src/commands.c")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	lines, err := extract(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "# Redis %s src/commands.c, extracted by routing/internal/gen: name arity flags\n", *version)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func extract(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	parent, inArray := "", false
	var out []string
	for sc.Scan() {
		line := sc.Text()
		if m := subArray.FindStringSubmatch(line); m != nil {
			parent, inArray = strings.ToLower(m[1]), true
			continue
		}
		if topArray.MatchString(line) {
			parent, inArray = "", true
			continue
		}
		if line == "};" {
			inArray = false
			continue
		}
		m := cmdLine.FindStringSubmatch(line)
		if !inArray || m == nil {
			continue
		}
		if strings.Contains(m[4], "CMD_ONLY_SENTINEL") || parent == "sentinel" {
			continue
		}
		name := m[1]
		if parent != "" {
			name = parent + "|" + name
		}
		var flags []string
		seen := map[string]bool{}
		for _, fl := range strings.Split(m[4], "|") {
			fl = strings.ToLower(strings.TrimPrefix(fl, "CMD_"))
			// CMD_SENTINEL only says the command also exists in sentinel
			// mode.
			if fl == "0" || fl == "sentinel" || seen[fl] {
				continue
			}
			seen[fl] = true
			flags = append(flags, fl)
		}
		sort.Strings(flags)
		fs := strings.Join(flags, ",")
		if fs == "" {
			fs = "-"
		}
		out = append(out, fmt.Sprintf("%s %s %s", name, m[3], fs))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no commands found: not a Redis src/commands.c?")
	}
	sort.Strings(out)
	return out, nil
}

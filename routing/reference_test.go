package routing

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// refCmd is one command of a reference table (Redis's or the backend's).
type refCmd struct {
	name  string // "get", "client|setname"
	arity int
	flags map[string]bool // Redis flag names: write, readonly, admin, blocking, pubsub, ...
}

// Deliberate departures from "the routing flags follow Redis's flags"; each
// is documented on the flag or in table.go.
var (
	// mayWrite are not flagged write by Redis (may_replicate instead) but
	// can write: the master.
	mayWrite = map[string]bool{"eval": true, "evalsha": true, "fcall": true}
	// extraBlocking hold a connection until their reply without Redis's
	// blocking flag.
	extraBlocking = map[string]bool{"wait": true, "waitaof": true, "script|kill": true, "function|kill": true}
	// redis72 are Redis 7.2 commands in the table because current clients
	// send them.
	redis72 = map[string]bool{"client|setinfo": true, "client|no-touch": true, "waitaof": true}
	// collapsed containers are one Refused entry whatever the subcommand.
	collapsed = map[string]bool{"cluster": true}
)

// checkConsistent reports every way the routing table disagrees with the
// reference table ref (sorted, containers named in it).
func checkConsistent(t *testing.T, source string, ref []refCmd) {
	t.Helper()
	containers := map[string]bool{}
	for _, r := range ref {
		if p, _, ok := strings.Cut(r.name, "|"); ok {
			containers[p] = true
		}
	}
	for _, r := range ref {
		parent, sub, isSub := strings.Cut(r.name, "|")
		if isSub && collapsed[parent] {
			continue
		}
		var info Info
		if isSub {
			info = Lookup([]byte(parent), []byte(sub))
		} else {
			info = Lookup([]byte(r.name), nil)
		}
		if !info.Known() {
			t.Errorf("%s: %s is not in the routing table", source, r.name)
			continue
		}
		f := info.Flags
		if info.Name != r.name || info.Arity != r.arity {
			t.Errorf("%s: %s arity %d; routing has %s arity %d", source, r.name, r.arity, info.Name, info.Arity)
		}
		switch {
		case r.flags["write"] && f&Write == 0:
			t.Errorf("%s: %s is write; routing says %s", source, r.name, f)
		case r.flags["readonly"] && f&Read == 0:
			t.Errorf("%s: %s is readonly; routing says %s", source, r.name, f)
		case !r.flags["readonly"] && f&Read != 0:
			t.Errorf("%s: %s is not readonly; routing says %s", source, r.name, f)
		case !r.flags["write"] && f&Write != 0 && !mayWrite[r.name]:
			t.Errorf("%s: %s is not write; routing says %s", source, r.name, f)
		}
		if r.flags["admin"] != (f&Admin != 0) {
			t.Errorf("%s: %s admin=%v; routing says %s", source, r.name, r.flags["admin"], f)
		}
		if f&Admin != 0 && f&(MasterOnly|Refused) == 0 {
			t.Errorf("%s: admin %s neither MasterOnly nor Refused: %s", source, r.name, f)
		}
		if r.flags["blocking"] != (f&PinBlocking != 0) && !extraBlocking[r.name] {
			t.Errorf("%s: %s blocking=%v; routing says %s", source, r.name, r.flags["blocking"], f)
		}
		subscribes := r.flags["pubsub"] && strings.HasSuffix(r.name, "subscribe") && !strings.HasSuffix(r.name, "unsubscribe")
		if subscribes != (f&PinSubscribe != 0) {
			t.Errorf("%s: %s subscribes=%v; routing says %s", source, r.name, subscribes, f)
		}
		if !isSub && !collapsed[r.name] {
			// A container's unknown subcommand is unknown; any other
			// command ignores its argument.
			got := Lookup([]byte(r.name), []byte("no-such-subcommand"))
			if containers[r.name] == got.Known() {
				t.Errorf("%s: %s container=%v, but Lookup with a bad subcommand gives %+v", source, r.name, containers[r.name], got)
			}
		}
	}
}

func loadRedisReference(t *testing.T) []refCmd {
	t.Helper()
	f, err := os.Open("testdata/redis-7.0-commands.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []refCmd
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Fatalf("bad reference line %q", line)
		}
		ar, err := strconv.Atoi(fields[1])
		if err != nil {
			t.Fatalf("bad reference line %q", line)
		}
		r := refCmd{name: fields[0], arity: ar, flags: map[string]bool{}}
		if fields[2] != "-" {
			for _, fl := range strings.Split(fields[2], ",") {
				r.flags[fl] = true
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 300 {
		t.Fatalf("reference has %d commands; truncated?", len(out))
	}
	return out
}

// TestTableMatchesRedis70 checks the table against Redis 7.0.15's own
// command table, both ways: every Redis command is classified consistently
// with its flags, and the table has nothing Redis 7.0 lacks but the
// listed 7.2 additions.
func TestTableMatchesRedis70(t *testing.T) {
	ref := loadRedisReference(t)
	checkConsistent(t, "redis 7.0", ref)
	inRef := map[string]bool{}
	for _, r := range ref {
		inRef[r.name] = true
	}
	for _, info := range Commands() {
		if !inRef[info.Name] && !redis72[info.Name] {
			t.Errorf("%s is in the routing table but not in Redis 7.0", info.Name)
		}
		if inRef[info.Name] && redis72[info.Name] {
			t.Errorf("%s is listed as a 7.2 addition but Redis 7.0 has it", info.Name)
		}
	}
}

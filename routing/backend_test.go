package routing

import (
	"sort"
	"testing"

	"github.com/wardenhq/warden/backend"
)

// TestTableMatchesBackend checks every command warden's node implements
// (its table carries Redis's flags) against the routing table, so a command
// added to the node, or a flag changed there, cannot go unclassified. This
// is the only place routing touches backend.
func TestTableMatchesBackend(t *testing.T) {
	var ref []refCmd
	add := func(c *backend.Command) {
		r := refCmd{name: c.Name, arity: c.Arity, flags: map[string]bool{}}
		for _, n := range c.Flags.Names() {
			r.flags[n] = true
		}
		ref = append(ref, r)
	}
	for _, name := range backend.CommandNames() {
		c := backend.LookupCommand(name)
		add(c)
		subs := make([]string, 0, len(c.Sub))
		for s := range c.Sub {
			subs = append(subs, s)
		}
		sort.Strings(subs)
		for _, s := range subs {
			add(c.Sub[s])
		}
	}
	if len(ref) < 200 {
		t.Fatalf("backend lists %d commands; expected its full table", len(ref))
	}
	checkConsistent(t, "backend", ref)

	implemented := map[string]bool{}
	for _, r := range ref {
		implemented[r.name] = true
	}
	var missing []string
	for _, info := range Commands() {
		if !implemented[info.Name] {
			missing = append(missing, info.Name)
		}
	}
	t.Logf("%d backend commands checked; %d routing entries the node does not implement: %v", len(ref), len(missing), missing)
}

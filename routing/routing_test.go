package routing

import (
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name, sub string
		noSub     bool // pass a nil sub
		wantName  string
		want      Flags
		arity     int
	}{
		{name: "GET", noSub: true, wantName: "get", want: Read, arity: 2},
		{name: "get", sub: "ignored", wantName: "get", want: Read, arity: 2},
		{name: "gEt", noSub: true, wantName: "get", want: Read, arity: 2},
		{name: "SET", noSub: true, wantName: "set", want: Write, arity: -3},
		{name: "Blpop", noSub: true, wantName: "blpop", want: Write | PinBlocking, arity: -3},
		{name: "xread", noSub: true, wantName: "xread", want: Read | PinBlocking, arity: -4},
		{name: "XREADGROUP", noSub: true, wantName: "xreadgroup", want: Write | PinBlocking, arity: -7},
		{name: "wait", noSub: true, wantName: "wait", want: MasterOnly | PinBlocking, arity: 3},
		{name: "EVAL", noSub: true, wantName: "eval", want: Write, arity: -3},
		{name: "evalsha_ro", noSub: true, wantName: "evalsha_ro", want: Read, arity: -3},
		{name: "FCALL", noSub: true, wantName: "fcall", want: Write, arity: -3},
		{name: "multi", noSub: true, wantName: "multi", want: PinMulti, arity: 1},
		{name: "WATCH", noSub: true, wantName: "watch", want: PinWatch, arity: -2},
		{name: "exec", noSub: true, wantName: "exec", want: EndsTx, arity: 1},
		{name: "Discard", noSub: true, wantName: "discard", want: EndsTx, arity: 1},
		{name: "UNWATCH", noSub: true, wantName: "unwatch", want: EndsTx, arity: 1},
		{name: "subscribe", noSub: true, wantName: "subscribe", want: PinSubscribe, arity: -2},
		{name: "PSUBSCRIBE", noSub: true, wantName: "psubscribe", want: PinSubscribe, arity: -2},
		{name: "ssubscribe", noSub: true, wantName: "ssubscribe", want: PinSubscribe, arity: -2},
		{name: "unsubscribe", noSub: true, wantName: "unsubscribe", want: 0, arity: -1},
		{name: "publish", noSub: true, wantName: "publish", want: MasterOnly, arity: 3},
		{name: "select", noSub: true, wantName: "select", want: PinConnState, arity: 2},
		{name: "HELLO", noSub: true, wantName: "hello", want: Local | PinConnState, arity: -1},
		{name: "auth", noSub: true, wantName: "auth", want: Local, arity: -2},
		{name: "QUIT", noSub: true, wantName: "quit", want: Local, arity: -1},
		{name: "reset", noSub: true, wantName: "reset", want: Local, arity: 1},
		{name: "PING", noSub: true, wantName: "ping", want: 0, arity: -1},
		{name: "info", noSub: true, wantName: "info", want: 0, arity: -1},
		{name: "scan", noSub: true, wantName: "scan", want: Read | Cursor, arity: -2},
		{name: "FLUSHALL", noSub: true, wantName: "flushall", want: Write, arity: -1},
		{name: "save", noSub: true, wantName: "save", want: Admin | MasterOnly, arity: 1},
		{name: "PFDEBUG", noSub: true, wantName: "pfdebug", want: Write | Admin | MasterOnly, arity: 3},
		{name: "sync", noSub: true, wantName: "sync", want: Admin | MasterOnly | Refused, arity: 1},
		{name: "replicaof", noSub: true, wantName: "replicaof", want: Admin | MasterOnly | Refused, arity: 3},
		{name: "readonly", noSub: true, wantName: "readonly", want: Refused, arity: 1},
		{name: "CLUSTER", sub: "SLOTS", wantName: "cluster", want: Refused, arity: -2},
		{name: "cluster", noSub: true, wantName: "cluster", want: Refused, arity: -2},

		// Containers.
		{name: "CLIENT", sub: "SETNAME", wantName: "client|setname", want: PinConnState, arity: 3},
		{name: "client", sub: "setinfo", wantName: "client|setinfo", want: Local, arity: 4},
		{name: "client", sub: "Tracking", wantName: "client|tracking", want: PinConnState, arity: -3},
		{name: "client", sub: "id", wantName: "client|id", want: PinConnState, arity: 2},
		{name: "client", sub: "getname", wantName: "client|getname", want: 0, arity: 2},
		{name: "client", sub: "no-evict", wantName: "client|no-evict", want: Admin | MasterOnly | PinConnState, arity: 3},
		{name: "client", sub: "KILL", wantName: "client|kill", want: Admin | MasterOnly | Refused, arity: -3},
		{name: "client", sub: "reply", wantName: "client|reply", want: Refused, arity: 3},
		{name: "CONFIG", sub: "get", wantName: "config|get", want: Admin | MasterOnly, arity: -3},
		{name: "object", sub: "ENCODING", wantName: "object|encoding", want: Read, arity: 3},
		{name: "script", sub: "load", wantName: "script|load", want: MasterOnly, arity: 3},
		{name: "script", sub: "kill", wantName: "script|kill", want: MasterOnly | PinBlocking, arity: 2},
		{name: "script", sub: "debug", wantName: "script|debug", want: Refused, arity: 3},
		{name: "function", sub: "load", wantName: "function|load", want: Write, arity: -3},
		{name: "xgroup", sub: "create", wantName: "xgroup|create", want: Write, arity: -5},
		{name: "memory", sub: "usage", wantName: "memory|usage", want: Read, arity: -3},
		{name: "command", noSub: true, wantName: "command", want: 0, arity: -1},
		{name: "command", sub: "docs", wantName: "command|docs", want: 0, arity: -2},
		// A container without its subcommand is the container itself (the
		// node answers the arity error); an empty one too.
		{name: "config", noSub: true, wantName: "config", want: 0, arity: -2},
		{name: "config", sub: "", wantName: "config", want: 0, arity: -2},

		// Unknown: Write, no name.
		{name: "nosuchcommand", noSub: true, want: Write},
		{name: "", noSub: true, want: Write},
		{name: long, noSub: true, want: Write},
		{name: "client", sub: "nosuch", want: Write},
		{name: "client", sub: long, want: Write},
		{name: "CONFIG", sub: "get2", want: Write},
		// Subcommand names are not top-level names.
		{name: "client|setname", noSub: true, want: Write},
		{name: "config|get", sub: "x", want: Write},
		// Case folding is ASCII only: no byte folds onto a letter.
		{name: "g\xc5t", noSub: true, want: Write},
		{name: "GET\x00", noSub: true, want: Write},
		{name: "ge", noSub: true, want: Write},
	}
	for _, tc := range tests {
		var sub []byte
		if !tc.noSub {
			sub = []byte(tc.sub)
		}
		got := Lookup([]byte(tc.name), sub)
		if got.Name != tc.wantName || got.Flags != tc.want || got.Arity != tc.arity {
			t.Errorf("Lookup(%.20q, %.20q) = {%q %s %d}, want {%q %s %d}", tc.name, tc.sub,
				got.Name, got.Flags, got.Arity, tc.wantName, tc.want, tc.arity)
		}
		if got.Known() != (tc.wantName != "") {
			t.Errorf("Lookup(%.20q, %.20q).Known() = %v", tc.name, tc.sub, got.Known())
		}
		if (got.RefusedError() != "") != (got.Flags&Refused != 0) {
			t.Errorf("Lookup(%.20q, %.20q): Refused %v with error %q", tc.name, tc.sub, got.Flags&Refused != 0, got.RefusedError())
		}
	}
}

func TestRefusedErrors(t *testing.T) {
	tests := []struct{ name, sub, prefix string }{
		{"cluster", "info", "ERR This instance has cluster support disabled"},
		{"READWRITE", "", "ERR This instance has cluster support disabled"},
		{"asking", "", "ERR This instance has cluster support disabled"},
		{"psync", "", "ERR warden proxy: replication"},
		{"slaveof", "", "ERR warden proxy: the sentinels"},
		{"failover", "", "ERR warden proxy: the sentinels"},
		{"monitor", "", "ERR warden proxy: this command acts on one node"},
		{"client", "kill", "ERR warden proxy: CLIENT KILL"},
	}
	for _, tc := range tests {
		got := Lookup([]byte(tc.name), []byte(tc.sub)).RefusedError()
		if !strings.HasPrefix(got, tc.prefix) || strings.ContainsAny(got, "\r\n") {
			t.Errorf("%s %s: RefusedError %q, want prefix %q and one line", tc.name, tc.sub, got, tc.prefix)
		}
	}
}

// TestEveryEntryFoundInAnyCase looks every table entry up in lower, upper
// and mixed case, and checks the invariants the proxy relies on.
func TestEveryEntryFoundInAnyCase(t *testing.T) {
	all := Commands()
	if len(all) != len(tab.entries) || len(all) < 330 {
		t.Fatalf("Commands() has %d entries, index %d", len(all), len(tab.entries))
	}
	mixed := func(s string) string {
		b := []byte(s)
		for i := range b {
			if i%2 == 0 && b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	for _, want := range all {
		name, sub, _ := strings.Cut(want.Name, "|")
		for _, conv := range []func(string) string{strings.ToLower, strings.ToUpper, mixed} {
			var s []byte
			if sub != "" {
				s = []byte(conv(sub))
			}
			if got := Lookup([]byte(conv(name)), s); got != want {
				t.Errorf("Lookup(%q, %q) = %+v, want %+v", conv(name), conv(sub), got, want)
			}
		}
		f := want.Flags
		switch {
		case f&Admin != 0 && f&MasterOnly == 0:
			t.Errorf("%s: Admin without MasterOnly", want.Name)
		case f&Local != 0 && f&(Write|Read|Refused) != 0:
			t.Errorf("%s: Local yet routed: %s", want.Name, f)
		case f&Refused != 0 && f&(Pins|Local|EndsTx) != 0:
			t.Errorf("%s: Refused yet pins or is local: %s", want.Name, f)
		case f&Cursor != 0 && f&Read == 0:
			t.Errorf("%s: Cursor without Read", want.Name)
		}
	}
	// The table is kept sorted, so a missing or doubled command shows in
	// review.
	for i, c := range commandTable {
		if i > 0 && commandTable[i-1].name >= c.name {
			t.Errorf("table not sorted at %q, %q", commandTable[i-1].name, c.name)
		}
		for j := 1; j < len(c.subs); j++ {
			if c.subs[j-1].name >= c.subs[j].name {
				t.Errorf("%s subcommands not sorted at %q, %q", c.name, c.subs[j-1].name, c.subs[j].name)
			}
		}
	}
	// Hash quality: a lookup touches at most a few slots.
	if tab.maxProbe > 4 {
		t.Errorf("longest probe sequence %d slots", tab.maxProbe)
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{0, ""},
		{Write, "write"},
		{Write | PinBlocking, "write|pin-blocking"},
		{Read | Cursor, "read|cursor"},
		{Admin | MasterOnly | Refused, "admin|refused|master-only"},
	}
	for _, tc := range tests {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("%d.String() = %q, want %q", uint32(tc.f), got, tc.want)
		}
	}
	if !Write.Master() || !MasterOnly.Master() || !(Admin | MasterOnly).Master() || Read.Master() || Flags(0).Master() {
		t.Error("Master() wrong")
	}
}

var lookupCases = []struct{ name, sub []byte }{
	{[]byte("GET"), nil},
	{[]byte("set"), []byte("key")},
	{[]byte("client"), []byte("SETNAME")},
	{[]byte("Config"), []byte("get")},
	{[]byte("nosuchcommand"), nil},
	{[]byte("client"), []byte("nosuch")},
	{[]byte("zremrangebyscore"), nil},
	{[]byte(strings.Repeat("y", 100)), nil},
}

func TestLookupDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range lookupCases {
			_ = Lookup(c.name, c.sub)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates: %v per run", allocs)
	}
}

var sink Flags

func BenchmarkLookup(b *testing.B) {
	for _, c := range lookupCases[:6] {
		name := string(c.name)
		if c.sub != nil {
			name += "_" + string(c.sub)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			// Accumulate rather than store each Info in a global: that
			// store's write barriers would cost more than the lookup.
			var f Flags
			for i := 0; i < b.N; i++ {
				f |= Lookup(c.name, c.sub).Flags
			}
			sink = f
		})
	}
}

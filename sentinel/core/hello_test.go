package core

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// monHello builds a hello payload (§3.3).
func monHello(ip string, port int, runid string, epoch uint64, name, mip string, mport int, cfg uint64) string {
	return strings.Join([]string{ip, strconv.Itoa(port), runid, strconv.FormatUint(epoch, 10),
		name, mip, strconv.Itoa(mport), strconv.FormatUint(cfg, 10)}, ",")
}

func TestMonHelloDiscovery(t *testing.T) {
	e := newMonEnv(t)
	t1 := e.advance(time.Second)
	e.c.Hello(monHello("10.0.0.7", 26379, monPeerA, 0, "mymaster", "10.0.0.1", 6379, 0), e.now)
	s := e.m.Sentinels[monPeerA]
	if s == nil || s.Kind != KindSentinel || s.RunID != monPeerA || s.Addr != (Addr{"10.0.0.7", 26379}) ||
		s.Master != e.m || s.LastHelloTime != t1 {
		t.Fatalf("sentinel %+v", s)
	}
	e.expectEvents("+sentinel sentinel " + monPeerA + " 10.0.0.7 26379 @ " + "mymaster 10.0.0.1 6379")
	if !e.c.TakeDirty() {
		t.Fatal("a new sentinel must reach the config")
	}

	t2 := e.advance(2 * time.Second)
	e.c.Hello(monHello("10.0.0.7", 26379, monPeerA, 0, "mymaster", "10.0.0.1", 6379, 0), e.now)
	if e.m.Sentinels[monPeerA] != s || s.LastHelloTime != t2 || len(e.m.Sentinels) != 1 {
		t.Fatal("known sentinel not refreshed in place")
	}
	e.expectEvents()
	if e.c.TakeDirty() {
		t.Fatal("dirty without a change")
	}

	t.Run("hostname with resolve-hostnames matches by IP", func(t *testing.T) {
		e.c.ResolveHostnames = true
		e.c.Resolve = fakeResolve
		defer func() { e.c.ResolveHostnames = false }()
		t3 := e.advance(time.Second)
		e.c.Hello(monHello("sentinel.test", 26379, monPeerA, 0, "mymaster", "10.0.0.1", 6379, 0), e.now)
		if e.m.Sentinels[monPeerA] != s || s.LastHelloTime != t3 {
			t.Fatal("same sentinel by hostname not recognised")
		}
		e.expectEvents()
	})
}

func TestMonHelloIgnored(t *testing.T) {
	good := monHello("10.0.0.7", 26379, monPeerA, 9, "mymaster", "10.0.0.2", 6380, 9)
	cases := []struct {
		name    string
		payload string
	}{
		{"own runid as sender", monHello("10.0.0.7", 26379, monMyID, 9, "mymaster", "10.0.0.2", 6380, 9)},
		{"own runid anywhere", good + monMyID},
		{"7 fields", "10.0.0.7,26379," + monPeerA + ",9,mymaster,10.0.0.2,6380"},
		{"9 fields", good + ",1"},
		{"unknown master", monHello("10.0.0.7", 26379, monPeerA, 9, "nosuch", "10.0.0.2", 6380, 9)},
		{"port not a number", "10.0.0.7,x," + monPeerA + ",9,mymaster,10.0.0.2,6380,9"},
		{"port out of range", monHello("10.0.0.7", 65536, monPeerA, 9, "mymaster", "10.0.0.2", 6380, 9)},
		{"sentinel address not an IP", monHello("sentinel.test", 26379, monPeerA, 9, "mymaster", "10.0.0.2", 6380, 9)},
		{"empty runid", monHello("10.0.0.7", 26379, "", 9, "mymaster", "10.0.0.2", 6380, 9)},
		{"current epoch not a number", "10.0.0.7,26379," + monPeerA + ",nine,mymaster,10.0.0.2,6380,9"},
		{"config epoch negative", "10.0.0.7,26379," + monPeerA + ",9,mymaster,10.0.0.2,6380,-1"},
		{"master address garbage", monHello("10.0.0.7", 26379, monPeerA, 9, "mymaster", "10.0.0.2 6380", 6380, 9)},
		{"master port garbage", "10.0.0.7,26379," + monPeerA + ",9,mymaster,10.0.0.2,63x80,9"},
		{"empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.c.CurrentEpoch, e.m.ConfigEpoch = 1, 1
			e.c.Hello(tc.payload, e.now)
			e.expectEvents()
			if len(e.m.Sentinels) != 0 || e.c.CurrentEpoch != 1 || e.m.ConfigEpoch != 1 ||
				e.m.Addr != (Addr{"10.0.0.1", 6379}) || e.c.TakeDirty() {
				t.Fatalf("state changed: %d sentinels, epochs %d/%d, addr %v",
					len(e.m.Sentinels), e.c.CurrentEpoch, e.m.ConfigEpoch, e.m.Addr)
			}
		})
	}
	t.Run("the control payload is accepted", func(t *testing.T) {
		e := newMonEnv(t)
		e.c.Hello(good, e.now)
		if len(e.m.Sentinels) != 1 {
			t.Fatal("good hello ignored")
		}
	})
}

func TestMonHelloAddressSwitch(t *testing.T) {
	e := newMonEnv(t)
	other := e.master("other", "10.0.1.1", 6379)
	old := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
	e.connect(old)
	inOther := e.sentinel(other, monPeerA, "10.0.0.7", 26379)
	e.connect(inOther)
	e.advance(time.Second)

	e.c.Hello(monHello("10.0.0.8", 26380, monPeerA, 0, "mymaster", "10.0.0.1", 6379, 0), e.now)
	e.expectEvents(
		"+sentinel-address-switch "+monMasterPfx+" ip 10.0.0.8 port 26380 for "+monPeerA,
		"+sentinel-address-update sentinel "+monPeerA+" 10.0.0.8 26380 @ mymaster 10.0.0.1 6379 1 additional matching instances")
	s := e.m.Sentinels[monPeerA]
	if s == nil || s == old || !old.Removed() || s.Addr != (Addr{"10.0.0.8", 26380}) || s.LastHelloTime != e.now {
		t.Fatalf("entry %+v", s)
	}
	if inOther.Addr != (Addr{"10.0.0.8", 26380}) {
		t.Fatalf("other master's entry at %v", inOther.Addr)
	}
	// The new entry shares the other master's link, whose connection to
	// the old address is closed; the next reconnect dials the new one.
	if s.Link != inOther.Link || s.Link.Refcount != 2 || s.Link.CC {
		t.Fatalf("link %+v", s.Link)
	}
	var dropped bool
	for _, d := range e.sh.drops {
		if d.l == inOther.Link && d.cc {
			dropped = true
		}
	}
	if !dropped {
		t.Fatalf("old connection not closed: %+v", e.sh.drops)
	}
	if !e.c.TakeDirty() {
		t.Fatal("address change must reach the config")
	}
	e.advance(time.Second)
	e.sh.opens = nil
	e.c.reconnectInstance(inOther, e.now)
	if len(e.sh.opens) != 1 || e.sh.opens[0].Addr != (Addr{"10.0.0.8", 26380}) {
		t.Fatalf("reopened towards %+v", e.sh.opens)
	}
}

func TestMonHelloInvalidAddr(t *testing.T) {
	e := newMonEnv(t)
	other := e.master("other", "10.0.1.1", 6379)
	a1 := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
	a2 := e.sentinel(other, monPeerA, "10.0.0.7", 26379)
	// A sentinel restarted at the same address with a new id.
	e.c.Hello(monHello("10.0.0.7", 26379, monPeerB, 0, "mymaster", "10.0.0.1", 6379, 0), e.now)
	e.expectEvents(
		"+sentinel-invalid-addr sentinel "+monPeerA+" 10.0.0.7 26379 @ mymaster 10.0.0.1 6379",
		"+sentinel sentinel "+monPeerB+" 10.0.0.7 26379 @ mymaster 10.0.0.1 6379")
	if !a1.Removed() || !a2.Removed() || len(other.Sentinels) != 0 {
		t.Fatal("old id not removed from every master")
	}
	if got := sortedInstances(e.m.Sentinels); len(got) != 1 || got[0].RunID != monPeerB {
		t.Fatalf("sentinels %v", got)
	}
}

func TestMonHelloEpochs(t *testing.T) {
	const peerPfx = "sentinel " + monPeerA + " 10.0.0.7 26379 @ mymaster 10.0.0.1 6379"
	cases := []struct {
		name       string
		cur, cfg   uint64
		mip        string
		mport      int
		script     bool
		wantCur    uint64
		wantCfg    uint64
		wantAddr   Addr
		events     []string
		scriptArgs []string
	}{
		{"nothing newer", 5, 3, "10.0.0.1", 6379, false, 5, 3, Addr{"10.0.0.1", 6379}, nil, nil},
		{"older epochs, another address: ignored", 4, 2, "10.0.0.2", 6380, false, 5, 3, Addr{"10.0.0.1", 6379}, nil, nil},
		{"newer current epoch", 7, 3, "10.0.0.1", 6379, false, 7, 3, Addr{"10.0.0.1", 6379},
			[]string{"+new-epoch 7"}, nil},
		{"newer config epoch, same address", 5, 4, "10.0.0.1", 6379, false, 5, 4, Addr{"10.0.0.1", 6379}, nil, nil},
		{"same config epoch, another address: ignored", 5, 3, "10.0.0.2", 6380, false, 5, 3, Addr{"10.0.0.1", 6379}, nil, nil},
		{"newer config, another address: switch", 6, 6, "10.0.0.2", 6380, true, 6, 6, Addr{"10.0.0.2", 6380},
			[]string{
				"+new-epoch 6",
				"+config-update-from " + peerPfx,
				"+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6380",
				// The reset re-creates the replicas: the others, then
				// the old master (the promoted one is the master now).
				"+slave slave 10.0.0.3:6381 10.0.0.3 6381 @ mymaster 10.0.0.2 6380",
				"+slave slave 10.0.0.1:6379 10.0.0.1 6379 @ mymaster 10.0.0.2 6380",
			},
			[]string{"/bin/reconfig", "mymaster", "observer", "start", "10.0.0.1", "6379", "10.0.0.2", "6380"}},
		{"switch without a reconfig script", 6, 6, "10.0.0.2", 6380, false, 6, 6, Addr{"10.0.0.2", 6380},
			[]string{
				"+new-epoch 6",
				"+config-update-from " + peerPfx,
				"+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6380",
				"+slave slave 10.0.0.3:6381 10.0.0.3 6381 @ mymaster 10.0.0.2 6380",
				"+slave slave 10.0.0.1:6379 10.0.0.1 6379 @ mymaster 10.0.0.2 6380",
			}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newMonEnv(t)
			e.c.CurrentEpoch, e.m.ConfigEpoch = 5, 3
			if tc.script {
				e.m.ClientReconfigScript = "/bin/reconfig"
			}
			e.replica(e.m, "10.0.0.2", 6380)
			e.replica(e.m, "10.0.0.3", 6381)
			s := e.sentinel(e.m, monPeerA, "10.0.0.7", 26379)
			e.advance(time.Second)
			e.c.Hello(monHello("10.0.0.7", 26379, monPeerA, tc.cur, "mymaster", tc.mip, tc.mport, tc.cfg), e.now)
			e.expectEvents(tc.events...)
			if e.c.CurrentEpoch != tc.wantCur || e.m.ConfigEpoch != tc.wantCfg || e.m.Addr != tc.wantAddr {
				t.Fatalf("epochs %d/%d addr %v", e.c.CurrentEpoch, e.m.ConfigEpoch, e.m.Addr)
			}
			if tc.scriptArgs == nil && len(e.sh.scripts) != 0 || tc.scriptArgs != nil && !reflect.DeepEqual(e.sh.scripts, [][]string{tc.scriptArgs}) {
				t.Fatalf("scripts %q", e.sh.scripts)
			}
			if got := e.m.Sentinels[monPeerA]; got == nil || got.LastHelloTime != e.now || got != s {
				t.Fatal("sentinel not kept and refreshed")
			}
			if dirty := e.c.TakeDirty(); dirty != (tc.wantCur != 5 || tc.wantCfg != 3) {
				t.Fatalf("dirty %v", dirty)
			}
		})
	}
}

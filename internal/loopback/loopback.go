// Package loopback finds free TCP ports on 127.0.0.1 for the programs that
// start servers of their own: the benchmark harness, the command-docs
// generator and the test helpers.
//
// The ports come from below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range) when there is room there. A port the
// kernel hands out for port 0 comes from that range, and so does the local
// port of every outgoing connection: a test that picks its ports, starts
// some processes and connects them to each other before it binds the last
// port could find that port taken by one of its own connections. Outside
// the range, only another explicit pick can take it.
package loopback

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// pickFloor is the lowest port picked, which leaves the well-known and
// commonly configured low ports alone.
const pickFloor = 10000

// minPool is the fewest ports worth picking from at random; with less room
// below the ephemeral range, the kernel picks (port 0).
const minPool = 2000

var (
	mu sync.Mutex
	// given holds every port handed out by this process, so that two
	// tests running in parallel never get the same one, even after the
	// first has closed its server.
	given = map[int]bool{}
)

// FreePorts returns n distinct ports on 127.0.0.1 that were free a moment
// ago. They stay bound until the last is found, so none comes back twice,
// and this process never hands out a port twice. Another process can
// still take one before the caller binds it; callers that start servers
// retry on "address in use".
func FreePorts(n int) ([]int, error) {
	lo, hi, ranged := pickRange(ephemeralRange())
	mu.Lock()
	defer mu.Unlock()
	ports := make([]int, 0, n)
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		p := 0 // the kernel picks: no room outside its range, or too crowded
		if ranged && tries <= 100*n+1000 {
			if p = lo + rand.IntN(hi-lo); given[p] {
				continue
			}
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			if p == 0 {
				return nil, err
			}
			continue // in use
		}
		lns = append(lns, ln) // held, so the kernel cannot return it again
		if p = ln.Addr().(*net.TCPAddr).Port; given[p] {
			continue
		}
		ports = append(ports, p)
		given[p] = true
	}
	return ports, nil
}

// FreePort is FreePorts for one port.
func FreePort() (int, error) {
	p, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// ephemeralRange reads the kernel's ephemeral port range; ok is false where
// there is no such file (not Linux) or it cannot be parsed.
func ephemeralRange() (lo, hi int, ok bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	return parseRange(string(b))
}

func parseRange(s string) (lo, hi int, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo < 1 || hi < lo || hi > 65535 {
		return 0, 0, false
	}
	return lo, hi, true
}

// pickRange is the half-open range [lo, hi) to pick from, given the
// ephemeral range eLo..eHi (inclusive): the larger of the gaps below and
// above it, if it holds at least minPool ports.
func pickRange(eLo, eHi int, known bool) (lo, hi int, ok bool) {
	if !known {
		return 0, 0, false
	}
	belowLo, belowHi := pickFloor, eLo
	aboveLo, aboveHi := max(eHi+1, pickFloor), 65536
	if belowHi-belowLo >= aboveHi-aboveLo {
		lo, hi = belowLo, belowHi
	} else {
		lo, hi = aboveLo, aboveHi
	}
	if hi-lo < minPool {
		return 0, 0, false
	}
	return lo, hi, true
}

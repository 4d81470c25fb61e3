package routing

import "fmt"

// Read-balancing policies, the values of the proxy's read-balance setting.
const (
	// RoundRobin takes the healthy candidates in turn.
	RoundRobin = "round-robin"
	// LeastOutstanding takes the healthy candidate with the fewest
	// requests awaiting a reply, ties broken in turn.
	LeastOutstanding = "least-outstanding"
)

// Candidate is one node the balancer may pick, as the caller sees it at
// the moment of the pick.
type Candidate struct {
	// Healthy: eligible now (for a replica: link up, not loading, lag
	// under the limit). Unhealthy candidates are never picked.
	Healthy bool
	// Outstanding is the number of requests sent to the node and not yet
	// answered (by the caller's event loop); only LeastOutstanding reads
	// it.
	Outstanding int64
}

// Balancer picks a candidate per request. It is meant to live in one event
// loop and is not safe for concurrent use: each loop balances its own
// traffic, so loops never contend, and the spread over all loops is even
// because each one is.
type Balancer struct {
	least bool
	// next is where the next scan starts: one past the last pick. Both
	// policies rotate it so equal candidates share the load; with
	// LeastOutstanding on an idle proxy (all zero) a fixed start would send
	// everything to the first replica.
	next int
}

// NewBalancer returns a balancer for the policy: RoundRobin, or "" for
// the default (RoundRobin), or LeastOutstanding.
func NewBalancer(policy string) (*Balancer, error) {
	switch policy {
	case RoundRobin, "":
		return &Balancer{}, nil
	case LeastOutstanding:
		return &Balancer{least: true}, nil
	}
	return nil, fmt.Errorf("routing: unknown balance policy %q (want %q or %q)", policy, RoundRobin, LeastOutstanding)
}

// Pick returns the index in c of the chosen healthy candidate, or -1 when
// none is healthy. The candidates are matched by position: the caller keeps
// the slice in a stable order (replicas joining or leaving only shift the
// rotation, which is harmless).
//
// Round-robin takes the first healthy candidate at or after the rotation
// point, so an unhealthy one is skipped without its share falling on a
// single neighbour for good: the rotation moves on past the pick.
// Least-outstanding scans from the same rotation point and keeps the
// first candidate with the strictly smallest Outstanding.
func (b *Balancer) Pick(c []Candidate) int {
	n := len(c)
	if n == 0 {
		return -1
	}
	start := b.next
	if start >= n {
		start %= n
	}
	best := -1
	for k := 0; k < n; k++ {
		i := start + k
		if i >= n {
			i -= n
		}
		if !c[i].Healthy {
			continue
		}
		if !b.least {
			best = i
			break
		}
		if best < 0 || c[i].Outstanding < c[best].Outstanding {
			best = i
		}
	}
	if best >= 0 {
		b.next = best + 1
	}
	return best
}

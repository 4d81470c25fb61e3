package routing

import (
	"fmt"
	"testing"
)

func TestNewBalancer(t *testing.T) {
	for _, p := range []string{"", RoundRobin, LeastOutstanding} {
		if b, err := NewBalancer(p); err != nil || b == nil {
			t.Errorf("NewBalancer(%q) = %v, %v", p, b, err)
		}
	}
	for _, p := range []string{"roundrobin", "Round-Robin", "random", "least"} {
		if b, err := NewBalancer(p); err == nil || b != nil {
			t.Errorf("NewBalancer(%q) = %v, %v; want an error", p, b, err)
		}
	}
}

// cands builds candidates from a compact spec: "." unhealthy, a digit a
// healthy candidate with that many outstanding requests.
func cands(spec string) []Candidate {
	c := make([]Candidate, len(spec))
	for i, ch := range spec {
		if ch != '.' {
			c[i] = Candidate{Healthy: true, Outstanding: int64(ch - '0')}
		}
	}
	return c
}

func TestBalancerPick(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		// steps: candidate specs picked from in turn, and the expected
		// picks.
		steps []string
		want  []int
	}{
		{"rr empty", RoundRobin, []string{"", ""}, []int{-1, -1}},
		{"rr none healthy", RoundRobin, []string{"...", "..."}, []int{-1, -1}},
		{"rr one", RoundRobin, []string{"0", "0", "0"}, []int{0, 0, 0}},
		{"rr cycles", RoundRobin, []string{"000", "000", "000", "000"}, []int{0, 1, 2, 0}},
		{"rr skips unhealthy", RoundRobin, []string{"0.0", "0.0", "0.0", "0.0"}, []int{0, 2, 0, 2}},
		// The pick after an unhealthy run goes on from the pick, so the
		// healthy ones still alternate.
		{"rr skips a run", RoundRobin, []string{"0..0", "0..0", "0..0"}, []int{0, 3, 0}},
		{"rr ignores outstanding", RoundRobin, []string{"90", "90", "90"}, []int{0, 1, 0}},
		// A replica leaving shrinks the list: the rotation point wraps.
		{"rr list shrinks", RoundRobin, []string{"000", "000", "00", "00"}, []int{0, 1, 0, 1}},
		{"rr list grows", RoundRobin, []string{"00", "00", "000", "000"}, []int{0, 1, 2, 0}},
		{"rr recovers", RoundRobin, []string{"...", "0.0", "000"}, []int{-1, 0, 1}},

		{"lo empty", LeastOutstanding, []string{""}, []int{-1}},
		{"lo none healthy", LeastOutstanding, []string{"..."}, []int{-1}},
		{"lo least", LeastOutstanding, []string{"312", "302", "320"}, []int{1, 1, 2}},
		{"lo skips unhealthy least", LeastOutstanding, []string{"5.7", "9.7"}, []int{0, 2}},
		// Ties go round: an idle proxy must not send everything to the
		// first replica.
		{"lo ties rotate", LeastOutstanding, []string{"000", "000", "000", "000"}, []int{0, 1, 2, 0}},
		{"lo ties among least", LeastOutstanding, []string{"101", "101", "101"}, []int{1, 1, 1}},
		{"lo tie after pick", LeastOutstanding, []string{"1010", "1010", "1010"}, []int{1, 3, 1}},
	}
	for _, tc := range tests {
		b, err := NewBalancer(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, s := range tc.steps {
			got = append(got, b.Pick(cands(s)))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: picks %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBalancerSpread checks the long-run shares: equal over healthy
// candidates, none to unhealthy ones, and least-outstanding following
// load when the caller counts its own outstanding requests.
func TestBalancerSpread(t *testing.T) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		b, _ := NewBalancer(policy)
		c := cands("0.00.0")
		count := make([]int, len(c))
		for i := 0; i < 4000; i++ {
			count[b.Pick(c)]++
		}
		want := []int{1000, 0, 1000, 1000, 0, 1000}
		if fmt.Sprint(count) != fmt.Sprint(want) {
			t.Errorf("%s: spread %v, want %v", policy, count, want)
		}
	}

	// A slow node: nodes 0 and 1 answer everything within a step, node 2
	// one request every fourth step. Least-outstanding gives node 2 what
	// it can answer (a quarter of the steps) and keeps its queue at one;
	// round-robin gives it a third and its queue grows.
	for _, tc := range []struct {
		policy   string
		min, max int // node 2's share
		maxQueue int64
	}{
		{LeastOutstanding, 749, 751, 1},
		{RoundRobin, 1000, 1000, 260},
	} {
		b, _ := NewBalancer(tc.policy)
		c := cands("000")
		count := make([]int, len(c))
		for step := 0; step < 3000; step++ {
			i := b.Pick(c)
			count[i]++
			c[i].Outstanding++
			c[0].Outstanding, c[1].Outstanding = 0, 0
			if step%4 == 0 && c[2].Outstanding > 0 {
				c[2].Outstanding--
			}
		}
		if count[2] < tc.min || count[2] > tc.max || c[2].Outstanding > tc.maxQueue || abs(count[0]-count[1]) > 1 {
			t.Errorf("%s with a slow node: picks %v, node 2 queue %d", tc.policy, count, c[2].Outstanding)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func BenchmarkBalancerPick(b *testing.B) {
	for _, policy := range []string{RoundRobin, LeastOutstanding} {
		b.Run(policy, func(b *testing.B) {
			bal, _ := NewBalancer(policy)
			c := cands("3.120")
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				n += bal.Pick(c)
			}
			_ = n
		})
	}
}

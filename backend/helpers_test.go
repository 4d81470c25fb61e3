package backend

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// Shared scaffolding of the differential tests: each starts a real
// redis-server and a warden, then sends both the same script and compares
// the replies byte for byte, in RESP2 and RESP3.

// steps collects the steps of a differential script.
type steps []testutil.Step

func (s *steps) add(args ...string) { *s = append(*s, testutil.Step{Args: args}) }

// addUnordered adds a step whose reply may list its elements in any order.
func (s *steps) addUnordered(args ...string) {
	*s = append(*s, testutil.Step{Args: args, Unordered: true})
}

// runDiff runs script against warden and a real redis-server in RESP2 and
// RESP3; script gets a key prefix so the two runs do not see each other's
// data.
func runDiff(t *testing.T, script func(p string) []testutil.Step, redisArgs []string, tweak func(*Options)) {
	t.Helper()
	adminDiff(t, func(proto int) []testutil.Step { return script(fmt.Sprintf("{p%d}:", proto)) }, redisArgs, tweak)
}

// adminDiff runs steps(proto) against warden and redis-server in RESP2
// and RESP3.
func adminDiff(t *testing.T, steps func(proto int) []testutil.Step, redisArgs []string, tweak func(*Options)) {
	t.Helper()
	adminDiffProtos(t, []int{2, 3}, steps, redisArgs, tweak)
}

// adminDiffProtos is adminDiff for the protocol versions given.
func adminDiffProtos(t *testing.T, protos []int, steps func(proto int) []testutil.Step, redisArgs []string, tweak func(*Options)) {
	t.Helper()
	real := testutil.StartRedis(t, redisArgs...)
	_, addr := startTestServer(t, tweak)
	for _, proto := range protos {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			testutil.RunScript(t, addr, real.Addr(), proto, steps(proto))
		})
	}
}

// propLog collects what a server propagates, one "db args..." line each.
type propLog struct {
	mu    sync.Mutex
	lines []string
}

// recordPropagation starts recording what s propagates.
func recordPropagation(s *Server) *propLog {
	p := &propLog{}
	s.Lock()
	s.AddPropagator(func(db int, args [][]byte) {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = string(a)
		}
		p.mu.Lock()
		p.lines = append(p.lines, fmt.Sprintf("%d %s", db, strings.Join(parts, " ")))
		p.mu.Unlock()
	})
	s.Unlock()
	return p
}

func (p *propLog) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// expect checks the commands propagated so far.
func (p *propLog) expect(t *testing.T, want ...string) {
	t.Helper()
	p.check(t, p.get(), want)
}

// expectNext checks the commands propagated since the last expectNext.
func (p *propLog) expectNext(t *testing.T, want ...string) {
	t.Helper()
	p.mu.Lock()
	got := p.lines
	p.lines = nil
	p.mu.Unlock()
	p.check(t, got, want)
}

func (p *propLog) check(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("propagated:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

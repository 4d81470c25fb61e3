package testutil

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Step is one command of a differential script.
type Step struct {
	Args []string
	// Unordered marks a reply whose element order may legitimately differ
	// between servers (SMEMBERS, HGETALL, KEYS): the top-level elements are
	// compared as a multiset. Maps (RESP3 %) compare as sets of key/value
	// pairs; so do flat key/value arrays, see Pairs.
	Unordered bool
	// Pairs marks a flat array of alternating keys and values, compared as
	// pairs when Unordered. With RESP2 it is implied for HGETALL, CONFIG
	// GET, ZPOPMIN/ZPOPMAX and commands with WITHSCORES or WITHVALUES.
	Pairs bool
}

// RunScript runs steps against the servers at addrA and addrB (one
// connection each, after HELLO 3 when proto is 3) and fails the test with a
// readable diff of every step whose raw replies differ.
func RunScript(t testing.TB, addrA, addrB string, proto int, steps []Step) {
	t.Helper()
	if diffs := CompareScript(t, addrA, addrB, proto, steps); len(diffs) > 0 {
		t.Errorf("%d of %d steps differ between A (%s) and B (%s), RESP%d:\n%s",
			len(diffs), len(steps), addrA, addrB, proto, strings.Join(diffs, "\n"))
	}
}

// CompareScript is RunScript returning the differences, one readable
// message per differing step, instead of failing the test; nil means the
// servers agreed. It fails the test only when it cannot run the script (no
// connection, HELLO refused). An I/O error on a step is reported as a
// difference and ends the script, since the connections are then out of
// step.
func CompareScript(t testing.TB, addrA, addrB string, proto int, steps []Step) []string {
	t.Helper()
	if proto != 2 && proto != 3 {
		t.Fatalf("testutil: protocol must be 2 or 3, not %d", proto)
	}
	a, b := Dial(t, addrA), Dial(t, addrB)
	defer a.Close()
	defer b.Close()
	if proto == 3 {
		for _, c := range []*RawConn{a, b} {
			if r := c.Do("HELLO", "3"); len(r) > 0 && r[0] == '-' {
				t.Fatalf("testutil: HELLO 3 to %s: %q", c.c.RemoteAddr(), r)
			}
		}
	}
	var diffs []string
	for i, s := range steps {
		ra, errA := a.TryDo(s.Args...)
		rb, errB := b.TryDo(s.Args...)
		head := fmt.Sprintf("step %d: %s", i, FormatCommand(s.Args))
		if errA != nil || errB != nil {
			diffs = append(diffs, fmt.Sprintf("%s\n  A: %s\n  B: %s\n  (script stopped)",
				head, replyOrError(ra, errA), replyOrError(rb, errB)))
			break
		}
		pairs := s.Pairs || (proto == 2 && impliesPairs(s.Args))
		if same, why := compareReplies(ra, rb, s.Unordered, pairs); !same {
			if s.Unordered {
				head += " (unordered)"
			}
			msg := fmt.Sprintf("%s\n  A: %q\n  B: %q", head, ra, rb)
			if why != "" {
				msg += "\n  " + strings.ReplaceAll(why, "\n", "\n  ")
			}
			diffs = append(diffs, msg)
		}
	}
	return diffs
}

func replyOrError(r []byte, err error) string {
	if err != nil {
		return fmt.Sprintf("error: %v (read so far %q)", err, r)
	}
	return strconv.Quote(string(r))
}

// FormatCommand renders a command for messages: words as they are, quoted
// when empty or holding spaces, quotes or non-printable bytes.
func FormatCommand(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.IndexFunc(a, func(r rune) bool {
			return r <= ' ' || r == '"' || r == '\'' || r == 0x7f || r == 0xfffd
		}) >= 0 {
			b.WriteString(strconv.Quote(a))
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// impliesPairs reports commands whose RESP2 reply is a flat key/value
// array (their RESP3 replies are maps or nested pairs instead).
func impliesPairs(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch strings.ToUpper(args[0]) {
	case "HGETALL", "ZPOPMIN", "ZPOPMAX":
		return true
	case "CONFIG":
		return len(args) > 1 && strings.EqualFold(args[1], "GET")
	}
	for _, a := range args[1:] {
		if strings.EqualFold(a, "WITHSCORES") || strings.EqualFold(a, "WITHVALUES") {
			return true
		}
	}
	return false
}

// compareReplies compares two raw replies: byte for byte, or if unordered
// as multisets of top-level elements (pairs for maps, and for flat arrays
// when pairs). why explains an unordered difference.
func compareReplies(a, b []byte, unordered, pairs bool) (same bool, why string) {
	if bytes.Equal(a, b) {
		return true, ""
	}
	if !unordered {
		return false, ""
	}
	// An attribute must match exactly; the reply it annotates is compared
	// by the same rules as an unannotated one.
	if len(a) > 0 && len(b) > 0 && a[0] == '|' && b[0] == '|' {
		attrA, restA, errA := splitAttribute(a)
		attrB, restB, errB := splitAttribute(b)
		if errA != nil || errB != nil {
			return false, "cannot frame attributes"
		}
		if !bytes.Equal(attrA, attrB) {
			return false, "attributes differ"
		}
		return compareReplies(restA, restB, unordered, pairs)
	}
	hdrA, elemsA, errA := splitAggregate(a)
	hdrB, elemsB, errB := splitAggregate(b)
	switch {
	case errA != nil || errB != nil:
		return false, "" // not both aggregates: only exact equality counts
	case !bytes.Equal(hdrA, hdrB):
		return false, fmt.Sprintf("headers differ: %q vs %q", hdrA, hdrB)
	}
	unit := 1
	if hdrA[0] == '%' || (hdrA[0] == '*' && pairs && len(elemsA)%2 == 0) {
		unit = 2
	}
	ua, ub := group(elemsA, unit), group(elemsB, unit)
	onlyA, onlyB := multisetDiff(ua, ub)
	if len(onlyA) == 0 && len(onlyB) == 0 {
		return true, ""
	}
	what := "elements"
	if unit == 2 {
		what = "pairs"
	}
	return false, fmt.Sprintf("%s only in A: %s\n%s only in B: %s", what, quoteAll(onlyA), what, quoteAll(onlyB))
}

// splitAttribute separates a leading attribute from the reply after it.
func splitAttribute(b []byte) (attr, rest []byte, err error) {
	_, elems, err := splitAggregate(b)
	if err != nil {
		return nil, nil, err
	}
	n := 0
	for _, e := range elems {
		n += len(e)
	}
	hdrLen := bytes.IndexByte(b, '\n') + 1
	return b[:hdrLen+n], b[hdrLen+n:], nil
}

// splitAggregate returns the header line of a counted aggregate (* ~ > %
// |) and the raw bytes of its elements (2n for maps and attributes).
func splitAggregate(b []byte) (hdr []byte, elems [][]byte, err error) {
	if len(b) == 0 || !strings.ContainsRune("*~>%|", rune(b[0])) {
		return nil, nil, protoErrorf("not an aggregate")
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, nil, protoErrorf("no header line")
	}
	hdr = b[:nl+1]
	n, err := strconv.Atoi(string(hdr[1 : len(hdr)-2]))
	if err != nil || n < 0 {
		return nil, nil, protoErrorf("not a counted aggregate")
	}
	if b[0] == '%' || b[0] == '|' {
		n *= 2
	}
	rest := b[nl+1:]
	for i := 0; i < n; i++ {
		var e []byte
		if e, rest, err = SplitReply(rest); err != nil {
			return nil, nil, err
		}
		elems = append(elems, e)
	}
	return hdr, elems, nil
}

// group joins consecutive elements into units of n; RESP elements are self
// delimiting, so concatenation keeps units distinct.
func group(elems [][]byte, n int) []string {
	units := make([]string, 0, len(elems)/n)
	for i := 0; i+n <= len(elems); i += n {
		units = append(units, string(bytes.Join(elems[i:i+n], nil)))
	}
	return units
}

// multisetDiff returns the units of a missing from b and of b missing
// from a, counting repeats.
func multisetDiff(a, b []string) (onlyA, onlyB []string) {
	count := make(map[string]int)
	for _, u := range a {
		count[u]++
	}
	for _, u := range b {
		count[u]--
	}
	for _, u := range a {
		if count[u] > 0 {
			onlyA = append(onlyA, u)
			count[u]--
		}
	}
	for _, u := range b {
		if count[u] < 0 {
			onlyB = append(onlyB, u)
			count[u]++
		}
	}
	slices.Sort(onlyA)
	slices.Sort(onlyB)
	return onlyA, onlyB
}

func quoteAll(units []string) string {
	if len(units) == 0 {
		return "none"
	}
	q := make([]string, len(units))
	for i, u := range units {
		q[i] = strconv.Quote(u)
	}
	return strings.Join(q, ", ")
}

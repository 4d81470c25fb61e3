package backend

// requireSameDataset and small helpers of the replication tests; the dump
// itself is internal/testutil's DumpDataset.

import (
	"context"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// requireSameDataset fails the test unless the nodes at a and b hold the
// same data, retrying for up to timeout (replication is asynchronous).
func requireSameDataset(t testing.TB, a, b string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		da, errA := testutil.DumpDataset(ctx, a)
		db, errB := testutil.DumpDataset(ctx, b)
		cancel()
		msg := ""
		switch {
		case errA != nil:
			msg = "dump " + a + ": " + errA.Error()
		case errB != nil:
			msg = "dump " + b + ": " + errB.Error()
		default:
			msg = testutil.DiffDatasets(da, db)
			if msg == "" {
				if len(da) == 0 {
					t.Fatalf("datasets of %s and %s are both empty", a, b)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("datasets of %s (A) and %s (B) differ: %s", a, b, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

func runProgram(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

package backend

// requireSameDataset and small helpers of the replication tests; the dump
// itself is internal/testutil's DumpDataset.

import (
	"context"
	"os/exec"
	"sync"
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
		da, db, errA, errB := dumpBoth(a, b)
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

// dumpBoth dumps the two nodes at once, each under its own deadline: a
// million-key dump takes tens of seconds under -race on two cores, and
// one shared deadline made the second dump fail for the first one's time.
func dumpBoth(a, b string) (da, db map[string]string, errA, errB error) {
	dump := func(addr string, out *map[string]string, err *error, wg *sync.WaitGroup) {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		*out, *err = testutil.DumpDataset(ctx, addr)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go dump(a, &da, &errA, &wg)
	go dump(b, &db, &errB, &wg)
	wg.Wait()
	return da, db, errA, errB
}

func runProgram(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

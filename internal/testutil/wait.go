package testutil

import (
	"testing"
	"time"
)

// WaitFor polls cond every interval until it reports true, and fails the
// test with cond's last message if timeout passes first. cond's message says
// what was seen ("role is slave, want master"), so a timeout explains
// itself. It must be called from the test's goroutine (it may call Fatalf).
func WaitFor(t testing.TB, timeout, interval time.Duration, cond func() (bool, string)) {
	t.Helper()
	if msg, ok := poll(timeout, interval, cond); !ok {
		t.Fatalf("condition not met within %v: %s", timeout, msg)
	}
}

// poll is WaitFor without the test: it returns cond's last message and
// whether cond held before the deadline. cond is always tried at least once,
// and once more at the deadline, so a short timeout is not a lost cause.
func poll(timeout, interval time.Duration, cond func() (bool, string)) (string, bool) {
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return msg, true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return msg, false
		}
		time.Sleep(min(interval, left))
	}
}

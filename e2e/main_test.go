package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.RemoveWardenBuild()
	os.Exit(code)
}

// newClient returns a go-redis client for addr with opts applied, closed
// at cleanup. Timeouts are short enough that a hung server fails the test
// rather than the whole run.
func newClient(t testing.TB, addr string, tweak func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{
		Addr:         addr,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		MaxRetries:   -1, // a retried command would hide a dropped connection
	}
	if tweak != nil {
		tweak(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// ctxT is a context bounded by the test's deadline (or a minute).
func ctxT(t testing.TB) context.Context {
	t.Helper()
	d := time.Now().Add(time.Minute)
	if tt, ok := t.(*testing.T); ok {
		if dl, ok := tt.Deadline(); ok && dl.Before(d) {
			d = dl
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// TestSmokeRedisServer runs the generator briefly against a real
// redis-server: it checks that the load runs and that the figures agree
// with what the server counted, not how fast it is.
func TestSmokeRedisServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	srv := testutil.StartRedis(t)
	if err := fill(t.Context(), srv.Addr(), 100, 5); err != nil {
		t.Fatal(err)
	}
	mix, err := ParseMix("set:1,get:1,incr:2")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), Options{Addr: srv.Addr(), Clients: 4, Pipeline: 8, Requests: 2000, Mix: mix,
		Keyspace: 100, ValueSize: 5, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2000 || res.Errors != 0 {
		t.Fatalf("%d requests, %d errors (%s)", res.Requests, res.Errors, res.FirstError)
	}
	if get := res.Commands[1]; get.Misses != 0 {
		t.Errorf("%d GET misses on a filled key space", get.Misses)
	}
	// The server counted the same commands.
	v, err := doOnce(srv.Addr(), 2*time.Second, "INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"cmdstat_incr:calls=1000,", "cmdstat_get:calls=500,"} {
		if !containsLine(v.Str, c) {
			t.Errorf("INFO commandstats lacks %q:\n%s", c, v.Str)
		}
	}
	// 100 fill SETs, 500 from the run.
	if !containsLine(v.Str, "cmdstat_set:calls=600,") {
		t.Errorf("INFO commandstats: want 600 SETs:\n%s", v.Str)
	}
}

func containsLine(text, prefix string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimRight(l, "\r"), prefix) {
			return true
		}
	}
	return false
}

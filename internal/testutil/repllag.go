package testutil

// Replica lag under load, measured from outside as an operator would: the
// master's master_repl_offset and each replica's own slave_repl_offset are
// sampled together every few milliseconds. A replica's lag at a sample is
// how long ago the master had already reached the offset the replica
// reports now; the byte lag is the master's offset minus the replica's.
// This uses the replica's own offset, not the one it acknowledges to the
// master (INFO's slaveN:offset), which moves only once a second.

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// LagSampler samples one master and its replicas until Stop.
type LagSampler struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	master  []offsetSample
	replica [][]offsetSample
}

type offsetSample struct {
	at  time.Time
	off int64
}

// LagStats is one replica's lag over a run.
type LagStats struct {
	Samples       int
	P50, P99, Max time.Duration
	MaxBytes      int64
}

func (s LagStats) String() string {
	return fmt.Sprintf("lag p50 %v p99 %v max %v (%d samples), max %d bytes behind",
		s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.Max.Round(time.Millisecond), s.Samples, s.MaxBytes)
}

// SampleLag starts sampling every interval.
func SampleLag(interval time.Duration, master string, replicas ...string) *LagSampler {
	l := &LagSampler{stop: make(chan struct{}), replica: make([][]offsetSample, len(replicas))}
	dial := func(addr string) *redis.Client {
		return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, ReadTimeout: 5 * time.Second})
	}
	mc := dial(master)
	rcs := make([]*redis.Client, len(replicas))
	for i, a := range replicas {
		rcs[i] = dial(a)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer mc.Close()
		for _, c := range rcs {
			defer c.Close()
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			if o, ok := replOffset(mc, "master_repl_offset"); ok {
				l.master = append(l.master, offsetSample{time.Now(), o})
			}
			for i, c := range rcs {
				if o, ok := replOffset(c, "slave_repl_offset"); ok {
					l.replica[i] = append(l.replica[i], offsetSample{time.Now(), o})
				}
			}
		}
	}()
	return l
}

func replOffset(c *redis.Client, field string) (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// Stop ends the sampling and returns each replica's figures, in the order
// the replicas were given.
func (l *LagSampler) Stop() []LagStats {
	close(l.stop)
	l.wg.Wait()
	out := make([]LagStats, len(l.replica))
	for i, rs := range l.replica {
		out[i] = lagStats(l.master, rs)
	}
	return out
}

// lagStats computes one replica's lag from the two sample series (both in
// time order). The lag at a replica sample is the time since the first
// master sample that was already beyond the replica's offset: a lower
// bound, exact to one sampling interval.
func lagStats(ms, rs []offsetSample) LagStats {
	st := LagStats{Samples: len(rs)}
	lags := make([]time.Duration, 0, len(rs))
	j, k := 0, 0
	for _, r := range rs {
		for j < len(ms) && ms[j].off <= r.off {
			j++
		}
		lag := time.Duration(0)
		if j < len(ms) && ms[j].at.Before(r.at) {
			lag = r.at.Sub(ms[j].at)
		}
		lags = append(lags, lag)
		// The master's latest offset known when the replica was sampled.
		for k+1 < len(ms) && !ms[k+1].at.After(r.at) {
			k++
		}
		if k < len(ms) && !ms[k].at.After(r.at) {
			st.MaxBytes = max(st.MaxBytes, ms[k].off-r.off)
		}
	}
	if len(lags) == 0 {
		return st
	}
	sort.Slice(lags, func(a, b int) bool { return lags[a] < lags[b] })
	q := func(f float64) time.Duration { return lags[min(len(lags)-1, int(f*float64(len(lags))))] }
	st.P50, st.P99, st.Max = q(0.5), q(0.99), lags[len(lags)-1]
	return st
}

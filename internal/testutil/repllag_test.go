package testutil

import (
	"testing"
	"time"
)

func TestLagStats(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name     string
		master   []offsetSample
		replica  []offsetSample
		max      time.Duration
		maxBytes int64
	}{
		{
			name:    "in step",
			master:  []offsetSample{{at(0), 10}, {at(20), 20}, {at(40), 30}},
			replica: []offsetSample{{at(1), 10}, {at(21), 20}, {at(41), 30}},
		},
		{
			name:     "idle master is no lag",
			master:   []offsetSample{{at(0), 10}, {at(20), 10}, {at(40), 10}},
			replica:  []offsetSample{{at(1), 10}, {at(21), 10}, {at(41), 10}},
			maxBytes: 0,
		},
		{
			name:     "stuck replica",
			master:   []offsetSample{{at(0), 10}, {at(20), 20}, {at(40), 30}, {at(60), 40}},
			replica:  []offsetSample{{at(1), 10}, {at(21), 10}, {at(41), 10}, {at(61), 40}},
			max:      21 * time.Millisecond,
			maxBytes: 20,
		},
		{
			name:     "behind from the start",
			master:   []offsetSample{{at(0), 50}, {at(100), 50}},
			replica:  []offsetSample{{at(1), 0}, {at(101), 50}},
			max:      time.Millisecond,
			maxBytes: 50,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := lagStats(tt.master, tt.replica)
			if st.Max != tt.max || st.MaxBytes != tt.maxBytes || st.Samples != len(tt.replica) {
				t.Fatalf("got %v, want max %v and %d bytes", st, tt.max, tt.maxBytes)
			}
		})
	}
}

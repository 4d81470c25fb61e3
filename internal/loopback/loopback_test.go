package loopback

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	more, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	eLo, eHi, known := ephemeralRange()
	_, _, ranged := pickRange(eLo, eHi, known)
	seen := map[int]bool{}
	for _, p := range append(ports, more...) {
		if p <= 0 || seen[p] {
			t.Fatalf("port %d repeated or invalid in %v %v", p, ports, more)
		}
		seen[p] = true
		if ranged && p >= eLo && p <= eHi {
			t.Errorf("port %d is in the ephemeral range %d-%d", p, eLo, eHi)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		ln.Close()
	}
}

func TestPickRange(t *testing.T) {
	for _, tc := range []struct {
		name       string
		text       string
		lo, hi     int
		wantPicked bool
	}{
		{"linux default", "32768\t60999\n", 10000, 32768, true},
		{"old linux default", "1024 4999", 10000, 65536, true},
		{"too little room", "9000 64000", 0, 0, false},
		{"room only above", "9000 63000", 63001, 65536, true},
		{"above larger", "12000 40000", 40001, 65536, true},
		{"whole range", "1024 65535", 0, 0, false},
		{"garbage", "x y", 0, 0, false},
		{"one field", "32768", 0, 0, false},
		{"reversed", "60999 32768", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eLo, eHi, known := parseRange(tc.text)
			lo, hi, ok := pickRange(eLo, eHi, known)
			if ok != tc.wantPicked || ok && (lo != tc.lo || hi != tc.hi) {
				t.Errorf("pickRange(%q) = %d, %d, %v; want %d, %d, %v", tc.text, lo, hi, ok, tc.lo, tc.hi, tc.wantPicked)
			}
		})
	}
}

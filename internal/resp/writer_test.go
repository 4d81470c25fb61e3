package resp

import (
	"math"
	"testing"
)

func TestAppendG17(t *testing.T) {
	// Expected values are C's printf("%.17g"), which Redis 7.0 uses for
	// double replies.
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-1, "-1"}, {1.5, "1.5"}, {1.1, "1.1000000000000001"},
		{0.1, "0.10000000000000001"}, {100, "100"}, {1e17, "1e+17"}, {1e16, "10000000000000000"},
		{123456789012345678, "1.2345678901234568e+17"}, {0.0001, "0.0001"}, {0.00001, "1.0000000000000001e-05"},
		{3.0e-300, "3.0000000000000002e-300"}, {-2.5e20, "-2.5e+20"}, {math.MaxFloat64, "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		if got := string(AppendG17(nil, tt.in)); got != tt.want {
			t.Errorf("AppendG17(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendTypes(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(AppendNull(nil, 2)), "$-1\r\n"},
		{string(AppendNull(nil, 3)), "_\r\n"},
		{string(AppendNullArray(nil, 2)), "*-1\r\n"},
		{string(AppendMap(nil, 2, 2)), "*4\r\n"},
		{string(AppendMap(nil, 2, 3)), "%2\r\n"},
		{string(AppendSet(nil, 1, 3)), "~1\r\n"},
		{string(AppendPush(nil, 3, 3)), ">3\r\n"},
		{string(AppendBool(nil, true, 2)), ":1\r\n"},
		{string(AppendBool(nil, false, 3)), "#f\r\n"},
		{string(AppendDouble(nil, 1.5, 2)), "$3\r\n1.5\r\n"},
		{string(AppendDouble(nil, math.Inf(-1), 3)), ",-inf\r\n"},
		{string(AppendVerbatim(nil, "txt", []byte("hi"), 3)), "=6\r\ntxt:hi\r\n"},
		{string(AppendBulkInt(nil, -42)), "$3\r\n-42\r\n"},
		{string(AppendCommandStrings(nil, "GET", "k")), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestBenchListFlags(t *testing.T) {
	if got, err := intList("1, 16,,4"); err != nil || !reflect.DeepEqual(got, []int{1, 16, 4}) {
		t.Errorf("intList = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1,x", "-3"} {
		if _, err := intList(bad); err == nil {
			t.Errorf("intList(%q) accepted", bad)
		}
	}
	if got := nameList(" Direct,proxy ,, HAProxy"); !reflect.DeepEqual(got, []string{"direct", "proxy", "haproxy"}) {
		t.Errorf("nameList = %q", got)
	}
}

// TestBenchUsageErrors: bad command lines exit 2 before anything is
// started or dialled.
func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "10", "-d", "1s"},
		{"--mix", "flushall"},
		{"-c", "0"},
		{"--markdown", "--json"},
		{"extra"},
		{"--no-such-flag"},
		{"compare", "--pipelines", "0"},
		{"compare", "-n", "10", "-d", "1s"},
		{"compare", "stray"},
		{"failover", "stray"},
	} {
		if code := runBench(args); code != 2 {
			t.Errorf("warden bench %q: exit %d, want 2", args, code)
		}
	}
	if code := runBench([]string{"--help"}); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
}

func TestResultsDir(t *testing.T) {
	root := t.TempDir()
	want := filepath.Join(root, "benchmarks", "results")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "cmd", "warden")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	if got := resultsDir(); got != want {
		t.Errorf("resultsDir from %s = %s, want %s", sub, got, want)
	}
}

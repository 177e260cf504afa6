package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	var s []time.Duration
	for _, v := range []int{50, 10, 40, 20, 30, 100, 90, 80, 70, 60} {
		s = append(s, time.Duration(v)*time.Millisecond)
	}
	got := Summarize(s, 1)
	if got.Min != 10*time.Millisecond || got.Max != 100*time.Millisecond || got.Median != 55*time.Millisecond ||
		got.P90 != 90*time.Millisecond || got.N != 10 || got.Failed != 1 {
		t.Fatalf("%+v", got)
	}
	if want := "10 / 55 / 90 / 100 (1 of 11 missing)"; got.String() != want {
		t.Fatalf("%q, want %q", got.String(), want)
	}
	if one := Summarize([]time.Duration{7 * time.Millisecond}, 0); one.Median != 7*time.Millisecond || one.P90 != 7*time.Millisecond {
		t.Fatalf("%+v", one)
	}
	if none := Summarize(nil, 2); none.String() != "none (2 failed)" {
		t.Fatalf("%q", none.String())
	}
}

func TestParseBenchmark(t *testing.T) {
	out := "SENTINEL get-master-addr-by-name mymaster: rps=0.0 (overall: 0.0) avg_msec=-nan (overall: -nan)\r" +
		"SENTINEL get-master-addr-by-name mymaster: rps=77500.0 (overall: 77191.2) avg_msec=0.347 (overall: 0.347)\r" +
		"SENTINEL get-master-addr-by-name mymaster: 82000.82 requests per second, p50=0.311 msec\n" +
		"WARNING: Could not fetch server CONFIG\n"
	rps, p50, err := parseBenchmark(out)
	if err != nil || rps != 82000.82 || p50 != 0.311 {
		t.Fatalf("%v %v %v", rps, p50, err)
	}
	if _, _, err := parseBenchmark("Could not connect to Redis at 127.0.0.1:1: Connection refused"); err == nil {
		t.Fatal("no error for output without a result")
	}
}

func TestProcFigures(t *testing.T) {
	// burn a little CPU so that the figure cannot be zero
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = strings.Repeat("x", x%64)
	}
	cpu, err := cpuTime(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Fatalf("cpu %v %v", cpu, err)
	}
	rss, err := rssBytes(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Fatalf("rss %v %v", rss, err)
	}
	if _, err := cpuTime(-1); err == nil {
		t.Fatal("no error for a missing process")
	}
}

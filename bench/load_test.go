package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSummary(t *testing.T) {
	good := summaryMarker + " requests=30000 duration_us=3000000 p50_us=250 p99_us=1200 connect=0 read=0 write=0 status=0 timeout=0"
	tests := []struct {
		name    string
		out     string
		want    loadResult
		wantErr string
	}{
		{
			name: "wrk output around the summary",
			out:  "Running 3s test @ http://127.0.0.1:1/app\n  2 threads and 32 connections\n" + good + "\nRequests/sec: 10000.00\n",
			want: loadResult{requests: 30000, elapsed: 3 * time.Second, p50: 250 * time.Microsecond, p99: 1200 * time.Microsecond},
		},
		{
			name: "errors of every kind are added up",
			out:  summaryMarker + " requests=10 duration_us=1000000 p50_us=1 p99_us=2 connect=1 read=2 write=3 status=4 timeout=5",
			want: loadResult{requests: 10, elapsed: time.Second, p50: time.Microsecond, p99: 2 * time.Microsecond, errors: 15},
		},
		{name: "no summary", out: "Running 3s test\n", wantErr: "no summary line"},
		{name: "two summaries", out: good + "\n" + good, wantErr: "more than one"},
		{name: "missing field", out: strings.Replace(good, " timeout=0", "", 1), wantErr: "lacks timeout"},
		{name: "unknown field", out: good + " extra=1", wantErr: "10 fields"},
		{name: "repeated field", out: good + " status=1", wantErr: "given twice"},
		{name: "not key=value", out: good + " oops", wantErr: "not key=value"},
		{name: "negative", out: strings.Replace(good, "p99_us=1200", "p99_us=-1", 1), wantErr: "non-negative"},
		{name: "fraction", out: strings.Replace(good, "p50_us=250", "p50_us=250.5", 1), wantErr: "non-negative integer"},
		{name: "overflowing duration", out: strings.Replace(good, "p99_us=1200", "p99_us=9223372036854775807", 1), wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSummary(tt.out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSummary: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSummary: %v", err)
			}
			if got != tt.want {
				t.Fatalf("parseSummary = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadResultRPS(t *testing.T) {
	if got := (loadResult{requests: 3000, elapsed: 1500 * time.Millisecond}).rps(); got != 2000 {
		t.Fatalf("3000 requests in 1.5 s: %v req/s, want 2000", got)
	}
	if got := (loadResult{requests: 5}).rps(); got != 0 {
		t.Fatalf("a run with no elapsed time: %v req/s, want 0", got)
	}
}

// FuzzParseSummary feeds the parser arbitrary load-generator output: it
// must not panic, and whatever it accepts must be non-negative.
func FuzzParseSummary(f *testing.F) {
	f.Add(summaryMarker + " requests=1 duration_us=1 p50_us=1 p99_us=1 connect=0 read=0 write=0 status=0 timeout=0")
	f.Add(summaryMarker + " requests=1 requests=2")
	f.Add(summaryMarker + " =")
	f.Add("garbage\n" + summaryMarker)
	f.Fuzz(func(t *testing.T, out string) {
		r, err := parseSummary(out)
		if err != nil {
			return
		}
		if r.requests < 0 || r.elapsed < 0 || r.p50 < 0 || r.p99 < 0 || r.errors < 0 {
			t.Fatalf("accepted negative values: %+v", r)
		}
	})
}

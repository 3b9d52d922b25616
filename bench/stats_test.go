package main

import (
	"math"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "odd count", in: []float64{3, 1, 2}, want: 2},
		{name: "even count takes the mean of the middle two", in: []float64{4, 1, 3, 2}, want: 2.5},
		{name: "one value", in: []float64{7}, want: 7},
		{name: "NaNs are left out", in: []float64{math.NaN(), 5, 1, math.NaN(), 3}, want: 3},
		{name: "none", in: nil, want: math.NaN()},
		{name: "only NaNs", in: []float64{math.NaN()}, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := median(tt.in)
			if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Fatalf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMedianLeavesItsInputAlone(t *testing.T) {
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Fatalf("median reordered its input: %v", in)
	}
}

// mkRun is a measurement of n requests in one second using cpu of CPU time,
// with both latencies set to lat.
func mkRun(setup string, round int, n int64, cpu, lat time.Duration) measurement {
	return measurement{
		setup: setup, conns: 8, round: round, cpu: cpu,
		load: loadResult{requests: n, elapsed: time.Second, p50: lat, p99: 2 * lat},
	}
}

func TestSummarizeComparesWithThePlainRunOfTheSameRound(t *testing.T) {
	setups := []setup{{key: setupPlain}, {key: "gate"}}
	// The machine gets twice as fast in round 1; the gate stays at 80% of
	// plain throughput and 1.5x its CPU per request within each round.
	ms := []measurement{
		mkRun(setupPlain, 0, 1000, 100*time.Millisecond, 100*time.Microsecond),
		mkRun("gate", 0, 800, 120*time.Millisecond, 150*time.Microsecond),
		mkRun(setupPlain, 1, 2000, 100*time.Millisecond, 50*time.Microsecond),
		mkRun("gate", 1, 1600, 120*time.Millisecond, 75*time.Microsecond),
		mkRun(setupPlain, 2, 1000, 100*time.Millisecond, 100*time.Microsecond),
		mkRun("gate", 2, 800, 120*time.Millisecond, 150*time.Microsecond),
	}
	rows := summarize(setups, []int{8}, ms)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	plain, gate := rows[0], rows[1]
	if plain.setup.key != setupPlain || plain.rpsRatio != 1 || plain.extraCPU != 0 {
		t.Fatalf("plain row compares unequal to itself: %+v", plain)
	}
	if gate.rounds != 3 || gate.rps != 800 || gate.p50 != 150*time.Microsecond || gate.p99 != 300*time.Microsecond {
		t.Fatalf("gate medians: %+v", gate)
	}
	if math.Abs(gate.rpsRatio-0.8) > 1e-9 || math.Abs(gate.p50Ratio-1.5) > 1e-9 || math.Abs(gate.p99Ratio-1.5) > 1e-9 {
		t.Fatalf("gate ratios: req/s %v p50 %v p99 %v, want 0.8 1.5 1.5", gate.rpsRatio, gate.p50Ratio, gate.p99Ratio)
	}
	// CPU/req: round 0 and 2: 150 µs vs 100 µs; round 1: 75 µs vs 50 µs.
	if gate.cpuReq != 150*time.Microsecond || math.Abs(gate.cpuRatio-1.5) > 1e-9 || gate.extraCPU != 50*time.Microsecond {
		t.Fatalf("gate CPU: %v per request, ratio %v, extra %v; want 150µs, 1.5, 50µs", gate.cpuReq, gate.cpuRatio, gate.extraCPU)
	}
}

func TestSummarizeWithoutAPlainRunHasNoRatios(t *testing.T) {
	rows := summarize([]setup{{key: setupPlain}, {key: "gate"}}, []int{8}, []measurement{
		mkRun("gate", 0, 800, 120*time.Millisecond, time.Millisecond),
	})
	if len(rows) != 1 || rows[0].setup.key != "gate" || !math.IsNaN(rows[0].rpsRatio) || !math.IsNaN(rows[0].cpuRatio) {
		t.Fatalf("rows: %+v, want one gate row without ratios", rows)
	}
	if got := fmtRatio(rows[0].rpsRatio); got != "–" {
		t.Fatalf("a missing ratio prints %q", got)
	}
}

func TestCPUPerRequestOfAnEmptyRunIsZero(t *testing.T) {
	if got := (measurement{cpu: time.Second}).cpuPerRequest(); got != 0 {
		t.Fatalf("CPU per request with no requests: %v", got)
	}
}

package main

import (
	"math"
	"slices"
	"time"
)

// measurement is one load run of one setup in one round.
type measurement struct {
	setup string
	conns int
	round int
	load  loadResult
	// cpu is the CPU time the measured processes used during the run.
	cpu time.Duration
}

// cpuPerRequest is the measured processes' CPU time divided by the
// requests served.
func (m measurement) cpuPerRequest() time.Duration {
	if m.load.requests == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.load.requests)
}

// row is one line of the results table: medians over the rounds of one
// setup at one connection count. The ratios and the extra CPU compare
// each round with the plain proxy's run in the same round (then take the
// median), so slow drifts of the machine cancel out.
type row struct {
	setup  setup
	conns  int
	rounds int

	rps      float64
	p50, p99 time.Duration
	cpuReq   time.Duration

	rpsRatio, p50Ratio, p99Ratio, cpuRatio float64
	// extraCPU is CPU time per request above the plain proxy's.
	extraCPU time.Duration
	// rpsNoopRatio and extraNoopCPU compare with the no-op middleware's
	// run of the same round instead (NaN and 0 without one).
	rpsNoopRatio float64
	extraNoopCPU time.Duration
}

// summarize builds one row per setup and connection count, in the order
// given. Rounds lacking the plain proxy's run leave the ratios out.
func summarize(setups []setup, connLevels []int, ms []measurement) []row {
	type key struct {
		setup        string
		conns, round int
	}
	byKey := make(map[key]measurement, len(ms))
	for _, m := range ms {
		byKey[key{m.setup, m.conns, m.round}] = m
	}
	var rows []row
	for _, conns := range connLevels {
		for _, s := range setups {
			var rps, p50, p99, cpu, rpsR, p50R, p99R, cpuR, extra, rpsN, extraN []float64
			for _, m := range ms {
				if m.setup != s.key || m.conns != conns {
					continue
				}
				rps = append(rps, m.load.rps())
				p50 = append(p50, float64(m.load.p50))
				p99 = append(p99, float64(m.load.p99))
				cpu = append(cpu, float64(m.cpuPerRequest()))
				if noop, ok := byKey[key{setupNoop, conns, m.round}]; ok {
					rpsN = append(rpsN, ratio(m.load.rps(), noop.load.rps()))
					extraN = append(extraN, float64(m.cpuPerRequest()-noop.cpuPerRequest()))
				}
				base, ok := byKey[key{setupPlain, conns, m.round}]
				if !ok {
					continue
				}
				rpsR = append(rpsR, ratio(m.load.rps(), base.load.rps()))
				p50R = append(p50R, ratio(float64(m.load.p50), float64(base.load.p50)))
				p99R = append(p99R, ratio(float64(m.load.p99), float64(base.load.p99)))
				cpuR = append(cpuR, ratio(float64(m.cpuPerRequest()), float64(base.cpuPerRequest())))
				extra = append(extra, float64(m.cpuPerRequest()-base.cpuPerRequest()))
			}
			if len(rps) == 0 {
				continue
			}
			rows = append(rows, row{
				setup: s, conns: conns, rounds: len(rps),
				rps: median(rps), p50: time.Duration(median(p50)), p99: time.Duration(median(p99)),
				cpuReq:   time.Duration(median(cpu)),
				rpsRatio: median(rpsR), p50Ratio: median(p50R), p99Ratio: median(p99R), cpuRatio: median(cpuR),
				extraCPU:     time.Duration(median(extra)),
				rpsNoopRatio: median(rpsN), extraNoopCPU: durOrZero(median(extraN)),
			})
		}
	}
	return rows
}

// durOrZero is x as a duration, 0 for NaN.
func durOrZero(x float64) time.Duration {
	if math.IsNaN(x) {
		return 0
	}
	return time.Duration(x)
}

// ratio is a/b, or NaN when b is zero.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// median is the middle value (the mean of the two middle values for an
// even count), ignoring NaNs; NaN for no values.
func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

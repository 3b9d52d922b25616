package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// DefaultSchedule is when attempts are made, each delay counted from the
// failure before it: at once, then 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h and
// 24h later (about three and a half days in all); after the last failure
// the delivery is dead-lettered.
func DefaultSchedule() []time.Duration {
	return []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
}

// DefaultMaxRetryAfter caps how long a receiver's Retry-After may delay
// the next attempt.
const DefaultMaxRetryAfter = 24 * time.Hour

// nextDelay returns how long to wait before attempt number attempts (0
// based) after attempts failures, and false when the schedule is spent.
// The scheduled delay gets ±20% jitter so that retries of many deliveries
// spread out; a Retry-After from the receiver lengthens it, up to
// maxRetryAfter.
func nextDelay(schedule []time.Duration, attempts int, retryAfter, maxRetryAfter time.Duration) (time.Duration, bool) {
	if attempts >= len(schedule) {
		return 0, false
	}
	d := schedule[attempts]
	if d > 0 {
		d += time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	}
	if retryAfter > maxRetryAfter {
		retryAfter = maxRetryAfter
	}
	return max(d, retryAfter), true
}

// retryAfter parses a Retry-After header (seconds or an HTTP date);
// zero when absent or unparseable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(DefaultMaxRetryAfter/time.Second)*10 {
			return DefaultMaxRetryAfter * 10
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

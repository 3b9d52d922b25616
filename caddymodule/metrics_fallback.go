package caddymodule

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gate/event"
)

// fallbackMetrics count the ways in without a push and the lockout.
type fallbackMetrics struct {
	codes         *prometheus.CounterVec
	recoveryLeft  prometheus.Histogram
	passes        *prometheus.CounterVec
	lockouts      prometheus.Counter
	unblocks      prometheus.Counter
	pushesSkipped prometheus.Counter
}

func newFallbackMetrics() *fallbackMetrics {
	return &fallbackMetrics{
		codes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "authgate", Name: "codes_total",
			Help: "Typed codes at the gate by kind (offline, recovery, pass) and result (accepted, or why refused).",
		}, []string{"kind", "result"}),
		recoveryLeft: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "authgate", Name: "recovery_codes_left",
			Help:    "Recovery codes a user had left after using one.",
			Buckets: []float64{0, 1, 2, 3, 5, 9},
		}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "authgate", Name: "access_passes_total",
			Help: "Access passes issued by operators and used at the gate.",
		}, []string{"action"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "authgate", Name: "lockouts_total",
			Help: "Users locked out after refused logins in a row.",
		}),
		unblocks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "authgate", Name: "unblocks_total",
			Help: "Users unblocked by an operator.",
		}),
		pushesSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "authgate", Name: "pushes_skipped_total",
			Help: "Logins started without a push: a code follows, or another login of the user started within 15 s.",
		}),
	}
}

func (f *fallbackMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{f.codes, f.recoveryLeft, f.passes, f.lockouts, f.unblocks, f.pushesSkipped}
}

// emit counts e if it is one of the fallback events.
func (f *fallbackMetrics) emit(e event.Event) {
	switch e.Type {
	case event.OfflineCodeUsed:
		f.codes.WithLabelValues("offline", "accepted").Inc()
	case event.RecoveryCodeUsed:
		f.codes.WithLabelValues("recovery", "accepted").Inc()
		if left, ok := e.Data["left"].(int); ok {
			f.recoveryLeft.Observe(float64(left))
		}
	case event.AccessPassUsed:
		f.codes.WithLabelValues("pass", "accepted").Inc()
		f.passes.WithLabelValues("used").Inc()
	case event.CodeRejected:
		reason, _ := e.Data["reason"].(string)
		f.codes.WithLabelValues("any", reason).Inc()
	case event.AccessPassIssued:
		f.passes.WithLabelValues("issued").Inc()
	case event.UserLocked:
		f.lockouts.Inc()
	case event.UserUnblocked:
		f.unblocks.Inc()
	}
}

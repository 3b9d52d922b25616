package caddymodule

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gate/audit"
)

// auditCollector reports, at scrape time, the audit entries this
// instance lost: dropped with a full buffer, or refused by the store.
type auditCollector struct {
	w             *audit.Writer
	dropped, lost *prometheus.Desc
}

func newAuditCollector(w *audit.Writer) auditCollector {
	return auditCollector{
		w: w,
		dropped: prometheus.NewDesc("authgate_audit_dropped_total",
			"Audit entries dropped because the audit buffer was full.", nil, nil),
		lost: prometheus.NewDesc("authgate_audit_write_failed_total",
			"Audit entries lost because the store refused them.", nil, nil),
	}
}

// Describe sends the descriptors.
func (c auditCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.dropped; ch <- c.lost }

// Collect reads the counters.
func (c auditCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(c.w.Dropped()))
	ch <- prometheus.MustNewConstMetric(c.lost, prometheus.CounterValue, float64(c.w.Failed()))
}

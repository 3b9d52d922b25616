package caddymodule

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook"
)

// metrics counts what happens at the gate on Caddy's metrics registry
// (served by the admin endpoint's /metrics). It is an event.Sink: the
// counters follow the same events the webhooks carry, so the two never
// disagree.
type metrics struct {
	logins    *prometheus.CounterVec
	pushes    prometheus.Counter
	decisions prometheus.Histogram
	access    *prometheus.CounterVec
	logouts   prometheus.Counter
	fallback  *fallbackMetrics
}

func newMetrics(reg prometheus.Registerer, d *webhook.Dispatcher) (*metrics, error) {
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "authgate", Name: "logins_total",
			Help: "Logins that ended, by result: approved, or the reason they failed.",
		}, []string{"result"}),
		pushes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "authgate", Name: "pushes_total", Help: "Logins started (push requests sent to phones).",
		}),
		decisions: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "authgate", Name: "decision_seconds",
			Help:    "Time from a login's start to the phone's decision.",
			Buckets: []float64{1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 120},
		}),
		access: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "authgate", Name: "access_total",
			Help: "Access decisions emitted as events (refusals always, grants with access_events).",
		}, []string{"decision"}),
		logouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "authgate", Name: "logouts_total", Help: "Sign-outs.",
		}),
	}
	m.fallback = newFallbackMetrics()
	for _, c := range append([]prometheus.Collector{m.logins, m.pushes, m.decisions, m.access, m.logouts, newWebhookCollector(d)},
		m.fallback.collectors()...) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Emit counts e.
func (m *metrics) Emit(_ context.Context, e event.Event) {
	switch e.Type {
	case event.LoginRequested:
		if pushed, ok := e.Data["push"].(bool); !ok || pushed {
			m.pushes.Inc()
		} else {
			m.fallback.pushesSkipped.Inc()
		}
	case event.Login:
		m.logins.WithLabelValues("approved").Inc()
		m.observeDecision(e)
	case event.LoginFailed:
		reason, _ := e.Data["reason"].(string)
		m.logins.WithLabelValues(reason).Inc()
		m.observeDecision(e)
	case event.Access:
		decision, _ := e.Data["decision"].(string)
		m.access.WithLabelValues(decision).Inc()
	case event.Logout:
		m.logouts.Inc()
	default:
		m.fallback.emit(e)
	}
}

func (m *metrics) observeDecision(e event.Event) {
	if ms, ok := e.Data["decided_in_ms"].(int64); ok && ms >= 0 {
		m.decisions.Observe(float64(ms) / 1000)
	}
}

// webhookCollector reads the dispatcher's delivery health at scrape time.
type webhookCollector struct {
	d                                        *webhook.Dispatcher
	deliveries, depth, held, rejected, disab *prometheus.Desc
	logDropped                               *prometheus.Desc
}

func newWebhookCollector(d *webhook.Dispatcher) webhookCollector {
	return webhookCollector{
		d: d,
		deliveries: prometheus.NewDesc("authgate_webhook_deliveries_total",
			"Webhook delivery attempts by endpoint and result, on this instance.", []string{"endpoint", "result"}, nil),
		depth: prometheus.NewDesc("authgate_webhook_outbox_depth",
			"Deliveries waiting in the outbox (shared by every instance with Redis).", nil, nil),
		held: prometheus.NewDesc("authgate_webhook_held",
			"Deliveries held in memory while the outbox is unreachable.", nil, nil),
		rejected: prometheus.NewDesc("authgate_webhook_rejected_total",
			"Deliveries the outbox could not take (full, or unreachable with the hold full).", nil, nil),
		disab: prometheus.NewDesc("authgate_webhook_endpoint_disabled",
			"1 for an endpoint disabled by a 410 answer.", []string{"endpoint"}, nil),
		logDropped: prometheus.NewDesc("authgate_webhook_log_dropped_total",
			"Delivery log changes the shared (Redis) log did not take; the deliveries themselves went on.", nil, nil),
	}
}

// Describe sends the descriptors.
func (c webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.deliveries, c.depth, c.held, c.rejected, c.disab, c.logDropped} {
		ch <- d
	}
}

// Collect reads the current figures.
func (c webhookCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.d.Endpoints() {
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.CounterValue, float64(s.Delivered), s.ID, "delivered")
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.CounterValue, float64(s.Failed), s.ID, "failed")
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.CounterValue, float64(s.Dead), s.ID, "dead")
		disabled := 0.0
		if s.Disabled {
			disabled = 1
		}
		ch <- prometheus.MustNewConstMetric(c.disab, prometheus.GaugeValue, disabled, s.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if n, err := c.d.Outbox().Depth(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n))
	}
	ch <- prometheus.MustNewConstMetric(c.held, prometheus.GaugeValue, float64(c.d.Held()))
	ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(c.d.Rejected()))
	ch <- prometheus.MustNewConstMetric(c.logDropped, prometheus.CounterValue, float64(c.d.LogDropped()))
}

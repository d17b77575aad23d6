package notify

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts outbox deliveries and job runs. A nil *Metrics counts
// nothing, so tests and tools need not register one.
type Metrics struct {
	messages *prometheus.CounterVec
	pending  prometheus.Gauge
	failed   prometheus.Gauge
	jobs     *prometheus.CounterVec
}

// NewMetrics registers the notification metrics with reg:
//
//	hazardbot_outbox_messages_total{kind, result="sent|retried|failed"}
//	hazardbot_outbox_pending, hazardbot_outbox_failed (rows now in that state)
//	hazardbot_job_runs_total{job, result="done|failed|skipped"}
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardbot_outbox_messages_total",
			Help: "Outbox delivery attempts by message kind and result (sent, retried, failed).",
		}, []string{"kind", "result"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hazardbot_outbox_pending",
			Help: "Outbox rows waiting to be sent.",
		}),
		failed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hazardbot_outbox_failed",
			Help: "Outbox rows given up on (listed by the admin API with state=failed).",
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardbot_job_runs_total",
			Help: "Scheduled job runs by job and result (done, failed, skipped when another replica had the slot).",
		}, []string{"job", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.messages, m.pending, m.failed, m.jobs)
	}
	return m
}

func (m *Metrics) message(kind, result string) {
	if m != nil {
		m.messages.WithLabelValues(kind, result).Inc()
	}
}

func (m *Metrics) counts(pending, failed int64) {
	if m != nil {
		m.pending.Set(float64(pending))
		m.failed.Set(float64(failed))
	}
}

func (m *Metrics) job(name, result string) {
	if m != nil {
		m.jobs.WithLabelValues(name, result).Inc()
	}
}

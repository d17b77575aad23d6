package wecom

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what crosses the WeCom edge: callbacks in, API calls out,
// token refreshes and rate-limit waits. A nil *Metrics is valid and records
// nothing, so tests and tools need not build one.
type Metrics struct {
	callbacks       *prometheus.CounterVec
	callbackSeconds *prometheus.HistogramVec
	apiCalls        *prometheus.CounterVec
	tokenRefreshes  *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg. A nil reg
// leaves them unregistered (still usable), which suits tests that build
// several clients in one process.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardbot_wecom_callbacks_total",
			Help: "WeCom callbacks received, by message type and outcome.",
		}, []string{"type", "outcome"}),
		callbackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hazardbot_wecom_callback_duration_seconds",
			Help: "Time to handle one WeCom callback, by message type. WeCom gives up after 5 s.",
			// WeCom retries a callback not answered within 5 seconds, so
			// the buckets are dense below that.
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 10},
		}, []string{"type"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardbot_wecom_api_calls_total",
			Help: "WeCom API HTTP attempts, by call and errcode (or http_NNN, network).",
		}, []string{"call", "errcode"}),
		tokenRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardbot_wecom_token_refreshes_total",
			Help: "Access tokens fetched from WeCom by this process, by outcome.",
		}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.callbacks, m.callbackSeconds, m.apiCalls, m.tokenRefreshes)
	}
	return m
}

// ObserveCallback records one handled callback: kind is the message type
// (text, image, event:template_card_event …), outcome a short word such as
// ok, bad_signature, decrypt_error or handler_error, d the handling time.
func (m *Metrics) ObserveCallback(kind, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.callbacks.WithLabelValues(kind, outcome).Inc()
	m.callbackSeconds.WithLabelValues(kind).Observe(d.Seconds())
}

// apiCall records one HTTP attempt of an API call; result is the errcode
// or a word for failures that have none.
func (m *Metrics) apiCall(call, result string) {
	if m == nil {
		return
	}
	m.apiCalls.WithLabelValues(call, result).Inc()
}

// apiCode records an attempt that returned a WeCom errcode.
func (m *Metrics) apiCode(call string, code int) {
	m.apiCall(call, strconv.Itoa(code))
}

// tokenRefresh records one gettoken fetch.
func (m *Metrics) tokenRefresh(ok bool) {
	if m == nil {
		return
	}
	outcome := "ok"
	if !ok {
		outcome = "error"
	}
	m.tokenRefreshes.WithLabelValues(outcome).Inc()
}

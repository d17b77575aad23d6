package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hazardbot/models"
)

// Worker delivers the outbox: it claims due messages (a claim is exclusive
// across replicas), sends each through the Sender, and records the outcome.
// Delivery is at least once: a message whose sender died mid-send is sent
// again when its lease runs out; a message recorded as sent never is.
type Worker struct {
	Store  *models.Store
	Sender Sender
	// Owner names this worker in claims (host/pid/n).
	Owner string
	// Poll is the pause when nothing is due.
	Poll time.Duration
	// GiveUpAfter stops retrying a message this long after it was queued.
	GiveUpAfter time.Duration
	// Lease is how long a claim lasts; longer than any one send can take.
	Lease   time.Duration
	Batch   int
	Log     *slog.Logger
	Metrics *OutboxMetrics
}

// OutboxMetrics counts deliveries by outcome and kind.
type OutboxMetrics struct {
	deliveries *prometheus.CounterVec
}

// NewOutboxMetrics registers the outbox counters.
func NewOutboxMetrics(reg prometheus.Registerer) *OutboxMetrics {
	m := &OutboxMetrics{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hazardbot_outbox_deliveries_total",
		Help: "Outbox delivery attempts by outcome (sent, retry, failed) and message kind.",
	}, []string{"outcome", "kind"})}
	if reg != nil {
		reg.MustRegister(m.deliveries)
	}
	return m
}

func (m *OutboxMetrics) count(outcome, kind string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome, kind).Inc()
	}
}

func (w *Worker) defaults() {
	if w.Poll <= 0 {
		w.Poll = time.Second
	}
	if w.GiveUpAfter <= 0 {
		w.GiveUpAfter = 24 * time.Hour
	}
	if w.Lease <= 0 {
		w.Lease = 5 * time.Minute
	}
	if w.Batch <= 0 {
		w.Batch = 20
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends. A message being sent when ctx ends is left
// claimed; its lease runs out and it is sent again (the one possible repeat).
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	for ctx.Err() == nil {
		n, err := w.Once(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("outbox", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(w.Poll):
			}
		}
	}
}

// Once claims and delivers one batch, returning how many it handled.
func (w *Worker) Once(ctx context.Context) (int, error) {
	w.defaults()
	batch, err := w.Store.ClaimOutbox(ctx, w.Owner, w.Batch, w.Lease)
	if err != nil {
		return 0, err
	}
	for i, m := range batch {
		if ctx.Err() != nil {
			return i, ctx.Err()
		}
		if err := w.deliver(ctx, &m); err != nil {
			return i, err
		}
	}
	return len(batch), nil
}

func (w *Worker) deliver(ctx context.Context, m *models.OutboxMessage) error {
	var out Outgoing
	sendErr := json.Unmarshal([]byte(m.Body), &out)
	if sendErr != nil {
		sendErr = permanent{fmt.Errorf("bot: outbox %d: undecodable body: %w", m.ID, sendErr)}
	} else {
		sendErr = w.Sender.Send(ctx, out)
	}
	if sendErr == nil {
		w.Metrics.count("sent", m.Kind)
		// Record with a context that outlives a stop: the message went out.
		return w.Store.MarkSent(context.WithoutCancel(ctx), m.ID)
	}
	if ctx.Err() != nil {
		return ctx.Err() // stopping: the lease brings it back
	}
	now := w.Store.Now()
	giveUp := IsPermanent(sendErr) || now.Sub(m.CreatedAt) > w.GiveUpAfter
	next := now.Add(backoff(m.Attempts))
	if giveUp {
		w.Metrics.count("failed", m.Kind)
		w.Log.Error("outbox message failed for good", "id", m.ID, "key", m.DedupeKey, "kind", m.Kind, "attempts", m.Attempts, "err", sendErr)
	} else {
		w.Metrics.count("retry", m.Kind)
		w.Log.Warn("outbox send failed, will retry", "id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "retry_at", next, "err", sendErr)
	}
	return w.Store.MarkRetry(ctx, m.ID, w.Owner, sendErr.Error(), next, giveUp)
}

// backoff is exponential from 2 s, capped at 10 minutes, with ±25% jitter
// so that replicas recovering from an outage do not retry in step.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 10*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/2)) - d/4
	return d + jitter
}

type permanent struct{ error }

func (permanent) Permanent() bool { return true }

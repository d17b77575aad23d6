package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"hazardbot/bot"
	"hazardbot/models"
)

// WorkerOptions tunes a Worker; zero values take the defaults.
type WorkerOptions struct {
	// Owner names this worker in outbox claims; default a random id.
	// Give each replica its own (e.g. hostname-pid).
	Owner string
	// Concurrency is how many sends run at once (config Outbox.Workers); default 2.
	Concurrency int
	// Batch is how many rows one claim takes; default 4 × Concurrency.
	Batch int
	// Lease is how long a claim holds its rows. Every send of a batch must
	// end within it, so it bounds the send: a send still running when the
	// lease is about to end is cancelled and retried later, and no other
	// replica can send the same row meanwhile. Default 5 minutes, well over
	// the WeCom client's worst case (3 attempts of 10 s plus a rate-limit
	// wait of up to a minute).
	Lease time.Duration
	// GiveUpAfter marks a row failed this long after it was queued (config
	// Outbox.GiveUpAfter); default 24 hours.
	GiveUpAfter time.Duration
	// Poll is how long an idle worker waits before looking again (config
	// Outbox.Poll); default 1 second. Kick wakes it sooner.
	Poll time.Duration
	// Backoff is the wait before retry n (1-based); default exponential
	// from 10 s doubling to at most 10 minutes, with up to half random.
	Backoff func(n int) time.Duration
	// PerUserPerMinute, when positive, holds back a message to a member who
	// has had that many in the last minute from any replica (config
	// outbox.per_user_per_minute): WeCom drops the excess silently.
	PerUserPerMinute int
	Metrics          *Metrics
	Log              *slog.Logger
}

// Worker delivers outbox rows through a bot.Sender. Run one per replica:
// claims are leases in the database, so no row is sent by two workers at
// once and a row recorded as sent is never sent again.
type Worker struct {
	store  *models.Store
	sender bot.Sender
	o      WorkerOptions
	kick   chan struct{}
}

// NewWorker returns a worker sending store's outbox through sender.
func NewWorker(store *models.Store, sender bot.Sender, o WorkerOptions) *Worker {
	if o.Owner == "" {
		o.Owner = newOwner("worker")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.Batch <= 0 {
		o.Batch = 4 * o.Concurrency
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 24 * time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{store: store, sender: sender, o: o, kick: make(chan struct{}, 1)}
}

// newOwner is a random claim owner for a replica that did not name itself.
func newOwner(what string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return what + "-" + hex.EncodeToString(b)
}

// Backoff is the default wait before retry n: 10 s, 20 s, 40 s … at most 10
// minutes, of which up to half is random so that replicas and rows retrying
// together spread out.
func Backoff(n int) time.Duration {
	d := 10 * time.Second << min(max(n-1, 0), 6)
	d = min(d, 10*time.Minute)
	return d/2 + mrand.N(d/2+1)
}

// Kick wakes an idle worker, e.g. after a transaction that queued a message
// committed, so it goes out without waiting for the next poll.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. A send in flight when ctx ends is cancelled
// and its row released for the next worker; at most that one message can
// reach its recipient twice (WeCom may have taken it before the cancel).
func (w *Worker) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	refresh := time.NewTicker(15 * time.Second)
	defer refresh.Stop()
	w.refreshCounts(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-refresh.C:
			w.refreshCounts(ctx)
			continue
		case <-w.kick:
		case <-timer.C:
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.o.Log.Error("notify: outbox claim failed", "err", err)
		}
		wait := time.Duration(0)
		if n == 0 || err != nil {
			wait = w.o.Poll
		}
		timer.Reset(wait)
	}
}

func (w *Worker) refreshCounts(ctx context.Context) {
	if w.o.Metrics == nil {
		return
	}
	c, err := w.store.OutboxCounts(ctx)
	if err == nil {
		w.o.Metrics.counts(c[models.OutboxPending], c[models.OutboxFailed])
	}
}

// RunOnce claims one batch of due rows, sends them Concurrency at a time
// and records each outcome. It returns how many rows it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	msgs, err := w.store.ClaimOutbox(ctx, w.o.Owner, w.o.Batch, w.o.Lease)
	if len(msgs) == 0 {
		return 0, err
	}
	// The whole batch ends a fifth of the lease before it runs out, so no
	// send outlives its claim.
	bctx, cancel := context.WithTimeout(ctx, w.o.Lease-w.o.Lease/5)
	defer cancel()
	claimed := len(msgs)
	// Nobody deactivated since a message was queued gets it; one left
	// with nobody is failed, with the reason (models.ReaddressClaimed).
	live, _, lerr := w.store.ReaddressClaimed(bctx, msgs)
	if lerr == nil {
		msgs = msgs[:0]
		for _, m := range live {
			if m.State == models.OutboxFailed {
				w.o.Metrics.message(m.Kind, "failed")
				w.o.Log.Warn("notify: nobody left to send to", "id", m.ID, "kind", m.Kind, "key", m.DedupeKey)
				continue
			}
			msgs = append(msgs, m)
		}
	}
	holds, rerr := w.reserve(bctx, msgs)
	if lerr != nil {
		rerr = lerr
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.o.Concurrency)
	for i, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			switch {
			case rerr != nil:
				w.deliver(ctx, bctx, m, rerr)
			case !holds[i].IsZero():
				w.deliver(ctx, bctx, m, held{holds[i]})
			default:
				w.deliver(ctx, bctx, m, nil)
			}
		}()
	}
	wg.Wait()
	return claimed, err
}

// errNotStarted marks a row whose batch ran out of lease before its turn.
var errNotStarted = errors.New("notify: lease ran out before the send started")

// deliver sends one claimed row and records the outcome.
func (w *Worker) deliver(ctx, bctx context.Context, m models.OutboxMessage, before error) {
	var err error
	if err = bctx.Err(); err != nil {
		err = errNotStarted
	} else if before != nil {
		err = before // held for the rate limit, or the reservation failed
	} else {
		var out bot.Outgoing
		if jerr := json.Unmarshal([]byte(m.Body), &out); jerr != nil {
			err = permanent{fmt.Errorf("notify: outbox row %d: bad body: %w", m.ID, jerr)}
		} else {
			if out.Kind != bot.OutCardUpdate && m.Recipients != "" {
				// The row's recipients, not the body's: the directory may
				// have re-routed it since it was queued.
				out.ToUsers = strings.Split(m.Recipients, "|")
			}
			if out.Kind == bot.OutImage && out.File == "" {
				err = w.resolvePhoto(bctx, &out)
			}
			if err == nil {
				err = w.sender.Send(bctx, out)
			}
		}
	}
	// A channel's own limit (a group robot's 20 a minute) holds the row
	// like the per-member limit does.
	if bh := (*bot.Held)(nil); errors.As(err, &bh) {
		err = held{bh.Until}
	}
	// The outcome is recorded even when ctx has just ended: a sent row left
	// pending would be sent again.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := w.store.Now()
	log := w.o.Log.With("id", m.ID, "kind", m.Kind, "key", m.DedupeKey, "attempt", m.Attempts)
	switch {
	case err == nil:
		if merr := w.store.MarkSent(dctx, m.ID); merr != nil {
			// The lease will run out and the row go again: at least once.
			log.Error("notify: sent but not recorded", "err", merr)
			return
		}
		w.o.Metrics.message(m.Kind, "sent")
	case ctx.Err() != nil || errors.Is(err, errNotStarted):
		// Shutting down, or the batch ran long: hand the row back now.
		if merr := w.store.MarkRetry(dctx, m.ID, m.ClaimedBy, "interrupted: "+err.Error(), now, false); merr != nil {
			log.Error("notify: release row", "err", merr)
		}
	case errors.As(err, new(held)):
		// Not a failure, nor an attempt: the member's minute is full; send
		// when it frees.
		next := err.(held).until
		if merr := w.store.MarkHeld(dctx, m.ID, m.ClaimedBy, err.Error(), next); merr != nil {
			log.Error("notify: hold row", "err", merr)
			return
		}
		w.o.Metrics.message(m.Kind, "held")
	case bot.IsEnded(err):
		// The recipient left (unfollowed the account): ended, never retried.
		if merr := w.store.MarkEnded(dctx, m.ID, m.ClaimedBy, err.Error()); merr != nil {
			log.Error("notify: record ended", "err", merr)
			return
		}
		w.o.Metrics.message(m.Kind, "ended")
		log.Info("notify: recipient left the channel", "recipients", m.Recipients)
	case bot.IsPermanent(err) || now.Sub(m.CreatedAt) >= w.o.GiveUpAfter:
		if merr := w.store.MarkRetry(dctx, m.ID, m.ClaimedBy, err.Error(), now, true); merr != nil {
			log.Error("notify: record failure", "err", merr)
			return
		}
		w.o.Metrics.message(m.Kind, "failed")
		log.Error("notify: message failed for good", "recipients", m.Recipients, "permanent", bot.IsPermanent(err), "err", err)
	default:
		next := now.Add(w.o.Backoff(m.Attempts))
		if merr := w.store.MarkRetry(dctx, m.ID, m.ClaimedBy, err.Error(), next, false); merr != nil {
			log.Error("notify: record retry", "err", merr)
			return
		}
		w.o.Metrics.message(m.Kind, "retried")
		log.Warn("notify: send failed, will retry", "next", next, "err", err)
	}
}

// resolvePhoto points an image message at its photo's stored file. A photo
// still on its way from WeCom is worth waiting for (the row is retried
// with backoff); one the fetcher gave up on is not.
func (w *Worker) resolvePhoto(ctx context.Context, out *bot.Outgoing) error {
	a, err := w.store.PhotoFile(ctx, out.Photo)
	switch {
	case models.ErrorCode(err) == models.ENotFound:
		return permanent{fmt.Errorf("notify: photo %d: %w", out.Photo, err)}
	case err != nil:
		return err
	case a.Lost():
		return permanent{fmt.Errorf("notify: photo %d could not be fetched from WeCom", out.Photo)}
	case !a.Fetched():
		return fmt.Errorf("notify: photo %d not yet fetched from WeCom", out.Photo)
	}
	out.File = a.Path
	return nil
}

// held says a message waits for its recipients' rate-limit window.
type held struct{ until time.Time }

func (h held) Error() string {
	return "held for the per-member limit until " + h.until.Format(time.RFC3339)
}

// reserve takes places in the recipients' per-member windows for the whole
// batch, across replicas, and returns for each message when it may go (zero:
// now). A card update is not a message to anyone and is not counted.
func (w *Worker) reserve(ctx context.Context, msgs []models.OutboxMessage) ([]time.Time, error) {
	if w.o.PerUserPerMinute <= 0 {
		return make([]time.Time, len(msgs)), nil
	}
	batch := make([][]string, len(msgs))
	for i, m := range msgs {
		if m.Kind != string(bot.OutCardUpdate) && m.Recipients != "" {
			batch[i] = strings.Split(m.Recipients, "|")
		}
	}
	return w.store.ReserveSends(ctx, batch, w.store.Now(), w.o.PerUserPerMinute)
}

// permanent marks an error no retry can fix.
type permanent struct{ error }

func (permanent) Permanent() bool { return true }
func (p permanent) Unwrap() error { return p.error }

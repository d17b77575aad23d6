package wecom

import (
	"context"
	"sync"
	"time"
)

// WeCom silently drops application messages beyond 30 a minute to one
// member, so a send must not exceed that. These are the defaults of the
// limiter a Client builds for itself.
const (
	DefaultRateLimit  = 30
	DefaultRateWindow = time.Minute
)

// Limiter holds sends back so that no recipient gets more than limit
// messages in any window (a sliding window log). It is per process: several
// replicas each have their own, and limiting across replicas is the outbox's
// job (it batches per recipient and claims rows in the database).
type Limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error

	mu    sync.Mutex
	sent  map[string][]time.Time // per recipient, oldest first, within window
	calls int                    // reservations since the last sweep
}

// NewLimiter returns a limiter allowing limit messages per window to each
// recipient. now and sleep are the clock (nil means the real one), so tests
// can move time instead of waiting.
func NewLimiter(limit int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	return &Limiter{limit: limit, window: window, now: now, sleep: sleep, sent: map[string][]time.Time{}}
}

// Wait blocks until every one of recipients may receive one more message,
// then counts that message against all of them at once, so a message to
// several members waits for the busiest. It returns how long it waited, or
// ctx's error if ctx ends first (then nothing is counted).
func (l *Limiter) Wait(ctx context.Context, recipients ...string) (time.Duration, error) {
	var waited time.Duration
	for {
		d := l.reserve(recipients)
		if d <= 0 {
			return waited, nil
		}
		if err := l.sleep(ctx, d); err != nil {
			return waited, err
		}
		waited += d
	}
}

// reserve counts one message for every recipient and returns 0, or, when
// one of them is at the limit, counts nothing and returns how long until
// the busiest one has room.
func (l *Limiter) reserve(recipients []string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	var wait time.Duration
	for _, r := range recipients {
		times := l.prune(r, now)
		if len(times) >= l.limit {
			// The oldest of the last `limit` sends must leave the window.
			if d := times[len(times)-l.limit].Add(l.window).Sub(now); d > wait {
				wait = d
			}
		}
	}
	if wait > 0 {
		return wait
	}
	for _, r := range recipients {
		l.sent[r] = append(l.sent[r], now)
	}
	return 0
}

// prune drops r's sends that left the window and returns the rest.
func (l *Limiter) prune(r string, now time.Time) []time.Time {
	times := l.sent[r]
	i := 0
	for i < len(times) && !now.Before(times[i].Add(l.window)) {
		i++
	}
	if i > 0 {
		times = append(times[:0], times[i:]...)
		if len(times) == 0 {
			delete(l.sent, r)
		} else {
			l.sent[r] = times
		}
	}
	return times
}

// sweep forgets idle recipients now and then, so the map does not grow
// with every member ever messaged.
func (l *Limiter) sweep(now time.Time) {
	l.calls++
	if l.calls < 1000 {
		return
	}
	l.calls = 0
	for r := range l.sent {
		l.prune(r, now)
	}
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package wecom

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	tests := []struct {
		name string
		// sends are (offset from start, recipients) made in order
		sends    []limiterSend
		wantWait []time.Duration // per send
	}{
		{
			name:     "30 at once pass, the 31st waits a minute",
			sends:    repeatSend(31, 0, "a"),
			wantWait: append(make([]time.Duration, 30), time.Minute),
		},
		{
			name: "one a second: the 31st waits until the first leaves",
			sends: func() []limiterSend {
				var s []limiterSend
				for i := range 31 {
					s = append(s, limiterSend{time.Duration(i) * time.Second, []string{"a"}})
				}
				return s
			}(),
			wantWait: append(make([]time.Duration, 30), 30*time.Second),
		},
		{
			name:     "after a minute the window is empty again",
			sends:    append(repeatSend(30, 0, "a"), limiterSend{time.Minute, []string{"a"}}),
			wantWait: make([]time.Duration, 31),
		},
		{
			name:     "members are limited separately",
			sends:    append(repeatSend(30, 0, "a"), limiterSend{0, []string{"b"}}),
			wantWait: make([]time.Duration, 31),
		},
		{
			name:     "a message to several waits for the busiest",
			sends:    append(repeatSend(30, 0, "a"), limiterSend{10 * time.Second, []string{"b", "a"}}),
			wantWait: append(make([]time.Duration, 30), 50*time.Second),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newAPIClock()
			start := clock.Now()
			l := NewLimiter(30, time.Minute, clock.Now, clock.Sleep)
			for i, s := range tt.sends {
				if at := start.Add(s.at); clock.Now().Before(at) {
					clock.Advance(at.Sub(clock.Now()))
				}
				waited, err := l.Wait(context.Background(), s.to...)
				if err != nil {
					t.Fatalf("send %d: %v", i+1, err)
				}
				if waited != tt.wantWait[i] {
					t.Errorf("send %d to %v waited %v, want %v", i+1, s.to, waited, tt.wantWait[i])
				}
			}
		})
	}
}

type limiterSend struct {
	at time.Duration
	to []string
}

func repeatSend(n int, at time.Duration, to ...string) []limiterSend {
	s := make([]limiterSend, n)
	for i := range s {
		s[i] = limiterSend{at, to}
	}
	return s
}

func TestLimiterCancelledWaitCountsNothing(t *testing.T) {
	clock := newAPIClock()
	cancelled := func(ctx context.Context, d time.Duration) error { return context.Canceled }
	l := NewLimiter(2, time.Minute, clock.Now, cancelled)
	ctx := context.Background()
	for range 2 {
		if _, err := l.Wait(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Wait(ctx, "b", "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// b was not charged for the message that never went out.
	for i := range 2 {
		if _, err := l.Wait(ctx, "b"); err != nil {
			t.Fatalf("b's message %d: %v", i+1, err)
		}
	}
}

func TestLimiterForgetsIdleMembers(t *testing.T) {
	clock := newAPIClock()
	l := NewLimiter(30, time.Minute, clock.Now, clock.Sleep)
	for i := range 1500 {
		if _, err := l.Wait(context.Background(), "user"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	l.mu.Lock()
	n := len(l.sent)
	l.mu.Unlock()
	if n > 1000 {
		t.Errorf("limiter remembers %d members, want idle ones swept", n)
	}
}

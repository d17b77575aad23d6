package notify

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// A scheduled run that fails is tried again within its period until it
// succeeds, and Stop returns only once the retries (and the catch-up) are
// over, so the caller may close the database after it.
func TestFailedSlotIsRetriedWithinItsPeriod(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 3, 13, 7, 0))
		var calls atomic.Int32
		sc, err := NewScheduler(e.n, SchedulerOptions{Owner: "a", Retry: []time.Duration{time.Millisecond},
			DraftSweep: func(context.Context) error {
				if calls.Add(1) < 3 {
					return errors.New("数据库暂时不可用：连接被重置")
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := sc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		if ran, err := sc.RunDue(ctx, JobDraftSweep, now); !ran || err == nil {
			t.Fatalf("first run: ran %v err %v, want a failure", ran, err)
		}
		if err := sc.Stop(); err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 3 {
			t.Fatalf("the sweep ran %d times, want 3 (two failures, then success)", n)
		}
		var run models.JobRun
		if err := s.DB.Where("slot = ?", JobDraftSweep+"|"+now.Format("2006-01-02T15:04")).Take(&run).Error; err != nil {
			t.Fatal(err)
		}
		if run.State != models.JobDone || run.Error != "" {
			t.Fatalf("slot after the retries: %+v", run)
		}
	})
}

// A failed run whose period is over is not retried: tomorrow's digest is
// tomorrow's slot.
func TestRetryStopsWhenThePeriodIsOver(t *testing.T) {
	e := newEnv(t, modelstest.Open(t, "sqlite"), at(2023, 3, 13, 7, 0))
	var calls atomic.Int32
	sc, err := NewScheduler(e.n, SchedulerOptions{Owner: "a", Retry: []time.Duration{time.Millisecond},
		DraftSweep: func(context.Context) error {
			calls.Add(1)
			e.clock.Add(time.Minute) // the run outlasts its minute
			return errors.New("失败")
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := sc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if ran, err := sc.RunDue(ctx, JobDraftSweep, e.clock.Now()); !ran || err == nil {
		t.Fatalf("first run: ran %v err %v", ran, err)
	}
	if err := sc.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the sweep ran %d times after its period ended, want 1", n)
	}
}

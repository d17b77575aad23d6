package main

import (
	"context"
	"sync"
	"time"

	"hazardbot/handlers"
)

// startJobs runs the scheduled jobs. Until the scheduler lands this is the
// draft sweep alone, on a ticker.
func (a *app) startJobs(ctx context.Context, wg *sync.WaitGroup) handlers.JobRunner {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := a.bot.SweepDrafts(ctx); err != nil {
					a.log.Warn("draft sweep", "err", err)
				}
			}
		}
	}()
	return nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"hazardbot/bot/notify"
	"hazardbot/handlers"
)

// startBackground starts the work that happens outside requests: the outbox
// sender, the photo fetcher and (withJobs) the scheduled jobs. Everything
// stops when ctx ends; wg waits for it. A scheduler that cannot start is a
// failed start: the error is returned (what did start stops with ctx), and
// serve must not run on without reminders and digests.
func (a *app) startBackground(ctx context.Context, wg *sync.WaitGroup, withJobs bool) (handlers.JobRunner, error) {
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%s-%d", host, os.Getpid())
	m := notify.NewMetrics(a.registry)
	w := notify.NewWorker(a.store, a.sender(), notify.WorkerOptions{
		Owner: owner, Concurrency: a.cfg.Outbox.Workers, GiveUpAfter: a.cfg.Outbox.GiveUpAfter,
		Poll: a.cfg.Outbox.Poll, PerUserPerMinute: a.cfg.Outbox.PerUserPerMinute, Metrics: m, Log: a.log,
	})
	wg.Add(2)
	go func() { defer wg.Done(); w.Run(ctx) }()
	go func() { defer wg.Done(); a.fetchPhotos(ctx, a.photoEvery) }()
	if !withJobs {
		return nil, nil
	}
	n := notify.New(a.store, a.cfg, a.files, a.log)
	sc, err := notify.NewScheduler(n, notify.SchedulerOptions{
		Owner: owner, Metrics: m, Log: a.log,
		DraftSweep: a.bot.Housekeeping,
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if err := sc.Start(ctx); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		if err := sc.Stop(); err != nil {
			a.log.Warn("scheduler stop", "err", err)
		}
	}()
	return sc, nil
}

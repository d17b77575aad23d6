package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"hazardbot/bot"
	"hazardbot/handlers"
)

// startBackground starts the work that happens outside requests: outbox
// senders, the photo fetcher and (withJobs) the scheduled jobs. Everything
// stops when ctx ends; wg waits for it.
func (a *app) startBackground(ctx context.Context, wg *sync.WaitGroup, withJobs bool) handlers.JobRunner {
	host, _ := os.Hostname()
	outboxMetrics := bot.NewOutboxMetrics(a.registry)
	for i := range max(a.cfg.Outbox.Workers, 1) {
		w := &bot.Worker{
			Store: a.store, Sender: a.client, Owner: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), i),
			Poll: a.cfg.Outbox.Poll, GiveUpAfter: a.cfg.Outbox.GiveUpAfter, Log: a.log, Metrics: outboxMetrics,
		}
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.fetchPhotos(ctx, a.photoEvery) }()
	if !withJobs {
		return nil
	}
	return a.startJobs(ctx, wg)
}

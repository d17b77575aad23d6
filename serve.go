package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"hazardbot/handlers"
)

// serve runs the bot until ctx ends (SIGINT/SIGTERM), then finishes the
// requests in flight and stops the background work.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, log, err := loadConfig(getenv, os.Stderr)
	if err != nil {
		return err
	}
	log.Info("starting hazardbot", "version", version, "config", cfg)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if a.demo {
		n, err := a.demoSample(ctx)
		if err != nil {
			return fmt.Errorf("demo sample ledger: %w", err)
		}
		if n > 0 {
			log.Info("demo mode: sample ledger added", "hazards", n)
		}
	}

	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	jobs, err := a.startBackground(bg, &wg, true)
	if err != nil {
		stopBackground()
		wg.Wait()
		return err
	}

	srv := a.httpServer(cfg.Addr, jobs)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(stdout, "hazardbot %s listening on %s (demo mode: %v)\n", version, cfg.Addr, a.demo)
	if a.demo {
		fmt.Fprintln(stdout, "demo: chat from another terminal with: go run . chat --as zhangsan")
	}
	select {
	case err := <-errc:
		stopBackground()
		wg.Wait()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopBackground()
	wg.Wait()
	log.Info("stopped")
	return err
}

// httpServer builds the HTTP server over the app, with the configured
// timeouts, listening on addr.
func (a *app) httpServer(addr string, jobs handlers.JobRunner) *http.Server {
	return handlers.New(handlers.Deps{
		Store: a.store, Bot: a.bot, Crypto: a.crypto, AgentID: a.agentID, WeChat: a.wechat, Metrics: a.metrics,
		Registry: a.registry, Config: a.cfg, Jobs: jobs, Files: a.files, OAuth: a.client, Log: a.log,
	}).HTTPServer(addr)
}

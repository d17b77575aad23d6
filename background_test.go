package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hazardbot/config"
)

// A scheduler that cannot start fails the start: serve must not run on
// without reminders and digests while /readyz says ready.
func TestSchedulerThatCannotStartFailsTheStart(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB.DSN = filepath.Join(dir, "start.db")
	cfg.Storage.Dir = filepath.Join(dir, "data")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	cfg.Schedule.Reminders = "0 25 * * *" // set after Validate: the start itself must refuse it
	var wg sync.WaitGroup
	jobs, err := a.startBackground(ctx, &wg, true)
	if err == nil || jobs != nil || !strings.Contains(err.Error(), "reminders") {
		t.Fatalf("start with a broken schedule: jobs %v, err %v", jobs, err)
	}
	cancel()
	wg.Wait() // what did start stops with the context
}

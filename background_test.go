package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"hazardbot/config"
	"hazardbot/models"
)

// A scheduler that cannot start fails the start: serve must not run on
// without reminders and digests while /readyz says ready.
func TestSchedulerThatCannotStartFailsTheStart(t *testing.T) {
	cfg := testConfig(t, "start.db", nil)
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

// directory.top_kind reaches the store every command opens.
func TestTopKindSettingReachesTheStore(t *testing.T) {
	cfg := testConfig(t, "top.db", func(c *config.Config) { c.Directory.TopKind = "region" })
	s, err := openStore(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.TopKind != models.KindRegion || s.CityWide(&models.Unit{Kind: models.KindCommittee}) || !s.CityWide(&models.Unit{Kind: models.KindRegion}) {
		t.Fatalf("store top kind %q, want region", s.TopKind)
	}
}

package main

import (
	"context"
	"testing"
	"time"

	"hazardbot/models"
)

// The demo's sample ledger has hazards in every state a county office
// sees, each with a timeline in order and none in the future, counts in
// step with the hazards, and it is added once only.
func TestDemoSampleLedger(t *testing.T) {
	cfg := testConfig(t, "demo.db", nil)
	ctx := context.Background()
	a, err := newApp(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	before := time.Now()
	n, err := a.demoSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(sampleLedger) {
		t.Fatalf("sample added %d hazards, want %d", n, len(sampleLedger))
	}
	if got := a.store.Now(); got.Before(before) {
		t.Fatalf("the store's clock was left at %v", got)
	}

	var hazards []models.Hazard
	if err := a.store.DB.Order("id").Find(&hazards).Error; err != nil {
		t.Fatal(err)
	}
	today := models.DateOf(time.Now(), a.store.Loc)
	states := map[models.State]int{}
	overdue, listed := 0, 0
	for _, h := range hazards {
		states[h.State]++
		if h.Overdue(today) {
			overdue++
		}
		if h.Colour != models.ColourNone {
			listed++
		}
		if h.InspectionDate.After(today) || h.InspectionDate.Before(today.AddDays(-75)) {
			t.Errorf("%s found %s, want within the last ten weeks", h.Num(), h.InspectionDate)
		}
	}
	for _, s := range []models.State{models.StateReported, models.StateRectifying, models.StatePendingReview, models.StateClosed} {
		if states[s] == 0 {
			t.Errorf("no sample hazard is %s (states %v)", models.StateName(s), states)
		}
	}
	if overdue == 0 || listed == 0 {
		t.Errorf("sample has %d overdue and %d listed hazards, want some of each", overdue, listed)
	}
	var unverified int64
	if err := a.store.DB.Model(&models.Unit{}).Where("unverified = ?", true).Count(&unverified).Error; err != nil {
		t.Fatal(err)
	}
	if unverified == 0 {
		t.Error("no sample unit outside the directory was created unverified")
	}

	var events []models.Event
	if err := a.store.DB.Order("hazard_id, id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	last := map[uint]time.Time{}
	passes := 0
	for _, e := range events {
		if e.CreatedAt.After(time.Now()) {
			t.Errorf("event %d (%s) is in the future: %v", e.ID, e.Action, e.CreatedAt)
		}
		if e.CreatedAt.Before(last[e.HazardID]) {
			t.Errorf("hazard %d: %s at %v comes before the event before it (%v)", e.HazardID, e.Action, e.CreatedAt, last[e.HazardID])
		}
		last[e.HazardID] = e.CreatedAt
		if e.Action == models.ActPass {
			passes++
		}
	}
	if passes != states[models.StateClosed] {
		t.Errorf("%d 销号 events for %d closed hazards", passes, states[models.StateClosed])
	}
	diffs, err := a.store.CheckCounts(ctx)
	if err != nil || len(diffs) > 0 {
		t.Fatalf("counts after the sample: %v, %v", diffs, err)
	}

	again, err := a.demoSample(ctx)
	if err != nil || again != 0 {
		t.Fatalf("second sample: %d hazards, %v; want none", again, err)
	}
	var total int64
	a.store.DB.Model(&models.Hazard{}).Count(&total)
	if total != int64(len(sampleLedger)) {
		t.Fatalf("%d hazards after a second start, want %d", total, len(sampleLedger))
	}
}

package notify

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// env is a seeded ledger (modelstest.Directory) with a stopped clock and a
// notifier using the default configuration.
type env struct {
	t     *testing.T
	s     *models.Store
	clock *modelstest.Clock
	cfg   *config.Config
	n     *Notifier
}

func newEnv(t *testing.T, s *models.Store, start time.Time) *env {
	t.Helper()
	clock := modelstest.NewClock(start)
	s.Now = clock.Now
	modelstest.Seed(t, s)
	cfg := config.Default()
	cfg.Storage.Dir = t.TempDir()
	// The cadence tests count calendar days; working-day gating has its own.
	cfg.Reminders.WorkingDaysOnly = false
	return &env{t: t, s: s, clock: clock, cfg: cfg, n: New(s, cfg, bot.DirFiles{Dir: cfg.Storage.Dir}, nil)}
}

// at is a moment in Shanghai.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, modelstest.Shanghai)
}

func (e *env) tx(fn func(tx *models.Tx) error) {
	e.t.Helper()
	if err := e.s.InTx(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) unitID(code string) *uint {
	e.t.Helper()
	var id uint
	e.tx(func(tx *models.Tx) error {
		u, err := tx.FindUnitByCode(code)
		if err == nil {
			id = u.ID
		}
		return err
	})
	return &id
}

// report files a hazard as inspector zhangsan; a unit code assigns it at
// once, a region code leaves it reported in that region.
func (e *env) report(title, unit, region string, deadline models.Date) *models.Hazard {
	e.t.Helper()
	in := models.HazardInput{Title: title, Deadline: deadline, Sector: "燃气"}
	if unit != "" {
		in.UnitID = e.unitID(unit)
	}
	if region != "" {
		in.RegionID = e.unitID(region)
	}
	var h *models.Hazard
	e.tx(func(tx *models.Tx) error {
		a, err := tx.Actor("zhangsan")
		if err != nil {
			return err
		}
		h, _, err = tx.CreateHazard(a, in)
		return err
	})
	return h
}

func (e *env) act(user string, h *models.Hazard, action models.Action, c models.Change) {
	e.t.Helper()
	e.tx(func(tx *models.Tx) error {
		a, err := tx.Actor(user)
		if err != nil {
			return err
		}
		_, err = tx.Transition(a, h.Num(), action, c)
		return err
	})
}

func (e *env) outbox() []models.OutboxMessage {
	e.t.Helper()
	var list []models.OutboxMessage
	e.tx(func(tx *models.Tx) (err error) { list, err = tx.FindOutbox(models.OutboxFilter{}); return })
	return list
}

// sent lists "kind:user" of the outbox rows whose key names day, sorted.
func (e *env) keysOn(day string) []string {
	var out []string
	for _, m := range e.outbox() {
		p := strings.Split(m.DedupeKey, "|")
		if len(p) == 3 && p[1] == day {
			out = append(out, p[0]+":"+p[2])
		}
	}
	sort.Strings(out)
	return out
}

func (e *env) body(m models.OutboxMessage) bot.Outgoing {
	e.t.Helper()
	var out bot.Outgoing
	if err := json.Unmarshal([]byte(m.Body), &out); err != nil {
		e.t.Fatalf("outbox %d: %v", m.ID, err)
	}
	return out
}

// row returns the outbox row with the given key.
func (e *env) row(key string) models.OutboxMessage {
	e.t.Helper()
	for _, m := range e.outbox() {
		if m.DedupeKey == key {
			return m
		}
	}
	e.t.Fatalf("no outbox row %s", key)
	return models.OutboxMessage{}
}

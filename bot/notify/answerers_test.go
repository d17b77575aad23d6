package notify

import (
	"context"
	"slices"
	"testing"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// Overdue hazards that name no county with a supervisor, or that the city
// listed, remind the supervisors models.WhoAnswers names — the same people
// the conversation's notices go to — and never nobody.
func TestOverdueHazardsRemindWhoAnswersForThem(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, at(2023, 3, 1, 10, 0))
		file := func(in models.HazardInput) *models.Hazard {
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
		// No county, and a sector with no special committee: before, the
		// reminder sweep found no supervisor and reminded nobody.
		loose := file(models.HazardInput{Title: "无区域隐患", Sector: "消防", Deadline: models.NewDate(2023, 3, 5)})
		// Listed by the city: the city's supervisors answer for it.
		listed := file(models.HazardInput{Title: "市级挂牌隐患", Sector: "消防", RegionID: e.unitID("zhangwan"), Deadline: models.NewDate(2023, 3, 5)})
		e.act("zhaoliu", listed, models.ActList, models.Change{Colour: models.ColourYellow})

		e.clock.Set(at(2023, 3, 20, 9, 0))
		if _, err := e.n.Reminders(context.Background(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		got := e.keysOn("2023-03-20")
		for _, h := range []*models.Hazard{loose, listed} {
			var want []string
			e.tx(func(tx *models.Tx) error {
				fresh, err := tx.FindHazardByNumber(h.Num())
				if err != nil {
					return err
				}
				ans, err := models.WhoAnswers(tx, fresh)
				want = ans.Supervisors
				return err
			})
			if !slices.Equal(want, []string{"zhaoliu"}) {
				t.Fatalf("%s: WhoAnswers supervisors %v, want the city's zhaoliu", h.Title, want)
			}
		}
		for _, k := range []string{"remind:zhaoliu", "escalate:zhaoliu"} {
			if !slices.Contains(got, k) {
				t.Fatalf("reminders on 20 March: %v, want %s", got, k)
			}
		}
		if slices.Contains(got, "escalate:zwsup") || slices.Contains(got, "remind:zwsup") {
			t.Fatalf("the city-listed hazard went to the county instead of the city: %v", got)
		}
	})
}

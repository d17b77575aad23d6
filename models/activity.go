package models

import (
	"fmt"
	"time"
)

// Moments a hazard's life records, for counting what happened in a period.
const (
	MomentReported  = "created_at"
	MomentRectified = "rectified_at"
	MomentClosed    = "closed_at"
)

// CountBetween counts the hazards within scope (nil: everywhere) whose
// moment (MomentReported, MomentRectified, MomentClosed) falls in [from,
// to). Rectified counts only hazards still rectified: one sent back since
// does not count.
func (tx *Tx) CountBetween(scope *Unit, moment string, from, to time.Time) (int64, error) {
	switch moment {
	case MomentReported, MomentRectified, MomentClosed:
	default:
		return 0, fmt.Errorf("models: count between: unknown moment %q", moment)
	}
	q := tx.DB.Table("hazards").Where(moment+" >= ? AND "+moment+" < ?", from.UTC(), to.UTC())
	if moment == MomentRectified {
		q = q.Where("state IN ?", []State{StatePendingReview, StateClosed})
	}
	if scope != nil && !tx.CityWide(scope) {
		ids, err := tx.SubtreeIDs(scope)
		if err != nil {
			return 0, err
		}
		q = q.Where("(region_id IN ? OR unit_id IN ? OR committee_id IN ?)", ids, ids, ids)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("models: count %s: %w", moment, err)
	}
	return n, nil
}

// AssignedAt returns, for each of the hazards, when it was last reported or
// assigned (its latest report or assign event), read 1,000 at a time.
func (tx *Tx) AssignedAt(hazardIDs []uint) (map[uint]time.Time, error) {
	out := map[uint]time.Time{}
	for start := 0; start < len(hazardIDs); start += 1000 {
		var evs []Event
		err := tx.DB.Select("hazard_id", "created_at").
			Where("hazard_id IN ? AND action IN ?", hazardIDs[start:min(start+1000, len(hazardIDs))], []Action{ActReport, ActAssign}).
			Find(&evs).Error
		if err != nil {
			return nil, fmt.Errorf("models: assignment times: %w", err)
		}
		for _, ev := range evs {
			if ev.CreatedAt.After(out[ev.HazardID]) {
				out[ev.HazardID] = ev.CreatedAt
			}
		}
	}
	return out, nil
}

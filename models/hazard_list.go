package models

import (
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// HazardFilter selects hazards for lists, the ledger and the admin API.
// Zero values do not filter. Results come in number order, Limit at a time
// after AfterID (a cursor: the last id of the previous page).
type HazardFilter struct {
	Scope      *Unit // the viewer's unit: its subtree only (nil: everything)
	States     []State
	RegionID   *uint
	UnitIDs    []uint // responsible unit among these
	CampaignID *uint
	Sector     string
	Colour     Colour
	Grade      string // 一般 or 重大
	// Ledger leaves out withdrawn hazards and unverified tips (State.Found),
	// as the official ledger, its footer and the digests do.
	Ledger     bool
	From, To   Date // found on
	Overdue    bool // only overdue now
	ReporterID string
	AfterID    uint
	// Viewer keeps only what this actor may read (CanSee): hazards in their
	// unit's subtree and hazards they reported.
	Viewer *Actor
	// Keyword keeps hazards with every word (split on spaces) in the title,
	// description, enterprise, location or the responsible unit's name.
	Keyword string
	Limit   int // 0: no limit
	Desc    bool
}

func (tx *Tx) hazardQuery(f HazardFilter) (*gorm.DB, error) {
	q, err := tx.summaryQuery(SummaryFilter{From: f.From, To: f.To, Scope: f.Scope, RegionID: f.RegionID, CampaignID: f.CampaignID, Sector: f.Sector})
	if err != nil {
		return nil, err
	}
	if len(f.States) > 0 {
		q = q.Where("state IN ?", f.States)
	}
	if len(f.UnitIDs) > 0 {
		q = q.Where("unit_id IN ?", f.UnitIDs)
	}
	if f.Colour != "" {
		q = q.Where("colour = ?", f.Colour)
	}
	if f.Grade != "" {
		q = q.Where("grade = ?", f.Grade)
	}
	if f.Ledger {
		q = q.Where("state NOT IN ?", []State{StateWithdrawn, StateUnverified})
	}
	if f.Overdue {
		q = q.Where("state IN ? AND deadline < ?", []State{StateReported, StateRectifying}, tx.Today())
	}
	if f.ReporterID != "" {
		q = q.Where("reporter_id = ?", f.ReporterID)
	}
	if a := f.Viewer; a != nil {
		switch {
		case !a.Known():
			q = q.Where("reporter_id = ?", a.UserID)
		case !tx.CityWide(a.Unit):
			ids, err := tx.SubtreeIDs(a.Unit)
			if err != nil {
				return nil, err
			}
			q = q.Where("(region_id IN ? OR unit_id IN ? OR committee_id IN ? OR reporter_id = ?)", ids, ids, ids, a.UserID)
		}
	}
	for _, w := range strings.Fields(f.Keyword) {
		like := "%" + likeEscaper.Replace(w) + "%"
		q = q.Where("(title LIKE ? ESCAPE '!' OR description LIKE ? ESCAPE '!' OR enterprise LIKE ? ESCAPE '!' OR location LIKE ? ESCAPE '!'"+
			" OR unit_id IN (SELECT id FROM units WHERE name LIKE ? ESCAPE '!'))", like, like, like, like, like)
	}
	return q, nil
}

// likeEscaper makes a typed word match literally inside LIKE ... ESCAPE '!'.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// FindHazards returns the hazards f selects.
func (tx *Tx) FindHazards(f HazardFilter) ([]Hazard, error) {
	q, err := tx.hazardQuery(f)
	if err != nil {
		return nil, err
	}
	if f.Desc {
		if f.AfterID > 0 {
			q = q.Where("id < ?", f.AfterID)
		}
		q = q.Order("id DESC")
	} else {
		if f.AfterID > 0 {
			q = q.Where("id > ?", f.AfterID)
		}
		q = q.Order("id")
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var list []Hazard
	if err := q.Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: find hazards: %w", err)
	}
	return list, nil
}

// CountHazards counts the hazards f selects (ignoring the cursor). A
// filter the pre-aggregated counts can answer — period, scope, region,
// unit, sector, campaign, states, overdue, the ledger's leaving out the
// withdrawn — is counted from them (a county's 台账 total reads a few
// hundred count rows instead of its hazards); one naming a colour, grade,
// reporter, viewer or words counts the hazards.
func (tx *Tx) CountHazards(f HazardFilter) (int64, error) {
	if f.Colour == "" && f.Grade == "" && f.ReporterID == "" && f.Viewer == nil && strings.TrimSpace(f.Keyword) == "" && len(f.UnitIDs) <= 1 {
		sf := SummaryFilter{From: f.From, To: f.To, Scope: f.Scope, RegionID: f.RegionID, CampaignID: f.CampaignID, Sector: f.Sector}
		if len(f.UnitIDs) == 1 {
			sf.UnitID = &f.UnitIDs[0]
		}
		rows, err := tx.counts(sf, "")
		if err != nil {
			return 0, fmt.Errorf("models: count hazards: %w", err)
		}
		var n int64
		for _, r := range rows {
			if (len(f.States) > 0 && !slices.Contains(f.States, r.State)) || (f.Ledger && !r.State.Found()) {
				continue
			}
			if f.Overdue {
				n += r.PastDue // overdue rows are open ones past their deadline today
			} else {
				n += r.N
			}
		}
		return n, nil
	}
	q, err := tx.hazardQuery(f)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.Count(&n).Error
	return n, err
}

// EachHazard calls fn for every hazard f selects, in number order, reading
// batch rows at a time so that a whole city's ledger streams in bounded memory.
func (tx *Tx) EachHazard(f HazardFilter, batch int, fn func(*Hazard) error) error {
	if batch <= 0 {
		batch = 1000
	}
	f.Limit, f.Desc = batch, false
	for {
		list, err := tx.FindHazards(f)
		if err != nil {
			return err
		}
		for i := range list {
			if err := fn(&list[i]); err != nil {
				return err
			}
		}
		if len(list) < batch {
			return nil
		}
		f.AfterID = list[len(list)-1].ID
	}
}

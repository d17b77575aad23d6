package report

import (
	"errors"
	"fmt"
	"io"

	"hazardbot/models"
)

// errStopRows ends the hazard stream when the ledger writer stops reading.
var errStopRows = errors.New("report: stop")

// WriteFilteredLedger writes the ledger of what f selects under the header
// of f's scope and period: the admin API's export and the H5 download.
func WriteFilteredLedger(tx *models.Tx, f models.HazardFilter, w io.Writer) error {
	meta, err := MetaFor(tx, f.Scope, f.From, f.To)
	if err != nil {
		return err
	}
	return WriteHazardLedger(tx, f, meta, w)
}

// FileName is an exported ledger's file name for the day it was made.
func FileName(d models.Date) string { return ScopeFileName("", d) }

// ScopeFileName is the file name of a ledger of one named scope (a county,
// a sector) made on day d; an empty scope gives FileName's name. Every
// ledger file people receive (API export, H5 download, chat 台账, weekly
// digest) is named here.
func ScopeFileName(scope string, d models.Date) string {
	if scope == "" {
		return SheetName + "-" + d.String() + ".xlsx"
	}
	return SheetName + "-" + scope + "-" + d.String() + ".xlsx"
}

// WriteHazardLedger writes the ledger of the hazards f selects, streamed
// from the database in number order, with the 情况小结 footer counted over
// the same hazards. Unit, county and committee names come from the units
// loaded once; overdue is judged on tx.Today(). Withdrawn hazards and
// unverified tips are left out. The weekly digest and the
// admin API's export both use it, so the two files never disagree.
func WriteHazardLedger(tx *models.Tx, f models.HazardFilter, meta LedgerMeta, w io.Writer) error {
	// Withdrawn hazards and unverified tips are no part of the ledger: not
	// its rows, not its footer (whose 发现 leaves them out too).
	f.Ledger = true
	list, err := tx.AllUnits()
	if err != nil {
		return fmt.Errorf("report: load units: %w", err)
	}
	units := make(map[uint]*models.Unit, len(list))
	for i := range list {
		units[list[i].ID] = &list[i]
	}
	footer, err := ledgerFooter(tx, f)
	if err != nil {
		return err
	}
	today := tx.Today()
	f.AfterID, f.Limit, f.Desc = 0, 0, false
	rows := func(yield func(LedgerRow, error) bool) {
		err := tx.EachHazard(f, 500, func(h *models.Hazard) error {
			if !yield(HazardRow(h, units, today), nil) {
				return errStopRows
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopRows) {
			yield(LedgerRow{}, err)
		}
	}
	return WriteLedger(w, meta, rows, footer)
}

// HazardRow is the ledger row of h; units resolves unit ids to names.
func HazardRow(h *models.Hazard, units map[uint]*models.Unit, today models.Date) LedgerRow {
	name := func(id *uint, short bool) string {
		if id == nil || units[*id] == nil {
			return ""
		}
		if short {
			return units[*id].ShortName()
		}
		return units[*id].Name
	}
	return LedgerRow{
		Number:         h.Number,
		Title:          h.Title,
		Description:    h.Description,
		InspectionDate: h.InspectionDate,
		Measures:       h.Measures,
		Rectification:  h.Rectification,
		Unit:           name(h.UnitID, false),
		County:         name(h.RegionID, true),
		Committee:      name(h.CommitteeID, false),
		Deadline:       h.Deadline,
		Remarks:        h.Remarks,
		State:          models.StateName(h.State),
		Overdue:        h.Overdue(today),
		OverdueDays:    h.OverdueDays(today),
		Colour:         models.ColourName(h.Colour),
	}
}

// ledgerFooter counts the footer figures. tx.Summary answers in one grouped
// query when the filter is one it understands; a filter on state, colour,
// several units, overdue or reporter is counted over the rows instead, so
// the footer always matches the table.
func ledgerFooter(tx *models.Tx, f models.HazardFilter) (models.Figures, error) {
	sf := models.SummaryFilter{From: f.From, To: f.To, Scope: f.Scope, RegionID: f.RegionID, CampaignID: f.CampaignID, Sector: f.Sector}
	simple := len(f.States) == 0 && f.Colour == "" && f.Grade == "" && !f.Overdue && f.ReporterID == "" && len(f.UnitIDs) <= 1
	if simple {
		if len(f.UnitIDs) == 1 {
			sf.UnitID = &f.UnitIDs[0]
		}
		return tx.Summary(sf)
	}
	var fig models.Figures
	today := tx.Today()
	f.AfterID, f.Limit = 0, 0
	err := tx.EachHazard(f, 1000, func(h *models.Hazard) error {
		if h.State.Found() {
			fig.Found++
		}
		if h.State == models.StatePendingReview || h.State == models.StateClosed {
			fig.Rectified++
		}
		if h.State == models.StateClosed {
			fig.Closed++
		}
		if h.Overdue(today) {
			fig.Overdue++
		}
		return nil
	})
	return fig, err
}

// MetaFor names a ledger of scope's hazards found in [from, to]: the
// filling unit is scope (the city committee for the whole city) and the
// scope is named as in sentences (茅箭区, or 全市). It is filled today.
func MetaFor(tx *models.Tx, scope *models.Unit, from, to models.Date) (LedgerMeta, error) {
	meta := LedgerMeta{FilledAt: tx.Today(), Period: Period{From: from, To: to}, ScopeName: "全市"}
	if scope != nil {
		meta.UnitName, meta.ScopeName = scope.Name, scope.ShortName()
		return meta, nil
	}
	roots, err := tx.RootUnits()
	if err != nil {
		return meta, err
	}
	if len(roots) > 0 {
		meta.UnitName = roots[0].Name
	}
	return meta, nil
}

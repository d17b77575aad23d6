package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hazardbot/bot/report"
	"hazardbot/models"
)

// LedgerImport is what importing a ledger file did, or — for a dry run —
// would do: one line per hazard, and every problem found.
type LedgerImport struct {
	DryRun  bool                 `json:"dry_run"`
	Rows    []LedgerImportRow    `json:"rows"`
	Errors  []report.ImportError `json:"errors"`
	Created int                  `json:"created"` // hazards written (0 for a dry run or a refused file)
}

// LedgerImportRow is one hazard of the file as it was (or would be) created.
type LedgerImportRow struct {
	Line      int          `json:"line"`
	Number    string       `json:"number"` // the number it got (or would get)
	Title     string       `json:"title"`
	Unit      string       `json:"unit,omitempty"`
	County    string       `json:"county,omitempty"`
	Committee string       `json:"committee,omitempty"`
	State     models.State `json:"state"`
	Deadline  models.Date  `json:"deadline"`
}

// errDryRun rolls back a dry run's transaction: a dry run creates every
// hazard exactly as a real run would, so it finds every problem a real run
// would find, and then writes nothing.
var errDryRun = errors.New("bot: dry run")

// Column names of report.ImportError, as the ledger's header says them.
const (
	colUnit      = "责任单位"
	colCounty    = "县市区"
	colCommittee = "市级专委会督办销号"
	colNumber    = "备注"
)

// ImportLedger loads the rows of a ledger file into the ledger on behalf of
// actorID, who must be an admin. Each row's 责任单位, 县市区 and 专委会 are
// resolved against the directory by exact name; an unknown one is a row
// error naming the closest units. A dry run reports row by row what would
// be created and what is wrong, and writes nothing. A real run writes every
// hazard in one transaction, or — when any row is wrong — nothing, and then
// returns the import with its Errors together with an invalid error.
func (b *Bot) ImportLedger(ctx context.Context, actorID string, res *report.ImportResult, dryRun bool) (*LedgerImport, error) {
	var out *LedgerImport
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		out = &LedgerImport{DryRun: dryRun, Errors: append([]report.ImportError(nil), res.Errors...)}
		a, err := actorFor(ctx, tx, actorID)
		if err != nil {
			return err
		}
		if err := models.Permit(a, models.ActImport, true, true); err != nil {
			return err
		}
		if len(res.Rows) == 0 && len(res.Errors) == 0 {
			return models.Errorf(models.EInvalid, "文件里没有隐患")
		}
		for _, r := range res.Rows {
			row, errs, err := b.importRow(tx, a, r)
			if err != nil {
				return err
			}
			if len(errs) > 0 {
				out.Errors = append(out.Errors, errs...)
				continue
			}
			out.Rows = append(out.Rows, row)
		}
		if dryRun || len(out.Errors) > 0 {
			return errDryRun
		}
		out.Created = len(out.Rows)
		return nil
	})
	switch {
	case errors.Is(err, errDryRun):
		if !dryRun {
			return out, models.Errorf(models.EInvalid, "台账有 %d 处错误，未导入任何隐患，请改正后重新导入", len(out.Errors))
		}
		return out, nil
	case err != nil:
		return nil, err
	}
	b.log.Info("ledger imported", "actor", actorID, "hazards", out.Created)
	return out, nil
}

// importRow resolves one row's units and creates its hazard. Problems with
// the row come back as row errors; only an internal error is returned.
func (b *Bot) importRow(tx *models.Tx, a *models.Actor, r report.ImportRow) (LedgerImportRow, []report.ImportError, error) {
	row := LedgerImportRow{Line: r.Line, Title: r.Title, Deadline: r.Deadline}
	var errs []report.ImportError
	bad := func(col, msg string) {
		errs = append(errs, report.ImportError{Line: r.Line, Column: col, Message: msg})
	}
	resolve := func(words, col, what string, kinds ...models.UnitKind) (*models.Unit, error) {
		if strings.TrimSpace(words) == "" {
			return nil, nil
		}
		exact, close, err := tx.MatchUnits(words, 3, kinds...)
		if err != nil {
			return nil, err
		}
		if exact == nil {
			bad(col, unknownUnit(what, words, close))
		}
		return exact, nil
	}
	unit, err := resolve(r.Unit, colUnit, "单位", models.UnitKinds...)
	if err != nil {
		return row, nil, err
	}
	county, err := resolve(r.County, colCounty, "县市区", models.KindRegion)
	if err != nil {
		return row, nil, err
	}
	committee, err := resolve(r.Committee, colCommittee, "专委会", models.KindSpecialCommittee)
	if err != nil {
		return row, nil, err
	}
	if r.Number != "" {
		if n, perr := models.ParseNumber(r.Number, tx.Today().Year); perr == nil {
			if _, ferr := tx.FindHazardByNumber(n); ferr == nil {
				bad(colNumber, fmt.Sprintf("隐患 %s 已在台账中，不重复导入", n))
			} else if models.ErrorCode(ferr) != models.ENotFound {
				return row, nil, ferr
			}
		}
	}
	if len(errs) > 0 {
		return row, errs, nil
	}
	in := models.HazardInput{
		Title: r.Title, Description: r.Description, Measures: r.Measures, Remarks: r.Remarks,
		InspectionDate: r.InspectionDate, Deadline: r.Deadline, State: models.StateReported,
		Year: r.InspectionDate.Year,
	}
	if in.Year == 0 {
		in.Year = tx.Today().Year
	}
	if unit != nil {
		in.UnitID = &unit.ID
		row.Unit = unit.Name
		if !r.Deadline.IsZero() {
			in.State = models.StateRectifying
		}
	}
	if county != nil {
		in.RegionID = &county.ID
		row.County = county.Name
	}
	if committee != nil {
		// The committee supervises one sector; naming the sector lets
		// CreateHazard attach the hazard to it.
		in.Sector = committee.Sector
		row.Committee = committee.Name
	}
	h, _, err := tx.CreateHazard(a, in)
	var me *models.Error
	if errors.As(err, &me) {
		return row, []report.ImportError{{Line: r.Line, Message: me.Message}}, nil
	}
	if err != nil {
		return row, nil, err
	}
	row.Number, row.State = h.Number, h.State
	return row, nil, nil
}

// unknownUnit says that words names no unit, and which units come closest.
func unknownUnit(what, words string, close []models.Unit) string {
	if len(close) == 0 {
		return fmt.Sprintf("通讯录里没有%s“%s”，请写全称", what, words)
	}
	names := make([]string, len(close))
	for i, u := range close {
		names[i] = u.Name
	}
	return fmt.Sprintf("通讯录里没有%s“%s”，最接近的是：%s", what, words, strings.Join(names, "、"))
}

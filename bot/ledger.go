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
// would do: one line per hazard, the units created, and every problem found.
type LedgerImport struct {
	DryRun bool                 `json:"dry_run"`
	Rows   []LedgerImportRow    `json:"rows"`
	Errors []report.ImportError `json:"errors"`
	// Warnings are what the clerk should know but that stops nothing: a
	// row hidden in the workbook (imported like the others).
	Warnings []report.ImportError `json:"warnings"`
	NewUnits []NewUnit            `json:"new_units"` // units not in the directory, created (or to be) unverified
	// Created, Updated and Unchanged count the rows' actions: done, or for
	// a dry run to be done; a refused real run did none.
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Row actions of an import.
const (
	RowCreate    = "create"    // a new hazard
	RowUpdate    = "update"    // a hazard already in the ledger, changed by the file
	RowUnchanged = "unchanged" // a hazard already in the ledger, as the file has it
)

// LedgerImportRow is one hazard of the file and what happened (or would) to it.
type LedgerImportRow struct {
	Line   int    `json:"line"`
	Action string `json:"action"` // create, update or unchanged
	Number string `json:"number"` // the number it has, got or would get
	Title  string `json:"title"`
	Unit   string `json:"unit,omitempty"`
	// UnitCreated says the unit was not in the directory and is (or would
	// be) created unverified.
	UnitCreated bool   `json:"unit_created,omitempty"`
	County      string `json:"county,omitempty"`
	Committee   string `json:"committee,omitempty"`
	// State is the state the hazard has, or a new one gets: a new row
	// takes the state its ledger records (report.ImportRow.State: 已销号,
	// 已整改 → 待复查); StateName says it in Chinese for the clerk.
	State     models.State `json:"state"`
	StateName string       `json:"state_name"`
	Deadline  models.Date  `json:"deadline"`
	// DuplicateOf is the open hazard a new row may repeat (chat's 合并/继续
	// rule), and Note says so ("疑似重复 YH2023-0012（…）"); DuplicateLine is
	// an earlier new row of the same file it may repeat, by the same rule
	// ("疑似与第3行重复（…）": a row typed or pasted twice). The row is still
	// created; leave it out of the file to skip it.
	DuplicateOf   string `json:"duplicate_of,omitempty"`
	DuplicateLine int    `json:"duplicate_line,omitempty"`
	Note          string `json:"note,omitempty"`
	// Hidden says the row is hidden in the workbook; it is imported all
	// the same, and listed among the warnings.
	Hidden bool `json:"hidden,omitempty"`
}

// NewUnit is a unit an import creates because the directory did not have it.
type NewUnit struct {
	Code   string          `json:"code"`
	Name   string          `json:"name"`
	Kind   models.UnitKind `json:"kind"`
	County string          `json:"county,omitempty"`
}

// errDryRun rolls back a dry run's transaction: a dry run does exactly what
// a real run would, so it finds every problem a real run would find, and
// then writes nothing.
var errDryRun = errors.New("bot: dry run")

// msgHiddenRow warns of a row hidden in the workbook.
const msgHiddenRow = "隐藏行，照常导入；不需要的请从文件中删除"

// Column names of report.ImportError, as the ledger's header says them.
const (
	colUnit      = "责任单位"
	colCounty    = "县市区"
	colCommittee = "市级专委会督办销号"
)

// ImportLedger loads the rows of a ledger file into the ledger on behalf of
// actorID, who must be an admin. Each row's 县市区 and 专委会 are matched
// against the directory (short forms, with or without 安委会); its 责任单位
// likewise, or created unverified under the row's county when the directory
// has no such unit. A row is a hazard already in the ledger when its 编号
// (first line of 备注) is, or else when a hazard has its 重点隐患, 责任单位
// and 检查日期 (its 重点隐患 and 责任单位, when it has no 检查日期): such a
// row updates what the file says differently (empty cells change nothing)
// or is unchanged, so importing the same ledger twice changes nothing. A dry run reports row by row what would happen and
// writes nothing. A real run does it all in one transaction, or — when any
// row is wrong — nothing, and then returns the import with its Errors
// together with an invalid error.
func (b *Bot) ImportLedger(ctx context.Context, actorID string, res *report.ImportResult, dryRun bool) (*LedgerImport, error) {
	var out *LedgerImport
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		out = &LedgerImport{DryRun: dryRun, Rows: []LedgerImportRow{}, NewUnits: []NewUnit{},
			Errors: append([]report.ImportError{}, res.Errors...), Warnings: []report.ImportError{}}
		for _, r := range res.Rows {
			if r.Hidden {
				out.Warnings = append(out.Warnings, report.ImportError{Line: r.Line, Message: msgHiddenRow})
			}
		}
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
		imp := &ledgerImport{tx: tx, actor: a, out: out, units: map[string]unitHit{}, dryRun: dryRun}
		if err := imp.run(res.Rows); err != nil {
			return err
		}
		if dryRun || len(out.Errors) > 0 {
			return errDryRun
		}
		return nil
	})
	switch {
	case errors.Is(err, errDryRun):
		out.sortErrors()
		if !dryRun {
			out.Created, out.Updated, out.Unchanged = 0, 0, 0
			return out, models.Errorf(models.EInvalid, "台账有 %d 处错误，未导入任何隐患，请改正后重新导入", len(out.Errors))
		}
		return out, nil
	case err != nil:
		return nil, err
	}
	b.log.Info("ledger imported", "actor", actorID, "created", out.Created, "updated", out.Updated,
		"unchanged", out.Unchanged, "new_units", len(out.NewUnits))
	return out, nil
}

func (li *LedgerImport) sortErrors() {
	e := li.Errors
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].Line < e[j-1].Line; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}

// ledgerImport is one import in progress.
type ledgerImport struct {
	tx    *models.Tx
	actor *models.Actor
	out   *LedgerImport
	// units remembers each name's resolution: a ledger names the same few
	// units on many rows.
	units map[string]unitHit
	// dryRun plans the new hazards instead of writing them: the same checks
	// and numbers, without the writes (and their rollback).
	dryRun bool
}

type unitHit struct {
	u       *models.Unit
	created bool
	msg     string // why the name names no unit
}

// planned is one good row and the hazard it makes or matches.
type planned struct {
	row  LedgerImportRow
	in   models.HazardInput
	have *models.Hazard // the hazard already in the ledger, or nil
}

func (imp *ledgerImport) run(rows []report.ImportRow) error {
	tx, out := imp.tx, imp.out
	var plan []planned
	for _, r := range rows {
		p, errs, err := imp.resolve(r)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			out.Errors = append(out.Errors, errs...)
			continue
		}
		plan = append(plan, p)
	}
	if err := imp.matchExisting(plan); err != nil {
		return err
	}
	var fresh []int // indexes into plan of the hazards to create
	for i := range plan {
		p := &plan[i]
		if p.have == nil {
			fresh = append(fresh, i)
			continue
		}
		changed, err := tx.ImportUpdate(imp.actor, p.have, p.in)
		var me *models.Error
		if errors.As(err, &me) {
			out.Errors = append(out.Errors, report.ImportError{Line: p.row.Line, Message: me.Message})
			continue
		}
		if err != nil {
			return err
		}
		p.row.Number, p.row.State, p.row.Deadline = p.have.Number, p.have.State, p.have.Deadline
		if changed {
			p.row.Action = RowUpdate
			out.Updated++
		} else {
			p.row.Action = RowUnchanged
			out.Unchanged++
		}
	}
	if err := imp.flagDuplicates(plan, fresh); err != nil {
		return err
	}
	ins := make([]models.HazardInput, len(fresh))
	for k, i := range fresh {
		ins[k] = plan[i].in
	}
	if len(ins) > 0 && len(out.Errors) == 0 {
		var hs []*models.Hazard
		var err error
		if imp.dryRun {
			hs, err = tx.PlanHazards(imp.actor, ins)
		} else {
			hs, _, err = tx.CreateHazards(imp.actor, ins)
		}
		var be *models.BatchError
		var me *models.Error
		if errors.As(err, &be) && errors.As(err, &me) {
			out.Errors = append(out.Errors, report.ImportError{Line: plan[fresh[be.Index]].row.Line, Message: me.Message})
		} else if err != nil {
			return err
		} else {
			for k, i := range fresh {
				p := &plan[i]
				p.row.Action, p.row.Number, p.row.State = RowCreate, hs[k].Number, hs[k].State
			}
			out.Created = len(hs)
		}
	}
	for _, p := range plan {
		if p.row.State != "" {
			p.row.StateName = models.StateName(p.row.State)
		}
		if p.row.Action == "" {
			p.row.Action = RowCreate // not created: the file has errors
		}
		out.Rows = append(out.Rows, p.row)
	}
	return nil
}

// resolve finds a row's units, creating an unknown responsible unit, and
// builds its hazard input. Problems with the row come back as row errors;
// only an internal error is returned.
func (imp *ledgerImport) resolve(r report.ImportRow) (planned, []report.ImportError, error) {
	tx := imp.tx
	p := planned{row: LedgerImportRow{Line: r.Line, Title: r.Title, Deadline: r.Deadline, Hidden: r.Hidden}}
	var errs []report.ImportError
	bad := func(col, msg string) {
		errs = append(errs, report.ImportError{Line: r.Line, Column: col, Message: msg})
	}
	lookup := func(words, col, what string, kinds ...models.UnitKind) (*models.Unit, error) {
		if strings.TrimSpace(words) == "" {
			return nil, nil
		}
		key := col + "\x00" + words
		hit, ok := imp.units[key]
		if !ok {
			match, close, err := tx.MatchUnit(words, nil, kinds...)
			if err != nil {
				return nil, err
			}
			hit = unitHit{u: match}
			if match == nil {
				hit.msg = unknownUnit(what, words, close)
			}
			imp.units[key] = hit
		}
		if hit.msg != "" {
			bad(col, hit.msg)
		}
		return hit.u, nil
	}
	county, err := lookup(r.County, colCounty, "县市区", models.KindRegion)
	if err != nil {
		return p, nil, err
	}
	committee, err := lookup(r.Committee, colCommittee, "专委会", models.KindSpecialCommittee)
	if err != nil {
		return p, nil, err
	}
	var unit *models.Unit
	if strings.TrimSpace(r.Unit) != "" && len(errs) == 0 {
		key := fmt.Sprintf("%s\x00%d\x00%s", colUnit, idOr0(county), r.Unit)
		hit, ok := imp.units[key]
		if !ok {
			u, created, err := tx.UnitFor(r.Unit, county)
			var me *models.Error
			switch {
			case errors.As(err, &me):
				hit.msg = me.Message
			case err != nil:
				return p, nil, err
			default:
				hit.u, hit.created = u, created
				if created {
					nu := NewUnit{Code: u.Code, Name: u.Name, Kind: u.Kind}
					if county != nil {
						nu.County = county.ShortName()
					}
					imp.out.NewUnits = append(imp.out.NewUnits, nu)
				}
			}
			imp.units[key] = hit
		}
		if hit.msg != "" {
			bad(colUnit, hit.msg)
		}
		unit, p.row.UnitCreated = hit.u, hit.created
	}
	if len(errs) > 0 {
		return p, errs, nil
	}
	in := models.HazardInput{
		Title: r.Title, Description: r.Description, Measures: r.Measures, Remarks: r.Remarks,
		Rectification: r.Rectification, InspectionDate: r.InspectionDate, Deadline: r.Deadline,
		State: models.StateReported, Year: r.InspectionDate.Year,
	}
	if in.Year == 0 {
		in.Year = tx.Today().Year
	}
	if r.Number != "" {
		if n, err := models.ParseNumber(r.Number, in.Year); err == nil {
			p.row.Number = n.String()
		}
	}
	if err := in.Check(); err != nil {
		var me *models.Error
		if !errors.As(err, &me) {
			return p, nil, err
		}
		return p, []report.ImportError{{Line: r.Line, Message: me.Message}}, nil
	}
	if unit != nil {
		in.UnitID = &unit.ID
		p.row.Unit = unit.Name
		if !r.Deadline.IsZero() {
			in.State = models.StateRectifying
		}
	}
	if r.State != "" {
		// Done before the import: the ledger's word, never the system's
		// for a hazard it already has (ImportUpdate keeps that state).
		in.State = r.State
	}
	if county != nil {
		in.RegionID = &county.ID
		p.row.County = county.Name
	}
	if committee != nil {
		// The committee supervises one sector; naming the sector lets
		// CreateHazard attach the hazard to it.
		in.Sector = committee.Sector
		p.row.Committee = committee.Name
	}
	p.in = in
	return p, nil, nil
}

func idOr0(u *models.Unit) uint {
	if u == nil {
		return 0
	}
	return u.ID
}

// matchExisting finds the hazards already in the ledger: by 编号, else by
// 重点隐患 + 责任单位 + 检查日期 (a row without 检查日期: 重点隐患 +
// 责任单位), with a few batched queries. Each hazard is matched once.
func (imp *ledgerImport) matchExisting(plan []planned) error {
	var numbers, titles []string
	for _, p := range plan {
		if p.row.Number != "" {
			numbers = append(numbers, p.row.Number)
		}
		titles = append(titles, p.in.Title)
	}
	byNumber, err := imp.tx.HazardsByNumber(numbers)
	if err != nil {
		return err
	}
	byTitle, err := imp.tx.HazardsByTitle(titles)
	if err != nil {
		return err
	}
	type key struct {
		title string
		unit  uint
		day   models.Date
	}
	// same lists the hazards of each key in the order they were made, so
	// that a row typed twice matches the two hazards its first import made.
	same := map[key][]*models.Hazard{}
	for i := range byTitle {
		h := &byTitle[i]
		if h.State == models.StateWithdrawn {
			continue
		}
		var u uint
		if h.UnitID != nil {
			u = *h.UnitID
		}
		k := key{h.Title, u, h.InspectionDate}
		same[k] = append(same[k], h)
		// A row without 检查日期 made a hazard dated the day of its
		// import: the same row later matches by 重点隐患 + 责任单位.
		k.day = models.Date{}
		same[k] = append(same[k], h)
	}
	taken := map[uint]bool{}
	for i := range plan {
		p := &plan[i]
		h := byNumber[p.row.Number]
		if h == nil || taken[h.ID] {
			h = nil
			var u uint
			if p.in.UnitID != nil {
				u = *p.in.UnitID
			}
			for _, c := range same[key{strings.TrimSpace(p.in.Title), u, p.in.InspectionDate}] {
				if !taken[c.ID] {
					h = c
					break
				}
			}
		}
		if h != nil {
			taken[h.ID] = true
			p.have = h
		}
	}
	return nil
}

// flagDuplicates notes on each new row the open hazard it may repeat, by
// the rule chat asks 合并 or 继续 by (models.Duplicates), reading each
// county's open hazards once — or else an earlier new row of the file
// itself that it may repeat, by the same rule.
func (imp *ledgerImport) flagDuplicates(plan []planned, fresh []int) error {
	open := map[uint]*models.DuplicateIndex{}
	// earlier holds the file's new rows so far as hazards of their county,
	// each tagged (ID) with its place in plan plus one.
	earlier := map[uint]*models.DuplicateIndex{}
	for _, i := range fresh {
		p := &plan[i]
		// A row without a county is compared with the file's other rows
		// without one (region 0), as the rule compares within a county.
		in, region := p.in, uint(0)
		if in.RegionID != nil {
			region = *in.RegionID
			if open[region] == nil {
				list, err := imp.tx.DuplicateCandidates(region)
				if err != nil {
					return err
				}
				open[region] = models.NewDuplicateIndex(list)
			}
			if dups := open[region].Find(in); len(dups) > 0 {
				p.row.DuplicateOf, p.row.Note = dups[0].Number, duplicateNote(&dups[0])
			}
		}
		if earlier[region] == nil {
			earlier[region] = models.NewDuplicateIndex(nil)
		}
		in.RegionID = &region
		if p.row.DuplicateOf == "" {
			if dups := earlier[region].Find(in); len(dups) > 0 {
				first := plan[dups[0].ID-1].row
				p.row.DuplicateLine, p.row.Note = first.Line, fmt.Sprintf(msgDuplicateLine, first.Line, clip(first.Title, 30))
			}
		}
		earlier[region].Add(models.Hazard{ID: uint(i) + 1, Title: p.in.Title, RegionID: &region,
			UnitID: p.in.UnitID, Enterprise: p.in.Enterprise, Lat: p.in.Lat, Lng: p.in.Lng})
	}
	return nil
}

// unknownUnit says that words names no unit, and which units come closest.
func unknownUnit(what, words string, close []models.Unit) string {
	if len(close) == 0 {
		return fmt.Sprintf("通讯录里没有%s“%s”", what, words)
	}
	names := make([]string, len(close))
	for i, u := range close {
		names[i] = u.Name
	}
	return fmt.Sprintf("通讯录里没有%s“%s”，最接近的是：%s", what, words, strings.Join(names, "、"))
}

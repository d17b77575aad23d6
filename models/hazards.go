package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// HazardInput is what a report (or an import) says about a new hazard.
// Units are resolved by the caller, except a responsible unit given by name.
type HazardInput struct {
	Title, Description, Measures, Remarks string
	// Rectification is 整改情况, for an import of an exported ledger.
	Rectification                       string
	Enterprise, Location, Grade, Sector string
	InspectionDate, Deadline            Date
	RegionID, UnitID                    *uint
	// UnitName names the responsible unit when UnitID is nil: matched
	// against the directory, or created unverified under the hazard's
	// county (see UnitFor). Only a known actor's report creates a unit.
	UnitName   string
	Lat, Lng   *float64
	CampaignID *uint
	// Year numbers the hazard in that year's sequence; 0 means this year.
	Year int
	// State, for an import of an existing ledger, the state to start in
	// (ImportStates); "" lets the report rules decide. A hazard imported
	// done (待复查, 已销号) was done before the import, on a day the ledger
	// does not say: it has no RectifiedAt or ClosedAt, so that the day's
	// 整改完成 and 销号 and the time to close do not count it as done on
	// the day of the import in no time.
	State State
	// Tip files a public tip (群众举报): it starts unverified (待核实) for
	// the county's supervisors and names no responsible unit.
	Tip bool
}

func (in *HazardInput) normalise() {
	for _, p := range []*string{&in.Title, &in.Description, &in.Measures, &in.Remarks, &in.Rectification, &in.Enterprise, &in.Location, &in.Grade, &in.Sector} {
		*p = strings.TrimSpace(Visible(*p))
	}
	in.UnitName = strings.TrimSpace(Visible(in.UnitName))
}

// Check says what is wrong with in by the rules that need no database
// (a title, lengths, a 整改时限 not before its 检查日期), as CreateHazards
// would: for a caller of a batch (an import) that tells every input's
// problem, where CreateHazards stops at the first.
func (in HazardInput) Check() error {
	in.normalise()
	return in.validate()
}

// validate checks the fields that need no database.
func (in *HazardInput) validate() error {
	if in.Title == "" {
		return Errorf(EInvalid, "缺少“隐患”（重点隐患的标题）")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"隐患", in.Title, 255}, {"内容", in.Description, 2000}, {"措施", in.Measures, 2000}, {"整改情况", in.Rectification, 2000}, {"备注", in.Remarks, 1000}, {"企业", in.Enterprise, 255}, {"位置", in.Location, 255}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return Errorf(EInvalid, "“%s”太长了，最多 %d 个字", f.name, f.max)
		}
	}
	if in.Sector != "" && !ValidSector(in.Sector) {
		return Errorf(EInvalid, "行业“%s”不在列表中，可选：%s", in.Sector, strings.Join(Sectors, "、"))
	}
	if in.Grade != "" && in.Grade != GradeGeneral && in.Grade != GradeMajor {
		return Errorf(EInvalid, "隐患等级只能是“一般”或“重大”")
	}
	if !in.Deadline.IsZero() && !in.InspectionDate.IsZero() && in.Deadline.Before(in.InspectionDate) {
		return Errorf(EInvalid, "整改时限（%s）早于检查日期（%s）", in.Deadline.Chinese(), in.InspectionDate.Chinese())
	}
	if err := checkCoordinates(in.Lat, in.Lng); err != nil {
		return err
	}
	if in.State != "" && !slices.Contains(ImportStates, in.State) {
		return Errorf(EInvalid, "导入的隐患不能是“%s”", StateName(in.State))
	}
	if (in.UnitID != nil || in.UnitName != "") && in.Deadline.IsZero() && in.State == "" {
		return Errorf(EInvalid, "指定了责任单位，还需要整改时限")
	}
	return nil
}

// checkCoordinates refuses a location that is no place on earth, or half
// of one: the 100 m duplicate rule and the county found from a location
// would read it as if it were.
func checkCoordinates(lat, lng *float64) error {
	if (lat == nil) != (lng == nil) {
		return Errorf(EInvalid, "位置坐标要同时给出纬度和经度")
	}
	if lat == nil {
		return nil
	}
	if !(*lat >= -90 && *lat <= 90) || !(*lng >= -180 && *lng <= 180) {
		return Errorf(EInvalid, "位置坐标不对：纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间（收到 %g，%g）", *lat, *lng)
	}
	return nil
}

// CreateHazard records a new hazard reported by actor, numbers it and writes
// its first event. A report naming a responsible unit is an implicit
// assignment: by a directory member naming a unit in their scope (the one
// 交办 asks of an assigner, InAssignScope) it goes straight to rectifying;
// a stranger's, or one naming a unit outside the reporter's scope, waits as
// reported (待交办) for the supervisors who answer for it (WhoAnswers), the
// unit kept on the event's note and in Hazard.NamedUnit, and its county
// taken as the hazard's region when the report gave none.
func (tx *Tx) CreateHazard(actor *Actor, in HazardInput) (*Hazard, *Event, error) {
	hs, evs, err := tx.CreateHazards(actor, []HazardInput{in})
	if err != nil {
		return nil, nil, err
	}
	return hs[0], evs[0], nil
}

// CreateHazards records several new hazards at once, as CreateHazard does
// one (the same rules, in the same order): numbers are allocated one
// counter update per year, and hazards and events are inserted in batches.
// A problem with any input is returned as that input's error and nothing
// is written; wrap it with the input's place (ImportError) as needed.
func (tx *Tx) CreateHazards(actor *Actor, ins []HazardInput) ([]*Hazard, []*Event, error) {
	now := tx.Now().UTC()
	hs := make([]*Hazard, len(ins))
	notes := make([]string, len(ins))
	years := map[int]int{}
	for i := range ins {
		h, note, err := tx.prepareHazard(actor, ins[i], now)
		if err != nil {
			return nil, nil, &BatchError{Index: i, Err: err}
		}
		hs[i], notes[i] = h, note
		years[h.Year]++
	}
	if tx.deferNumbers {
		// Numbered at the end of the transaction (settle), so that the
		// year's counter is locked only from there to commit. The counts'
		// day is read now, not in that tail.
		if _, err := tx.countsAsOf(); err != nil {
			return nil, nil, err
		}
		for _, h := range hs {
			h.Seq, h.Number = placeholder()
		}
	} else {
		next := map[int]int{}
		for year, n := range years {
			last, err := tx.nextSeqs(year, n)
			if err != nil {
				return nil, nil, err
			}
			next[year] = last - n + 1
		}
		for _, h := range hs {
			h.Seq = next[h.Year]
			next[h.Year]++
			h.Number = h.Num().String()
		}
	}
	if tx.grp != nil {
		// In a group the rows are written at its end, with the group's
		// others; until then they carry placeholder ids (group.go).
		evs := tx.newEvents(actor, ins, hs, notes, now)
		tx.later.hazards = append(tx.later.hazards, hs...)
		tx.later.events = append(tx.later.events, evs...)
		tx.unnumbered = append(tx.unnumbered, hs...)
		return hs, evs, nil
	}
	if err := tx.DB.CreateInBatches(hs, 200).Error; err != nil {
		return nil, nil, fmt.Errorf("models: create hazards: %w", err)
	}
	evs := tx.newEvents(actor, ins, hs, notes, now)
	if err := tx.DB.CreateInBatches(evs, 200).Error; err != nil {
		return nil, nil, fmt.Errorf("models: create events: %w", err)
	}
	if tx.deferNumbers {
		// Counted by settle, after the number: the count rows of a busy
		// day are shared by every report too, so they are locked late.
		tx.unnumbered = append(tx.unnumbered, hs...)
	} else if err := tx.RecountNew(hs...); err != nil {
		return nil, nil, err
	}
	return hs, evs, nil
}

// newEvents builds the report (or import) events of new hazards.
func (tx *Tx) newEvents(actor *Actor, ins []HazardInput, hs []*Hazard, notes []string, now time.Time) []*Event {
	evs := make([]*Event, len(hs))
	for i, h := range hs {
		action := ActReport
		if ins[i].State != "" {
			action = ActImport
		}
		evs[i] = &Event{HazardID: h.ID, Action: action, ToState: h.State, ActorID: actor.UserID, ActorName: actor.Name, Note: notes[i], Via: actor.Via, CreatedAt: now}
		if tx.grp != nil {
			h.ID = placeholderID()
			evs[i].HazardID, evs[i].ID = h.ID, placeholderID()
		}
	}
	return evs
}

// PlanHazards checks inputs as CreateHazards would and returns the hazards
// it would create, numbered as they would be if nothing else were numbered
// first, without writing any: a dry run of an import. (Units named by name
// are still matched or created; the caller rolls them back.)
func (tx *Tx) PlanHazards(actor *Actor, ins []HazardInput) ([]*Hazard, error) {
	now := tx.Now().UTC()
	hs := make([]*Hazard, len(ins))
	next := map[int]int{}
	for i := range ins {
		h, _, err := tx.prepareHazard(actor, ins[i], now)
		if err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		if _, ok := next[h.Year]; !ok {
			var v []int64
			if err := tx.DB.Raw("SELECT value FROM counters WHERE name = ?", fmt.Sprintf("hazard/%d", h.Year)).Scan(&v).Error; err != nil {
				return nil, fmt.Errorf("models: read counter: %w", err)
			}
			next[h.Year] = 1
			if len(v) == 1 {
				next[h.Year] = int(v[0]) + 1
			}
		}
		h.Seq = next[h.Year]
		next[h.Year]++
		h.Number = h.Num().String()
		hs[i] = h
	}
	return hs, nil
}

// BatchError is the problem of one input of a batch.
type BatchError struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string { return fmt.Sprintf("input %d: %v", e.Index, e.Err) }

// Unwrap gives the input's own error, so a domain error keeps its code.
func (e *BatchError) Unwrap() error { return e.Err }

// prepareHazard checks one input and builds its hazard, unnumbered.
func (tx *Tx) prepareHazard(actor *Actor, in HazardInput, now time.Time) (h *Hazard, note string, err error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	var named string
	if in.UnitID == nil && strings.TrimSpace(in.UnitName) != "" {
		if note, err = tx.resolveUnitName(actor, &in); err != nil {
			return nil, "", err
		}
		if note != "" {
			named = strings.TrimSpace(in.UnitName)
		}
	}
	today := tx.Today()
	h = &Hazard{
		Title: in.Title, Description: in.Description, Measures: in.Measures, Remarks: in.Remarks, Rectification: in.Rectification,
		Enterprise: in.Enterprise, Location: in.Location, Grade: in.Grade, Sector: in.Sector,
		InspectionDate: in.InspectionDate, Deadline: in.Deadline,
		RegionID: in.RegionID, UnitID: in.UnitID, Lat: in.Lat, Lng: in.Lng, CampaignID: in.CampaignID,
		ReporterID: actor.UserID, State: StateReported, Level: LevelCounty, NamedUnit: named,
	}
	if h.Grade == "" {
		h.Grade = GradeGeneral
	}
	// 检查日期 is the day of the report unless the reporter says otherwise:
	// the official ledger has no empty 检查日期.
	if h.InspectionDate.IsZero() {
		h.InspectionDate = today
	}
	h.FoundOn = h.InspectionDate
	units, err := tx.UnitsByID(derefs(in.RegionID, in.UnitID)...)
	if err != nil {
		return nil, "", err
	}
	if in.RegionID != nil {
		r := units[*in.RegionID]
		if r == nil || r.Kind != KindRegion {
			return nil, "", Errorf(EInvalid, "区域必须是一个县市区")
		}
	}
	if in.UnitID != nil {
		u := units[*in.UnitID]
		if u == nil || !u.Active {
			return nil, "", Errorf(EInvalid, "责任单位不存在或已停用")
		}
		switch {
		case in.State != "":
			// An import (the only input with a State) keeps the unit its
			// ledger names, in the importer's scope or not: importing is an
			// admin's act (Permit ActImport) that records the ledger offices
			// kept before, whose units their own supervisors assigned; it
			// assigns nothing new. Checked against the importing admin's
			// unit, a county admin's import of the city's ledger would turn
			// rows long in rectification back into 待交办.
			h.State = StateRectifying
		case tx.InAssignScope(actor, u):
			h.State = StateRectifying
		case actor.Known():
			// Naming a unit is an implicit 交办, and a reporter may assign
			// only where a supervisor of their unit could: beyond that the
			// report waits for the supervisors who answer for it.
			h.UnitID, h.NamedUnit = nil, u.Name
			note = "上报人所指责任单位：" + u.Name + "（不在上报人辖区，待督办员核实交办）"
		default:
			// A stranger may report but assigns nothing: the report waits
			// for the county's supervisor, who reads the unit named here.
			h.UnitID, h.NamedUnit = nil, u.Name
			note = "上报人所指责任单位：" + u.Name + "（待督办员核实交办）"
		}
		if h.RegionID == nil {
			if r, err := tx.RegionOf(u); err != nil {
				return nil, "", err
			} else if r != nil {
				h.RegionID = &r.ID
			}
		}
	}
	if in.State != "" {
		h.State = in.State
		if note == "" {
			note = importNote(in.State)
		}
	}
	if in.Tip {
		h.State, h.UnitID = StateUnverified, nil
	}
	if h.Sector != "" {
		c, err := tx.committeeForSector(h.Sector)
		if err != nil {
			return nil, "", err
		}
		if c != nil {
			h.CommitteeID = &c.ID
		}
	}
	if h.CampaignID == nil {
		if c, err := tx.campaignOn(h.FoundOn); err != nil {
			return nil, "", err
		} else if c != nil {
			h.CampaignID = &c.ID
		}
	}
	h.Year = in.Year
	if h.Year == 0 {
		h.Year = today.Year
	}
	h.CreatedAt, h.UpdatedAt = now, now
	return h, note, nil
}

// committeeForSector is CommitteeForSector, remembered for the transaction.
func (tx *Tx) committeeForSector(sector string) (*Unit, error) {
	if c, ok := tx.committees[sector]; ok {
		return c, nil
	}
	c, err := tx.CommitteeForSector(sector)
	if err != nil {
		return nil, err
	}
	if tx.committees == nil {
		tx.committees = map[string]*Unit{}
	}
	tx.committees[sector] = c
	return c, nil
}

// campaignOn is CampaignOn, answered from the campaigns read once per
// transaction.
func (tx *Tx) campaignOn(d Date) (*Campaign, error) {
	if tx.campaigns == nil {
		list, err := tx.Campaigns()
		if err != nil {
			return nil, fmt.Errorf("models: campaigns: %w", err)
		}
		tx.campaigns = &list
	}
	// Campaigns come newest start first, as CampaignOn orders them.
	for i := range *tx.campaigns {
		c := &(*tx.campaigns)[i]
		if !c.Start.IsZero() && !d.Before(c.Start) && (c.End.IsZero() || !c.End.Before(d)) {
			return c, nil
		}
	}
	return nil, nil
}

// resolveUnitName turns in.UnitName into in.UnitID: the unit it clearly
// names, or a new unverified one under the hazard's county (the reporter's
// county when the report names none). A sender outside the directory, or a
// reporter naming a county outside their scope, creates no units: a name
// the directory does not have comes back as a note for the county's
// supervisor (and a name it has is checked by prepareHazard).
func (tx *Tx) resolveUnitName(actor *Actor, in *HazardInput) (note string, err error) {
	var county *Unit
	if in.RegionID != nil {
		if county, err = tx.FindUnit(*in.RegionID); err != nil {
			return "", err
		}
	} else if actor.Known() {
		if county, err = tx.RegionOf(actor.Unit); err != nil {
			return "", err
		}
	}
	if !actor.Known() || (county != nil && !tx.InAssignScope(actor, county)) {
		match, err := tx.FindUnitName(in.UnitName, county)
		if err != nil {
			return "", err
		}
		if match != nil {
			in.UnitID = &match.ID
			return "", nil
		}
		return "上报人所指责任单位：" + strings.TrimSpace(in.UnitName) + "（通讯录里没有，待督办员核实交办）", nil
	}
	u, _, err := tx.UnitFor(in.UnitName, county)
	if err != nil {
		return "", err
	}
	in.UnitID = &u.ID
	return "", nil
}

func derefs(ps ...*uint) []uint {
	var out []uint
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// nextSeq allocates the next number of year's sequence. The counter row is
// updated inside the caller's transaction, so concurrent reports (on any
// replica) queue on its row lock and a rolled-back report leaves no gap.
func (tx *Tx) nextSeq(year int) (int, error) { return tx.nextSeqs(year, 1) }

// nextSeqs allocates n numbers of year's sequence at once and returns the
// last; the n numbers end with it. On MySQL it is one statement:
// LAST_INSERT_ID(expr) hands the new value back with the UPDATE's result.
func (tx *Tx) nextSeqs(year, n int) (int, error) {
	name := fmt.Sprintf("hazard/%d", year)
	for range 3 {
		var v int64
		var affected int64
		if tx.s.driver == "mysql" {
			res, err := tx.DB.Statement.ConnPool.ExecContext(tx.DB.Statement.Context,
				"UPDATE counters SET value = LAST_INSERT_ID(value + ?) WHERE name = ?", n, name)
			if err != nil {
				return 0, fmt.Errorf("models: allocate number: %w", err)
			}
			if affected, err = res.RowsAffected(); err == nil && affected == 1 {
				v, err = res.LastInsertId()
			}
			if err != nil {
				return 0, fmt.Errorf("models: allocate number: %w", err)
			}
		} else {
			var got []int64
			if err := tx.DB.Raw("UPDATE counters SET value = value + ? WHERE name = ? RETURNING value", n, name).Scan(&got).Error; err != nil {
				return 0, fmt.Errorf("models: allocate number: %w", err)
			}
			if affected = int64(len(got)); affected == 1 {
				v = got[0]
			}
		}
		if affected == 1 {
			return int(v), nil
		}
		err := tx.DB.Exec("INSERT INTO counters (name, value) VALUES (?, ?)", name, n).Error
		if isDuplicate(err) {
			continue // another report created the row first; increment it
		}
		if err != nil {
			return 0, fmt.Errorf("models: allocate number: %w", err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("models: allocate number for %d: counter row kept vanishing", year)
}

// FindHazardByNumber returns the hazard with the given number.
func (tx *Tx) FindHazardByNumber(n Number) (*Hazard, error) {
	var h Hazard
	err := tx.DB.Where("year = ? AND seq = ?", n.Year, n.Seq).Take(&h).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "没有找到隐患 %s", n)
	}
	if err != nil {
		return nil, fmt.Errorf("models: find hazard: %w", err)
	}
	return &h, nil
}

// lockHazard loads a hazard for a change, locking its row on MySQL.
func (tx *Tx) lockHazard(n Number) (*Hazard, error) {
	var h Hazard
	err := tx.forUpdate().Where("year = ? AND seq = ?", n.Year, n.Seq).Take(&h).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "没有找到隐患 %s", n)
	}
	if err != nil {
		return nil, fmt.Errorf("models: lock hazard: %w", err)
	}
	return &h, nil
}

// Events returns the latest events of a hazard, newest first (limit <= 0: all).
func (tx *Tx) Events(hazardID uint, limit int) ([]Event, error) {
	q := tx.DB.Where("hazard_id = ?", hazardID).Order("id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var list []Event
	if err := q.Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: events: %w", err)
	}
	return list, nil
}

// InScope reports whether the hazard lies in the actor's unit subtree (by
// its region, its responsible unit or its supervising committee), and
// whether the actor belongs to its responsible unit or above it.
func (tx *Tx) InScope(a *Actor, h *Hazard) (scoped, responsible bool, err error) {
	if !a.Known() {
		return false, false, nil
	}
	units, err := tx.UnitsByID(derefs(h.RegionID, h.UnitID, h.CommitteeID)...)
	if err != nil {
		return false, false, err
	}
	for _, u := range units {
		if a.Unit.Contains(u) {
			scoped = true
		}
	}
	if h.UnitID != nil {
		responsible = a.Unit.Contains(units[*h.UnitID])
	}
	if tx.CityWide(a.Unit) {
		scoped = true
	}
	return scoped, responsible, nil
}

// CanSee reports whether the actor may read a hazard: anyone with it in
// scope, its reporter, and members of its responsible unit.
func (tx *Tx) CanSee(a *Actor, h *Hazard) (bool, error) {
	if h.ReporterID == a.UserID {
		return true, nil
	}
	scoped, responsible, err := tx.InScope(a, h)
	return scoped || responsible, err
}

// Photos counts a hazard's photos by phase.
func (tx *Tx) Photos(hazardID uint) (before, after int64, err error) {
	type row struct {
		Phase string
		N     int64
	}
	var rows []row
	err = tx.DB.Model(&Attachment{}).Select("phase, COUNT(*) AS n").Where("hazard_id = ?", hazardID).Group("phase").Scan(&rows).Error
	for _, r := range rows {
		if r.Phase == PhaseAfter {
			after = r.N
		} else {
			before += r.N
		}
	}
	return before, after, err
}

// Attachments lists a hazard's photos in the order they came.
func (tx *Tx) Attachments(hazardID uint) ([]Attachment, error) {
	var list []Attachment
	err := tx.DB.Where("hazard_id = ?", hazardID).Order("id").Find(&list).Error
	return list, err
}

// AddDraftPhoto keeps a photo sent by userid that is not yet part of a
// hazard; it joins the next hazard the user reports or rectifies.
func (tx *Tx) AddDraftPhoto(userid, mediaID, picURL string) (*Attachment, error) {
	a := &Attachment{DraftUser: userid, Phase: PhaseBefore, MediaID: mediaID, PicURL: picURL, UploaderID: userid, CreatedAt: tx.Now().UTC()}
	if err := tx.DB.Create(a).Error; err != nil {
		return nil, fmt.Errorf("models: add photo: %w", err)
	}
	if tx.grp != nil {
		delete(tx.grp.photos, userid) // counted afresh when asked
	}
	return a, nil
}

// DraftPhotos counts the photos userid sent that belong to no hazard yet.
func (tx *Tx) DraftPhotos(userid string) (int64, error) {
	if tx.grp != nil {
		if n, ok := tx.grp.photos[userid]; ok {
			return n, nil
		}
	}
	var n int64
	err := tx.DB.Model(&Attachment{}).Where("draft_user = ? AND hazard_id IS NULL", userid).Count(&n).Error
	return n, err
}

// AdoptDraftPhotos attaches userid's pending photos to a hazard and event
// in the given phase, and returns how many there were.
func (tx *Tx) AdoptDraftPhotos(userid string, h *Hazard, ev *Event, phase string) (int64, error) {
	if tx.grp != nil {
		n, err := tx.DraftPhotos(userid)
		if err != nil {
			return 0, err
		}
		delete(tx.grp.photos, userid)
		if isPlaceholderID(h.ID) {
			// The hazard is written at the group's end: so are its photos.
			if n > 0 {
				tx.later.adopt = append(tx.later.adopt, adoption{userid, h, ev, phase})
			}
			return n, nil
		}
	}
	return tx.adoptPhotos(userid, h, ev, phase)
}

// adoptPhotos moves userid's draft photos to h and ev.
func (tx *Tx) adoptPhotos(userid string, h *Hazard, ev *Event, phase string) (int64, error) {
	res := tx.DB.Model(&Attachment{}).Where("draft_user = ? AND hazard_id IS NULL", userid).
		Updates(map[string]any{"hazard_id": h.ID, "event_id": ev.ID, "phase": phase, "draft_user": ""})
	if res.Error != nil {
		return 0, fmt.Errorf("models: adopt photos: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// PruneDraftPhotos forgets photos sent before t that joined nothing and
// belong to no draft: their sender has no dialogue (a submitted,
// cancelled or never started report). A kept draft keeps its photos, as
// many as the cap allows, for as long as it is kept. The photos' stored
// files (and thumbnails) are recorded for deletion in the same
// transaction and returned, for the caller to delete once it has
// committed (see PendingFileDeletions).
func (s *Store) PruneDraftPhotos(ctx context.Context, before time.Time) (n int64, files []string, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		n, files, err = tx.dropPhotos(tx.DB.Model(&Attachment{}).
			Where("hazard_id IS NULL AND draft_user <> '' AND created_at < ? AND draft_user NOT IN (SELECT userid FROM dialogues)", before.UTC()))
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("models: prune draft photos: %w", err)
	}
	return n, files, nil
}

// DropDraftPhotos forgets the photos of a cancelled draft, recording their
// stored files for deletion; it returns the files' names, for the caller
// to delete after the commit.
func (tx *Tx) DropDraftPhotos(userid string) ([]string, error) {
	if tx.grp != nil {
		delete(tx.grp.photos, userid)
	}
	_, files, err := tx.dropPhotos(tx.DB.Model(&Attachment{}).Where("draft_user = ? AND hazard_id IS NULL", userid))
	return files, err
}

// touch records the change on the hazard row, checking that nobody changed
// it since it was read.
func (tx *Tx) save(h *Hazard, fields map[string]any) error {
	fields["version"] = h.Version + 1
	fields["updated_at"] = tx.Now().UTC()
	res := tx.DB.Model(&Hazard{}).Where("id = ? AND version = ?", h.ID, h.Version).Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("models: update hazard: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return Errorf(EConflict, "隐患 %s 刚被别人修改过，请查询后重试", h.Number)
	}
	h.Version++
	return nil
}

// PendingPhotos returns photos not yet fetched from WeCom that have been
// tried fewer than maxAttempts times, oldest first.
func (tx *Tx) PendingPhotos(maxAttempts, limit int) ([]Attachment, error) {
	var list []Attachment
	err := tx.DB.Where("path = '' AND media_id <> '' AND attempts < ?", maxAttempts).Order("id").Limit(limit).Find(&list).Error
	return list, err
}

// PhotoStored records where a fetched photo was kept. When the photo's row
// went while it was fetched (its draft was cancelled or pruned), the file
// is recorded for deletion instead and gone is true: the caller deletes it
// after the commit.
func (tx *Tx) PhotoStored(id uint, path, contentType string, size int64) (gone bool, err error) {
	res := tx.DB.Model(&Attachment{}).Where("id = ?", id).
		Updates(map[string]any{"path": path, "content_type": contentType, "size": size, "fetch_error": ""})
	if res.Error != nil {
		return false, fmt.Errorf("models: photo stored: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		var n int64
		if err := tx.DB.Model(&Attachment{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return false, fmt.Errorf("models: photo stored: %w", err)
		}
		if n == 0 {
			return true, tx.forgetFiles(append([]string{path}, ThumbNames(id)...)...)
		}
	}
	return false, nil
}

// PhotoFailed records a failed fetch; after enough failures it is no longer tried.
func (tx *Tx) PhotoFailed(id uint, cause string) error {
	cause = Truncate(cause, 255, "…")
	return tx.DB.Exec("UPDATE attachments SET attempts = attempts + 1, fetch_error = ? WHERE id = ?", cause, id).Error
}

// FindAttachment returns one photo record.
func (tx *Tx) FindAttachment(id uint) (*Attachment, error) {
	var a Attachment
	err := tx.DB.Take(&a, id).Error
	if err == gorm.ErrRecordNotFound {
		return nil, Errorf(ENotFound, "没有编号为 %d 的照片", id)
	}
	if err != nil {
		return nil, fmt.Errorf("models: find attachment: %w", err)
	}
	return &a, nil
}

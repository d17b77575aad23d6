package models

import (
	"fmt"
	"strings"
)

// Change says what a transition needs beyond its action.
type Change struct {
	Note   string // reason, measures (assign), rectification (submit) or remark, kept on the event
	UnitID *uint  // assign: the responsible unit
	// UnitName names the assign's unit when UnitID is nil: matched, or
	// created unverified under the hazard's county (see UnitFor).
	UnitName string
	Deadline Date   // assign: the deadline; request_extend: the new one
	Colour   Colour // list
	Level    string // list: county, special_committee or city ("" derives it)
	Photos   bool   // submit, supplement: adopt the actor's pending photos (after-photos of a submit)
}

// Result is the outcome of a transition.
type Result struct {
	Hazard *Hazard
	Event  *Event
	From   State
	Photos int64 // photos adopted
	// Unit is the unit an assign gave the hazard to (nil for other
	// actions), for the confirmation to name it.
	Unit *Unit
}

// Transition applies action to hazard n on behalf of actor: it checks the
// state machine, the actor's role and scope, updates the hazard, and writes
// exactly one event. On MySQL the hazard row is locked, so of two
// supervisors closing one hazard at once exactly one succeeds and the other
// gets a conflict.
func (tx *Tx) Transition(actor *Actor, n Number, action Action, c Change) (*Result, error) {
	if action == ActReport || action == ActImport {
		return nil, Errorf(EInvalid, "上报请用新建隐患")
	}
	// Someone without the role at all learns that before anything else.
	if err := Permit(actor, action, true, true); err != nil {
		return nil, err
	}
	h, err := tx.lockHazard(n)
	if err != nil {
		return nil, err
	}
	before := *h
	scoped, responsible, err := tx.InScope(actor, h)
	if err != nil {
		return nil, err
	}
	if err := Permit(actor, action, scoped, responsible); err != nil {
		return nil, err
	}
	to, err := Next(h.State, action)
	if err != nil {
		return nil, err
	}
	now := tx.Now().UTC()
	today := tx.Today()
	c.Note = strings.TrimSpace(c.Note)
	fields := map[string]any{}
	note := c.Note
	var assigned *Unit
	switch action {
	case ActAssign:
		if c.UnitID == nil && strings.TrimSpace(c.UnitName) != "" {
			var county *Unit
			if h.RegionID != nil {
				if county, err = tx.FindUnit(*h.RegionID); err != nil {
					return nil, err
				}
			} else if county, err = tx.RegionOf(actor.Unit); err != nil {
				return nil, err
			}
			u, _, err := tx.UnitFor(c.UnitName, county)
			if err != nil {
				return nil, err
			}
			c.UnitID = &u.ID
		}
		if c.UnitID == nil {
			return nil, Errorf(EInvalid, "交办需要指定责任单位")
		}
		units, err := tx.UnitsByID(*c.UnitID)
		if err != nil {
			return nil, err
		}
		u := units[*c.UnitID]
		if u == nil || !u.Active {
			return nil, Errorf(EInvalid, "责任单位不存在或已停用")
		}
		if !tx.InAssignScope(actor, u) {
			return nil, Errorf(EForbidden, "%s不在你单位（%s）的管辖范围内，不能交办给它", u.Name, actor.Unit.ShortName())
		}
		deadline := c.Deadline
		if deadline.IsZero() {
			deadline = h.Deadline
		}
		if deadline.IsZero() {
			return nil, Errorf(EInvalid, "交办需要整改时限，例如：交办 %s %s 3月31日", h.Number, u.ShortName())
		}
		if !c.Deadline.IsZero() && c.Deadline.Before(today) {
			return nil, Errorf(EInvalid, "整改时限 %s 已经过去了", c.Deadline.Chinese())
		}
		assigned = u
		fields["unit_id"] = u.ID
		fields["deadline"] = deadline
		if c.Note != "" {
			// 交办 12 单位 时限 措施…: the 整改措施 the unit must carry out.
			fields["measures"] = c.Note
			h.Measures = c.Note
		}
		fields["accepted_at"] = nil
		h.UnitID, h.Deadline, h.AcceptedAt = &u.ID, deadline, nil
		if h.RegionID == nil {
			if r, err := tx.RegionOf(u); err != nil {
				return nil, err
			} else if r != nil {
				fields["region_id"] = r.ID
				h.RegionID = &r.ID
			}
		}
		note = fmt.Sprintf("责任单位：%s，整改时限：%s", u.Name, deadline.Chinese())
		if c.Note != "" {
			note += "；整改措施：" + c.Note
		}
	case ActAccept:
		if h.AcceptedAt != nil {
			return nil, Errorf(EConflict, "隐患 %s 已经接收过了", h.Number)
		}
		fields["accepted_at"] = now
		h.AcceptedAt = &now
	case ActSubmit:
		if c.Note == "" && h.Rectification == "" {
			return nil, Errorf(EInvalid, "请写明整改情况，例如：整改 %s 已更换老化软管并加装报警器", h.Number)
		}
		// What the unit says it did is its own field (整改情况); the
		// measures required (整改措施) stay as set at report or 交办.
		if c.Note != "" {
			fields["rectification"] = c.Note
			h.Rectification = c.Note
		}
		fields["rectified_at"] = now
		h.RectifiedAt = &now
	case ActPass:
		fields["closed_at"] = now
		fields["reviewer_id"] = actor.UserID
		h.ClosedAt, h.ReviewerID = &now, actor.UserID
	case ActReject:
		if c.Note == "" {
			return nil, Errorf(EInvalid, "退回需要写明原因，例如：复查 %s 退回 现场仍有隐患", h.Number)
		}
		fields["rectified_at"] = nil
		fields["reviewer_id"] = actor.UserID
		h.RectifiedAt, h.ReviewerID = nil, actor.UserID
	case ActList:
		if c.Colour != ColourRed && c.Colour != ColourYellow && c.Colour != ColourBlue {
			return nil, Errorf(EInvalid, "挂牌颜色只能是红、黄、蓝，例如：挂牌 %s 红", h.Number)
		}
		level := c.Level
		if level == "" {
			level = tx.levelOf(actor)
		}
		fields["colour"], fields["level"] = c.Colour, level
		h.Colour, h.Level = c.Colour, level
		note = joinNote(fmt.Sprintf("%s牌，%s", ColourName(c.Colour), LevelName(level)), c.Note)
	case ActRequestExtend:
		if c.Deadline.IsZero() {
			return nil, Errorf(EInvalid, "请写明延期到哪天，例如：延期 %s 4月30日 设备到货晚", h.Number)
		}
		if !h.Deadline.IsZero() && !c.Deadline.After(h.Deadline) {
			return nil, Errorf(EInvalid, "延期后的时限（%s）要晚于现在的时限（%s）", c.Deadline.Chinese(), h.Deadline.Chinese())
		}
		if c.Note == "" {
			return nil, Errorf(EInvalid, "申请延期需要写明原因，例如：延期 %s %s 设备到货晚", h.Number, c.Deadline.Short())
		}
		fields["extension_to"], fields["extension_reason"], fields["extension_by"] = c.Deadline, c.Note, actor.UserID
		h.ExtensionTo, h.ExtensionReason, h.ExtensionBy = c.Deadline, c.Note, actor.UserID
		note = joinNote("申请延期至 "+c.Deadline.Chinese(), c.Note)
	case ActApproveExtend:
		if h.ExtensionTo.IsZero() {
			return nil, Errorf(EConflict, "隐患 %s 没有待批准的延期申请", h.Number)
		}
		note = joinNote(fmt.Sprintf("整改时限由 %s 延至 %s", h.Deadline.Chinese(), h.ExtensionTo.Chinese()), c.Note)
		fields["deadline"], fields["extension_to"], fields["extension_reason"], fields["extension_by"] = h.ExtensionTo, nil, "", ""
		h.Deadline, h.ExtensionTo, h.ExtensionReason, h.ExtensionBy = h.ExtensionTo, Date{}, "", ""
	case ActWithdraw:
		if c.Note == "" {
			return nil, Errorf(EInvalid, "撤销需要写明原因，例如：撤销 %s 重复上报", h.Number)
		}
	case ActDismiss:
		if _, _, ok := ParseDismissNote(c.Note); !ok {
			return nil, Errorf(EInvalid, "核实办结要写明结果（%s或%s）和理由，例如：%s %s 现场核查无此情况", TipFalse, TipHandled, TipFalse, h.Number)
		}
	}
	from := h.State
	if to != from {
		fields["state"] = to
		h.State = to
	}
	if !h.State.Open() && !h.ExtensionTo.IsZero() {
		// A pending extension dies with the hazard's open life.
		fields["extension_to"], fields["extension_reason"], fields["extension_by"] = nil, "", ""
		h.ExtensionTo, h.ExtensionReason, h.ExtensionBy = Date{}, "", ""
	}
	if err := tx.save(h, fields); err != nil {
		return nil, err
	}
	if err := tx.Recount(&before, h); err != nil {
		return nil, err
	}
	ev := &Event{HazardID: h.ID, Action: action, FromState: from, ToState: to, ActorID: actor.UserID, ActorName: actor.Name, Note: note, Via: actor.Via, CreatedAt: now}
	if err := tx.DB.Create(ev).Error; err != nil {
		return nil, fmt.Errorf("models: create event: %w", err)
	}
	res := &Result{Hazard: h, Event: ev, From: from, Unit: assigned}
	if c.Photos && (action == ActSubmit || action == ActSupplement) {
		// A submission's photos show the fix; a repeat report's show the
		// hazard as found again.
		phase := PhaseAfter
		if action == ActSupplement {
			phase = PhaseBefore
		}
		if res.Photos, err = tx.AdoptDraftPhotos(actor.UserID, h, ev, phase); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + "；" + b
}

// levelOf is the supervision level a supervisor's listing carries: the city
// lists as 市安委会挂牌督办, a special committee as its own, a county as county.
func (tx *Tx) levelOf(a *Actor) string {
	switch {
	case a.Unit == nil:
		return LevelCounty
	case tx.CityWide(a.Unit):
		return LevelCity
	case a.Unit.Kind == KindSpecialCommittee:
		return LevelSpecialCommittee
	}
	return LevelCounty
}

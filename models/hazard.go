package models

import (
	"slices"
	"time"
)

// State is where a hazard is in its life. Overdue is not a state: it is
// derived from the deadline.
type State string

// The states of DESIGN §2.
const (
	// StateUnverified is a public tip (群众举报) waiting for the county's
	// supervisors to check it: not yet a hazard of the ledger, so it is
	// left out of every figure, the ledger export and the ranking until a
	// supervisor assigns it (交办, → rectifying) or closes it (核实办结:
	// 不属实 or 已处理, → withdrawn).
	StateUnverified    State = "unverified"     // 待核实
	StateReported      State = "reported"       // 待交办
	StateRectifying    State = "rectifying"     // 整改中
	StatePendingReview State = "pending_review" // 待复查
	StateClosed        State = "closed"         // 已销号
	StateWithdrawn     State = "withdrawn"      // 已撤销
)

// States lists every state in life order.
var States = []State{StateUnverified, StateReported, StateRectifying, StatePendingReview, StateClosed, StateWithdrawn}

// StateName is the Chinese name of a state.
func StateName(s State) string {
	switch s {
	case StateUnverified:
		return "待核实"
	case StateReported:
		return "待交办"
	case StateRectifying:
		return "整改中"
	case StatePendingReview:
		return "待复查"
	case StateClosed:
		return "已销号"
	case StateWithdrawn:
		return "已撤销"
	}
	return string(s)
}

// Open reports whether the hazard still awaits rectification, the states in
// which a passed deadline makes it overdue.
func (s State) Open() bool { return s == StateReported || s == StateRectifying }

// Found reports whether a hazard in this state counts as found (发现) in
// the figures and belongs on the ledger: all but the withdrawn and the
// unverified tips.
func (s State) Found() bool { return s != StateWithdrawn && s != StateUnverified }

// Sectors are the 行业领域 of the spring-offensive plan, in its order.
var Sectors = []string{"燃气", "非煤矿山", "危险化学品", "工贸", "建设", "消防", "交通", "特种设备", "烟花爆竹", "其他"}

// ValidSector reports whether s is one of Sectors.
func ValidSector(s string) bool { return slices.Contains(Sectors, s) }

// Grades of a hazard.
const (
	GradeGeneral = "一般"
	GradeMajor   = "重大"
)

// Colour is the supervision colour of 红黄蓝分级管理; what each means is
// configuration.
type Colour string

// The colours; ColourNone means not listed for supervision.
const (
	ColourNone   Colour = ""
	ColourRed    Colour = "red"
	ColourYellow Colour = "yellow"
	ColourBlue   Colour = "blue"
)

// ColourName is the one-character Chinese name: 红, 黄, 蓝.
func ColourName(c Colour) string {
	switch c {
	case ColourRed:
		return "红"
	case ColourYellow:
		return "黄"
	case ColourBlue:
		return "蓝"
	}
	return ""
}

// Supervision levels (督办层级).
const (
	LevelCounty           = "county"            // 县市区安委会督办
	LevelSpecialCommittee = "special_committee" // 市级专委会督办
	LevelCity             = "city"              // 市安委会挂牌督办
)

// LevelName is the Chinese name of a supervision level.
func LevelName(l string) string {
	switch l {
	case LevelCounty:
		return "县市区督办"
	case LevelSpecialCommittee:
		return "专委会督办"
	case LevelCity:
		return "市安委会挂牌督办"
	}
	return ""
}

// Hazard is one row of the ledger and everything the bot keeps about it.
type Hazard struct {
	ID     uint   `json:"id" gorm:"primaryKey"`
	Year   int    `json:"year" gorm:"uniqueIndex:idx_hazards_year_seq,priority:1"`
	Seq    int    `json:"seq" gorm:"uniqueIndex:idx_hazards_year_seq,priority:2"`
	Number string `json:"number" gorm:"size:20;uniqueIndex:idx_hazards_number"`

	Title          string `json:"title" gorm:"size:255"`        // 重点隐患
	Description    string `json:"description" gorm:"size:2000"` // 隐患内容
	InspectionDate Date   `json:"inspection_date"`              // 检查日期
	Measures       string `json:"measures" gorm:"size:2000"`    // 整改措施: what must be done
	// Rectification (整改情况) is what the unit reported having done when it
	// submitted; it never overwrites Measures.
	Rectification string `json:"rectification" gorm:"size:2000"`
	Remarks       string `json:"remarks" gorm:"size:1000"` // 备注

	UnitID      *uint    `json:"unit_id"`      // 责任单位
	RegionID    *uint    `json:"region_id"`    // 县市区 (督办 — 县市区)
	CommitteeID *uint    `json:"committee_id"` // 市级专委会 (督办销号)
	Sector      string   `json:"sector" gorm:"size:32"`
	Enterprise  string   `json:"enterprise" gorm:"size:255"`
	Location    string   `json:"location" gorm:"size:255"`
	Lat         *float64 `json:"lat,omitempty"`
	Lng         *float64 `json:"lng,omitempty"`
	Grade       string   `json:"grade" gorm:"size:16"`

	Level  string `json:"supervision_level" gorm:"size:32"`
	Colour Colour `json:"colour" gorm:"size:16"`

	State    State `json:"state" gorm:"size:20"`
	Deadline Date  `json:"deadline"` // 整改时限
	// FoundOn is the day the hazard counts as found in summaries: the
	// inspection date, or the report day when none was given.
	FoundOn Date `json:"found_on"`

	ReporterID string `json:"reporter_id" gorm:"size:64;index:idx_hazards_reporter"`
	ReviewerID string `json:"reviewer_id" gorm:"size:64"` // 复查人员
	CampaignID *uint  `json:"campaign_id"`

	// A requested extension waiting for approval.
	ExtensionTo     Date   `json:"extension_to"`
	ExtensionReason string `json:"extension_reason" gorm:"size:500"`
	ExtensionBy     string `json:"extension_by" gorm:"size:64"`

	AcceptedAt  *time.Time `json:"accepted_at"`
	RectifiedAt *time.Time `json:"rectified_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// Version rises with every change; a transition that read an older
	// version loses with a conflict.
	Version int `json:"version"`

	// NamedUnit, on a hazard just reported, is the responsible unit its
	// report named but was not given: a stranger's report, or a unit
	// outside the reporter's scope. The report waits (待交办) for the
	// supervisors who answer for it. It is not stored (the report event's
	// note keeps it).
	NamedUnit string `json:"-" gorm:"-"`
}

// Num returns the hazard's number.
func (h *Hazard) Num() Number { return Number{h.Year, h.Seq} }

// Overdue reports whether the hazard is past its deadline on day today and
// still awaits rectification.
func (h *Hazard) Overdue(today Date) bool {
	return h.State.Open() && !h.Deadline.IsZero() && h.Deadline.Before(today)
}

// OverdueDays is how many days past the deadline the hazard is on today
// (0 when not overdue).
func (h *Hazard) OverdueDays(today Date) int {
	if !h.Overdue(today) {
		return 0
	}
	return h.Deadline.DaysUntil(today)
}

// Event is one change in a hazard's life. Events are only ever appended.
type Event struct {
	ID        uint   `json:"id" gorm:"primaryKey"`
	HazardID  uint   `json:"hazard_id" gorm:"index:idx_events_hazard"`
	Action    Action `json:"action" gorm:"size:32"`
	FromState State  `json:"from_state" gorm:"size:20"`
	ToState   State  `json:"to_state" gorm:"size:20"`
	ActorID   string `json:"actor_id" gorm:"size:64"`
	ActorName string `json:"actor_name" gorm:"size:64"`
	Note      string `json:"note" gorm:"size:2000"`
	// Via is how the action arrived when not through the person's own chat
	// (Actor.Via), e.g. "经管理接口（admin）"; empty for their own.
	Via       string    `json:"via,omitempty" gorm:"size:64"`
	CreatedAt time.Time `json:"created_at" gorm:"index:idx_events_created"`
}

// Photo phases.
const (
	PhaseBefore = "before" // as found
	PhaseAfter  = "after"  // after rectification
)

// Attachment is a photo: sent as a WeCom media id, kept as a stored file.
type Attachment struct {
	ID          uint      `json:"id" gorm:"primaryKey"`
	HazardID    *uint     `json:"hazard_id" gorm:"index:idx_attachments_hazard"`
	EventID     *uint     `json:"event_id"`
	DraftUser   string    `json:"-" gorm:"size:64;index:idx_attachments_draft"` // set while it belongs to a draft
	Phase       string    `json:"phase" gorm:"size:16"`
	MediaID     string    `json:"-" gorm:"size:255"`
	PicURL      string    `json:"-" gorm:"size:1000"`
	Path        string    `json:"path" gorm:"size:255"` // relative to the storage root; "" until fetched
	ContentType string    `json:"content_type" gorm:"size:64"`
	Size        int64     `json:"size"`
	UploaderID  string    `json:"uploader_id" gorm:"size:64"`
	Attempts    int       `json:"-"`
	FetchError  string    `json:"-" gorm:"size:255"`
	CreatedAt   time.Time `json:"created_at"`
}

// CampaignDeadline is a report a campaign requires by a date, or by a day of
// every month (MonthlyDay) while the campaign runs.
type CampaignDeadline struct {
	Name       string `json:"name"`
	Date       Date   `json:"date,omitempty"`
	MonthlyDay int    `json:"monthly_day,omitempty"`
}

// Campaign is a time-boxed drive such as the 2023 spring offensive.
type Campaign struct {
	ID        uint      `json:"id" gorm:"primaryKey"`
	Code      string    `json:"code" gorm:"size:64;uniqueIndex:idx_campaigns_code"`
	Name      string    `json:"name" gorm:"size:128"`
	Start     Date      `json:"start" gorm:"column:starts_on"`
	End       Date      `json:"end" gorm:"column:ends_on"`
	Deadlines string    `json:"-" gorm:"size:4000"` // JSON []CampaignDeadline
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

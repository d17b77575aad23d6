package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"hazardbot/bot/command"
	"hazardbot/models"
)

// Dialogue flows.
const (
	flowReport = "report" // a guided or one-shot report
	flowReject = "reject" // waiting for the reason of a send-back clicked on a card
)

// dialogue is what the bot remembers of a conversation between messages.
// It is stored as JSON in models.Dialogue, so fields may be added, never
// renamed.
type dialogue struct {
	Flow   string    `json:"flow"`
	Status string    `json:"-"`
	Asking string    `json:"asking,omitempty"` // the field the last question asked for; "confirm" at the summary
	Draft  draft     `json:"draft"`
	Number string    `json:"number,omitempty"` // flowReject: the hazard
	Since  time.Time `json:"since"`
	// Restart is set after 上报 met a kept draft: a second 上报 discards it.
	Restart bool `json:"restart,omitempty"`
	// Saved is a report draft put aside while a send-back reason or a date
	// question is asked.
	Saved *dialogue `json:"saved,omitempty"`
	// PendingDate is the day a date question offers ("是指明年3月15日吗？"):
	// the report's deadline (Asking is then the deadline field) or, in
	// flowDate, the deadline of the command in Command.
	PendingDate models.Date `json:"pending_date"`
	// PendingAsk is that question's text, asked again until answered.
	PendingAsk string `json:"pending_ask,omitempty"`
	// Command is flowDate's 交办 or 延期 as typed; DateText its date.
	Command  string `json:"command,omitempty"`
	DateText string `json:"date_text,omitempty"`
}

func (d *dialogue) active() bool { return d.Status == models.DialogueActive }

// draft is a report being filled in. Units are kept with their ids so that
// the final check does not have to guess again.
type draft struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Region      string `json:"region,omitempty"`
	RegionID    uint   `json:"region_id,omitempty"`
	Sector      string `json:"sector,omitempty"`
	Unit        string `json:"unit,omitempty"`
	UnitID      uint   `json:"unit_id,omitempty"`
	UnitPending bool   `json:"unit_pending,omitempty"`
	// UnitNew says Unit names no unit of the directory: the report creates
	// it, unverified, under the hazard's county.
	UnitNew bool `json:"unit_new,omitempty"`
	// UnitAsked is a name answered with suggestions; naming it again
	// means "a new unit, not one of those".
	UnitAsked string `json:"unit_asked,omitempty"`
	// NoEnterprise records that the guided 企业 question was skipped.
	NoEnterprise bool `json:"no_enterprise,omitempty"`
	// Guided is set for a report started with 上报 alone, which also asks
	// for the enterprise (skippable).
	Guided         bool        `json:"guided,omitempty"`
	Deadline       models.Date `json:"deadline"`
	Enterprise     string      `json:"enterprise,omitempty"`
	Location       string      `json:"location,omitempty"`
	Lat            *float64    `json:"lat,omitempty"`
	Lng            *float64    `json:"lng,omitempty"`
	Measures       string      `json:"measures,omitempty"`
	InspectionDate models.Date `json:"inspection_date"`
	Grade          string      `json:"grade,omitempty"`
	Remarks        string      `json:"remarks,omitempty"`
	// FixedOnSpot (立查立改) files the hazard as rectified at once; Done
	// says what was done.
	FixedOnSpot bool   `json:"fixed_on_spot,omitempty"`
	Done        string `json:"done,omitempty"`
	// FixedAnswer is the answer to the guided question 是否已当场整改:
	// 是, 否 or 跳过 ("" not asked yet).
	FixedAnswer string `json:"fixed_answer,omitempty"`
	// NotDuplicate is set once the reporter answered 继续 to the question
	// whether the report repeats an open hazard.
	NotDuplicate bool `json:"not_duplicate,omitempty"`
}

// has reports whether the draft has a value for f.
func (d *draft) has(f command.Field) bool {
	switch f {
	case command.FieldTitle:
		return d.Title != ""
	case command.FieldDescription:
		return d.Description != ""
	case command.FieldRegion:
		return d.RegionID != 0
	case command.FieldSector:
		return d.Sector != ""
	case command.FieldUnit:
		return d.UnitID != 0 || d.UnitPending || d.UnitNew
	case command.FieldDeadline:
		return !d.Deadline.IsZero()
	case command.FieldEnterprise:
		return d.Enterprise != "" || d.NoEnterprise
	case command.FieldLocation:
		return d.Location != ""
	case command.FieldMeasures:
		return d.Measures != ""
	case command.FieldInspectionDate:
		return !d.InspectionDate.IsZero()
	case command.FieldGrade:
		return d.Grade != ""
	case command.FieldRemarks:
		return d.Remarks != ""
	case command.FieldFixed:
		return d.FixedOnSpot && (d.Done != "" || d.Measures != "")
	}
	return false
}

// value is what the summary shows for f.
func (d *draft) value(f command.Field) string {
	switch f {
	case command.FieldTitle:
		return d.Title
	case command.FieldDescription:
		return d.Description
	case command.FieldRegion:
		return d.Region
	case command.FieldSector:
		return d.Sector
	case command.FieldUnit:
		if d.UnitPending {
			return command.PendingUnit
		}
		if d.UnitNew {
			return d.Unit + "（通讯录里没有，将新建，待核实）"
		}
		return d.Unit
	case command.FieldDeadline:
		return d.Deadline.Chinese()
	case command.FieldEnterprise:
		return d.Enterprise
	case command.FieldLocation:
		return d.Location
	case command.FieldMeasures:
		return d.Measures
	case command.FieldInspectionDate:
		return d.InspectionDate.Chinese()
	case command.FieldGrade:
		return d.Grade
	case command.FieldRemarks:
		return d.Remarks
	case command.FieldFixed:
		if d.Done == "" {
			return "是：" + d.Measures
		}
		return "是：" + d.Done
	}
	return ""
}

// missing returns the first required field not yet filled, or "". A
// guided report also asks for the enterprise or site (企业), after the
// sector, and then whether it was fixed on the spot (askFixed); 跳过 skips
// either.
func (d *draft) missing() command.Field {
	for _, f := range command.GuidedFields {
		if f == command.FieldUnit && d.Guided && d.FixedAnswer == "" && !d.FixedOnSpot {
			return askFixed // before the unit: a hazard fixed already needs none
		}
		if d.FixedOnSpot && (f == command.FieldUnit || f == command.FieldDeadline) {
			continue // fixed already: nobody is to be given a deadline
		}
		if !d.has(f) {
			return f
		}
		if f == command.FieldSector && d.Guided && !d.has(command.FieldEnterprise) {
			return command.FieldEnterprise
		}
	}
	if d.FixedOnSpot && !d.has(command.FieldFixed) {
		return command.FieldFixed
	}
	return ""
}

// brief names the draft in one line: its title, or that it is empty.
func (d *draft) brief() string {
	if d.Title != "" {
		return "“" + d.Title + "”"
	}
	return "（尚未填写隐患）"
}

func (c *turn) loadDialogue() error {
	row, err := c.tx.LoadDialogue(c.actor.UserID)
	if err != nil || row == nil {
		return err
	}
	var d dialogue
	if err := json.Unmarshal([]byte(row.Data), &d); err != nil {
		// A draft that cannot be read is kept for a person to look at,
		// never silently replaced.
		return fmt.Errorf("bot: dialogue of %s: %w", c.actor.UserID, err)
	}
	d.Status = row.Status
	if d.active() && c.b.now().Sub(row.UpdatedAt) > c.b.idle() {
		d.Status = models.DialogueKept
	}
	c.dlg, c.dlgRow = &d, row
	return nil
}

func (c *turn) saveDialogue() error {
	if c.dropDlg || c.dlg == nil {
		if c.dlgRow != nil {
			return c.tx.DeleteDialogue(c.actor.UserID)
		}
		return nil
	}
	data, err := json.Marshal(c.dlg)
	if err != nil {
		return fmt.Errorf("bot: encode dialogue: %w", err)
	}
	row := c.dlgRow
	if row == nil {
		row = &models.Dialogue{UserID: c.actor.UserID}
	}
	row.Status, row.Data = c.dlg.Status, string(data)
	return c.tx.SaveDialogue(row)
}

// startReport begins a report: guided when 上报 came alone, one-shot when
// field lines followed it.
func (c *turn) startReport(cmd command.Command) error {
	if c.dlg != nil && c.dlg.Flow == flowReport && !c.dlg.Restart && (c.dlg.Draft.Title != "" || c.dlg.Status == models.DialogueKept) {
		c.dlg.Restart = true
		c.dlg.Status = models.DialogueKept
		c.say(msgDraftExists, c.dlg.Draft.brief())
		return nil
	}
	if c.dlg != nil && c.dlg.Restart {
		if err := c.dropDraftPhotos(); err != nil {
			return err
		}
	}
	c.dlg = &dialogue{Flow: flowReport, Status: models.DialogueActive, Since: c.b.now().UTC()}
	c.dlg.Draft.Guided = len(cmd.Fields) == 0
	var problems []string
	for _, f := range fillOrder {
		v, ok := cmd.Fields[f]
		if !ok {
			continue
		}
		if err := c.setField(f, v); err != nil {
			problems = append(problems, models.ErrorMessage(err))
		}
	}
	if len(cmd.Unknown) > 0 {
		problems = append(problems, fmt.Sprintf(msgUnknownFields, strings.Join(cmd.Unknown, "、")))
	}
	prefix := ""
	if len(problems) > 0 {
		prefix = strings.Join(problems, "\n") + "\n\n"
	} else if len(cmd.Fields) == 0 {
		prefix = msgReportStart
	}
	c.reply.Text = prefix + c.nextQuestion()
	return nil
}

// pasteIntoKept takes field lines (隐患：…, 区域：…) sent while a report
// draft is kept — idle, or put aside by a second 上报. Labelled lines can
// only be meant for a report, and the draft is the one report there is, so
// they fill it and the dialogue goes on; answering them with msgDraftKept
// lost what the officer had pasted. A value they replace is named in the
// reply, so a draft of another hazard is not overwritten unnoticed. ok is
// false when the text holds no field line (the caller then gives the hint).
func (c *turn) pasteIntoKept() (ok bool, err error) {
	d := c.dlg
	if d.Flow != flowReport {
		return false, nil
	}
	fields, unknown := command.ParseFields(c.msg.Text)
	if len(fields) == 0 {
		return false, nil
	}
	d.Status, d.Restart = models.DialogueActive, false
	if _, ok := fields[command.FieldDeadline]; ok {
		d.PendingDate, d.PendingAsk = models.Date{}, "" // the new deadline answers it
	}
	var replaced []string
	for _, f := range fillOrder {
		v, ok := fields[f]
		if !ok {
			continue
		}
		old := ""
		if d.Draft.has(f) {
			old = d.Draft.value(f)
		}
		c.errorHint = "\n" + c.question(f)
		if err := c.setField(f, v); err != nil {
			return true, err
		}
		if now := d.Draft.value(f); old != "" && now != old {
			replaced = append(replaced, fmt.Sprintf(msgPastedReplaced, command.FieldName(f), old))
		}
	}
	c.errorHint = ""
	text := fmt.Sprintf(msgPastedIntoDraft, d.Draft.brief())
	if len(replaced) > 0 {
		text += "（" + strings.Join(replaced, "，") + "）"
	}
	if len(unknown) > 0 {
		text += "\n" + fmt.Sprintf(msgUnknownFields, strings.Join(unknown, "、"))
	}
	c.reply.Text = text + "\n" + c.nextQuestion()
	return true, nil
}

// nextQuestion moves the dialogue to the next missing field, or to the
// summary, and returns the words that ask for it.
func (c *turn) nextQuestion() string {
	if note := c.note; note != "" {
		c.note = ""
		return note + "\n" + c.nextQuestion()
	}
	d := c.dlg
	if !d.PendingDate.IsZero() {
		d.Asking = string(command.FieldDeadline)
		return d.PendingAsk
	}
	if f := d.Draft.missing(); f != "" {
		d.Asking = string(f)
		return c.question(f)
	}
	d.Asking = "confirm"
	n, _ := c.tx.DraftPhotos(c.actor.UserID)
	if d.Draft.FixedOnSpot || d.Draft.FixedAnswer == fixedNo {
		return summaryText(&d.Draft, n)
	}
	return summaryText(&d.Draft, n) + "\n" + msgFixedHow
}

func (c *turn) question(f command.Field) string {
	switch f {
	case askFixed:
		return msgAskFixed
	case command.FieldFixed:
		if c.dlg != nil && c.dlg.Draft.Guided {
			return msgAskDone + msgAfterPhotos
		}
		return msgAskDone
	case command.FieldRegion:
		regions, _ := c.tx.Regions()
		var names []string
		for _, r := range regions {
			names = append(names, r.ShortName())
		}
		return fmt.Sprintf(msgAskChoice, command.FieldName(f), strings.Join(names, "、"))
	case command.FieldSector:
		return fmt.Sprintf(msgAskChoice, command.FieldName(f), strings.Join(models.Sectors, "、"))
	case command.FieldEnterprise:
		return msgAskEnterprise
	}
	return fmt.Sprintf(msgAsk, command.FieldName(f), command.FieldExample(f))
}

// answer feeds a message to the current dialogue.
func (c *turn) answer(cmd command.Command) error {
	d := c.dlg
	switch d.Flow {
	case flowReject:
		return c.rejectReason()
	case flowDate:
		return c.dateAnswer(cmd)
	}
	if d.Asking == askDuplicate {
		if cmd.Name == command.None && isMergeWord(c.msg.Text) {
			return c.merge()
		}
		c.say(msgDuplicateHow, d.Number)
		return nil
	}
	if !d.PendingDate.IsZero() {
		// The answer to "是指明年3月15日吗？": 是 takes that day; anything
		// else answers the deadline question afresh.
		day := d.PendingDate
		d.PendingDate, d.PendingAsk = models.Date{}, ""
		if cmd.Name == command.Confirm {
			d.Draft.Deadline = day
			c.reply.Text = fmt.Sprintf("整改时限：%s。\n", day.Chinese()) + c.nextQuestion()
			return nil
		}
	}
	if d.Asking == string(askFixed) && cmd.Name != command.Edit {
		if ok := c.answerFixed(cmd); ok {
			return nil
		}
	}
	switch cmd.Name {
	case command.Confirm:
		if d.Asking != "confirm" {
			c.say("还没填完。%s", c.question(command.Field(d.Asking)))
			return nil
		}
		return c.submitReport()
	case command.Edit:
		if cmd.Field == "" {
			c.say(msgEditHow)
			return nil
		}
		if strings.TrimSpace(cmd.Text) == "" {
			d.Asking = string(cmd.Field)
			c.say("%s", c.question(cmd.Field))
			return nil
		}
		c.errorHint = "\n" + c.question(cmd.Field)
		if err := c.setField(cmd.Field, cmd.Text); err != nil {
			return err
		}
		c.errorHint = ""
		c.reply.Text = "已修改。\n" + c.nextQuestion()
		return nil
	case command.Skip:
		f := command.Field(d.Asking)
		if f == "" || d.Asking == "confirm" {
			c.say(msgNothingToSkip)
			return nil
		}
		if f == command.FieldEnterprise {
			d.Draft.NoEnterprise = true
			c.reply.Text = c.nextQuestion()
			return nil
		}
		if f != command.FieldUnit {
			c.say(msgCannotSkip, command.FieldName(f))
			return nil
		}
		d.Draft.UnitPending = true
		c.reply.Text = c.nextQuestion()
		return nil
	}
	if d.Asking == "confirm" {
		if done, ok := fixedAnswer(c.msg.Text); ok {
			// "当场整改 已清理通道" at the summary: filed as fixed at once.
			if err := c.setField(command.FieldFixed, done); err != nil {
				c.errorHint = "\n" + msgConfirmHow
				return err
			}
			if f := d.Draft.missing(); f != "" {
				c.reply.Text = c.nextQuestion()
				return nil
			}
			return c.submitReport()
		}
		// Field lines typed at the summary edit the draft.
		fields, _ := command.ParseFields(c.msg.Text)
		if len(fields) == 0 {
			c.say(msgConfirmHow)
			return nil
		}
		for _, f := range fillOrder {
			v, ok := fields[f]
			if !ok {
				continue
			}
			if err := c.setField(f, v); err != nil {
				c.errorHint = "\n" + msgConfirmHow
				return err
			}
		}
		c.reply.Text = "已修改。\n" + c.nextQuestion()
		return nil
	}
	f := command.Field(d.Asking)
	text := strings.TrimSpace(c.msg.Text)
	// Field lines may answer several questions at once.
	if fields, _ := command.ParseFields(text); len(fields) > 0 {
		for _, ff := range fillOrder {
			v, ok := fields[ff]
			if !ok {
				continue
			}
			c.errorHint = "\n" + c.question(ff)
			if err := c.setField(ff, v); err != nil {
				return err
			}
		}
	} else {
		c.errorHint = "\n" + c.question(f)
		if err := c.setField(f, text); err != nil {
			return err
		}
	}
	c.errorHint = ""
	c.reply.Text = c.nextQuestion()
	return nil
}

// fillOrder is the order in which the field lines of one message are
// written to a draft: command.Fields with the deadline before the unit, so
// that a date given as the unit next to a 时限 line is refused (dateForUnit)
// rather than taken as a deadline the 时限 line then replaces.
var fillOrder = func() []command.Field {
	var fs []command.Field
	for _, f := range command.Fields {
		switch f {
		case command.FieldUnit:
			fs = append(fs, command.FieldDeadline, command.FieldUnit)
		case command.FieldDeadline:
		default:
			fs = append(fs, f)
		}
	}
	return fs
}()

// setField checks one answer and writes it to the draft. A bad answer
// leaves the draft as it was.
func (c *turn) setField(f command.Field, v string) error {
	v = strings.TrimSpace(v)
	d := &c.dlg.Draft
	if v == "" {
		return models.Errorf(models.EInvalid, "“%s”不能为空", command.FieldName(f))
	}
	switch f {
	case command.FieldTitle:
		d.Title = v
	case command.FieldDescription:
		d.Description = v
	case command.FieldRegion:
		u, err := c.resolveUnit(v, "县市区", models.KindRegion)
		if err != nil {
			return err
		}
		d.Region, d.RegionID = u.ShortName(), u.ID
	case command.FieldSector:
		s, ok := matchSector(v)
		if !ok {
			return models.Errorf(models.EInvalid, "行业“%s”不在列表中，可选：%s", v, strings.Join(models.Sectors, "、"))
		}
		d.Sector = s
	case command.FieldUnit:
		if command.IsPending(v) {
			d.Unit, d.UnitID, d.UnitPending = "", 0, true
			return nil
		}
		if command.IsDate(v, c.b.now(), c.b.loc()) {
			return c.dateForUnit(v)
		}
		u, err := c.draftUnit(v)
		if err != nil || u == nil {
			return err
		}
		d.Unit, d.UnitID, d.UnitPending, d.UnitNew = u.Name, u.ID, false, false
		if d.RegionID == 0 {
			if r, err := c.tx.RegionOf(u); err == nil && r != nil {
				d.Region, d.RegionID = r.ShortName(), r.ID
			}
		}
	case command.FieldDeadline:
		day, err := c.b.deadline(v, models.Date{})
		if past, ask := askBack(err); ask {
			// Asked, not guessed: the answer comes back through answer.
			c.dlg.PendingDate, c.dlg.PendingAsk = past.Next, past.Question()
			return nil
		}
		if err != nil {
			return err
		}
		d.Deadline = day
	case command.FieldInspectionDate:
		day, err := command.ParseDate(v, c.b.now(), c.b.loc())
		if err != nil {
			return err
		}
		if day.After(c.b.today()) {
			return models.Errorf(models.EInvalid, "检查日期 %s 还没到，请填写实际检查的日期", day.Chinese())
		}
		d.InspectionDate = day
	case command.FieldGrade:
		switch {
		case strings.Contains(v, "重大"):
			d.Grade = models.GradeMajor
		case strings.Contains(v, "一般"):
			d.Grade = models.GradeGeneral
		default:
			return models.Errorf(models.EInvalid, "隐患等级只能是“一般”或“重大”")
		}
	case command.FieldEnterprise:
		d.Enterprise = v
	case command.FieldLocation:
		d.Location = v
	case command.FieldMeasures:
		d.Measures = v
	case command.FieldRemarks:
		d.Remarks = v
	case command.FieldFixed:
		fixed, done := command.ParseFixed(v)
		d.FixedOnSpot = fixed
		if done != "" || !fixed {
			d.Done = done
		}
	}
	return nil
}

// sectorAliases are the short forms officers type for the plan's sectors.
var sectorAliases = map[string]string{
	"危化": "危险化学品", "危化品": "危险化学品", "化工": "危险化学品", "矿山": "非煤矿山", "非煤": "非煤矿山",
	"建筑": "建设", "建筑施工": "建设", "住建": "建设", "特设": "特种设备", "电梯": "特种设备", "锅炉": "特种设备",
	"烟花": "烟花爆竹", "道路交通": "交通", "运输": "交通", "工贸行业": "工贸", "消防安全": "消防", "燃气安全": "燃气",
}

func matchSector(v string) (string, bool) {
	v = strings.TrimSuffix(strings.TrimSpace(v), "行业")
	if models.ValidSector(v) {
		return v, true
	}
	if s, ok := sectorAliases[v]; ok {
		return s, true
	}
	var hit string
	for _, s := range models.Sectors {
		if strings.Contains(s, v) || strings.Contains(v, s) {
			if hit != "" {
				return "", false
			}
			hit = s
		}
	}
	return hit, hit != ""
}

// resolveUnit finds the unit a person means. An exact name wins; a single
// close match is taken; several get listed so the user can pick.
func (c *turn) resolveUnit(words, what string, kinds ...models.UnitKind) (*models.Unit, error) {
	exact, close, err := c.tx.MatchUnits(words, 5, kinds...)
	if err != nil {
		return nil, err
	}
	if exact != nil {
		return exact, nil
	}
	if len(close) == 1 {
		return &close[0], nil
	}
	if len(close) == 0 {
		return nil, models.Errorf(models.EInvalid, "没有找到%s“%s”，请写全称", what, words)
	}
	var names []string
	for _, u := range close {
		names = append(names, u.Name)
	}
	return nil, models.Errorf(models.EInvalid, "%s“%s”不明确，你是指：%s？请回复完整名称", what, words, strings.Join(names, "、"))
}

// dateForUnit answers a date given for the responsible unit ("15天"
// became an unverified unit named 15天). A draft with no deadline takes it
// as the deadline, said in the reply, and the unit is asked again; a draft
// that has one refuses it, saying a unit's name is needed.
func (c *turn) dateForUnit(v string) error {
	d := c.dlg
	if d.Draft.has(command.FieldDeadline) || !d.PendingDate.IsZero() {
		return models.Errorf(models.EInvalid, msgUnitIsDate, v)
	}
	if err := c.setField(command.FieldDeadline, v); err != nil {
		return err
	}
	if d.PendingDate.IsZero() { // else the date question comes next
		c.note = fmt.Sprintf(msgUnitDateTaken, d.Draft.Deadline.Chinese())
	}
	return nil
}

// draftUnit finds the responsible unit a report names. A clear match is
// taken; several close ones are asked about (naming the same again means a
// new unit); a name the directory does not have is kept as new, to be
// created unverified with the report. nil with no error means new.
func (c *turn) draftUnit(v string) (*models.Unit, error) {
	d := &c.dlg.Draft
	var county *models.Unit
	if d.RegionID != 0 {
		u, err := c.tx.FindUnit(d.RegionID)
		if err != nil {
			return nil, err
		}
		county = u
	}
	u, err := c.tx.FindUnitName(v, county)
	if err != nil || u != nil {
		return u, err
	}
	_, close, err := c.tx.MatchUnit(v, county)
	if err != nil {
		return nil, err
	}
	if len(close) > 0 && d.UnitAsked != v {
		d.UnitAsked = v
		var names []string
		for _, u := range close {
			names = append(names, u.Name)
		}
		return nil, models.Errorf(models.EInvalid, msgUnitSuggest, v, strings.Join(names, "、"), v)
	}
	d.Unit, d.UnitID, d.UnitPending, d.UnitNew, d.UnitAsked = strings.TrimSpace(v), 0, false, true, ""
	return nil, nil
}

// submitReport files the confirmed draft.
func (c *turn) submitReport() error {
	d := &c.dlg.Draft
	in := models.HazardInput{
		Title: d.Title, Description: d.Description, Sector: d.Sector, Enterprise: d.Enterprise,
		Location: d.Location, Lat: d.Lat, Lng: d.Lng, Measures: d.Measures, Remarks: d.Remarks,
		Grade: d.Grade, InspectionDate: d.InspectionDate, Deadline: d.Deadline,
	}
	if d.RegionID != 0 {
		in.RegionID = &d.RegionID
	}
	if d.UnitID != 0 {
		in.UnitID = &d.UnitID
	} else if d.UnitNew {
		in.UnitName = d.Unit
	}
	if !d.NotDuplicate {
		dup, err := duplicateOf(c.tx, in)
		if err != nil {
			return err
		}
		if dup != nil {
			c.dlg.Asking, c.dlg.Number = askDuplicate, dup.Number
			c.say(msgDuplicate, dup.Number, clip(dup.Title, 30))
			return nil
		}
	}
	if d.FixedOnSpot {
		h, photos, err := c.b.createFixedOnSpot(c.tx, c.actor, in, d.Done)
		if err != nil {
			c.errorHint = "\n" + msgConfirmHow
			return err
		}
		c.dropDlg = true
		c.say("%s", fixedDone(h, photos))
		return nil
	}
	h, photos, err := c.b.createHazard(c.tx, c.actor, in)
	if err != nil {
		c.errorHint = "\n" + msgConfirmHow
		return err
	}
	notice, err := reportNotice(c.tx, c.actor, h)
	if err != nil {
		return err
	}
	c.dropDlg = true
	c.say("%s", reportDone(h, d, photos, notice))
	return nil
}

// dropDraftPhotos forgets the sender's draft photos and deletes their
// files once the turn has committed.
func (c *turn) dropDraftPhotos() error {
	files, err := c.tx.DropDraftPhotos(c.actor.UserID)
	if err != nil {
		return err
	}
	c.b.deleteAfterCommit(c.tx, files)
	return nil
}

func (c *turn) cancel() error {
	if c.dlg == nil {
		c.say(msgNoDraft)
		return nil
	}
	if c.dlg.Flow == flowReject {
		c.say("已取消退回。%s", c.endReject())
		return nil
	}
	if c.dlg.Flow == flowDate {
		c.say("已取消。%s", c.endDate())
		return nil
	}
	if err := c.dropDraftPhotos(); err != nil {
		return err
	}
	c.dropDlg = true
	c.say(msgCancelled)
	return nil
}

func (c *turn) resume() error {
	if c.dlg == nil {
		c.say(msgNoDraft)
		return nil
	}
	c.dlg.Status = models.DialogueActive
	c.dlg.Restart = false
	if c.dlg.Flow == flowReject {
		c.say(msgAskRejectReason, c.dlg.Number)
		return nil
	}
	if c.dlg.Asking == askDuplicate {
		// 继续: not the same hazard after all; file it as new.
		c.dlg.Draft.NotDuplicate = true
		c.dlg.Asking = "confirm"
		return c.submitReport()
	}
	if c.dlg.Flow == flowDate {
		c.say("%s", c.dlg.PendingAsk)
		return nil
	}
	c.reply.Text = "继续填写" + c.dlg.Draft.brief() + "。\n" + c.nextQuestion()
	return nil
}

// photo keeps an image: it joins the draft being reported, or the
// sender's 整改 of the last ten minutes, or waits for the next report or
// rectification.
func (c *turn) photo() error {
	if c.dlg == nil || c.dlg.Flow != flowReport || !c.dlg.active() {
		if ok, err := c.latePhoto(); ok || err != nil {
			return err
		}
	}
	inDraft := c.dlg != nil && c.dlg.Flow == flowReport && c.dlg.active()
	n, err := c.tx.DraftPhotos(c.actor.UserID)
	if err != nil {
		return err
	}
	if max := c.b.maxPhotos(); n >= int64(max) {
		if inDraft {
			c.say(msgPhotoDraftFull, n, max)
		} else {
			c.say(msgPhotoPendingFull, n, max)
		}
		return nil
	}
	if _, err := c.tx.AddDraftPhoto(c.actor.UserID, c.msg.MediaID, c.msg.PicURL); err != nil {
		return err
	}
	if inDraft {
		c.say(msgPhotoDraft, n+1)
		return nil
	}
	c.say(msgPhotoPending, n+1)
	return nil
}

func (c *turn) location() error {
	if c.dlg == nil || c.dlg.Flow != flowReport || !c.dlg.active() {
		c.say(msgLocationNoDraft)
		return nil
	}
	lat, lng := c.msg.Lat, c.msg.Lng
	d := &c.dlg.Draft
	d.Lat, d.Lng = &lat, &lng
	d.Location = c.msg.Label
	if d.Location == "" {
		d.Location = fmt.Sprintf("%.5f,%.5f", lat, lng)
	}
	c.say(msgLocationSaved, d.Location)
	return nil
}

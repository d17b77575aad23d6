package bot

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"hazardbot/models"
)

// flowTip is a public tip being filled in on WeChat.
const flowTip = "tip"

// The steps of a tip, in order.
const (
	tipWhat   = "what"
	tipWhere  = "where"
	tipPhotos = "photos"
)

// The words a supervisor closes a tip with.
const (
	tipFalse   = models.TipFalse
	tipHandled = models.TipHandled
)

// What the tipster is told. Never a name, a unit or whether anything else
// is on the ledger: only that their tip was taken and how it ended.
const (
	msgTipWhat     = "请用文字描述您发现的安全隐患：什么问题，在什么单位或场所。（发送“取消”放弃）"
	msgTipWhatMore = "请再具体一些，至少写清是什么问题、在什么地方。"
	msgTipWhere    = "在哪个县市区？请回复序号或名称，也可以发送位置：\n%s"
	msgTipBorder   = "这个位置在%s交界附近，无法确定属于哪个县市区。\n"
	msgTipOutside  = "这个位置不在十堰市各县市区范围内。\n"
	msgTipPhotos   = "可以发送现场照片（最多9张）。发完请回复“提交”；没有照片直接回复“提交”。"
	msgTipPhoto    = "已收到照片（共%d张）。继续发送，或回复“提交”。"
	msgTipStarted  = "已收到照片。\n"
	msgTipLimit    = "您今天已经提交了%d条举报，请明天再来。紧急情况请拨打119或12350。"
	msgTipReceipt  = "已受理，受理号 %s。\n核实处理后会在这里告诉您结果，感谢您的监督！"
	msgTipCancel   = "已取消本次举报。"
	msgTipAssigned = "您反映的问题（受理号 %s）经核实，已交有关单位整改。"
	msgTipClosed   = "您反映的问题（受理号 %s）已整改完成，感谢您的监督！"
	msgTipFalse    = "您反映的问题（受理号 %s）经核实不属实。说明：%s"
	msgTipHandled  = "您反映的问题（受理号 %s）已处理。说明：%s"
	msgTipEnded    = "您反映的问题（受理号 %s）已办结。"
	msgTipNotice   = "群众举报待核实：%s（%s）\n%s\n%s\n属实请交办：交办 %d 责任单位 时限\n不属实：不属实 %s 理由；已处理：已处理 %s 理由"
)

// startTip begins a tip, unless the follower has sent their day's share.
func (c *turn) startTip() error {
	n, err := c.tx.TipsToday(c.actor.UserID)
	if err != nil {
		return err
	}
	if n >= models.TipsPerDay {
		c.say(msgTipLimit, n)
		return nil
	}
	c.dlg = &dialogue{Flow: flowTip, Status: models.DialogueActive, Asking: tipWhat, Since: c.b.now()}
	c.dropDlg = false
	c.say("%s", msgTipWhat)
	return nil
}

// tipping reports whether a tip is being filled in (an idle one is
// forgotten: a tip is short).
func (c *turn) tipping() bool { return c.dlg != nil && c.dlg.Flow == flowTip && c.dlg.active() }

// tipPhoto keeps a photo for the tip; a photo with no tip under way starts one.
func (c *turn) tipPhoto() error {
	prefix := ""
	if !c.tipping() {
		if err := c.startTip(); err != nil || !c.tipping() {
			return err
		}
		prefix = msgTipStarted
	}
	n, err := c.tx.DraftPhotos(c.actor.UserID)
	if err != nil {
		return err
	}
	if n >= 9 {
		return models.Errorf(models.EInvalid, "最多9张照片。请回复“提交”。")
	}
	if _, err := c.tx.AddDraftPhoto(c.actor.UserID, c.msg.MediaID, c.msg.PicURL); err != nil {
		return err
	}
	if prefix != "" {
		c.say("%s%s", prefix, msgTipWhat)
		return nil
	}
	c.say(msgTipPhoto, n+1)
	return nil
}

// tipLocation takes a shared location as the tip's place. The county is
// the one whose area holds the coordinates (countiesAt, approximate); where
// two counties meet, the location's label decides if it names one of them;
// outside every county's area only a label naming a county is taken. Else
// the tipster is asked to choose.
func (c *turn) tipLocation() error {
	if !c.tipping() {
		c.say("%s", msgWeChatWelcome)
		return nil
	}
	d := &c.dlg.Draft
	lat, lng := c.msg.Lat, c.msg.Lng
	d.Lat, d.Lng, d.Location = &lat, &lng, c.msg.Label
	if d.Location == "" {
		d.Location = fmt.Sprintf("%.5f,%.5f", lat, lng)
	}
	prefix := "已记录位置：" + d.Location + "\n"
	if c.dlg.Asking == tipWhere || d.RegionID == 0 {
		regions, err := c.tx.Regions()
		if err != nil {
			return err
		}
		near := countiesAt(regions, lat, lng)
		named := func(among []models.Unit) *models.Unit {
			for i, r := range among {
				if c.msg.Label != "" && strings.Contains(c.msg.Label, r.ShortName()) {
					return &among[i]
				}
			}
			return nil
		}
		var r *models.Unit
		switch {
		case len(near) == 1:
			r = &near[0]
		case len(near) > 1:
			if r = named(near); r == nil {
				names := make([]string, len(near))
				for i := range near {
					names[i] = near[i].ShortName()
				}
				prefix += fmt.Sprintf(msgTipBorder, strings.Join(names, "、"))
			}
		default:
			if r = named(regions); r == nil {
				prefix += msgTipOutside
			}
		}
		if r != nil {
			d.RegionID, d.Region = r.ID, r.Name
			prefix = fmt.Sprintf("已记录位置：%s（%s）\n", d.Location, r.ShortName())
		} else {
			d.RegionID, d.Region = 0, ""
		}
	}
	return c.tipNext(prefix)
}

// tipAnswer takes the answer to the tip's current question.
func (c *turn) tipAnswer(text string) error {
	if text == "取消" {
		c.dropDlg = true
		if err := c.dropDraftPhotos(); err != nil {
			return err
		}
		c.say("%s", msgTipCancel)
		return nil
	}
	d := &c.dlg.Draft
	switch c.dlg.Asking {
	case tipWhat:
		if utf8.RuneCountInString(text) < 4 {
			return models.Errorf(models.EInvalid, "%s", msgTipWhatMore)
		}
		if utf8.RuneCountInString(text) > 1000 {
			return models.Errorf(models.EInvalid, "描述太长了，请控制在1000字以内。")
		}
		d.Description = text
	case tipWhere:
		r, err := c.tipRegion(text)
		if err != nil {
			return err
		}
		d.RegionID, d.Region = r.ID, r.Name
	case tipPhotos:
		if text == "提交" || text == "没有" || text == "无" || text == "确认" {
			return c.submitTip()
		}
		c.say("%s", msgTipPhotos)
		return nil
	}
	return c.tipNext("")
}

// tipNext asks the first question still open, or for photos at the end.
func (c *turn) tipNext(prefix string) error {
	d := &c.dlg.Draft
	switch {
	case d.Description == "":
		c.dlg.Asking = tipWhat
		c.say("%s%s", prefix, msgTipWhat)
	case d.RegionID == 0:
		c.dlg.Asking = tipWhere
		list, err := c.regionChoices()
		if err != nil {
			return err
		}
		c.say("%s"+msgTipWhere, prefix, list)
	default:
		c.dlg.Asking = tipPhotos
		c.say("%s%s", prefix, msgTipPhotos)
	}
	return nil
}

func (c *turn) regionChoices() (string, error) {
	regions, err := c.tx.Regions()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, r := range regions {
		if i > 0 {
			b.WriteString("  ")
		}
		fmt.Fprintf(&b, "%d %s", i+1, r.ShortName())
	}
	return b.String(), nil
}

// tipRegion reads a county answer: its number in the list or its name.
func (c *turn) tipRegion(text string) (*models.Unit, error) {
	regions, err := c.tx.Regions()
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(models.Narrow(text))
	if i, err := strconv.Atoi(text); err == nil && i >= 1 && i <= len(regions) {
		return &regions[i-1], nil
	}
	var hit []models.Unit
	for _, r := range regions {
		short := r.ShortName()
		trimmed := strings.TrimRight(short, "区县市")
		if text == r.Name || text == short || (trimmed != "" && strings.Contains(text, trimmed)) {
			hit = append(hit, r)
		}
	}
	if len(hit) == 1 {
		return &hit[0], nil
	}
	list, err := c.regionChoices()
	if err != nil {
		return nil, err
	}
	return nil, models.Errorf(models.EInvalid, "没认出县市区，请回复序号或名称：\n%s", list)
}

// submitTip files the tip as a report waiting for the county's supervisors
// and answers with its receipt number.
func (c *turn) submitTip() error {
	n, err := c.tx.TipsToday(c.actor.UserID)
	if err != nil {
		return err
	}
	if n >= models.TipsPerDay {
		c.dropDlg = true
		c.say(msgTipLimit, n)
		return nil
	}
	d := &c.dlg.Draft
	title := []rune(strings.ReplaceAll(d.Description, "\n", " "))
	if len(title) > 30 {
		title = append(title[:30], '…')
	}
	regionID := d.RegionID
	in := models.HazardInput{
		Title: "群众举报：" + string(title), Description: d.Description, Location: d.Location,
		Lat: d.Lat, Lng: d.Lng, RegionID: &regionID, Tip: true,
	}
	h, ev, err := c.tx.CreateHazard(c.actor, in)
	if err != nil {
		return err
	}
	photos, err := c.tx.AdoptDraftPhotos(c.actor.UserID, h, ev, models.PhaseBefore)
	if err != nil {
		return err
	}
	tip, err := c.tx.CreateTip(c.actor.UserID, h)
	if err != nil {
		return err
	}
	reviewers, err := c.b.reviewers(c.tx, h)
	if err != nil {
		return err
	}
	if len(reviewers) > 0 {
		place := d.Region
		if d.Location != "" {
			place += " " + d.Location
		}
		m := text(fmt.Sprintf(msgTipNotice, tip.Receipt(), h.Number, clip(d.Description, 200),
			fmt.Sprintf("地点：%s；照片%d张", place, photos), h.Seq, tip.Receipt(), tip.Receipt()))
		items, err := channelItems(models.EventNoticeKey(ev.ID, models.TagTip), reviewers, m)
		if err != nil {
			return err
		}
		if _, err := c.tx.Enqueue(items...); err != nil {
			return err
		}
	}
	c.dropDlg = true
	c.say(msgTipReceipt, tip.Receipt())
	return nil
}

// closeTip ends an unverified tip as not true (不属实) or already handled
// (已处理), with a reason the tipster is shown (models.ActDismiss): the
// hazard goes to withdrawn, so it never counts as found.
func (c *turn) closeTip(word, rest string) error {
	ref, reason := splitWord(rest)
	if ref == "" || reason == "" {
		return models.Errorf(models.EInvalid, "请写：%s 受理号或编号 理由，例如：%s JB2023-0007 现场核查无此情况", word, word)
	}
	var n models.Number
	if models.IsReceipt(ref) {
		tip, err := c.tx.FindTipByReceipt(ref)
		if err != nil {
			return err
		}
		if n, err = c.tx.HazardNumber(tip.HazardID); err != nil {
			return err
		}
	} else {
		var err error
		if n, err = models.ParseNumber(ref, c.b.today().Year); err != nil {
			return err
		}
	}
	r, err := c.b.transition(c.tx, c.actor, n, models.ActDismiss, models.Change{Note: models.DismissNote(word, reason)})
	if err != nil {
		return err
	}
	c.say("%s", c.b.doneText(r))
	return nil
}

// tipOutcomeWord is the outcome of a tip in a word or two, for a template.
func tipOutcomeWord(ev *models.Event) string {
	switch ev.Action {
	case models.ActAssign:
		return "已交办整改"
	case models.ActPass:
		return "已整改完成"
	case models.ActDismiss:
		if outcome, _, ok := models.ParseDismissNote(ev.Note); ok {
			return outcome
		}
	}
	return "已办结"
}

// tipOutcome tells the tipster how their tip ended, and nothing else: a
// tip's reporter gets these instead of the reporter's usual notices.
func (b *Bot) tipOutcome(tx *models.Tx, r *models.Result) ([]models.OutboxItem, error) {
	h, ev := r.Hazard, r.Event
	if !models.IsWeChatUser(h.ReporterID) {
		return nil, nil
	}
	var format, reason string
	switch ev.Action {
	case models.ActAssign:
		if r.From != models.StateUnverified {
			return nil, nil // a later reassignment is no news to the tipster
		}
		format = msgTipAssigned
	case models.ActPass:
		format = msgTipClosed
	case models.ActWithdraw:
		format = msgTipEnded
	case models.ActDismiss:
		format = msgTipEnded
		switch outcome, why, _ := models.ParseDismissNote(ev.Note); outcome {
		case tipFalse:
			format, reason = msgTipFalse, why
		case tipHandled:
			format, reason = msgTipHandled, why
		}
	default:
		return nil, nil
	}
	tip, err := tx.TipOfHazard(h.ID)
	if err != nil || tip == nil {
		return nil, err
	}
	msg := fmt.Sprintf(format, tip.Receipt())
	if reason != "" {
		msg = fmt.Sprintf(format, tip.Receipt(), reason)
	}
	// A template shows the receipt and the outcome, never the ledger's
	// number, the hazard's title or the unit.
	m := text(msg)
	m.Topic, m.Values = TopicTipOutcome, map[string]string{"number": tip.Receipt(), "state": tipOutcomeWord(ev)}
	item, err := outboxItem(models.EventNoticeKey(ev.ID, models.TagTipster), []string{tip.UserID}, m)
	if err != nil {
		return nil, err
	}
	return []models.OutboxItem{item}, nil
}

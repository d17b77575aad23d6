package bot

import (
	"fmt"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/models"
)

// The sentences of 立查立改 and of duplicate reports.
const (
	msgFixedHow     = "已当场整改（立查立改）的，回复：当场整改 做了什么，例如：当场整改 已清理消防通道。"
	msgFixedDone    = "已登记，编号 %s（立查立改）。\n%s\n已当场整改%s，已提交督办员复查销号。\n查询进度：查询 %d"
	msgAskDone      = "请写明当场做了什么，例如：已清理消防通道并设置警示标志"
	msgAskFixed     = "是否已当场整改（立查立改）？回复 是 / 否，不清楚可回复“跳过”。"
	msgAskFixedHow  = "请回复“是”或“否”：这条隐患是否已当场整改？也可以回复“跳过”。"
	msgAfterPhotos  = "；整改后的照片可直接发来。"
	msgDuplicate    = "可能与 %s（%s）重复：回复 合并 补充到原隐患，或 继续 新建"
	msgDuplicateHow = "请回复“合并”把这次上报补充到 %s，或回复“继续”新建一条隐患，“取消”放弃。"
	msgMerged       = "已合并到 %s（%s）：补充内容%s已记入，已告知责任单位和督办员。"
	msgDuplicateAPI = "可能与 %s（%s）重复；确是另一条隐患的，请加上 \"force\": true 再提交"
	msgDuplicateRow = "疑似重复 %s（%s）"
	// msgDuplicateLine notes an import row like an earlier row of its file.
	msgDuplicateLine = "疑似与第%d行重复（%s）"
)

// DuplicateError refuses a report that may repeat an open hazard (the rule
// of models.FindDuplicates). Its code is conflict; the admin API answers
// it 409 with the hazard's number.
type DuplicateError struct {
	Number, Title string
}

func (e *DuplicateError) Error() string { return "bot: may repeat " + e.Number }

// Unwrap gives the conflict error with the message a user sees.
func (e *DuplicateError) Unwrap() error {
	return models.Errorf(models.EConflict, msgDuplicateAPI, e.Number, clip(e.Title, 30))
}

// duplicateOf returns the open hazard a report may repeat, or nil: the
// closest of models.FindDuplicates.
func duplicateOf(tx *models.Tx, in models.HazardInput) (*models.Hazard, error) {
	dups, err := tx.FindDuplicates(in)
	if err != nil || len(dups) == 0 {
		return nil, err
	}
	return &dups[0], nil
}

// duplicateNote is an import row's note on the open hazard it may repeat.
func duplicateNote(h *models.Hazard) string {
	return fmt.Sprintf(msgDuplicateRow, h.Number, clip(h.Title, 30))
}

// askFixed is the guided report's question whether the hazard was fixed on
// the spot, asked after the enterprise and before the responsible unit.
const askFixed command.Field = "fixed_asked"

// The recorded answers to askFixed.
const (
	fixedYes  = "是"
	fixedNo   = "否"
	fixedSkip = "跳过" // the summary still offers 当场整改
)

// answerFixed takes the answer to askFixed: 是 (or 是，做了什么) files the
// report as 立查立改 (no unit or deadline is asked; the photos are the
// after-photos), 否 and 跳过 go on to the unit (after 跳过 the summary
// still offers 当场整改). Field lines are left to the
// usual handling (ok false); anything else asks again.
func (c *turn) answerFixed(cmd command.Command) (ok bool) {
	d := &c.dlg.Draft
	text := strings.TrimSpace(c.msg.Text)
	switch {
	case cmd.Name == command.Skip:
		d.FixedAnswer = fixedSkip
	case cmd.Name == command.Confirm:
		d.FixedAnswer, d.FixedOnSpot = fixedYes, true
	default:
		if fields, _ := command.ParseFields(text); len(fields) > 0 {
			return false
		}
		fixed, done, clear := fixedReply(text)
		if !clear {
			c.say("%s", msgAskFixedHow)
			return true
		}
		d.FixedAnswer, d.FixedOnSpot = fixedNo, fixed
		if fixed {
			d.FixedAnswer, d.Done = fixedYes, done
		}
	}
	c.reply.Text = c.nextQuestion()
	return true
}

// fixedReply reads an answer to 是否已当场整改: 否 (and the like), 是 with or
// without what was done, or what was done ("已清理通道"). clear is false
// for text that says neither, which is asked again rather than guessed.
func fixedReply(text string) (fixed bool, done string, clear bool) {
	for _, no := range []string{"否", "不是", "没有", "未", "还没"} {
		if strings.HasPrefix(text, no) {
			return false, "", true // "否，还没来得及"
		}
	}
	fixed, done = command.ParseFixed(text)
	switch {
	case !fixed, done == "":
		return fixed, done, true
	case done != text, strings.HasPrefix(text, "已"):
		return true, done, true
	}
	return false, "", false
}

// createFixedOnSpot files a hazard fixed on the spot (立查立改): recorded and
// submitted at once, its photos the evidence, and the county's supervisor
// gets the review card with them.
func (b *Bot) createFixedOnSpot(tx *models.Tx, a *models.Actor, in models.HazardInput, done string) (*models.Hazard, int64, error) {
	h, _, submit, err := tx.CreateFixedOnSpot(a, in, done)
	if err != nil {
		return nil, 0, err
	}
	photos, err := tx.AdoptDraftPhotos(a.UserID, h, submit, models.PhaseAfter)
	if err != nil {
		return nil, 0, err
	}
	r := &models.Result{Hazard: h, Event: submit, From: submit.FromState, Photos: photos}
	return h, photos, b.notify(tx, a, r)
}

// merge adds the draft to an open hazard it repeats: its title,
// description and location as a 补充 event, its photos as more photos as
// found; the hazard's unit and supervisor are told.
func (c *turn) merge() error {
	d := &c.dlg.Draft
	n, err := models.ParseNumber(c.dlg.Number, c.b.today().Year)
	if err != nil {
		c.dropDlg = true
		return err
	}
	var parts []string
	for _, p := range []string{d.Title, d.Description, d.Enterprise, d.Location, d.Remarks} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	r, err := c.b.transition(c.tx, c.actor, n, models.ActSupplement, models.Change{Note: strings.Join(parts, "；"), Photos: true})
	if err != nil {
		return err
	}
	c.dropDlg = true
	photos := ""
	if r.Photos > 0 {
		photos = fmt.Sprintf("和照片%d张", r.Photos)
	}
	c.say(msgMerged, r.Hazard.Number, r.Hazard.Title, photos)
	return nil
}

// askDuplicate is what a report dialogue asks while it waits for 合并 or 继续.
const askDuplicate = "duplicate"

// isMergeWord reports whether text answers the duplicate question with 合并.
func isMergeWord(text string) bool {
	switch strings.Trim(strings.TrimSpace(text), "。.!！") {
	case "合并", "合并到原隐患", "补充", "补充到原隐患", "是同一个", "重复":
		return true
	}
	return false
}

// fixedAnswer reads "当场整改 做了什么" (or 立查立改 …) typed at the summary;
// ok is false for any other text. A bare "当场整改" answers 是.
func fixedAnswer(text string) (done string, ok bool) {
	t := strings.TrimSpace(text)
	for _, w := range []string{"当场整改", "立查立改", "现场整改", "已当场整改"} {
		if rest, found := strings.CutPrefix(t, w); found {
			rest = strings.TrimLeft(rest, " ：:，,、")
			if rest == "" {
				rest = "是"
			}
			return rest, true
		}
	}
	return "", false
}

// fixedDone tells the reporter a hazard fixed on the spot is on the ledger
// and waits for review.
func fixedDone(h *models.Hazard, photos int64) string {
	p := ""
	if photos > 0 {
		p = fmt.Sprintf("（附照片%d张）", photos)
	}
	return fmt.Sprintf(msgFixedDone, h.Number, h.Title, p, h.Seq)
}

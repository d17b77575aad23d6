package bot

import (
	"fmt"
	"strings"

	"hazardbot/models"
)

// The sentences of 立查立改 and of duplicate reports.
const (
	msgFixedHow     = "已当场整改（立查立改）的，回复：当场整改 做了什么，例如：当场整改 已清理消防通道。"
	msgFixedDone    = "已登记，编号 %s（立查立改）。\n%s\n已当场整改%s，已提交督办员复查销号。\n查询进度：查询 %d"
	msgAskDone      = "请写明当场做了什么，例如：已清理消防通道并设置警示标志"
	msgDuplicate    = "可能与 %s（%s）重复：回复 合并 补充到原隐患，或 继续 新建"
	msgDuplicateHow = "请回复“合并”把这次上报补充到 %s，或回复“继续”新建一条隐患，“取消”放弃。"
	msgMerged       = "已合并到 %s（%s）：补充内容%s已记入，已告知责任单位和督办员。"
)

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

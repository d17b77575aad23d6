package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"hazardbot/models"
)

// SweepDrafts keeps every dialogue idle for longer than the configured
// timeout as a resumable draft and tells its user how to resume it. It is a
// scheduled job; running it twice tells nobody twice.
func (b *Bot) SweepDrafts(ctx context.Context) (int, error) {
	n := 0
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		idle, err := tx.IdleDialogues(b.now().Add(-b.idle()), 500)
		if err != nil {
			return err
		}
		for i := range idle {
			row := &idle[i]
			var d dialogue
			if err := json.Unmarshal([]byte(row.Data), &d); err != nil {
				b.log.Warn("unreadable dialogue kept as is", "user", row.UserID, "err", err)
				continue
			}
			d.Status = models.DialogueKept
			data, _ := json.Marshal(&d)
			row.Status, row.Data = models.DialogueKept, string(data)
			if err := tx.SaveDialogue(row); err != nil {
				return err
			}
			var msg string
			switch d.Flow {
			case flowReport:
				msg = fmt.Sprintf(msgDraftKept, d.Draft.brief())
			case flowReject:
				msg = fmt.Sprintf("退回 %s 的理由还没填写，回复“继续”接着填，回复“取消”放弃。", d.Number)
			case flowDate:
				msg = fmt.Sprintf("%s 的时限还没确认，回复“继续”接着办，回复“取消”放弃。", d.Number)
			default:
				continue
			}
			item, err := outboxItem(fmt.Sprintf("draft|%s|%d", row.UserID, row.Version), []string{row.UserID}, text(msg))
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue(item); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// inboundKeep is how long a handled callback's dedupe row is kept: a week,
// or the callback window when that is longer, so that every callback the
// window admits is still recognised when posted again.
func inboundKeep(window time.Duration) time.Duration {
	return max(7*24*time.Hour, window)
}

// Housekeeping is the periodic tidy-up run as the draft_sweep job: it
// keeps idle drafts (SweepDrafts), forgets the per-member send log older
// than an hour (the limit looks back one minute), forgets the per-sender
// inbound counts of past minutes and the photos that joined nothing and
// belong to no draft (after draftPhotoLife) with their stored files,
// deletes the stored files whose delete failed before, and forgets handled
// callbacks older than a week or the callback window, whichever is longer:
// a callback inside the window must still find its row, or a captured
// request posted again would be handled again (WeCom itself retries within
// seconds; the table would otherwise grow with every message ever received).
func (b *Bot) Housekeeping(ctx context.Context) error {
	if _, err := b.SweepDrafts(ctx); err != nil {
		return err
	}
	now := b.now()
	if _, err := b.store.PruneSends(ctx, now.Add(-time.Hour)); err != nil {
		return err
	}
	if _, err := b.store.PruneInboundRates(ctx, now.Add(-10*time.Minute), now.Add(-max(10*time.Minute, b.cfg.WeCom.CallbackWindow))); err != nil {
		return err
	}
	_, files, err := b.store.PruneDraftPhotos(ctx, now.Add(-draftPhotoLife))
	if err != nil {
		return err
	}
	if _, err := b.deleteFiles(ctx, files); err != nil {
		return err
	}
	if _, err := b.SweepFileDeletions(ctx); err != nil {
		return err
	}
	_, err = b.store.PruneInbound(now.Add(-inboundKeep(b.cfg.WeCom.CallbackWindow)))
	return err
}

// draftPhotoLife is how long a photo that joined no report or
// rectification, and belongs to no draft, is kept: WeCom itself forgets
// the media after three days.
const draftPhotoLife = 3 * 24 * time.Hour

package bot

import (
	"fmt"
	"strings"
	"time"

	"hazardbot/models"
)

// The sentences about photos.
const (
	msgLatePhoto     = "已收到照片，补充到 %s 最近一次的整改（这次整改照片共%d张），已告知复查人员。"
	msgLatePhotoNote = "%s 为 %s %s 补充了整改后照片（见下）。查看全部照片：照片 %d"
	msgNoPhotos      = "%s 还没有照片。"
	msgPhotosComing  = "%s 的照片（%s）随后发给你，每张一条消息。"
	msgPhotosWhere   = "%s，查看：%s"
	msgPhotosAsk     = "%s（在公众号回复“照片 %d”可以看到照片）"
)

// maxPhotosSent bounds the photos sent at once (one image message each):
// WeCom takes at most 30 messages a minute for one member, and nine is
// what a phone shows on one screen.
const maxPhotosSent = 9

// latePhotoWindow is how long after a 整改 the same person's photos still
// belong to it: people often type the measures first and send the photos
// after.
const latePhotoWindow = 10 * time.Minute

// photoItems queues up to maxPhotosSent of list to users as image messages,
// one dedupe key per photo under prefix (and per follower: channelItems).
// WeCom members get WeCom image messages; WeChat followers get them from
// the Official Account while their 48-hour window is open (else the image
// ends, and the count line that goes with the photos, by template, says
// where to see them). Photos the fetcher gave up on are left out. It
// returns the items and how many photos they show.
func photoItems(prefix string, users []string, list []models.Attachment) ([]models.OutboxItem, int, error) {
	if len(users) == 0 {
		return nil, 0, nil
	}
	var items []models.OutboxItem
	shown := 0
	for _, a := range list {
		if shown == maxPhotosSent {
			break
		}
		if a.Lost() {
			continue
		}
		its, err := channelItems(fmt.Sprintf("%s|%d", prefix, a.ID), users, Outgoing{Kind: OutImage, Photo: a.ID})
		if err != nil {
			return nil, 0, err
		}
		items = append(items, its...)
		shown++
	}
	return items, shown, nil
}

// evidenceItems are the after-photos of a submission for its reviewers:
// the images, then one line with the count, so that nobody closes out a
// hazard without having seen what was done.
func (b *Bot) evidenceItems(tx *models.Tx, h *models.Hazard, ev *models.Event, users []string) ([]models.OutboxItem, error) {
	list, err := tx.EventPhotos(ev.ID)
	if err != nil || len(list) == 0 || len(users) == 0 {
		return nil, err
	}
	prefix := models.EventNoticeKey(ev.ID, models.TagPhoto)
	items, shown, err := photoItems(prefix, users, list)
	if err != nil {
		return nil, err
	}
	line, err := channelItems(models.EventNoticeKey(ev.ID, models.TagPhotos), users, photoLine(b, h, photoCountLine(h, "整改后", len(list), shown)))
	if err != nil {
		return nil, err
	}
	return append(items, line...), nil
}

// latePhoto attaches a photo sent shortly after the sender's 整改 to that
// submission and shows it to the reviewers. ok is false when there is no
// such submission.
func (c *turn) latePhoto() (ok bool, err error) {
	h, ev, err := c.tx.RecentSubmission(c.actor.UserID, c.b.now().Add(-latePhotoWindow))
	if err != nil || h == nil {
		return false, err
	}
	a, err := c.tx.AddPhoto(c.actor.UserID, c.msg.MediaID, c.msg.PicURL, h, ev, models.PhaseAfter)
	if err != nil {
		return false, err
	}
	list, err := c.tx.EventPhotos(ev.ID)
	if err != nil {
		return false, err
	}
	users, err := c.b.reviewers(c.tx, h)
	if err != nil {
		return false, err
	}
	users = without(users, c.actor.UserID)
	if len(users) > 0 {
		// One note per submission, then each photo while there are at
		// most maxPhotosSent.
		items, err := channelItems(models.EventNoticeKey(ev.ID, models.TagLate), users, text(fmt.Sprintf(msgLatePhotoNote, c.actor.Display(), h.Number, h.Title, h.Seq)))
		if err != nil {
			return false, err
		}
		if len(list) <= maxPhotosSent {
			img, _, err := photoItems(models.EventNoticeKey(ev.ID, models.TagPhoto), users, []models.Attachment{*a})
			if err != nil {
				return false, err
			}
			items = append(items, img...)
		}
		if _, err := c.tx.Enqueue(items...); err != nil {
			return false, err
		}
	}
	c.say(msgLatePhoto, h.Number, len(list))
	return true, nil
}

// sendPhotos sends a hazard's photos, before and after, to the asker.
// Images cannot be a passive reply, so they go through the outbox; the
// reply says what is coming.
func (c *turn) sendPhotos(n models.Number) error {
	h, err := c.tx.FindHazardByNumber(n)
	if err != nil {
		return err
	}
	ok, err := c.tx.CanSee(c.actor, h)
	if err != nil {
		return err
	}
	if !ok {
		return models.Errorf(models.EForbidden, "你无权查看 %s 的照片：它不在你单位的管辖范围内，也不是你上报的", h.Number)
	}
	all, err := c.tx.Attachments(h.ID)
	if err != nil {
		return err
	}
	var before, after []models.Attachment
	for _, a := range all {
		if a.Phase == models.PhaseAfter {
			after = append(after, a)
		} else {
			before = append(before, a)
		}
	}
	if len(all) == 0 {
		c.say(msgNoPhotos, h.Number)
		return nil
	}
	to := []string{c.actor.UserID}
	var items []models.OutboxItem
	var parts []string
	for _, g := range []struct {
		label string
		list  []models.Attachment
	}{{"整改前", before}, {"整改后", after}} {
		if len(g.list) == 0 {
			continue
		}
		prefix := fmt.Sprintf("photos|%s|%s", c.key, g.label)
		imgs, shown, err := photoItems(prefix, to, g.list)
		if err != nil {
			return err
		}
		head, err := outboxItem(prefix, to, text(photoCountLine(h, g.label, len(g.list), shown)+"："))
		if models.IsWeChatUser(c.actor.UserID) {
			head, err = outboxItem(prefix, to, photoLine(c.b, h, photoCountLine(h, g.label, len(g.list), shown)))
		}
		if err != nil {
			return err
		}
		items = append(append(items, head), imgs...)
		parts = append(parts, fmt.Sprintf("%s%d张", g.label, len(g.list)))
	}
	if _, err := c.tx.Enqueue(items...); err != nil {
		return err
	}
	c.say(msgPhotosComing, h.Number, strings.Join(parts, "、"))
	return nil
}

// photoCountLine says how many photos of a phase there are, and how many
// were sent when not all were.
func photoCountLine(h *models.Hazard, label string, total, shown int) string {
	s := fmt.Sprintf("%s %s照片共%d张", h.Number, label, total)
	if shown < total {
		s += fmt.Sprintf("（只发送了前%d张）", shown)
	}
	return s
}

// photoLine is a photo count line as it goes to every channel: with where
// to see the photos (the hazard's page when public_url is set, else 照片 N
// on the Official Account), since a WeChat follower outside their 48-hour
// window gets the line by template message and the images not at all.
// Its values fill a template's photos field.
func photoLine(b *Bot, h *models.Hazard, line string) Outgoing {
	if u := b.hazardURL(h); u != "" {
		line = fmt.Sprintf(msgPhotosWhere, line, u)
	} else {
		line = fmt.Sprintf(msgPhotosAsk, line, h.Seq)
	}
	m := text(line)
	m.URL = b.hazardURL(h)
	m.Values = map[string]string{"number": h.Number, "hazard": h.Title, "photos": line}
	return m
}

// without is users less one.
func without(users []string, drop string) []string {
	var out []string
	for _, u := range users {
		if u != "" && u != drop {
			out = append(out, u)
		}
	}
	return out
}

package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"hazardbot/config"
	"hazardbot/models"
)

// notify writes, in the change's own transaction, the messages that tell
// the people concerned about it. Each gets a dedupe key derived from the
// event, so nothing is sent twice and nothing is lost if the process dies
// after commit.
func (b *Bot) notify(tx *models.Tx, a *models.Actor, r *models.Result) error {
	h, ev := r.Hazard, r.Event
	var out []noticeTo
	contacts := func() ([]string, error) { return b.contacts(tx, h) }
	reviewers := func() ([]string, error) { return b.reviewers(tx, h) }
	add := func(tag string, users func() ([]string, error), m Outgoing) error {
		list, err := users()
		if err != nil {
			return err
		}
		out = append(out, noticeTo{tag, list, m})
		return nil
	}
	reporter := func() ([]string, error) {
		if models.IsWeChatUser(h.ReporterID) {
			return nil, nil // a public tipster hears only the outcome (tipOutcome)
		}
		return []string{h.ReporterID}, nil
	}
	var err error
	switch ev.Action {
	case models.ActReport:
		if h.State == models.StateRectifying {
			err = add(models.TagContacts, contacts, b.assignCard(tx, h, a))
		} else {
			msg := fmt.Sprintf("新上报隐患待交办：%s %s\n%s，上报人：%s", h.Number, h.Title, b.where(tx, h), a.Display())
			if ev.Note != "" {
				msg += "\n" + ev.Note
			}
			err = add(models.TagSupervisors, reviewers, text(fmt.Sprintf("%s\n交办请发：交办 %d 责任单位 时限", msg, h.Seq)))
		}
	case models.ActAssign:
		err = add(models.TagContacts, contacts, b.assignCard(tx, h, a))
		if err == nil {
			err = add(models.TagReporter, reporter, text(fmt.Sprintf("你上报的 %s %s 已交办%s，整改时限%s。", h.Number, h.Title, b.unitName(tx, h), h.Deadline.Chinese())))
		}
	case models.ActSubmit:
		_, after, perr := tx.Photos(h.ID)
		if perr != nil {
			return perr
		}
		photos := fmt.Sprintf("%d张", after)
		if r.Photos > 0 {
			photos += "，本次附的随后发来"
		}
		err = add(models.TagReviewers, reviewers, Outgoing{Kind: OutCard, Card: &Card{
			TaskID: taskID("review", ev), Title: "整改待复查 " + h.Number, Description: h.Title,
			Fields:  []CardPair{{"责任单位", b.unitName(tx, h)}, {"整改情况", clip(h.Rectification, 60)}, {"整改措施", clip(h.Measures, 40)}, {"整改后照片", photos}, {"提交人", a.Display()}},
			Buttons: []Button{{Text: "通过", Key: buttonKey(keyPass, h), Style: 1}, {Text: "退回", Key: buttonKey(keyReject, h), Style: 3}},
			URL:     b.hazardURL(h), LinkTitle: "查看整改照片和详情",
		}})
	case models.ActPass:
		m := b.about(tx, h, TopicClosed, text(fmt.Sprintf("%s %s 复查通过，已销号。复查人：%s", h.Number, h.Title, a.Display())))
		if err = add(models.TagContacts, contacts, m); err == nil {
			err = add(models.TagReporter, reporter, m)
		}
	case models.ActReject:
		err = add(models.TagContacts, contacts, b.about(tx, h, TopicSendBack, text(fmt.Sprintf("%s %s 复查退回：%s\n整改后先发照片，再发：整改 %d 做了什么", h.Number, h.Title, noteAfter(ev.Note), h.Seq))))
	case models.ActList:
		m := text(fmt.Sprintf("%s %s 已挂牌督办（%s，%s），请加快整改，时限%s。", h.Number, h.Title, b.colourText(h.Colour), models.LevelName(h.Level), h.Deadline.Chinese()))
		if err = add(models.TagContacts, contacts, m); err == nil {
			err = add(models.TagSupervisors, reviewers, m)
		}
		if err == nil && h.Colour == models.ColourRed {
			err = add(models.TagGroups, func() ([]string, error) { return b.groups(tx, h) }, m)
		}
	case models.ActRequestExtend:
		err = add(models.TagReviewers, reviewers, Outgoing{Kind: OutCard, Card: &Card{
			TaskID: taskID("extend", ev), Title: "延期申请 " + h.Number, Description: h.Title,
			Fields:  []CardPair{{"原时限", h.Deadline.Chinese()}, {"申请延至", h.ExtensionTo.Chinese()}, {"理由", clip(h.ExtensionReason, 60)}, {"申请人", a.Display()}},
			Buttons: []Button{{Text: "同意延期", Key: buttonKey(keyApprove, h), Style: 1}},
			URL:     b.hazardURL(h),
		}})
	case models.ActApproveExtend:
		err = add(models.TagContacts, contacts, text(fmt.Sprintf("%s 延期已批准，整改时限改为%s。", h.Number, h.Deadline.Chinese())))
	case models.ActSupplement:
		photos := ""
		if r.Photos > 0 {
			photos = fmt.Sprintf("（附照片%d张，查看：照片 %d）", r.Photos, h.Seq)
		}
		m := text(fmt.Sprintf("%s %s 收到补充上报（%s）：%s%s", h.Number, h.Title, a.Display(), clip(ev.Note, 200), photos))
		if err = add(models.TagContacts, contacts, m); err == nil {
			err = add(models.TagSupervisors, reviewers, m)
		}
	case models.ActWithdraw:
		m := text(fmt.Sprintf("%s %s 已撤销：%s", h.Number, h.Title, ev.Note))
		if err = add(models.TagReporter, reporter, m); err == nil {
			err = add(models.TagContacts, contacts, m)
		}
	}
	if err != nil {
		return err
	}
	var items []models.OutboxItem
	for _, n := range out {
		users := slices.DeleteFunc(slices.Clone(n.users), func(u string) bool { return u == "" || u == a.UserID })
		if len(users) == 0 {
			continue
		}
		list, err := channelItems(models.EventNoticeKey(ev.ID, n.tag), users, n.m)
		if err != nil {
			return err
		}
		items = append(items, list...)
		if ev.Action == models.ActSubmit && n.tag == models.TagReviewers {
			// The evidence follows the review card.
			photos, err := b.evidenceItems(tx, h, ev, users)
			if err != nil {
				return err
			}
			items = append(items, photos...)
		}
	}
	tips, err := b.tipOutcome(tx, r)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(append(items, tips...)...)
	return err
}

type noticeTo struct {
	tag   string
	users []string
	m     Outgoing
}

func text(s string) Outgoing { return Outgoing{Kind: OutText, Text: fitText(s)} }

// outboxItem encodes a message for the outbox.
func outboxItem(key string, users []string, m Outgoing) (models.OutboxItem, error) {
	m.ToUsers = users
	body, err := json.Marshal(m)
	if err != nil {
		return models.OutboxItem{}, fmt.Errorf("bot: encode message: %w", err)
	}
	return models.OutboxItem{Key: key, Recipients: users, Kind: string(m.Kind), Body: string(body)}, nil
}

// taskID names a card uniquely (WeCom refuses a reused task_id).
func taskID(kind string, ev *models.Event) string { return fmt.Sprintf("hz-%s-%d", kind, ev.ID) }

// about marks m as a notice of topic about hazard h, with the values a
// WeChat template may show.
func (b *Bot) about(tx *models.Tx, h *models.Hazard, topic string, m Outgoing) Outgoing {
	m.Topic = topic
	m.Values = map[string]string{"number": h.Number, "hazard": h.Title, "unit": b.unitName(tx, h),
		"deadline": h.Deadline.Chinese(), "state": models.StateName(h.State)}
	return m
}

func (b *Bot) assignCard(tx *models.Tx, h *models.Hazard, a *models.Actor) Outgoing {
	return b.about(tx, h, TopicAssignment, Outgoing{Kind: OutCard, Card: &Card{
		TaskID: fmt.Sprintf("hz-assign-%d-%d", h.ID, h.Version), Title: "隐患整改交办 " + h.Number, Description: h.Title,
		Fields:  []CardPair{{"隐患内容", clip(h.Description, 60)}, {"区域", b.where(tx, h)}, {"整改时限", h.Deadline.Chinese()}, {"交办人", a.Display()}},
		Buttons: []Button{{Text: "接收", Key: buttonKey(keyAccept, h), Style: 1}},
		URL:     b.hazardURL(h), LinkTitle: "查看隐患详情和照片",
	}})
}

// PageURL is the address of the H5 page at path p (such as "/h5/") under
// public_url, or "" when no public_url is set and messages carry no links.
func PageURL(cfg *config.Config, p string) string {
	if cfg == nil || cfg.PublicURL == "" {
		return ""
	}
	return cfg.PublicURL + p
}

// hazardURL is the address of a hazard's H5 page, "" without public_url.
func (b *Bot) hazardURL(h *models.Hazard) string {
	return PageURL(b.cfg, "/h5/hazards/"+h.Number)
}

// updateCards changes the clicked card for everyone who received it, to
// show the outcome and who acted.
func (b *Bot) updateCards(tx *models.Tx, a *models.Actor, r *models.Result, responseCode string) error {
	if responseCode == "" {
		return nil
	}
	m := Outgoing{Kind: OutCardUpdate, ResponseCode: responseCode, Card: &Card{Done: fmt.Sprintf("%s（%s）", buttonDone(r.Event.Action), a.Display())}}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(models.OutboxItem{Key: "card|" + responseCode, Kind: string(m.Kind), Body: string(body)})
	return err
}

// contacts are the responsible unit's contacts (models.WhoAnswers).
func (b *Bot) contacts(tx *models.Tx, h *models.Hazard) ([]string, error) {
	a, err := models.WhoAnswers(tx, h)
	return a.Contacts, err
}

// reviewers are the supervisors who answer for a hazard: by its
// supervision level, falling back to the city (models.WhoAnswers).
func (b *Bot) reviewers(tx *models.Tx, h *models.Hazard) ([]string, error) {
	a, err := models.WhoAnswers(tx, h)
	return a.Supervisors, err
}

// where says the county and sector of a hazard: "茅箭区·燃气".
func (b *Bot) where(tx *models.Tx, h *models.Hazard) string {
	var parts []string
	if h.RegionID != nil {
		if u, err := tx.FindUnit(*h.RegionID); err == nil {
			parts = append(parts, u.ShortName())
		}
	}
	if h.Sector != "" {
		parts = append(parts, h.Sector)
	}
	if h.Enterprise != "" {
		parts = append(parts, h.Enterprise)
	}
	if len(parts) == 0 {
		return "未填区域"
	}
	return strings.Join(parts, "·")
}

func (b *Bot) unitName(tx *models.Tx, h *models.Hazard) string {
	if h.UnitID == nil {
		return "（未交办）"
	}
	if u, err := tx.FindUnit(*h.UnitID); err == nil {
		return u.Name
	}
	return "（未知单位）"
}

// clip shortens s to n runes for a card field.
func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// noteAfter is an event note without the "退回" boilerplate.
func noteAfter(note string) string {
	if note == "" {
		return "（未写理由）"
	}
	return note
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"hazardbot/models"
)

// GroupPrefix marks an outbox recipient that is a unit's WeCom group (its
// robot webhook or app group chat), followed by the unit's code. The
// target itself (a webhook key is a secret) is looked up when sending, so it
// never sits in the outbox.
const GroupPrefix = "group:"

// GroupRecipient is the outbox recipient standing for unit code's group.
func GroupRecipient(unitCode string) string { return GroupPrefix + unitCode }

// Channels is the one Sender the outbox worker uses: it hands each
// recipient to the channel that reaches them — WeCom members through the
// WeCom API, WeChat followers (models.WeChatPrefix) through the Official
// Account, unit groups (GroupPrefix) through the group robot or app chat.
// Notices are queued one row per channel (see channelItems), so a row
// normally goes to one channel only. A channel left nil fails its
// recipients for good.
type Channels struct {
	WeCom  Sender
	WeChat Sender
	Groups Sender
}

// Send delivers m to each of its recipients' channels.
func (c Channels) Send(ctx context.Context, m Outgoing) error {
	if m.Kind == OutCardUpdate || len(m.ToUsers) == 0 {
		return c.send(ctx, c.WeCom, "WeCom", m)
	}
	var wecom, wechat, groups []string
	for _, u := range m.ToUsers {
		switch {
		case models.IsWeChatUser(u):
			wechat = append(wechat, u)
		case strings.HasPrefix(u, GroupPrefix):
			groups = append(groups, u)
		default:
			wecom = append(wecom, u)
		}
	}
	var errs []error
	for _, part := range []struct {
		s     Sender
		name  string
		users []string
	}{{c.WeCom, "WeCom", wecom}, {c.WeChat, "WeChat", wechat}, {c.Groups, "group", groups}} {
		if len(part.users) == 0 {
			continue
		}
		one := m
		one.ToUsers = part.users
		if err := c.send(ctx, part.s, part.name, one); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c Channels) send(ctx context.Context, s Sender, name string, m Outgoing) error {
	if s == nil {
		return noChannel(name)
	}
	return s.Send(ctx, m)
}

// noChannel says a recipient's channel is not configured.
type noChannel string

func (n noChannel) Error() string   { return "bot: no " + string(n) + " channel configured" }
func (n noChannel) Permanent() bool { return true }

// Held says a channel's own rate limit holds a message until a time (e.g.
// a group robot's 20 a minute). The outbox worker keeps the row pending
// until then without counting it as a failure.
type Held struct{ Until time.Time }

func (h *Held) Error() string {
	return "held for the channel's rate limit until " + h.Until.Format(time.RFC3339)
}

// Ended says a message can never reach its recipient because they left the
// channel (a WeChat follower who unfollowed the account). The outbox worker
// marks the row ended (models.OutboxEnded), not failed, and never retries it.
type Ended struct{ Reason string }

func (e *Ended) Error() string { return "recipient left the channel: " + e.Reason }

// Permanent: no retry reaches a recipient who left.
func (e *Ended) Permanent() bool { return true }

// IsEnded reports whether err says the recipient left the channel.
func IsEnded(err error) bool {
	var e *Ended
	return errors.As(err, &e)
}

// Downloaders fetches a photo from the channel it came in by: WeChat media
// ids carry models.WeChatPrefix (the WeChat adapter adds it), the rest are
// WeCom's.
type Downloaders struct {
	WeCom  Downloader
	WeChat Downloader
}

// DownloadMedia fetches mediaID from its channel.
func (d Downloaders) DownloadMedia(ctx context.Context, mediaID string, w io.Writer) (string, error) {
	if id, ok := strings.CutPrefix(mediaID, models.WeChatPrefix); ok {
		if d.WeChat == nil {
			return "", noChannel("WeChat")
		}
		return d.WeChat.DownloadMedia(ctx, id, w)
	}
	if d.WeCom == nil {
		return "", noChannel("WeCom")
	}
	return d.WeCom.DownloadMedia(ctx, mediaID, w)
}

// channelItems encodes one notice for the outbox as one row per channel:
// WeCom members share a row; each WeChat follower gets a row of their own,
// since WeChat sends to one follower per call and chooses customer-service
// or template message per follower; so does each group.
func channelItems(key string, users []string, m Outgoing) ([]models.OutboxItem, error) {
	var wecom []string
	var out []models.OutboxItem
	for _, u := range users {
		if !models.IsWeChatUser(u) && !strings.HasPrefix(u, GroupPrefix) {
			wecom = append(wecom, u)
			continue
		}
		item, err := outboxItem(key+"|"+u, []string{u}, m)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	if len(wecom) > 0 {
		item, err := outboxItem(key, wecom, m)
		if err != nil {
			return nil, err
		}
		out = append([]models.OutboxItem{item}, out...)
	}
	return out, nil
}

// PlainText renders m for a channel that has only text (WeChat): a card
// becomes its title, fields and, for each button, the command that does
// the same. A card update has nothing to say and renders as "".
func PlainText(m Outgoing) string {
	switch m.Kind {
	case OutCardUpdate:
		return ""
	case OutTextCard:
		return strings.TrimSpace(m.Title + "\n" + m.Description)
	case OutFile:
		return fmt.Sprintf("文件《%s》请在电脑上查看。", m.FileName)
	case OutImage:
		return "（一张照片）"
	case OutCard:
		if m.Card == nil {
			return ""
		}
		var b strings.Builder
		b.WriteString(m.Card.Title)
		if m.Card.Description != "" {
			b.WriteString("\n" + m.Card.Description)
		}
		for _, f := range m.Card.Fields {
			fmt.Fprintf(&b, "\n%s：%s", f.Key, f.Value)
		}
		for _, btn := range m.Card.Buttons {
			if cmd := buttonCommand(btn.Key); cmd != "" {
				fmt.Fprintf(&b, "\n%s请回复：%s", btn.Text, cmd)
			}
		}
		return b.String()
	}
	return m.Text
}

// buttonCommand is the typed command a card button stands for.
func buttonCommand(key string) string {
	action, number, ok := strings.Cut(key, ":")
	if !ok {
		return ""
	}
	switch action {
	case keyAccept:
		return "接收 " + number
	case keyPass:
		return "复查 " + number + " 通过"
	case keyReject:
		return "复查 " + number + " 退回 理由"
	case keyApprove:
		return "同意延期 " + number
	}
	return ""
}

// groups are the WeCom groups that hear of a hazard: those of its county
// and of its responsible unit, where they have one.
func (b *Bot) groups(tx *models.Tx, h *models.Hazard) ([]string, error) {
	var ids []uint
	for _, id := range []*uint{h.RegionID, h.UnitID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	has, err := tx.HasGroup(ids...)
	if err != nil || len(has) == 0 {
		return nil, err
	}
	units, err := tx.UnitsByID(ids...)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if u := units[id]; u != nil && has[id] {
			out = append(out, GroupRecipient(u.Code))
		}
	}
	return out, nil
}

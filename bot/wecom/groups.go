package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"hazardbot/bot"
)

// RobotPerMinute is a group robot's limit: WeCom refuses more than 20
// messages a minute to one webhook.
const RobotPerMinute = 20

// maxMarkdown is the largest markdown content a group robot takes.
const maxMarkdown = 4096

// GroupTargets finds a unit's group: a robot webhook key or an app chat id.
// models.Store implements it.
type GroupTargets interface {
	GroupTarget(ctx context.Context, unitCode string) (webhookKey, chatID string, err error)
}

// SendLog keeps the log of sends shared by every replica; the robot limit
// is kept in it the same way as the per-member limit. models.Store
// implements it.
type SendLog interface {
	ReserveSends(ctx context.Context, batch [][]string, now time.Time, limit int) ([]time.Time, error)
}

// Groups sends to units' WeCom groups (recipients bot.GroupRecipient):
// through the group robot's webhook (POST {api_base}/cgi-bin/webhook/send?key=…)
// or, for an app group chat, through appchat/send with the app's token.
// Either way the message is markdown. It implements bot.Sender.
type Groups struct {
	c       *Client
	targets GroupTargets
	log     SendLog
}

// NewGroups returns a group sender over the app client c.
func NewGroups(c *Client, targets GroupTargets, log SendLog) *Groups {
	return &Groups{c: c, targets: targets, log: log}
}

// Send posts m to each group in m.ToUsers. A robot that has had
// RobotPerMinute messages in the last minute holds the message
// (*bot.Held) until a place frees, across replicas.
func (g *Groups) Send(ctx context.Context, m bot.Outgoing) error {
	content := bot.PlainText(m)
	if m.Kind == bot.OutMarkdown {
		content = m.Text
	}
	if content == "" {
		return nil
	}
	if len(content) > maxMarkdown {
		return &MessageError{Reason: fmt.Sprintf("group message of %d bytes is over the robot's %d", len(content), maxMarkdown)}
	}
	var errs []error
	for _, r := range dedupe(m.ToUsers) {
		code, ok := strings.CutPrefix(r, bot.GroupPrefix)
		if !ok {
			errs = append(errs, &MessageError{Reason: "not a group: " + r})
			continue
		}
		if err := g.sendOne(ctx, code, content); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (g *Groups) sendOne(ctx context.Context, code, content string) error {
	key, chat, err := g.targets.GroupTarget(ctx, code)
	if err != nil {
		var p interface{ Permanent() bool }
		if errors.As(err, &p) {
			return err
		}
		return &MessageError{Reason: err.Error()}
	}
	markdown := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}}
	if key == "" {
		markdown["chatid"] = chat
		raw, _ := json.Marshal(markdown)
		var res util.CommonError
		return g.c.do(ctx, request{call: "appchat/send", method: http.MethodPost, body: jsonBody(raw), auth: true,
			handle: decodeJSON("appchat/send", &res, func() *util.CommonError { return &res })})
	}
	// The robot's window is named by a hash of its key: the key is a
	// secret and the log of sends is not.
	sum := sha256.Sum256([]byte(key))
	holds, err := g.log.ReserveSends(ctx, [][]string{{"robot:" + hex.EncodeToString(sum[:8])}}, g.c.now(), RobotPerMinute)
	if err != nil {
		return err
	}
	if !holds[0].IsZero() {
		return &bot.Held{Until: holds[0]}
	}
	raw, _ := json.Marshal(markdown)
	var res util.CommonError
	return g.c.do(ctx, request{call: "webhook/send", method: http.MethodPost, body: jsonBody(raw),
		query:  url.Values{"key": {key}},
		handle: decodeJSON("webhook/send", &res, func() *util.CommonError { return &res })})
}

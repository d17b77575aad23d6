// Package bot is hazardbot's brain: it reads what users send, runs the
// command or dialogue step against the ledger, renders replies and
// notifications, and runs the schedules. It knows nothing of HTTP or of
// WeCom's wire formats; bot/wecom adapts those to the types here.
package bot

import (
	"context"
	"errors"
	"time"
)

// Kind says what a user sent.
type Kind string

// The kinds of inbound message.
const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindVoice    Kind = "voice"
	KindVideo    Kind = "video"
	KindLocation Kind = "location"
	KindLink     Kind = "link"
	KindEvent    Kind = "event"
)

// Event names of KindEvent messages.
const (
	EventSubscribe    = "subscribe"
	EventUnsubscribe  = "unsubscribe"
	EventEnterAgent   = "enter_agent"
	EventClick        = "click"
	EventLocation     = "LOCATION"
	EventTemplateCard = "template_card_event"
)

// Message is one inbound message or event, free of transport details.
type Message struct {
	// ID is the dedupe key: the MsgId for messages; for events
	// FromUserName + CreateTime + Event + EventKey.
	ID      string
	UserID  string
	AgentID int64
	Kind    Kind
	Time    time.Time

	Text string // text

	MediaID string // image, voice, video
	PicURL  string // image
	Format  string // voice
	ThumbID string // video

	Lat, Lng float64 // location, LOCATION event
	Scale    int     // location
	Label    string  // location

	Title, Description, URL string // link

	Event        string // KindEvent only
	EventKey     string // click, template_card_event (the button key)
	TaskID       string // template_card_event
	CardType     string // template_card_event
	ResponseCode string // template_card_event: lets the card be updated
	Selected     []SelectedItem
}

// SelectedItem is one answered question of a template card.
type SelectedItem struct {
	QuestionKey string
	OptionIDs   []string
}

// Reply is the passive answer to the sender, carried in the callback's
// response. The zero Reply means there is nothing to say.
type Reply struct {
	Text string
	// ButtonText, for a template_card_event, replaces the clicked card's
	// buttons with this text for the clicking user (e.g. "已接收").
	ButtonText string
}

// Empty reports whether there is nothing to send back.
func (r Reply) Empty() bool { return r.Text == "" && r.ButtonText == "" }

// OutKind says what kind of message goes out through the API.
type OutKind string

// The kinds of outgoing message.
const (
	OutText       OutKind = "text"
	OutMarkdown   OutKind = "markdown"
	OutTextCard   OutKind = "textcard"
	OutCard       OutKind = "template_card" // button_interaction card
	OutFile       OutKind = "file"
	OutImage      OutKind = "image"       // a photo: Photo names it, File once resolved
	OutCardUpdate OutKind = "card_update" // update_template_card
)

// Outgoing is one message sent through the WeCom API (never a passive reply).
// It is stored as JSON in the outbox, so its shape is part of the stored data:
// add fields, never rename them.
type Outgoing struct {
	Kind    OutKind  `json:"kind"`
	ToUsers []string `json:"to_users,omitempty"`

	Text string `json:"text,omitempty"` // text, markdown

	Title       string `json:"title,omitempty"` // textcard, template_card
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"` // textcard link

	Card *Card `json:"card,omitempty"` // template_card, card_update

	// File is a path, relative to the storage root, of a file to upload and
	// send (e.g. the weekly ledger .xlsx); FileName is what the user sees.
	File     string `json:"file,omitempty"`
	FileName string `json:"file_name,omitempty"`

	// Photo is the attachment an image message shows. The sender resolves
	// it to File when it goes out, since a photo may still be on its way
	// from WeCom into storage when the message is queued.
	Photo uint `json:"photo,omitempty"`

	// ResponseCode identifies the card to change (card_update only).
	ResponseCode string `json:"response_code,omitempty"`

	// Topic is what kind of notice this is (config.WeChatMessageKinds:
	// assignment, reminder, send_back, closed, tip_outcome; "" for any
	// other), and Values the parts of it a WeChat template may show
	// (number, hazard, unit, deadline, state, photos): the channels that
	// have templates pick theirs by Topic and fill its fields from Values
	// (config wechat.templates). WeCom ignores both.
	Topic  string            `json:"topic,omitempty"`
	Values map[string]string `json:"values,omitempty"`
}

// The topics of notices a WeChat follower may get by template message.
const (
	TopicAssignment = "assignment"
	TopicReminder   = "reminder"
	TopicSendBack   = "send_back"
	TopicClosed     = "closed"
	TopicTipOutcome = "tip_outcome"
)

// Card is a button_interaction template card, or the new look of one.
type Card struct {
	TaskID      string     `json:"task_id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Fields      []CardPair `json:"fields,omitempty"`
	Buttons     []Button   `json:"buttons,omitempty"`
	// Done, for an update, replaces the buttons with one greyed-out text,
	// e.g. "已通过（李四）".
	Done string `json:"done,omitempty"`
	// URL, when set, opens from a tap on the card and from a link line
	// titled LinkTitle (default 查看详情): the hazard's H5 page.
	URL       string `json:"url,omitempty"`
	LinkTitle string `json:"link_title,omitempty"`
}

// CardPair is one "key: value" line of a card.
type CardPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Button is a card button; Key comes back as the EventKey of the click.
type Button struct {
	Text  string `json:"text"`
	Key   string `json:"key"`
	Style int    `json:"style,omitempty"` // 1 blue, 2 grey, 3 red, 4 black
}

// Sender delivers outgoing messages. bot/wecom implements it.
// An error that is not worth retrying (an invalid user, a malformed message)
// implements interface{ Permanent() bool } returning true.
type Sender interface {
	Send(ctx context.Context, m Outgoing) error
}

// IsPermanent reports whether err says a send can never succeed.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

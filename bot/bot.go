package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"hazardbot/bot/command"
	"hazardbot/config"
	"hazardbot/models"
)

// Bot answers users and applies what they ask to the ledger.
type Bot struct {
	store   *models.Store
	cfg     *config.Config
	log     *slog.Logger
	replies *replyCache
	files   Files // where ledgers asked for in chat are kept
}

// Option configures a Bot.
type Option func(*Bot)

// WithFiles keeps the files the bot generates (ledgers asked for in chat)
// in files, where the sender reads them; without it 台账 cannot be sent.
func WithFiles(files Files) Option { return func(b *Bot) { b.files = files } }

// New returns a bot over store. cfg supplies the time zone, the dialogue
// idle timeout and the names of the supervision colours.
func New(store *models.Store, cfg *config.Config, log *slog.Logger, opts ...Option) *Bot {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{store: store, cfg: cfg, log: log, replies: newReplyCache(8192)}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Store returns the ledger the bot works on.
func (b *Bot) Store() *models.Store { return b.store }

func (b *Bot) now() time.Time      { return b.store.Now() }
func (b *Bot) loc() *time.Location { return b.store.Loc }
func (b *Bot) today() models.Date  { return models.DateOf(b.now(), b.loc()) }
func (b *Bot) idle() time.Duration {
	if b.cfg == nil || b.cfg.Dialogue.Idle <= 0 {
		return 30 * time.Minute
	}
	return b.cfg.Dialogue.Idle
}
func (b *Bot) maxPhotos() int {
	if b.cfg == nil || b.cfg.Dialogue.MaxPhotos <= 0 {
		return config.Default().Dialogue.MaxPhotos
	}
	return b.cfg.Dialogue.MaxPhotos
}
func (b *Bot) perSender() int {
	if b.cfg == nil || b.cfg.Dialogue.PerSenderPerMinute <= 0 {
		return config.Default().Dialogue.PerSenderPerMinute
	}
	return b.cfg.Dialogue.PerSenderPerMinute
}

// admit applies the per-sender inbound limit: it counts the message in the
// sender's minute (in the database, so every replica counts together), once
// per dedupe key (a WeCom retry on another replica is not a new message and
// is admitted or refused as its first delivery was), and says whether to
// handle it. The first message over the limit is answered
// with msgTooFast; the rest of that minute get no answer and do nothing.
// Periodic location reports are not messages and are not counted.
func (b *Bot) admit(ctx context.Context, key string, msg Message) (Reply, bool, error) {
	if !counted(msg) {
		return Reply{}, true, nil
	}
	n, err := b.store.CountInbound(ctx, key, msg.UserID, b.now())
	if err != nil {
		return Reply{}, false, err
	}
	r, ok := b.limit(n, msg)
	return r, ok, nil
}

// limit says whether the sender's n-th message of the minute is handled,
// and what a refused one is answered.
func (b *Bot) limit(n int, msg Message) (Reply, bool) {
	switch limit := b.perSender(); {
	case n <= limit:
		return Reply{}, true
	case n == limit+1:
		b.log.Warn("sender over the inbound limit", "user", msg.UserID, "limit", limit)
		return Reply{Text: msgTooFast}, false
	}
	return Reply{}, false
}

// counted says whether a message counts against the per-sender limit:
// periodic location reports are not messages.
func counted(msg Message) bool { return !(msg.Kind == KindEvent && msg.Event == EventLocation) }

// grouped handles a message that may write in a transaction it shares with
// other messages (models.InGroup: one statement for the group where each
// message would run several). ok is false for a read-only command (the
// caller answers those in one statement) and for a message the group
// could not take — a step refused with a domain error, say: the caller
// then runs it alone, which ends as the group would have, its count found
// by its key.
func (b *Bot) grouped(key string, msg Message) (Reply, bool) {
	if !b.store.Grouped() {
		return Reply{}, false
	}
	if _, _, ok := b.readOnlyCommand(msg); ok {
		return Reply{}, false
	}
	var reply Reply
	res := b.store.InGroup(models.GroupJob{
		UserID: msg.UserID, Key: key, Count: counted(msg), Now: b.now(),
		Admit: func(n int) bool { return n <= b.perSender() },
		Fn: func(tx *models.Tx) error {
			c, err := b.begin(tx, key, msg)
			if err != nil {
				return err
			}
			if err := c.run(); err != nil {
				return err // refused: alone, the draft is saved in a second transaction
			}
			reply = c.reply
			return c.finish(key, &reply)
		},
	})
	if res.Solo {
		return Reply{}, false
	}
	if !res.Admitted {
		r, _ := b.limit(res.N, msg)
		return r, true
	}
	reply.Text = res.Renumber(reply.Text)
	reply.ButtonText = res.Renumber(reply.ButtonText)
	return reply, true
}

// Handle answers one inbound message in one transaction — shared with the
// messages that arrive at the same moment (grouped; a read-only command in
// one statement of its own): it loads the sender and their dialogue, runs the command or dialogue step, writes
// hazards, events and outbox rows, and records the message's dedupe key
// with the reply last (a repeat delivery finds the key taken, rolls back
// everything it did and gets the stored reply). A domain error (bad input, no permission) undoes the step and
// becomes a Chinese reply, while the dialogue (the draft) is still saved.
// Any other error rolls back everything and is returned; the caller logs it
// once and shows models.InternalMessage.
func (b *Bot) Handle(ctx context.Context, msg Message) (Reply, error) {
	if msg.UserID == "" {
		return Reply{}, nil
	}
	key := msg.ID
	if key == "" {
		key = fmt.Sprintf("%s|%d|%s|%s", msg.UserID, msg.Time.Unix(), msg.Kind, msg.Text)
	}
	// WeCom's retries usually reach the replica that is still handling the
	// first delivery or has just answered it: answer those from memory. The
	// database stays the source of truth for every other replica.
	if r, ok := b.replies.get(key); ok {
		return r, nil
	}
	if r, ok := b.grouped(key, msg); ok {
		b.replies.put(key, r)
		return r, nil
	}
	if r, ok, err := b.admit(ctx, key, msg); err != nil || !ok {
		if err != nil {
			return Reply{}, fmt.Errorf("bot: handle %s from %s: %w", msg.Kind, msg.UserID, err)
		}
		b.replies.put(key, r) // a retry of this message gets the same answer
		return r, nil
	}
	if r, ok, err := b.readOnly(ctx, key, msg); err != nil || ok {
		if err != nil {
			return Reply{}, fmt.Errorf("bot: handle %s from %s: %w", msg.Kind, msg.UserID, err)
		}
		b.replies.put(key, r)
		return r, nil
	}
	var reply Reply
	var stepErr *models.Error
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		c, err := b.begin(tx, key, msg)
		if err != nil {
			return err
		}
		// A report takes its number last, just before COMMIT: the year's
		// counter is every report's queue (finish settles it).
		tx.DeferNumbers()
		if err := c.run(); err != nil {
			if !errors.As(err, &stepErr) {
				return err
			}
			// Undo everything the step wrote; the draft is saved below in
			// a transaction of its own.
			reply.ButtonText = c.reply.ButtonText
			reply.Text = stepErr.Message + c.errorHint
			return &redo{dlg: c.dlg, drop: c.dropDlg}
		}
		reply = c.reply
		return c.finish(key, &reply)
	})
	var rd *redo
	if errors.As(err, &rd) {
		err = b.store.InTx(ctx, func(tx *models.Tx) error {
			c, err := b.begin(tx, key, msg)
			if err != nil {
				return err
			}
			c.dlg, c.dropDlg = rd.dlg, rd.drop
			return c.finish(key, &reply)
		})
	}
	// Another delivery of the message committed first: everything this
	// one did is rolled back, and it answers as that one did.
	var dup *duplicate
	if errors.As(err, &dup) {
		reply, err = decodeReply(dup.stored)
	}
	if err != nil {
		return Reply{}, fmt.Errorf("bot: handle %s from %s: %w", msg.Kind, msg.UserID, err)
	}
	b.replies.put(key, reply)
	return reply, nil
}

// readOnly answers, without a transaction, a message that can only read:
// an explicit 查询, 我的, 统计 or 帮助, or a bare number from someone with no
// dialogue waiting for an answer. The reply and the dedupe record are
// written in one statement. ok is false when the message needs the full
// path.
func (b *Bot) readOnly(ctx context.Context, key string, msg Message) (Reply, bool, error) {
	cmd, perr, ok := b.readOnlyCommand(msg)
	if !ok {
		return Reply{}, false, nil
	}
	tx := b.store.Reads(ctx)
	actor, err := tx.Actor(msg.UserID)
	if err != nil {
		return Reply{}, false, err
	}
	c := &turn{b: b, tx: tx, actor: actor, msg: msg}
	if err := c.loadDialogue(); err != nil {
		return Reply{}, false, err
	}
	if c.dlg != nil && c.dlg.active() && (cmd.Implicit || perr != nil) {
		return Reply{}, false, nil // the dialogue may take this text as an answer
	}
	err = c.runText(cmd, perr)
	var me *models.Error
	switch {
	case errors.As(err, &me):
		c.reply.Text = me.Message
	case err != nil:
		return Reply{}, false, err
	}
	reply := c.reply
	if reply.Text, err = c.fit(reply.Text); err != nil {
		return Reply{}, false, err
	}
	enc, _ := json.Marshal(reply)
	stored, dup, err := tx.RecordInbound(key, msg.UserID, string(enc))
	if err != nil {
		return Reply{}, false, err
	}
	if dup {
		if reply, err = decodeReply(stored); err != nil {
			return Reply{}, false, err
		}
	}
	return reply, true, nil
}

// readOnlyCommand parses a text that may only read: an explicit 查询, 我的,
// 统计, 帮助, 排名 or a greeting (perr is the parser's error).
func (b *Bot) readOnlyCommand(msg Message) (cmd command.Command, perr error, ok bool) {
	if msg.Kind != KindText || models.IsWeChatUser(msg.UserID) {
		// WeChat followers are answered by their own rules (bot/wechat.go).
		return cmd, nil, false
	}
	cmd, perr = command.Parse(msg.Text, b.now(), b.loc())
	switch cmd.Name {
	case command.Query, command.Mine, command.Stats, command.Help, command.Greet, command.Ranking:
		return cmd, perr, true
	}
	return cmd, perr, false
}

// redo carries what must survive a step that failed with a domain error.
type redo struct {
	dlg  *dialogue
	drop bool
}

func (*redo) Error() string { return "bot: step refused; saving the dialogue alone" }

// duplicate is returned by finish when another delivery of the same
// message was recorded first (its reply is stored): the transaction rolls
// back and the stored reply is given instead.
type duplicate struct{ stored string }

func (*duplicate) Error() string { return "bot: message already handled by another delivery" }

// begin loads the sender and their dialogue. The message's dedupe key is
// claimed by finish, with the reply, in the same transaction: a repeat
// delivery does the step again but cannot commit it (see duplicate).
func (b *Bot) begin(tx *models.Tx, key string, msg Message) (*turn, error) {
	actor, err := tx.Actor(msg.UserID)
	if err != nil {
		return nil, err
	}
	c := &turn{b: b, tx: tx, actor: actor, msg: msg, key: key}
	if err := c.loadDialogue(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeReply reads a reply stored by an earlier delivery ("" before it
// finished: nothing to say).
func decodeReply(stored string) (Reply, error) {
	var r Reply
	if stored == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(stored), &r); err != nil {
		return Reply{}, fmt.Errorf("bot: stored reply: %w", err)
	}
	return r, nil
}

// finish saves the dialogue, numbers a hazard the message created (the
// reply names it by placeholder until then) and stores the reply given to
// key.
func (c *turn) finish(key string, reply *Reply) error {
	if err := c.saveDialogue(); err != nil {
		return err
	}
	// WeChat lets the account answer a follower by customer-service
	// message for 48 hours after they last wrote, refused steps included.
	if err := c.tx.TouchWeChat(c.msg.UserID, c.msg.Time); err != nil {
		return err
	}
	numbered, err := c.tx.Settle()
	if err != nil {
		return err
	}
	reply.ButtonText = numbered(reply.ButtonText)
	text, err := c.fit(numbered(reply.Text))
	if err != nil {
		return err
	}
	reply.Text = text
	enc, _ := json.Marshal(reply)
	// One statement records the message as handled and its reply. A
	// concurrent delivery of the same message waits here on the key until
	// the first commits (MySQL; SQLite runs them one after the other) and
	// then finds it taken.
	stored, dup, err := c.tx.RecordInbound(key, c.msg.UserID, string(enc))
	if err != nil {
		return err
	}
	if dup {
		return &duplicate{stored: stored}
	}
	return nil
}

// turn is the work of one inbound message.
type turn struct {
	b     *Bot
	tx    *models.Tx
	actor *models.Actor
	msg   Message
	key   string // the message's dedupe key, which keys what it queues
	reply Reply

	dlg     *dialogue // nil when the user is in no dialogue
	dlgRow  *models.Dialogue
	dropDlg bool
	// note goes before the next question: what an answer did besides
	// answering it ("15天" to the unit question set the deadline).
	note string
	// errorHint follows a domain error's message, e.g. the question the
	// dialogue is waiting for, so the user knows what to send next.
	errorHint string
}

func (c *turn) say(format string, args ...any) {
	c.reply.Text = fmt.Sprintf(format, args...)
}

func (c *turn) run() error {
	if models.IsWeChatUser(c.msg.UserID) {
		return c.wechat()
	}
	switch c.msg.Kind {
	case KindText:
		return c.text()
	case KindImage:
		return c.photo()
	case KindLocation:
		return c.location()
	case KindEvent:
		return c.event()
	case KindVoice, KindVideo:
		c.say(msgNoVoice)
		return nil
	case KindLink:
		c.say(msgUnknown)
		return nil
	}
	return nil
}

func (c *turn) event() error {
	switch c.msg.Event {
	case EventSubscribe, EventEnterAgent:
		if c.msg.Event == EventEnterAgent && c.dlg != nil {
			return nil // do not interrupt a dialogue with a greeting
		}
		c.say("%s", welcome(c.actor))
	case EventTemplateCard:
		return c.cardClick()
	case EventClick:
		return c.menuClick()
	case EventLocation:
		// Periodic location reports are not messages to answer.
	}
	return nil
}

// menuClick treats an app-menu key as the command word it names.
func (c *turn) menuClick() error {
	if c.msg.EventKey == "" {
		return nil
	}
	c.msg.Text = c.msg.EventKey
	return c.text()
}

func (c *turn) text() error {
	if ok, err := c.channelCommand(); ok {
		return err
	}
	cmd, err := command.Parse(c.msg.Text, c.b.now(), c.b.loc())
	return c.runText(cmd, err)
}

// runText runs a parsed text message (err is the parser's).
func (c *turn) runText(cmd command.Command, err error) error {
	// A dialogue waiting for an answer takes plain text, and text that only
	// looks like a command by accident (a bare number answering a question).
	if c.dlg != nil && c.dlg.active() && (cmd.Name == command.None || cmd.Implicit || cmd.Name == command.Skip) {
		return c.answer(cmd)
	}
	if err != nil {
		c.errorHint = ""
		return err
	}
	switch cmd.Name {
	case command.None:
		if c.dlg != nil && c.dlg.Status == models.DialogueKept {
			if ok, err := c.pasteIntoKept(); ok {
				return err
			}
			c.say(msgDraftKept, c.dlg.Draft.brief())
			return nil
		}
		c.say(msgUnknown)
		return nil
	case command.Help:
		c.say("%s", helpText(c.actor))
	case command.Report:
		return c.startReport(cmd)
	case command.Confirm, command.Edit, command.Skip:
		if c.dlg != nil && c.dlg.Status == models.DialogueKept && cmd.Name == command.Confirm && c.dlg.PendingAsk != "" {
			// A date question left idle: ask it again rather than take a
			// 是 that may answer something else.
			return c.resume()
		}
		if c.dlg == nil || !c.dlg.active() {
			c.say(msgNoDraft)
			return nil
		}
		return c.answer(cmd)
	case command.Cancel:
		return c.cancel()
	case command.Resume:
		return c.resume()
	case command.Query:
		if cmd.Text != "" {
			return c.search(cmd.Text)
		}
		return c.query(cmd.Number)
	case command.Greet:
		c.say("%s", greeting(c.actor))
		if c.dlg != nil && c.dlg.Flow == flowReport {
			c.reply.Text += "\n" + fmt.Sprintf(msgDraftKept, c.dlg.Draft.brief())
		}
	case command.More:
		return c.more()
	case command.Photos:
		return c.sendPhotos(cmd.Number)
	case command.Ledger:
		return c.ledger(cmd)
	case command.CampaignReport:
		return c.campaignReport(cmd.Text)
	case command.CampaignStatus:
		return c.campaignStatus(cmd.Text)
	case command.Ranking:
		return c.ranking(cmd)
	case command.Mine:
		return c.mine()
	case command.Stats:
		return c.stats(cmd)
	case command.Assign, command.Accept, command.Rectify, command.Review, command.List,
		command.Extend, command.ApproveExtension, command.Withdraw:
		return c.roleCommand(cmd)
	}
	return nil
}

package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"hazardbot/bot/command"
	"hazardbot/config"
	"hazardbot/models"
)

// Bot answers users and applies what they ask to the ledger.
type Bot struct {
	store *models.Store
	cfg   *config.Config
	log   *slog.Logger
}

// New returns a bot over store. cfg supplies the time zone, the dialogue
// idle timeout and the names of the supervision colours.
func New(store *models.Store, cfg *config.Config, log *slog.Logger) *Bot {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bot{store: store, cfg: cfg, log: log}
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

// Handle answers one inbound message in one transaction: it claims the
// message's dedupe key (a repeat delivery gets the stored reply and changes
// nothing), loads the sender and their dialogue, runs the command or
// dialogue step, writes hazards, events and outbox rows, and stores the
// reply. A domain error (bad input, no permission) becomes a Chinese reply
// and rolls back only the step, never the draft. Any other error rolls back
// everything and is returned; the caller logs it once and shows
// models.InternalMessage.
func (b *Bot) Handle(ctx context.Context, msg Message) (Reply, error) {
	if msg.UserID == "" {
		return Reply{}, nil
	}
	var reply Reply
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		reply = Reply{}
		key := msg.ID
		if key == "" {
			key = fmt.Sprintf("%s|%d|%s|%s", msg.UserID, msg.Time.Unix(), msg.Kind, msg.Text)
		}
		stored, dup, err := tx.BeginInbound(key, msg.UserID)
		if err != nil {
			return err
		}
		if dup {
			if stored != "" {
				if err := json.Unmarshal([]byte(stored), &reply); err != nil {
					return fmt.Errorf("bot: stored reply: %w", err)
				}
			}
			return nil
		}
		actor, err := tx.Actor(msg.UserID)
		if err != nil {
			return err
		}
		c := &turn{b: b, tx: tx, actor: actor, msg: msg}
		if err := c.loadDialogue(); err != nil {
			return err
		}
		// The step runs in a savepoint: a domain error undoes what the step
		// wrote and becomes the reply, while the dialogue (the draft) and
		// the dedupe record are still saved below.
		stepErr := tx.DB.Transaction(func(inner *gorm.DB) error {
			outer := tx.DB
			tx.DB = inner
			defer func() { tx.DB = outer }()
			return c.run()
		})
		if stepErr != nil {
			var me *models.Error
			if !errors.As(stepErr, &me) {
				return stepErr
			}
			c.reply.Text = me.Message + c.errorHint
		}
		if err := c.saveDialogue(); err != nil {
			return err
		}
		reply = c.reply
		reply.Text = fitText(reply.Text)
		enc, _ := json.Marshal(reply)
		return tx.FinishInbound(key, string(enc))
	})
	if err != nil {
		return Reply{}, fmt.Errorf("bot: handle %s from %s: %w", msg.Kind, msg.UserID, err)
	}
	return reply, nil
}

// turn is the work of one inbound message.
type turn struct {
	b     *Bot
	tx    *models.Tx
	actor *models.Actor
	msg   Message
	reply Reply

	dlg     *dialogue // nil when the user is in no dialogue
	dlgRow  *models.Dialogue
	dropDlg bool
	// errorHint follows a domain error's message, e.g. the question the
	// dialogue is waiting for, so the user knows what to send next.
	errorHint string
}

func (c *turn) say(format string, args ...any) {
	c.reply.Text = fmt.Sprintf(format, args...)
}

func (c *turn) run() error {
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
	cmd, err := command.Parse(c.msg.Text, c.b.now(), c.b.loc())
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
		return c.query(cmd.Number)
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

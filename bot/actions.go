package bot

import (
	"context"
	"fmt"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/models"
)

// viaKey is the context key of WithVia.
type viaKey struct{}

// WithVia marks ctx as carrying actions that arrive through via rather
// than from the person's own chat: the admin API passes APIVia(token name).
// CreateHazard and Transition record it on every event they write.
func WithVia(ctx context.Context, via string) context.Context {
	return context.WithValue(ctx, viaKey{}, via)
}

// APIVia is how an event names the admin API used with the named token.
func APIVia(tokenName string) string { return "经管理接口（" + tokenName + "）" }

// actorFor resolves userid as the actor of an action arriving through ctx.
func actorFor(ctx context.Context, tx *models.Tx, userid string) (*models.Actor, error) {
	a, err := tx.Actor(userid)
	if err != nil {
		return nil, err
	}
	a.Via, _ = ctx.Value(viaKey{}).(string)
	return a, nil
}

// CreateHazard files a report on behalf of userid, duplicate or not (chat
// goes through the dialogue, the admin API through ReportHazard), and tells
// the people concerned.
func (b *Bot) CreateHazard(ctx context.Context, userid string, in models.HazardInput) (*models.Hazard, string, error) {
	return b.ReportHazard(ctx, userid, in, true)
}

// ReportHazard is CreateHazard with chat's duplicate rule (the admin API's
// create): unless force, a report that may repeat an open hazard is refused
// with a *DuplicateError naming it, and nothing is written.
//
// notice, when not empty, tells the reporter (in Chinese) that the unit
// they named lies outside their scope and who was asked to assign it
// instead (reportNotice), as chat tells them.
func (b *Bot) ReportHazard(ctx context.Context, userid string, in models.HazardInput, force bool) (h *models.Hazard, notice string, err error) {
	err = b.store.InTx(ctx, func(tx *models.Tx) error {
		a, err := actorFor(ctx, tx, userid)
		if err != nil {
			return err
		}
		if !force {
			dup, err := duplicateOf(tx, in)
			if err != nil {
				return err
			}
			if dup != nil {
				return &DuplicateError{Number: dup.Number, Title: dup.Title}
			}
		}
		if h, _, err = b.createHazard(tx, a, in); err != nil {
			return err
		}
		notice, err = reportNotice(tx, a, h)
		return err
	})
	return h, notice, err
}

// reportNotice says, for a directory member's report whose named unit lay
// outside their scope, which supervisors will assign it instead: those who
// answer for it (models.WhoAnswers), named by their unit. It is "" for any
// other report (a stranger is told by the report's own wording).
func reportNotice(tx *models.Tx, a *models.Actor, h *models.Hazard) (string, error) {
	if h.NamedUnit == "" || !a.Known() {
		return "", nil
	}
	who, err := models.WhoAnswers(tx, h)
	if err != nil {
		return "", err
	}
	units, err := tx.UnitsByID(who.SupervisorUnits...)
	if err != nil {
		return "", err
	}
	var names []string
	for _, id := range who.SupervisorUnits {
		if u := units[id]; u != nil {
			names = append(names, u.ShortName())
		}
	}
	if len(names) == 0 {
		names = []string{"县市区"}
	}
	return fmt.Sprintf(msgOutOfScope, h.NamedUnit, strings.Join(names, "、")), nil
}

func (b *Bot) createHazard(tx *models.Tx, a *models.Actor, in models.HazardInput) (*models.Hazard, int64, error) {
	h, ev, err := tx.CreateHazard(a, in)
	if err != nil {
		return nil, 0, err
	}
	photos, err := tx.AdoptDraftPhotos(a.UserID, h, ev, models.PhaseBefore)
	if err != nil {
		return nil, 0, err
	}
	if err := b.notify(tx, a, &models.Result{Hazard: h, Event: ev}); err != nil {
		return nil, 0, err
	}
	return h, photos, nil
}

// Transition applies action to hazard n on behalf of userid and tells the
// people concerned, in one transaction. Chat commands, card buttons and the
// admin API all come through here.
func (b *Bot) Transition(ctx context.Context, userid string, n models.Number, action models.Action, c models.Change) (*models.Result, error) {
	var r *models.Result
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		a, err := actorFor(ctx, tx, userid)
		if err != nil {
			return err
		}
		r, err = b.transition(tx, a, n, action, c)
		return err
	})
	return r, err
}

func (b *Bot) transition(tx *models.Tx, a *models.Actor, n models.Number, action models.Action, c models.Change) (*models.Result, error) {
	r, err := tx.Transition(a, n, action, c)
	if err != nil {
		return nil, err
	}
	return r, b.notify(tx, a, r)
}

// roleCommand runs one of the commands that change a hazard.
func (c *turn) roleCommand(cmd command.Command) error { return c.roleCommandAt(cmd, models.Date{}) }

// roleCommandAt runs cmd with its deadline fixed to deadline when that is
// not zero (the answer to a date question).
func (c *turn) roleCommandAt(cmd command.Command, deadline models.Date) error {
	if !c.actor.Known() {
		return models.Errorf(models.EForbidden, "%s", msgNeedDirectory)
	}
	var action models.Action
	change := models.Change{Note: cmd.Text}
	switch cmd.Name {
	case command.Assign:
		action = models.ActAssign
		words := strings.Join(cmd.Units, " ")
		if words == "" {
			return models.Errorf(models.EInvalid, "请写明责任单位，%s", command.Usage(command.Assign))
		}
		d, ok, err := c.commandDeadline(cmd, deadline)
		if err != nil || !ok {
			return err
		}
		// The unit is matched (or created unverified under the hazard's
		// county) by the transition, after the permission checks.
		change.UnitName, change.Deadline, change.Note = words, d, cmd.Text
	case command.Accept:
		action = models.ActAccept
	case command.Rectify:
		action, change.Photos = models.ActSubmit, true
	case command.Review:
		action = models.ActReject
		if cmd.Pass {
			action = models.ActPass
		}
	case command.List:
		action, change.Colour, change.Note = models.ActList, cmd.Colour, ""
	case command.Extend:
		d, ok, err := c.commandDeadline(cmd, deadline)
		if err != nil || !ok {
			return err
		}
		action, change.Deadline = models.ActRequestExtend, d
	case command.ApproveExtension:
		action = models.ActApproveExtend
	case command.Withdraw:
		action = models.ActWithdraw
	}
	r, err := c.b.transition(c.tx, c.actor, cmd.Number, action, change)
	if err != nil {
		return err
	}
	c.say("%s", c.b.doneText(r))
	return nil
}

// doneText confirms a change to whoever made it.
func (b *Bot) doneText(r *models.Result) string {
	h := r.Hazard
	switch r.Event.Action {
	case models.ActAssign:
		switch u := r.Unit; {
		case u == nil:
			return fmt.Sprintf("已交办 %s，整改时限%s，已通知责任单位。", h.Number, h.Deadline.Chinese())
		case u.Unverified:
			return fmt.Sprintf(msgAssignedNewUnit, h.Number, h.Deadline.Chinese(), u.Name)
		default:
			return fmt.Sprintf("已交办 %s，整改时限%s，已通知责任单位%s。", h.Number, h.Deadline.Chinese(), u.Name)
		}
	case models.ActAccept:
		return fmt.Sprintf("已接收 %s，整改时限%s。整改完成后先发照片，再发：整改 %d 做了什么", h.Number, h.Deadline.Chinese(), h.Seq)
	case models.ActSubmit:
		s := fmt.Sprintf("已提交 %s 的整改，等待复查", h.Number)
		if r.Photos > 0 {
			return s + fmt.Sprintf("（附照片%d张）。", r.Photos)
		}
		return s + "。没有附照片：10分钟内发来的整改后照片会补充到这次整改。"
	case models.ActPass:
		return fmt.Sprintf("%s 复查通过，已销号。", h.Number)
	case models.ActReject:
		return fmt.Sprintf("已退回 %s，已通知责任单位重新整改。", h.Number)
	case models.ActList:
		return fmt.Sprintf("%s 已挂牌（%s，%s）。", h.Number, b.colourText(h.Colour), models.LevelName(h.Level))
	case models.ActRequestExtend:
		return fmt.Sprintf("已申请将 %s 延期至%s，等待督办员批准。", h.Number, h.ExtensionTo.Chinese())
	case models.ActApproveExtend:
		return fmt.Sprintf("已同意延期，%s 整改时限改为%s。", h.Number, h.Deadline.Chinese())
	case models.ActWithdraw:
		return fmt.Sprintf("已撤销 %s。", h.Number)
	case models.ActDismiss:
		outcome, _, _ := models.ParseDismissNote(r.Event.Note)
		return fmt.Sprintf("已核实办结 %s（%s），已告知举报人结果。", h.Number, outcome)
	}
	return "已完成。"
}

// Card button keys: "<action>:<number>".
const (
	keyAccept  = "accept"
	keyPass    = "pass"
	keyReject  = "reject"
	keyApprove = "approve_extend"
)

func buttonKey(action string, h *models.Hazard) string { return action + ":" + h.Number }

// cardClick does what the clicked button says, exactly as the typed command
// would, and replaces the clicker's buttons with the outcome.
func (c *turn) cardClick() error {
	action, num, ok := strings.Cut(c.msg.EventKey, ":")
	if !ok {
		return nil
	}
	n, err := models.ParseNumber(num, c.b.today().Year)
	if err != nil {
		return err
	}
	var act models.Action
	switch action {
	case keyAccept:
		act = models.ActAccept
	case keyPass:
		act = models.ActPass
	case keyApprove:
		act = models.ActApproveExtend
	case keyReject:
		// A send-back needs a reason: ask for it and wait.
		h, err := c.tx.FindHazardByNumber(n)
		if err != nil {
			return err
		}
		scoped, responsible, err := c.tx.InScope(c.actor, h)
		if err != nil {
			return err
		}
		if err := models.Permit(c.actor, models.ActReject, scoped, responsible); err != nil {
			return err
		}
		if _, err := models.Next(h.State, models.ActReject); err != nil {
			c.reply.ButtonText = "已处理：" + models.StateName(h.State)
			return err
		}
		next := &dialogue{Flow: flowReject, Status: models.DialogueActive, Number: h.Number, Since: c.b.now().UTC()}
		if c.dlg != nil && c.dlg.Flow == flowReport {
			// The report draft waits inside the new dialogue and comes
			// back when the send-back is done.
			c.dlg.Status = models.DialogueKept
			next.Saved = c.dlg
		}
		c.dlg = next
		c.say(msgAskRejectReason, h.Number)
		return nil
	default:
		return nil
	}
	r, err := c.b.transition(c.tx, c.actor, n, act, models.Change{})
	if err != nil {
		// Someone else got there first: show where it stands now.
		if models.ErrorCode(err) == models.EConflict {
			if h, ferr := c.tx.FindHazardByNumber(n); ferr == nil {
				c.reply.ButtonText = "已处理：" + models.StateName(h.State)
			}
		}
		return err
	}
	c.reply.ButtonText = fmt.Sprintf("%s（%s）", buttonDone(act), c.actor.Display())
	if err := c.b.updateCards(c.tx, c.actor, r, c.msg.ResponseCode); err != nil {
		return err
	}
	c.say("%s", c.b.doneText(r))
	return nil
}

func buttonDone(a models.Action) string {
	switch a {
	case models.ActAccept:
		return "已接收"
	case models.ActPass:
		return "已通过"
	case models.ActReject:
		return "已退回"
	case models.ActApproveExtend:
		return "已同意延期"
	}
	return "已处理"
}

// rejectReason takes the reason for a send-back clicked on a card.
func (c *turn) rejectReason() error {
	reason := strings.TrimSpace(c.msg.Text)
	n, err := models.ParseNumber(c.dlg.Number, c.b.today().Year)
	if err != nil {
		c.dropDlg = true
		return err
	}
	r, err := c.b.transition(c.tx, c.actor, n, models.ActReject, models.Change{Note: reason})
	if err != nil {
		if models.ErrorCode(err) != models.EInvalid {
			c.endReject() // the hazard moved on; the question is moot
		}
		return err
	}
	c.say("%s%s", c.b.doneText(r), c.endReject())
	return nil
}

// endReject closes a send-back dialogue, bringing back a report draft it
// held, and returns a note about that draft.
func (c *turn) endReject() string {
	if saved := c.dlg.Saved; saved != nil {
		c.dlg = saved
		return "\n" + fmt.Sprintf(msgDraftKept, saved.Draft.brief())
	}
	c.dropDlg = true
	return ""
}

package bot

import (
	"errors"
	"fmt"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/calendar"
	"hazardbot/models"
)

// flowDate waits for the answer to "3月15日已经过去，是指明年3月15日吗？"
// asked about the deadline of a 交办 or 延期.
const flowDate = "date"

// msgDateAgain asks once more when the answer to a date question was
// neither 是 nor a date.
const msgDateAgain = "请回复“是”，或重新输入日期（例如：4月15日、10个工作日）；发送“取消”放弃。"

// cal is the working-day calendar: the official notices plus calendar.file.
func (b *Bot) cal() *calendar.Calendar {
	if b.cfg == nil {
		return calendar.Official()
	}
	return b.cfg.Workdays()
}

// deadline reads a deadline as typed, counting relative forms (15天,
// 10个工作日) from base (zero: today). A past date the person probably
// meant for later comes back as a *command.PastError with Next set, for the
// caller to ask; any other problem is an invalid *models.Error.
func (b *Bot) deadline(text string, base models.Date) (models.Date, error) {
	return command.ParseDeadlineFrom(text, base, b.now(), b.loc(), b.cal())
}

// askBack reports whether err is a past date worth asking about.
func askBack(err error) (*command.PastError, bool) {
	var past *command.PastError
	if errors.As(err, &past) && !past.Next.IsZero() {
		return past, true
	}
	return nil, false
}

// commandDeadline resolves the deadline of a 交办 or 延期 typed in cmd:
// fixed when the person has already answered a date question, else read
// again from the text with the configured calendar, an extension counting
// from the hazard's current deadline. ok is false when a question was asked
// instead (the dialogue now waits for the answer).
func (c *turn) commandDeadline(cmd command.Command, fixed models.Date) (d models.Date, ok bool, err error) {
	if !fixed.IsZero() {
		return fixed, true, nil
	}
	if cmd.DateText == "" {
		return cmd.Date, true, nil
	}
	var base models.Date
	if cmd.Name == command.Extend {
		h, err := c.tx.FindHazardByNumber(cmd.Number)
		if err != nil {
			return models.Date{}, false, err
		}
		base = h.Deadline
	}
	d, err = c.b.deadline(cmd.DateText, base)
	if past, ask := askBack(err); ask {
		c.askDate(cmd, past)
		return models.Date{}, false, nil
	}
	if err != nil {
		return models.Date{}, false, err
	}
	return d, true, nil
}

// askDate puts a 交办 or 延期 aside until its past date is confirmed or
// typed again. A report draft in progress waits inside, as it does for a
// send-back reason.
func (c *turn) askDate(cmd command.Command, past *command.PastError) {
	next := &dialogue{Flow: flowDate, Status: models.DialogueActive, Number: cmd.Number.String(),
		Command: c.msg.Text, DateText: cmd.DateText, PendingDate: past.Next, PendingAsk: past.Question(),
		Since: c.b.now().UTC()}
	switch {
	case c.dlg != nil && c.dlg.Flow == flowDate:
		next.Saved = c.dlg.Saved
	case c.dlg != nil && c.dlg.Flow == flowReport:
		c.dlg.Status = models.DialogueKept
		next.Saved = c.dlg
	}
	c.dlg = next
	c.say("%s", past.Question())
}

// dateAnswer takes the answer to a date question about a command: 是 takes
// the suggested day, a date replaces the typed one.
func (c *turn) dateAnswer(cmd command.Command) error {
	d := c.dlg
	orig, err := command.Parse(d.Command, c.b.now(), c.b.loc())
	if err != nil || (orig.Name != command.Assign && orig.Name != command.Extend) {
		c.endDate()
		return models.Errorf(models.EInvalid, "原来的命令已无法执行，请重新发送")
	}
	fixed := d.PendingDate
	if cmd.Name != command.Confirm {
		text := strings.TrimSpace(c.msg.Text)
		var base models.Date
		if orig.Name == command.Extend {
			if h, err := c.tx.FindHazardByNumber(orig.Number); err == nil {
				base = h.Deadline
			}
		}
		day, err := c.b.deadline(text, base)
		if past, ask := askBack(err); ask {
			d.PendingDate, d.PendingAsk, d.DateText = past.Next, past.Question(), text
			c.say("%s", past.Question())
			return nil
		}
		if err != nil {
			if models.ErrorCode(err) == models.EInvalid && !strings.Contains(models.ErrorMessage(err), "已经过去") {
				c.say("%s", msgDateAgain)
				return nil
			}
			c.errorHint = "\n" + msgDateAgain
			return err
		}
		fixed = day
	}
	if err := c.roleCommandAt(orig, fixed); err != nil {
		if models.ErrorCode(err) != models.EInvalid {
			c.endDate() // the hazard moved on or the person may not: the question is moot
		}
		return err
	}
	c.reply.Text += c.endDate()
	return nil
}

// endDate closes a date question, bringing back a report draft it held,
// and returns a note about that draft.
func (c *turn) endDate() string {
	if saved := c.dlg.Saved; saved != nil {
		c.dlg = saved
		return "\n" + fmt.Sprintf(msgDraftKept, saved.Draft.brief())
	}
	c.dropDlg = true
	return ""
}

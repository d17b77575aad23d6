package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// NoRecipientLeft is why a queued message was marked failed instead of
// sent: everyone it was for has been deactivated or no longer holds the
// role it was addressed to, and nobody holds it now.
const NoRecipientLeft = "收件人均已停用或不再担任该职责，且无人接替，未发送"

// QueuedNotices says what a directory change did to the messages waiting
// in the outbox for the people it changed.
type QueuedNotices struct {
	// Rerouted messages go to someone else now: whoever holds the role
	// they were addressed to, or the rest of their recipients.
	Rerouted int `json:"rerouted"`
	// Dropped messages had nobody left and were marked failed
	// (NoRecipientLeft).
	Dropped int    `json:"dropped"`
	Message string `json:"message"`
}

func (q *QueuedNotices) add(o QueuedNotices) {
	q.Rerouted += o.Rerouted
	q.Dropped += o.Dropped
}

// say fills the message shown with the change that caused it.
func (q *QueuedNotices) say() {
	q.Message = fmt.Sprintf("待发送的通知：%d 条已改发给现任人员或其余收件人，%d 条因无人接收标记为失败", q.Rerouted, q.Dropped)
}

// Tags of event notices: the last part of an event notice's outbox key
// (EventNoticeKey), naming whom it is for. The bot addresses notices by
// them; readdress reads the role back from them (noticeRoles).
const (
	TagContacts    = "contacts"    // the responsible unit's contacts
	TagSupervisors = "supervisors" // the supervisors who answer for the hazard
	TagReviewers   = "reviewers"   // the same, for its review card
	TagReporter    = "reporter"    // whoever reported it
	TagGroups      = "groups"      // the unit's WeCom groups
	TagPhoto       = "photo"       // an after-photo for the reviewers
	TagPhotos      = "photos"      // the reviewers' line counting them
	TagLate        = "late"        // the reviewers' note of a late photo
	TagTip         = "tip"         // a public tip for the county's supervisors
	TagTipster     = "tipster"     // the outcome for the tip's sender
)

// EventNoticeKey is the outbox key of event's notice for tag (a channel's
// own row adds "|" and its recipient, a photo "|" and its id).
func EventNoticeKey(event uint, tag string) string { return fmt.Sprintf("ev|%d|%s", event, tag) }

// noticeRoles are the roles the event notice tags are addressed to: the
// responsible unit's contacts, or the supervisors who review the hazard
// (its review card, the evidence that follows it, its notices to
// supervisors). A tag not here is re-addressed by its recipients alone.
var noticeRoles = map[string]Role{
	TagContacts: RoleContact, TagReviewers: RoleSupervisor, TagSupervisors: RoleSupervisor,
	TagPhoto: RoleSupervisor, TagPhotos: RoleSupervisor, TagLate: RoleSupervisor,
}

// plainUser reports whether a recipient is a WeCom member, not a WeChat
// follower or a group (whose channels end their messages themselves).
func plainUser(u string) bool { return u != "" && !IsWeChatUser(u) && !strings.Contains(u, ":") }

// readdress decides who pending message m goes to now, when some of its
// recipients (suspects: people the directory just changed, or found
// inactive at send time) may no longer be the right ones. This is the one
// rule for both. A recipient who is a deactivated user is left out; a
// userid the directory never knew (an unknown reporter) is not. For an
// event notice addressed to a role, a suspect who no longer holds that role
// for the hazard (models.WhoAnswers) is left out too, and, when anyone was
// left out, whoever holds it now is added (the review card of a supervisor
// replaced goes to the new one), but never the person who acted.
func (tx *Tx) readdress(m *OutboxMessage, suspects map[string]bool) ([]string, error) {
	old := splitRecipients(m.Recipients)
	var hit []string
	for _, u := range old {
		if suspects[u] && plainUser(u) {
			hit = append(hit, u)
		}
	}
	if len(hit) == 0 {
		return old, nil
	}
	var inactive []string
	if err := tx.DB.Model(&User{}).Where("userid IN ? AND active = ?", hit, false).Pluck("userid", &inactive).Error; err != nil {
		return nil, fmt.Errorf("models: inactive recipients: %w", err)
	}
	holders, actor, byRole, err := tx.noticeHolders(m.DedupeKey)
	if err != nil {
		return nil, err
	}
	var to []string
	for _, u := range old {
		gone := slices.Contains(inactive, u) || (byRole && slices.Contains(hit, u) && !slices.Contains(holders, u))
		if !gone {
			to = append(to, u)
		}
	}
	if len(to) < len(old) && byRole {
		for _, u := range holders {
			if plainUser(u) && u != actor && !slices.Contains(to, u) {
				to = append(to, u)
			}
		}
	}
	return to, nil
}

// noticeHolders returns, for the key of an event notice sent to WeCom
// members, the people who now hold the role it was addressed to and the
// event's actor; byRole is false for any other message (a reminder, a
// digest, a WeChat follower's or a group's row).
func (tx *Tx) noticeHolders(key string) (holders []string, actor string, byRole bool, err error) {
	p := strings.Split(key, "|")
	if len(p) < 3 || p[0] != "ev" || (len(p) > 3 && !plainUser(p[len(p)-1])) {
		// Not an event notice, or one to a WeChat follower or a group.
		return nil, "", false, nil
	}
	role, ok := noticeRoles[p[2]]
	id, perr := strconv.ParseUint(p[1], 10, 64)
	if !ok || perr != nil {
		return nil, "", false, nil
	}
	var ev Event
	if err := tx.DB.Take(&ev, uint(id)).Error; err != nil {
		return nil, "", false, nil // not an event of this ledger: by recipients only
	}
	var h Hazard
	if err := tx.DB.Take(&h, ev.HazardID).Error; err != nil {
		return nil, "", false, fmt.Errorf("models: hazard of event %d: %w", ev.ID, err)
	}
	a, err := WhoAnswers(tx, &h)
	if err != nil {
		return nil, "", false, err
	}
	if role == RoleContact {
		return a.Contacts, ev.ActorID, true, nil
	}
	return a.Supervisors, ev.ActorID, true, nil
}

func splitRecipients(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// applyReaddress records to as m's recipients, or, with nobody left, marks
// m failed (NoRecipientLeft). With a claim, only while that claim holds it;
// without, only while nobody does (a message in flight is the sender's).
func (tx *Tx) applyReaddress(m *OutboxMessage, to []string, claim string) (QueuedNotices, error) {
	var q QueuedNotices
	if slices.Equal(to, splitRecipients(m.Recipients)) {
		return q, nil
	}
	now := tx.Now().UTC()
	set := map[string]any{"recipients": strings.Join(to, "|")}
	if len(to) == 0 {
		set = map[string]any{"state": OutboxFailed, "claimed_until": nil, "last_error": NoRecipientLeft, "next_attempt_at": now}
	}
	db := tx.DB.Model(&OutboxMessage{}).Where("id = ? AND state = ?", m.ID, OutboxPending)
	if claim != "" {
		db = db.Where("claimed_by = ?", claim)
	} else {
		db = db.Where("claimed_until IS NULL OR claimed_until < ?", now)
	}
	res := db.Updates(set)
	if res.Error != nil {
		return q, fmt.Errorf("models: readdress outbox %d: %w", m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return q, nil
	}
	if len(to) == 0 {
		m.State, m.LastError = OutboxFailed, NoRecipientLeft
		q.Dropped++
	} else {
		q.Rerouted++
	}
	m.Recipients = strings.Join(to, "|")
	return q, nil
}

// ReaddressQueued applies the rule of readdress to the messages waiting in
// the outbox for userids, after a directory change to them (deactivated, a
// role or unit changed), in the change's own transaction.
func (tx *Tx) ReaddressQueued(userids ...string) (QueuedNotices, error) {
	var q QueuedNotices
	suspects := map[string]bool{}
	for _, u := range userids {
		if !plainUser(u) || suspects[u] {
			continue
		}
		suspects[u] = true
		var rows []OutboxMessage
		// LIKE finds candidates; readdress checks the exact recipients.
		err := tx.DB.Where("state = ? AND (recipients = ? OR recipients LIKE ? OR recipients LIKE ? OR recipients LIKE ?)",
			OutboxPending, u, u+"|%", "%|"+u, "%|"+u+"|%").Order("id").Find(&rows).Error
		if err != nil {
			return q, fmt.Errorf("models: queued for %s: %w", u, err)
		}
		for i := range rows {
			to, err := tx.readdress(&rows[i], suspects)
			if err != nil {
				return q, err
			}
			got, err := tx.applyReaddress(&rows[i], to, "")
			if err != nil {
				return q, err
			}
			q.add(got)
		}
	}
	q.say()
	return q, nil
}

// ReaddressClaimed checks a claimed batch just before it is sent: a
// recipient who is no longer an active user is left out by the rule of
// readdress. It returns the messages still to send, with their recipients
// now, and how many were re-routed or dropped (marked failed). It costs one
// query when nobody in the batch is inactive.
func (s *Store) ReaddressClaimed(ctx context.Context, msgs []OutboxMessage) ([]OutboxMessage, QueuedNotices, error) {
	var q QueuedNotices
	var all []string
	for _, m := range msgs {
		for _, u := range splitRecipients(m.Recipients) {
			if plainUser(u) {
				all = append(all, u)
			}
		}
	}
	if len(all) == 0 {
		return msgs, q, nil
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var inactive []string
	if err := s.DB.WithContext(ctx).Model(&User{}).Where("userid IN ? AND active = ?", all, false).Pluck("userid", &inactive).Error; err != nil {
		return nil, q, fmt.Errorf("models: inactive recipients: %w", err)
	}
	if len(inactive) == 0 {
		return msgs, q, nil
	}
	suspects := map[string]bool{}
	for _, u := range inactive {
		suspects[u] = true
	}
	out := slices.Clone(msgs)
	err := s.InTx(ctx, func(tx *Tx) error {
		out, q = slices.Clone(msgs), QueuedNotices{}
		for i := range out {
			to, err := tx.readdress(&out[i], suspects)
			if err != nil {
				return err
			}
			got, err := tx.applyReaddress(&out[i], to, out[i].ClaimedBy)
			if err != nil {
				return err
			}
			q.add(got)
		}
		return nil
	})
	if err != nil {
		return nil, QueuedNotices{}, err
	}
	q.say()
	return out, q, nil
}

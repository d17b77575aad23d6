package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Dialogue statuses.
const (
	DialogueActive = "active" // the user is in the middle of it
	DialogueKept   = "kept"   // idle too long: kept as a draft to resume
)

// Dialogue is a user's conversation state, kept in the database so that it
// survives restarts and any replica can take the next message. Data is the
// bot's own JSON.
type Dialogue struct {
	UserID    string    `gorm:"column:userid;primaryKey"`
	Status    string    `gorm:"size:16"`
	Data      string    `gorm:"type:text"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
	Version   int
}

// LoadDialogue returns userid's dialogue, locked for this transaction on
// MySQL, or nil when there is none.
func (tx *Tx) LoadDialogue(userid string) (*Dialogue, error) {
	if tx.grp != nil {
		if d, ok := tx.grp.dialogues[userid]; ok {
			if d == nil {
				return nil, nil
			}
			c := *d
			return &c, nil
		}
	}
	var d Dialogue
	err := tx.forUpdate().Where("userid = ?", userid).Take(&d).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: load dialogue: %w", err)
	}
	return &d, nil
}

// SaveDialogue writes userid's dialogue: an insert for a new one (Version
// 0), else an update of the row LoadDialogue locked.
func (tx *Tx) SaveDialogue(d *Dialogue) error {
	d.UpdatedAt = tx.Now().UTC()
	d.Version++
	if tx.grp != nil {
		c := *d
		tx.later.dialogues = append(tx.later.dialogues, dialogueWrite{userid: d.UserID, d: &c})
		return nil
	}
	var err error
	if d.Version == 1 {
		err = tx.DB.Create(d).Error
		if isDuplicate(err) {
			// Two first messages of one user at once: the other inserted
			// the row first. Run again from the start, which now locks it.
			return errRetry
		}
	} else {
		err = tx.DB.Model(&Dialogue{}).Where("userid = ?", d.UserID).
			Updates(map[string]any{"status": d.Status, "data": d.Data, "updated_at": d.UpdatedAt, "version": d.Version}).Error
	}
	if err != nil {
		return fmt.Errorf("models: save dialogue: %w", err)
	}
	return nil
}

// DeleteDialogue ends userid's dialogue.
func (tx *Tx) DeleteDialogue(userid string) error {
	if tx.grp != nil {
		tx.later.dialogues = append(tx.later.dialogues, dialogueWrite{userid: userid})
		return nil
	}
	return tx.DB.Where("userid = ?", userid).Delete(&Dialogue{}).Error
}

// IdleDialogues returns the active dialogues last touched before t.
func (tx *Tx) IdleDialogues(before time.Time, limit int) ([]Dialogue, error) {
	var list []Dialogue
	err := tx.DB.Where("status = ? AND updated_at < ?", DialogueActive, before.UTC()).Order("updated_at").Limit(limit).Find(&list).Error
	return list, err
}

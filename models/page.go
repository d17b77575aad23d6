package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Page is the rest of a user's last chat reply that was too long for one
// message: the bot's own JSON, read back when the user sends 更多. It lives
// in the database so that any replica can answer.
type Page struct {
	UserID string `gorm:"column:userid;primaryKey;size:64"`
	Data   string `gorm:"type:text"`
	// UpdatedAt is when the reply was given; an old page is not shown.
	UpdatedAt time.Time
}

// SavePage keeps data as userid's next page, replacing any earlier one.
func (tx *Tx) SavePage(userid, data string) error {
	p := Page{UserID: userid, Data: data, UpdatedAt: tx.Now().UTC()}
	err := tx.DB.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "userid"}},
		DoUpdates: clause.AssignmentColumns([]string{"data", "updated_at"}),
	}).Create(&p).Error
	if err != nil {
		return fmt.Errorf("models: save page: %w", err)
	}
	return nil
}

// LoadPage returns userid's next page, or nil when there is none.
func (tx *Tx) LoadPage(userid string) (*Page, error) {
	var p Page
	err := tx.DB.Where("userid = ?", userid).Take(&p).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: load page: %w", err)
	}
	return &p, nil
}

// DropPage forgets userid's next page.
func (tx *Tx) DropPage(userid string) error {
	if err := tx.DB.Where("userid = ?", userid).Delete(&Page{}).Error; err != nil {
		return fmt.Errorf("models: drop page: %w", err)
	}
	return nil
}

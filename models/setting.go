package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SettingDemo marks a database that demo mode seeded with the demo
// directory: only such a database may be used by the terminal chat, whose
// in-process fake WeCom API would otherwise swallow real messages.
const SettingDemo = "demo"

// Setting is a named fact about the database itself.
type Setting struct {
	Name      string `gorm:"primaryKey;size:64"`
	Value     string `gorm:"size:255"`
	UpdatedAt time.Time
}

// SetSetting records name = value.
func (tx *Tx) SetSetting(name, value string) error {
	s := Setting{Name: name, Value: value, UpdatedAt: tx.Now().UTC()}
	err := tx.DB.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&s).Error
	if err != nil {
		return fmt.Errorf("models: set %s: %w", name, err)
	}
	return nil
}

// GetSetting returns name's value; ok is false when it was never set.
func (tx *Tx) GetSetting(name string) (value string, ok bool, err error) {
	var s Setting
	err = tx.DB.Where("name = ?", name).Take(&s).Error
	if err == gorm.ErrRecordNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("models: get %s: %w", name, err)
	}
	return s.Value, true, nil
}

// IsDemo reports whether the database is safe for demo tools: demo mode
// seeded it (SettingDemo), or it holds no units yet and demo mode would.
func (tx *Tx) IsDemo() (bool, error) {
	if _, ok, err := tx.GetSetting(SettingDemo); err != nil || ok {
		return ok, err
	}
	n, err := tx.CountUnits()
	return n == 0, err
}

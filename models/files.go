package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// storedFile is a photo or generated file kept in the database.
type storedFile struct {
	Name        string `gorm:"primaryKey"`
	ContentType string
	Size        int64
	Data        []byte
	CreatedAt   time.Time
}

func (storedFile) TableName() string { return "files" }

// PutFile stores data under name, replacing what was there.
func (s *Store) PutFile(ctx context.Context, name, contentType string, data []byte) error {
	f := storedFile{Name: name, ContentType: contentType, Size: int64(len(data)), Data: data, CreatedAt: s.Now().UTC()}
	err := s.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&f).Error
	if err != nil {
		return fmt.Errorf("models: put file %s: %w", name, err)
	}
	return nil
}

// OpenFile returns the file stored under name.
func (s *Store) OpenFile(ctx context.Context, name string) (data []byte, contentType string, err error) {
	var f storedFile
	err = s.DB.WithContext(ctx).Where("name = ?", name).Take(&f).Error
	if err == gorm.ErrRecordNotFound {
		return nil, "", Errorf(ENotFound, "文件 %s 不存在", name)
	}
	if err != nil {
		return nil, "", fmt.Errorf("models: open file %s: %w", name, err)
	}
	return f.Data, f.ContentType, nil
}

package models

import (
	"context"
	"fmt"
	"slices"
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

// The JPEGs the H5 pages make of a stored photo on first view and keep
// beside it: the thumbnail, and the large view of a HEIC photo (most
// phones' browsers cannot show HEIC). They go when the photo goes.
const (
	ThumbSize = 240  // the thumbnail's longest side, in pixels
	LargeSize = 1600 // the large view's
)

// ThumbName is where the JPEG of stored photo id at most size pixels on its
// longest side is kept.
func ThumbName(id uint, size int) string {
	if size == ThumbSize {
		return fmt.Sprintf("thumbs/%d.jpg", id)
	}
	return fmt.Sprintf("thumbs/%d-%d.jpg", id, size)
}

// ThumbNames are all the names ThumbName may give photo id.
func ThumbNames(id uint) []string {
	return []string{ThumbName(id, ThumbSize), ThumbName(id, LargeSize)}
}

// thumbOf returns the photo a thumbnail name belongs to.
func thumbOf(name string) (uint, bool) {
	var id uint
	var size int
	if _, err := fmt.Sscanf(name, "thumbs/%d-%d.jpg", &id, &size); err == nil && ThumbName(id, size) == name {
		return id, true
	}
	if _, err := fmt.Sscanf(name, "thumbs/%d.jpg", &id); err == nil && ThumbName(id, ThumbSize) == name {
		return id, true
	}
	return 0, false
}

// fileDeletion is a stored file whose rows are gone, waiting to be deleted.
type fileDeletion struct {
	Name      string `gorm:"primaryKey"`
	CreatedAt time.Time
	Attempts  int
	LastError string
}

func (fileDeletion) TableName() string { return "file_deletions" }

// forgetFiles records, in the transaction that drops the rows pointing at
// them, that the named files are to be deleted. The caller deletes them
// after the commit (DeleteFiles); whatever is not deleted then is found
// again by PendingFileDeletions.
func (tx *Tx) forgetFiles(names ...string) error {
	now := tx.Now().UTC()
	for _, n := range names {
		if n == "" {
			continue
		}
		err := tx.DB.Clauses(clause.OnConflict{DoNothing: true}).Create(&fileDeletion{Name: Truncate(n, 191, ""), CreatedAt: now}).Error
		if err != nil {
			return fmt.Errorf("models: forget file %s: %w", n, err)
		}
	}
	return nil
}

// photoFiles are the stored files of photos: each photo and its thumbnail.
func photoFiles(list []Attachment) []string {
	var out []string
	for _, a := range list {
		if a.Path != "" {
			out = append(append(out, a.Path), ThumbNames(a.ID)...)
		}
	}
	return out
}

// dropPhotos deletes the photos q selects and records their files for
// deletion, returning the files' names.
func (tx *Tx) dropPhotos(q *gorm.DB) (n int64, files []string, err error) {
	var list []Attachment
	if err := q.Select("id", "path").Find(&list).Error; err != nil {
		return 0, nil, fmt.Errorf("models: find photos to drop: %w", err)
	}
	if len(list) == 0 {
		return 0, nil, nil
	}
	ids := make([]uint, len(list))
	for i, a := range list {
		ids[i] = a.ID
	}
	// Deleted by id and still unattached: a photo that joined a hazard
	// since it was read stays, with its file.
	res := tx.DB.Where("id IN ? AND hazard_id IS NULL", ids).Delete(&Attachment{})
	if res.Error != nil {
		return 0, nil, fmt.Errorf("models: drop photos: %w", res.Error)
	}
	if res.RowsAffected != int64(len(list)) {
		// Some joined a hazard meanwhile: forget only the files of the rows
		// that are really gone.
		var kept []uint
		if err := tx.DB.Model(&Attachment{}).Where("id IN ?", ids).Pluck("id", &kept).Error; err != nil {
			return 0, nil, fmt.Errorf("models: drop photos: %w", err)
		}
		list = slices.DeleteFunc(list, func(a Attachment) bool { return slices.Contains(kept, a.ID) })
	}
	files = photoFiles(list)
	return res.RowsAffected, files, tx.forgetFiles(files...)
}

// PendingFileDeletions returns up to limit files recorded for deletion
// before t, oldest first.
func (s *Store) PendingFileDeletions(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var names []string
	err := s.DB.WithContext(ctx).Model(&fileDeletion{}).Where("created_at < ?", before.UTC()).
		Order("created_at").Limit(limit).Pluck("name", &names).Error
	if err != nil {
		return nil, fmt.Errorf("models: pending file deletions: %w", err)
	}
	return names, nil
}

// FileInUse reports whether a row still points at the named file: a
// photo's path, or (for a thumbnail) its photo. A name recorded for
// deletion is deleted only when none does, so no row ever points at a
// deleted file, even if a name came back into use.
func (s *Store) FileInUse(ctx context.Context, name string) (bool, error) {
	var n int64
	q := s.DB.WithContext(ctx).Model(&Attachment{}).Where("path = ?", name)
	if id, ok := thumbOf(name); ok {
		q = s.DB.WithContext(ctx).Model(&Attachment{}).Where("id = ? AND path <> ''", id)
	}
	if err := q.Count(&n).Error; err != nil {
		return false, fmt.Errorf("models: file in use: %w", err)
	}
	return n > 0, nil
}

// FileDeleted forgets a file recorded for deletion: it is gone.
func (s *Store) FileDeleted(ctx context.Context, name string) error {
	if err := s.DB.WithContext(ctx).Where("name = ?", name).Delete(&fileDeletion{}).Error; err != nil {
		return fmt.Errorf("models: file deleted: %w", err)
	}
	return nil
}

// FileDeleteFailed records a failed delete; the file stays recorded and is
// tried again.
func (s *Store) FileDeleteFailed(ctx context.Context, name, cause string) error {
	err := s.DB.WithContext(ctx).Exec("UPDATE file_deletions SET attempts = attempts + 1, last_error = ? WHERE name = ?", Truncate(cause, 255, "…"), name).Error
	if err != nil {
		return fmt.Errorf("models: file delete failed: %w", err)
	}
	return nil
}

// DeleteFile removes a file kept in the database; a missing one is fine.
func (s *Store) DeleteFile(ctx context.Context, name string) error {
	if err := s.DB.WithContext(ctx).Where("name = ?", name).Delete(&storedFile{}).Error; err != nil {
		return fmt.Errorf("models: delete file %s: %w", name, err)
	}
	return nil
}

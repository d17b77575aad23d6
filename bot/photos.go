package bot

import (
	"context"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"hazardbot/models"
)

// Downloader fetches a WeCom temporary media file into w. bot/wecom's
// Client implements it.
type Downloader interface {
	DownloadMedia(ctx context.Context, mediaID string, w io.Writer) (contentType string, err error)
}

// Storage keeps photos and generated files. Dir is the local directory
// implementation for a single process (several replicas need a shared
// directory mounted at the same path).
type Storage struct{ Dir string }

// Create opens a new file at the relative path name, creating directories.
func (s Storage) Create(name string) (*os.File, error) {
	p, err := s.Path(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.Create(p)
}

// Path resolves a relative name inside the storage directory, refusing
// anything that would escape it.
func (s Storage) Path(name string) (string, error) {
	clean := filepath.Clean("/" + name)
	if strings.Contains(name, "..") || clean == "/" {
		return "", fmt.Errorf("bot: storage name %q is not allowed", name)
	}
	return filepath.Join(s.Dir, clean), nil
}

// maxPhotoAttempts bounds how often a photo is fetched before giving up
// (WeCom keeps temporary media for 3 days).
const maxPhotoAttempts = 8

// FetchPhotos downloads the photos users sent and keeps them in storage,
// since WeCom forgets temporary media after three days. It runs outside any
// callback; a failure is recorded and tried again on the next run.
func (b *Bot) FetchPhotos(ctx context.Context, dl Downloader, st Storage) (fetched int, err error) {
	var pending []models.Attachment
	err = b.store.InTx(ctx, func(tx *models.Tx) error {
		var err error
		pending, err = tx.PendingPhotos(maxPhotoAttempts, 50)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, a := range pending {
		if ctx.Err() != nil {
			return fetched, ctx.Err()
		}
		ctype, size, name, ferr := b.fetchOne(ctx, dl, st, &a)
		err := b.store.InTx(ctx, func(tx *models.Tx) error {
			if ferr != nil {
				return tx.PhotoFailed(a.ID, ferr.Error())
			}
			return tx.PhotoStored(a.ID, name, ctype, size)
		})
		if err != nil {
			return fetched, err
		}
		if ferr != nil {
			b.log.Warn("photo fetch failed", "attachment", a.ID, "err", ferr)
			continue
		}
		fetched++
	}
	return fetched, nil
}

func (b *Bot) fetchOne(ctx context.Context, dl Downloader, st Storage, a *models.Attachment) (string, int64, string, error) {
	t := a.CreatedAt.In(b.loc())
	name := fmt.Sprintf("photos/%04d/%02d/%d", t.Year(), t.Month(), a.ID)
	f, err := st.Create(name + ".part")
	if err != nil {
		return "", 0, "", err
	}
	ctype, err := dl.DownloadMedia(ctx, a.MediaID, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	tmp, _ := st.Path(name + ".part")
	if err != nil {
		os.Remove(tmp)
		return "", 0, "", err
	}
	ext := ".jpg"
	switch mt, _, _ := mime.ParseMediaType(ctype); mt {
	case "image/png":
		ext = ".png"
	case "image/gif":
		ext = ".gif"
	case "image/webp":
		ext = ".webp"
	}
	final, _ := st.Path(name + ext)
	if err := os.Rename(tmp, final); err != nil {
		return "", 0, "", err
	}
	fi, err := os.Stat(final)
	if err != nil {
		return "", 0, "", err
	}
	return ctype, fi.Size(), name + ext, nil
}

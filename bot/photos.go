package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"

	"hazardbot/models"
)

// Downloader fetches a WeCom temporary media file into w. bot/wecom's
// Client implements it.
type Downloader interface {
	DownloadMedia(ctx context.Context, mediaID string, w io.Writer) (contentType string, err error)
}

// FetchPhotos downloads the photos users sent and keeps them in storage,
// since WeCom forgets temporary media after three days. It runs outside any
// callback; a failure is recorded and tried again on the next run.
func (b *Bot) FetchPhotos(ctx context.Context, dl Downloader, st Files) (fetched int, err error) {
	var pending []models.Attachment
	err = b.store.InTx(ctx, func(tx *models.Tx) error {
		var err error
		pending, err = tx.PendingPhotos(models.PhotoFetchAttempts, 50)
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
		var gone bool
		err := b.store.InTx(ctx, func(tx *models.Tx) error {
			if ferr != nil {
				return tx.PhotoFailed(a.ID, ferr.Error())
			}
			var err error
			gone, err = tx.PhotoStored(a.ID, name, ctype, size)
			return err
		})
		if err != nil {
			return fetched, err
		}
		if gone {
			// Its draft was cancelled or pruned while it was fetched: the
			// file was recorded for deletion; delete it now.
			if _, err := b.deleteFilesIn(ctx, st, append([]string{name}, models.ThumbNames(a.ID)...)); err != nil {
				return fetched, err
			}
			continue
		}
		if ferr != nil {
			b.log.Warn("photo fetch failed", "attachment", a.ID, "err", ferr)
			continue
		}
		fetched++
	}
	return fetched, nil
}

func (b *Bot) fetchOne(ctx context.Context, dl Downloader, st Files, a *models.Attachment) (string, int64, string, error) {
	var buf bytes.Buffer
	ctype, err := dl.DownloadMedia(ctx, a.MediaID, &buf)
	if err != nil {
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
	t := a.CreatedAt.In(b.loc())
	name := fmt.Sprintf("photos/%04d/%02d/%d%s", t.Year(), t.Month(), a.ID, ext)
	size, err := st.Put(ctx, name, ctype, &buf)
	if err != nil {
		return "", 0, "", err
	}
	return ctype, size, name, nil
}

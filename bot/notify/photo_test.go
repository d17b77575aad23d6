package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestImageWaitsForItsPhoto: an image message queued while its photo is
// still on its way from WeCom is retried until the fetcher has kept the
// photo, then goes out as an image uploaded from storage; a photo the
// fetcher gave up on fails the message for good.
func TestImageWaitsForItsPhoto(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := modelstest.NewClock(at(2023, 3, 15, 10, 0))
		s.Now = clock.Now
		root := t.TempDir()
		fake, client := wecomAPI(t, time.Second, root)
		jpeg := []byte("\xff\xd8\xff\xe0 a photo of the cleared basement")
		fake.AddMedia("m-after", "image/jpeg", jpeg)
		var kept, lost *models.Attachment
		err := s.InTx(ctx, func(tx *models.Tx) (err error) {
			if kept, err = tx.AddDraftPhoto("lisi", "m-after", ""); err != nil {
				return err
			}
			if lost, err = tx.AddDraftPhoto("lisi", "m-gone", ""); err != nil {
				return err
			}
			for i, a := range []*models.Attachment{kept, lost} {
				body, _ := json.Marshal(bot.Outgoing{Kind: bot.OutImage, ToUsers: []string{"wangwu"}, Photo: a.ID})
				if _, err := tx.Enqueue(models.OutboxItem{Key: "img|" + string(rune('a'+i)), Recipients: []string{"wangwu"}, Kind: "image", Body: string(body)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w := NewWorker(s, client, WorkerOptions{Backoff: noBackoff})
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Sent()); n != 0 {
			t.Fatalf("sent %d messages before the photos were fetched", n)
		}
		rows := outboxRows(t, s)
		for _, r := range rows {
			if r.State != models.OutboxPending {
				t.Fatalf("row %s is %s before its photo was fetched, want pending", r.DedupeKey, r.State)
			}
		}
		b := bot.New(s, config.Default(), nil)
		for range models.PhotoFetchAttempts {
			if _, err := b.FetchPhotos(ctx, client, bot.DirFiles{Dir: root}); err != nil {
				t.Fatal(err)
			}
		}
		clock.Add(time.Minute)
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		sent := fake.Sent()
		if len(sent) != 1 || sent[0].MsgType != "image" || sent[0].To[0] != "wangwu" {
			t.Fatalf("sent = %+v, want one image to wangwu", sent)
		}
		img, _ := sent[0].Body["image"].(map[string]any)
		id, _ := img["media_id"].(string)
		if _, data, ok := fake.Media(id); !ok || !bytes.Equal(data, jpeg) {
			t.Fatalf("the image sent is not the photo the user sent (media %q)", id)
		}
		for _, r := range outboxRows(t, s) {
			want := models.OutboxSent
			if r.DedupeKey == "img|b" {
				want = models.OutboxFailed
			}
			if r.State != want {
				t.Errorf("row %s is %s (%s), want %s", r.DedupeKey, r.State, r.LastError, want)
			}
		}
	})
}

func outboxRows(t *testing.T, s *models.Store) []models.OutboxMessage {
	t.Helper()
	var rows []models.OutboxMessage
	if err := s.InTx(context.Background(), func(tx *models.Tx) (err error) {
		rows, err = tx.FindOutbox(models.OutboxFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

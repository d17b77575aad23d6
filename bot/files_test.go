package bot_test

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"hazardbot/bot"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestFilesRoundTripOnDirectoryAndDatabase(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		for name, files := range map[string]bot.Files{
			"dir": bot.DirFiles{Dir: filepath.Join(t.TempDir(), "data")},
			"db":  bot.DBFiles{Store: s},
		} {
			t.Run(name, func(t *testing.T) {
				n, err := files.Put(ctx, "photos/2023/03/7.jpg", "image/jpeg", strings.NewReader("jpeg bytes"))
				if err != nil || n != 10 {
					t.Fatalf("Put = %d, %v", n, err)
				}
				// Putting again replaces.
				if _, err := files.Put(ctx, "photos/2023/03/7.jpg", "image/jpeg", strings.NewReader("new jpeg")); err != nil {
					t.Fatal(err)
				}
				f, ctype, err := files.Open(ctx, "photos/2023/03/7.jpg")
				if err != nil {
					t.Fatal(err)
				}
				data, _ := io.ReadAll(f)
				f.Close()
				if string(data) != "new jpeg" || ctype != "image/jpeg" {
					t.Fatalf("Open = %q %q", data, ctype)
				}
				if _, _, err := files.Open(ctx, "photos/none.jpg"); !bot.FileMissing(err) {
					t.Fatalf("a missing file: %v", err)
				}
				// Delete removes the file; deleting what is not there is fine.
				if err := files.Delete(ctx, "photos/2023/03/7.jpg"); err != nil {
					t.Fatal(err)
				}
				if _, _, err := files.Open(ctx, "photos/2023/03/7.jpg"); !bot.FileMissing(err) {
					t.Fatalf("a deleted file opens: %v", err)
				}
				if err := files.Delete(ctx, "photos/2023/03/7.jpg"); err != nil {
					t.Fatalf("deleting a missing file: %v", err)
				}
				for _, bad := range []string{"../etc/passwd", "/etc/passwd", ""} {
					if _, err := files.Put(ctx, bad, "", strings.NewReader("x")); err == nil {
						t.Errorf("Put(%q) was allowed", bad)
					}
					if err := files.Delete(ctx, bad); err == nil {
						t.Errorf("Delete(%q) was allowed", bad)
					}
					if _, _, err := files.Open(ctx, bad); err == nil {
						t.Errorf("Open(%q) was allowed", bad)
					}
				}
			})
		}
	})
}

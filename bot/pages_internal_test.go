package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// A long reply is cut into pages at line breaks, each under WeCom's limit;
// 更多 walks through them and the count says what is left.
func TestLongReplyPages(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := modelstest.NewClock(time.Date(2023, 3, 1, 10, 0, 0, 0, modelstest.Shanghai))
		s.Now = clock.Now
		b := New(s, config.Default(), nil)
		var lines []string
		for i := 1; i <= 120; i++ {
			lines = append(lines, fmt.Sprintf("第%d行：茅箭区某某街道某某小区燃气立管锈蚀", i))
		}
		long := strings.Join(lines, "\n")
		turn := func() *turn {
			return &turn{b: b, tx: s.Reads(context.Background()), actor: &models.Actor{UserID: "u1"}}
		}
		first, err := turn().fit(long)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) > maxText || !strings.HasPrefix(first, "第1行") || !strings.HasSuffix(first, "…共120条，发“更多”") {
			t.Fatalf("first page (%d bytes): ...%s", len(first), first[max(0, len(first)-80):])
		}
		seen := strings.Count(first, "\n")
		for page := 2; ; page++ {
			c := turn()
			if err := c.more(); err != nil {
				t.Fatal(err)
			}
			got := c.reply.Text
			if len(got) > maxText {
				t.Fatalf("page %d is %d bytes", page, len(got))
			}
			n := strings.Count(got, "第")
			seen += n
			if !strings.Contains(got, "还有") {
				if seen != 120 || !strings.HasSuffix(got, "第120行：茅箭区某某街道某某小区燃气立管锈蚀") {
					t.Fatalf("last page %d: saw %d lines, ends %q", page, seen, got[max(0, len(got)-60):])
				}
				break
			}
			if want := fmt.Sprintf("…还有%d条，发“更多”", 120-seen); !strings.HasSuffix(got, want) {
				t.Fatalf("page %d ends %q, want %q", page, got[max(0, len(got)-60):], want)
			}
		}
		c := turn()
		if err := c.more(); err != nil || c.reply.Text != msgNoMore {
			t.Fatalf("after the last page: %q %v", c.reply.Text, err)
		}
		// A page left for a day is gone.
		if _, err := turn().fit(long); err != nil {
			t.Fatal(err)
		}
		clock.Set(clock.Now().Add(25 * time.Hour))
		c = turn()
		if err := c.more(); err != nil || c.reply.Text != msgNoMore {
			t.Fatalf("a day later: %q %v", c.reply.Text, err)
		}
	})
}

package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestTruncateNeverSplitsACharacter(t *testing.T) {
	tests := []struct {
		name, s string
		max     int
		tail    string
		want    string
	}{
		{"short stays", "燃气泄漏", 12, "…", "燃气泄漏"},
		{"cut before a 3-byte character", "燃气泄漏", 8, "", "燃气"},
		{"cut with a tail", "燃气泄漏", 10, "…", "燃气…"},
		{"ascii", "connection refused", 10, "", "connection"},
		{"mixed", "dial 企业微信 timeout", 9, "", "dial 企"},
		{"invalid bytes become ?", "ab\xffcd", 10, "", "ab?cd"},
		{"tail longer than max", "燃气泄漏", 2, "……", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := models.Truncate(tc.s, tc.max, tc.tail)
			if got != tc.want || len(got) > tc.max || !utf8.ValidString(got) {
				t.Fatalf("Truncate(%q, %d, %q) = %q, want %q", tc.s, tc.max, tc.tail, got, tc.want)
			}
		})
	}
	long := strings.Repeat("隐", 1000)
	for max := 0; max < 12; max++ {
		if got := models.Truncate(long, max, ""); !utf8.ValidString(got) || len(got) > max || len(got) != max/3*3 {
			t.Fatalf("max %d: %q", max, got)
		}
	}
}

// A job fails with a long Chinese error: its finish is recorded (on strict
// MySQL too), so the slot is "failed" and may run again, not stuck
// "running".
func TestLongChineseErrorsAreStoredWhole(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		cause := errors.New("x" + strings.Repeat("企业微信接口返回错误", 60)) // 1 + 1,800 bytes: 500 falls inside a character
		if ok, err := s.ClaimJob(ctx, "reminders", "2023-03-01", "r1", time.Hour); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := s.FinishJob(ctx, "reminders", "2023-03-01", cause); err != nil {
			t.Fatalf("finish with a long Chinese error: %v", err)
		}
		var run models.JobRun
		if err := s.DB.Where("slot = ?", "reminders|2023-03-01").Take(&run).Error; err != nil {
			t.Fatal(err)
		}
		if run.State != models.JobFailed || !utf8.ValidString(run.Error) || len(run.Error) > 500 || !strings.HasSuffix(run.Error, "…") {
			t.Fatalf("run = %+v", run)
		}
		if ok, _ := s.ClaimJob(ctx, "reminders", "2023-03-01", "r2", time.Hour); !ok {
			t.Fatal("a failed slot could not be claimed again")
		}
		// The dedupe key of a message without MsgId carries its text.
		key := "u|1|text|" + strings.Repeat("燃气", 40)
		if _, dup, err := s.Reads(ctx).RecordInbound(key, "u", "已收到"); err != nil || dup {
			t.Fatalf("long Chinese dedupe key: dup %v err %v", dup, err)
		}
		if stored, dup, err := s.Reads(ctx).RecordInbound(key, "u", "另一个"); err != nil || !dup || stored != "已收到" {
			t.Fatalf("the same key again: %q, dup %v err %v", stored, dup, err)
		}
	})
}

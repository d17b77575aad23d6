package models_test

import (
	"bytes"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

func TestSessions(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		token, sess, err := s.CreateSession(ctx, "zhangsan", 8*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if sess.ID == token || len(token) != 64 || len(sess.CSRF) != 32 {
			t.Fatalf("token %q, row id %q: the row must not hold the token", token, sess.ID)
		}
		got, err := s.FindSession(ctx, token)
		if err != nil || got.UserID != "zhangsan" || got.CSRF != sess.CSRF {
			t.Fatalf("FindSession = %+v, %v", got, err)
		}
		if _, err := s.FindSession(ctx, sess.ID); models.ErrorCode(err) != models.ENotFound {
			t.Errorf("the row id works as a token: %v", err)
		}
		clock.Add(8*time.Hour + time.Second)
		if _, err := s.FindSession(ctx, token); models.ErrorCode(err) != models.ENotFound {
			t.Errorf("expired session: %v", err)
		}
		// A new sign-in clears the expired rows.
		if _, _, err := s.CreateSession(ctx, "lisi", time.Hour); err != nil {
			t.Fatal(err)
		}
		var n int64
		s.DB.Model(&models.Session{}).Count(&n)
		if n != 1 {
			t.Errorf("%d session rows, want the expired one cleared", n)
		}
		t2, _, _ := s.CreateSession(ctx, "lisi", time.Hour)
		if err := s.DeleteSession(ctx, t2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindSession(ctx, t2); models.ErrorCode(err) != models.ENotFound {
			t.Errorf("deleted session: %v", err)
		}

		k1, err := s.SharedKey(ctx, "h5_cookie")
		if err != nil || len(k1) != 32 {
			t.Fatalf("SharedKey = %x, %v", k1, err)
		}
		k2, _ := s.SharedKey(ctx, "h5_cookie")
		other, _ := s.SharedKey(ctx, "other")
		if !bytes.Equal(k1, k2) || bytes.Equal(k1, other) {
			t.Error("a shared key is not stable, or two names share one")
		}
	})
}

func TestSummaryByWeek(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		for _, d := range []models.Date{
			models.NewDate(2023, 2, 20), models.NewDate(2023, 2, 26), // one week (Mon 2/20 – Sun 2/26)
			models.NewDate(2023, 2, 27), // the next
			models.NewDate(2023, 1, 2),  // before the span
		} {
			report(t, s, "zhangsan", models.HazardInput{Title: "液化气软管老化", InspectionDate: d})
		}
		var weeks []models.WeekFigures
		err := s.InTx(ctx, func(tx *models.Tx) error {
			var err error
			weeks, err = tx.SummaryByWeek(models.SummaryFilter{}, models.NewDate(2023, 3, 1), 3)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			monday models.Date
			found  int64
		}{{models.NewDate(2023, 2, 13), 0}, {models.NewDate(2023, 2, 20), 2}, {models.NewDate(2023, 2, 27), 1}}
		if len(weeks) != 3 {
			t.Fatalf("%d weeks", len(weeks))
		}
		for i, w := range want {
			if weeks[i].Monday != w.monday || weeks[i].Found != w.found {
				t.Errorf("week %d = %s found %d, want %s found %d", i, weeks[i].Monday, weeks[i].Found, w.monday, w.found)
			}
		}
	})
}

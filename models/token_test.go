package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestTokenRefreshHoldsNoLockWhileFetching: while one replica waits on a
// slow gettoken, the database stays free — other requests write, even to
// the token's own row — and other replicas wait for that one token instead
// of fetching their own; a failed fetch lets the next caller try at once;
// a replica that died mid-fetch holds the others up only for its lease.
func TestTokenRefreshHoldsNoLockWhileFetching(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		tokens := models.Tokens{S: s, Poll: 5 * time.Millisecond}

		t.Run("the database is free during a slow fetch; waiters share its token", func(t *testing.T) {
			inFetch, release := make(chan struct{}), make(chan struct{})
			fetches := 0
			slow := func(context.Context) (string, time.Duration, error) {
				fetches++
				close(inFetch)
				<-release
				return "tok-slow", 2 * time.Hour, nil
			}
			var wg sync.WaitGroup
			got := make([]string, 4)
			errs := make([]error, 4)
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[0], errs[0] = tokens.Refresh(ctx, "corp/slow", "", clock.Now(), slow)
			}()
			<-inFetch
			// Writes while gettoken hangs: the token's own row, and a
			// transaction elsewhere. With a lock held they would wait for
			// the fetch, which waits for them: the test would hang.
			done := make(chan error, 1)
			go func() {
				err := s.DB.Exec("UPDATE tokens SET updated_at = ? WHERE `key` = ?", clock.Now().UTC(), "corp/slow").Error
				if err == nil {
					_, err = s.PruneInbound(clock.Now().Add(-time.Hour))
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				close(release)
				t.Fatal("a write waited for the token fetch: a lock is held while calling WeCom")
			}
			for i := 1; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i], errs[i] = tokens.Refresh(ctx, "corp/slow", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
						return "", 0, errors.New("a second replica fetched while the first was fetching")
					})
				}()
			}
			close(release)
			wg.Wait()
			for i := range got {
				if errs[i] != nil || got[i] != "tok-slow" {
					t.Fatalf("replica %d got %q, %v; want the one fetched token", i, got[i], errs[i])
				}
			}
			if fetches != 1 {
				t.Fatalf("%d fetches, want 1", fetches)
			}
		})

		t.Run("while one refreshes, the others keep using the old token", func(t *testing.T) {
			clock.Add(3 * time.Hour) // tok-slow expired by our (early) reckoning
			inFetch, release := make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				tokens.Refresh(ctx, "corp/slow", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
					close(inFetch)
					<-release
					return "tok-next", 2 * time.Hour, nil
				})
			}()
			<-inFetch
			old, err := tokens.Refresh(ctx, "corp/slow", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
				return "", 0, errors.New("fetched twice")
			})
			close(release)
			wg.Wait()
			if err != nil || old != "tok-slow" {
				t.Fatalf("during the refresh: %q, %v; want the old token", old, err)
			}
			if tok, ok, _ := tokens.Token(ctx, "corp/slow", clock.Now()); !ok || tok != "tok-next" {
				t.Fatalf("after the refresh: %q %v", tok, ok)
			}
		})

		t.Run("a failed fetch lets the next caller fetch at once", func(t *testing.T) {
			_, err := tokens.Refresh(ctx, "corp/down", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
				return "", 0, errors.New("gettoken down")
			})
			if err == nil {
				t.Fatal("a failed fetch returned no error")
			}
			tok, err := tokens.Refresh(ctx, "corp/down", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
				return "tok-up", 2 * time.Hour, nil
			})
			if err != nil || tok != "tok-up" {
				t.Fatalf("after a failure: %q, %v", tok, err)
			}
		})

		t.Run("a replica that died mid-fetch is taken over after its lease", func(t *testing.T) {
			short := models.Tokens{S: s, Poll: 5 * time.Millisecond, Lease: time.Second}
			dead, cancel := context.WithCancel(ctx)
			started := make(chan struct{})
			go short.Refresh(dead, "corp/dead", "", clock.Now(), func(ctx context.Context) (string, time.Duration, error) {
				close(started)
				<-ctx.Done()
				// A replica killed here never releases its lease.
				select {}
			})
			<-started
			tok, err := short.Refresh(ctx, "corp/dead", "", clock.Now(), func(context.Context) (string, time.Duration, error) {
				return "tok-alive", 2 * time.Hour, nil
			})
			cancel()
			if err != nil || tok != "tok-alive" {
				t.Fatalf("after a dead refresher: %q, %v", tok, err)
			}
		})
	})
}

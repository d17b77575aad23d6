package wecom

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryTokens(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2023, 3, 15, 9, 0, 0, 0, time.UTC)
	const key = "ww1/1000002"
	fetches := 0
	fetch := func(tok string) func(context.Context) (string, time.Duration, error) {
		return func(context.Context) (string, time.Duration, error) {
			fetches++
			return tok, time.Hour, nil
		}
	}

	s := NewMemoryTokens()
	if _, ok, err := s.Token(ctx, key, t0); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v, want no token", ok, err)
	}
	steps := []struct {
		name      string
		stale     string
		at        time.Duration
		fetchTok  string
		want      string
		wantFetch int
	}{
		{"first refresh fetches", "", 0, "t1", "t1", 1},
		{"another caller already refreshed", "", time.Minute, "t2", "t1", 1},
		{"an older stale token keeps the newer one", "t0", time.Minute, "t2", "t1", 1},
		{"the stored token was rejected", "t1", time.Minute, "t2", "t2", 2},
		{"expired token is replaced", "", 2 * time.Hour, "t3", "t3", 3},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := s.Refresh(ctx, key, st.stale, t0.Add(st.at), fetch(st.fetchTok))
			if err != nil || got != st.want {
				t.Fatalf("Refresh = %q, %v; want %q", got, err, st.want)
			}
			if fetches != st.wantFetch {
				t.Errorf("fetches = %d, want %d", fetches, st.wantFetch)
			}
		})
	}
	t.Run("valid until its ttl", func(t *testing.T) {
		at := t0.Add(2 * time.Hour)
		if tok, ok, _ := s.Token(ctx, key, at.Add(59*time.Minute)); !ok || tok != "t3" {
			t.Errorf("Token before expiry = %q, %v", tok, ok)
		}
		if _, ok, _ := s.Token(ctx, key, at.Add(time.Hour)); ok {
			t.Error("Token at expiry still valid")
		}
		if _, ok, _ := s.Token(ctx, "ww1/other", at); ok {
			t.Error("another agent's key shares the token")
		}
	})
	t.Run("fetch error stores nothing", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := s.Refresh(ctx, "ww2/1", "", t0, func(context.Context) (string, time.Duration, error) { return "", 0, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if _, ok, _ := s.Token(ctx, "ww2/1", t0); ok {
			t.Error("failed fetch left a token")
		}
	})
}

func TestMemoryTokensConcurrentRefreshFetchesOnce(t *testing.T) {
	s := NewMemoryTokens()
	now := time.Date(2023, 3, 15, 9, 0, 0, 0, time.UTC)
	var fetches atomic.Int32
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := s.Refresh(context.Background(), "k", "", now, func(context.Context) (string, time.Duration, error) {
				fetches.Add(1)
				time.Sleep(time.Millisecond)
				return "shared", time.Hour, nil
			})
			if err != nil {
				t.Error(err)
			}
			results[i] = tok
		}()
	}
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
	for i, r := range results {
		if r != "shared" {
			t.Errorf("caller %d got %q", i, r)
		}
	}
}

func TestMemoryTokensRefreshHonoursContext(t *testing.T) {
	s := NewMemoryTokens()
	now := time.Date(2023, 3, 15, 9, 0, 0, 0, time.UTC)
	inFetch := make(chan struct{})
	release := make(chan struct{})
	go func() {
		_, _ = s.Refresh(context.Background(), "k", "", now, func(context.Context) (string, time.Duration, error) {
			close(inFetch)
			<-release
			return "t", time.Hour, nil
		})
	}()
	<-inFetch
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Refresh(ctx, "k", "", now, func(context.Context) (string, time.Duration, error) {
		t.Error("fetch called while another refresh holds the lock")
		return "", 0, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

package models_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// A message delivered again (WeCom's retry, at once on another replica or
// later) is counted once and gets the count its first delivery got; only
// new messages move the sender's count, and the counted keys are pruned
// with the window.
func TestInboundIsCountedOncePerMessage(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		now := time.Date(2023, 3, 1, 9, 0, 10, 0, modelstest.Shanghai)
		for i := 1; i <= 3; i++ {
			n, err := s.CountInbound(ctx, fmt.Sprintf("msg-%d", i), "zhangsan", now)
			if err != nil || n != i {
				t.Fatalf("message %d: count %d, %v; want %d", i, n, err, i)
			}
		}
		// Message 2 delivered four more times at once, as replicas would.
		var wg sync.WaitGroup
		got := make([]int, 4)
		errs := make([]error, 4)
		for j := range got {
			wg.Go(func() { got[j], errs[j] = s.CountInbound(ctx, "msg-2", "zhangsan", now.Add(time.Second)) })
		}
		wg.Wait()
		for j := range got {
			if errs[j] != nil || got[j] != 2 {
				t.Fatalf("repeat %d of message 2: count %d, %v; want 2", j, got[j], errs[j])
			}
		}
		if n, err := s.CountInbound(ctx, "msg-4", "zhangsan", now); err != nil || n != 4 {
			t.Fatalf("message 4 after the repeats: count %d, %v; want 4", n, err)
		}
		// Another sender has a count of their own.
		if n, err := s.CountInbound(ctx, "other-1", "lisi", now); err != nil || n != 1 {
			t.Fatalf("another sender: count %d, %v; want 1", n, err)
		}
		// Pruned after the window, a key is counted again (as a new message
		// of its minute); before, it is not.
		if _, err := s.PruneInboundRates(ctx, now.Add(-10*time.Minute), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountInbound(ctx, "msg-1", "zhangsan", now); n != 1 {
			t.Fatalf("message 1 before the prune: count %d, want 1", n)
		}
		later := now.Add(2 * time.Hour)
		if _, err := s.PruneInboundRates(ctx, later.Add(-10*time.Minute), later.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountInbound(ctx, "msg-1", "zhangsan", later); n != 1 {
			t.Fatalf("message 1 in a new minute after the prune: count %d, want 1", n)
		}
		if n, _ := s.CountInbound(ctx, "msg-5", "zhangsan", later); n != 2 {
			t.Fatalf("message 5: count %d, want 2 (message 1 counted again after its key was pruned)", n)
		}
	})
}

// Many new messages of one sender counted at once (one statement each on
// the sender's row) are all counted, each with a count of its own.
func TestCountInboundUnderConcurrency(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		t0 := time.Date(2023, 3, 1, 10, 0, 5, 0, modelstest.Shanghai)
		const workers, each = 8, 25
		var wg sync.WaitGroup
		seen := make(chan int, workers*each)
		errs := make(chan error, workers*each)
		var first sync.Map // key → count
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					n, err := s.CountInbound(ctx, fmt.Sprintf("flood-%d-%d", w, i), "flood", t0)
					if err != nil {
						errs <- err
						return
					}
					first.Store(fmt.Sprintf("flood-%d-%d", w, i), n)
					seen <- n
				}
			})
		}
		wg.Wait()
		close(seen)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got := map[int]bool{}
		for n := range seen {
			if got[n] {
				t.Fatalf("two messages both counted as number %d", n)
			}
			got[n] = true
		}
		for i := 1; i <= workers*each; i++ {
			if !got[i] {
				t.Fatalf("no message was counted as number %d of %d", i, workers*each)
			}
		}
		want, _ := first.Load("flood-3-7")
		if n, err := s.CountInbound(ctx, "flood-3-7", "flood", t0); err != nil || n != want.(int) {
			t.Fatalf("a repeat of a message: count %d, %v; want its own %d", n, err, want)
		}
		if n, err := s.CountInbound(ctx, "flood-new", "flood", t0); err != nil || n != workers*each+1 {
			t.Fatalf("a new message after the repeat: count %d, %v; want %d", n, err, workers*each+1)
		}
	})
}

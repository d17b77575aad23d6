package wecom

import (
	"context"
	"sync"
	"time"
)

// TokenStore keeps the access token where every replica can see it, so that
// several replicas share one token instead of each fetching its own: WeCom
// limits how often gettoken may be called and asks that the token be cached
// centrally. The lead's models package stores it in the database; MemoryTokens
// serves tests and a single process.
type TokenStore interface {
	// Token returns the stored token if it is still valid at now.
	Token(ctx context.Context, key string, now time.Time) (token string, ok bool, err error)
	// Refresh replaces the token, one caller across all replicas fetching
	// at a time, unless another replica already replaced stale meanwhile
	// (then it returns the newer stored one). fetch calls WeCom and may be
	// slow: no database lock or transaction may be held while it runs
	// (models.Tokens marks the row as refreshing and commits first). fetch
	// is called only when a refresh is really needed; the ttl it returns
	// already ends early enough to refresh before WeCom expires the token,
	// so a caller may go on using the old token while another refreshes.
	Refresh(ctx context.Context, key, stale string, now time.Time, fetch func(context.Context) (token string, ttl time.Duration, err error)) (string, error)
}

// MemoryTokens is a TokenStore held in memory: shared by the clients of one
// process, not across replicas. The zero value is not usable; call
// NewMemoryTokens.
type MemoryTokens struct {
	lock chan struct{} // the refresh lock; a channel so waiting honours ctx

	mu     sync.Mutex
	tokens map[string]memoryToken
}

type memoryToken struct {
	token   string
	expires time.Time
}

// NewMemoryTokens returns an empty in-memory token store.
func NewMemoryTokens() *MemoryTokens {
	return &MemoryTokens{lock: make(chan struct{}, 1), tokens: map[string]memoryToken{}}
}

// Token returns the stored token for key if it has not expired at now.
func (s *MemoryTokens) Token(_ context.Context, key string, now time.Time) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	if !ok || !now.Before(t.expires) {
		return "", false, nil
	}
	return t.token, true, nil
}

// Refresh fetches a new token for key unless the stored one is valid and is
// not stale, in which case another caller refreshed meanwhile and that token
// is returned. Only one refresh runs at a time.
func (s *MemoryTokens) Refresh(ctx context.Context, key, stale string, now time.Time, fetch func(context.Context) (string, time.Duration, error)) (string, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.lock }()

	if tok, ok, _ := s.Token(ctx, key, now); ok && tok != stale {
		return tok, nil
	}
	tok, ttl, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.tokens[key] = memoryToken{token: tok, expires: now.Add(ttl)}
	s.mu.Unlock()
	return tok, nil
}

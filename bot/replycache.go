package bot

import "sync"

// replyCache remembers the replies given to the latest callbacks, by dedupe
// key, so that WeCom's retries of a callback this process already answered
// cost no database work. It only ever holds committed replies, which never
// change, so it cannot disagree with the database.
type replyCache struct {
	mu   sync.Mutex
	max  int
	m    map[string]Reply
	ring []string
	next int
}

func newReplyCache(max int) *replyCache {
	return &replyCache{max: max, m: make(map[string]Reply, max), ring: make([]string, max)}
}

func (c *replyCache) get(key string) (Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[key]
	return r, ok
}

// put stores a reply, forgetting the oldest once full.
func (c *replyCache) put(key string, r Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.m, old)
	}
	c.ring[c.next] = key
	c.m[key] = r
	c.next = (c.next + 1) % c.max
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/models"
)

// maxDeliveries is how often WeCom delivers one callback at most: the first
// time and three retries.
const maxDeliveries = 4

// stats counts what the simulator sent and got back.
type stats struct {
	callbacks  atomic.Int64
	deliveries atomic.Int64
	mu         sync.Mutex
	replies    map[string]int // by kind of answer
	errors     map[string]int // by kind of error
	latencies  []time.Duration
	unanswered int // callbacks with no good answer after every delivery
	mismatch   []string
}

func newStats() *stats { return &stats{replies: map[string]int{}, errors: map[string]int{}} }

func (st *stats) reply(kind string, d time.Duration) {
	st.mu.Lock()
	st.replies[kind]++
	st.latencies = append(st.latencies, d)
	st.mu.Unlock()
}

func (st *stats) error(kind string) {
	st.mu.Lock()
	st.errors[kind]++
	st.mu.Unlock()
}

func (st *stats) percentile(p float64) time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.latencies) == 0 {
		return 0
	}
	l := slices.Clone(st.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// outcome is what one callback came to after all its deliveries.
type outcome struct {
	reply bot.Reply
	// ok: some delivery got a real answer (not an error, not 系统繁忙).
	ok bool
}

var (
	msgSeq  atomic.Int64
	httpCli = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
)

// text, image and click build inbound messages as WeCom would.
func textMsg(user, text string) bot.Message {
	return bot.Message{ID: strconv.FormatInt(7_000_000_000_000+msgSeq.Add(1), 10), UserID: user, AgentID: agentID,
		Kind: bot.KindText, Text: text, Time: time.Now()}
}

func imageMsg(user, mediaID string) bot.Message {
	return bot.Message{ID: strconv.FormatInt(7_000_000_000_000+msgSeq.Add(1), 10), UserID: user, AgentID: agentID,
		Kind: bot.KindImage, MediaID: mediaID, PicURL: "http://127.0.0.1/" + mediaID + ".jpg", Time: time.Now()}
}

func clickMsg(user, key, taskID, responseCode string) bot.Message {
	return bot.Message{UserID: user, AgentID: agentID, Kind: bot.KindEvent, Event: bot.EventTemplateCard,
		EventKey: key, TaskID: taskID, CardType: "button_interaction", ResponseCode: responseCode, Time: time.Now()}
}

// send delivers m like WeCom: 1 to 4 times (half the repeats at once,
// half staggered), to random replicas; when none of those got a good
// answer, again up to 4 deliveries in all, a few seconds apart. Every
// delivery carries the very same sealed body, as WeCom's retries do.
func (s *soak) send(ctx context.Context, m bot.Message) outcome {
	// People take a moment between messages; without it a few hundred
	// simulated officers would out-type a whole city in minutes and every
	// supervisor would hit WeCom's 30 messages a minute.
	time.Sleep(time.Duration(200+s.randInt(1300)) * time.Millisecond)
	m.Time = time.Now()
	s.stats.callbacks.Add(1)
	nonce := strconv.FormatInt(msgSeq.Add(1), 10)
	body, sig, err := s.crypto.SealInbound(wecomtest.EncodeInbound(m, corpID), m.Time, nonce)
	if err != nil {
		panic(err) // our own encoding: cannot fail
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {strconv.FormatInt(m.Time.Unix(), 10)}, "nonce": {nonce}}
	path := "/wecom/callback?" + q.Encode()

	planned := 1
	switch r := s.randInt(100); {
	case r < 15:
		planned = 4
	case r < 30:
		planned = 3
	case r < 55:
		planned = 2
	}
	together := s.chance(0.5)
	var mu sync.Mutex
	var good []bot.Reply
	var wg sync.WaitGroup
	one := func() {
		defer wg.Done()
		r, ok := s.deliverOnce(ctx, path, body)
		if ok {
			mu.Lock()
			good = append(good, r)
			mu.Unlock()
		}
	}
	for i := range planned {
		wg.Add(1)
		go one()
		if !together && i < planned-1 {
			time.Sleep(time.Duration(s.randInt(300)) * time.Millisecond)
		}
	}
	wg.Wait()
	for n := planned; len(good) == 0 && n < maxDeliveries && ctx.Err() == nil; n++ {
		time.Sleep(3 * time.Second) // WeCom's retries are seconds apart
		wg.Add(1)
		one()
	}
	if len(good) == 0 {
		s.stats.mu.Lock()
		s.stats.unanswered++
		s.stats.mu.Unlock()
		return outcome{}
	}
	for _, r := range good[1:] {
		if r != good[0] {
			s.stats.mu.Lock()
			s.stats.mismatch = append(s.stats.mismatch, fmt.Sprintf("%s %q: %q vs %q", m.UserID, m.Text+m.EventKey, good[0].Text, r.Text))
			s.stats.mu.Unlock()
		}
	}
	return outcome{reply: good[0], ok: true}
}

// deliverOnce posts the sealed callback to a random replica and reads the
// passive reply. ok means a real answer (possibly empty).
func (s *soak) deliverOnce(ctx context.Context, path string, body []byte) (bot.Reply, bool) {
	s.stats.deliveries.Add(1)
	r := s.reps[s.randInt(len(s.reps))]
	rctx, cancel := context.WithTimeout(ctx, s.o.clientLimit)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodPost, "http://"+r.addr+path, bytes.NewReader(body))
	t0 := time.Now()
	resp, err := httpCli.Do(req)
	if err != nil {
		s.stats.error(classify(err))
		return bot.Reply{}, false
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		s.stats.error(classify(err))
		return bot.Reply{}, false
	}
	if resp.StatusCode != http.StatusOK {
		s.stats.error(fmt.Sprintf("http %d", resp.StatusCode))
		return bot.Reply{}, false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		s.stats.reply("empty 200", d)
		return bot.Reply{}, true
	}
	plain, err := s.crypto.OpenReply(data)
	if err != nil {
		s.stats.error("reply not decryptable")
		return bot.Reply{}, false
	}
	reply, err := wecomtest.DecodeReply(plain)
	if err != nil {
		s.stats.error("reply not decodable")
		return bot.Reply{}, false
	}
	if reply.Text == models.InternalMessage {
		s.stats.reply("系统繁忙", d)
		return reply, false
	}
	s.stats.reply(replyKind(reply), d)
	return reply, true
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "EOF"), strings.Contains(err.Error(), "connection reset"):
		return "connection dropped"
	}
	return "other: " + err.Error()
}

// replyKind names a reply by what it says, for the figures.
func replyKind(r bot.Reply) string {
	t := r.Text
	for _, k := range []struct{ has, kind string }{
		{"已登记，编号", "已登记"}, {"已收到照片", "照片收到"}, {"请填写", "追问"}, {"请核对", "请核对"},
		{"已交办", "已交办"}, {"已接收", "已接收"}, {"已提交", "已提交整改"}, {"复查通过", "复查通过"},
		{"已退回", "已退回"}, {"状态：", "查询结果"}, {"情况小结", "统计"}, {"开始登记", "开始上报"},
	} {
		if strings.Contains(t, k.has) {
			return k.kind
		}
	}
	if t == "" && r.ButtonText != "" {
		return "按钮已更新"
	}
	return "其他回复"
}

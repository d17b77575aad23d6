package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/models"
)

// record is what the simulator knows of one hazard it reported: what was
// answered as done (ok) and what may or may not have happened because no
// delivery got an answer (maybe).
type record struct {
	title    string
	reporter *person
	unit     *unit
	number   string // from the 已登记 reply; "" when that reply never came
	seq      int

	mu           sync.Mutex
	created      bool // 已登记 answered
	createMaybe  bool // 确认 unanswered: the hazard may exist, at most once
	photosBefore int  // from the 已登记 reply
	photosAfter  int  // sum of 附照片k张 of answered 整改, plus one for each answered late photo
	photosMaybe  int  // after-photos unanswered: each may have joined the hazard
	state        models.State
	uncertain    bool // some change unanswered: the final state is not known
	ok, maybe    map[models.Action]int
}

func (r *record) done(a models.Action, next models.State) {
	r.mu.Lock()
	r.ok[a]++
	r.state = next
	r.mu.Unlock()
}

func (r *record) unsure(a models.Action) {
	r.mu.Lock()
	r.maybe[a]++
	r.uncertain = true
	r.mu.Unlock()
}

// ledger is every record, by title.
type ledger struct {
	mu      sync.Mutex
	records []*record
	refused []string // definitive answers that were not the expected success
	flows   atomic.Int64
	steps   map[string]int
}

func newLedger() *ledger { return &ledger{steps: map[string]int{}} }

func (l *ledger) add(r *record) {
	l.mu.Lock()
	l.records = append(l.records, r)
	l.mu.Unlock()
}

// byNumber returns the record of the hazard numbered num, or nil.
func (l *ledger) byNumber(num string) *record {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		r.mu.Lock()
		n := r.number
		r.mu.Unlock()
		if n == num {
			return r
		}
	}
	return nil
}

func (l *ledger) refuse(who, sent, got string) {
	l.mu.Lock()
	if len(l.refused) < 1000 {
		l.refused = append(l.refused, fmt.Sprintf("%s %q → %q", who, sent, got))
	}
	l.mu.Unlock()
}

func (l *ledger) step(name string) {
	l.mu.Lock()
	l.steps[name]++
	l.mu.Unlock()
}

var (
	reNumber      = regexp.MustCompile(`已登记，编号 (YH\d{4}-\d+)`)
	rePhotos      = regexp.MustCompile(`（照片(\d+)张）`)
	reAfterPhotos = regexp.MustCompile(`附照片(\d+)张`)
	// A photo sent within ten minutes of a 整改 joins it (bot/evidence.go).
	// The count is that 整改's photos, not the hazard's (ledger.latePhoto).
	reLatePhoto = regexp.MustCompile(`补充到 (YH\d+-\d+) 最近一次的整改（这次整改照片共\d+张）`)
	reAsk       = regexp.MustCompile(`请填写([^，,：:]+)[，,]`)
)

// cards indexes the template cards the fake WeCom API accepted by title,
// so a simulated contact can click the one they got.
type cards struct {
	mu sync.Mutex
	m  map[string]wecomtest.FakeMessage
}

func (c *cards) seen(m wecomtest.FakeMessage) {
	if m.MsgType != "template_card" {
		return
	}
	c.mu.Lock()
	if _, ok := c.m[m.Text]; !ok {
		c.m[m.Text] = m
	}
	c.mu.Unlock()
}

func (c *cards) wait(ctx context.Context, title string, limit time.Duration) (wecomtest.FakeMessage, bool) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c.mu.Lock()
		m, ok := c.m[title]
		c.mu.Unlock()
		if ok {
			return m, true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return wecomtest.FakeMessage{}, false
}

// drive runs the conversations for -duration while the faults happen, and
// returns when every conversation has ended.
func (s *soak) drive(ctx context.Context) error {
	s.started = time.Now()
	cs := &cards{m: map[string]wecomtest.FakeMessage{}}
	cancelSub := s.fake.Subscribe(cs.seen)
	defer cancelSub()
	runCtx, stop := context.WithTimeout(ctx, s.o.duration)
	defer stop()

	var faultsDone sync.WaitGroup
	faultsDone.Add(1)
	go func() { defer faultsDone.Done(); s.runFaults(runCtx) }()

	// Photos are registered with the fake before anyone sends them.
	img := []byte("\xff\xd8\xff\xe0soak-photo-jpeg-bytes")
	var mediaSeq atomic.Int64
	media := func() string {
		id := fmt.Sprintf("soak-media-%d", mediaSeq.Add(1))
		s.fake.AddMedia(id, "image/jpeg", img)
		return id
	}

	fmt.Printf("soak: driving %d conversations for %s (kill=%v db-fault=%v wecom-fault=%v)\n",
		s.o.workers, s.o.duration, s.o.kill, s.o.dbFault, s.o.wecomFault)
	var wg sync.WaitGroup
	var next atomic.Int64
	progress := time.NewTicker(15 * time.Second)
	defer progress.Stop()
	go func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case <-progress.C:
				fmt.Printf("soak: %3.0fs: %d conversations, %d callbacks, %d deliveries\n", time.Since(s.started).Seconds(),
					s.ledger.flows.Load(), s.stats.callbacks.Load(), s.stats.deliveries.Load())
			}
		}
	}()
	for w := range s.o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= s.o.maxFlows {
					return
				}
				s.ledger.flows.Add(1)
				// Every conversation finishes what it started even after the
				// time is up (bounded: at most a dozen callbacks), so no
				// hazard is left half-driven by the clock.
				s.flow(context.WithoutCancel(runCtx), i, w, cs, media)
			}
		}()
	}
	wg.Wait()
	faultsDone.Wait()
	fmt.Printf("soak: traffic done after %.0fs: %d conversations\n", time.Since(s.started).Seconds(), s.ledger.flows.Load())
	return nil
}

// flow is one hazard's life, as far as chance takes it: a report (one-shot
// or guided, with or without photos), queries, 交办, a card click to
// accept, 整改 with photos, 复查 退回 and again, 复查 通过, and 统计 asked
// on the side. It stops at the first refusal or unanswered change, since
// the hazard's state is then not known.
func (s *soak) flow(ctx context.Context, i, w int, cs *cards, media func() string) {
	inspector := s.dir.inspectors[(i*7+w)%len(s.dir.inspectors)]
	rec := &record{title: fmt.Sprintf("浸泡隐患%d-%06d", s.o.seed%100000, i), reporter: inspector,
		ok: map[models.Action]int{}, maybe: map[models.Action]int{}}
	local := s.dir.unitsIn(inspector.region)
	if s.chance(0.5) {
		rec.unit = local[s.randInt(len(local))]
	}
	photos := 0
	if s.chance(0.5) {
		photos = 1 + s.randInt(3)
	}
	if !s.report(ctx, inspector, rec, photos, media) {
		return
	}
	s.sideTraffic(ctx, rec)
	stopAt := s.randInt(100)
	if stopAt < 10 {
		return
	}
	sups := s.dir.supervisors[inspector.region]
	sup := func() *person { return sups[s.randInt(len(sups))] }
	if rec.state == models.StateReported {
		rec.unit = local[s.randInt(len(local))]
		if !s.change(ctx, sup(), rec, fmt.Sprintf("交办 %d %s 30天", rec.seq, rec.unit.name), "已交办", models.ActAssign, models.StateRectifying) {
			return
		}
	}
	if stopAt < 20 {
		return
	}
	if !s.accept(ctx, rec, cs) || stopAt < 30 {
		return
	}
	rounds := 1
	if s.chance(0.3) {
		rounds = 2
	}
	for round := 1; round <= rounds; round++ {
		if !s.rectify(ctx, rec, media, round) {
			return
		}
		s.sideTraffic(ctx, rec)
		if stopAt < 40 {
			return
		}
		if round < rounds {
			if !s.change(ctx, sup(), rec, fmt.Sprintf("复查 %d 退回 第%d次整改照片不清楚", rec.seq, round), "已退回", models.ActReject, models.StateRectifying) {
				return
			}
			continue
		}
		s.change(ctx, sup(), rec, fmt.Sprintf("复查 %d 通过", rec.seq), "复查通过", models.ActPass, models.StateClosed)
	}
}

// report files rec: one-shot or guided, photos meanwhile, then 确认.
func (s *soak) report(ctx context.Context, p *person, rec *record, photos int, media func() string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	unitName := "待定"
	if rec.unit != nil {
		unitName = rec.unit.name
	}
	answers := map[string]string{"重点隐患": rec.title, "隐患内容": rec.title + "：楼道堆放杂物，堵塞疏散通道", "县市区": regionName(p.region),
		"行业领域": "消防", "检查的企业或场所": "人民南路12号住宅楼", "责任单位": unitName, "整改时限": "30天"}
	say := func(text string) (outcome, bool) {
		out := s.send(ctx, textMsg(p.id, text))
		if !out.ok {
			s.ledger.step("上报未获答复，放弃本次")
			return out, false
		}
		return out, true
	}
	var out outcome
	var ok bool
	guided := s.chance(0.5)
	if guided {
		s.ledger.step("引导上报")
		out, ok = say("上报")
	} else {
		s.ledger.step("一次性上报")
		out, ok = say(fmt.Sprintf("上报\n隐患：%s\n内容：%s\n区域：%s\n行业：消防\n单位：%s\n时限：30天", rec.title, answers["隐患内容"], regionName(p.region), unitName))
	}
	if !ok {
		s.abandon(ctx, p)
		return false
	}
	for range photos {
		s.ledger.step("照片")
		po := s.send(ctx, imageMsg(p.id, media()))
		if !po.ok {
			s.abandon(ctx, p)
			return false
		}
	}
	for range 10 {
		if strings.Contains(out.reply.Text, "请核对") {
			break
		}
		if strings.Contains(out.reply.Text, "是否已当场整改") {
			if out, ok = say("否"); !ok { // a hazard to be rectified, not one fixed on the spot
				s.abandon(ctx, p)
				return false
			}
			continue
		}
		m := reAsk.FindStringSubmatch(out.reply.Text)
		if m == nil {
			s.ledger.refuse(p.id, "(引导上报)", out.reply.Text)
			s.abandon(ctx, p)
			return false
		}
		a, known := answers[m[1]]
		if !known {
			s.ledger.refuse(p.id, "(引导上报：未知的提问 "+m[1]+")", out.reply.Text)
			s.abandon(ctx, p)
			return false
		}
		if out, ok = say(a); !ok {
			s.abandon(ctx, p)
			return false
		}
	}
	s.ledger.step("确认")
	out = s.send(ctx, textMsg(p.id, "确认"))
	if out.ok && strings.Contains(out.reply.Text, "重复：回复 合并") {
		// Another hazard of the same unit with a similar title is open
		// (the soak's titles are alike): this one is a new hazard.
		s.ledger.step("继续（非重复）")
		out = s.send(ctx, textMsg(p.id, "继续"))
	}
	if !out.ok {
		rec.createMaybe = true
		s.ledger.add(rec)
		return false
	}
	m := reNumber.FindStringSubmatch(out.reply.Text)
	if m == nil {
		s.ledger.refuse(p.id, "确认", out.reply.Text)
		s.ledger.add(rec) // must then not exist
		return false
	}
	rec.number, rec.created = m[1], true
	rec.seq, _ = strconv.Atoi(m[1][strings.Index(m[1], "-")+1:])
	if pm := rePhotos.FindStringSubmatch(out.reply.Text); pm != nil {
		rec.photosBefore, _ = strconv.Atoi(pm[1])
	}
	rec.ok[models.ActReport] = 1
	rec.state = models.StateReported
	if rec.unit != nil {
		rec.state = models.StateRectifying
	}
	s.ledger.add(rec)
	return true
}

// abandon drops a draft whose state is unknown, so the next report of this
// inspector starts clean.
func (s *soak) abandon(ctx context.Context, p *person) {
	for range 3 {
		if s.send(ctx, textMsg(p.id, "取消")).ok {
			return
		}
	}
}

// change sends one state-changing command and records the answer.
func (s *soak) change(ctx context.Context, p *person, rec *record, text, want string, a models.Action, next models.State) bool {
	s.ledger.step(string(a))
	p.mu.Lock()
	out := s.send(ctx, textMsg(p.id, text))
	p.mu.Unlock()
	switch {
	case !out.ok:
		rec.unsure(a)
		return false
	case !strings.Contains(out.reply.Text, want):
		s.ledger.refuse(p.id, text, out.reply.Text)
		return false
	}
	rec.done(a, next)
	return true
}

// accept clicks 接收 on the assignment card the contact got; when the card
// does not arrive in time (WeCom down), the contact types 接收 N instead.
func (s *soak) accept(ctx context.Context, rec *record, cs *cards) bool {
	c := rec.unit.contact
	card, ok := cs.wait(ctx, "隐患整改交办 "+rec.number, 30*time.Second)
	if !ok {
		s.ledger.step("接收（卡片未到，打字）")
		return s.change(ctx, c, rec, fmt.Sprintf("接收 %d", rec.seq), "已接收", models.ActAccept, models.StateRectifying)
	}
	s.ledger.step("accept（卡片按钮）")
	taskID, _ := card.Body["template_card"].(map[string]any)["task_id"].(string)
	c.mu.Lock()
	out := s.send(ctx, clickMsg(c.id, "accept:"+rec.number, taskID, card.ResponseCode))
	c.mu.Unlock()
	switch {
	case !out.ok:
		rec.unsure(models.ActAccept)
		return false
	case !strings.Contains(out.reply.ButtonText, "已接收"):
		s.ledger.refuse(c.id, "click accept:"+rec.number, out.reply.ButtonText+" / "+out.reply.Text)
		return false
	}
	rec.done(models.ActAccept, models.StateRectifying)
	return true
}

// rectify sends 0–2 after-photos and 整改 N 措施 as the unit's contact.
func (s *soak) rectify(ctx context.Context, rec *record, media func() string, round int) bool {
	c := rec.unit.contact
	s.ledger.step(string(models.ActSubmit))
	c.mu.Lock()
	defer c.mu.Unlock()
	for range s.randInt(3) {
		s.ledger.step("照片")
		out := s.send(ctx, imageMsg(c.id, media()))
		if !out.ok {
			// The photo may be pending; the 整改 below adopts it and says
			// how many it attached — or it joined the last 整改 late.
			s.ledger.step("照片未获答复")
			// It may also have joined any of the contact's hazards late.
			s.ledger.mu.Lock()
			for _, r := range s.ledger.records {
				if r.unit != nil && r.unit.contact == c {
					r.mu.Lock()
					r.photosMaybe++
					r.mu.Unlock()
				}
			}
			s.ledger.mu.Unlock()
			continue
		}
		s.ledger.latePhoto(out.reply.Text)
	}
	text := fmt.Sprintf("整改 %d 第%d次：已清理楼道杂物，疏散通道畅通", rec.seq, round)
	out := s.send(ctx, textMsg(c.id, text))
	switch {
	case !out.ok:
		rec.unsure(models.ActSubmit)
		return false
	case !strings.Contains(out.reply.Text, "已提交"):
		s.ledger.refuse(c.id, text, out.reply.Text)
		return false
	}
	n := 0
	if m := reAfterPhotos.FindStringSubmatch(out.reply.Text); m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	rec.mu.Lock()
	rec.photosAfter += n
	rec.mu.Unlock()
	rec.done(models.ActSubmit, models.StatePendingReview)
	return true
}

// latePhoto credits an answered photo that joined the contact's last 整改
// late (within ten minutes): that hazard's, which may be another than the
// one being rectified now. Each such answer is one photo. The 共N张 it gives
// counts the photos of that 整改 only (bot/evidence.go: the submission's
// photos), not the hazard's after-photos of every round: after a 退回 and a
// second 整改 the hazard holds the first round's photos as well, so N is
// not the record's total.
func (l *ledger) latePhoto(reply string) {
	m := reLatePhoto.FindStringSubmatch(reply)
	if m == nil {
		return
	}
	if r := l.byNumber(m[1]); r != nil {
		r.mu.Lock()
		r.photosAfter++
		r.mu.Unlock()
	}
}

// sideTraffic is what people ask meanwhile: the reporter's 查询, a leader's
// or supervisor's 统计. Reads change nothing, so only their answers count.
func (s *soak) sideTraffic(ctx context.Context, rec *record) {
	if s.chance(0.5) {
		p := rec.reporter
		s.ledger.step("查询")
		p.mu.Lock()
		out := s.send(ctx, textMsg(p.id, fmt.Sprintf("查询 %d", rec.seq)))
		p.mu.Unlock()
		if out.ok && !strings.Contains(out.reply.Text, rec.number) {
			s.ledger.refuse(p.id, "查询", out.reply.Text)
		}
	}
	if s.chance(0.15) {
		v := s.dir.viewers[s.randInt(len(s.dir.viewers))]
		s.ledger.step("统计")
		s.send(ctx, textMsg(v.id, "统计"))
	}
}

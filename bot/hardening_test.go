package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// An attacker outside the directory sends a one-shot report naming a unit:
// the report waits for the county's supervisor, and no assignment card
// goes to anyone.
func TestStrangerCannotAssignByReporting(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("mallory", "上报\n隐患：虚假隐患\n内容：随便写的\n行业：燃气\n单位：茅箭区安委会\n时限：3月5日", "请核对", "责任单位：茅箭区安委会")
		c.expect("mallory", "确认", "已登记，编号 YH2023-0001", "由督办员核实后交办")
		h := c.hazard("1")
		if h.State != models.StateReported || h.UnitID != nil {
			t.Fatalf("stranger's report: state %s unit %v, want 待交办 with no unit", h.State, h.UnitID)
		}
		for _, m := range c.outbox() {
			if m.Kind == bot.OutCard {
				t.Fatalf("a card went out for a stranger's report: %+v", m)
			}
		}
		msgs := c.to("wangwu")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "新上报隐患待交办：YH2023-0001") || !strings.Contains(msgs[0].Text, "上报人所指责任单位：茅箭区安委会") {
			t.Fatalf("茅箭's supervisor was told %+v", msgs)
		}
		if len(c.to("zhouba")) != 0 || len(c.to("zhengshiyi")) != 0 {
			t.Fatal("someone other than the county's supervisor was told")
		}
		// It does not count for the unit: 茅箭's ranking and mine see no
		// assigned item.
		c.expect("qianjiu", "我的", "没有待办")
		// The supervisor assigns it within the county; another county's
		// unit is refused.
		c.expect("wangwu", "交办 1 张湾区应急管理局 3月20日", "不在你单位（茅箭区）的管辖范围内")
		c.expect("wangwu", "交办 1 茅箭区应急管理局 3月20日", "已交办")
		if h := c.hazard("1"); h.State != models.StateRectifying {
			t.Fatalf("after assignment: %s", h.State)
		}
	})
}

// One sender floods the bot from two replicas, each message delivered to
// both (a WeCom retry): the first 20 messages of the
// minute are handled, the 21st is told once to slow down, the rest do
// nothing, others are served meanwhile, and the next minute is open again.
func TestFloodingSenderIsLimitedAcrossReplicas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.b = bot.New(s, config.Default(), nil)
		other := bot.New(s, config.Default(), nil) // a second replica
		limit := config.Default().Dialogue.PerSenderPerMinute
		if limit != 20 {
			t.Fatalf("default limit %d, want 20", limit)
		}
		var replies []string
		for i := range limit + 5 {
			b := c.b
			if i%2 == 1 {
				b = other
			}
			msg := bot.Message{ID: fmt.Sprintf("flood-%d", i), UserID: "zhangsan", Kind: bot.KindText, Text: "上报\n隐患：刷屏" + strconv.Itoa(i) + "\n内容：x\n区域：茅箭区\n行业：燃气\n单位：待定\n时限：3月20日", Time: c.clock.Now()}
			r, err := b.Handle(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			replies = append(replies, r.Text)
			// WeCom retries the message on the other replica: the same
			// message, counted once, answered as the first delivery was.
			retryOn := other
			if b == other {
				retryOn = c.b
			}
			again, err := retryOn.Handle(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if again.Text != r.Text {
				t.Fatalf("message %d: the retry on the other replica got %q, the first delivery %q", i+1, again.Text, r.Text)
			}
			if i == 3 {
				// Someone else is answered at once in the middle of it.
				c.expect("wushi", "帮助", "上报 —— ", "统计 [时间]")
			}
		}
		for i, r := range replies[:limit] {
			if !strings.Contains(r, "请核对") && !strings.Contains(r, "草稿") {
				t.Fatalf("message %d within the limit got %q", i+1, r)
			}
		}
		if replies[limit] != "发送太频繁，请稍后再试" {
			t.Fatalf("message %d got %q, want the slow-down notice", limit+1, replies[limit])
		}
		for i, r := range replies[limit+1:] {
			if r != "" {
				t.Fatalf("message %d over the limit got %q, want silence", limit+2+i, r)
			}
		}
		// A retry of the refused message (same MsgId) gets the same answer.
		r, _ := c.b.Handle(ctx, bot.Message{ID: fmt.Sprintf("flood-%d", limit), UserID: "zhangsan", Kind: bot.KindText, Text: "x"})
		if r.Text != "发送太频繁，请稍后再试" {
			t.Fatalf("retry of the refused message: %q", r.Text)
		}
		c.clock.Add(time.Minute)
		c.expect("zhangsan", "取消", "已取消")
	})
}

// A stranger sends 25 photos in a draft: the 21st and later are refused
// with a reply, and the draft holds 20.
func TestDraftPhotosAreCappedAndPruned(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.b = bot.New(s, config.Default(), nil)
		c.expect("zhangsan", "上报", "请填写重点隐患")
		for i := range 20 {
			c.clock.Add(4 * time.Second) // stay within the inbound limit
			if got := c.photo("zhangsan", fmt.Sprintf("m%d", i)); !strings.Contains(got, fmt.Sprintf("本次上报共%d张", i+1)) {
				t.Fatalf("photo %d: %s", i+1, got)
			}
		}
		c.clock.Add(time.Minute)
		got := c.photo("zhangsan", "m21")
		if got != "这份上报已有20张照片，最多20张，这张没有保存。请发“确认”提交，或发“取消”重新开始。" {
			t.Fatalf("21st photo: %q", got)
		}
		if n := draftPhotos(t, s, "zhangsan"); n != 20 {
			t.Fatalf("draft holds %d photos, want 20", n)
		}
		// A kept draft keeps its photos through the sweep; photos that
		// joined nothing and belong to no draft go after three days.
		c.photo("lisi", "loose")
		c.clock.Add(4 * 24 * time.Hour)
		if err := c.b.Housekeeping(ctx); err != nil {
			t.Fatal(err)
		}
		if n := draftPhotos(t, s, "zhangsan"); n != 20 {
			t.Fatalf("the kept draft has %d photos after the sweep, want 20", n)
		}
		if n := draftPhotos(t, s, "lisi"); n != 0 {
			t.Fatalf("loose photos after the sweep: %d, want 0", n)
		}
		c.expect("zhangsan", "取消", "已取消")
		if n := draftPhotos(t, s, "zhangsan"); n != 0 {
			t.Fatalf("a cancelled draft left %d photos", n)
		}
	})
}

func draftPhotos(t *testing.T, s *models.Store, user string) int64 {
	t.Helper()
	var n int64
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		n, err = tx.DraftPhotos(user)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// WeCom delivers one write command to two replicas at once (a retry that
// reached another process): one hazard, the same reply from both, and its
// notices queued once.
func TestSameWriteCommandOnTwoReplicas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		replicas := []*bot.Bot{bot.New(s, config.Default(), nil), bot.New(s, config.Default(), nil)}
		m := bot.Message{ID: "7000000000001", UserID: "zhangsan", Kind: bot.KindText, Time: c.clock.Now(),
			Text: "上报\n隐患：液化气钢瓶违规存放\n内容：地下室存放钢瓶3个\n区域：茅箭区\n行业：燃气\n单位：十堰市某燃气有限公司（示例）\n时限：3月10日"}
		// The one-shot report asks for confirmation; 确认 is the write.
		if r := c.send(m); !strings.Contains(r.Text, "请核对") {
			t.Fatalf("report: %q", r.Text)
		}
		confirm := bot.Message{ID: "7000000000002", UserID: "zhangsan", Kind: bot.KindText, Text: "确认", Time: c.clock.Now()}
		replies := make([]bot.Reply, 2)
		errs := make([]error, 2)
		done := make(chan int)
		for i, b := range replicas {
			go func() { replies[i], errs[i] = b.Handle(ctx, confirm); done <- i }()
		}
		<-done
		<-done
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if replies[0] != replies[1] || !strings.Contains(replies[0].Text, "已登记，编号 YH2023-0001") {
			t.Fatalf("replies %q / %q, want the same registration from both", replies[0].Text, replies[1].Text)
		}
		var hazards int64
		s.DB.Model(&models.Hazard{}).Count(&hazards)
		if hazards != 1 {
			t.Fatalf("%d hazards, want 1", hazards)
		}
		cards := 0
		for _, o := range c.to("lisi") {
			if o.Kind == bot.OutCard {
				cards++
			}
		}
		if cards != 1 || len(c.outbox()) != 1 {
			t.Fatalf("outbox %d rows (%d cards to the unit), want one assignment card", len(c.outbox()), cards)
		}
		// And once more, after both answered: still the stored reply, nothing new.
		again, err := replicas[1].Handle(ctx, confirm)
		if err != nil || again != replies[0] || len(c.outbox()) != 1 {
			t.Fatalf("a late redelivery: %q %v, outbox %d", again.Text, err, len(c.outbox()))
		}
		// A third replica remembers nothing: it runs the step again (on a
		// ledger where the draft is gone), finds the message recorded when
		// it stores its reply, rolls back and answers as the first did.
		third := bot.New(s, config.Default(), nil)
		again, err = third.Handle(ctx, confirm)
		s.DB.Model(&models.Hazard{}).Count(&hazards)
		if err != nil || again != replies[0] || len(c.outbox()) != 1 || hazards != 1 {
			t.Fatalf("a redelivery to a third replica: %q %v, outbox %d, %d hazards", again.Text, err, len(c.outbox()), hazards)
		}
		// The same holds for a draft step: a redelivered one-shot 上报 does
		// not start a second draft over the (now empty) dialogue.
		var dialogues int64
		again, err = third.Handle(ctx, m)
		s.DB.Table("dialogues").Where("userid = ?", "zhangsan").Count(&dialogues)
		if err != nil || !strings.Contains(again.Text, "请核对") || dialogues != 0 {
			t.Fatalf("the report redelivered after its 确认: %q %v, %d dialogues (want the stored reply and none)", again.Text, err, dialogues)
		}
	})
}

// 茅箭's inspector reports naming 张湾's bureau, in one shot and in the
// guided dialogue: naming a unit is an implicit 交办, and beyond the
// reporter's scope it waits as 待交办 for the supervisors who answer for it
// (张湾's), the reporter told so; no card goes to 张湾's bureau. A unit
// inside the scope still goes straight to 整改中, and a city-level
// reporter may name any unit.
func TestReportNamingAUnitOutsideTheReportersScope(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		c.expect("zhangsan", "上报\n隐患：加油站罐区未设防火堤\n内容：张湾区某加油站罐区无防火堤\n行业：其他\n单位：张湾区应急管理局\n时限：3月20日", "请核对", "责任单位：张湾区应急管理局")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0001", "所填单位（张湾区应急管理局）不在您的辖区，已转张湾区督办员交办。")
		h := c.hazard("1")
		if h.State != models.StateReported || h.UnitID != nil {
			t.Fatalf("one-shot: state %s unit %v, want 待交办 with no unit", h.State, h.UnitID)
		}
		if evs := c.events(h); len(evs) != 1 || !strings.Contains(evs[0].Note, "上报人所指责任单位：张湾区应急管理局（不在上报人辖区") {
			t.Fatalf("report event %+v: want the named unit on its note", evs)
		}
		for _, m := range c.outbox() {
			if m.Kind == bot.OutCard {
				t.Fatalf("an assignment card went out: %+v", m)
			}
		}
		if msgs := c.to("zhengshiyi"); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "新上报隐患待交办：YH2023-0001") {
			t.Fatalf("张湾's supervisor was told %+v", msgs)
		}
		if len(c.to("wangwu")) != 0 {
			t.Fatal("茅箭's supervisor was told of 张湾's report")
		}
		// 张湾's supervisor assigns it in their county.
		c.expect("zhengshiyi", "交办 1 张湾区应急管理局 3月20日", "已交办")

		// The guided dialogue, naming the unit when asked.
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.expect("zhangsan", "汽修厂喷漆房无通风", "请填写隐患内容")
		c.expect("zhangsan", "喷漆房无机械通风", "请填写县市区")
		c.expect("zhangsan", "张湾", "请填写行业领域")
		c.expect("zhangsan", "工贸", "请填写检查的企业或场所")
		c.expect("zhangsan", "跳过", "是否已当场整改")
		c.expect("zhangsan", "否", "请填写责任单位")
		c.expect("zhangsan", "十堰市某汽车零部件有限公司（示例）", "请填写整改时限")
		c.expect("zhangsan", "3月25日", "请核对")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0002", "所填单位（十堰市某汽车零部件有限公司（示例））不在您的辖区，已转张湾区督办员交办。")
		if h := c.hazard("2"); h.State != models.StateReported || h.UnitID != nil {
			t.Fatalf("guided: state %s unit %v, want 待交办 with no unit", h.State, h.UnitID)
		}

		// Inside the scope: straight to 整改中, as before.
		c.expect("zhangsan", "上报\n隐患：商场疏散通道堵塞\n内容：地下一层通道堆放杂物\n行业：消防\n单位：茅箭区某商业综合体（示例）\n时限：3月20日", "请核对")
		c.expect("zhangsan", "确认", "已登记，编号 YH2023-0003", "已交办茅箭区某商业综合体（示例）")
		if h := c.hazard("3"); h.State != models.StateRectifying {
			t.Fatalf("inside the scope: %s", h.State)
		}
		// A city-level reporter (the gas committee's supervisor) may name
		// any unit.
		c.expect("fengshier", "上报\n隐患：加油站卸油口无静电接地\n内容：卸油口静电接地线断开\n区域：张湾区\n行业：燃气\n单位：张湾区某加油站（示例）\n时限：3月20日", "请核对")
		c.expect("fengshier", "确认", "已登记，编号 YH2023-0004", "已交办张湾区某加油站（示例）")
		if h := c.hazard("4"); h.State != models.StateRectifying {
			t.Fatalf("a city-level reporter: %s", h.State)
		}
	})
}

// fakeMedia is a WeCom media download: a few bytes for any media id, and
// an optional hook run mid-download (to change things while it happens).
type fakeMedia struct{ during func(mediaID string) }

func (f *fakeMedia) DownloadMedia(ctx context.Context, mediaID string, w io.Writer) (string, error) {
	if f.during != nil {
		f.during(mediaID)
	}
	_, err := io.WriteString(w, "jpeg of "+mediaID)
	return "image/jpeg", err
}

// flakyFiles fails the next failDeletes deletes, as a storage that does
// not answer.
type flakyFiles struct {
	bot.Files
	failDeletes int
}

func (f *flakyFiles) Delete(ctx context.Context, name string) error {
	if f.failDeletes > 0 {
		f.failDeletes--
		return errors.New("storage down")
	}
	return f.Files.Delete(ctx, name)
}

// Photos pruned or dropped take their stored files (and thumbnails) with
// them, after the commit; a delete that fails is tried again by the
// housekeeping; a photo that joined a hazard keeps its file; a photo whose
// draft went while it was being fetched leaves no file behind.
func TestPrunedPhotosLoseTheirFiles(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		files := &flakyFiles{Files: c.files}
		c.b = bot.New(s, chatConfig(), nil, bot.WithFiles(files))
		dl := &fakeMedia{}
		fetch := func() {
			t.Helper()
			if _, err := c.b.FetchPhotos(ctx, dl, files); err != nil {
				t.Fatal(err)
			}
		}
		paths := func(user string) (out []string) {
			t.Helper()
			var list []models.Attachment
			if err := s.DB.Where("uploader_id = ?", user).Order("id").Find(&list).Error; err != nil {
				t.Fatal(err)
			}
			for _, a := range list {
				if a.Path == "" {
					t.Fatalf("photo %d was not fetched", a.ID)
				}
				out = append(append(out, a.Path), models.ThumbNames(a.ID)...)
			}
			return out
		}
		exists := func(name string) bool {
			_, err := os.Stat(filepath.Join(c.files.Dir, filepath.FromSlash(name)))
			return err == nil
		}
		pending := func() int64 {
			var n int64
			s.DB.Table("file_deletions").Count(&n)
			return n
		}
		// A draft with two photos, fetched, one with a thumbnail (as the
		// H5 pages make them).
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.photo("zhangsan", "d1")
		c.photo("zhangsan", "d2")
		fetch()
		drafts := paths("zhangsan")
		for _, name := range drafts {
			if _, err := c.files.Put(ctx, name, "image/jpeg", strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
		}
		// Cancelled: rows and files go together.
		c.expect("zhangsan", "取消", "已取消")
		for _, name := range drafts {
			if exists(name) {
				t.Fatalf("%s outlived its cancelled draft", name)
			}
		}
		if n := pending(); n != 0 {
			t.Fatalf("%d deletions still recorded after they succeeded", n)
		}

		// Loose photos pruned after three days, while the storage fails
		// once: the file that could not be deleted stays recorded and
		// goes with the next housekeeping.
		c.photo("lisi", "loose1")
		c.photo("lisi", "loose2")
		fetch()
		loose := paths("lisi")
		// A photo that joins a hazard keeps its file through every prune.
		c.photo("wangwu", "kept")
		c.expect("wangwu", "上报\n隐患：留存照片\n内容：x\n区域：茅箭区\n行业：燃气\n单位：待定\n时限：3月20日", "请核对")
		c.expect("wangwu", "确认", "已登记")
		fetch()
		kept := paths("wangwu")
		c.clock.Add(4 * 24 * time.Hour)
		files.failDeletes = 1
		if err := c.b.Housekeeping(ctx); err != nil {
			t.Fatal(err)
		}
		var left int
		for _, name := range loose {
			if exists(name) {
				left++
			}
		}
		if left != 1 || pending() != 1 {
			t.Fatalf("after a failed delete: %d files left, %d recorded; want the failed one left and recorded", left, pending())
		}
		c.clock.Add(5 * time.Minute)
		if err := c.b.Housekeeping(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range loose {
			if exists(name) {
				t.Fatalf("%s still there after the retry", name)
			}
		}
		if n := pending(); n != 0 {
			t.Fatalf("%d deletions recorded after the retry", n)
		}
		if !exists(kept[0]) {
			t.Fatalf("the photo of a hazard lost its file %s", kept[0])
		}
		var count int64
		s.DB.Model(&models.Attachment{}).Where("path = ?", kept[0]).Count(&count)
		if count != 1 {
			t.Fatal("the hazard's photo row is gone")
		}

		// A draft cancelled while its photo is being fetched: the fetched
		// file is deleted, not left behind.
		c.expect("zhangsan", "上报", "请填写重点隐患")
		c.photo("zhangsan", "racing")
		dl.during = func(string) { c.expect("zhangsan", "取消", "已取消") }
		fetch()
		dl.during = nil
		entries, _ := os.ReadDir(filepath.Join(c.files.Dir, "photos"))
		var all []string
		filepath.WalkDir(filepath.Join(c.files.Dir, "photos"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		if len(all) != 1 || !strings.HasSuffix(all[0], filepath.Base(kept[0])) {
			t.Fatalf("photo files left: %v (dirs %d), want only the hazard's", all, len(entries))
		}
		if n := pending(); n != 0 {
			t.Fatalf("%d deletions recorded after the race", n)
		}
	})
}

// A county's admin imports a ledger whose rows name another county's
// units: an import records assignments the ledger's offices made before,
// so the rows keep their units (in 整改中), unlike a report of theirs.
func TestImportKeepsUnitsOutsideTheImportersScope(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		c := newChat(t, s)
		if err := s.InTx(ctx, func(tx *models.Tx) error {
			_, err := tx.ImportDirectory(models.DirectoryInput{Users: []models.UserSpec{{UserID: "mjadmin", Name: "茅箭管理员", Unit: "maojian", Roles: []string{"admin"}}}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		res := readLedger(t, ledgerHeader+"1,加油站罐区无防火堤,罐区未设防火堤,2023年2月20日,修建防火堤,张湾区某加油站（示例）,张湾区,,2023年3月20日,\n")
		li, err := c.b.ImportLedger(ctx, "mjadmin", res, false)
		if err != nil || li.Created != 1 {
			t.Fatalf("import = %+v, %v", li, err)
		}
		h := c.hazard("1")
		if h.State != models.StateRectifying || h.UnitID == nil || c.unitOf(h).Name != "张湾区某加油站（示例）" {
			t.Fatalf("imported row: state %s unit %v, want 整改中 with 张湾's unit", h.State, h.UnitID)
		}
		// The same admin reporting it in chat is held to the scope.
		c.expect("mjadmin", "上报\n隐患：加油站卸油口无接地\n内容：x\n行业：其他\n单位：张湾区某加油站（示例）\n时限：3月20日", "请核对")
		c.expect("mjadmin", "确认", "不在您的辖区，已转张湾区督办员交办")
	})
}

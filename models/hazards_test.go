package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hazardbot/models"
	"hazardbot/models/modelstest"
)

var ctx = context.Background()

// day2023 is a clock inside the 2023 spring offensive, 10:00 Shanghai time.
func day2023(month time.Month, day int) time.Time {
	return time.Date(2023, month, day, 10, 0, 0, 0, modelstest.Shanghai)
}

func setup(t *testing.T, s *models.Store) *modelstest.Clock {
	t.Helper()
	clock := modelstest.NewClock(day2023(3, 1))
	s.Now = clock.Now
	modelstest.Seed(t, s)
	return clock
}

func actor(t *testing.T, s *models.Store, id string) *models.Actor {
	t.Helper()
	var a *models.Actor
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		a, err = tx.Actor(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

func unitID(t *testing.T, s *models.Store, code string) *uint {
	t.Helper()
	var id uint
	if err := s.InTx(ctx, func(tx *models.Tx) error {
		u, err := tx.FindUnitByCode(code)
		if err == nil {
			id = u.ID
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return &id
}

func report(t *testing.T, s *models.Store, who string, in models.HazardInput) *models.Hazard {
	t.Helper()
	var h *models.Hazard
	err := s.InTx(ctx, func(tx *models.Tx) error {
		a, err := tx.Actor(who)
		if err != nil {
			return err
		}
		h, _, err = tx.CreateHazard(a, in)
		return err
	})
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	return h
}

func act(s *models.Store, who string, n models.Number, action models.Action, c models.Change) (*models.Result, error) {
	var r *models.Result
	err := s.InTx(ctx, func(tx *models.Tx) error {
		a, err := tx.Actor(who)
		if err != nil {
			return err
		}
		r, err = tx.Transition(a, n, action, c)
		return err
	})
	return r, err
}

func gasLeak(s *models.Store, t *testing.T) models.HazardInput {
	return models.HazardInput{
		Title: "燃气管道软管老化", Description: "餐馆后厨燃气软管老化开裂，未安装报警器",
		Sector: "燃气", RegionID: unitID(t, s, "maojian"), InspectionDate: models.NewDate(2023, 3, 1),
	}
}

func TestHazardLifeFromReportToCloseOut(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clock := setup(t, s)
		h := report(t, s, "zhangsan", gasLeak(s, t))
		if h.Number != "YH2023-0001" || h.State != models.StateReported {
			t.Fatalf("new hazard = %s %s, want YH2023-0001 reported", h.Number, h.State)
		}
		if h.CommitteeID == nil || *h.CommitteeID != *unitID(t, s, "zwh_gas") {
			t.Fatalf("gas hazard not supervised by the gas committee: %v", h.CommitteeID)
		}
		if h.CampaignID == nil {
			t.Fatalf("a hazard found during the spring offensive belongs to it")
		}
		n := h.Num()
		steps := []struct {
			who    string
			action models.Action
			change models.Change
			want   models.State
		}{
			{"wangwu", models.ActAssign, models.Change{UnitID: unitID(t, s, "gasco"), Deadline: models.NewDate(2023, 3, 15)}, models.StateRectifying},
			{"lisi", models.ActAccept, models.Change{}, models.StateRectifying},
			{"wangwu", models.ActList, models.Change{Colour: models.ColourYellow}, models.StateRectifying},
			{"lisi", models.ActRequestExtend, models.Change{Deadline: models.NewDate(2023, 3, 31), Note: "报警器到货晚"}, models.StateRectifying},
			{"wangwu", models.ActApproveExtend, models.Change{}, models.StateRectifying},
			{"lisi", models.ActSubmit, models.Change{Note: "已更换软管并安装报警器"}, models.StatePendingReview},
			{"wangwu", models.ActReject, models.Change{Note: "报警器未通电"}, models.StateRectifying},
			{"lisi", models.ActSubmit, models.Change{Note: "报警器已通电"}, models.StatePendingReview},
			{"wangwu", models.ActPass, models.Change{}, models.StateClosed},
		}
		for i, st := range steps {
			clock.Add(time.Hour)
			r, err := act(s, st.who, n, st.action, st.change)
			if err != nil {
				t.Fatalf("step %d %s by %s: %v", i, st.action, st.who, err)
			}
			if r.Hazard.State != st.want || r.Event.ToState != st.want || r.Event.Action != st.action {
				t.Fatalf("step %d %s: state %s event %+v, want %s", i, st.action, r.Hazard.State, r.Event, st.want)
			}
		}
		var got *models.Hazard
		var events []models.Event
		s.InTx(ctx, func(tx *models.Tx) error {
			got, _ = tx.FindHazardByNumber(n)
			events, _ = tx.Events(got.ID, 0)
			return nil
		})
		if len(events) != len(steps)+1 {
			t.Fatalf("events = %d, want one per step plus the report (%d)", len(events), len(steps)+1)
		}
		if got.Deadline != models.NewDate(2023, 3, 31) || got.Colour != models.ColourYellow || got.ClosedAt == nil || got.ReviewerID != "wangwu" {
			t.Fatalf("closed hazard = %+v", got)
		}
		// The unit's submission is 整改情况; it never overwrites 整改措施.
		if got.Rectification != "报警器已通电" || got.Measures != "" {
			t.Fatalf("rectification = %q, measures = %q", got.Rectification, got.Measures)
		}
	})
}

func TestTransitionRefusals(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		h := report(t, s, "zhangsan", gasLeak(s, t))
		n := h.Num()
		cases := []struct {
			name   string
			who    string
			action models.Action
			change models.Change
			code   string
			msg    string
		}{
			{"another county's supervisor cannot assign", "zwsup", models.ActAssign, models.Change{UnitID: unitID(t, s, "gasco"), Deadline: models.NewDate(2023, 3, 15)}, models.EForbidden, "这条隐患不在你单位（张湾区）的管辖范围内"},
			{"an inspector cannot assign", "zhangsan", models.ActAssign, models.Change{UnitID: unitID(t, s, "gasco"), Deadline: models.NewDate(2023, 3, 15)}, models.EForbidden, "只有督办员可以交办隐患"},
			{"an unknown sender cannot withdraw", "nobody", models.ActWithdraw, models.Change{Note: "x"}, models.EForbidden, "只有督办员可以撤销隐患"},
			{"assign needs a deadline", "wangwu", models.ActAssign, models.Change{UnitID: unitID(t, s, "gasco")}, models.EInvalid, "交办需要整改时限，例如：交办 YH2023-0001 十堰示例燃气有限公司 3月31日"},
			{"a deadline in the past is refused", "wangwu", models.ActAssign, models.Change{UnitID: unitID(t, s, "gasco"), Deadline: models.NewDate(2023, 2, 1)}, models.EInvalid, "整改时限 2023年2月1日 已经过去了"},
			{"review before rectification is a conflict", "wangwu", models.ActPass, models.Change{}, models.EConflict, "隐患当前为“待交办”，不能复查通过，销号（只有待复查的隐患可以复查）"},
			{"withdraw needs a reason", "wangwu", models.ActWithdraw, models.Change{}, models.EInvalid, "撤销需要写明原因，例如：撤销 YH2023-0001 重复上报"},
			{"list needs a colour", "wangwu", models.ActList, models.Change{Colour: "green"}, models.EInvalid, "挂牌颜色只能是红、黄、蓝，例如：挂牌 YH2023-0001 红"},
			{"unknown number", "wangwu", models.ActPass, models.Change{}, models.ENotFound, "没有找到隐患 YH2023-0099"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				num := n
				if c.code == models.ENotFound {
					num = models.Number{Year: 2023, Seq: 99}
				}
				_, err := act(s, c.who, num, c.action, c.change)
				if models.ErrorCode(err) != c.code || models.ErrorMessage(err) != c.msg {
					t.Fatalf("err = %v, want %s %q", err, c.code, c.msg)
				}
			})
		}
		// Nothing above may have changed the hazard or written an event.
		s.InTx(ctx, func(tx *models.Tx) error {
			got, _ := tx.FindHazardByNumber(n)
			events, _ := tx.Events(got.ID, 0)
			if got.State != models.StateReported || got.Version != 0 || len(events) != 1 {
				t.Errorf("after refusals: state %s version %d events %d", got.State, got.Version, len(events))
			}
			return nil
		})
	})
}

func TestWithdrawDropsAPendingExtension(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		in := gasLeak(s, t)
		in.UnitID, in.Deadline = unitID(t, s, "gasco"), models.NewDate(2023, 3, 20)
		h := report(t, s, "zhangsan", in)
		if _, err := act(s, "lisi", h.Num(), models.ActRequestExtend, models.Change{Deadline: models.NewDate(2023, 4, 1), Note: "材料未到"}); err != nil {
			t.Fatal(err)
		}
		r, err := act(s, "wangwu", h.Num(), models.ActWithdraw, models.Change{Note: "重复上报"})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Hazard.ExtensionTo.IsZero() || r.Hazard.ExtensionBy != "" {
			t.Fatalf("withdrawn hazard still has a pending extension: %+v", r.Hazard)
		}
		if _, err := act(s, "wangwu", h.Num(), models.ActApproveExtend, models.Change{}); models.ErrorCode(err) != models.EConflict {
			t.Fatalf("approving an extension of a withdrawn hazard: %v", err)
		}
	})
}

func TestGasCommitteeSupervisesItsSectorCitywide(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		in := gasLeak(s, t)
		in.RegionID = unitID(t, s, "zhangwan")
		h := report(t, s, "zhangsan", in)
		if _, err := act(s, "gassup", h.Num(), models.ActList, models.Change{Colour: models.ColourRed}); err != nil {
			t.Fatalf("the gas committee lists a gas hazard in any county: %v", err)
		}
		in.Sector = "消防"
		h2 := report(t, s, "zhangsan", in)
		if _, err := act(s, "gassup", h2.Num(), models.ActList, models.Change{Colour: models.ColourRed}); models.ErrorCode(err) != models.EForbidden {
			t.Fatalf("the gas committee listing a fire hazard: err = %v, want forbidden", err)
		}
	})
}

func TestReportNamingAUnitGoesStraightToRectifying(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		in := gasLeak(s, t)
		in.RegionID = nil
		in.UnitID = unitID(t, s, "gasco")
		in.Deadline = models.NewDate(2023, 3, 20)
		h := report(t, s, "zhangsan", in)
		if h.State != models.StateRectifying {
			t.Fatalf("state = %s, want rectifying", h.State)
		}
		if h.RegionID == nil || *h.RegionID != *unitID(t, s, "maojian") {
			t.Fatalf("region = %v, want the unit's county", h.RegionID)
		}
	})
}

func TestCreateHazardRejectsBadInput(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		setup(t, s)
		cases := []struct {
			name string
			edit func(*models.HazardInput)
			msg  string
		}{
			{"missing title", func(in *models.HazardInput) { in.Title = " " }, "缺少“隐患”（重点隐患的标题）"},
			{"unknown sector", func(in *models.HazardInput) { in.Sector = "养殖" }, "行业“养殖”不在列表中，可选：燃气、非煤矿山、危险化学品、工贸、建设、消防、交通、特种设备、烟花爆竹、其他"},
			{"deadline before inspection", func(in *models.HazardInput) { in.Deadline = models.NewDate(2023, 2, 1) }, "整改时限（2023年2月1日）早于检查日期（2023年3月1日）"},
			{"region that is not a county", func(in *models.HazardInput) { in.RegionID = unitID(t, s, "gasco") }, "区域必须是一个县市区"},
			{"unit without deadline", func(in *models.HazardInput) { in.UnitID = unitID(t, s, "gasco") }, "指定了责任单位，还需要整改时限"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := gasLeak(s, t)
				c.edit(&in)
				err := s.InTx(ctx, func(tx *models.Tx) error {
					a, _ := tx.Actor("zhangsan")
					_, _, err := tx.CreateHazard(a, in)
					return err
				})
				if models.ErrorCode(err) != models.EInvalid || models.ErrorMessage(err) != c.msg {
					t.Fatalf("err = %v, want invalid %q", err, c.msg)
				}
			})
		}
		// A refused report uses no number: the next one is still 0001.
		if h := report(t, s, "zhangsan", gasLeak(s, t)); h.Number != "YH2023-0001" {
			t.Fatalf("first accepted number = %s, want YH2023-0001", h.Number)
		}
	})
}

func TestNumbersAreDistinctWithoutGapsUnderConcurrency(t *testing.T) {
	s := modelstest.MySQL(t)
	setup(t, s)
	const total, workers = 1000, 16
	in := gasLeak(s, t)
	var wg sync.WaitGroup
	numbers := make(chan string, total)
	errs := make(chan error, total)
	jobs := make(chan int, total)
	for i := range total {
		jobs <- i
	}
	close(jobs)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				err := s.InTx(ctx, func(tx *models.Tx) error {
					a, err := tx.Actor("zhangsan")
					if err != nil {
						return err
					}
					h, _, err := tx.CreateHazard(a, in)
					if err == nil {
						numbers <- h.Number
					}
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(numbers)
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent report: %v", err)
	}
	seen := map[string]bool{}
	for n := range numbers {
		if seen[n] {
			t.Fatalf("number %s given twice", n)
		}
		seen[n] = true
	}
	for i := 1; i <= total; i++ {
		if n := fmt.Sprintf("YH2023-%04d", i); !seen[n] {
			t.Fatalf("gap: %s missing (got %d numbers)", n, len(seen))
		}
	}
}

func TestTwoSupervisorsClosingAtOnceOneWins(t *testing.T) {
	s := modelstest.MySQL(t)
	setup(t, s)
	for round := range 10 {
		in := gasLeak(s, t)
		in.UnitID, in.Deadline = unitID(t, s, "gasco"), models.NewDate(2023, 3, 20)
		h := report(t, s, "zhangsan", in)
		if _, err := act(s, "lisi", h.Num(), models.ActSubmit, models.Change{Note: "已整改"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]error, 2)
		start := make(chan struct{})
		for i, who := range []string{"wangwu", "zhaoliu"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, results[i] = act(s, who, h.Num(), models.ActPass, models.Change{})
			}()
		}
		close(start)
		wg.Wait()
		ok, conflict := 0, 0
		for _, err := range results {
			switch models.ErrorCode(err) {
			case "":
				ok++
			case models.EConflict:
				conflict++
			default:
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("round %d: %d succeeded, %d conflicted; want 1 and 1", round, ok, conflict)
		}
		s.InTx(ctx, func(tx *models.Tx) error {
			events, _ := tx.Events(h.ID, 0)
			passes := 0
			for _, e := range events {
				if e.Action == models.ActPass {
					passes++
				}
			}
			if passes != 1 {
				t.Errorf("round %d: %d pass events, want 1", round, passes)
			}
			return nil
		})
	}
}

// Two replicas (two stores, two pools, one database) file reports at once,
// half numbering them late (DeferNumbers, as the chat path does) and half
// at once; one report in ten is rolled back after it was numbered. The
// committed numbers are 1..n without a gap or a repeat, the placeholders
// never reach the ledger, and the text a late-numbered report's reply was
// written with names its real number.
func TestNumbersAreGapFreeAcrossReplicas(t *testing.T) {
	r := replicas(t, "mysql", 2)
	a, b := r[0], r[1]
	const total, workers = 600, 16
	in := gasLeak(a, t)
	var mu sync.Mutex
	var committed []*models.Hazard
	var wg sync.WaitGroup
	jobs := make(chan int, total)
	for i := range total {
		jobs <- i
	}
	close(jobs)
	errs := make(chan error, total)
	rollback := errors.New("rolled back on purpose")
	for w := range workers {
		s := []*models.Store{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var h *models.Hazard
				var reply string
				err := s.InTx(ctx, func(tx *models.Tx) error {
					if i%2 == 0 {
						tx.DeferNumbers()
					}
					a, err := tx.Actor("zhangsan")
					if err != nil {
						return err
					}
					if h, _, err = tx.CreateHazard(a, in); err != nil {
						return err
					}
					text := fmt.Sprintf("已登记，编号 %s。查询 %d", h.Number, h.Seq)
					numbered, err := tx.Settle()
					if err != nil {
						return err
					}
					reply = numbered(text)
					if i%10 == 9 {
						return rollback
					}
					return nil
				})
				if errors.Is(err, rollback) {
					continue
				}
				if err != nil {
					errs <- err
					continue
				}
				if want := fmt.Sprintf("已登记，编号 %s。查询 %d", h.Number, h.Seq); reply != want {
					errs <- fmt.Errorf("reply %q, want %q", reply, want)
				}
				mu.Lock()
				committed = append(committed, h)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent report: %v", err)
	}
	var stored []string
	if err := a.DB.Table("hazards").Order("seq").Pluck("number", &stored).Error; err != nil {
		t.Fatal(err)
	}
	want := total - total/10
	if len(stored) != want || len(committed) != want {
		t.Fatalf("%d hazards stored, %d committed, want %d", len(stored), len(committed), want)
	}
	for i, n := range stored {
		if w := fmt.Sprintf("YH2023-%04d", i+1); n != w {
			t.Fatalf("number %d in the ledger is %s, want %s (gap, repeat or placeholder)", i+1, n, w)
		}
	}
}

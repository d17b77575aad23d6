package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"hazardbot/models"
)

// settingDemoSample marks a demo database that already holds the sample
// ledger, so a restart never adds it twice (and a database whose sample
// hazards were worked away in the demo keeps its state).
const settingDemoSample = "demo_sample"

// sampleHazard is one hazard of the demo's sample ledger: what a county's
// inspectors would have found in the weeks before today.
type sampleHazard struct {
	county     string // the county committee's code in the demo directory
	title      string
	desc       string
	measures   string
	enterprise string
	location   string
	sector     string
	unit       string // responsible unit: a directory code, or a name (created unverified)
	grade      string
}

// sampleLedger is written as the field writes it: real kinds of places and
// faults from the spring-offensive plan's key areas, enterprises by their
// usual short names, units not all in the directory.
var sampleLedger = []sampleHazard{
	{"maojian", "液化气钢瓶违规存放在地下室", "商业综合体地下一层餐饮区存放液化石油气钢瓶12瓶", "立即清出地下室，改用管道燃气", "某商业综合体", "茅箭区人民北路", "燃气", "demo_mall", ""},
	{"maojian", "燃气管道穿越卧室", "居民楼燃气立管私自改装穿越卧室，无套管", "由燃气公司重新敷设管道，加装套管", "", "茅箭区武当路街道某小区3栋", "燃气", "demo_gas", ""},
	{"maojian", "瓶装液化气站未设可燃气体报警器", "储瓶间可燃气体报警装置缺失", "安装可燃气体报警器并与排风联动", "某燃气有限公司", "茅箭区东岳路", "燃气", "demo_gas", "重大"},
	{"maojian", "消防通道被占用", "小区消防车通道被私家车长期占用，通道宽度不足4米", "设置禁停标识，清理占道车辆", "", "茅箭区二堰街道朝阳中路", "消防", "maojian_erdao", ""},
	{"maojian", "疏散指示标志损坏", "商场二层疏散指示标志3处不亮", "更换损坏的疏散指示标志", "某商业综合体", "茅箭区人民北路", "消防", "demo_mall", ""},
	{"maojian", "高处作业未系安全带", "在建工地外墙脚手架作业人员未系安全带", "停工整顿，开展安全教育，配齐防护用品", "某建筑工程有限公司", "茅箭区北京北路工地", "建设", "maojian_zjj", ""},
	{"maojian", "塔吊限位装置失效", "施工塔吊起重量限制器失灵", "停止使用，由检测机构检测合格后恢复", "某建筑工程有限公司", "茅箭区北京北路工地", "特种设备", "maojian_zjj", "重大"},
	{"maojian", "应急预案未演练", "企业综合应急预案今年未组织演练", "制定演练计划，一个月内组织一次演练", "", "茅箭区应急管理局辖区", "工贸", "maojian_yjj", ""},
	{"maojian", "电动自行车楼道充电", "居民楼一楼楼道飞线充电电动自行车5辆", "清理楼道车辆，设置集中充电桩", "", "茅箭区武当路街道五堰小区", "消防", "maojian_wudanglu", ""},
	{"maojian", "餐饮店燃气软管老化", "后厨燃气连接软管龟裂，长度超过2米", "更换金属波纹管，长度不超过2米", "某火锅店", "茅箭区五堰商场", "燃气", "demo_gas", ""},
	{"zhangwan", "加油站卸油区未设静电接地", "卸油口静电接地报警仪损坏", "更换静电接地报警仪并检测", "某加油站", "张湾区车城路", "危险化学品", "demo_station", "重大"},
	{"zhangwan", "机加工车间安全防护缺失", "冲压设备光电保护装置被拆除", "恢复光电保护装置，严禁擅自拆除", "某汽车零部件有限公司", "张湾区工业新区", "工贸", "demo_parts", ""},
	{"zhangwan", "涂装车间通风不良", "喷漆房排风机停用，可燃气体浓度检测记录缺失", "修复排风系统，建立检测台账", "某汽车零部件有限公司", "张湾区工业新区", "工贸", "demo_parts", ""},
	{"zhangwan", "加油站营业区吸烟", "员工在加油区吸烟，未制止", "加强员工管理，设置禁烟标识", "某加油站", "张湾区车城路", "危险化学品", "demo_station", ""},
	{"zhangwan", "老旧小区消防栓无水", "小区室外消火栓3处无水", "维修供水管网，定期检查", "", "张湾区花果街道", "消防", "zhangwan_huaguo", ""},
	{"zhangwan", "有限空间作业无审批", "污水井清掏未办理有限空间作业审批", "落实先通风、再检测、后作业", "某环境工程公司", "张湾区花果街道", "工贸", "张湾区某环境工程有限公司", ""},
	{"zhangwan", "叉车司机无证驾驶", "仓库叉车司机未取得特种设备作业人员证", "停止无证作业，组织培训取证", "某物流公司", "张湾区东风大道", "特种设备", "张湾区某物流有限公司", ""},
	{"yunyang", "矿山边坡未设监测", "采石场边坡高度超过30米，未设位移监测", "设置边坡监测点，委托有资质单位监测", "某石料厂", "郧阳区柳陂镇", "非煤矿山", "郧阳区某石料有限公司", "重大"},
	{"yunxi", "炸药库值守人员不足", "民爆仓库夜间值守仅1人", "夜间值守不少于2人，视频监控接入", "某采石场", "郧西县观音镇", "非煤矿山", "郧西县某矿业有限公司", ""},
	{"danjiangkou", "危化品仓库超量储存", "仓库储存硫酸超核定量", "立即转移超量部分，按核定量储存", "某化工有限公司", "丹江口市经济开发区", "危险化学品", "丹江口市某化工有限公司", "重大"},
	{"zhushan", "客运车辆超员", "农村客运班线车辆超员3人", "约谈企业负责人，加强站内安检", "某客运公司", "竹山县城关镇", "交通", "竹山县某客运有限公司", ""},
	{"zhuxi", "渡口救生衣配备不足", "渡船救生衣少于核定载客数", "按核定载客数配齐救生衣", "", "竹溪县某渡口", "交通", "竹溪县某水上交通运输有限公司", ""},
	{"fangxian", "烟花爆竹零售点超量存放", "零售点库存超过规定限量", "清理超量产品，退回批发企业", "某烟花爆竹零售店", "房县城关镇", "烟花爆竹", "房县某烟花爆竹经营部", ""},
	{"wudangshan", "景区栈道护栏松动", "景区游步道护栏多处松动", "加固护栏，设置警示标识", "某景区", "武当山特区", "其他", "武当山特区某旅游开发有限公司", ""},
	{"kaifaqu", "在建工程临边防护缺失", "楼层临边未设防护栏杆", "立即设置防护栏杆和安全网", "某建设集团", "十堰经济技术开发区", "建设", "经开区某建设集团有限公司", ""},
	{"yunyang", "锅炉未定期检验", "燃气锅炉超过检验周期未检验", "停用并申请定期检验", "某酒店", "郧阳区城关镇", "特种设备", "郧阳区某酒店管理有限公司", ""},
	{"danjiangkou", "电梯维保记录缺失", "住宅电梯维保记录近两月空白", "督促维保单位补齐维保并建档", "", "丹江口市均州路", "特种设备", "丹江口市某物业服务有限公司", ""},
	{"zhushan", "粉尘涉爆企业除尘系统未清理", "木制品加工车间除尘管道积尘严重", "清理积尘，建立清扫制度", "某木业有限公司", "竹山县宝丰镇", "工贸", "竹山县某木业有限公司", ""},
}

// demoSample fills a new demo database with a sample ledger: the hazards
// of the weeks before today in every state — closed, waiting for review,
// being rectified, overdue and listed for supervision, not yet assigned —
// so that 统计, 台账 and the H5 pages have something to show. Each step
// goes through the ledger's own methods (report, 接收, 整改, 复查, 挂牌)
// by the demo directory's people, at the time it would have happened: the
// events, counts and timeline are what the real work leaves. It writes no
// notifications (those are the bot's), and runs once per database.
func (a *app) demoSample(ctx context.Context) (int, error) {
	realNow := a.store.Now
	defer func() { a.store.Now = realNow }()
	now := realNow()
	today := models.DateOf(now, a.store.Loc)
	n := 0
	// One transaction: a start that fails half-way leaves no half a sample,
	// and on SQLite one commit instead of a hundred.
	err := a.store.InTx(ctx, func(tx *models.Tx) error {
		n = 0
		if _, done, err := tx.GetSetting(settingDemoSample); err != nil || done {
			return err
		}
		if err := a.sampleLedger(tx, now, today, func() int { n++; return n }); err != nil {
			return err
		}
		a.store.Now = realNow
		return tx.SetSetting(settingDemoSample, fmt.Sprint(n))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// sampleLedger writes the sample in tx, moving the store's clock to the
// time of each step; count is called once per hazard.
func (a *app) sampleLedger(tx *models.Tx, now time.Time, today models.Date, count func() int) error {
	rng := rand.New(rand.NewPCG(2023, 3)) // the same sample every time, relative to today
	at := func(d models.Date, hour int) time.Time {
		return d.Time(a.store.Loc).Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(50))*time.Minute)
	}
	// step runs one ledger write as it would have happened at t.
	step := func(t time.Time, f func(tx *models.Tx) error) error {
		if t.After(now) {
			t = now
		}
		a.store.Now = func() time.Time { return t }
		return f(tx)
	}
	// The demo directory has inspectors and supervisors in 茅箭区 and 张湾区;
	// elsewhere the city supervisor (赵六) found and followed the hazards.
	reporterOf := map[string]string{"maojian": "zhangsan", "zhangwan": "wushi"}
	supervisorOf := map[string]string{"maojian": "wangwu", "zhangwan": "zhengshiyi"}
	// Every county's finds spread over the last ten weeks, reported in the
	// order they were found (so numbers follow the dates, as in real work).
	founds := make([]models.Date, len(sampleLedger))
	for i, k := range rng.Perm(len(sampleLedger)) {
		founds[i] = today.AddDays(-70 + k*70/len(sampleLedger))
	}
	order := make([]int, len(sampleLedger))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(founds[x].String(), founds[y].String()) })
	// Three were reported without a unit: the newest two still wait for the
	// supervisor's 交办, an older one was assigned the next day.
	last := len(order) - 1
	unassigned := map[int]bool{order[last]: true, order[last-2]: true, order[last/2]: false}
	for _, i := range order {
		s, found := sampleLedger[i], founds[i]
		deadline := found.AddDays([]int{7, 10, 15, 30}[rng.IntN(4)])
		in := models.HazardInput{
			Title: s.title, Description: s.desc, Measures: s.measures, Enterprise: s.enterprise,
			Location: s.location, Sector: s.sector, Grade: s.grade, InspectionDate: found, Deadline: deadline,
		}
		var h *models.Hazard
		var assign models.Change // for a report without a unit: the supervisor's 交办
		err := step(at(found, 9), func(tx *models.Tx) error {
			actor, err := tx.Actor(cmp.Or(reporterOf[s.county], "zhaoliu"))
			if err != nil {
				return err
			}
			if err := sampleUnits(tx, s, &in); err != nil {
				return err
			}
			if _, ok := unassigned[i]; ok { // reported without a unit: waits 待交办
				assign = models.Change{UnitID: in.UnitID, UnitName: in.UnitName, Deadline: found.AddDays(20), Note: "请按期整改"}
				in.UnitID, in.UnitName, in.Deadline = nil, "", models.Date{}
			}
			h, _, err = tx.CreateHazard(actor, in)
			return err
		})
		if err != nil {
			return fmt.Errorf("demo sample %q: %w", s.title, err)
		}
		count()
		life := sampleLife{step: step, at: at, rng: rng, today: today, supervisor: cmp.Or(supervisorOf[s.county], "zhaoliu"), contact: sampleContacts[s.unit]}
		if life.contact == "" {
			life.contact = life.supervisor // a supervisor in scope acts for a unit with no contact in the directory
		}
		if unassigned[i] {
			continue
		}
		if err := life.run(h, assign); err != nil {
			return fmt.Errorf("demo sample %s: %w", h.Num(), err)
		}
	}
	return nil
}

// sampleUnits sets the sample's county and responsible unit.
func sampleUnits(tx *models.Tx, s sampleHazard, in *models.HazardInput) error {
	switch u, err := tx.FindUnitByCode(s.unit); {
	case err == nil:
		in.UnitID = &u.ID
	case models.ErrorCode(err) == models.ENotFound:
		in.UnitName = s.unit // not in the directory: created unverified, as a real report would
	default:
		return err
	}
	r, err := tx.FindUnitByCode(s.county)
	if err != nil {
		return err
	}
	in.RegionID = &r.ID
	return nil
}

// sampleContacts are the demo directory's unit contacts: they 接收 and 整改
// their own units' hazards.
var sampleContacts = map[string]string{"demo_gas": "lisi", "maojian_yjj": "qianjiu"}

// sampleLife works a sample hazard some way through its life: most are
// closed or waiting for review, some are still being rectified (a few
// past their deadline and listed for supervision), a few were sent back
// once before they passed.
type sampleLife struct {
	step                func(time.Time, func(*models.Tx) error) error
	at                  func(models.Date, int) time.Time
	rng                 *rand.Rand
	today               models.Date
	supervisor, contact string
}

func (l sampleLife) act(h *models.Hazard, d models.Date, hour int, who string, action models.Action, c models.Change) error {
	if d.After(l.today) {
		d = l.today
	}
	return l.step(l.at(d, hour), func(tx *models.Tx) error {
		actor, err := tx.Actor(who)
		if err != nil {
			return err
		}
		r, err := tx.Transition(actor, h.Num(), action, c)
		if err == nil {
			*h = *r.Hazard
		}
		return err
	})
}

func (l sampleLife) run(h *models.Hazard, assign models.Change) error {
	found, today, rng := h.InspectionDate, l.today, l.rng
	if h.State == models.StateReported {
		if err := l.act(h, found.AddDays(1), 10, l.supervisor, models.ActAssign, assign); err != nil {
			return err
		}
	}
	age := found.DaysUntil(today)
	if err := l.act(h, found.AddDays(1), 11, l.contact, models.ActAccept, models.Change{}); err != nil {
		return err
	}
	fate := rng.IntN(10)
	switch {
	case age > 35 && fate < 8, age > 14 && fate < 5:
		// Rectified, reviewed and closed; some sent back once first.
		fixed := found.AddDays(2 + rng.IntN(max(1, min(age-4, 20))))
		if err := l.act(h, fixed, 15, l.contact, models.ActSubmit, models.Change{Note: "已按整改措施完成整改"}); err != nil {
			return err
		}
		if fate == 0 || fate == 4 {
			if err := l.act(h, fixed.AddDays(1), 10, l.supervisor, models.ActReject, models.Change{Note: "整改后照片不清晰，现场仍有隐患"}); err != nil {
				return err
			}
			fixed = fixed.AddDays(3)
			if err := l.act(h, fixed, 16, l.contact, models.ActSubmit, models.Change{Note: "已重新整改并补充照片"}); err != nil {
				return err
			}
		}
		return l.act(h, fixed.AddDays(1+rng.IntN(2)), 17, l.supervisor, models.ActPass, models.Change{Note: "现场复查合格"})
	case fate < 7 && age > 5:
		// Rectified, waiting for review.
		return l.act(h, today.AddDays(-rng.IntN(min(age-4, 5))), 14, l.contact, models.ActSubmit, models.Change{Note: "已整改，请复查"})
	case h.Deadline.Before(today) && fate >= 7:
		// Overdue and listed for supervision by the city.
		colour := []models.Colour{models.ColourRed, models.ColourYellow, models.ColourBlue}[rng.IntN(3)]
		return l.act(h, h.Deadline.AddDays(1), 9, "zhaoliu", models.ActList, models.Change{Colour: colour, Note: "逾期未整改，挂牌督办"})
	}
	return nil // still being rectified
}

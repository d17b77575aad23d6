package models

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Names of units are typed in many forms: full- and half-width, with
// spaces, with a bracketed note such as （示例）, and in the short forms
// offices use every day. canonUnitName reduces a name to one form so that
// 市非煤矿山安全专委会 and 市非煤矿山安全专业委员会 are the same unit.

// unitShortForms rewrite long forms to their everyday short forms, longest
// first so that 安全生产委员会办公室 is not half-rewritten.
var unitShortForms = strings.NewReplacer(
	"安全生产委员会办公室", "安委会",
	"安全生产委员会", "安委会",
	"安委会办公室", "安委会",
	"安委办", "安委会",
	"专业委员会", "专委会",
	"经济技术开发区", "经开区",
	"经济开发区", "经开区",
	"旅游经济特区", "特区",
)

var bracketed = regexp.MustCompile(`\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《|》`)

// canonUnitName is the form names are compared in.
func canonUnitName(s string) string {
	s = Narrow(Visible(s))
	s = strings.NewReplacer("（", "(", "）", ")").Replace(s)
	for {
		t := bracketed.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '·', '・', '"', '\'', '“', '”', '‘', '’':
			return -1
		}
		return r
	}, s)
	return unitShortForms.Replace(s)
}

// nameKeys are the forms a unit's name is compared in.
type nameKeys struct{ canon, county, committee string }

// nameKeys computes a name's keys once per transaction: matching a ledger
// of thousands of rows compares every name with every unit.
func (tx *Tx) nameKeys(name string) nameKeys {
	if k, ok := tx.keys[name]; ok {
		return k
	}
	k := nameKeys{canonUnitName(name), countyKey(name), committeeKey(name)}
	if tx.keys == nil {
		tx.keys = map[string]nameKeys{}
	}
	tx.keys[name] = k
	return k
}

// countySuffixes end the name of a county-level place.
var countySuffixes = []string{"特区", "区", "县", "市"}

// countyKey is a region's name as people may write it: 郧阳区安委会,
// 郧阳区, 郧阳 and 郧阳安委会 all give 郧阳; 武当山特区 gives 武当山.
func countyKey(s string) string {
	s = strings.TrimSuffix(canonUnitName(s), "安委会")
	for _, suf := range countySuffixes {
		if t := strings.TrimSuffix(s, suf); t != s && utf8.RuneCountInString(t) >= 2 {
			return t
		}
	}
	return s
}

// committeeKey is a special committee's name as people shorten it: 市消防
// 安全专业委员会, 市消防专委会 and 消防专委会 all give 消防; "" for a name
// that is no committee's.
func committeeKey(s string) string {
	s = canonUnitName(s)
	s, ok := strings.CutSuffix(s, "专委会")
	if !ok {
		return ""
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "十堰市"), "市")
	return strings.NewReplacer("安全", "", "行业", "", "工程", "").Replace(s)
}

// MatchUnit finds the unit words clearly names among the active units of
// the given kinds (all kinds when none): the same name once normalised
// (widths, spaces, brackets and their content, 专委会 = 专业委员会, 经开区 =
// 经济技术开发区, 安委办 = 安委会), a region written with or without its
// 区/县/市 and 安委会, a special committee in a short form (消防专委会, or
// its sector), or the one unit whose name contains the words. A name
// that begins with a county (郧阳区应急管理局) only matches units inside
// that county; otherwise, when several units contain the words, the one
// inside within (the hazard's county) wins. With no clear match, close
// lists the nearest names (in that county) for a suggestion.
func (tx *Tx) MatchUnit(words string, within *Unit, kinds ...UnitKind) (match *Unit, close []Unit, err error) {
	return tx.matchUnit(words, within, true, kinds...)
}

// matchUnit is MatchUnit; fuzzy asks for the nearest names when nothing
// contains the words (FindUnitName does not need them).
func (tx *Tx) matchUnit(words string, within *Unit, fuzzy bool, kinds ...UnitKind) (match *Unit, close []Unit, err error) {
	key := canonUnitName(words)
	if key == "" {
		return nil, nil, nil
	}
	if rest, err := tx.withoutCity(key); err != nil {
		return nil, nil, err
	} else if rest != key {
		words, key = rest, rest
	}
	units, err := tx.Units(kinds...)
	if err != nil {
		return nil, nil, err
	}
	ck := countyKey(words)
	cmk := committeeKey(words)
	var contains, county, committee []Unit
	for i := range units {
		u := &units[i]
		k := tx.nameKeys(u.Name)
		name := k.canon
		if name == key || tx.nameKeys(u.ShortName()).canon == key || strings.EqualFold(u.Code, strings.TrimSpace(Narrow(words))) {
			return u, nil, nil
		}
		if u.Kind == KindRegion && k.county == ck {
			county = append(county, *u)
		}
		if u.Kind == KindSpecialCommittee && cmk != "" && (k.committee == cmk || u.Sector == cmk) {
			committee = append(committee, *u)
		}
		if utf8.RuneCountInString(key) >= 2 && strings.Contains(name, key) {
			contains = append(contains, *u)
		}
	}
	if len(county) == 1 {
		return &county[0], nil, nil
	}
	if len(committee) == 1 {
		return &committee[0], nil, nil
	}
	named, err := tx.namedCounty(key)
	if err != nil {
		return nil, nil, err
	}
	inside := func(list []Unit, c *Unit) []Unit {
		if c == nil {
			return list
		}
		var out []Unit
		for _, u := range list {
			if c.Contains(&u) {
				out = append(out, u)
			}
		}
		return out
	}
	if u := tx.sameInCounty(key, named, units); u != nil {
		return u, nil, nil
	}
	contains = inside(contains, named)
	if len(contains) > 1 && within != nil && named == nil {
		if in := inside(contains, within); len(in) == 1 {
			return &in[0], nil, nil
		}
	}
	if len(contains) == 1 {
		return &contains[0], nil, nil
	}
	if len(contains) > 1 {
		if len(contains) > 5 {
			contains = contains[:5]
		}
		return nil, contains, nil
	}
	if !fuzzy {
		return nil, nil, nil
	}
	_, close, err = tx.MatchUnits(words, 20, kinds...)
	close = inside(close, named)
	if len(close) > 5 {
		close = close[:5]
	}
	return nil, close, err
}

// departmentShortForms are the everyday names of a county's departments:
// 茅箭区应急局 is 茅箭区应急管理局. They apply only after a county's name
// (sameInCounty): 应急局 alone may be any county's.
var departmentShortForms = strings.NewReplacer(
	"应急管理局", "应急局",
	"住房和城乡建设局", "住建局",
	"住房城乡建设局", "住建局",
	"市场监督管理局", "市场监管局",
	"交通运输局", "交通局",
	"城市管理执法局", "城管局",
	"城市管理局", "城管局",
	"自然资源和规划局", "自然资源局",
	"消防救援大队", "消防大队",
)

// sameInCounty finds the one unit of county named (茅箭区) whose name is
// key once both drop the county's name, written with or without its 区/
// 县/市, and use the departments' short forms: 茅箭应急局, 茅箭区应急局 and
// 茅箭应急管理局 all name 茅箭区应急管理局.
func (tx *Tx) sameInCounty(key string, named *Unit, units []Unit) *Unit {
	if named == nil {
		return nil
	}
	rest := func(name string) string {
		full := strings.TrimSuffix(tx.nameKeys(named.Name).canon, "安委会")
		for _, p := range []string{full, tx.nameKeys(named.Name).county} {
			if t, ok := strings.CutPrefix(name, p); ok {
				return departmentShortForms.Replace(t)
			}
		}
		return ""
	}
	want := rest(key)
	if want == "" {
		return nil
	}
	var hit *Unit
	for i := range units {
		u := &units[i]
		if u.ID == named.ID || !named.Contains(u) || rest(tx.nameKeys(u.Name).canon) != want {
			continue
		}
		if hit != nil {
			return nil
		}
		hit = u
	}
	return hit
}

// withoutCity drops the city's own name (the directory's top unit:
// 十堰市安委会, 十堰市, 十堰) from the front of key, a canonical name,
// when a county's name follows it: 十堰市茅箭区 is 茅箭区 and 十堰市茅箭区
// 应急管理局 茅箭区应急管理局. A name that begins with a county as it is
// (十堰经开区) keeps it, and so does one where no county follows: 十堰市应急
// 管理局 is the city's own department, not any county's.
func (tx *Tx) withoutCity(key string) (string, error) {
	if c, err := tx.namedCounty(key); err != nil || c != nil {
		return key, err
	}
	units, err := tx.Units(tx.s.topKind())
	if err != nil {
		return "", err
	}
	for i := range units {
		if units[i].ParentID != nil {
			continue
		}
		k := tx.nameKeys(units[i].Name)
		for _, city := range []string{k.canon, strings.TrimSuffix(k.canon, "安委会"), k.county} {
			rest, ok := strings.CutPrefix(key, city)
			if !ok || rest == "" {
				continue
			}
			if c, err := tx.namedCounty(rest); err != nil {
				return "", err
			} else if c != nil {
				return rest, nil
			}
		}
	}
	return key, nil
}

// namedCounty is the region a unit's name begins with (郧阳区应急管理局
// begins with 郧阳区; 房县交通运输局 with 房县), or nil.
func (tx *Tx) namedCounty(key string) (*Unit, error) {
	regions, err := tx.Units(KindRegion)
	if err != nil {
		return nil, err
	}
	var best *Unit
	bestLen := 0
	for i := range regions {
		ck := tx.nameKeys(regions[i].Name).county
		if utf8.RuneCountInString(ck) < 2 || !strings.HasPrefix(key, ck) || len(ck) <= bestLen {
			continue
		}
		best, bestLen = &regions[i], len(ck)
	}
	return best, nil
}

// Ambiguous reports that a name matched several units and no clear one.
func Ambiguous(what, words string, close []Unit) error {
	names := make([]string, len(close))
	for i, u := range close {
		names[i] = u.Name
	}
	return Errorf(EInvalid, "%s“%s”不明确，你是指：%s？请写完整名称", what, words, strings.Join(names, "、"))
}

// FindUnitName returns the unit words clearly names (see MatchUnit), nil
// when the directory has none, or an invalid error listing the units when
// several equally contain the words.
func (tx *Tx) FindUnitName(words string, county *Unit) (*Unit, error) {
	match, close, err := tx.matchUnit(words, county, false)
	if err != nil || match != nil {
		return match, err
	}
	if len(close) > 1 && sameContains(words, close) {
		return nil, Ambiguous("责任单位", words, close)
	}
	return nil, nil
}

// unitKindSuffixes guess what an unknown unit is from how its name ends.
var unitKindSuffixes = []struct {
	suffix string
	kind   UnitKind
}{
	{"项目部", KindEnterprise}, {"公司", KindEnterprise}, {"饭店", KindEnterprise}, {"酒店", KindEnterprise},
	{"商场", KindEnterprise}, {"小区", KindEnterprise}, {"厂", KindEnterprise}, {"店", KindEnterprise},
	{"站", KindEnterprise}, {"矿", KindEnterprise}, {"场", KindEnterprise}, {"馆", KindEnterprise},
	{"街道", KindTown}, {"街道办事处", KindTown}, {"镇", KindTown}, {"乡", KindTown},
	{"局", KindDepartment}, {"大队", KindDepartment}, {"支队", KindDepartment}, {"中心", KindDepartment},
	{"所", KindDepartment}, {"办", KindDepartment}, {"委", KindDepartment}, {"院", KindDepartment},
}

// GuessUnitKind is the kind of unit a name most likely is: …公司/厂/店/站/
// 饭店/酒店/商场/小区/项目部 an enterprise, …局/大队/中心/所/办 a department,
// …街道/镇/乡 a town; anything else an enterprise, as most named places are.
func GuessUnitKind(name string) UnitKind {
	name = canonUnitName(name)
	best, kind := 0, KindEnterprise
	for _, s := range unitKindSuffixes {
		if strings.HasSuffix(name, s.suffix) && len(s.suffix) > best {
			best, kind = len(s.suffix), s.kind
		}
	}
	return kind
}

// unverifiedCode is the code of an unverified unit: derived from its
// parent and normalised name, so that naming it twice finds it again.
func unverifiedCode(parentID uint, name string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("%d/%s", parentID, canonUnitName(name))))
	return "new-" + hex.EncodeToString(sum[:6])
}

// UnitFor returns the unit words names: the clear match in the directory
// (see MatchUnit), or else a new unit of that name, created under county
// (the hazard's county; the root when nil) with its kind guessed from the
// name and marked unverified, for an admin to confirm or merge later. It
// works at once: it can take hazards and be bound to contacts. Several
// equally close units are an invalid error listing them.
func (tx *Tx) UnitFor(words string, county *Unit) (u *Unit, created bool, err error) {
	words = strings.TrimSpace(Visible(words))
	if canonUnitName(words) == "" {
		return nil, false, Errorf(EInvalid, "责任单位名称不能为空")
	}
	if n := utf8.RuneCountInString(words); n > 100 {
		return nil, false, Errorf(EInvalid, "责任单位名称太长了（%d 个字），最多 100 个字", n)
	}
	match, err := tx.FindUnitName(words, county)
	if err != nil || match != nil {
		return match, false, err
	}
	parent := county
	if parent == nil {
		roots, err := tx.RootUnits()
		if err != nil {
			return nil, false, err
		}
		if len(roots) == 0 {
			return nil, false, Errorf(EInvalid, "通讯录是空的，请先导入单位")
		}
		parent = &roots[0]
	}
	code := unverifiedCode(parent.ID, words)
	now := tx.Now().UTC()
	u = &Unit{Code: code, Name: words, Kind: GuessUnitKind(words), ParentID: &parent.ID, Path: "/",
		Active: true, Unverified: true, CreatedAt: now, UpdatedAt: now}
	if err := tx.DB.Create(u).Error; isDuplicate(err) {
		// Created before under this county, and since merged away or
		// deactivated: it is not to be made again.
		old, ferr := tx.FindUnitByCode(code)
		if ferr != nil {
			return nil, false, ferr
		}
		return nil, false, Errorf(EInvalid, "单位“%s”已停用（或已合并到其他单位），请写现在的单位名称", old.Name)
	} else if err != nil {
		return nil, false, fmt.Errorf("models: create unverified unit: %w", err)
	}
	u.Path = pathUnder(parent, u.ID)
	if err := tx.DB.Model(u).Update("path", u.Path).Error; err != nil {
		return nil, false, fmt.Errorf("models: set unit path: %w", err)
	}
	tx.remember(u)
	return u, true, nil
}

// sameContains reports that every unit in close contains the words: a
// real ambiguity, not just loose suggestions.
func sameContains(words string, close []Unit) bool {
	key := canonUnitName(words)
	for _, u := range close {
		if !strings.Contains(canonUnitName(u.Name), key) {
			return false
		}
	}
	return true
}

// remember adds a unit created in this transaction to its caches.
func (tx *Tx) remember(u *Unit) {
	if tx.units == nil {
		tx.units = map[uint]*Unit{}
	}
	c := *u
	tx.units[u.ID] = &c
	if tx.active != nil && u.Active {
		tx.active = append(tx.active, c)
	}
}

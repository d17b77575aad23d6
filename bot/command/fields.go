package command

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"hazardbot/models"
)

// Field is one item of a hazard report, as typed in a `字段：值` line.
type Field string

// The report fields. Their Chinese names follow the ledger's columns.
const (
	FieldTitle          Field = "title"           // 重点隐患
	FieldDescription    Field = "description"     // 隐患内容
	FieldRegion         Field = "region"          // 县市区
	FieldSector         Field = "sector"          // 行业领域
	FieldEnterprise     Field = "enterprise"      // 企业或场所
	FieldLocation       Field = "location"        // 位置
	FieldUnit           Field = "unit"            // 责任单位
	FieldMeasures       Field = "measures"        // 整改措施
	FieldDeadline       Field = "deadline"        // 整改时限
	FieldInspectionDate Field = "inspection_date" // 检查日期
	FieldGrade          Field = "grade"           // 隐患等级
	FieldRemarks        Field = "remarks"         // 备注
	FieldFixed          Field = "fixed"           // 当场整改 (立查立改): 是 and what was done
)

// Fields lists every field in the order a report card shows them: the
// guided ones first, then the optional ones.
var Fields = []Field{
	FieldTitle, FieldDescription, FieldRegion, FieldSector, FieldUnit, FieldDeadline,
	FieldEnterprise, FieldLocation, FieldMeasures, FieldInspectionDate, FieldGrade, FieldRemarks, FieldFixed,
}

// GuidedFields are the fields the guided 上报 asks for, in turn, when they
// are missing. The unit may be answered with 待定 (see IsPending).
var GuidedFields = []Field{FieldTitle, FieldDescription, FieldRegion, FieldSector, FieldUnit, FieldDeadline}

// Optional reports whether a report may be filed without f; the guided report
// does not ask for optional fields, but takes them when typed.
func Optional(f Field) bool {
	for _, g := range GuidedFields {
		if g == f {
			return false
		}
	}
	return true
}

// fieldInfo holds a field's name for prompts and an example answer.
var fieldInfo = map[Field]struct{ name, example string }{
	FieldTitle:          {"重点隐患", "XX加油站卸油区未设静电接地"},
	FieldDescription:    {"隐患内容", "卸油口静电接地桩缺失，卸油时无法导除静电"},
	FieldRegion:         {"县市区", "茅箭区"},
	FieldSector:         {"行业领域", "燃气、非煤矿山、危险化学品、工贸、建设、消防、交通、特种设备、烟花爆竹、其他"},
	FieldEnterprise:     {"企业或场所", "XX加油站"},
	FieldLocation:       {"位置", "人民南路12号"},
	FieldUnit:           {"责任单位", "茅箭区应急管理局，不清楚写“待定”"},
	FieldMeasures:       {"整改措施", "增设静电接地桩并检测合格"},
	FieldDeadline:       {"整改时限", "3月31日、15天、4月底、10个工作日"},
	FieldInspectionDate: {"检查日期", "今天、3月15日"},
	FieldGrade:          {"隐患等级", "一般 或 重大"},
	FieldRemarks:        {"备注", "已现场责令停止卸油"},
	FieldFixed:          {"当场整改", "是，已清理消防通道"},
}

// FieldName is the Chinese name of f for prompts and cards: 重点隐患, 整改时限…
func FieldName(f Field) string {
	if i, ok := fieldInfo[f]; ok {
		return i.name
	}
	return string(f)
}

// FieldExample is a sample answer for f, for the prompt that asks for it:
// "请填写整改时限，例如：3月31日、15天、月底".
func FieldExample(f Field) string { return fieldInfo[f].example }

// fieldAliases maps every label people write to its field. Labels are
// compared with spaces removed and ASCII lower-cased.
var fieldAliases = map[string]Field{
	"隐患": FieldTitle, "标题": FieldTitle, "重点隐患": FieldTitle, "问题": FieldTitle,
	"隐患问题": FieldTitle, "重点隐患问题": FieldTitle, "隐患名称": FieldTitle, "title": FieldTitle,

	"内容": FieldDescription, "隐患内容": FieldDescription, "描述": FieldDescription,
	"隐患描述": FieldDescription, "问题描述": FieldDescription, "具体情况": FieldDescription,
	"description": FieldDescription, "desc": FieldDescription,

	"区域": FieldRegion, "县市区": FieldRegion, "地区": FieldRegion, "县区": FieldRegion,
	"所属区域": FieldRegion, "region": FieldRegion,

	"行业": FieldSector, "领域": FieldSector, "行业领域": FieldSector, "sector": FieldSector,

	"企业": FieldEnterprise, "企业名称": FieldEnterprise, "场所": FieldEnterprise,
	"被检查单位": FieldEnterprise, "enterprise": FieldEnterprise,

	"单位": FieldUnit, "责任单位": FieldUnit, "整改单位": FieldUnit, "unit": FieldUnit,

	"措施": FieldMeasures, "整改措施": FieldMeasures, "measures": FieldMeasures,

	"时限": FieldDeadline, "整改时限": FieldDeadline, "期限": FieldDeadline, "截止": FieldDeadline,
	"截止日期": FieldDeadline, "完成时限": FieldDeadline, "deadline": FieldDeadline,

	"检查日期": FieldInspectionDate, "检查时间": FieldInspectionDate, "date": FieldInspectionDate,

	"备注": FieldRemarks, "说明": FieldRemarks, "remarks": FieldRemarks, "note": FieldRemarks,

	"位置": FieldLocation, "地址": FieldLocation, "地点": FieldLocation, "location": FieldLocation,

	"当场整改": FieldFixed, "立查立改": FieldFixed, "现场整改": FieldFixed, "已当场整改": FieldFixed,

	"等级": FieldGrade, "隐患等级": FieldGrade, "级别": FieldGrade, "grade": FieldGrade,
}

// LookupField returns the field a label names ("整改时限", "时限", "deadline"),
// for `修改 时限` and for the `字段：值` lines.
func LookupField(label string) (Field, bool) {
	f, ok := fieldAliases[labelKey(label)]
	return f, ok
}

// labelKey normalises a label: narrowed, no spaces, no brackets, ASCII in
// lower case.
func labelKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || isInvisible(r) || strings.ContainsRune("【】[]*#", r):
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, models.Narrow(s))
}

// PendingUnit is what an officer answers when the responsible unit is not
// known yet; the hazard then waits in 待交办 for a supervisor to assign it.
const PendingUnit = "待定"

// IsPending reports whether a unit answer means "not known yet".
func IsPending(s string) bool {
	switch labelKey(s) {
	case "待定", "未定", "不确定", "不清楚", "不知道", "暂无", "无", "没有":
		return true
	}
	return false
}

// reListMarker matches the numbering people put before lines: "1." "2、"
// "(3)" "-", circled "①" and Chinese "三、" "（四）".
var reListMarker = regexp.MustCompile(`^(?:\d{1,2}[.、)]|\(\d{1,2}\)|[-*•·]|[①-⑳]|[一二三四五六七八九十]{1,3}[.、]|\([一二三四五六七八九十]{1,3}\))\s*`)

// ParseFields reads the `字段：值` lines of a one-shot report. A line starts a
// field when the text before its first colon (full- or half-width) is a known
// field name; the value may go on over the following lines that do not start
// a field, and they are joined with line breaks. Values are kept as typed
// (full-width punctuation included). A field given twice keeps its last
// value; empty values are left out, so that the guided report asks for them.
// unknown holds, as typed, the lines that could not be placed: a label that
// is no field ("联系人：张三", with its continuation lines) and text before the
// first field.
func ParseFields(text string) (fields map[Field]string, unknown []string) {
	fields = map[Field]string{}
	var cur Field
	curUnknown := -1
	var lines []string
	for _, line := range strings.Split(cleanText(text), "\n") {
		lines = append(lines, inlineFields(strings.TrimSpace(line))...)
	}
	for _, t := range lines {
		if t == "" {
			continue
		}
		if label, value, ok := splitLabel(t); ok {
			if f, known := LookupField(label); known {
				fields[f] = value
				cur, curUnknown = f, -1
				continue
			}
			if looksLikeLabel(label, value) {
				unknown = append(unknown, t)
				cur, curUnknown = "", len(unknown)-1
				continue
			}
		}
		switch {
		case cur != "":
			fields[cur] = joinLine(fields[cur], t)
		case curUnknown >= 0:
			unknown[curUnknown] = joinLine(unknown[curUnknown], t)
		default:
			unknown = append(unknown, t)
			curUnknown = len(unknown) - 1
		}
	}
	for f, v := range fields {
		if v = strings.TrimSpace(v); v == "" {
			delete(fields, f)
		} else {
			fields[f] = v
		}
	}
	return fields, unknown
}

// inlineFields splits a field line typed without line breaks
// ("隐患：通道堵塞，区域：茅箭 行业：消防") where a separator (，；。 or a
// space) is followed by a known field's label and a colon. Text whose
// label is no field ("发现问题：无接地") stays inside the value.
func inlineFields(t string) []string {
	if !isFieldLine(t) {
		return []string{t}
	}
	typed, n := []rune(t), []rune(models.Narrow(t))
	if len(typed) != len(n) {
		return []string{t}
	}
	var out []string
	start := 0
	// Only inside the value: the line's own label may hold spaces ("整改 时限：").
	for i := slices.Index(n, ':') + 1; i < len(n); i++ {
		if !isInlineSep(n[i-1]) || isInlineSep(n[i]) {
			continue
		}
		j := i
		for j < len(n) && j-i <= 8 && n[j] != ':' {
			j++
		}
		if j >= len(n) || n[j] != ':' {
			continue
		}
		if _, ok := LookupField(string(n[i:j])); !ok {
			continue
		}
		out = append(out, strings.TrimSpace(string(typed[start:i-1])))
		start = i
	}
	return append(out, strings.TrimSpace(string(typed[start:])))
}

func isInlineSep(r rune) bool {
	switch r {
	case ',', ';', ' ', '。':
		return true
	}
	return false
}

func joinLine(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// splitLabel splits a line at its first colon (full- or half-width), after
// any list marker: "1、隐患：X" → "隐患", "X". The label comes back narrowed,
// the value as typed.
func splitLabel(t string) (label, value string, ok bool) {
	n := models.Narrow(t)
	skip := 0
	if m := reListMarker.FindStringIndex(n); m != nil {
		skip = utf8.RuneCountInString(n[:m[1]])
	}
	i := strings.IndexByte(n, ':')
	if i < 0 {
		return "", "", false
	}
	colon := utf8.RuneCountInString(n[:i])
	if colon < skip {
		return "", "", false
	}
	r := []rune(t)
	return strings.TrimSpace(string([]rune(n)[skip:colon])), strings.TrimSpace(string(r[colon+1:])), true
}

// looksLikeLabel tells a field name we do not know ("联系人") from a colon
// inside running text ("14:30到场", "https://…").
func looksLikeLabel(label, value string) bool {
	n := utf8.RuneCountInString(label)
	if n == 0 || n > 8 || strings.HasPrefix(value, "//") {
		return false
	}
	for i, r := range label {
		if i == 0 && !unicode.IsLetter(r) {
			return false
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// isFieldLine reports whether a line starts a known field; Parse uses it to
// tell "上报 隐患：…" from "上报 XX加油站无静电接地".
func isFieldLine(t string) bool {
	label, _, ok := splitLabel(strings.TrimSpace(t))
	if !ok {
		return false
	}
	_, known := LookupField(label)
	return known
}

// cleanText turns every line break into "\n", replaces invalid UTF-8 (which
// a database column would refuse) and drops invisible characters, keeping
// everything else as typed.
func cleanText(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.NewReplacer("\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n").Replace(text)
	return models.Visible(text)
}

// narrowText narrows each line of cleaned text: full-width ASCII to
// half-width, every space to ' '. models.Narrow alone would turn line breaks
// into spaces, and line breaks carry meaning here. Rune i of the result is
// rune i of the input, so a position found in the narrowed text points at
// the same place in the text as typed (see typedSuffix).
func narrowText(clean string) string {
	ls := strings.Split(clean, "\n")
	for i, l := range ls {
		ls[i] = models.Narrow(l)
	}
	return strings.Join(ls, "\n")
}

// typedSuffix returns the end of typed that corresponds to suffix, an end of
// narrowText(typed): the same number of runes.
func typedSuffix(typed, suffix string) string {
	k := utf8.RuneCountInString(suffix)
	i := len(typed)
	for ; k > 0 && i > 0; k-- {
		_, size := utf8.DecodeLastRuneInString(typed[:i])
		i -= size
	}
	return typed[i:]
}

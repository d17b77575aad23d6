package command

import (
	"reflect"
	"testing"
)

func TestParseFields(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    map[Field]string
		unknown []string
	}{
		{
			name: "every field, full-width colons",
			in: "隐患：卸油区未设静电接地\n内容：卸油口无接地桩\n区域：茅箭区\n行业：危险化学品\n企业：XX加油站\n" +
				"单位：茅箭区应急管理局\n措施：增设接地桩\n时限：3月31日\n检查日期：3月15日\n备注：已责令停止卸油\n位置：人民南路12号\n等级：一般",
			want: map[Field]string{
				FieldTitle: "卸油区未设静电接地", FieldDescription: "卸油口无接地桩", FieldRegion: "茅箭区",
				FieldSector: "危险化学品", FieldEnterprise: "XX加油站", FieldUnit: "茅箭区应急管理局",
				FieldMeasures: "增设接地桩", FieldDeadline: "3月31日", FieldInspectionDate: "3月15日",
				FieldRemarks: "已责令停止卸油", FieldLocation: "人民南路12号", FieldGrade: "一般",
			},
		},
		{
			name: "aliases and half-width colons",
			in:   "重点隐患:消防通道堵塞\n隐患内容:堆放杂物\n县市区:张湾区\n行业领域:消防\n企业名称:XX商场\n责任单位:张湾区消防救援大队\n整改措施:清理\n整改时限:15天\n检查时间:今天\n地址:车城路1号\n隐患等级:重大",
			want: map[Field]string{
				FieldTitle: "消防通道堵塞", FieldDescription: "堆放杂物", FieldRegion: "张湾区", FieldSector: "消防",
				FieldEnterprise: "XX商场", FieldUnit: "张湾区消防救援大队", FieldMeasures: "清理",
				FieldDeadline: "15天", FieldInspectionDate: "今天", FieldLocation: "车城路1号", FieldGrade: "重大",
			},
		},
		{
			name: "more aliases",
			in:   "标题：A\n描述：B\n地区：C\n领域：D\n场所：E\n期限：F\n地点：G",
			want: map[Field]string{FieldTitle: "A", FieldDescription: "B", FieldRegion: "C", FieldSector: "D", FieldEnterprise: "E", FieldDeadline: "F", FieldLocation: "G"},
		},
		{
			name: "problem and jiezhi aliases",
			in:   "问题：A\n截止：月底",
			want: map[Field]string{FieldTitle: "A", FieldDeadline: "月底"},
		},
		{
			name: "value continues on following lines",
			in:   "内容：一楼疏散通道堆放纸箱\n二楼安全出口上锁\n单位：某街道办",
			want: map[Field]string{FieldDescription: "一楼疏散通道堆放纸箱\n二楼安全出口上锁", FieldUnit: "某街道办"},
		},
		{
			name: "value on the next line after an empty label",
			in:   "隐患：\n消防通道堵塞",
			want: map[Field]string{FieldTitle: "消防通道堵塞"},
		},
		{
			name: "empty value is left out",
			in:   "隐患：A\n单位：\n时限：  ",
			want: map[Field]string{FieldTitle: "A"},
		},
		{
			name: "later value wins",
			in:   "时限：3月20日\n时限：3月31日",
			want: map[Field]string{FieldDeadline: "3月31日"},
		},
		{
			name: "spaces, chinese spaces, CRLF and list markers",
			in:   "1、 隐患 ： 卸油区无接地\r\n2.\u3000整改 时限：月底\r\n(3) 【备注】：无",
			want: map[Field]string{FieldTitle: "卸油区无接地", FieldDeadline: "月底", FieldRemarks: "无"},
		},
		{
			name: "colon inside a value is kept",
			in:   "内容：14:30到场，发现问题：无接地",
			want: map[Field]string{FieldDescription: "14:30到场，发现问题：无接地"},
		},
		{
			name: "time and url on continuation lines are text",
			in:   "内容：到场\n14:30检查\nhttps://example.com/a",
			want: map[Field]string{FieldDescription: "到场\n14:30检查\nhttps://example.com/a"},
		},
		{
			name:    "unknown label with its continuation",
			in:      "隐患：A\n联系人：张三\n13800000000\n单位：B",
			want:    map[Field]string{FieldTitle: "A", FieldUnit: "B"},
			unknown: []string{"联系人：张三\n13800000000"},
		},
		{
			name:    "text before the first field",
			in:      "你好\n隐患：A",
			want:    map[Field]string{FieldTitle: "A"},
			unknown: []string{"你好"},
		},
		{
			name: "a line without colon is not a field",
			in:   "隐患 消防通道堵塞",
			want: map[Field]string{}, unknown: []string{"隐患 消防通道堵塞"},
		},
		{
			name: "english labels",
			in:   "Title: Blocked exit\nDeadline: 15天",
			want: map[Field]string{FieldTitle: "Blocked exit", FieldDeadline: "15天"},
		},
		{
			name: "circled and chinese list markers",
			in:   "①隐患：通道堵塞\n②内容：堆放杂物\n三、区域：茅箭\n（四）行业：消防",
			want: map[Field]string{FieldTitle: "通道堵塞", FieldDescription: "堆放杂物", FieldRegion: "茅箭", FieldSector: "消防"},
		},
		{
			name: "several fields on one line",
			in:   "隐患：通道堵塞，区域：茅箭；行业:消防 时限：15天。单位：待定",
			want: map[Field]string{FieldTitle: "通道堵塞", FieldRegion: "茅箭", FieldSector: "消防", FieldDeadline: "15天", FieldUnit: "待定"},
		},
		{
			name: "a comma inside a value without a field after it stays",
			in:   "内容：楼道堆放杂物，消防通道被占用，单位 说：明天清",
			want: map[Field]string{FieldDescription: "楼道堆放杂物，消防通道被占用，单位 说：明天清"},
		},
		{name: "empty", in: "", want: map[Field]string{}},
		// Found by FuzzParseFields: a value cut inside a UTF-8 sequence must
		// come back as valid text taken from the message.
		{name: "invalid UTF-8 in a value", in: "问题：\xe6", want: map[Field]string{FieldTitle: "\uFFFD"}},
		{name: "zero-width space is dropped", in: "隐\u200b患：A\u200b", want: map[Field]string{FieldTitle: "A"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, unknown := ParseFields(c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("fields = %q, want %q", got, c.want)
			}
			if !reflect.DeepEqual(unknown, c.unknown) {
				t.Errorf("unknown = %q, want %q", unknown, c.unknown)
			}
		})
	}
}

func TestFieldTables(t *testing.T) {
	seen := map[Field]bool{}
	for _, f := range Fields {
		if seen[f] {
			t.Errorf("%s listed twice", f)
		}
		seen[f] = true
		if FieldName(f) == string(f) || FieldExample(f) == "" {
			t.Errorf("%s has no Chinese name or example", f)
		}
	}
	for _, f := range fieldAliases {
		if !seen[f] {
			t.Errorf("alias target %s is not in Fields", f)
		}
	}
	want := []Field{FieldTitle, FieldDescription, FieldRegion, FieldSector, FieldUnit, FieldDeadline}
	if !reflect.DeepEqual(GuidedFields, want) {
		t.Errorf("GuidedFields = %v, want %v", GuidedFields, want)
	}
	for _, f := range Fields {
		guided := false
		for _, g := range want {
			guided = guided || g == f
		}
		if Optional(f) == guided {
			t.Errorf("Optional(%s) = %v", f, Optional(f))
		}
	}
	for _, c := range []struct {
		label string
		want  Field
	}{{"整改时限", FieldDeadline}, {"时限", FieldDeadline}, {"Deadline", FieldDeadline}, {"责任 单位", FieldUnit}, {"【隐患】", FieldTitle}} {
		if f, ok := LookupField(c.label); !ok || f != c.want {
			t.Errorf("LookupField(%q) = %v, %v; want %v", c.label, f, ok, c.want)
		}
	}
	if _, ok := LookupField("联系人"); ok {
		t.Error("LookupField(联系人) found a field")
	}
}

func TestIsPending(t *testing.T) {
	for in, want := range map[string]bool{"待定": true, " 不清楚 ": true, "暂无": true, "茅箭区应急管理局": false, "": false} {
		if got := IsPending(in); got != want {
			t.Errorf("IsPending(%q) = %v, want %v", in, got, want)
		}
	}
}

package main

import "testing"

// A late photo's answer names the hazard it joined and counts the photos
// of that hazard's latest 整改 only. After a 退回 the first round's photos
// are the hazard's too: the record adds the one photo, whatever the count.
func TestLatePhotoAddsOnePhotoToTheHazardItNames(t *testing.T) {
	l := newLedger()
	a := &record{number: "YH2023-0007", photosAfter: 2} // 附照片2张 in the first round
	b := &record{number: "YH2023-0008"}
	l.add(a)
	l.add(b)
	for _, tc := range []struct {
		name, reply string
		a, b        int
	}{
		{"late to the second round of a", "已收到照片，补充到 YH2023-0007 最近一次的整改（这次整改照片共1张），已告知复查人员。", 3, 0},
		{"a draft photo joins nothing yet", "已收到照片（待提交1张）。发送“上报”登记隐患，或“整改 编号 做了什么”提交整改，照片会一并附上。", 3, 0},
		{"late to another hazard", "已收到照片，补充到 YH2023-0008 最近一次的整改（这次整改照片共1张），已告知复查人员。", 3, 1},
		{"again to b", "已收到照片，补充到 YH2023-0008 最近一次的整改（这次整改照片共2张），已告知复查人员。", 3, 2},
	} {
		l.latePhoto(tc.reply)
		if a.photosAfter != tc.a || b.photosAfter != tc.b {
			t.Fatalf("%s: photos after a=%d b=%d, want %d %d", tc.name, a.photosAfter, b.photosAfter, tc.a, tc.b)
		}
	}
}

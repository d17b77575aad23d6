package models

import (
	"math"
	"testing"
)

func TestTitleSimilarity(t *testing.T) {
	tests := []struct {
		a, b string
		dup  bool
	}{
		{"液化气钢瓶违规存放", "液化气钢瓶违规存放在地下室", true},
		{"消防通道堵塞", "消防通道被堵塞", true},
		{"灭火器过期", "灭火器过期失效", true},
		{"ＬＰＧ钢瓶 违规存放", "lpg钢瓶违规存放", true},
		{"消防通道堵塞", "配电箱未接地", false},
		{"液化气钢瓶违规存放", "加气站燃气泄漏", false},
		{"", "消防通道堵塞", false},
	}
	for _, tc := range tests {
		t.Run(tc.a+"|"+tc.b, func(t *testing.T) {
			s := TitleSimilarity(tc.a, tc.b)
			if (s >= SimilarTitle) != tc.dup {
				t.Fatalf("similarity %.2f, want duplicate=%v", s, tc.dup)
			}
			if r := TitleSimilarity(tc.b, tc.a); r != s {
				t.Fatalf("not symmetric: %.3f vs %.3f", s, r)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	// 0.001° of latitude is about 111 m anywhere.
	if d := Distance(32.630, 110.790, 32.631, 110.790); math.Abs(d-111.2) > 1 {
		t.Fatalf("distance %.1f m, want about 111 m", d)
	}
	if d := Distance(32.63, 110.79, 32.63, 110.79); d != 0 {
		t.Fatalf("distance to itself %.3f", d)
	}
}

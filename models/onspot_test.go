package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
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

// TestDuplicateIndexFindsWhatTheRuleSays checks the index against the rule
// written out plainly — every candidate compared, titles as bigram counts —
// over random reports and candidates that share units, enterprises (typed
// with other spaces and punctuation), sites and titles.
func TestDuplicateIndexFindsWhatTheRuleSays(t *testing.T) {
	titles := []string{"液化气钢瓶违规存放", "液化气钢瓶违规存放在地下室", "消防通道堵塞", "消防通道被堵塞",
		"灭火器过期", "灭火器过期失效", "配电箱未接地", "ＬＰＧ钢瓶 违规存放", "lpg钢瓶违规存放", "井", "井盖缺失"}
	enterprises := []string{"", "", "十堰市某燃气有限公司", "十堰市某燃气 有限公司", "十堰市某燃气有限公司。", "东风加油站"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() *uint {
		if r.IntN(4) == 0 {
			return nil
		}
		v := uint(1 + r.IntN(3))
		return &v
	}
	site := func() (*float64, *float64) {
		if r.IntN(3) > 0 {
			return nil, nil
		}
		lat, lng := 32.63+float64(r.IntN(4))*0.0006, 110.79
		return &lat, &lng
	}
	var all []Hazard
	x := NewDuplicateIndex(nil)
	found, several := 0, 0
	for i := range 400 {
		in := HazardInput{Title: titles[r.IntN(len(titles))], RegionID: pick(), UnitID: pick(), Enterprise: enterprises[r.IntN(len(enterprises))]}
		in.Lat, in.Lng = site()
		want := plainDuplicates(in, all)
		got := x.Find(in)
		if !slices.EqualFunc(got, want, func(a, b Hazard) bool { return a.ID == b.ID }) {
			t.Fatalf("report %d (%+v): index found %v, the rule %v", i, in, ids(got), ids(want))
		}
		if d := Duplicates(in, all); !slices.EqualFunc(d, want, func(a, b Hazard) bool { return a.ID == b.ID }) {
			t.Fatalf("report %d: Duplicates found %v, the rule %v", i, ids(d), ids(want))
		}
		if len(want) > 0 {
			found++
		}
		if len(want) > 1 {
			several++
		}
		h := Hazard{ID: uint(i + 1), Title: in.Title, RegionID: in.RegionID, UnitID: in.UnitID, Enterprise: in.Enterprise, Lat: in.Lat, Lng: in.Lng}
		all = append(all, h)
		x.Add(h)
	}
	// The samples must exercise the rule: many reports with a duplicate,
	// many with several to order.
	if found < 100 || several < 50 {
		t.Fatalf("only %d reports with a duplicate, %d with several: the samples test little", found, several)
	}
}

func ids(hs []Hazard) []uint {
	out := make([]uint, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

// plainDuplicates is the duplicate rule as FindDuplicates states it.
func plainDuplicates(in HazardInput, candidates []Hazard) []Hazard {
	if !duplicateCheckable(in) {
		return nil
	}
	type scored struct {
		h     Hazard
		score float64
	}
	var hits []scored
	for _, h := range candidates {
		if h.RegionID == nil || *h.RegionID != *in.RegionID {
			continue
		}
		near := in.Lat != nil && in.Lng != nil && h.Lat != nil && h.Lng != nil &&
			Distance(*in.Lat, *in.Lng, *h.Lat, *h.Lng) <= DuplicateDistance
		same := (in.UnitID != nil && h.UnitID != nil && *in.UnitID == *h.UnitID) ||
			(normName(in.Enterprise) != "" && normName(in.Enterprise) == normName(h.Enterprise))
		sim := plainSimilarity(in.Title, h.Title)
		switch {
		case near:
			hits = append(hits, scored{h, 2 + sim})
		case same && sim >= SimilarTitle:
			hits = append(hits, scored{h, sim})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	out := make([]Hazard, len(hits))
	for i, s := range hits {
		out[i] = s.h
	}
	return out
}

// plainSimilarity is the Dice coefficient of two titles' bigram counts.
func plainSimilarity(a, b string) float64 {
	grams := func(s string) map[string]int {
		var rs []rune
		for _, r := range strings.ToLower(Narrow(s)) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				rs = append(rs, r)
			}
		}
		out := map[string]int{}
		if len(rs) == 1 {
			out[string(rs)]++
		}
		for i := 0; i+1 < len(rs); i++ {
			out[string(rs[i:i+2])]++
		}
		return out
	}
	ga, gb := grams(a), grams(b)
	if len(ga) == 0 || len(gb) == 0 {
		return 0
	}
	shared, total := 0, 0
	for g, n := range ga {
		shared += min(n, gb[g])
		total += n
	}
	for _, n := range gb {
		total += n
	}
	return 2 * float64(shared) / float64(total)
}

package bot

import (
	"strings"
	"testing"

	"hazardbot/models"
)

// The regions as the shipped directory (config/directory.shiyan.yaml)
// names them.
func shiyanRegions() []models.Unit {
	var out []models.Unit
	for i, n := range []string{"茅箭区安委会", "张湾区安委会", "郧阳区安委会", "丹江口市安委会", "郧西县安委会", "竹山县安委会",
		"竹溪县安委会", "房县安委会", "十堰经济技术开发区安委会", "武当山旅游经济特区安委会"} {
		out = append(out, models.Unit{ID: uint(i + 1), Name: n, Kind: models.KindRegion})
	}
	return out
}

func TestCountiesAt(t *testing.T) {
	regions := shiyanRegions()
	names := func(us []models.Unit) string {
		var s []string
		for _, u := range us {
			s = append(s, u.ShortName())
		}
		return strings.Join(s, "、")
	}
	cases := []struct {
		name     string
		lat, lng float64
		want     string
	}{
		{"竹溪 county town", 32.318, 109.715, "竹溪县"},
		{"far west of 竹溪, one box only", 32.10, 109.50, "竹溪县"},
		{"竹山 county town", 32.225, 110.229, "竹山县"},
		{"房县 county town", 32.056, 110.741, "房县"},
		{"郧西 county town", 32.993, 110.426, "郧西县"},
		{"郧阳 county town on the Han", 32.835, 110.812, "郧阳区"},
		{"丹江口 city", 32.540, 111.513, "丹江口市"},
		{"武当山 老营", 32.443, 111.006, "武当山旅游经济特区"},
		{"经开区 白浪", 32.615, 110.895, "十堰经济技术开发区"},
		{"茅箭, east of the city centre", 32.612, 110.815, "茅箭区"},
		{"张湾 district office", 32.652, 110.769, "张湾区"},
		{"between the 茅箭 and 张湾 offices: ask", 32.633, 110.787, "茅箭区、张湾区"},
		{"Wuhan is outside", 30.59, 114.30, ""},
		{"Xi'an is outside", 34.34, 108.94, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := names(countiesAt(regions, c.lat, c.lng)); got != c.want {
				t.Fatalf("countiesAt(%.3f, %.3f) = %q, want %q", c.lat, c.lng, got, c.want)
			}
		})
	}
	t.Run("a directory without the county places nothing", func(t *testing.T) {
		if got := countiesAt(regions[:1], 32.318, 109.715); len(got) != 0 {
			t.Fatalf("got %v", names(got))
		}
	})
}

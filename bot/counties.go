package bot

import (
	"math"
	"sort"
	"strings"

	"hazardbot/models"
)

// countyArea is where one of Shiyan's counties (县市区) lies, roughly.
//
// HOW ACCURATE THIS IS: not a map. Each county is a hand-made bounding box
// (its extent rounded outwards to about 0.05°, 5 km) and the position of its
// seat (the government's town; for 茅箭区 a point in the city between its
// office and the city centre), both approximate, written down from general
// geography without survey data. Boxes overlap where counties interlock;
// inside several boxes the nearest seat decides, and only when it is
// clearly nearer (distanceMargin) than the next. So the answer can be
// wrong within a few kilometres of a border and is left to the tipster
// (ask) whenever two seats are about as near, which is often the case in
// the city itself, where 茅箭区, 张湾区 and 经开区 meet. A point outside
// every box (outside Shiyan) is never guessed. Replace the table with real
// simplified polygons when the city's GIS office provides them.
type countyArea struct {
	// Names match the directory's region by its short name (ShortName
	// contains one of them): 经开区 is 十堰经济技术开发区 there.
	Names                          []string
	SeatLat, SeatLng               float64
	MinLat, MinLng, MaxLat, MaxLng float64
}

// shiyanCounties are Shiyan's ten county-level areas, west to east, north
// to south in no particular order.
var shiyanCounties = []countyArea{
	{Names: []string{"郧西"}, SeatLat: 32.993, SeatLng: 110.426, MinLat: 32.75, MinLng: 109.45, MaxLat: 33.30, MaxLng: 110.65},
	{Names: []string{"郧阳", "郧县"}, SeatLat: 32.835, SeatLng: 110.812, MinLat: 32.45, MinLng: 110.30, MaxLat: 33.20, MaxLng: 111.30},
	{Names: []string{"竹溪"}, SeatLat: 32.318, SeatLng: 109.715, MinLat: 31.50, MinLng: 109.40, MaxLat: 32.65, MaxLng: 110.05},
	{Names: []string{"竹山"}, SeatLat: 32.225, SeatLng: 110.229, MinLat: 31.50, MinLng: 109.60, MaxLat: 32.70, MaxLng: 110.60},
	{Names: []string{"房县"}, SeatLat: 32.056, SeatLng: 110.741, MinLat: 31.50, MinLng: 110.05, MaxLat: 32.45, MaxLng: 111.25},
	{Names: []string{"丹江口"}, SeatLat: 32.540, SeatLng: 111.513, MinLat: 32.25, MinLng: 110.80, MaxLat: 33.05, MaxLng: 111.60},
	{Names: []string{"张湾"}, SeatLat: 32.652, SeatLng: 110.769, MinLat: 32.40, MinLng: 110.45, MaxLat: 32.75, MaxLng: 110.85},
	{Names: []string{"茅箭"}, SeatLat: 32.615, SeatLng: 110.805, MinLat: 32.38, MinLng: 110.72, MaxLat: 32.66, MaxLng: 110.95},
	{Names: []string{"武当山"}, SeatLat: 32.443, SeatLng: 111.006, MinLat: 32.35, MinLng: 110.90, MaxLat: 32.55, MaxLng: 111.15},
	{Names: []string{"经开区", "经济技术开发区"}, SeatLat: 32.615, SeatLng: 110.895, MinLat: 32.56, MinLng: 110.84, MaxLat: 32.66, MaxLng: 110.96},
}

// distanceMargin: the nearest seat decides only when it is nearer than
// this share of the next one's distance.
const distanceMargin = 0.7

func (a countyArea) contains(lat, lng float64) bool {
	return lat >= a.MinLat && lat <= a.MaxLat && lng >= a.MinLng && lng <= a.MaxLng
}

// km is the distance from (lat, lng) to the seat, on a flat earth (good to
// a percent over a city).
func (a countyArea) km(lat, lng float64) float64 {
	dy := (lat - a.SeatLat) * 111.2
	dx := (lng - a.SeatLng) * 111.2 * math.Cos((lat+a.SeatLat)/2*math.Pi/180)
	return math.Hypot(dx, dy)
}

func (a countyArea) matches(u *models.Unit) bool {
	short := u.ShortName()
	for _, n := range a.Names {
		if strings.Contains(short, n) {
			return true
		}
	}
	return false
}

// countiesAt returns the regions (of the directory's regions) whose area
// holds the point, nearest seat first. One means the point is placed;
// several mean it lies where they meet and the tipster should choose among
// them; none means it is outside every known county (or the directory has
// none of them). See countyArea for how rough this is.
func countiesAt(regions []models.Unit, lat, lng float64) []models.Unit {
	type hit struct {
		u  models.Unit
		km float64
	}
	var hits []hit
	for _, a := range shiyanCounties {
		if !a.contains(lat, lng) {
			continue
		}
		for _, r := range regions {
			if a.matches(&r) {
				hits = append(hits, hit{r, a.km(lat, lng)})
				break
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].km < hits[j].km })
	if len(hits) > 1 && hits[0].km < distanceMargin*hits[1].km {
		hits = hits[:1]
	}
	var out []models.Unit
	for _, h := range hits {
		if len(out) > 0 && h.km >= hits[0].km/distanceMargin {
			break // too far to be a fair choice
		}
		out = append(out, h.u)
	}
	return out
}

package main

import (
	"fmt"
	"strings"
	"sync"
)

// regions are the Shiyan directory's counties (code, name); the soak's
// people and enterprises are spread over them so that each county's
// supervisors see a county's share of the traffic, as in life.
var regions = [][2]string{
	{"maojian", "茅箭区安委会"}, {"zhangwan", "张湾区安委会"}, {"yunyang", "郧阳区安委会"}, {"danjiangkou", "丹江口市安委会"},
	{"yunxi", "郧西县安委会"}, {"zhushan", "竹山县安委会"}, {"zhuxi", "竹溪县安委会"}, {"fangxian", "房县安委会"},
	{"kaifaqu", "十堰经济技术开发区安委会"}, {"wudangshan", "武当山旅游经济特区安委会"},
}

// directory is the simulated people, added beside the Shiyan demo
// directory: in every county inspectors, enterprises with one contact each,
// and two supervisors.
type directory struct {
	inspectors  []*person
	supervisors map[int][]*person // by region index
	units       []*unit
	viewers     []*person // ask 统计: city supervisor and leaders
}

// person is one simulated WeCom user. A person does one thing at a time,
// as a person with a phone does: their dialogue and pending photos are
// theirs alone.
type person struct {
	id     string
	region int
	mu     sync.Mutex
}

type unit struct {
	code, name string
	region     int
	contact    *person
}

// regionName is what an officer types for the 区域 field: the name
// without 安委会.
func regionName(r int) string { return strings.TrimSuffix(regions[r][1], "安委会") }

func makeDirectory(inspectors, units int) directory {
	d := directory{supervisors: map[int][]*person{}}
	for i := range inspectors {
		d.inspectors = append(d.inspectors, &person{id: fmt.Sprintf("soak_i%03d", i), region: i % len(regions)})
	}
	for i := range units {
		r := i % len(regions)
		d.units = append(d.units, &unit{code: fmt.Sprintf("soak_e%02d", i), name: fmt.Sprintf("%s浸泡测试企业%02d（示例）", regionName(r), i),
			region: r, contact: &person{id: fmt.Sprintf("soak_c%02d", i), region: r}})
	}
	for r := range regions {
		for k := range 2 {
			d.supervisors[r] = append(d.supervisors[r], &person{id: fmt.Sprintf("soak_s%d_%d", r, k), region: r})
		}
	}
	d.viewers = []*person{{id: "zhaoliu"}, {id: "sunqi"}, {id: "zhouba"}}
	return d
}

// unitsIn lists the enterprises of region r.
func (d directory) unitsIn(r int) []*unit {
	var out []*unit
	for _, u := range d.units {
		if u.region == r {
			out = append(out, u)
		}
	}
	return out
}

// yaml is the directory file to import after the Shiyan one: the city and
// its counties repeated with the same names (import updates by code), the
// new enterprises under them, and the people.
func (d directory) yaml() string {
	var b strings.Builder
	b.WriteString("units:\n  - code: shiyan\n    name: 十堰市安委会\n    kind: committee\n    children:\n")
	for r, reg := range regions {
		fmt.Fprintf(&b, "      - code: %s\n        name: %s\n        kind: region\n        children:\n", reg[0], reg[1])
		for _, u := range d.unitsIn(r) {
			fmt.Fprintf(&b, "          - {code: %s, name: %s, kind: enterprise}\n", u.code, u.name)
		}
	}
	b.WriteString("users:\n")
	for i, p := range d.inspectors {
		fmt.Fprintf(&b, "  - {userid: %s, name: 检查员%03d, unit: %s, roles: [inspector]}\n", p.id, i, regions[p.region][0])
	}
	for i, u := range d.units {
		fmt.Fprintf(&b, "  - {userid: %s, name: 联系人%02d, unit: %s, roles: [contact]}\n", u.contact.id, i, u.code)
	}
	for r := range regions {
		for k, p := range d.supervisors[r] {
			fmt.Fprintf(&b, "  - {userid: %s, name: 督办员%d-%d, unit: %s, roles: [supervisor]}\n", p.id, r, k, regions[r][0])
		}
	}
	return b.String()
}

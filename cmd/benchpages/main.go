// Command benchpages measures the H5 pages' server time and transferred
// size over a generated ledger: 首页 (a city leader's and a county
// supervisor's), 台账 (first page, a filtered page, a page after a cursor)
// and one hazard's page with its events and photos. Requests go straight to
// the router (httptest.ResponseRecorder), so the time is the server's own:
// session lookup, queries, charts and templates, without the network.
//
//	go run ./cmd/benchpages -dsn 'root@tcp(127.0.0.1:3306)/hazardbot_pages' -rows 100000
//
// It creates the MySQL database named in -dsn (dropped afterwards unless
// -drop=false). Figures go to docs/PERFORMANCE.md by hand.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/handlers"
	"hazardbot/models"
)

func main() {
	dsn := flag.String("dsn", "", "MySQL/MariaDB DSN of a database to create for the run (required)")
	rows := flag.Int("rows", 100_000, "hazards to generate")
	runs := flag.Int("runs", 200, "requests per page")
	drop := flag.Bool("drop", true, "drop the database afterwards")
	reuse := flag.Bool("reuse", false, "reuse the ledger of an earlier run with -drop=false (migrated first; no new hazards but the one worked through)")
	spread := flag.String("spread", "county", "county: a hazard's unit lies in its county, the committee follows the sector, the campaign the date (a real ledger); random: region, unit and committee drawn apart from the whole directory (the worst shape for the counts)")
	flag.Parse()
	if *dsn == "" {
		log.Fatal("benchpages: -dsn is required (a MySQL/MariaDB database to create)")
	}
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if !*reuse {
		dropDB, err := models.CreateDatabase(*dsn)
		if err != nil {
			log.Fatal(err)
		}
		if *drop {
			defer dropDB()
		}
	}
	s, err := models.Open(models.DBConfig{Driver: "mysql", DSN: *dsn, MaxOpenConns: 32}, loc, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	// In the middle of the spring offensive, so 首页's default period is the campaign.
	now := time.Date(2023, 4, 17, 9, 30, 0, 0, loc)
	s.Now = func() time.Time { return now }
	if !*reuse {
		if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
			log.Fatal(err)
		}
		generate(ctx, s, *rows, *spread == "random")
	}
	// A demo database (as demo mode marks it): only there does
	// /h5/demo-login sign anyone in (also a -reuse'd one made before that rule).
	if err := s.InTx(ctx, func(tx *models.Tx) error { return tx.SetSetting(models.SettingDemo, "shiyan") }); err != nil {
		log.Fatal(err)
	}

	cfg := config.Default() // demo mode: sign in through /h5/demo-login
	dir, _ := os.MkdirTemp("", "benchpages")
	defer os.RemoveAll(dir)
	files := bot.DirFiles{Dir: dir}
	b := bot.New(s, cfg, nil)
	number := showcase(ctx, s, b, files)
	router := handlers.New(handlers.Deps{Store: s, Bot: b, Config: cfg, Files: files}).Router()

	leader := signIn(router, "sunqi")    // city leader: whole city, chart by county
	county := signIn(router, "wangwu")   // 茅箭区 supervisor: chart by unit, to-do lists
	contact := signIn(router, "qianjiu") // the hazard's unit contact

	fmt.Printf("ledger: %d generated hazards + 1 worked through; clock %s\n", *rows, now.Format("2006-01-02 15:04"))
	printMachine(s)
	fmt.Printf("%-44s %8s %8s %8s %8s %9s %9s\n", "page", "p50", "p95", "p99", "max", "bytes", "gzipped")
	after := cursorPage(router, county)
	for _, p := range []struct {
		name, path string
		cookie     string
	}{
		{"首页, city leader (by county)", "/h5/", leader},
		{"首页, county supervisor (by unit, to-do)", "/h5/", county},
		{"台账, city, first page", "/h5/ledger", leader},
		{"台账, county, rectifying + overdue", "/h5/ledger?state=rectifying&overdue=1", county},
		{"台账, city, 燃气 this month", "/h5/ledger?sector=%E7%87%83%E6%B0%94&period=%E6%9C%AC%E6%9C%88", leader},
		{"台账, county, next page (cursor)", after, county},
		{"隐患 page (6 events, 3 photos)", "/h5/hazards/" + number, contact},
	} {
		measure(router, p.name, p.path, p.cookie, *runs)
	}
	// Where 首页's time goes: the figures (bot.Overview) and the to-do lists (bot.Todo).
	for _, u := range []string{"sunqi", "wangwu"} {
		part(u+": bot.Overview (figures, chart rows, 8 weeks)", *runs, func() error { _, err := b.Overview(ctx, u, "", 8); return err })
		part(u+": bot.Todo (newest 5 of each list)", *runs, func() error { _, err := b.Todo(ctx, u, 5); return err })
	}
	for _, a := range []string{"app.css", "app.js"} {
		rec := get(router, "/h5/static/"+a, "")
		gz := getEncoded(router, "/h5/static/"+a, "", "gzip, deflate, br")
		fmt.Printf("%-44s %44d %9d\n", "asset "+a+" (cached a year)", rec.Body.Len(), gz.Body.Len())
	}
}

// generate inserts rows hazards of 2023 spread over the ten counties,
// their units and the sectors, with a realistic mix of states. With random,
// each hazard's region, unit and committee are drawn apart from the whole
// directory: no two hazards of a day share a count row, the worst case
// for the pre-aggregated counts.
func generate(ctx context.Context, s *models.Store, rows int, random bool) {
	type place struct{ region, unit uint }
	var places []place
	var regions, units, committeeIDs []uint
	committees := map[string]uint{}
	var campaign *models.Campaign
	s.InTx(ctx, func(tx *models.Tx) error {
		rs, _ := tx.Regions()
		for _, r := range rs {
			regions = append(regions, r.ID)
		}
		all, _ := tx.Units(models.KindDepartment, models.KindTown, models.KindEnterprise)
		for i := range all {
			units = append(units, all[i].ID)
			r, _ := tx.RegionOf(&all[i])
			if r == nil { // a city-level unit works in every county
				for _, rr := range rs {
					places = append(places, place{rr.ID, all[i].ID})
				}
				continue
			}
			places = append(places, place{r.ID, all[i].ID})
		}
		for _, sec := range models.Sectors {
			if c, _ := tx.CommitteeForSector(sec); c != nil {
				committees[sec] = c.ID
				committeeIDs = append(committeeIDs, c.ID)
			}
		}
		campaign, _ = tx.CampaignOn(models.NewDate(2023, 3, 1))
		return nil
	})
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	states := []models.State{models.StateReported, models.StateRectifying, models.StateRectifying, models.StatePendingReview, models.StateClosed, models.StateClosed, models.StateClosed, models.StateWithdrawn}
	titles := []string{"液化气钢瓶与灶具连接软管老化", "消防通道堆放杂物", "配电箱未接地", "危化品仓库未设防爆灯", "脚手架连墙件缺失", "特种设备超期未检"}
	const batch = 2000
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < rows; done += batch {
		n := min(batch, rows-done)
		var sb strings.Builder
		args := make([]any, 0, n*16)
		sb.WriteString("INSERT INTO hazards (year, seq, number, title, description, region_id, unit_id, committee_id, campaign_id, sector, state, deadline, found_on, level, grade, created_at, updated_at) VALUES ")
		for i := range n {
			seq := 1000 + done + i
			found := base.AddDate(0, 0, rng.IntN(106)) // 1 Jan to 16 Apr
			deadline := found.AddDate(0, 0, 7+rng.IntN(40))
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(2023,?,?,?,?,?,?,?,?,?,?,?,?,'county','一般',?,?)")
			t := titles[rng.IntN(len(titles))]
			sector := models.Sectors[rng.IntN(len(models.Sectors))]
			p := places[rng.IntN(len(places))]
			var committee, camp *uint
			if c, ok := committees[sector]; ok {
				committee = &c
			}
			if random {
				p = place{regions[rng.IntN(len(regions))], units[rng.IntN(len(units))]}
				c := committeeIDs[rng.IntN(len(committeeIDs))]
				committee = &c
			}
			if campaign != nil && !models.DateOf(found, time.UTC).Before(campaign.Start) && !models.DateOf(found, time.UTC).After(campaign.End) {
				camp = &campaign.ID
			}
			args = append(args, seq, fmt.Sprintf("YH2023-%04d", seq), t, t+"，现场检查发现，需限期整改。",
				p.region, p.unit, committee, camp, sector, states[rng.IntN(len(states))],
				deadline.Format("2006-01-02"), found.Format("2006-01-02"), found, found)
		}
		if err := s.DB.WithContext(ctx).Exec(sb.String(), args...).Error; err != nil {
			log.Fatal(err)
		}
	}
	s.DB.Exec("ANALYZE TABLE hazards")
	fmt.Printf("generated %d hazards in %v (spread: %s)\n", rows, time.Since(start).Round(time.Millisecond), map[bool]string{true: "random", false: "county"}[random])
	// The rows went in behind the models' back: build their pre-aggregated
	// counts, as migration 80 does for an existing ledger.
	t0 := time.Now()
	if err := s.RebuildCounts(ctx); err != nil {
		log.Fatal(err)
	}
	s.DB.Exec("ANALYZE TABLE hazard_counts")
	var counts []struct {
		Agg int
		N   int64
	}
	s.DB.Raw("SELECT agg, COUNT(*) AS n FROM hazard_counts GROUP BY agg ORDER BY agg").Scan(&counts)
	fmt.Printf("rebuilt the counts in %v: rows by level (every column, region+unit, region) %v\n", time.Since(t0).Round(time.Millisecond), counts)
}

// showcase works one hazard through its life the way people do — report,
// accept, submit with photos, send back, submit again — and returns its
// number: the hazard page measured.
func showcase(ctx context.Context, s *models.Store, b *bot.Bot, files bot.Files) string {
	var unit uint
	s.InTx(ctx, func(tx *models.Tx) error {
		u, err := tx.FindUnitByCode("maojian_yjj")
		if err == nil {
			unit = u.ID
		}
		return err
	})
	lat, lng := 32.6378, 110.7987
	h, _, err := b.CreateHazard(ctx, "zhangsan", models.HazardInput{Title: "燃气软管老化", Description: "液化气钢瓶与灶具连接软管老化开裂",
		Sector: "燃气", Enterprise: "人民路老街饭店", Location: "茅箭区人民路12号", Lat: &lat, Lng: &lng, UnitID: &unit,
		Deadline: models.NewDate(2023, 4, 30), Measures: "更换软管，加装燃气报警器"})
	if err != nil {
		log.Fatal(err)
	}
	n := h.Num()
	photo := func(i int) []bot.StoredPhoto {
		img := image.NewRGBA(image.Rect(0, 0, 800, 600))
		for y := range 600 {
			for x := range 800 {
				img.Set(x, y, color.RGBA{uint8(x * 7 % 256), uint8(y * 3 % 256), uint8(i * 60), 255})
			}
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		name := fmt.Sprintf("photos/2023/04/bench-%d.png", i)
		size, err := files.Put(ctx, name, "image/png", &buf)
		if err != nil {
			log.Fatal(err)
		}
		return []bot.StoredPhoto{{Path: name, ContentType: "image/png", Size: size}}
	}
	steps := []struct {
		who    string
		action models.Action
		c      models.Change
		photos []bot.StoredPhoto
	}{
		{"qianjiu", models.ActAccept, models.Change{}, nil},
		{"qianjiu", models.ActSubmit, models.Change{Note: "已更换软管"}, photo(1)},
		{"wangwu", models.ActReject, models.Change{Note: "报警器未安装"}, nil},
		{"qianjiu", models.ActSubmit, models.Change{Note: "已更换软管并加装报警器"}, append(photo(2), photo(3)...)},
		{"wangwu", models.ActList, models.Change{Colour: models.ColourYellow}, nil},
	}
	for _, st := range steps {
		if _, err := b.TransitionWithPhotos(ctx, st.who, n, st.action, st.c, st.photos); err != nil {
			log.Fatalf("%s %s: %v", st.who, st.action, err)
		}
	}
	return h.Number
}

func get(h http.Handler, path, cookie string) *httptest.ResponseRecorder {
	return getEncoded(h, path, cookie, "")
}

// getEncoded is get with an Accept-Encoding (a browser sends "gzip, deflate, br").
func getEncoded(h http.Handler, path, cookie, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// signIn signs userid in through demo login and returns the session cookie.
func signIn(h http.Handler, userid string) string {
	rec := get(h, "/h5/demo-login?user="+userid, "")
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hz_session" {
			return c.Name + "=" + c.Value
		}
	}
	log.Fatalf("sign in %s: %d %s", userid, rec.Code, rec.Body.String())
	return ""
}

// cursorPage returns the address of the 台账's second page.
func cursorPage(h http.Handler, cookie string) string {
	body := get(h, "/h5/ledger", cookie).Body.String()
	i := strings.Index(body, `" id="next"`)
	if i < 0 {
		log.Fatal("the ledger has no next page")
	}
	j := strings.LastIndex(body[:i], `href="`)
	return strings.ReplaceAll(body[j+6:i], "&amp;", "&")
}

func measure(h http.Handler, name, path, cookie string, runs int) {
	var lat []time.Duration
	size := 0
	for i := range runs + 5 {
		t0 := time.Now()
		rec := getEncoded(h, path, cookie, "gzip, deflate, br") // as a browser asks: the time includes compressing
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			log.Fatalf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
		size = rec.Body.Len()
		if i >= 5 { // the first few warm the caches
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	q := func(p float64) string {
		return fmt.Sprintf("%.1fms", float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())/1000)
	}
	whole := get(h, path, cookie)
	fmt.Printf("%-44s %8s %8s %8s %8s %9d %9d\n", name, q(0.50), q(0.95), q(0.99), q(1), whole.Body.Len(), size)
}

// part times one call the way measure times a page.
func part(name string, runs int, fn func() error) {
	var lat []time.Duration
	for range runs {
		t0 := time.Now()
		if err := fn(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	q := func(p float64) string {
		return fmt.Sprintf("%.1fms", float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())/1000)
	}
	fmt.Printf("%-44s %8s %8s %8s %8s\n", name, q(0.50), q(0.95), q(0.99), q(1))
}

// printMachine prints what the figures need beside them: cores, the
// database's version and buffer pool, and the load average.
func printMachine(s *models.Store) {
	var version string
	var pool int64
	s.DB.Raw("SELECT VERSION()").Scan(&version)
	s.DB.Raw("SELECT @@innodb_buffer_pool_size").Scan(&pool)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %d cores (GOMAXPROCS %d), %s, innodb_buffer_pool_size %d MB, load average %s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), version, pool>>20, strings.Join(strings.Fields(string(load))[:3], " "))
}

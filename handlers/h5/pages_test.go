package h5_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hazardbot/bot/report"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// chartValues reads data-series/data-value pairs of one row of a chart.
func chartValues(t *testing.T, page, row string) map[string]int64 {
	t.Helper()
	i := strings.Index(page, `data-name="`+row+`"`)
	if i < 0 {
		t.Fatalf("the chart has no row %s", row)
	}
	end := strings.Index(page[i:], "</g>")
	re := regexp.MustCompile(`data-series="([^"]+)" data-value="(\d+)"`)
	out := map[string]int64{}
	for _, m := range re.FindAllStringSubmatch(page[i:i+end], -1) {
		v, _ := strconv.ParseInt(m[2], 10, 64)
		out[m[1]] = v
	}
	return out
}

func TestHome(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		st := newSite(t, s)
		for _, title := range []string{"燃气软管老化", "消防通道堵塞", "配电箱未接地"} {
			st.hazard(title)
		}
		// One overdue: the clock moves past the deadline.
		st.clock.Add(20 * 24 * 3600e9)
		b := st.signIn("sunqi") // city leader: by county
		a := b.get("/h5/")
		if a.status != http.StatusOK {
			t.Fatalf("home: %d", a.status)
		}
		// The sentence and the chart come from the same figures as 统计.
		o, err := st.bot.Overview(ctx, "sunqi", "", 8)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.body, o.Sentence) || !strings.Contains(o.Sentence, "检查发现重点隐患问题3个") {
			t.Errorf("home sentence; overview says %q", o.Sentence)
		}
		got := chartValues(t, a.body, "茅箭区")
		want := map[string]int64{"发现": 3, "已整改完成": 0, "已销号": 0, "逾期": 3}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("茅箭区 %s = %d, want %d (chart %v)", k, got[k], v, got)
			}
		}
		if strings.Contains(a.body, `data-name="张湾区"`) {
			t.Error("a county with nothing found is drawn")
		}
		if !strings.Contains(a.body, `id="chart-trend"`) || strings.Count(a.body, "<polyline") != 4 {
			t.Error("no weekly trend with four lines")
		}
		if len(a.body) > 200<<10 {
			t.Errorf("home is %d bytes, over 200 KB", len(a.body))
		}
		if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q", csp)
		}

		// Inside a county the chart is by responsible unit; the to-do lists what waits.
		c := st.signIn("qianjiu")
		a = c.get("/h5/")
		if !strings.Contains(a.body, "待整改") || !strings.Contains(a.body, "按责任单位") || !strings.Contains(a.body, `data-name="茅箭区应急管理局"`) {
			t.Errorf("county home lacks the to-do or the by-unit chart")
		}
		if n := strings.Count(a.body, `href="/h5/hazards/YH2023-`); n != 3 {
			t.Errorf("to-do links %d hazards, want 3", n)
		}
		if a := c.get("/h5/?period=" + "上上个月"); a.status != http.StatusBadRequest {
			t.Errorf("a period nobody can read: %d", a.status)
		}
	})
}

// Pages, styles and scripts are gzipped for a client that asks, and come
// back whole once decompressed; photos and the .xlsx are not (compressed
// already), and a client that does not ask gets plain bytes.
func TestPagesAreGzipped(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"))
	st.hazard("燃气软管老化")
	b := st.signIn("sunqi")
	fetch := func(path, accept string) answer {
		req, _ := http.NewRequest(http.MethodGet, b.abs(path), nil)
		req.Header.Set("Accept-Encoding", accept) // set by hand: the client leaves the body as sent
		return b.do(req)
	}
	for _, path := range []string{"/h5/", "/h5/static/app.css", "/h5/static/app.js", "/h5/ledger"} {
		whole := fetch(path, "identity").body
		a := fetch(path, "gzip, deflate, br")
		if a.status != http.StatusOK || a.header.Get("Content-Encoding") != "gzip" || !strings.Contains(a.header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s: %d, Content-Encoding %q, Vary %q", path, a.status, a.header.Get("Content-Encoding"), a.header.Get("Vary"))
		}
		zr, err := gzip.NewReader(strings.NewReader(a.body))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if string(data) != whole || len(whole) < 100 {
			t.Errorf("%s: %d bytes once decompressed, %d sent plain", path, len(data), len(whole))
		}
		if path != "/h5/static/app.js" && len(a.body)*2 > len(data) { // the script is 457 bytes
			t.Errorf("%s: %d bytes sent for %d", path, len(a.body), len(data))
		}
		t.Logf("%s: %d bytes gzipped, %d whole", path, len(a.body), len(data))
	}
	if a := fetch("/h5/", "identity"); a.header.Get("Content-Encoding") != "" || !strings.Contains(a.body, "<html") {
		t.Errorf("a client that does not ask for gzip gets %q", a.header.Get("Content-Encoding"))
	}
	if a := fetch("/h5/ledger.xlsx", "gzip"); a.status != http.StatusOK || a.header.Get("Content-Encoding") != "" || !strings.HasPrefix(a.body, "PK") {
		t.Errorf("ledger.xlsx: %d, Content-Encoding %q", a.status, a.header.Get("Content-Encoding"))
	}
}

func TestLedger(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"))
	var last *models.Hazard
	for i := range 25 {
		last = st.hazard("燃气软管老化 " + strconv.Itoa(i+1))
	}
	b := st.signIn("wangwu")
	a := b.get("/h5/ledger")
	if a.status != http.StatusOK || !strings.Contains(a.body, "共 25 条") {
		t.Fatalf("ledger: %d", a.status)
	}
	if !strings.Contains(a.body, last.Number) || strings.Contains(a.body, "YH2023-0001<") {
		t.Error("the first page is not the newest 20")
	}
	next := regexp.MustCompile(`href="(/h5/ledger\?[^"]*after=\d+[^"]*)" id="next"`).FindStringSubmatch(a.body)
	if next == nil {
		t.Fatal("no next page")
	}
	a = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if strings.Count(a.body, `href="/h5/hazards/`) != 5 || !strings.Contains(a.body, "YH2023-0001<") {
		t.Error("the second page does not hold the last 5")
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"?sector=燃气", 25}, {"?sector=消防", 0}, {"?state=closed", 0}, {"?state=rectifying&county=maojian", 25},
		{"?overdue=1", 0}, {"?colour=red", 0}, {"?period=本月", 25}, {"?period=2023年1月1日至1月31日", 0},
	} {
		a := b.get("/h5/ledger" + tc.query)
		if a.status != http.StatusOK || !strings.Contains(a.body, "共 "+strconv.Itoa(tc.want)+" 条") {
			t.Errorf("%s: %d, want %d rows", tc.query, a.status, tc.want)
		}
	}
	for _, q := range []string{"?period=下下下个月", "?county=nowhere", "?sector=养殖", "?state=lost", "?colour=purple"} {
		if a := b.get("/h5/ledger" + q); a.status != http.StatusBadRequest || !strings.Contains(a.body, `id="error"`) {
			t.Errorf("%s: %d, want 400 with the reason", q, a.status)
		}
	}
	x := b.get("/h5/ledger.xlsx?sector=燃气")
	if x.status != http.StatusOK || !strings.HasPrefix(x.header.Get("Content-Type"), "application/vnd.openxmlformats") {
		t.Fatalf("xlsx: %d %s", x.status, x.header.Get("Content-Type"))
	}
	res, err := report.ReadLedger(strings.NewReader(x.body), "ledger.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 25 {
		t.Errorf("the .xlsx has %d rows, want 25", len(res.Rows))
	}
	x = b.get("/h5/ledger.xlsx?sector=消防")
	if res, err := report.ReadLedger(strings.NewReader(x.body), "ledger.xlsx"); err == nil && len(res.Rows) != 0 {
		t.Errorf("the .xlsx for 消防 has %d rows, want 0", len(res.Rows))
	}
}

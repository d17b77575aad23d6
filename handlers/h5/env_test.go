package h5_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/bot/wecom"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/handlers"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

var ctx = context.Background()

const (
	corpID  = "wwtestcorp"
	secret  = "test-secret"
	agentID = 1000002
)

// site is the real router on a real database seeded with the Shiyan
// directory, configured for WeCom with the fake WeCom API (both its API and
// its web-authorisation page) on httptest, the clock at 10:00 on 1 March 2023.
type site struct {
	t     *testing.T
	s     *models.Store
	clock *modelstest.Clock
	fake  *wecomtest.Fake
	api   *httptest.Server
	srv   *httptest.Server
	cfg   *config.Config
	bot   *bot.Bot
	files bot.Files
}

type siteOpt func(*config.Config)

func newSite(t *testing.T, s *models.Store, opts ...siteOpt) *site {
	t.Helper()
	clock := modelstest.NewClock(time.Date(2023, 3, 1, 10, 0, 0, 0, modelstest.Shanghai))
	s.Now = clock.Now
	if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
		t.Fatal(err)
	}
	fake := wecomtest.NewFake(wecomtest.FakeOptions{CorpID: corpID, Secret: secret, AgentID: agentID, Now: clock.Now})
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	cfg := config.Default()
	cfg.WeCom = config.WeCom{CorpID: corpID, AgentID: agentID, Secret: secret, Token: "tok", AESKey: strings.Repeat("a", 43),
		APIBase: api.URL, OAuthBase: api.URL}
	for _, o := range opts {
		o(cfg)
	}
	st := &site{t: t, s: s, clock: clock, fake: fake, api: api, cfg: cfg, files: bot.DirFiles{Dir: t.TempDir()}}
	st.srv = st.server()
	if cfg.PublicURL == "" {
		cfg.PublicURL = st.srv.URL
	}
	st.bot = bot.New(s, cfg, nil)
	return st
}

// server starts another replica on the same database and configuration.
func (st *site) server() *httptest.Server {
	t := st.t
	t.Helper()
	client, err := wecom.NewClient(wecom.Config{CorpID: corpID, AgentID: agentID, Secret: secret, APIBase: st.api.URL},
		models.Tokens{S: st.s}, wecom.WithHTTPClient(st.api.Client()), wecom.WithClock(st.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	var oauth = client
	h := handlers.New(handlers.Deps{Store: st.s, Bot: bot.New(st.s, st.cfg, nil), Config: st.cfg, Files: st.files, OAuth: oauth})
	srv := httptest.NewServer(h.Router())
	t.Cleanup(srv.Close)
	return srv
}

// browser is one cookie jar that does not follow redirects by itself.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (st *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: st.t, base: st.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(data), location: resp.Header.Get("Location"), header: resp.Header}
}

func (b *browser) abs(u string) string {
	if strings.HasPrefix(u, "/") {
		return b.base + u
	}
	return u
}

func (b *browser) get(u string) answer {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.abs(u), nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) answer {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.abs(u), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow gets u and follows redirects, returning the last answer and the
// addresses visited.
func (b *browser) follow(u string) (answer, []string) {
	b.t.Helper()
	var seen []string
	for range 10 {
		seen = append(seen, u)
		a := b.get(u)
		if a.status != http.StatusFound && a.status != http.StatusSeeOther {
			return a, seen
		}
		next, err := url.Parse(a.location)
		if err != nil {
			b.t.Fatal(err)
		}
		cur, _ := url.Parse(b.abs(u))
		u = cur.ResolveReference(next).String()
	}
	b.t.Fatal("too many redirects")
	return answer{}, nil
}

// signIn signs userid in through the whole WeCom web-OAuth round trip.
func (st *site) signIn(userid string) *browser {
	st.t.Helper()
	st.fake.SignIn(userid)
	b := st.browser()
	a, _ := b.follow("/h5/")
	if a.status != http.StatusOK {
		st.t.Fatalf("sign in as %s: %d %s", userid, a.status, a.body)
	}
	return b
}

// csrf reads the CSRF token from a page.
func csrf(t *testing.T, page string) string {
	t.Helper()
	const mark = `name="_csrf" value="`
	i := strings.Index(page, mark)
	if i < 0 {
		t.Fatal("no CSRF token on the page")
	}
	rest := page[i+len(mark):]
	return rest[:strings.IndexByte(rest, '"')]
}

// hazard files a hazard as zhangsan (茅箭区 inspector) assigned to 茅箭区应急管理局.
func (st *site) hazard(title string) *models.Hazard {
	st.t.Helper()
	var unit *models.Unit
	err := st.s.InTx(ctx, func(tx *models.Tx) error {
		var err error
		unit, err = tx.FindUnitByCode("maojian_yjj")
		return err
	})
	if err != nil {
		st.t.Fatal(err)
	}
	lat, lng := 32.6378, 110.7987
	h, _, err := st.bot.CreateHazard(ctx, "zhangsan", models.HazardInput{Title: title, Description: "液化气钢瓶与灶具连接软管老化",
		Sector: "燃气", Enterprise: "人民路老街饭店", Location: "茅箭区人民路12号", Lat: &lat, Lng: &lng,
		UnitID: &unit.ID, Deadline: models.NewDate(2023, 3, 20)})
	if err != nil {
		st.t.Fatal(err)
	}
	return h
}

// beforePhoto stores a before-photo on h as if fetched from WeCom.
func (st *site) beforePhoto(h *models.Hazard, data []byte) uint {
	st.t.Helper()
	name := "photos/2023/03/before-" + h.Number + ".png"
	if _, err := st.files.Put(ctx, name, "image/png", strings.NewReader(string(data))); err != nil {
		st.t.Fatal(err)
	}
	var id uint
	err := st.s.InTx(ctx, func(tx *models.Tx) error {
		a := &models.Attachment{HazardID: &h.ID, Phase: models.PhaseBefore, Path: name, ContentType: "image/png", Size: int64(len(data)),
			UploaderID: "zhangsan", CreatedAt: tx.Now().UTC()}
		if err := tx.DB.Create(a).Error; err != nil {
			return err
		}
		id = a.ID
		return nil
	})
	if err != nil {
		st.t.Fatal(err)
	}
	return id
}

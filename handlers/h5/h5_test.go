package h5_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// pngPhoto is a real PNG, w×h, of one colour.
func pngPhoto(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSignIn(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		st := newSite(t, s)
		st.fake.SignIn("wangwu")
		b := st.browser()

		a := b.get("/h5/ledger?state=rectifying")
		if a.status != http.StatusFound || !strings.HasPrefix(a.location, "/h5/login?next=") {
			t.Fatalf("no session: %d → %q, want a redirect to sign-in", a.status, a.location)
		}
		a = b.get(a.location)
		if a.status != http.StatusFound {
			t.Fatalf("login: %d %s", a.status, a.body)
		}
		auth, err := url.Parse(a.location)
		if err != nil {
			t.Fatal(err)
		}
		q := auth.Query()
		if got := auth.Scheme + "://" + auth.Host + auth.Path; got != st.api.URL+"/connect/oauth2/authorize" {
			t.Errorf("authorize address %s", got)
		}
		if q.Get("appid") != corpID || q.Get("redirect_uri") != st.cfg.PublicURL+"/h5/oauth" || q.Get("response_type") != "code" ||
			q.Get("scope") != "snsapi_base" || q.Get("agentid") != fmt.Sprint(agentID) || auth.Fragment != "wechat_redirect" {
			t.Errorf("authorize parameters %v #%s", q, auth.Fragment)
		}
		if len(q.Get("state")) < 32 {
			t.Errorf("state %q is not a long random value", q.Get("state"))
		}
		ck := a.header.Get("Set-Cookie")
		if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") || !strings.Contains(ck, "Path=/h5/") {
			t.Errorf("state cookie %q, want HttpOnly, SameSite=Lax, Path=/h5/", ck)
		}
		if strings.Contains(ck, "Secure") {
			t.Errorf("state cookie %q is Secure on an http public URL", ck)
		}
		if strings.Contains(ck, "hz_oauth="+q.Get("state")+";") {
			t.Errorf("state cookie %q carries the bare state, unsigned", ck)
		}

		// WeCom (the fake) sends the browser back with a code.
		a = b.get(a.location)
		if a.status != http.StatusFound || !strings.HasPrefix(a.location, st.cfg.PublicURL+"/h5/oauth?") {
			t.Fatalf("authorize: %d → %q", a.status, a.location)
		}
		back := a.location
		a = b.get(back)
		if a.status != http.StatusFound || a.location != "/h5/ledger?state=rectifying" {
			t.Fatalf("oauth: %d → %q %s, want back to the ledger", a.status, a.location, a.body)
		}
		sc := a.header.Values("Set-Cookie")
		var session string
		for _, c := range sc {
			if strings.HasPrefix(c, "hz_session=") {
				session = c
			}
		}
		if !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "SameSite=Lax") || !strings.Contains(session, "Max-Age=28800") {
			t.Errorf("session cookie %q, want HttpOnly, SameSite=Lax, 8 h", session)
		}
		page := b.get("/h5/ledger?state=rectifying")
		if page.status != http.StatusOK || !strings.Contains(page.body, "王五") {
			t.Fatalf("after sign-in: %d", page.status)
		}
		calls := 0
		for _, r := range st.fake.Requests() {
			if r.Path == "/cgi-bin/auth/getuserinfo" {
				calls++
			}
		}
		if calls != 1 {
			t.Errorf("getuserinfo called %d times, want 1", calls)
		}

		t.Run("replayed callback", func(t *testing.T) {
			// The same return address again: the state cookie is spent.
			a := b.get(back)
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, "登录校验未通过") {
				t.Errorf("replay: %d %s", a.status, a.body)
			}
		})
		t.Run("replayed code with a fresh state", func(t *testing.T) {
			b2 := st.browser()
			a := b2.get("/h5/login")
			u, _ := url.Parse(a.location)
			code := mustQuery(t, back, "code")
			a = b2.get("/h5/oauth?code=" + code + "&state=" + u.Query().Get("state"))
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, "登录码无效或已使用") {
				t.Errorf("used code: %d %s", a.status, a.body)
			}
			if a := b2.get("/h5/"); a.status != http.StatusFound {
				t.Errorf("a refused sign-in left a session: %d", a.status)
			}
		})
		t.Run("forged state", func(t *testing.T) {
			b3 := st.browser()
			b3.get("/h5/login") // has a state cookie, for another state
			a := b3.get("/h5/oauth?code=" + st.fake.IssueCode("wangwu") + "&state=0123456789abcdef0123456789abcdef")
			if a.status != http.StatusBadRequest {
				t.Errorf("forged state: %d", a.status)
			}
			b4 := st.browser() // no cookie at all: a link sent to someone else
			a = b4.get("/h5/oauth?code=" + st.fake.IssueCode("wangwu") + "&state=" + mustQuery(t, back, "state"))
			if a.status != http.StatusBadRequest {
				t.Errorf("state without its cookie: %d", a.status)
			}
			if a := b4.get("/h5/"); a.status != http.StatusFound {
				t.Errorf("a forged sign-in left a session")
			}
		})
		t.Run("unknown user", func(t *testing.T) {
			st.fake.SignIn("stranger01")
			b5 := st.browser()
			a, _ := b5.follow("/h5/")
			if a.status != http.StatusForbidden || !strings.Contains(a.body, "通讯录里没有你的账号（stranger01）") {
				t.Errorf("unknown user: %d %s", a.status, a.body)
			}
		})
		t.Run("demo sign-in is not there", func(t *testing.T) {
			for _, p := range []string{"/h5/demo-login?user=wangwu", "/h5/demo"} {
				if a := st.browser().get(p); a.status != http.StatusNotFound {
					t.Errorf("%s with WeCom configured: %d, want 404", p, a.status)
				}
			}
		})
	})
}

func mustQuery(t *testing.T, u, key string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get(key)
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"), func(c *config.Config) { c.PublicURL = "https://hazard.example.gov.cn" })
	a := st.browser().get("/h5/login")
	if ck := a.header.Get("Set-Cookie"); !strings.Contains(ck, "Secure") {
		t.Errorf("state cookie %q is not Secure with an https public URL", ck)
	}
	if !strings.Contains(a.location, url.QueryEscape("https://hazard.example.gov.cn/h5/oauth")) {
		t.Errorf("redirect_uri not under public_url: %s", a.location)
	}
}

func TestNoPublicURL(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"), func(c *config.Config) { c.PublicURL = "-" })
	st.cfg.PublicURL = ""
	a := st.browser().get("/h5/login")
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "HAZARDBOT_PUBLIC_URL") {
		t.Errorf("sign-in without public_url: %d %s", a.status, a.body)
	}
}

func TestDemoSignIn(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"), func(c *config.Config) { c.WeCom = config.Default().WeCom })
	markDemo(t, st.s)
	b := st.browser()
	a, seen := b.follow("/h5/")
	if a.status != http.StatusOK || !strings.Contains(seen[len(seen)-1], "/h5/demo") || !strings.Contains(a.body, "王五") {
		t.Fatalf("demo: %d at %v", a.status, seen)
	}
	a, _ = b.follow("/h5/demo-login?user=wangwu&next=/h5/ledger")
	if a.status != http.StatusOK || !strings.Contains(a.body, "王五 · 茅箭区") || !strings.Contains(a.body, `id="total"`) {
		t.Fatalf("demo login: %d", a.status)
	}
	if a := st.browser().get("/h5/oauth?code=x&state=y"); a.status != http.StatusNotFound {
		t.Errorf("oauth in demo mode: %d", a.status)
	}
	if a := st.browser().get("/h5/demo-login?user=nobody"); a.status != http.StatusForbidden {
		t.Errorf("demo login as a stranger: %d", a.status)
	}
}

// markDemo marks the database as one demo mode seeded, as demo mode does.
func markDemo(t *testing.T, s *models.Store) {
	t.Helper()
	if err := s.InTx(ctx, func(tx *models.Tx) error { return tx.SetSetting(models.SettingDemo, "shiyan") }); err != nil {
		t.Fatal(err)
	}
}

// A real directory on a server started without WeCom settings (a secrets
// mount that went missing, a WeChat-only deployment) is not a demo: nobody
// may pick a user to sign in as. Only a database demo mode seeded (the
// rule the terminal chat obeys) offers the demo sign-in.
func TestNoDemoSignInOnARealDirectory(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"), func(c *config.Config) { c.WeCom = config.Default().WeCom })
	for _, p := range []string{"/h5/demo-login?user=admin", "/h5/demo-login?user=wangwu&next=/h5/ledger", "/h5/demo"} {
		a := st.browser().get(p)
		if a.status != http.StatusNotFound || strings.Contains(a.body, "王五") {
			t.Errorf("%s on a real directory: %d (want 404)", p, a.status)
		}
		if strings.Contains(a.header.Get("Set-Cookie"), "hz_session=") && !strings.Contains(a.header.Get("Set-Cookie"), "hz_session=;") {
			t.Errorf("%s on a real directory set a session: %s", p, a.header.Get("Set-Cookie"))
		}
	}
	// The sign-in says why nobody can get in, instead of listing the users.
	a, seen := st.browser().follow("/h5/ledger")
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "企业微信") || strings.Contains(a.body, "王五") {
		t.Errorf("sign-in on a real directory without WeCom: %d at %v: %s", a.status, seen, a.body)
	}
}

func TestSessionsAcrossReplicas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		st := newSite(t, s)
		b := st.signIn("wangwu")
		other := st.server() // a second replica on the same database
		b.base = other.URL
		if a := b.get("/h5/"); a.status != http.StatusOK || !strings.Contains(a.body, "王五") {
			t.Fatalf("the other replica: %d", a.status)
		}
		// Its CSRF token is the session's, so a form from one replica posts to the other.
		h := st.hazard("燃气软管老化")
		page := b.get("/h5/hazards/" + h.Number)
		b.base = st.srv.URL
		a := b.post("/h5/hazards/"+h.Number+"/list", url.Values{"_csrf": {csrf(t, page.body)}, "colour": {"red"}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("post on the first replica with the other's form: %d %s", a.status, a.body)
		}
		t.Run("forged cookie", func(t *testing.T) {
			f := st.browser()
			u, _ := url.Parse(st.srv.URL + "/h5/")
			f.c.Jar.SetCookies(u, []*http.Cookie{{Name: "hz_session", Value: strings.Repeat("ab", 32) + ".AAAA", Path: "/h5/"}})
			if a := f.get("/h5/"); a.status != http.StatusFound {
				t.Errorf("forged cookie: %d", a.status)
			}
		})
		t.Run("expired after 8 hours", func(t *testing.T) {
			st.clock.Add(8*time.Hour + time.Minute)
			a := b.get("/h5/")
			if a.status != http.StatusFound || !strings.HasPrefix(a.location, "/h5/login") {
				t.Errorf("expired session: %d → %q", a.status, a.location)
			}
			a = b.post("/h5/hazards/"+h.Number+"/accept", url.Values{"_csrf": {csrf(t, page.body)}})
			if a.status != http.StatusUnauthorized {
				t.Errorf("post with an expired session: %d", a.status)
			}
		})
	})
}

func TestCSRF(t *testing.T) {
	st := newSite(t, modelstest.Open(t, "sqlite"))
	h := st.hazard("燃气软管老化")
	b := st.signIn("qianjiu")
	page := b.get("/h5/hazards/" + h.Number)
	token := csrf(t, page.body)
	// The wrong token differs from the right one in its first character
	// (a fixed "0" matched whenever the token itself began with 0).
	wrong := "0" + token[1:]
	if token[0] == '0' {
		wrong = "1" + token[1:]
	}
	for _, tc := range []struct {
		name string
		form url.Values
	}{{"no token", url.Values{}}, {"wrong token", url.Values{"_csrf": {wrong}}}, {"another session's token", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			form := tc.form
			if form == nil {
				other := st.signIn("qianjiu").get("/h5/hazards/" + h.Number)
				form = url.Values{"_csrf": {csrf(t, other.body)}}
			}
			a := b.post("/h5/hazards/"+h.Number+"/accept", form)
			if a.status != http.StatusForbidden || !strings.Contains(a.body, "请求来源不明") {
				t.Errorf("%d %s", a.status, a.body)
			}
		})
	}
	if got := stateOf(t, st, h.Number); got.AcceptedAt != nil {
		t.Fatal("a refused post accepted the hazard")
	}
	a := b.post("/h5/hazards/"+h.Number+"/accept", url.Values{"_csrf": {token}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("with the token: %d %s", a.status, a.body)
	}
}

func stateOf(t *testing.T, st *site, number string) *models.Hazard {
	t.Helper()
	n, err := models.ParseNumber(number, 2023)
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.s.Reads(ctx).FindHazardByNumber(n)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestScope(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		st := newSite(t, s)
		h := st.hazard("燃气软管老化")
		photo := st.beforePhoto(h, pngPhoto(t, 4, 4, color.RGBA{200, 0, 0, 255}))
		own := st.signIn("wangwu")       // 茅箭区 supervisor
		other := st.signIn("zhengshiyi") // 张湾区 supervisor
		city := st.signIn("sunqi")       // city leader
		for _, tc := range []struct {
			who    string
			b      *browser
			status int
		}{{"the county's supervisor", own, 200}, {"a city leader", city, 200}, {"another county's supervisor", other, 403}} {
			t.Run(tc.who, func(t *testing.T) {
				a := tc.b.get("/h5/hazards/" + h.Number)
				if a.status != tc.status {
					t.Fatalf("page: %d, want %d", a.status, tc.status)
				}
				if tc.status == 403 {
					if !strings.Contains(a.body, "你无权查看 "+h.Number) || !strings.Contains(a.body, "张湾区") {
						t.Errorf("refusal says %s", a.body)
					}
					if strings.Contains(a.body, h.Title) {
						t.Error("the refusal shows the hazard's title")
					}
				}
				p := tc.b.get(fmt.Sprintf("/h5/photos/%d", photo))
				if p.status != tc.status {
					t.Fatalf("photo: %d, want %d", p.status, tc.status)
				}
				if tc.status == 200 && p.header.Get("Content-Type") != "image/png" {
					t.Errorf("photo type %q", p.header.Get("Content-Type"))
				}
				if tc.status == 403 && !strings.Contains(p.body, "你无权查看这张照片") {
					t.Errorf("photo refusal says %s", p.body)
				}
				th := tc.b.get(fmt.Sprintf("/h5/photos/%d?size=thumb", photo))
				if th.status != tc.status {
					t.Fatalf("thumbnail: %d, want %d", th.status, tc.status)
				}
				if tc.status == 200 {
					img, err := jpeg.Decode(strings.NewReader(th.body))
					if err != nil || img.Bounds().Dx() != 4 {
						t.Errorf("thumbnail is not a 4 px JPEG: %v", err)
					}
				}
				led := tc.b.get("/h5/ledger")
				if (tc.status == 200) != strings.Contains(led.body, h.Number) {
					t.Errorf("ledger lists %s: %v, want %v", h.Number, strings.Contains(led.body, h.Number), tc.status == 200)
				}
			})
		}
		t.Run("another county's supervisor cannot act", func(t *testing.T) {
			page := other.get("/h5/")
			a := other.post("/h5/hazards/"+h.Number+"/list", url.Values{"_csrf": {csrf(t, page.body)}, "colour": {"red"}})
			if a.status != http.StatusForbidden {
				t.Errorf("list from outside: %d", a.status)
			}
			if got := stateOf(t, st, h.Number); got.Colour != models.ColourNone {
				t.Error("listed from outside the scope")
			}
		})
	})
}

// multipartPost posts fields and files (field name → file name → bytes).
func (b *browser) multipartPost(u string, fields url.Values, files map[string][]byte) answer {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := w.CreateFormFile("photos", name)
		fw.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.abs(u), &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

func TestActions(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		st := newSite(t, s)
		h := st.hazard("燃气软管老化")
		contact := st.signIn("qianjiu") // 茅箭区应急管理局
		super := st.signIn("wangwu")
		path := "/h5/hazards/" + h.Number
		act := func(b *browser, action string, form url.Values, files map[string][]byte) answer {
			t.Helper()
			page := b.get(path)
			if page.status != http.StatusOK {
				t.Fatalf("page: %d", page.status)
			}
			if form == nil {
				form = url.Values{}
			}
			form.Set("_csrf", csrf(t, page.body))
			if files != nil {
				return b.multipartPost(path+"/"+action, form, files)
			}
			return b.post(path+"/"+action, form)
		}
		done := func(b *browser, a answer, state string) string {
			t.Helper()
			if a.status != http.StatusSeeOther {
				t.Fatalf("action: %d %s", a.status, a.body)
			}
			page := b.get(a.location)
			if !strings.Contains(page.body, `id="state">`+state+`<`) {
				t.Fatalf("after the action the page says %s, want %s", regexp.MustCompile(`id="state">[^<]*`).FindString(page.body), state)
			}
			return page.body
		}

		if page := contact.get(path); !strings.Contains(page.body, `id="do-accept"`) || strings.Contains(page.body, `id="do-pass"`) {
			t.Error("the contact is offered the wrong actions")
		}
		body := done(contact, act(contact, "accept", nil, nil), "整改中")
		if !strings.Contains(body, "已接收") || strings.Contains(body, `id="do-accept"`) {
			t.Error("accepted page still offers 接收 or does not say it was done")
		}

		t.Run("uploads are checked", func(t *testing.T) {
			for _, tc := range []struct {
				name, file string
				data       []byte
				want       string
			}{
				{"not a photo", "notes.txt", []byte("just text, not a photo"), "不是 JPEG、PNG 或 HEIC 照片"},
				{"a PDF named .jpg", "fake.jpg", []byte("%PDF-1.4 ..."), "不是 JPEG、PNG 或 HEIC 照片"},
				{"over 10 MB", "big.jpg", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 10<<20)...), "超过 10 MB"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					a := act(contact, "submit", url.Values{"note": {"已更换软管"}}, map[string][]byte{tc.file: tc.data})
					if a.status != http.StatusBadRequest || !strings.Contains(a.body, tc.want) {
						t.Errorf("%d, want 400 saying %q", a.status, tc.want)
					}
				})
			}
			if got := stateOf(t, st, h.Number); got.State != models.StateRectifying {
				t.Fatalf("a refused upload moved the hazard to %s", got.State)
			}
			var n int64
			s.DB.Model(&models.Attachment{}).Count(&n)
			if n != 0 {
				t.Errorf("a refused upload left %d photos", n)
			}
		})

		photo := pngPhoto(t, 8, 8, color.RGBA{0, 160, 0, 255})
		heic := append([]byte{0, 0, 0, 0x18}, []byte("ftypheic\x00\x00\x00\x00mif1heic")...)
		body = done(contact, act(contact, "submit", url.Values{"note": {"已更换老化软管并加装报警器"}},
			map[string][]byte{"after.png": photo, "IMG_0001.HEIC": heic}), "待复查")
		if !strings.Contains(body, "已更换老化软管并加装报警器") {
			t.Error("the measures are not on the page")
		}
		atts, err := s.Reads(ctx).Attachments(h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(atts) != 2 || atts[0].Phase != models.PhaseAfter || atts[0].EventID == nil {
			t.Fatalf("after-photos %+v", atts)
		}
		types := map[string]bool{atts[0].ContentType: true, atts[1].ContentType: true}
		if !types["image/png"] || !types["image/heic"] {
			t.Errorf("stored types %v, want the photo's own", types)
		}
		// The reviewer sees the after-photo, as sent.
		sp := super.get(fmt.Sprintf("/h5/photos/%d", atts[0].ID))
		if sp.status != http.StatusOK || (sp.body != string(photo) && sp.body != string(heic)) {
			t.Errorf("reviewer gets the after-photo: %d", sp.status)
		}
		// A HEIC photo that cannot be decoded shows a tile saying so; a tap
		// opens its large view, which falls back to the photo as sent.
		for _, at := range atts {
			if at.ContentType != "image/heic" {
				continue
			}
			th := super.get(fmt.Sprintf("/h5/photos/%d?size=thumb", at.ID))
			if th.status != http.StatusOK || th.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(th.body, "HEIC 照片") || !strings.Contains(th.body, "点击查看原图") {
				t.Errorf("HEIC tile: %d %s %q", th.status, th.header.Get("Content-Type"), th.body)
			}
			if !strings.Contains(body, fmt.Sprintf(`href="/h5/photos/%d?size=large"`, at.ID)) {
				t.Error("the HEIC photo's tile does not open its large view")
			}
			if lg := super.get(fmt.Sprintf("/h5/photos/%d?size=large", at.ID)); lg.status != http.StatusOK || lg.body != string(heic) {
				t.Errorf("large view of an undecodable HEIC: %d", lg.status)
			}
		}
		// The same notice as a chat 整改: a review card linking this page.
		out, err := s.Reads(ctx).FindOutbox(models.OutboxFilter{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, o := range out {
			if strings.Contains(o.Body, "整改待复查 "+h.Number) && strings.Contains(o.Body, st.cfg.PublicURL+"/h5/hazards/"+h.Number) {
				found = true
			}
		}
		if !found {
			t.Error("no review card with a link to the hazard page was queued")
		}

		a := act(super, "reject", url.Values{"note": {"  "}}, nil)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "退回需要写明原因") {
			t.Errorf("reject without a reason: %d", a.status)
		}
		done(super, act(super, "reject", url.Values{"note": {"现场仍有老化软管"}}, nil), "整改中")
		done(contact, act(contact, "submit", url.Values{"note": {"已全部更换"}}, map[string][]byte{"again.png": photo}), "待复查")
		body = done(super, act(super, "pass", nil, nil), "已销号")
		for _, w := range []string{"复查通过，销号", "现场仍有老化软管", "王五"} {
			if !strings.Contains(body, w) {
				t.Errorf("timeline lacks %q", w)
			}
		}
		a = act(super, "list", url.Values{"colour": {"red"}}, nil)
		if a.status != http.StatusConflict {
			t.Errorf("listing a closed hazard: %d", a.status)
		}

		h2 := st.hazard("燃气报警器缺失")
		path = "/h5/hazards/" + h2.Number
		a = act(super, "list", url.Values{"colour": {"purple"}}, nil)
		if a.status != http.StatusBadRequest {
			t.Errorf("a colour that does not exist: %d", a.status)
		}
		body = done(super, act(super, "list", url.Values{"colour": {"yellow"}}, nil), "整改中")
		if !strings.Contains(body, "黄色") {
			t.Error("the page does not show the yellow listing")
		}
		a = act(contact, "request_extend", url.Values{"deadline": {"2023-03-10"}, "note": {"设备到货晚"}}, nil)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "要晚于现在的时限") {
			t.Errorf("an extension before the deadline: %d", a.status)
		}
		done(contact, act(contact, "request_extend", url.Values{"deadline": {"2023-04-15"}, "note": {"设备到货晚"}}, nil), "整改中")
		if page := super.get(path); !strings.Contains(page.body, `id="do-approve"`) {
			t.Error("the supervisor is not offered 同意延期")
		}
		done(super, act(super, "approve_extend", nil, nil), "整改中")
		if got := stateOf(t, st, h2.Number); got.Deadline != models.NewDate(2023, 4, 15) {
			t.Errorf("deadline after approval %s", got.Deadline)
		}
		if a := act(contact, "withdraw", url.Values{"note": {"x"}}, nil); a.status != http.StatusNotFound {
			t.Errorf("an action the page does not offer: %d", a.status)
		}
	})
}

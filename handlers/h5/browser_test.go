package h5_test

import (
	"context"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"hazardbot/models/modelstest"
)

// chromium finds Debian's chromium (or another Chrome) to drive; "" when none.
func chromium() string {
	if p := os.Getenv("HAZARDBOT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shots keeps the screenshots: under the test's temp dir, or under
// HAZARDBOT_SCREENSHOTS when set, so they outlive the test.
type shots struct {
	t   *testing.T
	dir string
}

func (s shots) take(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		p := filepath.Join(s.dir, name+".png")
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return err
		}
		s.t.Logf("screenshot: %s", p)
		return nil
	})
}

// TestBrowser drives headless Chromium through the pages as people use
// them on a phone (375 px wide): a unit contact signs in through WeCom's
// web authorisation (the fake's), sees 首页 with its chart, opens a hazard
// with its before-photo, uploads an after-photo from "the phone" and
// submits; the county's supervisor opens the same page, sees the
// after-photo and passes the review; another county's supervisor is refused.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("no chromium found (apt-get install chromium, or set HAZARDBOT_CHROMIUM): skipping the browser test")
	}
	st := newSite(t, modelstest.Open(t, "sqlite"))
	h := st.hazard("燃气软管老化")
	st.beforePhoto(h, pngPhoto(t, 640, 480, color.RGBA{190, 90, 40, 255}))
	st.hazard("消防通道堵塞")

	dir := t.TempDir()
	if d := os.Getenv("HAZARDBOT_SCREENSHOTS"); d != "" {
		dir = d
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sh := shots{t: t, dir: dir}
	after := filepath.Join(t.TempDir(), "after.png")
	if err := os.WriteFile(after, pngPhoto(t, 640, 480, color.RGBA{40, 150, 70, 255}), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(375, 812),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first action starts the browser; it runs without the timeout,
	// which would otherwise stop the browser itself.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	bctx, cancel = context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	eval := func(step, expr string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Poll[int](expr, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return n
	}
	signOut := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
	page := st.srv.URL + "/h5/hazards/" + h.Number

	// 1. A unit contact opens the app: WeCom's authorisation, back, 首页.
	st.fake.SignIn("qianjiu")
	run("sign in", chromedp.Navigate(st.srv.URL+"/h5/"), chromedp.WaitVisible(chromedp.CSS("#chart-by svg")))
	url, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	// A redirect keeps the fragment of the address it came from
	// (#wechat_redirect, which the WeCom client itself consumes).
	if url, _, _ = strings.Cut(url, "#"); url != st.srv.URL+"/h5/" {
		t.Errorf("after sign-in the browser is at %s", url)
	}
	if bars := eval("count bars", `document.querySelectorAll('#chart-by svg rect[data-series]').length`); bars != 4 {
		t.Errorf("the 首页 chart draws %d bars, want 4 (one county, four figures)", bars)
	}
	if s := text("#sentence"); !strings.Contains(s, "检查发现重点隐患问题2个") {
		t.Errorf("首页 says %q", s)
	}
	run("shot home", sh.take("1-home"))

	// 2. The hazard with its before-photo, which the browser shows.
	run("open hazard", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#number")))
	if n := eval("before-photo", `Array.from(document.querySelectorAll('.photos img')).filter(i => i.complete && i.naturalWidth > 0).length || false`); n != 1 {
		t.Errorf("the browser shows %d photos, want the before-photo", n)
	}
	if s := text("#coords"); !strings.Contains(s, "32.63780") {
		t.Errorf("coordinates %q", s)
	}
	run("shot hazard", sh.take("2-hazard"))

	// 3. 接收, then 提交整改 with an after-photo from the phone.
	run("accept", chromedp.Click(chromedp.CSS("#do-accept")), chromedp.WaitVisible(chromedp.CSS("#done")))
	// The accept page's #done would satisfy the wait below before the
	// submit's answer arrives: take it away so the wait sees the new page.
	eval("forget accept", `(() => { document.querySelector('#done')?.remove(); return 1 })()`)
	run("submit", chromedp.SetValue(chromedp.CSS(`textarea[name=note]`), "已更换老化软管并加装燃气报警器"),
		chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{after}),
		chromedp.Click(chromedp.CSS("#do-submit")), chromedp.WaitVisible(chromedp.CSS("#done")))
	if s := text("#state"); s != "待复查" {
		t.Fatalf("after submitting the state is %q", s)
	}
	run("shot submitted", sh.take("3-submitted"))

	// 4. The county's supervisor taps the review card's link, sees the after-photo, passes.
	st.fake.SignIn("wangwu")
	run("supervisor", signOut, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#do-pass")))
	if photos := eval("after-photo", `Array.from(document.querySelectorAll('.photos img')).filter(i => i.complete && i.naturalWidth > 0).length == 2 ? 2 : false`); photos != 2 {
		t.Errorf("the reviewer sees %d photos, want the before and the after", photos)
	}
	run("shot review", sh.take("4-review"))
	run("pass", chromedp.Click(chromedp.CSS("#do-pass")), chromedp.WaitVisible(chromedp.CSS("#done")))
	if s := text("#state"); s != "已销号" {
		t.Fatalf("after 通过 the state is %q", s)
	}
	if s := text("#timeline"); !strings.Contains(s, "复查通过，销号") {
		t.Errorf("timeline %q", s)
	}
	run("shot closed", sh.take("5-closed"))

	// 5. Another county's supervisor is refused, in Chinese.
	st.fake.SignIn("zhengshiyi")
	run("other county", signOut, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#error")))
	if s := text("#error"); !strings.Contains(s, "你无权查看 "+h.Number) {
		t.Errorf("refusal says %q", s)
	}
	run("shot refused", sh.take("6-refused"))

	// 6. The 台账 on the phone.
	st.fake.SignIn("wangwu")
	run("ledger", signOut, chromedp.Navigate(st.srv.URL+"/h5/ledger"), chromedp.WaitVisible(chromedp.CSS("#total")), sh.take("7-ledger"))
}

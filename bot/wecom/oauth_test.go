package wecom

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"hazardbot/bot"
)

func TestUserIDByCode(t *testing.T) {
	ctx := context.Background()
	t.Run("a code gives its member once", func(t *testing.T) {
		e := newAPIEnv(t, Config{})
		code := e.fake.IssueCode("zhangsan")
		got, err := e.client.UserIDByCode(ctx, code)
		if err != nil || got != "zhangsan" {
			t.Fatalf("UserIDByCode = %q, %v; want zhangsan", got, err)
		}
		_, err = e.client.UserIDByCode(ctx, code)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != CodeInvalidOAuthCode || !ae.Permanent() {
			t.Fatalf("replayed code: err = %v, want permanent errcode %d", err, CodeInvalidOAuthCode)
		}
		if n := e.count("auth/getuserinfo"); n != 2 {
			t.Errorf("getuserinfo calls = %d, want 2 (a refused code is not retried)", n)
		}
	})
	t.Run("an expired code is refused", func(t *testing.T) {
		e := newAPIEnv(t, Config{})
		code := e.fake.IssueCode("zhangsan")
		e.clock.Advance(6 * time.Minute)
		if _, err := e.client.UserIDByCode(ctx, code); err == nil {
			t.Fatal("a code older than five minutes was accepted")
		}
	})
	t.Run("same retries and token handling as every call", func(t *testing.T) {
		e := newAPIEnv(t, Config{})
		if _, err := e.client.UserIDByCode(ctx, e.fake.IssueCode("zhangsan")); err != nil {
			t.Fatal(err)
		}
		code := e.fake.IssueCode("lisi")
		e.fake.FailHTTP("auth/getuserinfo", http.StatusBadGateway, 1)
		e.fake.ExpireTokens()
		got, err := e.client.UserIDByCode(ctx, code)
		if err != nil || got != "lisi" {
			t.Fatalf("UserIDByCode after a 502 and an expired token = %q, %v; want lisi", got, err)
		}
		// One good call, then a 502, a retry refused for the expired
		// token, and the call again with a fresh token.
		if n := e.count("auth/getuserinfo"); n != 4 {
			t.Errorf("getuserinfo calls = %d, want 4", n)
		}
		if n := e.fake.TokensIssued(); n != 2 {
			t.Errorf("tokens issued = %d, want 2 (the expired one refreshed once)", n)
		}
	})
}

func TestCardCarriesPageLink(t *testing.T) {
	e := newAPIEnv(t, Config{})
	url := "https://hazard.example.gov.cn/h5/hazards/YH2023-0001"
	m := bot.Outgoing{Kind: bot.OutCard, ToUsers: []string{"a"}, Card: &bot.Card{TaskID: "t1", Title: "整改待复查 YH2023-0001",
		Buttons: []bot.Button{{Text: "通过", Key: "pass:YH2023-0001"}}, URL: url, LinkTitle: "查看整改照片和详情"}}
	if err := e.client.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d messages", len(sent))
	}
	if got := jsonPath(sent[0].Body, "template_card.card_action.url"); got != url {
		t.Errorf("card_action.url = %v, want %s", got, url)
	}
	jl, _ := jsonPath(sent[0].Body, "template_card.jump_list").([]any)
	if len(jl) != 1 || jsonPath(jl[0], "url") != url || jsonPath(jl[0], "title") != "查看整改照片和详情" {
		t.Errorf("jump_list = %v, want one link to the page", jl)
	}
}

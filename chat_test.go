package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hazardbot/models/modelstest"
)

// dbEnvs returns, for each test database, the settings that point
// hazardbot at a fresh empty one.
func dbEnvs(t *testing.T) map[string]map[string]string {
	dir := t.TempDir()
	envs := map[string]map[string]string{
		"sqlite": {"HAZARDBOT_DB_DSN": filepath.Join(dir, "t.db"), "HAZARDBOT_STORAGE_DIR": dir},
	}
	if dsn := modelstest.FreshMySQLOrSkip(t); dsn != "" {
		envs["mysql"] = map[string]string{"HAZARDBOT_DB_DRIVER": "mysql", "HAZARDBOT_DB_DSN": dsn, "HAZARDBOT_STORAGE_DIR": dir}
	}
	return envs
}

func TestChatRefusesADatabaseDemoModeDidNotCreate(t *testing.T) {
	for name, e := range dbEnvs(t) {
		t.Run(name, func(t *testing.T) {
			// A directory imported by hand: a real city's database.
			var out bytes.Buffer
			if err := run(context.Background(), []string{"hazardbot", "import", "config/directory.shiyan.yaml"}, env(e), &out); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			err := chat(context.Background(), env(e), &out, strings.NewReader("你好\n/quit\n"), []string{"--as", "zhangsan"})
			if err == nil {
				t.Fatalf("chat started on a non-demo database:\n%s", out.String())
			}
			for _, want := range []string{"不是演示模式建立的", "拒绝启动", "HAZARDBOT_DB_DSN=demo.db hazardbot chat --as zhangsan", "refuses to start"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q lacks %q", err, want)
				}
			}
			if out.Len() != 0 {
				t.Errorf("a refused chat printed:\n%s", out.String())
			}
		})
	}
}

func TestChatRefusesAConfiguredServer(t *testing.T) {
	dir := t.TempDir()
	e := map[string]string{
		"HAZARDBOT_DB_DSN": filepath.Join(dir, "t.db"), "HAZARDBOT_STORAGE_DIR": dir,
		"HAZARDBOT_WECOM_CORP_ID": "ww0123456789abcdef", "HAZARDBOT_WECOM_AGENT_ID": "1000002",
		"HAZARDBOT_WECOM_SECRET": "secret-secret-secret", "HAZARDBOT_WECOM_TOKEN": "token123",
		"HAZARDBOT_WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
	}
	err := chat(context.Background(), env(e), io.Discard, strings.NewReader("/quit\n"), []string{"--as", "zhangsan"})
	if err == nil || !strings.Contains(err.Error(), "已配置企业微信") {
		t.Fatalf("chat on a configured server: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "t.db")); serr == nil {
		t.Error("the refused chat created the database")
	}
}

// syncBuffer is a bytes.Buffer safe for the chat's push goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A demo session: the card pushed to the unit contact shows once, without
// <nil>, and logs stay out of the conversation.
func TestChatDemoSession(t *testing.T) {
	for name, e := range dbEnvs(t) {
		t.Run(name, func(t *testing.T) {
			e["HAZARDBOT_LOG_LEVEL"] = "debug"
			in, feed := io.Pipe()
			out := &syncBuffer{}
			done := make(chan error, 1)
			go func() { done <- chat(context.Background(), env(e), out, in, []string{"--as", "zhangsan"}) }()
			say := func(line string) { io.WriteString(feed, line+"\n") }
			waitFor := func(want string) {
				t.Helper()
				for i := 0; i < 300 && !strings.Contains(out.String(), want); i++ {
					time.Sleep(50 * time.Millisecond)
				}
				if !strings.Contains(out.String(), want) {
					t.Fatalf("never saw %q in:\n%s", want, out.String())
				}
			}
			say(`上报\`)
			say(`隐患：液化气钢瓶违规存放\`)
			say(`内容：商场地下室存放液化气钢瓶3个\`)
			say(`区域：茅箭区\`)
			say(`行业：燃气\`)
			say(`单位：十堰市某燃气有限公司（示例）\`)
			say(`时限：10个工作日`)
			waitFor("请核对")
			say("确认")
			waitFor("已登记，编号")
			say("/as lisi")
			waitFor("点击：/click accept:")
			say("/as zhangsan")
			say("/as lisi")
			say("你好")
			waitFor("李四，你好！")
			say("/quit")
			feed.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if n := strings.Count(got, "点击：/click accept:"); n != 1 {
				t.Errorf("the assignment card shown %d times:\n%s", n, got)
			}
			for _, bad := range []string{"<nil>", "level=", "msg="} {
				if strings.Contains(got, bad) {
					t.Errorf("the conversation shows %q:\n%s", bad, got)
				}
			}
			logs, err := os.ReadFile(filepath.Join(e["HAZARDBOT_STORAGE_DIR"], "chat.log"))
			if err != nil || !strings.Contains(string(logs), "level=") {
				t.Errorf("chat.log: %v %q", err, logs)
			}
			// The chat's own database is a demo one now: it starts again.
			err = chat(context.Background(), env(e), io.Discard, strings.NewReader("/quit\n"), []string{"--as", "zhangsan"})
			if err != nil {
				t.Fatalf("a second chat on the demo database: %v", err)
			}
		})
	}
}

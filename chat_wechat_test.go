package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The terminal chat speaks as a WeChat follower of the demo Official
// Account: the gas company's manager binds with the supervisor's code and
// receives the assignment on WeChat; a citizen sends a tip.
func TestChatAsWeChatFollower(t *testing.T) {
	e := dbEnvs(t)["sqlite"]
	in, feed := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- chat(context.Background(), env(e), out, in, []string{"--as", "wangwu"}) }()
	say := func(line string) { io.WriteString(feed, line+"\n") }
	waitFor := func(want *regexp.Regexp) []string {
		t.Helper()
		for i := 0; i < 300; i++ {
			if m := want.FindStringSubmatch(out.String()); m != nil {
				return m
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("never saw %s in:\n%s", want, out.String())
		return nil
	}
	lit := func(s string) *regexp.Regexp { return regexp.MustCompile(regexp.QuoteMeta(s)) }

	say("绑定码 十堰市某燃气有限公司（示例）")
	code := waitFor(regexp.MustCompile(`绑定码：(\d{6})`))[1]
	say("/as wx:oDemoGasManager")
	say("绑定 " + code + " 王经理")
	waitFor(lit("绑定成功"))
	say("/as zhangsan")
	say(`上报\`)
	say(`隐患：液化气钢瓶违规存放\`)
	say(`内容：商场地下室存放液化气钢瓶3个\`)
	say(`区域：茅箭区\`)
	say(`行业：燃气\`)
	say(`单位：十堰市某燃气有限公司（示例）\`)
	say(`时限：10个工作日`)
	waitFor(lit("请核对"))
	say("确认")
	waitFor(lit("已登记，编号"))
	say("/as wx:oDemoGasManager")
	waitFor(lit("【公众号消息】隐患整改交办"))
	waitFor(lit("接收请回复：接收 YH"))
	say("接收 1")
	waitFor(lit("已接收 YH"))

	say("/as wx:oCitizen")
	say("举报")
	waitFor(lit("请用文字描述"))
	say("某饭店后厨液化气钢瓶没有减压阀")
	waitFor(lit("哪个县市区"))
	say("茅箭区")
	waitFor(lit("回复“提交”"))
	say("提交")
	waitFor(lit("受理号 JB"))
	say("/quit")
	feed.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "<nil>") {
		t.Errorf("the conversation shows <nil>:\n%s", got)
	}
}

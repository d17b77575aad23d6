package wecomtest

import (
	"encoding/json"
	"net/http"
	"time"
)

// RobotLimit is how many messages a fake group robot takes in a minute;
// more are refused with 45009, as WeCom does.
const RobotLimit = 20

// webhookSend is a group robot (群机器人): no access token, the key names
// the robot, markdown or text content. Accepted messages go to
// "robot:KEY".
func (f *Fake) webhookSend(w http.ResponseWriter, r *http.Request, raw []byte) {
	key := r.URL.Query().Get("key")
	if key == "" || (len(f.opts.RobotKeys) > 0 && !f.opts.RobotKeys[key]) {
		writeFakeJSON(w, map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
		return
	}
	content, kind, ok := groupContent(raw)
	if !ok {
		writeFakeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
		return
	}
	now := f.opts.Now()
	f.mu.Lock()
	if f.robots == nil {
		f.robots = map[string][]time.Time{}
	}
	recent := f.robots[key][:0]
	for _, t := range f.robots[key] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	full := len(recent) >= RobotLimit
	if !full {
		recent = append(recent, now)
	}
	f.robots[key] = recent
	f.mu.Unlock()
	if full {
		writeFakeJSON(w, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	f.accept(FakeMessage{To: []string{"robot:" + key}, MsgType: kind, Text: content, Body: decoded(raw)})
	writeErrcode(w, 0)
}

// appchatSend is an app group chat (appchat/send); accepted messages go to
// "chat:CHATID".
func (f *Fake) appchatSend(w http.ResponseWriter, raw []byte) {
	body := decoded(raw)
	chat, _ := body["chatid"].(string)
	content, kind, ok := groupContent(raw)
	if chat == "" || !ok {
		writeFakeJSON(w, map[string]any{"errcode": 86003, "errmsg": "invalid chatid"})
		return
	}
	f.accept(FakeMessage{To: []string{"chat:" + chat}, MsgType: kind, Text: content, Body: body})
	writeErrcode(w, 0)
}

func decoded(raw []byte) map[string]any {
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return body
}

func groupContent(raw []byte) (content, kind string, ok bool) {
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
		Text *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return "", "", false
	}
	switch {
	case m.MsgType == "markdown" && m.Markdown != nil && m.Markdown.Content != "":
		return m.Markdown.Content, "markdown", true
	case m.MsgType == "text" && m.Text != nil && m.Text.Content != "":
		return m.Text.Content, "text", true
	}
	return "", "", false
}

package bot

import (
	"fmt"
	"strings"

	"hazardbot/bot/command"
	"hazardbot/models"
)

// What WeChat followers are told. An unbound follower is the public: they
// may bind with a code or send a tip, and learn nothing of the ledger.
const (
	msgWeChatWelcome = "您好！这里是安全生产隐患随手拍。\n· 发现安全隐患，发送“举报”（也可以直接发照片）\n· 企业联系人请发送“绑定 6位绑定码”（绑定码向属地督办员索取）"
	msgWeChatNotHere = "公众号里可以用：查询、我的、接收、照片、整改、延期、举报、解绑。发送“帮助”查看用法。"
	msgBound         = "绑定成功！你已是 %s 的联系人。\n交办给本单位的隐患会在这里通知你。发送“帮助”查看用法。"
	msgAlreadyBound  = "你已绑定 %s。如需改绑，先发送“解绑”。"
	msgUnbound       = "已解除与 %s 的绑定，以后不会再收到该单位的隐患通知。"
	msgBindCode      = "%s 的绑定码：%s\n72小时内有效，只能用一次。请企业联系人关注公众号后发送：绑定 %s"
	msgRevoked       = "已解除 %s 的 %d 个公众号联系人绑定。"
	msgNoneBound     = "%s 没有绑定公众号联系人。"
)

// wechatHelp lists what a bound contact can do on WeChat.
func wechatHelp(a *models.Actor) string {
	return "你已绑定：" + a.Unit.Name + "。可用命令：\n" +
		"· 我的 —— 本单位待办\n" +
		"· 查询 编号 —— 例如：查询 12\n" +
		"· 照片 编号 —— 整改前后的照片\n" +
		"· 接收 编号\n" +
		"· 整改 编号 做了什么 —— 先发整改后的照片，再发这条\n" +
		"· 延期 编号 新时限 理由\n" +
		"· 举报 —— 反映其他安全隐患\n" +
		"· 解绑 —— 不再接收本单位通知"
}

// wechatAllowed are the commands a bound contact may use on WeChat: the
// contact's own work, nothing that assigns, reviews or lists the ledger.
var wechatAllowed = map[command.Name]bool{
	command.Query: true, command.Mine: true, command.Accept: true, command.Rectify: true,
	command.Extend: true, command.Cancel: true, command.Confirm: true, command.Edit: true,
	command.Skip: true, command.Photos: true,
}

// wechat runs a message from a WeChat follower. Bound contacts get the same
// commands as in WeCom, limited to their own work in their unit's scope;
// everyone else may bind or send a tip.
func (c *turn) wechat() error {
	tipping := c.dlg != nil && c.dlg.Flow == flowTip
	switch c.msg.Kind {
	case KindEvent:
		switch c.msg.Event {
		case EventUnsubscribe:
			// The follower left: their binding ends and nothing more is
			// sent to them (models.Unfollow). WeChat shows no reply.
			c.dropDlg = c.dlg != nil
			if _, _, err := c.tx.Unfollow(c.actor.UserID); err != nil {
				return err
			}
			if err := c.dropDraftPhotos(); err != nil {
				return err
			}
		case EventSubscribe:
			if err := c.tx.Follow(c.actor.UserID); err != nil {
				return err
			}
			if c.actor.Known() {
				c.say(msgAlreadyBound, c.actor.Unit.Name)
			} else {
				c.say("%s", msgWeChatWelcome)
			}
		case EventClick:
			if c.msg.EventKey != "" {
				c.msg.Text = c.msg.EventKey
				return c.wechatText()
			}
		}
		return nil
	case KindText:
		return c.wechatText()
	case KindImage:
		if tipping || !c.actor.Known() {
			return c.tipPhoto()
		}
		return c.photo()
	case KindLocation:
		if tipping || !c.actor.Known() {
			return c.tipLocation()
		}
		return c.location()
	case KindVoice, KindVideo:
		c.say(msgNoVoice)
	default:
		c.say("%s", msgWeChatWelcome)
	}
	return nil
}

func (c *turn) wechatText() error {
	text := strings.TrimSpace(c.msg.Text)
	word, rest := splitWord(text)
	if code, ok := strings.CutPrefix(word, "绑定"); ok && code != "" && code != "码" {
		word, rest = "绑定", strings.TrimSpace(code+" "+rest) // "绑定123456"
	}
	switch word {
	case "绑定":
		return c.bind(rest)
	case "解绑", "解除绑定":
		unit, err := c.tx.Unbind(c.actor.UserID)
		if err != nil {
			return err
		}
		c.say(msgUnbound, unit.Name)
		return nil
	case "举报", "随手拍", "我要举报":
		return c.startTip()
	}
	if c.dlg != nil && c.dlg.Flow == flowTip && c.dlg.active() {
		return c.tipAnswer(text)
	}
	if !c.actor.Known() {
		c.say("%s", msgWeChatWelcome)
		return nil
	}
	cmd, err := command.Parse(text, c.b.now(), c.b.loc())
	switch {
	case cmd.Name == command.Help:
		c.say("%s", wechatHelp(c.actor))
		return nil
	case cmd.Name == command.None && err == nil && (c.dlg == nil || !c.dlg.active()):
		c.say("%s", msgWeChatNotHere)
		return nil
	case cmd.Name != command.None && !wechatAllowed[cmd.Name]:
		c.say("%s", msgWeChatNotHere)
		return nil
	}
	return c.runText(cmd, err)
}

// bind makes the follower a contact of the unit whose code they send
// ("绑定 123456", optionally followed by their name).
func (c *turn) bind(rest string) error {
	if c.actor.Known() {
		c.say(msgAlreadyBound, c.actor.Unit.Name)
		return nil
	}
	code, name := splitWord(rest)
	if code == "" {
		return models.Errorf(models.EInvalid, "请发送：绑定 6位绑定码（向属地督办员索取）")
	}
	_, unit, err := c.tx.Bind(code, c.actor.UserID, name)
	if err != nil {
		return err
	}
	c.dropDlg = c.dlg != nil
	c.say(msgBound, unit.Name)
	return nil
}

// channelCommand runs the WeCom commands that manage the other channels:
// 绑定码 (a binding code for a unit), 解绑 单位 (revoke its WeChat
// contacts) and the closing of a public tip (不属实 / 已处理). ok is false
// for any other text.
func (c *turn) channelCommand() (ok bool, err error) {
	word, rest := splitWord(strings.TrimSpace(c.msg.Text))
	switch word {
	case "绑定码":
		return true, c.bindCode(rest)
	case "解绑", "解除绑定":
		if rest == "" {
			return false, nil
		}
		return true, c.revoke(rest)
	case tipFalse, tipHandled:
		return true, c.closeTip(word, rest)
	}
	return false, nil
}

// unitInScope resolves a unit a supervisor names and checks it is theirs.
func (c *turn) unitInScope(words, what string) (*models.Unit, error) {
	if !c.actor.Has(models.RoleSupervisor) {
		return nil, models.Errorf(models.EForbidden, "只有督办员可以%s", what)
	}
	if strings.TrimSpace(words) == "" {
		return nil, models.Errorf(models.EInvalid, "请写明单位，例如：%s 人民南路加油站", what)
	}
	u, err := c.resolveUnit(words, "单位")
	if err != nil {
		return nil, err
	}
	if !c.actor.Unit.Contains(u) {
		return nil, models.Errorf(models.EForbidden, "%s 不在你单位（%s）的管辖范围内", u.Name, c.actor.Unit.ShortName())
	}
	return u, nil
}

func (c *turn) bindCode(words string) error {
	u, err := c.unitInScope(words, "绑定码")
	if err != nil {
		return err
	}
	code, err := c.tx.CreateBindCode(u, c.actor.UserID)
	if err != nil {
		return err
	}
	c.say(msgBindCode, u.Name, code.Code, code.Code)
	return nil
}

func (c *turn) revoke(words string) error {
	u, err := c.unitInScope(words, "解绑")
	if err != nil {
		return err
	}
	list, err := c.tx.RevokeWeChat(u.ID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		c.say(msgNoneBound, u.Name)
		return nil
	}
	c.say(msgRevoked, u.Name, len(list))
	return nil
}

// splitWord cuts text into its first word and the rest, at the first
// space (half- or full-width).
func splitWord(text string) (string, string) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "　", " "))
	word, rest, _ := strings.Cut(text, " ")
	return word, strings.TrimSpace(rest)
}

// BindCode issues a binding code for unit code on behalf of userid (the
// admin API), under the same rules as 绑定码 in chat.
func (b *Bot) BindCode(tx *models.Tx, userid, unitCode string) (*models.BindCode, error) {
	u, err := tx.FindUnitByCode(unitCode)
	if err != nil {
		return nil, err
	}
	if userid != "" {
		a, err := tx.Actor(userid)
		if err != nil {
			return nil, err
		}
		if !a.Has(models.RoleSupervisor) || !a.Unit.Contains(u) {
			return nil, models.Errorf(models.EForbidden, "%s 不能为 %s 生成绑定码", a.Display(), u.Name)
		}
	}
	return tx.CreateBindCode(u, fmt.Sprintf("api:%s", userid))
}

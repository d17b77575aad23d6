package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"hazardbot/models"
)

// A reply longer than one WeCom message is shown a page at a time: the
// first page ends with "…共N条，发“更多”" and the rest waits in the
// database (models.Page), so that 更多 works on any replica and after a
// restart.

// pageTTL is how long the rest of a reply waits for 更多.
const pageTTL = 24 * time.Hour

// searchPage is how many hazards one page of a search shows.
const searchPage = 10

const (
	msgMore       = "…共%d条，发“更多”"
	msgMoreLeft   = "…还有%d条，发“更多”"
	msgNoMore     = "没有更多了。"
	msgNoneFound  = "没有找到含“%s”的隐患（只查你有权查看的）。换个关键词试试，或发送“查询 编号”。"
	msgFoundTitle = "含“%s”的隐患共%d条（最新在前）：\n"
)

// pageState is what 更多 continues: a search (read again from the
// database, from where the last page stopped) or the rest of a long text.
type pageState struct {
	Search *searchCursor `json:"search,omitempty"`
	// Rest are the pages of a long text not yet shown, each with its own
	// count of the items still to come.
	Rest []page `json:"rest,omitempty"`
}

type page struct {
	Text string `json:"text"`
	Left int    `json:"left"` // items on later pages
}

// searchCursor continues a keyword search: hazards with an id below
// BeforeID, newest first.
type searchCursor struct {
	Words    string `json:"words"`
	BeforeID uint   `json:"before_id"`
	Left     int64  `json:"left"`
}

// fit makes text one message: a long text is cut at line breaks into
// pages, the first returned with a count of what follows and the rest
// kept for 更多.
func (c *turn) fit(text string) (string, error) {
	if len(text) <= maxText {
		return text, nil
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	// Reserve room for the longest footer.
	budget := maxText - len(fmt.Sprintf(msgMore, len(lines))) - 1
	var pages [][]string
	var cur []string
	size := 0
	for _, l := range lines {
		if len(l) > budget {
			l = clipBytes(l, budget)
		}
		if size+len(l)+1 > budget && len(cur) > 0 {
			pages = append(pages, cur)
			cur, size = nil, 0
		}
		cur = append(cur, l)
		size += len(l) + 1
	}
	pages = append(pages, cur)
	st := pageState{}
	left := len(lines) - len(pages[0])
	for i := 1; i < len(pages); i++ {
		left -= len(pages[i])
		st.Rest = append(st.Rest, page{Text: strings.Join(pages[i], "\n"), Left: left})
	}
	if err := c.savePages(&st); err != nil {
		return "", err
	}
	return strings.Join(pages[0], "\n") + "\n" + fmt.Sprintf(msgMore, len(lines)), nil
}

func (c *turn) savePages(st *pageState) error {
	if st == nil || (st.Search == nil && len(st.Rest) == 0) {
		return c.tx.DropPage(c.actor.UserID)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("bot: encode page: %w", err)
	}
	return c.tx.SavePage(c.actor.UserID, string(data))
}

// more shows the next page of the last long reply.
func (c *turn) more() error {
	row, err := c.tx.LoadPage(c.actor.UserID)
	if err != nil {
		return err
	}
	if row == nil || c.b.now().Sub(row.UpdatedAt) > pageTTL {
		c.say(msgNoMore)
		return nil
	}
	var st pageState
	if err := json.Unmarshal([]byte(row.Data), &st); err != nil {
		c.say(msgNoMore)
		return c.tx.DropPage(c.actor.UserID)
	}
	switch {
	case st.Search != nil:
		return c.searchFrom(st.Search.Words, st.Search.BeforeID, st.Search.Left)
	case len(st.Rest) > 0:
		p := st.Rest[0]
		st.Rest = st.Rest[1:]
		c.reply.Text = p.Text
		if p.Left > 0 {
			c.reply.Text += "\n" + fmt.Sprintf(msgMoreLeft, p.Left)
		}
		return c.savePages(&st)
	}
	c.say(msgNoMore)
	return c.tx.DropPage(c.actor.UserID)
}

// search answers 查询 <words>: the hazards the asker may see whose title,
// description, enterprise, location or responsible unit holds every word,
// newest first, ten at a time.
func (c *turn) search(words string) error {
	f := models.HazardFilter{Viewer: c.actor, Keyword: words}
	total, err := c.tx.CountHazards(f)
	if err != nil {
		return err
	}
	if total == 0 {
		c.say(msgNoneFound, words)
		return nil
	}
	return c.searchFrom(words, 0, total)
}

// searchFrom shows the next page of a search: left hazards remain, those
// with an id below before (0: from the newest).
func (c *turn) searchFrom(words string, before uint, left int64) error {
	f := models.HazardFilter{Viewer: c.actor, Keyword: words, Desc: true, AfterID: before, Limit: searchPage}
	list, err := c.tx.FindHazards(f)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		c.say(msgNoMore)
		return c.tx.DropPage(c.actor.UserID)
	}
	today := c.b.today()
	var b strings.Builder
	if before == 0 {
		fmt.Fprintf(&b, msgFoundTitle, words, left)
	}
	for i := range list {
		b.WriteString(searchLine(&list[i], today) + "\n")
	}
	left -= int64(len(list))
	st := &pageState{}
	if left > 0 && len(list) == searchPage {
		st.Search = &searchCursor{Words: words, BeforeID: list[len(list)-1].ID, Left: left}
		if before == 0 {
			fmt.Fprintf(&b, msgMore, left+int64(len(list)))
		} else {
			fmt.Fprintf(&b, msgMoreLeft, left)
		}
	}
	c.reply.Text = strings.TrimRight(b.String(), "\n")
	return c.savePages(st)
}

// searchLine is one found hazard, short enough that ten fit a message.
func searchLine(h *models.Hazard, today models.Date) string {
	short := *h
	short.Title = clip(h.Title, 30)
	s := hazardLine(&short, today)
	if h.Enterprise != "" {
		s += " · " + clip(h.Enterprise, 16)
	}
	return s
}

// clipBytes cuts s to at most n bytes at a character boundary, with an
// ellipsis.
func clipBytes(s string, n int) string { return models.Truncate(s, n, "…") }

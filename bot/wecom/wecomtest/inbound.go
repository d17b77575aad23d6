package wecomtest

import (
	"encoding/xml"
	"strconv"
	"strings"

	"hazardbot/bot"
)

// EncodeInbound renders m as the plaintext XML WeCom would send to corpID,
// the inverse of DecodeInbound: tests, the load program and the terminal
// chat build any message type with it and pass it to SealInbound. For
// messages m.ID becomes the MsgId; for events it is derived on decode.
func EncodeInbound(m bot.Message, corpID string) []byte {
	x := inboundOut{
		ToUserName:   cdata{corpID},
		FromUserName: cdata{m.UserID},
		CreateTime:   m.Time.Unix(),
		MsgType:      cdata{string(m.Kind)},
	}
	str := func(s string) *cdata { return &cdata{s} }
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch m.Kind {
	case bot.KindText:
		x.Content = str(m.Text)
	case bot.KindImage:
		x.PicUrl, x.MediaId = str(m.PicURL), str(m.MediaID)
	case bot.KindVoice:
		x.MediaId, x.Format = str(m.MediaID), str(m.Format)
	case bot.KindVideo:
		x.MediaId, x.ThumbMediaId = str(m.MediaID), str(m.ThumbID)
	case bot.KindLocation:
		x.LocationX, x.LocationY = num(m.Lat), num(m.Lng)
		x.Scale, x.Label = strconv.Itoa(m.Scale), str(m.Label)
	case bot.KindLink:
		x.Title, x.Description, x.Url, x.PicUrl = str(m.Title), str(m.Description), str(m.URL), str(m.PicURL)
	case bot.KindEvent:
		x.Event, x.EventKey = str(m.Event), str(m.EventKey)
		switch m.Event {
		case bot.EventLocation:
			x.Latitude, x.Longitude, x.Precision = num(m.Lat), num(m.Lng), "0"
		case bot.EventTemplateCard:
			x.TaskId, x.CardType, x.ResponseCode = str(m.TaskID), str(m.CardType), str(m.ResponseCode)
			if len(m.Selected) > 0 {
				x.SelectedItems = &selectedOut{}
				for _, s := range m.Selected {
					item := selectedItemOut{QuestionKey: cdata{s.QuestionKey}}
					for _, id := range s.OptionIDs {
						item.OptionIds = append(item.OptionIds, cdata{id})
					}
					x.SelectedItems.Items = append(x.SelectedItems.Items, item)
				}
			}
		}
	}
	if m.Kind != bot.KindEvent {
		x.MsgId = m.ID
	}
	x.AgentID = m.AgentID
	out, err := xml.Marshal(x)
	if err != nil {
		// Only strings and numbers go in: Marshal cannot fail on them.
		panic("wecomtest: encode inbound: " + err.Error())
	}
	return out
}

// inboundOut is what EncodeInbound marshals; nil and empty fields are left
// out so each message type carries only its own elements.
type inboundOut struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata
	FromUserName cdata
	CreateTime   int64
	MsgType      cdata
	Content      *cdata
	PicUrl       *cdata
	MediaId      *cdata
	Format       *cdata
	ThumbMediaId *cdata
	LocationX    string `xml:"Location_X,omitempty"`
	LocationY    string `xml:"Location_Y,omitempty"`
	Scale        string `xml:",omitempty"`
	Label        *cdata
	Title        *cdata
	Description  *cdata
	Url          *cdata
	Event        *cdata
	EventKey     *cdata
	Latitude     string `xml:",omitempty"`
	Longitude    string `xml:",omitempty"`
	Precision    string `xml:",omitempty"`
	TaskId       *cdata
	CardType     *cdata
	ResponseCode *cdata
	MsgId        string `xml:",omitempty"`
	AgentID      int64
	// SelectedItems comes last, as in WeCom's sample.
	SelectedItems *selectedOut
}

type selectedOut struct {
	Items []selectedItemOut `xml:"SelectedItem"`
}

type selectedItemOut struct {
	QuestionKey cdata
	OptionIds   []cdata `xml:"OptionIds>OptionId"`
}

// inboundEnvelope is the POST body WeCom sends (SealInbound).
type inboundEnvelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName cdata
	Encrypt    cdata
	AgentID    cdata
}

// cdata marshals as <Name><![CDATA[...]]></Name>, WeCom's own style.
type cdata struct {
	Text string `xml:",cdata"`
}

// MarshalXML writes text with a carriage return as escaped character data
// instead: a parser turns a raw CR inside CDATA into LF, while &#xD;
// survives, so what is encoded decodes back unchanged.
func (c cdata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if strings.ContainsRune(c.Text, '\r') {
		return e.EncodeElement(c.Text, start)
	}
	type plain cdata // without this method, so no recursion
	return e.EncodeElement(plain(c), start)
}

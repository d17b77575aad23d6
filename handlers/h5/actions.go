package h5

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/models"
)

// Upload limits: photos as the phone sends them, stored as sent.
const (
	MaxPhotoSize = 10 << 20 // one photo
	MaxPhotos    = 9        // one submission, as many as WeCom's picker takes
	maxFormBody  = MaxPhotos*MaxPhotoSize + 1<<20
)

// photoKinds are the types a page may upload, known by their first bytes,
// never by the name or the header the phone sends.
func photoKind(head []byte) (ctype, ext string, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", ".jpg", true
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", ".png", true
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		switch string(head[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "image/heic", ".heic", true
		}
	}
	return "", "", false
}

// LimitBody caps a POST's body before anything reads it, so an oversized
// upload is refused without filling the disk.
func (p *Pages) LimitBody(c *gin.Context) {
	if c.Request.Method == http.MethodPost {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBody)
		if err := c.Request.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				p.page(c, http.StatusRequestEntityTooLarge, "error", errorView{Title: "照片太大",
					Message: fmt.Sprintf("一次最多上传 %d 张照片，每张不超过 %d MB。", MaxPhotos, MaxPhotoSize>>20), Link: "/h5/"})
				c.Abort()
				return
			}
			p.page(c, http.StatusBadRequest, "error", errorView{Title: "请求无效", Message: "表单没有传完整，请重试。", Link: "/h5/"})
			c.Abort()
			return
		}
	}
	c.Next()
}

// Act takes an action on a hazard: POST /h5/hazards/{number}/{action}, the
// same bot.Transition a chat command or a card click makes. Success goes
// back to the hazard's page, which shows the new state; a refusal shows the
// page with the reason.
func (p *Pages) Act(c *gin.Context) {
	v := viewerOf(c)
	ctx := c.Request.Context()
	tx := p.d.Store.Reads(ctx)
	n, err := models.ParseNumber(c.Param("number"), tx.Today().Year)
	if err != nil {
		p.fail(c, models.Errorf(models.ENotFound, "没有这个隐患编号：%s", c.Param("number")))
		return
	}
	// Someone who may not even see the hazard learns nothing more.
	if _, err := p.loadHazard(c, tx, v.Actor); err != nil {
		p.fail(c, err)
		return
	}
	action := models.Action(c.Param("action"))
	change := models.Change{Note: strings.TrimSpace(c.PostForm("note"))}
	var photos []bot.StoredPhoto
	switch action {
	case models.ActAccept, models.ActPass, models.ActApproveExtend:
		change.Note = ""
	case models.ActReject:
	case models.ActSubmit:
		if photos, err = p.savePhotos(c, n); err != nil {
			p.refused(c, err)
			return
		}
	case models.ActList:
		change.Colour = models.Colour(c.PostForm("colour"))
	case models.ActDismiss:
		// The outcome and the reason make the event's note, which the
		// state machine checks (models.ParseDismissNote).
		change.Note = models.DismissNote(c.PostForm("outcome"), change.Note)
	case models.ActRequestExtend:
		d, err := models.ParseDate(c.PostForm("deadline"))
		if err != nil {
			p.refused(c, models.Errorf(models.EInvalid, "请选择延期到哪天"))
			return
		}
		change.Deadline = d
	default:
		p.fail(c, models.Errorf(models.ENotFound, "没有这个操作"))
		return
	}
	r, err := p.d.Bot.TransitionWithPhotos(ctx, v.Actor.UserID, n, action, change, photos)
	if err != nil {
		p.refused(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/hazards/"+r.Hazard.Number+"?done="+string(action))
}

// refused shows the hazard's page again with why the action was refused; an
// internal error is the usual error page.
func (p *Pages) refused(c *gin.Context, err error) {
	status, ok := statusOf[models.ErrorCode(err)]
	if !ok {
		p.fail(c, err)
		return
	}
	p.showHazard(c, status, "", models.ErrorMessage(err))
}

// savePhotos keeps the uploaded after-photos in the files, each checked for
// size and type; the transition then adopts them.
func (p *Pages) savePhotos(c *gin.Context, n models.Number) ([]bot.StoredPhoto, error) {
	var files []*multipart.FileHeader
	if c.Request.MultipartForm != nil {
		files = c.Request.MultipartForm.File["photos"]
	}
	if len(files) == 0 {
		return nil, nil
	}
	if p.d.Files == nil {
		return nil, models.Errorf(models.EInvalid, "服务器没有配置照片存储，暂不能上传照片")
	}
	if len(files) > MaxPhotos {
		return nil, models.Errorf(models.EInvalid, "一次最多上传 %d 张照片", MaxPhotos)
	}
	type checked struct {
		data        []byte
		ctype, name string
	}
	var ok []checked
	for i, fh := range files {
		if fh.Size > MaxPhotoSize {
			return nil, models.Errorf(models.EInvalid, "照片“%s”超过 %d MB", fh.Filename, MaxPhotoSize>>20)
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("h5: open upload: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxPhotoSize+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("h5: read upload: %w", err)
		}
		if len(data) > MaxPhotoSize {
			return nil, models.Errorf(models.EInvalid, "照片“%s”超过 %d MB", fh.Filename, MaxPhotoSize>>20)
		}
		ctype, ext, good := photoKind(data[:min(len(data), 16)])
		if !good {
			return nil, models.Errorf(models.EInvalid, "“%s”不是 JPEG、PNG 或 HEIC 照片", fh.Filename)
		}
		now := p.d.Store.Now().In(p.d.Store.Loc)
		name := fmt.Sprintf("photos/%04d/%02d/h5-%s-%s-%d%s", now.Year(), now.Month(), n, randomState()[:12], i, ext)
		ok = append(ok, checked{data, ctype, name})
	}
	var out []bot.StoredPhoto
	for _, ck := range ok {
		size, err := p.d.Files.Put(c.Request.Context(), ck.name, ck.ctype, bytes.NewReader(ck.data))
		if err != nil {
			return nil, fmt.Errorf("h5: store photo: %w", err)
		}
		out = append(out, bot.StoredPhoto{Path: ck.name, ContentType: ck.ctype, Size: size})
	}
	return out, nil
}

package handlers

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"hazardbot/bot"
	"hazardbot/bot/report"
	"hazardbot/models"
)

// summarySentence is the 情况小结 for a summary filter, in the one wording
// chat, digests and the export share.
func summarySentence(f models.SummaryFilter, scopeName string, fig models.Figures) string {
	return report.SummarySentence(f.From, f.To, scopeName, fig)
}

// attachment sets Content-Disposition for a download named name: an ASCII
// fallback and the real (Chinese) name in RFC 5987 form, which every
// current browser and Excel's own downloader honour.
func attachment(c *gin.Context, name, fallback string) {
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, url.PathEscape(name)))
}

// importLimits are the configured caps of a ledger import (import.*).
func (s *Server) importLimits() report.Limits {
	im := s.d.Config.Import
	return report.Limits{Rows: im.MaxRows, Columns: im.MaxColumns, Bytes: int64(im.MaxBytes)}
}

// importLedger: POST /api/v1/ledger/import?dry_run=&actor=, the file as a
// multipart "file" field or as the raw body with ?name=ledger.csv.
func (s *Server) importLedger(c *gin.Context) {
	dry, err := strconv.ParseBool(c.DefaultQuery("dry_run", "true"))
	if err != nil {
		s.fail(c, invalid("dry_run 只能是 true 或 false"))
		return
	}
	actor := c.Query("actor")
	if actor == "" {
		s.fail(c, invalid("缺少 actor（以哪位管理员的身份导入，填 userid）"))
		return
	}
	// The body is capped before reading at the reader's own limit plus room
	// for the multipart framing.
	lim := s.importLimits()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, lim.Bytes+1<<20)
	var r io.Reader = c.Request.Body
	name := c.Query("name")
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt == "multipart/form-data" {
		// The file part is read as a stream, not parsed into a form first,
		// so the upload is held once (by the reader's spool) and never in
		// memory.
		part, err := filePart(c.Request, lim)
		if err != nil {
			s.fail(c, err)
			return
		}
		defer part.Close()
		r, name = part, part.FileName()
	}
	res, err := report.ReadLedgerLimits(r, name, lim)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(c, report.ErrTooBig(lim))
			return
		}
		s.fail(c, err)
		return
	}
	li, err := s.d.Bot.ImportLedger(c.Request.Context(), actor, res, dry)
	if err != nil && li != nil && models.ErrorCode(err) == models.EInvalid {
		// The refused import still says row by row what is wrong.
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"code": models.EInvalid, "message": models.ErrorMessage(err), "errors": li.Errors, "rows": li.Rows})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, li)
}

// filePart finds the multipart field "file" of an upload.
func filePart(r *http.Request, lim report.Limits) (*multipart.Part, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, invalid("上传格式不对，请在表单字段 file 中上传台账文件（.xlsx 或 .csv）")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, report.ErrTooBig(lim)
			}
			return nil, invalid("请在表单字段 file 中上传台账文件（.xlsx 或 .csv）")
		}
		if part.FormName() == "file" {
			return part, nil
		}
		part.Close()
	}
}

// photo: GET /api/v1/photos/{id} serves a stored photo from the files
// (a directory opened through an os.Root, so no stored path — however it
// was written — can reach a file outside it; or the database).
func (s *Server) photo(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		s.fail(c, models.Errorf(models.ENotFound, "没有编号为 %s 的照片", c.Param("id")))
		return
	}
	var a *models.Attachment
	err = s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		a, err = tx.FindAttachment(uint(id))
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if a.Path == "" {
		s.fail(c, models.Errorf(models.ENotFound, "照片 %d 还没有从企业微信下载，请稍后再试", a.ID))
		return
	}
	if s.d.Files == nil {
		s.fail(c, models.Errorf(models.ENotFound, "照片存储未配置"))
		return
	}
	f, ctype, err := s.d.Files.Open(c.Request.Context(), a.Path)
	if err != nil {
		if !bot.FileMissing(err) {
			s.log.Warn("photo not served", "attachment", a.ID, "err", err)
		}
		s.fail(c, models.Errorf(models.ENotFound, "照片 %d 的文件不存在", a.ID))
		return
	}
	defer f.Close()
	if a.ContentType != "" {
		ctype = a.ContentType
	}
	if ctype != "" {
		c.Header("Content-Type", ctype)
	}
	c.Header("Cache-Control", "private, max-age=3600")
	c.Status(http.StatusOK)
	io.Copy(c.Writer, f)
}

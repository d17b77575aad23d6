package handlers

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"hazardbot/bot/report"
	"hazardbot/models"
)

// exportLedger: GET /api/v1/ledger.xlsx with the hazard list's filters and
// scope. The workbook is built in memory before anything is sent, so a
// failure half-way is a clean 500 rather than a truncated file.
func (s *Server) exportLedger(c *gin.Context) {
	var buf bytes.Buffer
	var today models.Date
	err := s.d.Store.InTx(c.Request.Context(), func(tx *models.Tx) error {
		f, err := hazardFilter(c, tx)
		if err != nil {
			return err
		}
		today = tx.Today()
		return report.WriteFilteredLedger(tx, f, &buf)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	attachment(c, report.FileName(today), "ledger-"+today.String()+".xlsx")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

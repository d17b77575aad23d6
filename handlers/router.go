package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-contrib/gzip"
	"github.com/gin-gonic/gin"
)

// routes registers every route of hazardbot, here and nowhere else, so
// that one file says what the server answers. openapi.go describes the
// /api/v1 ones, and a test keeps the two in step.
func (s *Server) routes(e *gin.Engine) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics())

	e.GET("/wecom/callback", s.callbackVerify)
	e.POST("/wecom/callback", s.callbackReceive)
	e.GET("/wechat/callback", s.wechatVerify)
	e.POST("/wechat/callback", s.wechatReceive)

	api := e.Group("/api/v1", s.adminAuth)
	api.GET("/openapi.json", s.openAPI)

	api.GET("/hazards", s.listHazards)
	api.POST("/hazards", s.createHazard)
	api.GET("/hazards/:number", s.getHazard)
	api.POST("/hazards/:number/transitions", s.transition)

	api.GET("/units", s.listUnits)
	api.POST("/units", s.saveUnit)
	api.POST("/units/:code/deactivate", s.deactivateUnit)
	api.POST("/units/:code/bind-code", s.bindCode)
	api.POST("/units/:code/group", s.setUnitGroup)
	api.POST("/units/:code/merge", s.mergeUnit)
	api.POST("/units/:code/confirm", s.confirmUnit)
	api.GET("/users", s.listUsers)
	api.POST("/users", s.saveUser)
	api.POST("/users/:userid/deactivate", s.deactivateUser)
	api.POST("/directory", s.importDirectory)

	api.GET("/summary", s.summary)
	api.GET("/ranking", s.ranking)
	api.POST("/campaigns/:code/reports", s.campaignReport)
	api.GET("/ledger.xlsx", s.exportLedger)
	api.POST("/ledger/import", s.importLedger)

	api.GET("/outbox", s.listOutbox)
	api.POST("/jobs/:name/run", s.runJob)
	api.GET("/photos/:id", s.photo)

	// The H5 pages opened inside WeCom (handlers/h5). Sign-in needs no
	// session; everything else does, and every POST carries the session's
	// CSRF token.
	// Pages, styles and scripts go out gzipped to a client that asks (every
	// browser does; the HTML shrinks to about a fifth); photos are JPEG,
	// PNG or HEIC and the ledger an .xlsx, compressed already.
	p := s.pages
	pg := e.Group("/h5", p.Headers, gzip.Gzip(gzip.DefaultCompression, gzip.WithExcludedPaths([]string{"/h5/photos/", "/h5/ledger.xlsx"})))
	pg.GET("/static/*name", p.Static)
	pg.GET("/login", p.Login)
	pg.GET("/oauth", p.OAuth)
	pg.GET("/demo", p.DemoList)        // demo mode only; 404 otherwise
	pg.GET("/demo-login", p.DemoLogin) // demo mode only; 404 otherwise
	in := pg.Group("", p.LimitBody, p.Auth)
	in.GET("/", p.Home)
	in.GET("/ledger", p.Ledger)
	in.GET("/ledger.xlsx", p.LedgerXLSX)
	in.GET("/hazards/:number", p.Hazard)
	in.POST("/hazards/:number/:action", p.Act)
	in.GET("/photos/:id", p.Photo)
	in.POST("/logout", p.Logout)

	e.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/h5/") {
			p.NotFound(c)
			return
		}
		c.JSON(http.StatusNotFound, apiError{Code: "not_found", Message: "没有这个地址"})
	})
	e.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, apiError{Code: "method_not_allowed", Message: "不支持这个请求方法"})
	})
}

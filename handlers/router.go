package handlers

import (
	"net/http"

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
	api.GET("/users", s.listUsers)
	api.POST("/users", s.saveUser)
	api.POST("/users/:userid/deactivate", s.deactivateUser)
	api.POST("/directory", s.importDirectory)

	api.GET("/summary", s.summary)
	api.GET("/ranking", s.ranking)
	api.GET("/ledger.xlsx", s.exportLedger)
	api.POST("/ledger/import", s.importLedger)

	api.GET("/outbox", s.listOutbox)
	api.POST("/jobs/:name/run", s.runJob)
	api.GET("/photos/:id", s.photo)

	e.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, apiError{Code: "not_found", Message: "没有这个地址"})
	})
	e.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, apiError{Code: "method_not_allowed", Message: "不支持这个请求方法"})
	})
}

package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hazardbot/models"
)

// healthz says the process is up; it touches nothing else, so a slow
// database never gets a live process restarted.
func (s *Server) healthz(c *gin.Context) {
	c.String(http.StatusOK, "ok")
}

// readyz says whether this replica can serve: the database answers and its
// schema is the one this build expects (a replica of a newer or older build
// must not take traffic against the wrong schema).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.d.Store.Ping(ctx); err != nil {
		s.log.Warn("not ready: database ping failed", "err", err)
		c.String(http.StatusServiceUnavailable, "database unreachable")
		return
	}
	v, err := s.d.Store.SchemaVersion(ctx)
	if err != nil {
		s.log.Warn("not ready: schema version unreadable", "err", err)
		c.String(http.StatusServiceUnavailable, "schema version unreadable")
		return
	}
	if want := models.LatestVersion(); v != want {
		c.String(http.StatusServiceUnavailable, fmt.Sprintf("schema version %d, want %d", v, want))
		return
	}
	c.String(http.StatusOK, "ok")
}

// metrics serves the Prometheus registry, to holders of metrics_token when
// one is set (the figures tell an outsider how busy the service is and
// which callbacks fail).
func (s *Server) metrics() gin.HandlerFunc {
	serve := gin.WrapH(promhttp.HandlerFor(s.d.Registry, promhttp.HandlerOpts{Registry: s.d.Registry}))
	return func(c *gin.Context) {
		if want := s.d.Config.MetricsToken; want != "" && !bearer(c, want) {
			c.Header("WWW-Authenticate", `Bearer realm="hazardbot metrics"`)
			c.String(http.StatusUnauthorized, "metrics need the bearer token (metrics_token)")
			return
		}
		serve(c)
	}
}

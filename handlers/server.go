// Package handlers is hazardbot's HTTP edge: the WeCom callback, the admin
// API under /api/v1, health and metrics. Every route is registered in
// router.go. Handlers only translate HTTP: they parse the request, make one
// call to bot or models, and render the result or hand the error to fail,
// the one place that maps error codes to status codes.
package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"hazardbot/bot"
	"hazardbot/bot/wechat"
	"hazardbot/bot/wecom"
	"hazardbot/config"
	"hazardbot/handlers/h5"
	"hazardbot/models"
)

// JobRunner runs the scheduled jobs by name, for POST /api/v1/jobs/{name}/run.
// bot/notify's scheduler implements it.
type JobRunner interface {
	Run(ctx context.Context, name string) error
	Names() []string
}

// Deps is everything the HTTP edge calls into; main wires it once.
type Deps struct {
	Store   *models.Store
	Bot     *bot.Bot
	Crypto  *wecom.Crypto // nil: the callback answers 503
	AgentID int64
	// WeChat opens the Official Account's callbacks; nil answers 503.
	WeChat   *wechat.Callback
	Metrics  *wecom.Metrics       // may be nil
	Registry *prometheus.Registry // served at /metrics; nil: an empty registry
	Config   *config.Config
	Jobs     JobRunner // may be nil: job runs answer 503
	// Files keeps the photos (nil: photos cannot be served).
	Files bot.Files
	// OAuth exchanges the H5 pages' WeCom sign-in codes (the WeCom API
	// client); nil: no WeCom sign-in.
	OAuth h5.CodeExchanger
	Log   *slog.Logger
}

// Server serves hazardbot's HTTP routes.
type Server struct {
	d     Deps
	log   *slog.Logger
	once  sync.Once
	eng   *gin.Engine
	pages *h5.Pages
}

// New returns a server over d. Config and Store are required.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Config == nil {
		d.Config = config.Default()
	}
	pages := h5.New(h5.Deps{Store: d.Store, Bot: d.Bot, Files: d.Files, Config: d.Config, OAuth: d.OAuth, Log: d.Log})
	return &Server{d: d, log: d.Log, pages: pages}
}

// Router returns the HTTP handler with every route; it is built once.
func (s *Server) Router() http.Handler { return s.engine() }

// maxHeaderBytes caps a request's headers. WeCom's callbacks and the admin
// API send a few hundred bytes; net/http's default of 1 MB is only room for
// abuse.
const maxHeaderBytes = 64 << 10

// HTTPServer returns the server to listen on addr with the router and the
// configured timeouts (http.*): a client must send its headers within
// read_header_timeout and its whole request within read_timeout, so one
// that dribbles a byte a second is cut off instead of holding a connection
// and a goroutine for as long as it likes; write_timeout bounds a request
// from its headers to its last byte out, and idle_timeout a kept-alive
// connection waiting for its next request. Bodies are still capped by
// each handler before they are read.
func (s *Server) HTTPServer(addr string) *http.Server {
	h := s.d.Config.HTTP
	return &http.Server{
		Addr:              addr,
		Handler:           s.Router(),
		ReadHeaderTimeout: h.ReadHeaderTimeout,
		ReadTimeout:       h.ReadTimeout,
		WriteTimeout:      h.WriteTimeout,
		IdleTimeout:       h.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) engine() *gin.Engine {
	s.once.Do(func() {
		// Release mode keeps gin from printing every route and a debug
		// banner to stdout; it is process-wide, so setting it twice is
		// harmless.
		gin.SetMode(gin.ReleaseMode)
		e := gin.New()
		e.HandleMethodNotAllowed = true
		// gin believes X-Forwarded-For from any peer unless told otherwise,
		// which lets any client write the access log's remote address.
		// Only the configured proxies are believed (none by default).
		if err := e.SetTrustedProxies(s.d.Config.HTTP.TrustedProxies); err != nil {
			// Validate has checked the list; should it still not parse,
			// believe nobody rather than everybody.
			s.log.Error("http.trusted_proxies not usable, trusting no proxy", "err", err)
			_ = e.SetTrustedProxies(nil)
		}
		// The recovery writer is discarded: gin's dump would include the
		// request's headers (the bearer token). recovered logs instead.
		e.Use(s.accessLog, gin.CustomRecoveryWithWriter(io.Discard, s.recovered))
		s.routes(e)
		s.eng = e
	})
	return s.eng
}

// accessLog writes one line per request. It logs the path without the
// query string: callback queries carry signatures and a ledger import
// names its actor there, and none of it belongs in a log.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("route", c.FullPath()),
		slog.Int("status", status),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", c.ClientIP()),
	}
	if name := c.GetString(ctxTokenName); name != "" {
		attrs = append(attrs, slog.String("token", name)) // the token's name, never its value
	}
	s.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

func (s *Server) recovered(c *gin.Context, v any) {
	s.log.Error("handler panicked", "path", c.Request.URL.Path, "panic", v)
	c.AbortWithStatusJSON(http.StatusInternalServerError, apiError{Code: models.EInternal, Message: models.InternalMessage})
}

// apiError is the body of every JSON error.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps a models error code to an HTTP status.
var statusOf = map[string]int{
	models.EInvalid:   http.StatusBadRequest,
	models.ENotFound:  http.StatusNotFound,
	models.EForbidden: http.StatusForbidden,
	models.EConflict:  http.StatusConflict,
}

// fail answers err as JSON. A domain error shows its own message with its
// status; anything else is logged here, once, and shown as the generic
// message, since its text may hold internals no user should see.
func (s *Server) fail(c *gin.Context, err error) {
	code := models.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		if errors.Is(err, context.Canceled) {
			// The client went away; there is nobody to answer.
			c.Abort()
			return
		}
		s.log.Error("request failed", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, apiError{Code: models.EInternal, Message: models.InternalMessage})
		return
	}
	c.AbortWithStatusJSON(status, apiError{Code: code, Message: models.ErrorMessage(err)})
}

// invalid returns a domain error for a bad request parameter.
func invalid(format string, args ...any) error {
	return models.Errorf(models.EInvalid, format, args...)
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"hazardbot/bot"
	"hazardbot/bot/wechat"
	"hazardbot/bot/wechat/wechattest"
	"hazardbot/bot/wecom"
	"hazardbot/bot/wecom/wecomtest"
	"hazardbot/config"
	"hazardbot/models"
)

// app is everything one process runs, wired once.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	store    *models.Store
	bot      *bot.Bot
	crypto   *wecom.Crypto
	client   *wecom.Client
	fake     *wecomtest.Fake   // demo mode only
	sealer   *wecomtest.Sealer // demo mode only: the WeCom side of the callback, for the terminal chat
	agentID  int64             // the app's AgentId (in demo mode the fake's)
	metrics  *wecom.Metrics
	registry *prometheus.Registry
	files    bot.Files
	demo     bool
	// photoEvery is how often the photo fetcher looks for new photos.
	photoEvery time.Duration

	// The WeChat Official Account (wechat.go): nil when not configured.
	wechat        *wechat.Callback
	wechatClient  *wechat.Client
	wechatFake    *wechattest.Fake   // demo mode only
	wechatAccount wechattest.Account // demo mode only: the follower's side
}

// loadConfig reads the configuration and builds the logger.
func loadConfig(getenv func(string) string, out io.Writer) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	var h slog.Handler = slog.NewTextHandler(out, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(out, opts)
	}
	return cfg, slog.New(h), nil
}

// openStore connects to the configured database and migrates it.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*models.Store, error) {
	s, err := models.Open(models.DBConfig{Driver: cfg.DB.Driver, DSN: cfg.DB.DSN, MaxOpenConns: cfg.DB.MaxOpenConns, Solo: !cfg.DB.GroupCommit}, cfg.Location(), log)
	if err != nil {
		return nil, err
	}
	s.TopKind = models.UnitKind(cfg.Directory.TopKind)
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// newApp wires config → database → WeCom → bot. In demo mode (no WeCom
// settings) it generates callback credentials, talks to an in-process fake
// WeCom API and loads the Shiyan directory into an empty database.
func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: store, demo: cfg.DemoMode(), photoEvery: 5 * time.Second}
	a.files = bot.DirFiles{Dir: cfg.Storage.Dir}
	if cfg.Storage.Driver == "db" {
		a.files = bot.DBFiles{Store: store}
	}
	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = wecom.NewMetrics(a.registry)

	w := cfg.WeCom
	wcfg := wecom.Config{CorpID: w.CorpID, AgentID: int64(w.AgentID), Secret: w.Secret, APIBase: w.APIBase}
	token, aesKey := w.Token, w.AESKey
	var clientOpts []wecom.Option
	if a.demo {
		token, aesKey = randomToken(), randomAESKey()
		wcfg.CorpID, wcfg.AgentID, wcfg.Secret = "demo-corp", 1000002, randomToken()
		a.fake = wecomtest.NewFake(wecomtest.FakeOptions{CorpID: wcfg.CorpID, Secret: wcfg.Secret, AgentID: wcfg.AgentID})
		clientOpts = append(clientOpts, wecom.WithHTTPClient(&http.Client{Transport: a.fake.Transport(), Timeout: 10 * time.Second}))
		if a.sealer, err = wecomtest.NewSealer(token, aesKey, wcfg.CorpID); err != nil {
			store.Close()
			return nil, err
		}
		n, err := a.demoDirectory(ctx)
		if err != nil {
			store.Close()
			return nil, err
		}
		log.Info("demo mode: no WeCom settings, using an in-process fake WeCom API", "directory_units_loaded", n)
	}
	a.agentID = wcfg.AgentID
	if a.crypto, err = wecom.NewCrypto(token, aesKey, wcfg.CorpID); err != nil {
		store.Close()
		return nil, err
	}
	clientOpts = append(clientOpts, wecom.WithLogger(log), wecom.WithMetrics(a.metrics), wecom.WithFiles(a.files))
	if a.client, err = wecom.NewClient(wcfg, models.Tokens{S: store}, clientOpts...); err != nil {
		store.Close()
		return nil, err
	}
	if err := a.setupWeChat(); err != nil {
		store.Close()
		return nil, err
	}
	a.bot = bot.New(store, cfg, log, bot.WithFiles(a.files))
	return a, nil
}

// demoDirectory loads the Shiyan directory into an empty database and
// marks it a demo database.
func (a *app) demoDirectory(ctx context.Context) (int, error) {
	var n int64
	if err := a.store.InTx(ctx, func(tx *models.Tx) error {
		var err error
		n, err = tx.CountUnits()
		return err
	}); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, nil
	}
	r, err := a.store.ImportDirectoryFile(ctx, config.ShiyanDirectory)
	if err != nil {
		return 0, err
	}
	// Mark the database as the demo's, so that the terminal chat may use it.
	err = a.store.InTx(ctx, func(tx *models.Tx) error { return tx.SetSetting(models.SettingDemo, "shiyan") })
	return r.Units, err
}

func (a *app) close() { a.store.Close() }

// fetchPhotos keeps downloading photos users sent until ctx ends.
func (a *app) fetchPhotos(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := a.bot.FetchPhotos(ctx, a.downloader(), a.files); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("photo fetcher", "err", err)
		} else if n > 0 {
			a.log.Info("photos fetched", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// randomAESKey is a fresh EncodingAESKey: 32 random bytes, base64 without
// the trailing "=", 43 characters.
func randomAESKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

// openConfigured loads the configuration and opens its migrated database,
// for the one-shot commands (migrate, check-counts).
func openConfigured(ctx context.Context, getenv func(string) string) (*models.Store, error) {
	cfg, log, err := loadConfig(getenv, os.Stderr)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, cfg, log)
}

func migrate(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	s, err := openConfigured(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database at schema version %d\n", v)
	return nil
}

// checkCounts compares the pre-aggregated counts with the hazards, and with
// repair rebuilds them.
func checkCounts(ctx context.Context, getenv func(string) string, stdout io.Writer, repair bool) error {
	s, err := openConfigured(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	diffs, err := s.CheckCounts(ctx)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) == 0 {
		fmt.Fprintln(stdout, "counts match the hazards")
		return nil
	}
	if !repair {
		return fmt.Errorf("%d count rows differ from the hazards (run check-counts --repair to rebuild them)", len(diffs))
	}
	if err := s.RebuildCounts(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d rows differed; counts rebuilt from the hazards\n", len(diffs))
	return nil
}

func importDirectory(ctx context.Context, getenv func(string) string, stdout io.Writer, file string) error {
	cfg, log, err := loadConfig(getenv, os.Stderr)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.ImportDirectoryFile(ctx, data)
	if err != nil {
		if me := (*models.Error)(nil); errors.As(err, &me) {
			return fmt.Errorf("%s: %s (nothing was imported)", file, me.Message)
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %s: %d units, %d users, %d campaigns\n", file, r.Units, r.Users, r.Campaigns)
	return nil
}

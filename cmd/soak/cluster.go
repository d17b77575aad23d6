package main

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"hazardbot/bot/wecom/wecomtest"

	"hazardbot/models"
)

// The callback credentials are made up per run; only the replicas and the
// simulator know them, and they are never printed.
const (
	corpID  = "soak-corp"
	agentID = 1000002
)

// soak is one run: the database, the fake WeCom API, the replicas and the
// simulator's records.
type soak struct {
	o       options
	rng     *rand.Rand
	rngMu   sync.Mutex
	tmp     string
	bin     string
	dsn     string // the soak database, for the replicas
	dbName  string
	dropDB  func() error // drops the scratch database
	db      *sql.DB      // the soak database, for the checks
	fake    *wecomtest.Fake
	api     *httptest.Server
	crypto  *wecomtest.Sealer // the WeCom side of the replicas' callbacks
	token   string
	aesKey  string
	secret  string
	reps    []*replica
	dir     directory
	stats   *stats
	ledger  *ledger
	faults  *faultLog
	started time.Time
}

// replica is one `hazardbot serve` process.
type replica struct {
	n    int
	addr string
	log  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *soak) randInt(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

func (s *soak) chance(p float64) bool {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

func newSoak(ctx context.Context, o options) (*soak, error) {
	s := &soak{o: o, rng: rand.New(rand.NewPCG(uint64(o.seed), 7)), stats: newStats(), ledger: newLedger(), faults: &faultLog{}}
	var err error
	if s.tmp, err = os.MkdirTemp("", "hazardbot-soak-"); err != nil {
		return nil, err
	}
	if o.logDir == "" {
		s.o.logDir = filepath.Join(s.tmp, "logs")
	}
	if err := os.MkdirAll(s.o.logDir, 0o755); err != nil {
		return s, err
	}
	s.token, s.secret = randHex(16), randHex(16)
	key := make([]byte, 32)
	crand.Read(key)
	s.aesKey = base64.RawStdEncoding.EncodeToString(key)
	if s.crypto, err = wecomtest.NewSealer(s.token, s.aesKey, corpID); err != nil {
		return s, err
	}
	s.fake = wecomtest.NewFake(wecomtest.FakeOptions{CorpID: corpID, Secret: s.secret, AgentID: agentID})
	s.api = httptest.NewServer(s.fake)

	if s.bin = o.bin; s.bin == "" {
		s.bin = filepath.Join(s.tmp, "hazardbot")
		fmt.Println("soak: building hazardbot …")
		b := exec.CommandContext(ctx, "go", "build", "-o", s.bin, ".")
		b.Dir = repoRoot()
		b.Stdout, b.Stderr = os.Stdout, os.Stderr
		if err := b.Run(); err != nil {
			return s, fmt.Errorf("go build: %w", err)
		}
	}
	if err := s.freshDatabase(); err != nil {
		return s, err
	}
	s.dir = makeDirectory(o.inspectors, o.units)
	dirFile := filepath.Join(s.tmp, "directory.soak.yaml")
	if err := os.WriteFile(dirFile, []byte(s.dir.yaml()), 0o644); err != nil {
		return s, err
	}
	// The import runs with the replicas' environment: without it the binary
	// would fall back to its default SQLite file in the working directory.
	for _, f := range []string{filepath.Join(repoRoot(), "config", "directory.shiyan.yaml"), dirFile} {
		imp := exec.CommandContext(ctx, s.bin, "import", f)
		imp.Env = s.env("127.0.0.1:0")
		out, err := imp.CombinedOutput()
		if err != nil {
			return s, fmt.Errorf("import %s: %w\n%s", f, err, out)
		}
		fmt.Print("soak: ", string(out))
	}
	for i := range o.replicas {
		r := &replica{n: i, addr: freeAddr(), log: filepath.Join(s.o.logDir, fmt.Sprintf("replica%d.log", i))}
		s.reps = append(s.reps, r)
		if err := s.start(r); err != nil {
			return s, err
		}
	}
	for _, r := range s.reps {
		if err := waitHealthy(ctx, r.addr, 30*time.Second); err != nil {
			return s, fmt.Errorf("replica %d: %w (log: %s)", r.n, err, r.log)
		}
	}
	fmt.Printf("soak: %d replicas up on %s; fake WeCom API on %s; database %s; seed %d\n",
		len(s.reps), addrs(s.reps), s.api.URL, s.dbName, o.seed)
	return s, nil
}

func addrs(rs []*replica) string {
	var a []string
	for _, r := range rs {
		a = append(a, r.addr)
	}
	return strings.Join(a, ", ")
}

// repoRoot is the module root: the working directory or one of its parents
// holding go.mod.
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// freshDatabase creates the database named in -dsn, dropping any left over.
func (s *soak) freshDatabase() error {
	cfg, err := mysql.ParseDSN(s.o.dsn)
	if err != nil {
		return fmt.Errorf("-dsn: %w", err)
	}
	if cfg.DBName == "" {
		cfg.DBName = "hazardbot_soak"
	}
	s.dbName = cfg.DBName
	if s.dropDB, err = models.CreateDatabase(cfg.FormatDSN()); err != nil {
		return err
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	s.dsn = cfg.FormatDSN()
	s.db, err = sql.Open("mysql", s.dsn)
	return err
}

// env is the replicas' environment: the machine's, plus the soak's settings.
func (s *soak) env(addr string) []string {
	env := os.Environ()
	return append(env,
		"HAZARDBOT_ADDR="+addr,
		"HAZARDBOT_DB_DRIVER=mysql",
		"HAZARDBOT_DB_DSN="+s.dsn,
		"HAZARDBOT_WECOM_CORP_ID="+corpID,
		fmt.Sprintf("HAZARDBOT_WECOM_AGENT_ID=%d", agentID),
		"HAZARDBOT_WECOM_SECRET="+s.secret,
		"HAZARDBOT_WECOM_TOKEN="+s.token,
		"HAZARDBOT_WECOM_AES_KEY="+s.aesKey,
		"HAZARDBOT_WECOM_API_BASE="+s.api.URL,
		"HAZARDBOT_STORAGE_DIR="+filepath.Join(s.tmp, "storage"),
		"HAZARDBOT_STORAGE_DRIVER=db", // replicas share photos through the database
		"HAZARDBOT_OUTBOX_POLL=200ms",
	)
}

// start launches r, appending its output to its log file.
func (s *soak) start(r *replica) error {
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = s.env(r.addr)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start replica %d: %w", r.n, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	return nil
}

// kill9 kills r with SIGKILL and waits for it to be gone; it returns the
// pid so the caller can find the outbox rows it had claimed.
func (r *replica) kill9() int {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	return cmd.Process.Pid
}

// stop ends r gracefully (SIGTERM), then hard after 25 s.
func (r *replica) stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

func waitHealthy(ctx context.Context, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("not healthy in time")
}

// close stops the replicas and the fake, and drops the database unless -keep.
func (s *soak) close() {
	var wg sync.WaitGroup
	for _, r := range s.reps {
		wg.Add(1)
		go func() { defer wg.Done(); r.stop() }()
	}
	wg.Wait()
	if s.api != nil {
		s.api.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.dropDB != nil {
		if !s.o.keep {
			if err := s.dropDB(); err != nil {
				fmt.Fprintln(os.Stderr, "soak: drop database:", err)
			}
		} else {
			fmt.Printf("soak: kept database %s and logs in %s\n", s.dbName, s.o.logDir)
		}
	}
	if !s.o.keep && s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

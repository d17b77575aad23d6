package handlers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hazardbot/bot"
	"hazardbot/models/modelstest"
)

// listen serves d's router through HTTPServer, with its configured
// timeouts, on a local port, and returns the address.
func listen(t *testing.T, d Deps) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(d).HTTPServer("")
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dribble opens a connection to addr, writes head at once and then rest
// one byte every 20 ms, as a slow-loris client does, and reports whether
// the server closed the connection before everything was sent, with what
// the server answered meanwhile.
func dribble(t *testing.T, addr, head, rest string) (cutOff bool, answer string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan struct{})
	var got bytes.Buffer
	go func() {
		io.Copy(&got, conn) // returns when the server closes the connection
		close(closed)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	for i := range len(rest) {
		select {
		case <-closed:
			return true, got.String()
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{rest[i]}); err != nil {
			<-closed
			return true, got.String()
		}
	}
	return false, got.String()
}

// TestSlowClientsAreCutOff: a client that sends its headers or its body a
// byte at a time, or keeps an idle connection open, is disconnected by the
// server's timeouts instead of holding the connection as long as it likes.
// The timeouts are configured small so the test is quick; the dribble
// would take 10 seconds to finish.
func TestSlowClientsAreCutOff(t *testing.T) {
	var d Deps
	e := newEnv(t, modelstest.Open(t, "sqlite"), func(dd *Deps) {
		cfg := *dd.Config
		cfg.HTTP.ReadHeaderTimeout = 300 * time.Millisecond
		cfg.HTTP.ReadTimeout = 600 * time.Millisecond
		cfg.HTTP.WriteTimeout = 5 * time.Second
		cfg.HTTP.IdleTimeout = 300 * time.Millisecond
		dd.Config = &cfg
		d = *dd
	})
	addr := listen(t, d)
	slow := strings.Repeat("a", 500)
	inbound := e.count("inbound")

	t.Run("headers a byte at a time", func(t *testing.T) {
		cut, _ := dribble(t, addr, "POST /wecom/callback HTTP/1.1\r\nHost: hazardbot\r\n", "X-Slow: "+slow)
		if !cut {
			t.Fatal("the server waited for every header byte")
		}
	})

	t.Run("a body a byte at a time", func(t *testing.T) {
		q, body := e.seal(e.wecom, bot.Message{ID: "slow-1", UserID: "zhangsan", Kind: bot.KindText, Text: "帮助"})
		head := fmt.Sprintf("POST /wecom/callback?%s HTTP/1.1\r\nHost: hazardbot\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n", q, len(body)+len(slow))
		cut, answer := dribble(t, addr, head, string(body)+slow)
		if !cut {
			t.Fatal("the server waited for every body byte")
		}
		if strings.HasPrefix(answer, "HTTP/1.1 200") {
			t.Fatalf("a cut-off request was handled: %q", answer)
		}
		if n := e.count("inbound"); n != inbound {
			t.Fatalf("inbound rows %d → %d", inbound, n)
		}
	})

	t.Run("an idle kept-alive connection", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: hazardbot\r\n\r\n")
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz = %d (close %v), want a kept-alive 200", resp.StatusCode, resp.Close)
		}
		// Wait far longer than the idle timeout: the server must close.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := r.ReadByte(); err != io.EOF {
			t.Fatalf("idle connection read = %v, want the server to close it (EOF)", err)
		}
	})

	t.Run("a request at normal speed still works", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz = %d", resp.StatusCode)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccessLogShowsTheRealPeer: a client cannot write the access log's
// remote address with X-Forwarded-For unless it is a configured proxy.
func TestAccessLogShowsTheRealPeer(t *testing.T) {
	for _, c := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{"no proxy configured: the forged header is ignored", nil, "remote=127.0.0.1"},
		{"the peer is a configured proxy: its header is believed", []string{"127.0.0.0/8"}, "remote=203.0.113.7"},
		{"another proxy is configured: the peer's header is ignored", []string{"10.0.0.0/8"}, "remote=127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs syncBuffer
			e := newEnv(t, modelstest.Open(t, "sqlite"), func(d *Deps) {
				cfg := *d.Config
				cfg.HTTP.TrustedProxies = c.proxies
				d.Config = &cfg
				d.Log = slog.New(slog.NewTextHandler(&logs, nil))
			})
			req, _ := http.NewRequest("GET", e.srv.URL+"/healthz", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if !strings.Contains(logs.String(), c.want+" ") && !strings.HasSuffix(strings.TrimSpace(logs.String()), c.want) {
				t.Fatalf("access log %q, want %s", logs.String(), c.want)
			}
		})
	}
}

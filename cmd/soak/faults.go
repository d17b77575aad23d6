package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// faultLog remembers what was broken and when, so the checks can tell a
// duplicate the design allows from one it does not.
type faultLog struct {
	mu sync.Mutex
	// inFlight are outbox dedupe keys a killed replica had claimed and not
	// yet recorded as sent: each may go out twice (at least once).
	inFlight map[string]bool
	// dbDown are the windows in which MariaDB was stopped; a send recorded
	// at WeCom but not in the database then is sent again after its lease.
	dbDown [][2]time.Time
	lines  []string
}

func (f *faultLog) note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	f.mu.Lock()
	f.lines = append(f.lines, line)
	f.mu.Unlock()
	fmt.Println("soak: fault:", line)
}

// runFaults breaks things in turn while the traffic runs: a replica killed
// at a fifth of the run, MariaDB stopped at 45 %, the WeCom API failing at
// 70 %. Whatever it breaks it repairs, even after the run's time is up.
func (s *soak) runFaults(ctx context.Context) {
	at := func(frac float64) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Until(s.started.Add(time.Duration(frac * float64(s.o.duration))))):
			return true
		}
	}
	if s.o.kill && at(0.2) {
		s.killOne()
	}
	if s.o.dbFault && at(0.45) {
		s.stopDatabase()
	}
	if s.o.wecomFault && at(0.7) {
		s.breakWeCom()
	}
}

// killOne kills -9 a random replica and starts it again a few seconds later.
func (s *soak) killOne() {
	r := s.reps[s.randInt(len(s.reps))]
	pid := r.kill9()
	host, _ := os.Hostname()
	rows, err := s.db.Query("SELECT dedupe_key FROM outbox WHERE state = 'pending' AND claimed_by LIKE ?", fmt.Sprintf("%s/%d/%%", host, pid))
	claimed := 0
	if err == nil {
		s.faults.mu.Lock()
		if s.faults.inFlight == nil {
			s.faults.inFlight = map[string]bool{}
		}
		for rows.Next() {
			var k string
			rows.Scan(&k)
			s.faults.inFlight[k] = true
			claimed++
		}
		s.faults.mu.Unlock()
		rows.Close()
	}
	s.faults.note("kill -9 replica %d (pid %d) with %d outbox rows claimed", r.n, pid, claimed)
	time.Sleep(time.Duration(3+s.randInt(3)) * time.Second)
	if err := s.start(r); err != nil {
		s.faults.note("restart replica %d failed: %v", r.n, err)
		return
	}
	if err := waitHealthy(context.Background(), r.addr, 30*time.Second); err != nil {
		s.faults.note("replica %d not healthy after restart: %v", r.n, err)
		return
	}
	s.faults.note("replica %d restarted", r.n)
}

// stopDatabase stops the machine's MariaDB for -db-down and starts it again.
func (s *soak) stopDatabase() {
	down := time.Now()
	out, err := exec.Command("mysqladmin", "-uroot", "-h127.0.0.1", "shutdown").CombinedOutput()
	if err != nil {
		s.faults.note("mysqladmin shutdown failed: %v %s", err, out)
		return
	}
	s.faults.note("MariaDB stopped for %s", s.o.dbDown)
	time.Sleep(s.o.dbDown)
	if out, err := exec.Command("start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd", "--", "--user=mysql").CombinedOutput(); err != nil {
		s.faults.note("MariaDB start failed: %v %s", err, out)
	}
	for i := 0; i < 600; i++ {
		if exec.Command("mysqladmin", "-uroot", "-h127.0.0.1", "ping").Run() == nil && s.db.Ping() == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	up := time.Now()
	s.faults.mu.Lock()
	s.faults.dbDown = append(s.faults.dbDown, [2]time.Time{down, up})
	s.faults.mu.Unlock()
	s.faults.note("MariaDB answering again after %.1fs", up.Sub(down).Seconds())
}

// breakWeCom makes message/send answer -1 (busy), 45009 (quota) and 42001
// (token expired, with every token expired too), then time out longer than
// the client waits (10 s), in turns over about 20 s.
func (s *soak) breakWeCom() {
	s.fake.FailNext("message/send", -1, 8)
	s.faults.note("WeCom message/send answers -1 ×8")
	time.Sleep(4 * time.Second)
	s.fake.FailNext("message/send", 45009, 8)
	s.faults.note("WeCom message/send answers 45009 ×8")
	time.Sleep(4 * time.Second)
	s.fake.ExpireTokens()
	s.fake.FailNext("message/send", 42001, 4)
	s.faults.note("WeCom tokens expired; message/send answers 42001 ×4")
	time.Sleep(4 * time.Second)
	s.fake.Delay("message/send", 15*time.Second, 4)
	s.faults.note("WeCom message/send hangs 15 s ×4 (client timeout 10 s)")
	time.Sleep(8 * time.Second)
	s.faults.note("WeCom faults over")
}

// Command soak is the proof under load and faults: it runs three real
// `hazardbot serve` replicas on one fresh MariaDB database and an in-process
// fake WeCom API, drives a realistic mix of officers' callbacks at them
// (each delivered one to four times, sometimes at once, to random replicas,
// as WeCom does when it misses its 200), breaks things meanwhile (kill -9
// of a replica, MariaDB stopped for 10 s, the WeCom API failing and timing
// out), and at the end checks the ledger, the outbox and what the fake WeCom
// received against what it sent. It exits non-zero on any loss, on any
// duplicate not explained by a kill or a database outage, on a failed
// outbox row and on a summary that disagrees with the ledger.
//
// Usage:
//
//	go run ./cmd/soak [-duration 2m] [-dsn 'root@tcp(127.0.0.1:3306)/hazardbot_soak'] [-keep]
//	                  [-kill=true] [-db-fault=true] [-wecom-fault=true] [-bin /tmp/hazardbot]
//
// -db-fault stops the machine's shared MariaDB server for 10 s (every
// database on it, not only the soak's); use -db-fault=false on a server
// others are using. All traffic stays on 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

// options are the command-line flags.
type options struct {
	bin         string
	dsn         string
	keep        bool
	duration    time.Duration
	drain       time.Duration
	workers     int
	maxFlows    int
	inspectors  int
	units       int
	replicas    int
	kill        bool
	dbFault     bool
	wecomFault  bool
	dbDown      time.Duration
	seed        int64
	logDir      string
	verbose     bool
	clientLimit time.Duration
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.bin, "bin", "", "hazardbot binary to run (default: go build the repository's root package into a temp dir)")
	flag.StringVar(&o.dsn, "dsn", "root@tcp(127.0.0.1:3306)/hazardbot_soak", "MariaDB DSN; this database is created fresh (dropped first if it exists) and dropped at the end")
	flag.BoolVar(&o.keep, "keep", false, "keep the database and the replicas' logs at the end")
	flag.DurationVar(&o.duration, "duration", 2*time.Minute, "how long to drive traffic")
	flag.DurationVar(&o.drain, "drain-timeout", 8*time.Minute, "how long to wait for the outbox to drain after the traffic (a claim of a killed replica lasts 5 min)")
	flag.IntVar(&o.workers, "workers", 24, "concurrent conversations")
	flag.IntVar(&o.maxFlows, "max-flows", 20000, "upper bound on hazard conversations started")
	flag.IntVar(&o.inspectors, "inspectors", 300, "simulated inspectors added to the directory")
	flag.IntVar(&o.units, "units", 40, "simulated enterprises, each with one contact")
	flag.IntVar(&o.replicas, "replicas", 3, "hazardbot serve replicas")
	flag.BoolVar(&o.kill, "kill", true, "kill -9 one replica mid-run and restart it after a few seconds")
	flag.BoolVar(&o.dbFault, "db-fault", true, "stop the machine's MariaDB for -db-down and start it again (stops EVERY database on that server)")
	flag.BoolVar(&o.wecomFault, "wecom-fault", true, "make the fake WeCom API answer -1, 45009, 42001 and time out for a while")
	flag.DurationVar(&o.dbDown, "db-down", 10*time.Second, "how long MariaDB stays stopped")
	flag.Int64Var(&o.seed, "seed", 0, "random seed (0: from the clock)")
	flag.StringVar(&o.logDir, "logdir", "", "directory for the replicas' logs (default: a temp dir)")
	flag.BoolVar(&o.verbose, "v", false, "print every fault and unexpected reply as it happens")
	flag.DurationVar(&o.clientLimit, "callback-timeout", 5*time.Second, "how long a delivery waits for its answer (WeCom waits 5 s)")
	flag.Parse()
	if o.seed == 0 {
		o.seed = time.Now().UnixNano()
	}
	return o
}

func run(ctx context.Context) int {
	o := parseFlags()
	s, err := newSoak(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak: setup:", err)
		if s != nil {
			s.close()
		}
		return 2
	}
	defer s.close()
	if err := s.drive(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	ok := s.check(ctx)
	if !ok {
		fmt.Println("soak: FAILED")
		return 1
	}
	fmt.Println("soak: OK")
	return 0
}

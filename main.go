// Command hazardbot runs the key-hazard rectification ledger bot for WeCom.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hazardbot:", err)
		os.Exit(1)
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `hazardbot — 重点隐患问题动态整改台账 WeCom bot

Usage:
  hazardbot [serve]            start the bot: WeCom callback, admin API, sender, schedules
                               (with no WeCom settings: demo mode on a fake WeCom API)
  hazardbot migrate            apply database migrations and exit
  hazardbot import FILE        load units, users and campaigns from a directory YAML file
                               (all or nothing; re-importing updates, never duplicates)
  hazardbot chat --as USERID   chat with the bot from this terminal through the real
                               encrypted callback path (demo: an in-process fake WeCom API);
                               --wechat OPENID speaks as a WeChat Official Account follower
  hazardbot check-counts [--repair]
                               recompute the summaries' pre-aggregated counts from the
                               hazards and report (or repair) any difference
  hazardbot version            print the version
  hazardbot help [COMMAND]     show this help

Configuration comes from defaults, then the YAML file named by HAZARDBOT_CONFIG,
then HAZARDBOT_* environment variables; see config.example.yaml and README.md.
`

var commandHelp = map[string]string{
	"serve": `hazardbot serve

Starts the HTTP server on HAZARDBOT_ADDR (default :8080) with /wecom/callback,
/api/v1 (when HAZARDBOT_ADMIN_TOKEN is set), /healthz, /readyz and /metrics, the
outbox sender, the photo fetcher and the scheduled jobs (reminders, digests).
Migrates the database first. With no WeCom settings it runs in demo mode: the
Shiyan demo directory is loaded into an empty database and messages go to an
in-process fake WeCom API. SIGINT/SIGTERM finish requests in flight and stop.
`,
	"migrate": `hazardbot migrate

Applies the numbered database migrations that are not yet recorded and exits.
Safe to run twice, and from two processes at once.
`,
	"import": `hazardbot import FILE

Loads a directory file (YAML: units with children, users with roles, campaigns)
into the database in one transaction. An unknown parent, kind or role is an
error naming it, and nothing is imported. Re-importing updates in place.
Example file: config/directory.shiyan.yaml.
`,
	"chat": `hazardbot chat --as USERID
hazardbot chat --wechat OPENID

Chats with the bot as USERID (e.g. zhangsan, lisi, wangwu from the demo
directory), or with --wechat as a follower of the demo WeChat Official
Account (any OPENID; sealed like a WeChat safe-mode callback and posted to
/wechat/callback; 绑定 CODE binds, 举报 sends a tip). Every line is sealed like a WeCom callback and posted to the real
callback handler; the decrypted reply is printed, and so is every message the
bot pushes to USERID. Special lines:
  /photo FILE        send an image
  /location LAT LNG  send a location
  /click KEY         click a card button (KEY as printed with the card)
  /as USERID         switch user (wx:OPENID speaks as a WeChat follower)
  /quit              leave
It runs its own in-process bot and sender against a fake WeCom API, so it
refuses to start when WeCom is configured or when the database holds data
that demo mode did not create (run it on a new database, e.g.
HAZARDBOT_DB_DSN=demo.db, which it seeds with the demo directory). Logs go
to chat.log in the storage directory, not into the conversation.
`,
	"check-counts": `hazardbot check-counts [--repair]

Recomputes, from the hazards themselves, the pre-aggregated counts that 统计,
digests, the ranking and the charts read (table hazard_counts), and prints every
row that differs. Exits with an error when any differs. --repair then rebuilds
all the counts from the hazards in one transaction (safe while the bot runs:
writers wait for it).
`,
	"version": "hazardbot version\n\nPrints the version.\n",
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		if len(rest) > 0 && isHelp(rest[0]) {
			fmt.Fprint(stdout, commandHelp["serve"])
			return nil
		}
		return serve(ctx, getenv, stdout)
	case "migrate":
		if len(rest) > 0 && isHelp(rest[0]) {
			fmt.Fprint(stdout, commandHelp["migrate"])
			return nil
		}
		return migrate(ctx, getenv, stdout)
	case "import":
		if len(rest) != 1 || isHelp(rest[0]) {
			fmt.Fprint(stdout, commandHelp["import"])
			if len(rest) == 1 {
				return nil
			}
			return fmt.Errorf("import needs exactly one FILE")
		}
		return importDirectory(ctx, getenv, stdout, rest[0])
	case "chat":
		return chat(ctx, getenv, stdout, os.Stdin, rest)
	case "check-counts":
		if len(rest) > 1 || (len(rest) == 1 && rest[0] != "--repair") {
			fmt.Fprint(stdout, commandHelp["check-counts"])
			if len(rest) == 1 && isHelp(rest[0]) {
				return nil
			}
			return fmt.Errorf("check-counts takes only --repair")
		}
		return checkCounts(ctx, getenv, stdout, len(rest) == 1)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "hazardbot", version)
		return nil
	case "help", "-h", "--help":
		if len(rest) > 0 {
			if h, ok := commandHelp[rest[0]]; ok {
				fmt.Fprint(stdout, h)
				return nil
			}
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "help" }

package wecom

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"hazardbot/bot"
)

func TestAdmit(t *testing.T) {
	now := time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	msg := func(created time.Duration, agent int64) bot.Message {
		return bot.Message{UserID: "zhangsan", Kind: bot.KindText, AgentID: agent, Time: now.Add(created)}
	}
	for _, c := range []struct {
		name      string
		m         bot.Message
		timestamp string
		want      error
	}{
		{"fresh", msg(-2*time.Second, 1000002), ts(-time.Second), nil},
		{"exactly at the window's edge", msg(-time.Hour, 1000002), ts(-time.Hour), nil},
		{"signed two hours ago", msg(-2*time.Hour, 1000002), ts(-2 * time.Hour), ErrStale},
		{"timestamp an hour and a second old", msg(0, 1000002), ts(-time.Hour - time.Second), ErrStale},
		{"CreateTime two hours old under a fresh timestamp", msg(-2*time.Hour, 1000002), ts(0), ErrStale},
		{"signed two hours ahead", msg(2*time.Hour, 1000002), ts(2 * time.Hour), ErrStale},
		{"timestamp not a number", msg(0, 1000002), "1677643200x", ErrBadRequest},
		{"timestamp missing", msg(0, 1000002), "", ErrBadRequest},
		{"another app of the corp", msg(0, 1000003), ts(0), ErrWrongAgent},
		{"no AgentID", msg(0, 0), ts(0), ErrWrongAgent},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Admit(c.m, c.timestamp, now, time.Hour, 1000002)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Admit = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrBadRequest) {
				t.Fatalf("Admit = %v, want %v (a bad request)", err, c.want)
			}
		})
	}
}

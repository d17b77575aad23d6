package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"

	"hazardbot/models"
)

// The names of the scheduled jobs, as the admin API and job_runs know them.
const (
	JobReminders         = "reminders"
	JobDailyDigest       = "daily_digest"
	JobWeeklyDigest      = "weekly_digest"
	JobCampaignReminders = "campaign_reminders"
	JobDraftSweep        = "draft_sweep"
	JobGroupOverdue      = "group_overdue" // at schedule.daily_digest
	JobGroupWeekly       = "group_weekly"  // at schedule.weekly_digest
)

// SchedulerOptions configures a Scheduler; zero values take the defaults.
type SchedulerOptions struct {
	// Owner names this replica in job_runs; default a random id.
	Owner string
	// DraftSweep expires idle dialogue drafts (the conversation's own
	// job); nil leaves the draft_sweep job out.
	DraftSweep func(context.Context) error
	// Stale is how long a run may stay "running" before another replica
	// takes its slot over (its replica died); default 30 minutes.
	Stale time.Duration
	// Retry is the backoff between retries of a scheduled run that
	// failed: the slot is tried again after Retry[0], then Retry[1], …
	// (the last repeating) for as long as its period lasts. Default 1, 2,
	// 5, 10 then every 30 minutes.
	Retry   []time.Duration
	Metrics *Metrics
	Log     *slog.Logger
}

// Scheduler runs the named jobs on the config's cron specs in the
// configured zone. A job never overlaps itself, recovers from a panic, stops
// with its context, and runs once per period across all replicas: its slot
// (the date; the ISO week for the weekly digest) is claimed in job_runs
// first.
type Scheduler struct {
	n    *Notifier
	o    SchedulerOptions
	jobs []*job
	gs   gocron.Scheduler
	// stop shuts gocron down once, whether ctx ends first or Stop is called.
	stop    sync.Once
	stopErr error
	// ctx is Start's; background work (catch-up, retries) runs under it
	// and is counted in bg, which Stop waits for.
	ctx context.Context
	bg  sync.WaitGroup
}

type job struct {
	name, spec string
	cron       gocron.Cron
	// period names the slot a scheduled run at t claims.
	period func(t time.Time) string
	// catchUp runs the job at start-up when its last scheduled time is in
	// the current period and no replica has run that slot.
	catchUp bool
	// workdayOfWeek marks a weekly job that, with
	// reminders.working_days_only, waits for the first working day of its
	// week on or after its scheduled day: a rest day claims no slot, and
	// the job is triggered daily at its time of day (trigger) so that the
	// first working day runs it.
	workdayOfWeek bool
	// trigger is the spec gocron fires the job on: spec, or for a
	// workdayOfWeek job every day at spec's time of day.
	trigger string
	body    func(ctx context.Context, now time.Time) error
}

// NewScheduler checks the cron specs of n's config and returns a scheduler
// for the jobs; Start starts it.
func NewScheduler(n *Notifier, o SchedulerOptions) (*Scheduler, error) {
	if o.Owner == "" {
		o.Owner = newOwner("scheduler")
	}
	if o.Stale <= 0 {
		o.Stale = 30 * time.Minute
	}
	if len(o.Retry) == 0 {
		o.Retry = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute}
	}
	if o.Log == nil {
		o.Log = n.log
	}
	s := &Scheduler{n: n, o: o}
	daily := func(t time.Time) string { return n.day(t).String() }
	weekly := func(t time.Time) string { return isoWeek(t.In(n.loc)) }
	sweep := func(f func(context.Context, time.Time) (SweepResult, error)) func(context.Context, time.Time) error {
		return func(ctx context.Context, now time.Time) error { _, err := f(ctx, now); return err }
	}
	sc := n.cfg.Schedule
	s.jobs = []*job{
		{name: JobReminders, spec: sc.Reminders, period: daily, catchUp: true, body: sweep(n.Reminders)},
		{name: JobDailyDigest, spec: sc.DailyDigest, period: daily, catchUp: true, body: sweep(n.DailyDigest)},
		{name: JobWeeklyDigest, spec: sc.WeeklyDigest, period: weekly, catchUp: true, workdayOfWeek: true, body: sweep(n.WeeklyDigest)},
		{name: JobCampaignReminders, spec: sc.CampaignReminders, period: daily, catchUp: true, body: sweep(n.CampaignReminders)},
		{name: JobGroupOverdue, spec: sc.DailyDigest, period: daily, catchUp: true, body: sweep(n.GroupOverdue)},
		{name: JobGroupWeekly, spec: sc.WeeklyDigest, period: weekly, catchUp: true, workdayOfWeek: true, body: sweep(n.GroupWeekly)},
	}
	if o.DraftSweep != nil {
		s.jobs = append(s.jobs, &job{name: JobDraftSweep, spec: sc.DraftSweep,
			period: func(t time.Time) string { return t.In(n.loc).Format("2006-01-02T15:04") },
			body:   func(ctx context.Context, _ time.Time) error { return o.DraftSweep(ctx) }})
	}
	now := n.store.Now()
	for _, j := range s.jobs {
		j.cron = gocron.NewDefaultCron(false)
		if err := j.cron.IsValid(j.spec, n.loc, now); err != nil {
			return nil, fmt.Errorf("notify: schedule.%s %q: %w", j.name, j.spec, err)
		}
		j.trigger = j.spec
		if j.workdayOfWeek {
			next := j.cron.Next(now).In(n.loc)
			j.trigger = fmt.Sprintf("%d %d * * *", next.Minute(), next.Hour())
		}
	}
	return s, nil
}

// Names lists the jobs that Run accepts.
func (s *Scheduler) Names() []string {
	out := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = j.name
	}
	return out
}

func (s *Scheduler) find(name string) *job {
	for _, j := range s.jobs {
		if j.name == name {
			return j
		}
	}
	return nil
}

// Start schedules the jobs and, in the background, runs any that was missed
// while every replica was down and is still due (after 08:30 with today's
// digest not yet sent). The jobs stop when ctx ends; Stop waits for them,
// for the catch-up and for pending retries. An error means nothing was
// scheduled: the caller must not run on without its jobs.
func (s *Scheduler) Start(ctx context.Context) error {
	gs, err := gocron.NewScheduler(gocron.WithLocation(s.n.loc), gocron.WithStopTimeout(time.Minute))
	if err != nil {
		return fmt.Errorf("notify: scheduler: %w", err)
	}
	for _, j := range s.jobs {
		_, err := gs.NewJob(gocron.CronJob(j.trigger, false),
			gocron.NewTask(func(ctx context.Context) { _, _ = s.RunDue(ctx, j.name, s.n.store.Now()) }),
			gocron.WithName(j.name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithContext(ctx))
		if err != nil {
			_ = gs.Shutdown()
			return fmt.Errorf("notify: schedule %s: %w", j.name, err)
		}
	}
	s.gs, s.ctx = gs, ctx
	gs.Start()
	now := s.n.store.Now()
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.CatchUp(ctx, now) }()
	go func() {
		<-ctx.Done()
		_ = s.Stop()
	}()
	return nil
}

// Stop stops scheduling and waits (up to a minute) for running jobs, then
// for the catch-up and the retries, so that nothing runs once it returns
// (the caller may close the database).
func (s *Scheduler) Stop() error {
	if s.gs == nil {
		return nil
	}
	s.stop.Do(func() { s.stopErr = s.gs.Shutdown() })
	s.bg.Wait()
	return s.stopErr
}

// CatchUp runs, for the time now, every job whose latest scheduled time
// falls in the current period and whose slot no replica has run. It returns
// the names of the jobs it ran.
func (s *Scheduler) CatchUp(ctx context.Context, now time.Time) []string {
	var ran []string
	for _, j := range s.jobs {
		if !j.catchUp || ctx.Err() != nil {
			continue
		}
		last := j.lastFire(now)
		if last.IsZero() || j.period(last) != j.period(now) {
			continue
		}
		if ok, _ := s.RunDue(ctx, j.name, now); ok {
			ran = append(ran, j.name)
		}
	}
	return ran
}

// lastFire is the latest time at or before now that the job's spec names,
// looking back at most eight days (zero if none).
func (j *job) lastFire(now time.Time) time.Time {
	var last time.Time
	t := now.Add(-8 * 24 * time.Hour)
	for {
		next := j.cron.Next(t)
		if next.IsZero() || next.After(now) {
			return last
		}
		last, t = next, next
	}
}

// RunDue is a scheduled run of job name at now: it claims the job's slot
// for the period of now and runs the body only if no replica has. It
// reports whether the body ran.
func (s *Scheduler) RunDue(ctx context.Context, name string, now time.Time) (bool, error) {
	j := s.find(name)
	if j == nil {
		return false, models.Errorf(models.ENotFound, "没有名为 %s 的任务", name)
	}
	if j.workdayOfWeek && !s.weekDue(j, now) {
		return false, nil
	}
	slot := j.period(now)
	ran, err := s.run(ctx, j, slot, now)
	if ran && err != nil {
		s.retry(j, slot)
	}
	return ran, err
}

// weekDue reports whether a workdayOfWeek job may claim its slot at now:
// its scheduled time of this week has come, and (with
// reminders.working_days_only) today is a working day. A rest day leaves
// the slot to the next working day of the week.
func (s *Scheduler) weekDue(j *job, now time.Time) bool {
	last := j.lastFire(now)
	if last.IsZero() || j.period(last) != j.period(now) {
		return false
	}
	return !s.n.restDay(s.n.day(now), j.name)
}

// retry runs a failed slot again with backoff while its period lasts (a
// digest that failed at 08:30 goes out at 08:31, not tomorrow), until it
// succeeds, another replica takes it, or the scheduler stops. Only a
// started scheduler retries.
func (s *Scheduler) retry(j *job, slot string) {
	ctx := s.ctx
	if ctx == nil || ctx.Err() != nil {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		for attempt := 0; ; attempt++ {
			wait := s.o.Retry[min(attempt, len(s.o.Retry)-1)]
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			now := s.n.store.Now()
			if j.period(now) != slot {
				s.o.Log.Warn("notify: job slot failed and its period is over", "job", j.name, "slot", slot)
				return
			}
			s.o.Log.Info("notify: retrying failed job", "job", j.name, "slot", slot, "attempt", attempt+1)
			ran, err := s.run(ctx, j, slot, now)
			if !ran || err == nil {
				return
			}
		}
	}()
}

// Run runs job name now, by hand (the admin API), whether or not its
// period's slot has run: every message it queues has a dedupe key, so a
// second run sends nothing twice. The run is recorded in job_runs under a
// slot of its own.
func (s *Scheduler) Run(ctx context.Context, name string) error {
	j := s.find(name)
	if j == nil {
		if name == JobDraftSweep {
			return nil // no draft sweep wired: nothing to do
		}
		return models.Errorf(models.ENotFound, "没有名为 %s 的任务，可选：%v", name, s.Names())
	}
	now := s.n.store.Now()
	_, err := s.run(ctx, j, "manual "+now.UTC().Format(time.RFC3339Nano), now)
	return err
}

func (s *Scheduler) run(ctx context.Context, j *job, slot string, now time.Time) (bool, error) {
	ok, err := s.n.store.ClaimJob(ctx, j.name, slot, s.o.Owner, s.o.Stale)
	if err != nil {
		s.o.Log.Error("notify: claim job", "job", j.name, "slot", slot, "err", err)
		return false, err
	}
	if !ok {
		s.o.Metrics.job(j.name, "skipped")
		return false, nil
	}
	err = safely(func() error { return j.body(ctx, now) })
	// Record the end even when ctx has ended, so the slot is not left
	// "running" until it goes stale.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := s.n.store.FinishJob(fctx, j.name, slot, err); ferr != nil {
		s.o.Log.Error("notify: finish job", "job", j.name, "slot", slot, "err", ferr)
	}
	if err != nil {
		s.o.Metrics.job(j.name, "failed")
		s.o.Log.Error("notify: job failed", "job", j.name, "slot", slot, "err", err)
		return true, err
	}
	s.o.Metrics.job(j.name, "done")
	return true, nil
}

// errPanic wraps a recovered panic.
var errPanic = errors.New("notify: job panicked")

// safely runs f, turning a panic into an error so one bad run neither kills
// the process nor leaves its slot "running".
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, r, debug.Stack())
		}
	}()
	return f()
}

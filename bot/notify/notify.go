// Package notify does everything hazardbot sends on its own: deadline
// reminders, accept nags and escalations, leaders' daily and weekly digests,
// campaign report reminders, the scheduler that runs them once across
// replicas, and the outbox worker that delivers every queued message (the
// conversation's own notices included) through a bot.Sender.
//
// Every job body is a plain method taking the time, so tests drive it with
// an injected clock; every message is an outbox row with a dedupe key naming
// its kind, day and recipient, so a job that runs twice queues nothing new.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"hazardbot/bot"
	"hazardbot/config"
	"hazardbot/models"
)

// Notifier computes the scheduled messages and queues them in the outbox.
// It holds no state between calls, so any number of replicas may run one.
type Notifier struct {
	store *models.Store
	cfg   *config.Config
	loc   *time.Location
	log   *slog.Logger
	// chunk is how many outbox rows one transaction writes.
	chunk int
	// files keeps the weekly ledgers, where the sender reads them.
	files bot.Files
}

// New returns a notifier over store with the reminder cadence, quiet hours,
// supervision colours and time zone of cfg, keeping the weekly ledgers in
// files (required: main decides where files live). A nil log discards.
func New(store *models.Store, cfg *config.Config, files bot.Files, log *slog.Logger) *Notifier {
	if files == nil {
		panic("notify: New needs the file store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{store: store, cfg: cfg, loc: cfg.Location(), log: log, chunk: 500, files: files}
}

// day is the calendar day of t in the configured zone.
func (n *Notifier) day(t time.Time) models.Date { return models.DateOf(t, n.loc) }

// directory is the part of the unit tree and the people a sweep needs,
// loaded once per run so that a sweep over a whole city's hazards asks the
// database for no one per hazard.
type directory struct {
	units  map[uint]*models.Unit
	roots  []uint
	byRole map[models.Role]map[uint][]string // role → unit → userids, sorted
}

func loadDirectory(tx *models.Tx, roles ...models.Role) (*directory, error) {
	list, err := tx.AllUnits()
	if err != nil {
		return nil, fmt.Errorf("notify: load units: %w", err)
	}
	d := &directory{units: map[uint]*models.Unit{}, byRole: map[models.Role]map[uint][]string{}}
	ids := make([]uint, 0, len(list))
	for i := range list {
		u := &list[i]
		d.units[u.ID] = u
		ids = append(ids, u.ID)
		if tx.CityWide(u) && u.Active {
			d.roots = append(d.roots, u.ID)
		}
	}
	for _, r := range roles {
		users, err := tx.UsersWithRole(r, ids...)
		if err != nil {
			return nil, err
		}
		m := map[uint][]string{}
		for _, u := range users {
			m[u.UnitID] = append(m[u.UnitID], u.UserID)
		}
		d.byRole[r] = m
	}
	return d, nil
}

// users returns the holders of role in the given units, without repeats.
func (d *directory) users(role models.Role, unitIDs ...uint) []string {
	var out []string
	for _, id := range unitIDs {
		for _, u := range d.byRole[role][id] {
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}

func (d *directory) name(id *uint) string {
	if id == nil || d.units[*id] == nil {
		return ""
	}
	return d.units[*id].Name
}

// Holders returns the holders of role in the unit (models.People).
func (d *directory) Holders(role models.Role, unitID uint) ([]string, error) {
	return d.byRole[role][unitID], nil
}

// CityUnits returns the city-wide units (models.People).
func (d *directory) CityUnits() ([]uint, error) { return d.roots, nil }

// cityLeaders are the leaders of the city-wide unit (市安委会).
func (d *directory) cityLeaders() []string { return d.users(models.RoleLeader, d.roots...) }

// message is one queued message for one recipient.
type message struct {
	key  string
	user string
	out  bot.Outgoing
	at   time.Time // not before
}

// enqueue writes msgs to the outbox, chunk rows per transaction, and
// returns how many were new (the rest were queued by an earlier run).
func (n *Notifier) enqueue(ctx context.Context, msgs []message) (int, error) {
	items := make([]models.OutboxItem, 0, len(msgs))
	for _, m := range msgs {
		m.out.ToUsers = []string{m.user}
		body, err := json.Marshal(m.out)
		if err != nil {
			return 0, fmt.Errorf("notify: encode message: %w", err)
		}
		items = append(items, models.OutboxItem{Key: m.key, Recipients: []string{m.user}, Kind: string(m.out.Kind), Body: string(body), NotBefore: m.at})
	}
	total := 0
	for start := 0; start < len(items); start += n.chunk {
		part := items[start:min(start+n.chunk, len(items))]
		err := n.store.InTx(ctx, func(tx *models.Tx) error {
			k, err := tx.Enqueue(part...)
			if err == nil {
				total += k
			}
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// key is the dedupe key of a scheduled message: kind, period, recipient.
func key(kind, period, user string) string { return kind + "|" + period + "|" + user }

package models

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// The directory (units, users, campaigns) changes rarely and is read on
// every message: who the sender is, their unit and county, the special
// committee of a sector, the campaign of the day, the supervisors to tell.
// Each replica keeps what it read in memory, tagged with the directory's
// version: one row (dir_versions) that every write to those tables bumps in
// its own transaction (a gorm callback, so no write can forget it). A
// transaction reads the version once, with one short statement, and uses
// what the replica holds for that version; any other replica's committed
// write has bumped it, so nothing read before that write is used after it.
// A transaction that itself wrote to the directory reads the database for
// the rest of its life, and never fills the cache with what it cannot yet
// know will commit.

// dirCache is one replica's copy of directory look-ups at one version.
type dirCache struct {
	mu        sync.Mutex
	version   int64
	actors    map[string]Actor
	units     map[uint]Unit
	active    []Unit // the active units by id; nil until read
	sectors   map[string]*Unit
	campaigns []Campaign // nil until read
	members   map[string][]User
}

// dirCacheMax bounds each map: a flood of strangers must not grow it
// without end. A full map starts again empty.
const dirCacheMax = 50_000

func (c *dirCache) reset(v int64) {
	c.version = v
	c.actors = map[string]Actor{}
	c.units = map[uint]Unit{}
	c.active = nil
	c.sectors = map[string]*Unit{}
	c.campaigns = nil
	c.members = map[string][]User{}
}

// dirVersion returns the directory's version for this transaction and
// whether the replica's cache may serve it: not after the transaction
// wrote to the directory, nor when the version cannot be read.
func (tx *Tx) dirVersion() (int64, bool) {
	if tx.grp != nil {
		// A group reads the version once; after any member wrote to the
		// directory no member's reads may fill the cache.
		if tx.dirWritten || tx.grp.dirWritten {
			return 0, false
		}
		return tx.grp.base.dirVersion()
	}
	if tx.dirWritten || tx.s.dir == nil {
		return 0, false
	}
	if !tx.dirRead {
		tx.dirRead = true
		var v []int64
		if err := tx.DB.Raw("SELECT v FROM dir_versions WHERE id = 1").Scan(&v).Error; err != nil || len(v) != 1 {
			return 0, false // not migrated yet: read the database
		}
		tx.dirVer, tx.dirOK = v[0], true
		c := tx.s.dir
		c.mu.Lock()
		if v[0] > c.version || c.actors == nil {
			c.reset(v[0])
		}
		c.mu.Unlock()
	}
	return tx.dirVer, tx.dirOK && !tx.dirWritten
}

// cached runs get on the replica's cache when it holds this transaction's
// version; ok is false otherwise, or when get finds nothing.
func (tx *Tx) cached(get func(c *dirCache) bool) bool {
	v, ok := tx.dirVersion()
	if !ok {
		return false
	}
	c := tx.s.dir
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version == v && get(c)
}

// keep runs put on the replica's cache when it still holds the version
// this transaction read before it read what put stores.
func (tx *Tx) keep(put func(c *dirCache)) {
	v, ok := tx.dirVersion()
	if !ok {
		return
	}
	c := tx.s.dir
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == v {
		put(c)
	}
}

// txKey finds the Tx a gorm statement runs in (see inTx).
type txKey struct{}

// directoryTables are the tables whose rows the cache copies.
var directoryTables = regexp.MustCompile("(?i)\\b(units|users|campaigns)\\b")

// registerDirectoryVersion makes every write to the directory's tables
// bump dir_versions in the same transaction (or right after, for a write
// outside one) and mark its Tx as having written them.
func registerDirectoryVersion(db *gorm.DB) error {
	// A write through a model (Create, Save, Updates, Delete) names its table.
	model := func(db *gorm.DB) {
		switch db.Statement.Table {
		case "units", "users", "campaigns":
			if db.Error == nil && !db.DryRun && db.RowsAffected > 0 {
				bumpDirectory(db)
			}
		}
	}
	// A raw statement (Exec) is read for its verb and tables.
	raw := func(db *gorm.DB) {
		if db.Error == nil && !db.DryRun && writesDirectory(db.Statement.SQL.String()) {
			bumpDirectory(db)
		}
	}
	// Raw(...).Scan runs through Row with its rows still open (on SQLite's
	// one connection nothing else can run): a directory write there would
	// go uncounted, so it is refused.
	row := func(db *gorm.DB) {
		if writesDirectory(db.Statement.SQL.String()) {
			db.AddError(errors.New("models: write units, users or campaigns with Exec or a model, not Raw(...).Scan (the directory's version must move)"))
		}
	}
	cb := db.Callback()
	const commit = "gorm:commit_or_rollback_transaction"
	for _, err := range []error{
		cb.Create().After("gorm:create").Before(commit).Register("hazardbot:dir_version", model),
		cb.Update().After("gorm:update").Before(commit).Register("hazardbot:dir_version", model),
		cb.Delete().After("gorm:delete").Before(commit).Register("hazardbot:dir_version", model),
		cb.Raw().After("gorm:raw").Register("hazardbot:dir_version", raw),
		cb.Row().Before("gorm:row").Register("hazardbot:dir_version", row),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// writesDirectory reports whether a raw statement writes to units, users
// or campaigns (or might: a false alarm only costs a bump).
func writesDirectory(sql string) bool {
	verb, _, _ := strings.Cut(strings.TrimSpace(sql), " ")
	switch strings.ToLower(verb) {
	case "insert", "update", "delete", "replace":
		return directoryTables.MatchString(sql)
	}
	return false
}

// bumpDirectory moves the directory's version in the statement's
// transaction and marks its Tx as having written the directory.
func bumpDirectory(db *gorm.DB) {
	st := db.Statement
	if st.ConnPool == nil {
		return
	}
	ctx := st.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if t, ok := ctx.Value(txKey{}).(*Tx); ok {
		t.dirWritten = true
		if t.grp != nil {
			t.grp.dirWritten = true
		}
	}
	// Before migration 82 there is no row to bump, and no cache reads it
	// either: the error is of no consequence then.
	st.ConnPool.ExecContext(ctx, "UPDATE dir_versions SET v = v + 1 WHERE id = 1")
}

// cachedActor is Actor through the cache.
func (tx *Tx) cachedActor(userid string, load func() (*Actor, error)) (*Actor, error) {
	var a Actor
	if tx.cached(func(c *dirCache) bool { var ok bool; a, ok = c.actors[userid]; return ok }) {
		if a.Unit != nil {
			u := *a.Unit
			a.Unit = &u
		}
		return &a, nil
	}
	got, err := load()
	if err != nil {
		return nil, err
	}
	keep := *got
	if got.Unit != nil {
		u := *got.Unit
		keep.Unit = &u
	}
	tx.keep(func(c *dirCache) {
		if len(c.actors) >= dirCacheMax {
			c.actors = map[string]Actor{}
		}
		c.actors[userid] = keep
	})
	return got, nil
}

// cachedUnits fills out with the units of ids the cache holds and returns
// the ids it does not.
func (tx *Tx) cachedUnits(ids []uint, out map[uint]*Unit) []uint {
	var miss []uint
	if !tx.cached(func(c *dirCache) bool {
		for _, id := range ids {
			if u, ok := c.units[id]; ok {
				out[id] = &u
			} else {
				miss = append(miss, id)
			}
		}
		return true
	}) {
		return ids
	}
	return miss
}

func (tx *Tx) keepUnits(list []Unit) {
	tx.keep(func(c *dirCache) {
		if len(c.units)+len(list) > dirCacheMax {
			c.units = map[uint]Unit{}
		}
		for _, u := range list {
			c.units[u.ID] = u
		}
	})
}

// cachedActive returns the active units (shared: callers must not change
// them in place, and Clip makes an append copy them).
func (tx *Tx) cachedActive(load func() ([]Unit, error)) ([]Unit, error) {
	var list []Unit
	if tx.cached(func(c *dirCache) bool { list = c.active; return list != nil }) {
		return slices.Clip(list), nil
	}
	list, err := load()
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []Unit{}
	}
	tx.keep(func(c *dirCache) { c.active = list })
	return slices.Clip(list), nil
}

func (tx *Tx) cachedCommittee(sector string, load func() (*Unit, error)) (*Unit, error) {
	var u *Unit
	if tx.cached(func(c *dirCache) bool {
		p, ok := c.sectors[sector]
		if ok && p != nil {
			x := *p
			u = &x
		}
		return ok
	}) {
		return u, nil
	}
	u, err := load()
	if err != nil {
		return nil, err
	}
	var keep *Unit
	if u != nil {
		x := *u
		keep = &x
	}
	tx.keep(func(c *dirCache) { c.sectors[sector] = keep })
	return u, nil
}

func (tx *Tx) cachedCampaigns(load func() ([]Campaign, error)) ([]Campaign, error) {
	var list []Campaign
	if tx.cached(func(c *dirCache) bool { list = c.campaigns; return list != nil }) {
		return slices.Clone(list), nil
	}
	list, err := load()
	if err != nil {
		return nil, err
	}
	keep := slices.Clone(list)
	if keep == nil {
		keep = []Campaign{}
	}
	tx.keep(func(c *dirCache) { c.campaigns = keep })
	return list, nil
}

func (tx *Tx) cachedMembers(key string, load func() ([]User, error)) ([]User, error) {
	var list []User
	if tx.cached(func(c *dirCache) bool {
		l, ok := c.members[key]
		list = slices.Clone(l)
		return ok
	}) {
		return list, nil
	}
	list, err := load()
	if err != nil {
		return nil, err
	}
	keep := slices.Clone(list)
	tx.keep(func(c *dirCache) {
		if len(c.members) >= dirCacheMax {
			c.members = map[string][]User{}
		}
		c.members[key] = keep
	})
	return list, nil
}

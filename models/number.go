package models

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"
)

// Number identifies a hazard: YH + year + "-" + a per-year sequence.
type Number struct {
	Year int
	Seq  int
}

// String formats the number as YH2023-0012 (at least four digits).
func (n Number) String() string { return fmt.Sprintf("YH%d-%04d", n.Year, n.Seq) }

// ParseNumber reads a hazard number as people type it: YH2023-0012,
// yh2023-12, YH20230012, 2023-12, or a bare 12 / #12 meaning thisYear's 12.
// Full-width characters and surrounding spaces are accepted.
func ParseNumber(s string, thisYear int) (Number, error) {
	raw := s
	s = strings.ToUpper(strings.TrimSpace(Narrow(s)))
	s = strings.TrimPrefix(s, "#")
	s = strings.TrimPrefix(s, "NO.")
	s = strings.TrimSpace(s)
	bad := Errorf(EInvalid, "隐患编号“%s”不对，应为 YH%d-0012 或直接写序号 12", strings.TrimSpace(raw), thisYear)
	hasPrefix := strings.HasPrefix(s, "YH")
	s = strings.TrimPrefix(s, "YH")
	s = strings.TrimSpace(s)
	if s == "" {
		return Number{}, bad
	}
	year, seqStr := 0, ""
	if i := strings.IndexAny(s, "-_－—"); i >= 0 {
		y, err := strconv.Atoi(s[:i])
		if err != nil || y < 1900 || y > 2999 {
			return Number{}, bad
		}
		year, seqStr = y, strings.TrimLeft(s[i:], "-_－—")
	} else if hasPrefix && len(s) > 4 {
		y, err := strconv.Atoi(s[:4])
		if err != nil || y < 1900 {
			return Number{}, bad
		}
		year, seqStr = y, s[4:]
	} else if hasPrefix && len(s) == 4 {
		return Number{}, bad // "YH2023" alone names a year, not a hazard
	} else {
		year, seqStr = thisYear, s
	}
	for _, r := range seqStr {
		if r < '0' || r > '9' {
			return Number{}, bad
		}
	}
	seq, err := strconv.Atoi(seqStr)
	if err != nil || seq <= 0 || len(seqStr) > 9 {
		return Number{}, bad
	}
	return Number{Year: year, Seq: seq}, nil
}

// Narrow turns full-width ASCII (ＹＨ２０２３－１２, ：, ＃) into its
// half-width form, so that parsers see one alphabet.
func Narrow(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		case r == '\u3000':
			return ' '
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
}

// DeferNumbers makes the hazards this transaction creates from now on take
// their numbers at its end instead of when they are inserted: the year's
// counter row, which every report in every replica queues on, is then
// locked only for the last few statements before COMMIT instead of for the
// whole report. Until then such a hazard carries a placeholder number and
// sequence (unique, never shown once settled), the outbox rows enqueued
// meanwhile are held back, and texts that name it must go through the
// function Settle returns. The chat path (bot.Handle) uses it; paths that
// need the number at once (the admin API, imports) do not.
func (tx *Tx) DeferNumbers() { tx.deferNumbers = true }

// Settle numbers the hazards created since DeferNumbers, writes the outbox
// rows held meanwhile with their real numbers, and returns the function
// that puts the real numbers into a text written with the placeholders
// (a reply). It is called last before COMMIT; InTx calls it anyway, so
// nothing stays unnumbered. Without DeferNumbers it returns the identity.
func (tx *Tx) Settle() (func(string) string, error) {
	if err := tx.settle(); err != nil {
		return nil, err
	}
	r := tx.numbered
	if r == nil {
		return func(s string) string { return s }, nil
	}
	return r.Replace, nil
}

func (tx *Tx) settle() error {
	if tx.grp != nil {
		return nil // the group numbers its members' hazards at its end
	}
	if len(tx.unnumbered) == 0 && len(tx.held) == 0 {
		return nil
	}
	pairs, err := tx.numberPlaceholders(tx.unnumbered)
	if err != nil {
		return err
	}
	for _, h := range tx.unnumbered {
		if err := tx.DB.Model(&Hazard{}).Where("id = ?", h.ID).UpdateColumns(map[string]any{"seq": h.Seq, "number": h.Number}).Error; err != nil {
			return fmt.Errorf("models: number hazard: %w", err)
		}
		if err := tx.recount(nil, h); err != nil {
			return err
		}
	}
	tx.unnumbered = nil
	if len(pairs) > 0 {
		tx.numbered = strings.NewReplacer(pairs...)
	}
	held := tx.held
	tx.held = nil
	renumberItems(held, tx.numbered)
	_, err = tx.enqueue(held)
	return err
}

// numberPlaceholders gives hazards carrying placeholder numbers their
// real ones, in order: the year's counter taken once for all of a year's.
// It returns the pairs that put the numbers in place of the placeholders
// in a text (a reply, an outbox row).
func (tx *Tx) numberPlaceholders(hs []*Hazard) ([]string, error) {
	var years []int
	n := map[int]int{}
	for _, h := range hs {
		if n[h.Year] == 0 {
			years = append(years, h.Year)
		}
		n[h.Year]++
	}
	next := map[int]int{}
	for _, y := range years {
		last, err := tx.nextSeqs(y, n[y])
		if err != nil {
			return nil, err
		}
		next[y] = last - n[y] + 1
	}
	var pairs []string
	for _, h := range hs {
		seq := next[h.Year]
		next[h.Year]++
		num := Number{h.Year, seq}.String()
		// The number first: the sequence's placeholder is the number's
		// digits with a minus sign instead of the tilde.
		pairs = append(pairs, h.Number, num, strconv.Itoa(h.Seq), strconv.Itoa(seq))
		h.Seq, h.Number = seq, num
	}
	return pairs, nil
}

// renumberItems puts real numbers (and ids) into outbox items written with
// placeholders; r nil changes nothing.
func renumberItems(items []OutboxItem, r *strings.Replacer) {
	if r == nil {
		return
	}
	for i := range items {
		items[i].Key = r.Replace(items[i].Key)
		items[i].Body = r.Replace(items[i].Body)
	}
}

// placeholder returns a sequence and number for a hazard not yet numbered:
// negative (no real sequence is), random enough that two transactions in
// flight never share one, and the number the same digits after a tilde.
func placeholder() (int, string) {
	d := 1_000_000_000_000_000 + rand.Int64N(8_000_000_000_000_000)
	return int(-d), "~" + strconv.FormatInt(d, 10)
}

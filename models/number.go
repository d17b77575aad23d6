package models

import (
	"fmt"
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

package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar day without a time or zone, as deadlines and inspection
// dates are written in the ledger. The zero Date means "not set".
// It is stored as a 'YYYY-MM-DD' string so that comparison and grouping work
// the same on SQLite and MySQL.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// NewDate returns a normalised Date (2023-02-30 becomes 2023-03-02); use
// ValidDate to reject impossible days instead.
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC), time.UTC)
}

// ValidDate reports whether y-m-d is a real calendar day.
func ValidDate(y int, m time.Month, d int) bool {
	if y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return NewDate(y, m, d) == Date{y, m, d}
}

// ParseDate reads 'YYYY-MM-DD'.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, Errorf(EInvalid, "日期格式不对：%s（应为 2023-03-15）", s)
	}
	return DateOf(t, time.UTC), nil
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String formats the date as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Chinese formats the date as 2023年3月15日.
func (d Date) Chinese() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, d.Month, d.Day)
}

// Short formats the date as 3月15日.
func (d Date) Short() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d月%d日", d.Month, d.Day)
}

// Time returns midnight of the day in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(d.Time(time.UTC).AddDate(0, 0, n), time.UTC)
}

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.String() < o.String() }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.String() > o.String() }

// DaysUntil returns the number of days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int {
	return int(o.Time(time.UTC).Sub(d.Time(time.UTC)).Hours() / 24)
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.Time(time.UTC).Weekday() }

// Value stores the date as a string, or NULL when unset.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date stored as a string, bytes or a time.
func (d *Date) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = Date{x.Year(), x.Month(), x.Day()}
		return nil
	case []byte:
		return d.Scan(string(x))
	case string:
		if x == "" {
			*d = Date{}
			return nil
		}
		if len(x) > 10 {
			x = x[:10]
		}
		p, err := ParseDate(x)
		if err != nil {
			return fmt.Errorf("models: scan date %q: %w", x, err)
		}
		*d = p
		return nil
	}
	return fmt.Errorf("models: scan date from %T", v)
}

// MarshalJSON writes "YYYY-MM-DD", or null when unset.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// GormDataType makes gorm declare the column as a 10-character string.
func (Date) GormDataType() string { return "varchar(10)" }

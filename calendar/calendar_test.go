package calendar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func day(s string) Day {
	d, err := parseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestIsWorkday(t *testing.T) {
	c := Official()
	cases := []struct {
		day  string
		work bool
		why  string
	}{
		{"2022-12-31", false, "2023 元旦 starts on the Saturday before"},
		{"2023-01-02", false, "2023 元旦 Monday"},
		{"2023-01-28", true, "2023 春节 调休 Saturday"},
		{"2023-01-29", true, "2023 春节 调休 Sunday"},
		{"2023-01-27", false, "2023 春节 last day"},
		{"2023-09-29", false, "2023 National Day first day (Friday)"},
		{"2023-10-06", false, "2023 National Day last day"},
		{"2023-10-07", true, "2023 调休 Saturday"},
		{"2023-10-08", true, "2023 调休 Sunday"},
		{"2023-10-09", true, "an ordinary Monday"},
		{"2024-02-04", true, "2024 春节 调休 Sunday before"},
		{"2024-02-10", false, "2024 春节 first day"},
		{"2024-02-16", false, "2024 春节 Friday inside the holiday"},
		{"2024-02-17", false, "2024 春节 last day"},
		{"2024-02-18", true, "2024 春节 调休 Sunday after"},
		{"2024-09-29", true, "2024 National Day 调休 Sunday before"},
		{"2024-10-07", false, "2024 National Day last day"},
		{"2024-10-12", true, "2024 National Day 调休 Saturday after"},
		{"2024-10-13", false, "an ordinary Sunday"},
		{"2025-01-26", true, "2025 春节 调休 Sunday"},
		{"2025-01-28", false, "2025 春节 first day"},
		{"2025-02-04", false, "2025 春节 last day"},
		{"2025-02-08", true, "2025 春节 调休 Saturday"},
		{"2025-10-08", false, "2025 National Day eighth day"},
		{"2025-10-11", true, "2025 调休 Saturday"},
		{"2026-01-04", true, "2026 元旦 调休 Sunday"},
		{"2026-02-23", false, "2026 春节 ninth day (Monday)"},
		{"2026-02-28", true, "2026 春节 调休 Saturday"},
		{"2026-09-20", true, "2026 National Day 调休 Sunday"},
		{"2026-10-10", true, "2026 National Day 调休 Saturday"},
		{"2027-10-01", true, "2027 is not covered: a Friday is a working day"},
		{"2027-10-02", false, "2027 is not covered: Saturday rests"},
	}
	for _, tc := range cases {
		t.Run(tc.day+" "+tc.why, func(t *testing.T) {
			if got := c.IsWorkday(day(tc.day)); got != tc.work {
				t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.work)
			}
		})
	}
}

func TestAddWorkdays(t *testing.T) {
	c := Official()
	cases := []struct {
		from string
		n    int
		want string
		why  string
	}{
		{"2023-03-01", 10, "2023-03-15", "an ordinary fortnight"},
		{"2023-09-27", 3, "2023-10-08", "over 2023 National Day: 9.28, then the 调休 10.7 and 10.8"},
		{"2023-09-28", 1, "2023-10-07", "the next working day after the holiday is the 调休 Saturday"},
		{"2023-09-28", 10, "2023-10-18", "ten working days over 2023 National Day"},
		{"2023-01-19", 2, "2023-01-28", "over 2023 春节: 1.20, then the 调休 Saturday"},
		{"2024-02-08", 2, "2024-02-18", "over 2024 春节: 2.9 (Friday), then the 调休 Sunday"},
		{"2024-02-02", 1, "2024-02-04", "the 调休 Sunday before 2024 春节 counts"},
		{"2024-09-27", 1, "2024-09-29", "the 调休 Sunday before 2024 National Day counts"},
		{"2024-09-29", 2, "2024-10-08", "2024 National Day: 9.30, then 10.8"},
		{"2024-09-29", 10, "2024-10-17", "ten working days over 2024 National Day with the 调休 10.12"},
		{"2025-01-24", 1, "2025-01-26", "2025 春节 调休 Sunday"},
		{"2023-03-01", 0, "2023-03-01", "zero days is the day itself"},
	}
	for _, tc := range cases {
		t.Run(tc.why, func(t *testing.T) {
			if got := c.AddWorkdays(day(tc.from), tc.n); got != day(tc.want) {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}
}

func TestHolidayNamesAndSources(t *testing.T) {
	c := Official()
	if got := c.Holiday(day("2024-10-03")); got != "国庆节" {
		t.Errorf("Holiday(2024-10-03) = %q", got)
	}
	for y := 2023; y <= 2026; y++ {
		if !c.Covers(y) {
			t.Errorf("year %d not covered", y)
		}
	}
	if c.Covers(2027) {
		t.Error("2027 covered without a notice")
	}
	years := c.Years()
	if len(years) != 4 || !strings.Contains(years[1], "国务院办公厅关于2024年部分节假日安排的通知") {
		t.Errorf("Years = %v", years)
	}
}

func TestLoadAddsAndReplacesYears(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cal.yaml")
	// 2027 as a later notice might set it, and a corrected 2023.
	err := os.WriteFile(path, []byte(`years:
  - year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知
    holidays:
      - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}
    workdays: [2027-09-26]
  - year: 2023
    source: test replacement
    holidays:
      - {name: 国庆节, from: 2023-10-02, to: 2023-10-02}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkday(day("2027-10-01")) || !c.IsWorkday(day("2027-09-26")) || !c.Covers(2027) {
		t.Error("2027 from the file not applied")
	}
	if !c.IsWorkday(day("2023-09-29")) || c.IsWorkday(day("2023-10-02")) || c.IsWorkday(day("2023-10-07")) {
		t.Error("2023 from the file did not replace the embedded year")
	}
	if c.IsWorkday(day("2024-10-03")) {
		t.Error("2024 lost when the file replaced 2023")
	}
	if !Official().IsWorkday(day("2023-10-07")) {
		t.Error("Load changed the shared official calendar")
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"bad date":     "years:\n  - year: 2027\n    holidays:\n      - {name: x, from: 2027-13-01, to: 2027-13-02}\n",
		"outside year": "years:\n  - year: 2027\n    workdays: [2025-01-01]\n",
		"both":         "years:\n  - year: 2027\n    holidays:\n      - {name: x, from: 2027-10-01, to: 2027-10-02}\n    workdays: [2027-10-01]\n",
		"not yaml":     "years: [",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cal.yaml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil {
				t.Error("Load accepted a bad file")
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Load accepted a missing file")
	}
}

package models

import "testing"

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in   string
		want Number
	}{
		{"YH2023-0012", Number{2023, 12}},
		{"yh2023-12", Number{2023, 12}},
		{"YH20230012", Number{2023, 12}},
		{"yh2023012", Number{2023, 12}},
		{"12", Number{2026, 12}},
		{"#12", Number{2026, 12}},
		{"＃１２", Number{2026, 12}},
		{" YH2024－0003 ", Number{2024, 3}},
		{"2023-7", Number{2023, 7}},
		{"0007", Number{2026, 7}},
		{"YH2023-12345", Number{2023, 12345}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseNumber(c.in, 2026)
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParseNumber(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
	for _, in := range []string{"", "YH", "YH2023", "abc", "#", "0", "-1", "YH2023-", "YH2023-1a", "12.5", "YH1800-1", "1234567890"} {
		t.Run("rejects "+in, func(t *testing.T) {
			if _, err := ParseNumber(in, 2026); ErrorCode(err) != EInvalid {
				t.Fatalf("ParseNumber(%q) err = %v, want invalid", in, err)
			}
		})
	}
}

func TestNumberString(t *testing.T) {
	for _, c := range []struct {
		n    Number
		want string
	}{{Number{2023, 12}, "YH2023-0012"}, {Number{2023, 12345}, "YH2023-12345"}} {
		if got := c.n.String(); got != c.want {
			t.Errorf("%v.String() = %q, want %q", c.n, got, c.want)
		}
	}
}

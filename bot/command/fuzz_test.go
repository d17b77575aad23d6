package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"hazardbot/models"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/; run for example
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 20s ./bot/command/
//
// A crash the fuzzer finds is written there too and then runs with every
// plain `go test` as a regression case.

// numbered are the commands that always carry a hazard number.
var numbered = map[Name]bool{
	Query: true, Assign: true, Accept: true, Rectify: true, Review: true, List: true,
	Extend: true, ApproveExtension: true, Withdraw: true,
}

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text, wednesday, shanghai)
		again, err2 := Parse(text, wednesday, shanghai)
		if !reflect.DeepEqual(c, again) || (err == nil) != (err2 == nil) {
			t.Fatalf("Parse(%q) is not deterministic", text)
		}
		if err != nil {
			if models.ErrorCode(err) != models.EInvalid || models.ErrorMessage(err) == "" {
				t.Fatalf("Parse(%q) error %v is not an invalid error with a message", text, err)
			}
			if c.Name == None {
				t.Fatalf("Parse(%q) returned an error without naming the command", text)
			}
			return
		}
		if c.Name == None {
			if !reflect.DeepEqual(c, Command{}) {
				t.Fatalf("Parse(%q) = %+v: arguments without a command", text, c)
			}
			return
		}
		if c.Name == reviewPass || c.Name == reviewReject {
			t.Fatalf("Parse(%q) leaked the internal name %q", text, c.Name)
		}
		if Usage(c.Name) == "" {
			t.Fatalf("Parse(%q) returned unknown name %q", text, c.Name)
		}
		if c.Name == Query && c.Number.Seq == 0 && strings.TrimSpace(c.Text) == "" {
			t.Fatalf("Parse(%q) = %+v: a query with neither number nor words", text, c)
		}
		if numbered[c.Name] && !(c.Name == Query && c.Text != "") && (c.Number.Seq <= 0 || c.Number.Year < 1900) {
			t.Fatalf("Parse(%q) = %+v without a valid number", text, c)
		}
		if !c.Date.IsZero() && !models.ValidDate(c.Date.Year, c.Date.Month, c.Date.Day) {
			t.Fatalf("Parse(%q) returned invalid date %v", text, c.Date)
		}
		switch c.Name {
		case Assign:
			if len(c.Units) == 0 {
				t.Fatalf("Parse(%q) = assign without units", text)
			}
			for _, u := range c.Units {
				if strings.TrimSpace(u) == "" {
					t.Fatalf("Parse(%q) returned an empty unit", text)
				}
			}
		case Extend:
			if c.DateText == "" || c.Text == "" {
				t.Fatalf("Parse(%q) = %+v: extend without date or reason", text, c)
			}
			// Date stays zero only for a date in the past, which the bot asks about.
			var past *PastError
			if _, err := ParseDeadline(c.DateText, wednesday, shanghai, nil); c.Date.IsZero() && !errors.As(err, &past) {
				t.Fatalf("Parse(%q) = %+v: extend without a date, and %q is not a past one (%v)", text, c, c.DateText, err)
			}
		case Rectify, Withdraw:
			if c.Text == "" {
				t.Fatalf("Parse(%q) = %+v without text", text, c)
			}
		case Review:
			if !c.Pass && c.Text == "" {
				t.Fatalf("Parse(%q) = send-back without reason", text)
			}
		case List:
			if models.ColourName(c.Colour) == "" {
				t.Fatalf("Parse(%q) = list with colour %q", text, c.Colour)
			}
		case Stats:
			if c.PeriodText != "" {
				if _, err := ParsePeriod(c.PeriodText, wednesday, shanghai, &Period{From: day(2023, 2, 1), To: day(2023, 6, 10)}); err != nil {
					t.Fatalf("Parse(%q) returned period %q that does not read: %v", text, c.PeriodText, err)
				}
			}
		case Report:
			checkFields(t, text, c.Fields)
		}
	})
}

func FuzzParseFields(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		fields, unknown := ParseFields(text)
		checkFields(t, text, fields)
		for _, u := range unknown {
			if strings.TrimSpace(u) == "" {
				t.Fatalf("ParseFields(%q) returned an empty unknown line", text)
			}
		}
	})
}

// checkFields holds for every field map: known fields, trimmed non-empty
// values, each line of a value taken from the text as typed.
func checkFields(t *testing.T, text string, fields map[Field]string) {
	t.Helper()
	clean := cleanText(text)
	for f, v := range fields {
		if _, ok := fieldInfo[f]; !ok {
			t.Fatalf("fields of %q hold unknown field %q", text, f)
		}
		if v == "" || v != strings.TrimSpace(v) {
			t.Fatalf("fields of %q: %s = %q is empty or untrimmed", text, f, v)
		}
		for _, l := range strings.Split(v, "\n") {
			if !strings.Contains(clean, l) {
				t.Fatalf("fields of %q: %s line %q is not in the text", text, f, l)
			}
		}
	}
}

func FuzzParseDate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, offset int16) {
		// Move today across a few years so that month and year ends, leap
		// days and Sundays all come up.
		now := wednesday.AddDate(0, 0, int(offset)%2000)
		d, err := ParseDate(s, now, shanghai)
		checkDate(t, "ParseDate", s, d, err)
		dl, errl := ParseDeadline(s, now, shanghai, nil)
		checkDate(t, "ParseDeadline", s, dl, errl)
		if errl == nil && dl.Before(models.DateOf(now, shanghai)) {
			t.Fatalf("ParseDeadline(%q) = %v is in the past", s, dl)
		}
		if err == nil && errl == nil && dl.Before(d) {
			t.Fatalf("ParseDeadline(%q) = %v is before ParseDate's %v", s, dl, d)
		}
		p, errp := ParsePeriod(s, now, shanghai, nil)
		if errp == nil {
			checkDate(t, "ParsePeriod From", s, p.From, nil)
			checkDate(t, "ParsePeriod To", s, p.To, nil)
			if p.To.Before(p.From) || p.Label == "" {
				t.Fatalf("ParsePeriod(%q) = %+v", s, p)
			}
		} else if models.ErrorCode(errp) != models.EInvalid {
			t.Fatalf("ParsePeriod(%q) error %v is not invalid", s, errp)
		}
	})
}

func checkDate(t *testing.T, fn, s string, d models.Date, err error) {
	t.Helper()
	if err != nil {
		if !d.IsZero() {
			t.Fatalf("%s(%q) returned %v with error %v", fn, s, d, err)
		}
		if models.ErrorCode(err) != models.EInvalid || models.ErrorMessage(err) == "" {
			t.Fatalf("%s(%q) error %v is not an invalid error with a message", fn, s, err)
		}
		return
	}
	if d.IsZero() {
		t.Fatalf("%s(%q) returned the zero date without an error", fn, s)
	}
	if !models.ValidDate(d.Year, d.Month, d.Day) {
		t.Fatalf("%s(%q) returned invalid date %v", fn, s, d)
	}
}

// TestFuzzClock pins the fuzz targets' clock: the tables above assume it.
func TestFuzzClock(t *testing.T) {
	if wednesday.Weekday() != time.Wednesday {
		t.Fatalf("wednesday is a %v", wednesday.Weekday())
	}
}

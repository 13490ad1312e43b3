package audit

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

func TestCanonicalEntry(t *testing.T) {
	e := Entry{
		Time:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("COT", -5*3600)),
		Actor:   "o<1>&\"q\"\n\u0001é",
		Role:    "officer",
		Action:  ActionSearchSent,
		Objects: []string{"ref-2", "ref-1"},
		Detail:  json.RawMessage(` { "z": [1.0, 1e21, 1e-7, 0.000001, -0, 333333333.33333329, 100], "a": {"y": null, "b": false}, "\u00e9": "x" } `),
	}
	got, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"search.sent","actor":"o<1>&\"q\"\n\u0001é","detail":{"a":{"b":false,"y":null},"z":[1,1e+21,1e-7,0.000001,0,333333333.3333333,100],"é":"x"},"objects":["ref-2","ref-1"],"role":"officer","time":"2026-01-02T08:04:05Z"}`
	if string(got) != want {
		t.Errorf("Canonical =\n%s\nwant\n%s", got, want)
	}
	back, err := ParseEntry(got)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.Canonical()
	if err != nil || string(again) != want {
		t.Errorf("round trip: %s, %v", again, err)
	}
}

func TestParseEntryRejectsNonCanonical(t *testing.T) {
	good := `{"action":"login","actor":"a","role":"r","time":"2026-01-02T08:04:05Z"}`
	if _, err := ParseEntry([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{
		`{"actor":"a","action":"login","role":"r","time":"2026-01-02T08:04:05Z"}`,
		`{"action":"login","actor":"a","role":"r","time":"2026-01-02T08:04:05Z"} `,
		`{"action":"login","actor":"a","role":"r","time":"2026-01-02T03:04:05-05:00"}`,
		`{"action":"login","actor":"a","role":"r","time":"2026-01-02T08:04:05Z","x":1}`,
		`{"action":"login","actor":"a","actor":"a","role":"r","time":"2026-01-02T08:04:05Z"}`,
		`{"action":"login","actor":"\u0061","role":"r","time":"2026-01-02T08:04:05Z"}`,
		`{"action":"login","actor":"a","detail":{"n":1.0},"role":"r","time":"2026-01-02T08:04:05Z"}`,
		`{"action":"login","actor":"a","purpose":"","role":"r","time":"2026-01-02T08:04:05Z"}`,
		`[]`, ``, `{`,
	} {
		if _, err := ParseEntry([]byte(b)); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("ParseEntry(%s) = %v, want ErrInvalidEntry", b, err)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	// Values from RFC 8785 Appendix B.
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{math.Float64frombits(0x0000000000000001), "5e-324"},
		{math.Float64frombits(0x7fefffffffffffff), "1.7976931348623157e+308"},
		{9007199254740992, "9007199254740992"},
		{295147905179352830000, "295147905179352830000"},
		{1e21, "1e+21"},
		{1e-7, "1e-7"},
		{0.000001, "0.000001"},
		{-1.5, "-1.5"},
		{4.50, "4.5"},
		{2e-3, "0.002"},
		{0.000000000000000000000000001, "1e-27"},
	} {
		if got := formatNumber(tc.f); got != tc.want {
			t.Errorf("formatNumber(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

// FuzzParseEntry checks that ParseEntry never panics and that whatever it
// accepts is canonical: re-encoding gives back the same bytes.
func FuzzParseEntry(f *testing.F) {
	for i := 0; i < 3; i++ {
		b, _ := testEntry(i).Canonical()
		f.Add(b)
	}
	f.Add([]byte(`{"action":"login","actor":"a","role":"r","time":"2026-01-02T08:04:05Z"}`))
	f.Add([]byte(`{"action":"login","actor":"a","detail":{"n":[1e+21,{"":null}]},"role":"r","time":"2026-01-02T08:04:05.5Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err != nil {
			return
		}
		c, err := e.Canonical()
		if err != nil {
			t.Fatalf("accepted entry does not re-encode: %v", err)
		}
		if string(c) != string(b) {
			t.Fatalf("accepted non-canonical body:\n%s\n%s", b, c)
		}
	})
}

package api

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/accountability"
)

func TestAuditDemographics(t *testing.T) {
	url, admin, n := testNode(t, nil, 0)
	c := users(t, url, admin)
	aud := c["auditor"].Token
	if st := getJSON(t, "GET", url+"/v1/audit/demographics", aud, nil, nil); st != 404 {
		t.Fatalf("no report: %d, want 404", st)
	}
	// A small report from random templates (the analysis is the
	// accountability package's; this checks that the node serves it).
	r := rand.New(rand.NewPCG(5, 6))
	tmpl := func() *fingerprint.Template {
		t := &fingerprint.Template{Width: 300, Height: 400, Resolution: 500}
		for range 30 {
			t.Minutiae = append(t.Minutiae, fingerprint.Minutia{X: 20 + r.IntN(260), Y: 20 + r.IntN(360), Angle: r.Float64() * 2 * math.Pi, Kind: fingerprint.KindEnding})
		}
		return t
	}
	var ss []*accountability.Subject
	for i := range 8 {
		e := tmpl()
		ss = append(ss, &accountability.Subject{ID: string(rune('a' + i)), Sex: []string{"F", "M"}[i%2], Age: 20 + i*7, Nationality: "COL", Enrol: e, Probe: e})
	}
	d := accountability.Analyse("test population", ss, fingerprint.DefaultThreshold, 100)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(n.Config().DataDir, filepath.FromSlash(DemographicsFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var got accountability.Demographics
	if st := getJSON(t, "GET", url+"/v1/audit/demographics", aud, nil, &got); st != 200 {
		t.Fatalf("status %d", st)
	}
	if got.Source != "test population" || got.Subjects != 8 || len(got.Groups) != len(d.Groups) || got.Overall.FNMR.Trials != d.Overall.FNMR.Trials {
		t.Errorf("served report differs: %+v", got)
	}
	if st := getJSON(t, "GET", url+"/v1/audit/demographics", c["officer"].Token, nil, nil); st != 403 {
		t.Errorf("officer: %d, want 403", st)
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if st := getJSON(t, "GET", url+"/v1/audit/demographics", aud, nil, nil); st != 500 {
		t.Errorf("corrupt report: %d, want 500", st)
	}
}

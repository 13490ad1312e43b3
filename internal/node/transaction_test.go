package node

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bixproject/bix/ansinist"
	"github.com/bixproject/bix/fingerprint"
)

func TestEnrollTransaction(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir())
	var fs []ansinist.FingerImage
	for _, pos := range []int{1, 2} {
		img, _, err := image.Decode(bytes.NewReader(fingerPNG(t, 8, pos, 0)))
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, ansinist.FingerImage{Position: pos, PPI: 500, Image: img})
	}
	tr, err := ansinist.Build(ansinist.BuildRequest{
		Biographics: ansinist.Biographics{Surname: "DOE", GivenNames: "JANE", BirthDate: "1985-07-14", Sex: "F", Citizenship: []string{"COL"}},
		Fingers:     fs,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.EnrollTransaction(ctx, officer, bytes.NewReader(b), EncounterInfo{Location: "BOG", Consent: true}, "asylum-applicant")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusEnrolled || len(r.Samples) != 2 {
		t.Fatalf("enroll transaction: %+v", r)
	}
	p, err := n.Person(ctx, officer, r.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if p.FamilyName != "DOE" || p.GivenName != "JANE" || p.Nationality != "COL" || p.Sex != "F" || p.Category != "asylum-applicant" || p.Encounters[0].Source != "ansi-nist" || p.Encounters[0].Location != "BOG" {
		t.Errorf("person from transaction: %+v %+v", p.Person, p.Encounters[0])
	}
	// The same person from images finds the transaction's identity.
	res, err := n.IdentifyImages(ctx, officer, fingers(t, 8, 1, 1, 2), nil, IdentifyOptions{})
	if err != nil || !res.Hit || res.Candidates[0].PersonID != r.PersonID {
		t.Fatalf("identify: %+v, %v", res, err)
	}
}

// TestThresholdCalibration checks the FPIR threshold on a gallery large
// enough to calibrate: above every sampled impostor score for a small FPIR,
// and never below the configured floor.
func TestThresholdCalibration(t *testing.T) {
	n := openNode(t, t.TempDir())
	if th := n.Threshold(1); th != n.cfg.Thresholds.MinScore {
		t.Fatalf("empty gallery threshold %v, want the floor %v", th, n.cfg.Thresholds.MinScore)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for p := range 40 {
		for f := 1; f <= 2; f++ {
			tm := &fingerprint.Template{Width: 300, Height: 400, Resolution: 500}
			for range 35 {
				tm.Minutiae = append(tm.Minutiae, fingerprint.Minutia{X: 20 + r.IntN(260), Y: 20 + r.IntN(360), Angle: r.Float64() * 2 * math.Pi, Kind: fingerprint.KindEnding})
			}
			if err := n.Gallery().Add(string(rune('A'+p))+"-person", string(rune('A'+p))+string(rune('0'+f)), f, tm); err != nil {
				t.Fatal(err)
			}
		}
	}
	n.cfg.Thresholds.MinScore = 0.001
	th1 := n.Threshold(1)
	imp := n.Gallery().ImpostorScores(1, 500, 9)
	hi := 0.0
	for _, v := range imp {
		hi = max(hi, v)
	}
	if th1 <= 0.001 || th1 < hi*0.9 {
		t.Errorf("threshold %v for FPIR 1%% against max sampled impostor %v", th1, hi)
	}
	if th10 := n.Threshold(10); th10 > th1 {
		t.Errorf("ten-finger threshold %v above one-finger %v (fused impostor scores are means)", th10, th1)
	}
	n.cfg.Thresholds.MinScore = 0.9
	if th := n.Threshold(1); th != 0.9 {
		t.Errorf("threshold %v below the floor 0.9", th)
	}
}

// FuzzEnrollRequest feeds arbitrary JSON to request validation: it must
// never panic, and a request it accepts has decodable images.
func FuzzEnrollRequest(f *testing.F) {
	f.Add([]byte(`{"person":{"birth_date":"1990-01-02","nationality":"NLD","sex":"M"},"fingers":[{"position":1,"image":"aGVsbG8="}]}`))
	f.Add([]byte(`{"fingers":[{"position":11}]}`))
	f.Add([]byte(`{"fingers":[{"position":1,"ppi":500,"image":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="}]}`))
	f.Add([]byte(`{"fingers":[{"position":2,"image":"/6D/qAB6TklTVF9DT00gOQpQSVhfV0lEVEggMQpQSVhfSEVJR0hUIDEK"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var req EnrollRequest
		if json.Unmarshal(b, &req) != nil {
			return
		}
		if err := req.validate(); err != nil {
			return
		}
		for i, fi := range req.Fingers {
			if fi.decoded == nil {
				t.Fatalf("finger %d accepted without a decoded image", i)
			}
			if bb := fi.decoded.Bounds(); bb.Dx()*bb.Dy() > MaxImagePixels {
				t.Fatalf("finger %d: %v pixels accepted", i, bb)
			}
		}
	})
}

package accountability

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/bixproject/bix/internal/store"
)

func TestFromAdjudications(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.person("person-f-adult-001", "irregular", "F", "1990-01-01", "COL", date(2024, 1, 1))
	f.person("person-m-minor-001", "irregular", "M", "2015-01-01", "VEN", date(2024, 1, 1))
	f.person("person-f-adult-002", "irregular", "F", "1991-01-01", "COL", date(2024, 2, 1))
	f.person("person-m-minor-002", "irregular", "M", "2014-06-01", "VEN", date(2024, 2, 1))
	task := func(id, pid, outcome, cand string, cands map[string]float64) {
		type c struct {
			PersonID string  `json:"person_id"`
			Score    float64 `json:"score"`
		}
		var cs []c
		for p, s := range cands {
			cs = append(cs, c{p, s})
		}
		cj, _ := json.Marshal(cs)
		if err := f.st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertTask(ctx, &store.Task{ID: id, Kind: "dedup", EncounterID: "enc-" + pid, PersonID: pid, Candidates: cj, State: store.TaskOpen}); err != nil {
				return err
			}
			return tx.InsertDecision(ctx, &store.Decision{ID: "d-" + id, TaskID: id, Outcome: outcome, Candidate: cand, ReasonCode: "x", Examiner: "emil"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The second woman is the first (genuine 0.2) and not another (0.03).
	task("task-1", "person-f-adult-002", store.OutcomeSame, "person-f-adult-001", map[string]float64{"person-f-adult-001": 0.2, "person-m-minor-001": 0.03})
	// The second boy is nobody held: a false alarm at 0.025.
	task("task-2", "person-m-minor-002", store.OutcomeDifferent, "", map[string]float64{"person-m-minor-001": 0.025})
	// An FTA encounter for the boy.
	if _, err := f.st.DB().Exec(`UPDATE encounters SET status = 'failure_to_acquire' WHERE id = 'enc-person-m-minor-002'`); err != nil {
		t.Fatal(err)
	}
	d, err := FromAdjudications(ctx, f.st.DB(), 0.0187)
	if err != nil {
		t.Fatal(err)
	}
	if d.Subjects != 4 || d.Overall.FTE.Errors != 1 || d.Overall.FTE.Trials != 4 || d.Overall.FMR.Errors != 2 || d.Overall.FMR.Trials != 3 {
		t.Fatalf("overall %+v", d.Overall)
	}
	got := map[string]*GroupStats{}
	for _, g := range d.Groups {
		got[g.Dimension+"/"+g.Group] = g
	}
	if g := got["sex/F"]; g == nil || g.GenuineMedian != 0.2 || g.FMR.Errors != 1 || g.FMR.Trials != 2 {
		t.Errorf("women: %+v", g)
	}
	if g := got["age/<14"]; g == nil || g.FTE.Errors != 1 || g.FMR.Errors != 1 || g.FMR.Trials != 1 || g.Subjects != 2 {
		t.Errorf("under 14: %+v", g)
	}
	if g := got["nationality/VEN"]; g == nil || g.Impostor[binOf(0.025)] != 1 {
		t.Errorf("VEN: %+v", g)
	}
}

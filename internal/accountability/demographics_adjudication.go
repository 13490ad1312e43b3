package accountability

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// FromAdjudications builds the demographic report from a node's own
// operation: failure to enrol from encounters stored as failure to acquire,
// and score distributions from examiners' decisions on dedup tasks (the
// candidate judged the same is a genuine score, every other candidate of a
// decided task an impostor score). Only candidates above the threshold
// become tasks, so false non-matches cannot be seen here: FNMR is left
// empty and FMR holds the share of examined candidates judged a different
// person (false alarms), by the group of the person enrolled. Persons' ages
// are taken at the encounter's capture.
func FromAdjudications(ctx context.Context, db *sql.DB, threshold float64) (*Demographics, error) {
	start := time.Now()
	type person struct {
		sex, nat string
		birth    string
	}
	people := map[string]person{}
	rows, err := db.QueryContext(ctx, `SELECT id, sex, nationality, birth_date FROM persons`)
	if err != nil {
		return nil, fmt.Errorf("demographics: persons: %w", err)
	}
	for rows.Next() {
		var id string
		var p person
		if err := rows.Scan(&id, &p.sex, &p.nat, &p.birth); err != nil {
			rows.Close()
			return nil, err
		}
		people[id] = p
	}
	rows.Close()
	age := func(birth string, at time.Time) int {
		b, err := time.Parse("2006-01-02", birth)
		if err != nil {
			return -1
		}
		a := at.Year() - b.Year()
		if at.YearDay() < b.YearDay() {
			a--
		}
		return a
	}
	type obs struct {
		key           [3]string
		fte, attempts int
		gen, imp      []float64
		alarms, diff  int
		subject       string
	}
	keyOf := func(pid string, at time.Time) [3]string {
		p := people[pid]
		return [3]string{nonEmpty(p.sex, "unknown"), AgeBand(age(p.birth, at)), nonEmpty(p.nat, "unknown")}
	}
	var all []obs
	erows, err := db.QueryContext(ctx, `SELECT person_id, captured_at, status FROM encounters`)
	if err != nil {
		return nil, fmt.Errorf("demographics: encounters: %w", err)
	}
	for erows.Next() {
		var pid, at, status string
		if err := erows.Scan(&pid, &at, &status); err != nil {
			erows.Close()
			return nil, err
		}
		t, _ := time.Parse(time.RFC3339Nano, at)
		o := obs{key: keyOf(pid, t), attempts: 1, subject: pid}
		if status == "failure_to_acquire" {
			o.fte = 1
		}
		all = append(all, o)
	}
	erows.Close()
	trows, err := db.QueryContext(ctx, `SELECT t.person_id, t.candidates, d.outcome, d.candidate, e.captured_at
FROM tasks t JOIN decisions d ON d.task_id = t.id JOIN encounters e ON e.id = t.encounter_id
WHERE d.outcome IN ('same', 'different')`)
	if err != nil {
		return nil, fmt.Errorf("demographics: decisions: %w", err)
	}
	for trows.Next() {
		var pid, outcome, cand, at string
		var cj []byte
		if err := trows.Scan(&pid, &cj, &outcome, &cand, &at); err != nil {
			trows.Close()
			return nil, err
		}
		var cands []struct {
			PersonID string  `json:"person_id"`
			Score    float64 `json:"score"`
		}
		if err := json.Unmarshal(cj, &cands); err != nil {
			trows.Close()
			return nil, fmt.Errorf("demographics: task of person %s: candidates: %w", pid, err)
		}
		t, _ := time.Parse(time.RFC3339Nano, at)
		o := obs{key: keyOf(pid, t), subject: pid}
		for _, c := range cands {
			o.alarms++
			if outcome == "same" && c.PersonID == cand {
				o.gen = append(o.gen, c.Score)
			} else {
				o.imp = append(o.imp, c.Score)
				o.diff++
			}
		}
		all = append(all, o)
	}
	trows.Close()

	build := func(dim, group string, os []obs) *GroupStats {
		g := &GroupStats{Dimension: dim, Group: group, Genuine: make([]int, len(bins)-1), Impostor: make([]int, len(bins)-1)}
		subjects := map[string]bool{}
		var fte, att, alarms, diff int
		var gen, imp []float64
		for _, o := range os {
			subjects[o.subject] = true
			fte += o.fte
			att += o.attempts
			alarms += o.alarms
			diff += o.diff
			gen = append(gen, o.gen...)
			imp = append(imp, o.imp...)
		}
		g.Subjects = len(subjects)
		g.FTE = NewRate(fte, att)
		g.FMR = NewRate(diff, alarms)
		for _, s := range gen {
			g.Genuine[binOf(s)]++
		}
		for _, s := range imp {
			g.Impostor[binOf(s)]++
		}
		g.GenuineMedian, g.ImpostorMedian = median(gen), median(imp)
		return g
	}
	d := &Demographics{Source: "adjudication outcomes of this node (FNMR not observable; FMR = candidates above the threshold that examiners judged a different person)", Threshold: threshold, Bins: bins}
	subjects := map[string]bool{}
	for _, o := range all {
		subjects[o.subject] = true
	}
	d.Subjects = len(subjects)
	d.Overall = *build("all", "all", all)
	for i, dim := range []string{"sex", "age", "nationality"} {
		groups := map[string][]obs{}
		for _, o := range all {
			groups[o.key[i]] = append(groups[o.key[i]], o)
		}
		names := make([]string, 0, len(groups))
		for g := range groups {
			names = append(names, g)
		}
		sort.Slice(names, func(a, b int) bool {
			if dim == "age" {
				return ageOrder(names[a]) < ageOrder(names[b])
			}
			return names[a] < names[b]
		})
		for _, g := range names {
			d.Groups = append(d.Groups, build(dim, g, groups[g]))
		}
	}
	d.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return d, nil
}

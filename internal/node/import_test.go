package node

import (
	"context"
	"errors"
	"testing"

	"github.com/bixproject/bix/fingerprint"
	"github.com/bixproject/bix/internal/gallery"
)

// TestImport: bulk import writes persons and templates that searches find
// (in memory and after a restart), with audit entries naming them; wrong roles and
// malformed persons change nothing.
func TestImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := openNode(t, dir)
	st := NewSynthTemplates(3, 4)
	persons := make([]ImportPerson, 6)
	for p := range persons {
		persons[p] = ImportPerson{Person: PersonInfo{GivenName: "Imported", BirthDate: "1980-05-06", Nationality: "COL", Category: "irregular_entrant"}}
		for f := range 10 {
			persons[p].Templates = append(persons[p].Templates, st.Enrolled(p*10+f))
		}
	}
	supervisor := Actor{User: "sup", Role: RoleSupervisor}
	size0, _ := n.AuditLog().Size(ctx)

	bad := []struct {
		name string
		a    Actor
		ps   []ImportPerson
		want error
	}{
		{"officer", officer, persons, ErrForbidden},
		{"bad birth date", supervisor, []ImportPerson{{Person: PersonInfo{BirthDate: "1980-13-01"}, Templates: persons[0].Templates}}, ErrInvalid},
		{"no templates", supervisor, []ImportPerson{persons[0], {Person: persons[1].Person}}, ErrInvalid},
		{"position twice", supervisor, []ImportPerson{{Templates: []*fingerprint.Template{st.Enrolled(0), st.Enrolled(10)}}}, ErrInvalid},
	}
	for _, tc := range bad {
		if _, err := n.Import(ctx, tc.a, tc.ps); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if size, _ := n.AuditLog().Size(ctx); size != size0 || n.Gallery().Len() != 0 {
		t.Fatalf("refused imports changed the node: audit %d→%d, gallery %d", size0, size, n.Gallery().Len())
	}

	ids, err := n.Import(ctx, supervisor, persons)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(persons) || n.Gallery().Len() != 60 || n.Gallery().Persons() != 6 {
		t.Fatalf("imported %d ids, gallery %d templates of %d persons", len(ids), n.Gallery().Len(), n.Gallery().Persons())
	}
	if size, _ := n.AuditLog().Size(ctx); size != size0+1 {
		t.Errorf("audit grew by %d entries, want 1", size-size0)
	}
	// A larger import names its persons in entries of at most 250.
	many := make([]ImportPerson, 251)
	for p := range many {
		many[p] = ImportPerson{Templates: []*fingerprint.Template{st.Enrolled(100 + p*10)}}
	}
	if _, err := n.Import(ctx, supervisor, many); err != nil {
		t.Fatal(err)
	}
	if size, _ := n.AuditLog().Size(ctx); size != size0+3 {
		t.Errorf("audit grew by %d entries after 257 imported persons, want 3", size-size0)
	}
	search := func(n *Node) {
		t.Helper()
		for p := range persons {
			probe := []gallery.Sample{{Position: 2, Template: st.Probe(p*10 + 1)}, {Position: 7, Template: st.Probe(p*10 + 6)}}
			c, err := n.Gallery().Identify(ctx, probe, gallery.Options{MaxCandidates: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(c) == 0 || c[0].PersonID != ids[p] {
				t.Errorf("person %d: rank 1 %+v, want %s", p, c, ids[p])
			}
		}
	}
	search(n)
	rec, err := n.Person(ctx, supervisor, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Person.Nationality != "COL" || rec.Person.Category != "irregular_entrant" {
		t.Errorf("person %+v", rec.Person)
	}
	n.Close()
	search(openNode(t, dir))
}

package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bixproject/bix/internal/audit"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

const crashKEK = "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"

// TestMain runs a node server instead of the tests when started as the
// crash test's child process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("BIX_CRASH_CHILD"); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild serves a node on data directory dir until killed, writing its
// URL to dir/url and the admin token to dir/admin.
func crashChild(dir string) error {
	ctx := context.Background()
	kek, _ := store.ParseKEK(crashKEK)
	n, err := node.Open(ctx, node.Config{DataDir: dir, NodeID: "crash.test", KEK: kek, KeepImages: true}, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	if tok, err := n.Bootstrap(ctx); err != nil {
		return err
	} else if tok != "" {
		if err := os.WriteFile(filepath.Join(dir, "admin"), []byte(tok), 0o600); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "url.tmp"), []byte("http://"+ln.Addr().String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "url.tmp"), filepath.Join(dir, "url")); err != nil {
		return err
	}
	return NewServer(n, nil).Serve(ctx, ln)
}

// startChild starts the child node and waits for it to serve.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	os.Remove(filepath.Join(dir, "url"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BIX_CRASH_CHILD="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "url")); err == nil {
			return cmd, string(b)
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("child did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCrashConsistency kills a node with SIGKILL while it enrolls
// continuously, restarts it, and checks that every acknowledged enrollment is
// present and readable and that nothing is half-written.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	imgs := make([][]node.FingerImage, 6)
	for i := range imgs {
		imgs[i] = fingers(t, 40+i%3, i/3, 1)
	}
	child, url := startChild(t, dir)
	admin, err := os.ReadFile(filepath.Join(dir, "admin"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := (&Client{BaseURL: url, Token: string(admin)}).AddUser(ctx, "olga", "officer")
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: url, Token: u.Token}

	var mu sync.Mutex
	acked := map[string]*node.EnrollResult{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i += 2 {
				select {
				case <-stop:
					return
				default:
				}
				r, err := c.Enroll(ctx, &node.EnrollRequest{Person: node.PersonInfo{GivenName: fmt.Sprint("p", i)}, Fingers: imgs[i%len(imgs)]})
				if err != nil {
					return // the node died under us: not acknowledged
				}
				mu.Lock()
				acked[r.EncounterID] = r
				mu.Unlock()
			}
		}()
	}
	// Kill once enough enrollments are acknowledged, mid-stream.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		k := len(acked)
		mu.Unlock()
		if k >= 12 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 12 {
		t.Fatalf("only %d enrollments acknowledged before the deadline", len(acked))
	}

	// Restart and check through the API that each acknowledged enrollment
	// is there and readable.
	child, url = startChild(t, dir)
	defer func() { child.Process.Kill(); child.Wait() }()
	c.BaseURL = url
	for id, r := range acked {
		p, err := c.Person(ctx, r.PersonID)
		if err != nil {
			t.Fatalf("acknowledged enrollment %s: person %s: %v", id, r.PersonID, err)
		}
		found := false
		for _, e := range p.Encounters {
			found = found || e.ID == id
		}
		if !found && p.Status != "merged" {
			t.Errorf("encounter %s missing from person %s", id, r.PersonID)
		}
	}
	h, err := c.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Check the files directly: every encounter complete, every sealed value
	// readable, the audit log intact.
	kek, _ := store.ParseKEK(crashKEK)
	st, err := store.Open(ctx, dir, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var encounters, incomplete int
	rows, err := st.DB().QueryContext(ctx, `SELECT e.id, e.status, (SELECT count(*) FROM samples s WHERE s.encounter_id = e.id), (SELECT count(*) FROM templates t WHERE t.encounter_id = e.id) FROM encounters e`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id, status string
		var ns, nt int
		if err := rows.Scan(&id, &status, &ns, &nt); err != nil {
			t.Fatal(err)
		}
		encounters++
		ids = append(ids, id)
		if ns != 1 || (status != store.EncounterFTA && nt != 1) {
			incomplete++
			t.Errorf("encounter %s (%s) half-written: %d samples, %d templates", id, status, ns, nt)
		}
	}
	rows.Close()
	for _, id := range ids {
		sms, err := st.Samples(ctx, id)
		if err != nil || len(sms) != 1 || len(sms[0].Image) == 0 {
			t.Errorf("encounter %s samples unreadable: %v", id, err)
		}
	}
	if encounters < len(acked) {
		t.Errorf("%d encounters stored, %d acknowledged", encounters, len(acked))
	}
	var tmpl int
	st.DB().QueryRow(`SELECT count(*) FROM templates`).Scan(&tmpl)
	if h.Templates != tmpl {
		t.Errorf("restarted gallery holds %d templates, store %d", h.Templates, tmpl)
	}
	var entries int
	st.DB().QueryRow(`SELECT count(*) FROM audit_entries`).Scan(&entries)
	if entries < encounters {
		t.Errorf("%d audit entries for %d encounters", entries, encounters)
	}
	t.Logf("%d acknowledged, %d stored (in flight at the kill: %d), %d templates loaded after restart", len(acked), encounters, encounters-len(acked), h.Templates)
	skey, err := os.ReadFile(filepath.Join(dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewSigner(string(skey))
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.Open(st.DB(), signer, "crash.test").Verify(ctx); err != nil {
		t.Errorf("audit log after the crash: %v", err)
	}
}

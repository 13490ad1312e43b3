package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixproject/bix/synth"
)

// bixRun runs one bix command in-process and returns its exit code and
// output.
func bixRun(ctx context.Context, getenv func(string) string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(ctx, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv}, args)
	return code, out.String(), errb.String()
}

// freePort returns a loopback address nothing listens on (for the
// agreement's endpoints, which must be known before the nodes start).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const exchangeTestAgreement = `bix_agreement: 1
id: cli-test
version: 1
title: bix serve exchange test
valid_from: %s
valid_until: %s
parties:
  - id: us-node
    name: US test node
    country: USA
    endpoint: https://%s
    tls_spki_sha256: %s
    signing_keys: [%s]
  - id: co-node
    name: CO test node
    country: COL
    endpoint: https://%s
    tls_spki_sha256: %s
    signing_keys: [%s]
categories: [irregular_entrant, asylum_applicant]
protected_categories: [asylum_applicant]
purposes:
  - id: border_control
    legal_basis: "Test MoU art. 3"
    search_types: [fingerprint_1n]
    search_categories: [irregular_entrant]
    disclose:
      irregular_entrant: [reference_id, name, nationality]
search_types:
  fingerprint_1n: {max_candidates: 3, daily_quota: 100}
retention:
  default_days: 30
minors:
  age_below: 14
  search_purposes: []
  disclose_fields: [reference_id]
`

// TestServeExchange runs two real "bix serve" nodes with exchange: blocks,
// their identities made by "bix exchange identity", an agreement both sign
// with "bix agreement sign", and drives a partner search, the examiner's
// confirmation, the disclosure and the listings through "bix exchange".
func TestServeExchange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "BIX_KEK" {
			return "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		}
		return ""
	}
	bix := func(args ...string) string {
		t.Helper()
		code, out, errs := bixRun(ctx, getenv, args...)
		if code != 0 {
			t.Fatalf("bix %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	type nodeSpec struct{ id, country, cfg, xaddr, pin, key string }
	nodes := []*nodeSpec{{id: "us-node", country: "USA"}, {id: "co-node", country: "COL"}}
	for _, n := range nodes {
		n.xaddr = freePort(t)
		n.cfg = filepath.Join(dir, n.id+".yaml")
		cfg := fmt.Sprintf("data_dir: %s\nnode_id: %s\ncountry: %s\nlisten: 127.0.0.1:0\nexchange:\n  listen: %s\n  agreements: [agreement.yaml]\n  witness_interval: -1s\n",
			n.id, n.id, n.country, n.xaddr)
		if err := os.WriteFile(n.cfg, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		var id struct {
			Pin string `json:"tls_spki_sha256"`
			Key string `json:"signing_key"`
		}
		if err := json.Unmarshal([]byte(bix("exchange", "identity", "-config", n.cfg, "-json", "-signing-key-out", filepath.Join(dir, n.id+".key"))), &id); err != nil {
			t.Fatal(err)
		}
		n.pin, n.key = id.Pin, id.Key
		// A second call finds the same identity.
		if out := bix("exchange", "identity", "-config", n.cfg); !strings.Contains(out, n.pin) || strings.Contains(out, "created") {
			t.Errorf("identity again: %s", out)
		}
	}
	agPath := filepath.Join(dir, "agreement.yaml")
	today := time.Now().UTC()
	ag := fmt.Sprintf(exchangeTestAgreement, today.AddDate(0, 0, -1).Format("2006-01-02"), today.AddDate(1, 0, 0).Format("2006-01-02"),
		nodes[0].xaddr, nodes[0].pin, nodes[0].key, nodes[1].xaddr, nodes[1].pin, nodes[1].key)
	if err := os.WriteFile(agPath, []byte(ag), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		bix("agreement", "sign", agPath, "-key", filepath.Join(dir, n.id+".key"), "-party", n.id)
	}

	served := make(chan error, 2)
	for _, n := range nodes {
		go func() {
			code, _, errs := bixRun(ctx, getenv, "serve", "-config", n.cfg)
			if code != 0 {
				served <- fmt.Errorf("bix serve %s: exit %d: %s", n.id, code, errs)
				return
			}
			served <- nil
		}()
	}
	tokens := map[string]string{}
	for _, n := range nodes {
		admin := filepath.Join(dir, n.id, "admin.token")
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(admin); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not start", n.id)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, u := range []string{"officer", "examiner"} {
			tok := filepath.Join(dir, n.id+"-"+u+".tok")
			out := bix("user", "add", "-config", n.cfg, "-token-file", admin, u, u)
			if err := os.WriteFile(tok, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			tokens[n.id+"/"+u] = tok
		}
	}
	us, co := nodes[0], nodes[1]

	// CO enrolls a person; US searches CO with another impression.
	per := synth.NewPopulation(synth.PopulationSpec{Seed: 5, Size: 1, Agency: "COL", MinorShare: -1,
		Categories: map[synth.Category]float64{synth.IrregularEntrant: 1}}).Persons[0]
	img := func(name string, imp uint64) string {
		var buf bytes.Buffer
		if err := png.Encode(&buf, per.Fingers[1].Impression(synth.SubSeed(per.Seed, imp), synth.ImpressionOptions{})); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bix("enroll", "-config", co.cfg, "-token-file", tokens["co-node/officer"], "-given", per.GivenName, "-family", per.FamilyName,
		"-birth", per.BirthDate.Format("2006-01-02"), "-nationality", "COL", "-category", "irregular_entrant", "-f", "2="+img("enrolled.png", 1))

	out := bix("exchange", "partners", "-config", us.cfg, "-token-file", tokens["us-node/officer"])
	if !strings.Contains(out, "co-node (CO test node, COL): agreement cli-test v1") || !strings.Contains(out, "purpose border_control") {
		t.Errorf("partners:\n%s", out)
	}
	out = bix("exchange", "search", "-config", us.cfg, "-token-file", tokens["us-node/officer"], "-partner", "co-node", "-purpose", "border_control", "-json", "-f", "2="+img("probe.png", 2))
	searchFile := filepath.Join(dir, "search.json")
	os.WriteFile(searchFile, []byte(out), 0o600)
	if !strings.Contains(out, `"result": "hit"`) {
		t.Fatalf("search:\n%s", out)
	}
	out = bix("exchange", "confirm", "-config", us.cfg, "-token-file", tokens["us-node/examiner"], "-reference", "@"+searchFile+"#search.candidates.0.reference",
		"-outcome", "same", "-reason", "minutiae_agree", "@"+searchFile+"#request_id")
	if !strings.Contains(out, ": same (minutiae_agree)") {
		t.Errorf("confirm: %s", out)
	}
	out = bix("exchange", "disclose", "-config", us.cfg, "-token-file", tokens["us-node/officer"], "-reference", "@"+searchFile+"#search.candidates.0.reference", "@"+searchFile+"#request_id")
	if !strings.Contains(out, "answered, disclosed") || !strings.Contains(out, "name: "+per.GivenName) || !strings.Contains(out, "nationality: COL") {
		t.Errorf("disclose:\n%s", out)
	}
	out = bix("exchange", "received", "-config", us.cfg, "-token-file", tokens["us-node/officer"], "-partner", "co-node", "-reference", "@"+searchFile+"#search.candidates.0.reference")
	if !strings.Contains(out, "name: "+per.GivenName) {
		t.Errorf("received:\n%s", out)
	}
	out = bix("exchange", "list", "-config", co.cfg, "-token-file", tokens["co-node/officer"])
	if strings.Count(out, "← us-node") != 2 || !strings.Contains(out, "search    border_control answered  hit") {
		t.Errorf("CO's list:\n%s", out)
	}
	out = bix("exchange", "show", "-config", us.cfg, "-token-file", tokens["us-node/examiner"], "@"+searchFile+"#request_id")
	if !strings.Contains(out, `"direction": "out"`) || !strings.Contains(out, `"outcome"`) {
		t.Errorf("show:\n%s", out)
	}
	// Refusals the CLI reports.
	if code, _, errs := bixRun(ctx, getenv, "exchange", "search", "-config", us.cfg, "-token-file", tokens["us-node/officer"], "-partner", "mx-node", "-purpose", "border_control", "-f", "2="+filepath.Join(dir, "probe.png")); code != 1 || !strings.Contains(errs, "400 Bad Request") || !strings.Contains(errs, "no agreement") {
		t.Errorf("unknown partner: exit %d: %s", code, errs)
	}
	if code, _, errs := bixRun(ctx, getenv, "exchange", "search", "-config", us.cfg); code != 2 || !strings.Contains(errs, "usage: bix exchange search") {
		t.Errorf("no flags: exit %d: %s", code, errs)
	}

	cancel()
	for range nodes {
		select {
		case err := <-served:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("bix serve did not stop")
		}
	}
}

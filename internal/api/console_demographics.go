package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/bixproject/bix/internal/accountability"
	"github.com/bixproject/bix/internal/node"
)

// DemographicsFile is where, under a node's data directory, the console
// finds the demographic differential report (accountability.Demographics)
// for the auditor. The report is measured offline on a labelled population,
// not on the node's records: `bix report demographics -json >
// DIR/reports/demographics.json`.
const DemographicsFile = "reports/demographics.json"

// maxDemographicsBytes bounds the report file read.
const maxDemographicsBytes = 16 << 20

func (s *Server) auditDemographics(w http.ResponseWriter, r *http.Request, a node.Actor) error {
	if err := auditRead(a); err != nil {
		return err
	}
	path := filepath.Join(s.n.Config().DataDir, filepath.FromSlash(DemographicsFile))
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no demographic differential report on this node (bix report demographics -json > %s)", node.ErrNotFound, path)
	}
	if err != nil {
		return err
	}
	if st.Size() > maxDemographicsBytes {
		return fmt.Errorf("demographic report %s: %d bytes, at most %d", path, st.Size(), maxDemographicsBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var d accountability.Demographics
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("demographic report %s: %w", path, err)
	}
	return writeJSON(w, http.StatusOK, &d)
}

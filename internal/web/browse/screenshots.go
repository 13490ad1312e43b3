package browse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bixproject/bix/face/models"
	"github.com/bixproject/bix/internal/shareddata"
)

// Shot is one screenshot Screenshots takes: the file name and the role and
// page it shows.
type Shot struct {
	Name, Role, Page string
}

// Screenshots starts a demo node pair in a temporary directory, enrolls a
// few synthetic persons, and photographs the console's main pages at the
// Laptop viewport into dir as PNG files: sign-in, the officer's enrollment
// of an ANSI/NIST-ITL file (a possible duplicate), the person page, the
// examiner's queue and task, a partner search from node B's console (the
// officer's hit, the examiner's confirmation and disclosure), a minor's
// task waiting for its second examiner, the partner search page of a node
// without exchange, a face-only duplicate's task (when the face models and
// the shared LFW photographs are present), the auditor's log, an inclusion proof and a person's
// trail, and an officer refused the audit pages. It returns the shots
// taken; logf (may be nil) receives progress.
func Screenshots(ctx context.Context, dir string, demographicPersons int, logf func(string, ...any)) ([]Shot, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := Available(); err != nil {
		return nil, err
	}
	if demographicPersons < 2 {
		return nil, fmt.Errorf("demographic report needs at least 2 persons, not %d", demographicPersons)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "bix-console-shots-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	logf("starting a demo node pair and enrolling persons")
	f, err := NewFixture(ctx, filepath.Join(tmp, "nodes"), 4)
	if err != nil {
		return nil, err
	}
	defer f.Stop()
	nist, err := f.WriteNIST(tmp)
	if err != nil {
		return nil, err
	}
	logf("starting chromium")
	bctx, stop, err := NewBrowser(ctx, filepath.Join(tmp, "profile"))
	if err != nil {
		return nil, err
	}
	defer stop()
	base, tok := f.Pair.A.APIURL, f.Pair.A.Tokens
	var shots []Shot
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) error {
		sctx, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	shoot := func(s Shot) error {
		// Let canvases and fonts settle.
		if err := step("settle "+s.Name, chromedp.Sleep(300*time.Millisecond)); err != nil {
			return err
		}
		b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", s.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, s.Name), b, 0o644); err != nil {
			return err
		}
		logf("wrote %s (%s: %s)", filepath.Join(dir, s.Name), s.Role, s.Page)
		shots = append(shots, s)
		return nil
	}
	bBase, bTok := f.Pair.B.APIURL, f.Pair.B.Tokens
	probe, err := f.ProbeImages(tmp, f.Dup, 3)
	if err != nil {
		return nil, err
	}
	var taskID, searchID, minorTask string
	for _, run := range []func() error{
		func() error {
			return step("sign-in page", chromedp.Navigate(base+"/#/signin"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
		},
		func() error { return shoot(Shot{"signin.png", "anyone", "sign-in"}) },
		func() error {
			return step("officer enrolls", SignIn(base, tok["officer"]),
				chromedp.WaitVisible(chromedp.CSS(`#enroll-nist`)),
				chromedp.SetUploadFiles(chromedp.CSS(`#nist-file`), []string{nist}),
				chromedp.Click(chromedp.CSS(`#enroll-nist input[name=consent]`)),
				chromedp.Click(chromedp.CSS(`#enroll-nist input[name=notice]`)),
				chromedp.Click(chromedp.CSS(`#enroll-nist button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#enroll-status`)))
		},
		func() error {
			return shoot(Shot{"officer-enroll.png", "officer", "enrollment from an ANSI/NIST-ITL file"})
		},
		func() error {
			var err error
			taskID, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#enroll-task`)))
			if err != nil {
				return fmt.Errorf("task id: %w", err)
			}
			return step("person page", chromedp.Navigate(base+"/#/persons/"+f.Dup), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
		},
		func() error { return shoot(Shot{"officer-person.png", "officer", "person page"}) },
		func() error {
			return step("officer audit", chromedp.Navigate(base+"/#/audit"), chromedp.WaitVisible(chromedp.CSS(`#forbidden`)))
		},
		func() error { return shoot(Shot{"officer-audit-refused.png", "officer", "audit log (not permitted)"}) },
		func() error {
			return step("examiner queue", SignIn(base, tok["examiner"]), chromedp.WaitVisible(chromedp.CSS(`#task-list a.task-link`)))
		},
		func() error { return shoot(Shot{"examiner-queue.png", "examiner", "adjudication queue"}) },
		func() error {
			return step("examiner task", chromedp.Navigate(base+"/#/task/"+taskID), chromedp.WaitVisible(chromedp.CSS(`figure.finger canvas`)),
				chromedp.KeyEvent("s"))
		},
		func() error {
			return shoot(Shot{"examiner-task.png", "examiner", "task: probe and candidate with paired minutiae"})
		},
		func() error {
			if err := step("decide", chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.WaitVisible(chromedp.CSS(`#decided`))); err != nil {
				return err
			}
			if err := f.PartnerSearches(ctx); err != nil {
				return err
			}
			_, err := f.Pair.A.Node.AuditLog().Checkpoint(ctx)
			return err
		},
		func() error {
			return step("officer partner search", SignIn(bBase, bTok["officer"]),
				chromedp.Navigate(bBase+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#partner-search`)),
				chromedp.SetValue(chromedp.CSS(`#partner`), f.Pair.A.Spec.ID),
				chromedp.SetValue(chromedp.CSS(`#purpose`), "border_control"),
				chromedp.SetUploadFiles(chromedp.CSS(`#partner-f2`), probe[:1]),
				chromedp.SetUploadFiles(chromedp.CSS(`#partner-f7`), probe[1:]),
				chromedp.Click(chromedp.CSS(`#partner-search button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#partner-status`)),
				chromedp.WaitVisible(chromedp.CSS(`#exchange-requests a.request-link`)))
		},
		func() error {
			return shoot(Shot{"officer-partner-search.png", "officer", "partner search: a hit at the partner with a reference and score band; requests with status"})
		},
		func() error {
			var err error
			searchID, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#partner-result h2 code").textContent`))
			if err != nil {
				return fmt.Errorf("search request id: %w", err)
			}
			return step("examiner confirms and discloses", SignIn(bBase, bTok["examiner"]),
				chromedp.Navigate(bBase+"/#/exchange/"+searchID), chromedp.WaitVisible(chromedp.CSS(`#pc-1-confirm`)),
				chromedp.SetValue(chromedp.CSS(`#pc-1-outcome`), "same"),
				chromedp.Click(chromedp.CSS(`#pc-1-confirm button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#pc-1-confirmed`)),
				chromedp.Click(chromedp.CSS(`#pc-1-disclose`)),
				chromedp.WaitVisible(chromedp.CSS(`#disclosed-1`)))
		},
		func() error {
			return shoot(Shot{"examiner-partner-disclosure.png", "examiner", "partner request: the examiner's confirmation and the fields disclosed"})
		},
		func() error {
			var err error
			if minorTask, err = f.MinorTask(ctx); err != nil {
				return err
			}
			return step("first examiner reviews", SignIn(base, tok["examiner"]),
				chromedp.Navigate(base+"/#/task/"+minorTask), chromedp.WaitVisible(chromedp.CSS(`#claim`)),
				chromedp.Click(chromedp.CSS(`#claim`)),
				// The form is on the page before the claim too: wait for the
				// page the claim re-renders, or the keys may decide an
				// unclaimed task (seen on a loaded machine).
				chromedp.Poll[chromedp.Void](`!document.getElementById("claim") && document.getElementById("decide")`, chromedp.WithPollingTimeout(20*time.Second)),
				chromedp.KeyEvent("s"),
				chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				chromedp.WaitVisible(chromedp.CSS(`#review-wait`)),
				SignIn(base, tok["examiner2"]),
				chromedp.Navigate(base+"/#/task/"+minorTask), chromedp.WaitVisible(chromedp.CSS(`#review-state`)),
				chromedp.WaitVisible(chromedp.CSS(`figure.finger canvas`)))
		},
		func() error {
			return shoot(Shot{"examiner-task-review.png", "examiner", "a minor's task in review: the first examiner's decision, waiting for a second examiner"})
		},
		func() error {
			in, err := NewImageNode(ctx, filepath.Join(tmp, "images"))
			if err != nil {
				return err
			}
			defer in.Stop()
			if err := step("examiner task with images", SignIn(in.URL, in.ExaminerToken), chromedp.Navigate(in.URL+"/#/task/"+in.TaskID),
				chromedp.WaitVisible(chromedp.CSS(`figure.finger canvas`))); err != nil {
				return err
			}
			if err := shoot(Shot{"examiner-task-images.png", "examiner", "task on a node that keeps images: minutiae over the finger images"}); err != nil {
				return err
			}
			if err := step("partner search without exchange", chromedp.Navigate(in.URL+"/#/partners"), chromedp.WaitVisible(chromedp.CSS(`#no-exchange`))); err != nil {
				return err
			}
			return shoot(Shot{"partner-no-exchange.png", "examiner", "partner search on a node without a partner exchange"})
		},
		func() error {
			md, err := models.Dir(nil)
			if err == nil {
				err = models.Check(md)
			}
			lfw, ok := shareddata.Path("faces", "lfw-deepfunneled")
			if err != nil || !ok {
				logf("skipping examiner-task-face.png: it needs the face models (bix models pull) and the shared LFW photographs")
				return nil
			}
			fn, err := NewFaceNode(ctx, filepath.Join(tmp, "faces"), md, lfw)
			if err != nil {
				return err
			}
			defer fn.Stop()
			if err := step("face-only task", SignIn(fn.URL, fn.ExaminerToken), chromedp.Navigate(fn.URL+"/#/task/"+fn.TaskID),
				chromedp.WaitVisible(chromedp.CSS(`dl.fusion`)), chromedp.WaitVisible(chromedp.CSS(`figure.faces img.face-chip`))); err != nil {
				return err
			}
			return shoot(Shot{"examiner-task-face.png", "examiner", "a face-only duplicate: aligned faces side by side, fusion breakdown, face score, two examiners required"})
		},
		func() error {
			return step("auditor log", SignIn(base, tok["auditor"]), chromedp.WaitVisible(chromedp.CSS(`#checkpoint .badge`)))
		},
		func() error { return shoot(Shot{"auditor-log.png", "auditor", "audit log with checkpoint status"}) },
		func() error {
			return step("auditor proof", chromedp.Click(chromedp.CSS(`#audit-entries a.proof-link`)), chromedp.WaitVisible(chromedp.CSS(`#proof .badge`)))
		},
		func() error { return shoot(Shot{"auditor-proof.png", "auditor", "inclusion proof"}) },
		func() error {
			return step("auditor trail", chromedp.Navigate(base+"/#/trail/"+f.Dup), chromedp.WaitVisible(chromedp.CSS(`#trail-entries`)))
		},
		func() error {
			return shoot(Shot{"auditor-trail.png", "auditor", "a person's trail: who enrolled, decided, searched"})
		},
		func() error {
			logf("measuring a demographic differential report on %d synthetic persons", demographicPersons)
			if err := WriteDemographics(ctx, f.Pair.A.Node.Config().DataDir, demographicPersons); err != nil {
				return err
			}
			return step("demographics", chromedp.Navigate(base+"/#/demographics"), chromedp.WaitVisible(chromedp.CSS(`#demographics`)))
		},
		func() error {
			return shoot(Shot{"auditor-demographics.png", "auditor", "demographic differential report"})
		},
		func() error {
			return step("admin users", SignIn(base, f.Pair.A.AdminToken), chromedp.WaitVisible(chromedp.CSS(`#users`)))
		},
		func() error { return shoot(Shot{"admin-users.png", "admin", "users of the node"}) },
	} {
		if err := run(); err != nil {
			return shots, err
		}
	}
	return shots, nil
}

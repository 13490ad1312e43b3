-- 0002: the second-examiner rule. A task whose person is a minor, or whose
-- match rests on the face alone, takes effect only after decisions by
-- reviews_required different examiners; every examiner's decision is a row of
-- reviews (the effective one is also in decisions, as before).

ALTER TABLE tasks ADD COLUMN reviews_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tasks ADD COLUMN review_reasons TEXT NOT NULL DEFAULT ''; -- comma-separated: minor, face_only

CREATE TABLE reviews (
	id          TEXT PRIMARY KEY,
	task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
	outcome     TEXT NOT NULL,            -- same | different | inconclusive
	candidate   TEXT NOT NULL DEFAULT '', -- person id judged the same, for outcome same
	reason_code TEXT NOT NULL,
	examiner    TEXT NOT NULL,
	decided_at  TEXT NOT NULL,
	UNIQUE (task_id, examiner)            -- one decision per examiner and task
);
CREATE INDEX reviews_task ON reviews(task_id);

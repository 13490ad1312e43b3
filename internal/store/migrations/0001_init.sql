-- 0001: the node's records. Templates and images are sealed (AES-GCM) under
-- the data key of their encounter; deleting that key erases them.

CREATE TABLE data_keys (
	id         TEXT PRIMARY KEY,
	wrapped    BLOB NOT NULL,          -- AES-GCM(KEK, data key), AAD = id
	created_at TEXT NOT NULL
);

CREATE TABLE persons (
	id                TEXT PRIMARY KEY,   -- random, never derived from biographics
	given_name        TEXT NOT NULL DEFAULT '',
	family_name       TEXT NOT NULL DEFAULT '',
	sex               TEXT NOT NULL DEFAULT '',
	birth_date        TEXT NOT NULL DEFAULT '', -- YYYY-MM-DD or ''
	nationality       TEXT NOT NULL DEFAULT '', -- ISO 3166-1 alpha-3
	category          TEXT NOT NULL DEFAULT '',
	protection_status INTEGER NOT NULL DEFAULT 0,
	contested         INTEGER NOT NULL DEFAULT 0,
	status            TEXT NOT NULL DEFAULT 'active', -- active | pending | merged
	merged_into       TEXT REFERENCES persons(id),
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
);

CREATE TABLE encounters (
	id          TEXT PRIMARY KEY,
	person_id   TEXT NOT NULL REFERENCES persons(id),
	location    TEXT NOT NULL DEFAULT '',
	captured_at TEXT NOT NULL,
	category    TEXT NOT NULL DEFAULT '',
	consent     INTEGER NOT NULL DEFAULT 0,
	notice      INTEGER NOT NULL DEFAULT 0,
	officer     TEXT NOT NULL DEFAULT '',
	source      TEXT NOT NULL DEFAULT '',  -- json | ansi-nist
	status      TEXT NOT NULL,             -- enrolled | pending | failure_to_acquire
	key_id      TEXT NOT NULL,             -- data key sealing this encounter's templates and images
	created_at  TEXT NOT NULL
);
CREATE INDEX encounters_person ON encounters(person_id);

CREATE TABLE samples (
	id           TEXT PRIMARY KEY,
	encounter_id TEXT NOT NULL REFERENCES encounters(id),
	modality     TEXT NOT NULL,          -- finger | face
	position     INTEGER NOT NULL,
	quality      INTEGER NOT NULL,
	status       TEXT NOT NULL,          -- ok | failure_to_acquire
	reason       TEXT NOT NULL DEFAULT '',
	image_format TEXT NOT NULL DEFAULT '',
	image        BLOB                    -- sealed, AAD = sample id; NULL when images are not kept
);
CREATE INDEX samples_encounter ON samples(encounter_id);

CREATE TABLE templates (
	id           TEXT PRIMARY KEY,
	sample_id    TEXT NOT NULL REFERENCES samples(id),
	encounter_id TEXT NOT NULL REFERENCES encounters(id),
	person_id    TEXT NOT NULL REFERENCES persons(id),
	modality     TEXT NOT NULL,
	position     INTEGER NOT NULL,
	format       TEXT NOT NULL,
	sealed       BLOB NOT NULL           -- AES-GCM(data key, template), AAD = template id
);
CREATE INDEX templates_person ON templates(person_id);

CREATE TABLE watchlist (
	id         TEXT PRIMARY KEY,
	person_id  TEXT NOT NULL REFERENCES persons(id),
	list       TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	added_by   TEXT NOT NULL,
	added_at   TEXT NOT NULL,
	removed_by TEXT,
	removed_at TEXT
);
CREATE INDEX watchlist_person ON watchlist(person_id);

CREATE TABLE alerts (
	id           TEXT PRIMARY KEY,
	encounter_id TEXT NOT NULL REFERENCES encounters(id),
	person_id    TEXT NOT NULL REFERENCES persons(id),
	watchlist_id TEXT NOT NULL REFERENCES watchlist(id),
	score        REAL NOT NULL,
	created_at   TEXT NOT NULL
);

CREATE TABLE tasks (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,           -- dedup
	encounter_id TEXT NOT NULL REFERENCES encounters(id),
	person_id    TEXT NOT NULL REFERENCES persons(id), -- the provisional identity
	candidates   TEXT NOT NULL,           -- JSON candidate list
	state        TEXT NOT NULL,           -- open | claimed | decided
	claimed_by   TEXT,
	claimed_at   TEXT,
	created_at   TEXT NOT NULL
);

CREATE TABLE decisions (
	id          TEXT PRIMARY KEY,
	task_id     TEXT NOT NULL UNIQUE REFERENCES tasks(id),
	outcome     TEXT NOT NULL,            -- same | different | inconclusive
	candidate   TEXT NOT NULL DEFAULT '', -- person id judged the same, for outcome same
	reason_code TEXT NOT NULL,
	examiner    TEXT NOT NULL,
	decided_at  TEXT NOT NULL
);

CREATE TABLE users (
	name       TEXT PRIMARY KEY,
	role       TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,      -- SHA-256 of the bearer token
	created_at TEXT NOT NULL
);

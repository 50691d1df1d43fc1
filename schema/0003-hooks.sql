-- SPDX-License-Identifier: MIT
-- 0003-hooks: what the promote gate needs.
-- hook_phases: one row per run of a phase (pre-promote or post-promote)
-- against one update: its verdict and the fingerprints of the slot tree
-- and of the hook set it was reached for, so a later promote can tell
-- whether the verdict still holds (docs/staging.md, "The promote gate").
-- hook_runs gains the status 'refused' (an unsafe hook, never run), the
-- phase it belongs to, the reason the runner gave, the timeout flag and
-- the bad result lines. SQLite cannot change a CHECK in place, so
-- hook_runs and hook_findings are rebuilt keeping their rows (findings
-- first, so dropping hook_runs cascades to nothing).

CREATE TABLE hook_phases (
    id INTEGER PRIMARY KEY,
    update_id INTEGER REFERENCES updates(id),
    txn TEXT,
    phase TEXT NOT NULL CHECK (phase IN ('pre-promote', 'post-promote')),
    slot TEXT,
    slot_fingerprint TEXT NOT NULL,
    hooks_fingerprint TEXT NOT NULL,
    n_hooks INTEGER NOT NULL CHECK (n_hooks >= 0),
    required_failed INTEGER NOT NULL CHECK (required_failed >= 0),
    wanted_failed INTEGER NOT NULL CHECK (wanted_failed >= 0),
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
    reason TEXT,
    started_at_ms INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX hook_phases_update ON hook_phases(update_id, phase);

CREATE TABLE hook_runs_new (
    id INTEGER PRIMARY KEY,
    update_id INTEGER REFERENCES updates(id),
    txn TEXT,
    phase TEXT NOT NULL CHECK (phase IN ('pre-promote', 'post-promote')),
    hook TEXT NOT NULL,
    path TEXT NOT NULL,
    required INTEGER NOT NULL CHECK (required IN (0, 1)),
    attempt INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL CHECK (status IN ('running', 'pass', 'fail', 'skip', 'retry',
        'timeout', 'error', 'refused')),
    exit_code INTEGER,
    signal INTEGER,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER,
    output BLOB,
    output_truncated INTEGER NOT NULL DEFAULT 0 CHECK (output_truncated IN (0, 1)),
    phase_id INTEGER REFERENCES hook_phases(id),
    reason TEXT,
    timed_out INTEGER NOT NULL DEFAULT 0 CHECK (timed_out IN (0, 1)),
    bad_lines TEXT,
    findings_dropped INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO hook_runs_new (id, update_id, txn, phase, hook, path, required, attempt, status,
        exit_code, signal, started_at, duration_ms, output, output_truncated)
    SELECT id, update_id, txn, phase, hook, path, required, attempt, status, exit_code, signal,
        started_at, duration_ms, output, output_truncated FROM hook_runs;

CREATE TABLE hook_findings_new (
    id INTEGER PRIMARY KEY,
    hook_run_id INTEGER NOT NULL REFERENCES hook_runs_new(id) ON DELETE CASCADE,
    check_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'skip')),
    detail TEXT
) STRICT;
INSERT INTO hook_findings_new (id, hook_run_id, check_name, status, detail)
    SELECT id, hook_run_id, check_name, status, detail FROM hook_findings;

DROP TABLE hook_findings;
DROP TABLE hook_runs;
ALTER TABLE hook_runs_new RENAME TO hook_runs;
ALTER TABLE hook_findings_new RENAME TO hook_findings;
CREATE INDEX hook_runs_update ON hook_runs(update_id);
CREATE INDEX hook_runs_phase ON hook_runs(phase_id);
CREATE INDEX hook_findings_run ON hook_findings(hook_run_id);

-- SPDX-License-Identifier: MIT
-- 0001-init: the first schema of slipway's state store.
-- The store is the journal of every update: each state transition is
-- recorded before its side effect begins. Times are Unix seconds (UTC).

-- Key/value settings: device-id (made once, at creation), channel, the
-- freeze floor of verified time, canary, and the like.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Trusted TUF metadata: one row per role, the version and digest of the
-- exact bytes kept in STATE_DIR/metadata/. Versions never go down.
CREATE TABLE trusted_metadata (
    role TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    expires TEXT NOT NULL,
    length INTEGER NOT NULL CHECK (length >= 0),
    sha256 TEXT NOT NULL,
    verified_at INTEGER NOT NULL
) STRICT;

-- One update: a target moving through the states of the pipeline.
CREATE TABLE updates (
    id INTEGER PRIMARY KEY,
    txn TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL,
    version TEXT NOT NULL,
    from_version TEXT,
    length INTEGER,
    sha256 TEXT,
    slot TEXT REFERENCES slots(name),
    state TEXT NOT NULL CHECK (state IN ('available', 'downloading', 'downloaded',
        'staging', 'staged', 'checking', 'checked', 'check_failed', 'promoting',
        'promoted', 'committed', 'rolled_back', 'failed', 'cancelled')),
    actor TEXT NOT NULL,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX updates_state ON updates(state);

-- The two halves of the A/B pair.
CREATE TABLE slots (
    name TEXT PRIMARY KEY NOT NULL CHECK (name IN ('a', 'b')),
    state TEXT NOT NULL CHECK (state IN ('empty', 'staging', 'staged', 'active', 'bad')),
    version TEXT,
    update_id INTEGER REFERENCES updates(id),
    updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO slots (name, state, updated_at) VALUES
    ('a', 'empty', CAST(strftime('%s', 'now') AS INTEGER)),
    ('b', 'empty', CAST(strftime('%s', 'now') AS INTEGER));

-- Everything that happened: state transitions, promotions, rollbacks
-- (with actor and reason), trust changes.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    txn TEXT,
    update_id INTEGER REFERENCES updates(id),
    from_state TEXT,
    to_state TEXT,
    actor TEXT NOT NULL,
    reason TEXT,
    detail TEXT
) STRICT;
CREATE INDEX events_update ON events(update_id);
CREATE INDEX events_txn ON events(txn);

-- One run of one test hook against a slot.
CREATE TABLE hook_runs (
    id INTEGER PRIMARY KEY,
    update_id INTEGER REFERENCES updates(id),
    txn TEXT,
    phase TEXT NOT NULL CHECK (phase IN ('pre-promote', 'post-promote')),
    hook TEXT NOT NULL,
    path TEXT NOT NULL,
    required INTEGER NOT NULL CHECK (required IN (0, 1)),
    attempt INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL CHECK (status IN ('running', 'pass', 'fail', 'skip', 'retry',
        'timeout', 'error')),
    exit_code INTEGER,
    signal INTEGER,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER,
    output BLOB,
    output_truncated INTEGER NOT NULL DEFAULT 0 CHECK (output_truncated IN (0, 1))
) STRICT;
CREATE INDEX hook_runs_update ON hook_runs(update_id);

-- Findings a hook reported on SLIPWAY_RESULT_FD.
CREATE TABLE hook_findings (
    id INTEGER PRIMARY KEY,
    hook_run_id INTEGER NOT NULL REFERENCES hook_runs(id) ON DELETE CASCADE,
    check_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'skip')),
    detail TEXT
) STRICT;
CREATE INDEX hook_findings_run ON hook_findings(hook_run_id);

-- SPDX-License-Identifier: MIT
-- 0002-staging: what staging, promotion and rollback need.
-- Slots gain the states 'previous' (a complete tree that ran before the
-- active one: what rollback switches back to). Events gain a time in
-- milliseconds, for the timings 'slipway history' shows.
-- No release before this one wrote rows to updates, so the slots table can
-- be rebuilt without touching what refers to it.

CREATE TABLE slots_new (
    name TEXT PRIMARY KEY NOT NULL CHECK (name IN ('a', 'b')),
    state TEXT NOT NULL CHECK (state IN ('empty', 'staging', 'staged', 'active', 'previous',
        'bad')),
    version TEXT,
    update_id INTEGER REFERENCES updates(id),
    updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO slots_new (name, state, version, update_id, updated_at)
    SELECT name, state, version, update_id, updated_at FROM slots;
DROP TABLE slots;
ALTER TABLE slots_new RENAME TO slots;

ALTER TABLE events ADD COLUMN at_ms INTEGER;

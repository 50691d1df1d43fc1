-- SPDX-License-Identifier: MIT
-- 0004-delegation-verdicts: verify once for delegated roles
-- (docs/trust.md, "Verify once"). One row per delegation that accepted the
-- kept file of a delegated role: the role, a binding (lowercase hex
-- SHA-256 over the root version, the delegator's name, the delegation's
-- threshold and each of its key ids with that key's scheme and public key
-- material, in the delegation's order) and the SHA-256 and length of the
-- exact bytes it accepted. A later session whose kept file has that digest
-- and length, asked for by a delegation with the same binding, needs no
-- second signature check. Rows of a role go when its file is replaced or
-- forgotten.

CREATE TABLE delegation_verdicts (
    role TEXT NOT NULL,
    binding TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    length INTEGER NOT NULL CHECK (length >= 0),
    PRIMARY KEY (role, binding)
) STRICT, WITHOUT ROWID;

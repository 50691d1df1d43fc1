# SPDX-License-Identifier: MIT
# Helpers of the slipway-repo tests (t06NN-repo-*.sh), sourced after lib.sh:
# a private passphrase file, the repo tool and forge, an independent
# checker (tuf-indep.py: securesystemslib, nacl, cryptography), and a
# slipway client reading a repository through a file:// mirror.

FORGE=$BUILD/tools/tuf-forge
INDEP="$PYTHON $SRCDIR/tests/integration/tuf-indep.py"
PASS=$TRASH/pass
printf '%s\n' "tundra violet quarry 1987 umbrella" >"$PASS"
chmod 600 "$PASS"

# repo ARGS...: slipway-repo with the passphrase file
repo() {
    "$SLIPWAY_REPO" "$@"
}

# client_conf FILE REPO_DIR [COMPATIBLE]: a slipway configuration reading REPO_DIR by file://
client_conf() {
    {
        echo "[slipway]"
        echo "compatible = ${3:-dev}"
        echo "[mirror \"local\"]"
        echo "metadata-url = file://$2/metadata/"
        echo "targets-url = file://$2/targets/"
    } >"$1"
}

# problem_in FILE CHECK NAME: verify --json's report names a problem of CHECK in file NAME
problem_in() {
    "$PYTHON" - "$1" "$2" "$3" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
hits = [p for p in rep["problems"] if p["check"] == sys.argv[2] and p["file"] == sys.argv[3]]
if not hits:
    sys.exit("no %s problem in %s among %s" % (sys.argv[2], sys.argv[3], json.dumps(rep["problems"], indent=1)))
PY
}

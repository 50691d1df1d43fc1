#!/bin/bash
# SPDX-License-Identifier: MIT
# The hourly case on every machine (run by `make bench` as
# tests/bench/update.sh BUILD_DIR): `slipway update` with nothing new,
# against a repository served by a loopback nginx over HTTPS. Counts the
# requests the run makes (nginx's access log: the TUF workflow needs
# exactly the next-root probe and the timestamp) and the CPU time of the
# slipway process (user + sys from wait4, the child's own rusage), the
# median of BENCH_ROUNDS (20) runs, printed beside the budget: 20 ms.
# Beside it, the same measure of `slipway --version` (which only starts and
# exits): the floor that loading libcurl, OpenSSL, SQLite and their
# dependencies costs every run; and tests/bench/bare-curl.c (built here when
# a C compiler and libcurl's headers are there), which links only libcurl
# and makes the same two HTTPS requests: the floor of any libcurl client. Page faults (minor faults of the child,
# wait4) are printed for both: on a virtual machine each costs 15-20 us,
# and unlike CPU time they do not move with the load of the machine. With
# strace installed, one more run counts the fsync/fdatasync calls of the
# nothing-new path. Fails when a run makes other requests than those two;
# a median over the budget is printed as OVER BUDGET (and fails with
# BENCH_STRICT=1). With BENCH_BASELINE=PATH (another build's slipway, e.g.
# the one before a change, copied aside), each round also runs PATH on a
# state dir of its own (an older build may refuse a newer store schema),
# made from the same repository, the two alternating first, and both
# medians are printed:
# paired runs see the same load, which moves more than most changes do.
# Before each run the store's time floor is set one hour back (with
# Python's sqlite3, outside the measured process): runs a few ms apart
# would otherwise find the floor already at the current second and skip
# its write, which the hourly run never does. Every run (this build's, the
# baseline's, --version's) gets the Environment= lines of
# contrib/systemd/slipway-update.service, as the timer's runs do
# (GNUTLS_NO_IMPLICIT_INIT=1); BENCH_UNIT_ENV=0 runs them without.
set -u
BUILD=$(cd "${1:-build}" && pwd)
export BUILD
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-mirror.sh"
. "$(dirname "$0")/../integration/lib-repo.sh"

ROUNDS=${BENCH_ROUNDS:-20}
BUDGET_MS=20
UNIT=$(cd "$(dirname "$0")/../.." && pwd)/contrib/systemd/slipway-update.service
UNIT_ENV=()
if [ "${BENCH_UNIT_ENV:-1}" != 0 ]; then
    while IFS= read -r kv; do
        UNIT_ENV+=("$kv")
    done < <("$PYTHON" -c 'import shlex, sys
for line in open(sys.argv[1]):
    if line.startswith("Environment="):
        for kv in shlex.split(line[len("Environment="):]):
            print(kv)' "$UNIT")
fi

die() {
    echo "bench/update: $*" >&2
    exit 1
}

mkdir -p "$TRASH/www" "$TRASH/tree/etc"
nginx_start "$TRASH/www" || die "nginx did not start"
R=$TRASH/www/repo
repo init "$R" --key-dir "$TRASH/keys" --passphrase-file "$PASS" >/dev/null || die "repo init"
echo "bench release" >"$TRASH/tree/etc/release"
tar -C "$TRASH/tree" -cf "$TRASH/app-1.0.0.tar" . &&
    repo add "$R" "$TRASH/app-1.0.0.tar" --version 1.0.0 --compatible bench >/dev/null &&
    repo commit "$R" --key-dir "$TRASH/keys" --passphrase-file "$PASS" >/dev/null || die "publish"
cat >"$TRASH/c.conf" <<EOF
[slipway]
compatible = bench
hook-dirs = $TRASH/no-hooks
[mirror "primary"]
metadata-url = ${NGINX_URL}repo/metadata/
targets-url = ${NGINX_URL}repo/targets/
ca-file = $PKI/ca.crt
EOF
SW=("$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st")
"${SW[@]}" init --root "$R/metadata/1.root.json" >/dev/null || die "init"
rc=0 && "${SW[@]}" update >/dev/null 2>&1 || rc=$?
[ "$rc" = 14 ] || die "the first update exited $rc, not 14"
# the baseline keeps its own state: an older build may refuse a newer store schema
if [ -n "${BENCH_BASELINE:-}" ]; then
    BSW=("$BENCH_BASELINE" -c "$TRASH/c.conf" --state-dir "$TRASH/st-base")
    "${BSW[@]}" init --root "$R/metadata/1.root.json" >/dev/null || die "init (baseline)"
    rc=0 && "${BSW[@]}" update >/dev/null 2>&1 || rc=$?
    [ "$rc" = 14 ] || die "the baseline's first update exited $rc, not 14"
fi

BARE=
if ${CC:-cc} -O2 -o "$TRASH/bare-curl" "$(dirname "$0")/bare-curl.c" \
    $(pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl) 2>"$TRASH/bare-curl.err" &&
    "$TRASH/bare-curl" "$PKI/ca.crt" "${NGINX_URL}repo/metadata/2.root.json" \
        "${NGINX_URL}repo/metadata/timestamp.json" 2>>"$TRASH/bare-curl.err"; then
    BARE=$TRASH/bare-curl
fi

echo "bench/update: 'slipway update' with nothing new, $ROUNDS runs, nginx on 127.0.0.1 (HTTPS)"
if [ ${#UNIT_ENV[@]} -gt 0 ]; then
    echo "environment of every run, from Environment= of contrib/systemd/slipway-update.service" \
        "(as the timer runs it; BENCH_UNIT_ENV=0: none): ${UNIT_ENV[*]}"
else
    echo "environment of every run: the bench's own (no Environment= of the unit)"
fi
"$PYTHON" - "$ROUNDS" "$NGINX_LOG" "$BUDGET_MS" "${BENCH_STRICT:-0}" "${BENCH_BASELINE:-}" \
    "$TRASH/st/state.db" "$(printf '%s\n' "${UNIT_ENV[@]}")" \
    "$BARE" "$PKI/ca.crt" "${NGINX_URL}repo/metadata/2.root.json" \
    "${NGINX_URL}repo/metadata/timestamp.json" "${SW[@]}" update <<'PY'
import os, sqlite3, statistics, sys
rounds, log, budget, strict = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
baseline, db = sys.argv[5], sys.argv[6]
os.environ.update(kv.split("=", 1) for kv in sys.argv[7].split("\n") if kv)  # the unit's
bare = sys.argv[8:12] if sys.argv[8] else None  # bare-curl CA URL URL
argv = sys.argv[12:]


def floor_back(path=db):
    """as an hour after the last run: the run must raise the floor"""
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE settings SET value = CAST(CAST(value AS INTEGER) - 3600 AS TEXT) "
                    "WHERE key = 'time-floor'")
    con.close()

cpu, faults = [], []
base_cpu, base_faults = [], []
bad = 0
import time


base_argv = [baseline] + argv[1:]
if baseline:
    i = base_argv.index("--state-dir")
    base_argv[i + 1] += "-base"  # its own state (made above)
    base_db = os.path.join(base_argv[i + 1], "state.db")


def baseline_run():
    floor_back(base_db)
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(baseline, base_argv)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench/update: the baseline %s exited %d" % (
            baseline, os.waitstatus_to_exitcode(status)))
    base_cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
    base_faults.append(ru.ru_minflt)


floor, floor_faults = [], []
bare_cpu, bare_faults = [], []


def floor_run(cmd, cpu_list, fault_list):
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execv(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench/update: %s exited %d" % (cmd[0], os.waitstatus_to_exitcode(status)))
    cpu_list.append((ru.ru_utime + ru.ru_stime) * 1000)
    fault_list.append(ru.ru_minflt)


for i in range(rounds):
    if baseline and i % 2 == 0:
        baseline_run()
    floor_back()
    before = sum(1 for _ in open(log))
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    time.sleep(0.05)  # nginx writes its log line after the response
    reqs = [l.split()[1] for l in open(log).readlines()[before:]]
    names = sorted(r.rsplit("/", 1)[-1] for r in reqs)
    ms = (ru.ru_utime + ru.ru_stime) * 1000
    cpu.append(ms)
    faults.append(ru.ru_minflt)
    ok = code == 0 and len(reqs) == 2 and names[1] == "timestamp.json" and names[0].endswith(".root.json")
    bad += not ok
    print("  run %2d: exit %d, cpu %5.1f ms (user %.1f, sys %.1f), wall %5.1f ms, %d faults, "
          "requests: %s%s" % (
              i + 1, code, ms, ru.ru_utime * 1000, ru.ru_stime * 1000, wall * 1000,
              ru.ru_minflt, " ".join(reqs), "" if ok else "  <- not the TUF minimum"))
    if baseline and i % 2 == 1:
        baseline_run()
    # the floors in the same round, so they see the same load
    floor_run([argv[0], "--version"], floor, floor_faults)
    if bare:
        floor_run(bare, bare_cpu, bare_faults)
        time.sleep(0.05)  # its log lines, before the next round counts them
med = statistics.median(cpu)
print("median CPU (user+sys): %.1f ms (10th percentile %.1f ms)   budget: %.0f ms   %s" % (
    med, sorted(cpu)[len(cpu) // 10], budget, "within budget" if med <= budget else "OVER BUDGET"))
print("of which starting the process (median CPU of 'slipway --version'): %.1f ms; the run "
      "itself: %.1f ms" % (statistics.median(floor), med - statistics.median(floor)))
print("page faults (median): %d per run, %d for 'slipway --version'" % (
    statistics.median(faults), statistics.median(floor_faults)))
if bare:
    print("a bare libcurl program making the same 2 requests (tests/bench/bare-curl.c): median "
          "CPU %.1f ms (10th percentile %.1f ms), %d page faults; slipway's own work: %.1f ms" % (
              statistics.median(bare_cpu), sorted(bare_cpu)[len(bare_cpu) // 10],
              statistics.median(bare_faults), med - statistics.median(bare_cpu)))
else:
    print("no bare libcurl floor: tests/bench/bare-curl.c did not build or run (no C compiler "
          "or libcurl headers?)")
if baseline:
    bm = statistics.median(base_cpu)
    print("paired with the baseline %s: median CPU %.1f ms (10th percentile %.1f ms), "
          "%d page faults; this build %.1f ms, %+.1f ms" % (
              baseline, bm, sorted(base_cpu)[len(base_cpu) // 10],
              statistics.median(base_faults), med, med - bm))
print("load average now: %s" % open("/proc/loadavg").read().split()[0])
print("requests per run: the next-root probe and timestamp.json (2) in %d of %d runs" % (
    rounds - bad, rounds))
print("python-tuf: not installable here (Debian 12 has no python3-tuf package and nothing may be "
      "fetched from PyPI), so no python-tuf refresh is measured beside it")
sys.exit(1 if bad or (strict and med > budget) else 0)
PY
rc=$?
if command -v strace >/dev/null; then
    "$PYTHON" -c 'import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
with con:
    con.execute("UPDATE settings SET value = CAST(CAST(value AS INTEGER) - 3600 AS TEXT) WHERE key = ?", ("time-floor",))' "$TRASH/st/state.db"
    env "${UNIT_ENV[@]}" strace -f -c -e trace=fsync,fdatasync -o "$TRASH/syncs" "${SW[@]}" update \
        >/dev/null 2>&1
    echo "fsync and fdatasync calls of one more nothing-new run (strace -c):" \
        "$(awk '$NF == "fsync" || $NF == "fdatasync" { printf "%s %s, ", $NF, $4; n += $4 }
            END { print n + 0, "in all" }' "$TRASH/syncs")"
fi
exit $rc

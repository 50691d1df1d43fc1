#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The crash campaign driver of t0720-stage-crash.sh (one Python process, so
# the hundreds of checks cost no interpreter start-ups). For every step of
# the pipeline, every fault point the test build lists for it
# (SLIPWAY_FAULT_LIST) and every hit of that point: rebuild the state
# before the step, kill the step there (SLIPWAY_FAULT=POINT@N), start again
# (a locked command recovers first), check the invariant, crash the
# recovery itself at each point it hits and check again, then finish the
# pipeline and compare with the run that had no crash.
#
# usage: stage-crash.py SLIPWAY_T CONF STATE_DIR TREES_DIR SNAPSHOT_DIR WORK_DIR
import collections
import filecmp
import json
import os
import shutil
import subprocess
import sys

SW, CONF, ST, TREES, SNAP, WORK = sys.argv[1:7]
STEPS = [
    ["fetch", "app-1.0.0.tar"],
    ["stage", "app-1.0.0.tar"],
    ["promote"],
    ["stage", "app-1.1.0.tar.gz"],
    ["promote"],
    ["rollback", "--reason", "campaign"],
    ["stage", "app-1.2.0.tar.zst"],
    ["promote"],
]
BUSY = {"downloading", "staging", "checking", "promoting", "promoted"}


class Fail(Exception):
    pass


def run(args, fault=None, fault_list=None):
    env = dict(os.environ)
    env.pop("SLIPWAY_FAULT", None)
    env.pop("SLIPWAY_FAULT_LIST", None)
    if fault:
        env["SLIPWAY_FAULT"] = fault
    if fault_list:
        env["SLIPWAY_FAULT_LIST"] = fault_list
    p = subprocess.run([SW, "-c", CONF, "--state-dir", ST] + args, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


def must(args, **kw):
    rc, out, err = run(args, **kw)
    if rc != 0:
        raise Fail("'%s' exited %d: %s" % (" ".join(args), rc, err.strip()))
    return out


def js(args):
    return json.loads(must(args + ["--json"]))


def reset():
    shutil.rmtree(ST, ignore_errors=True)
    shutil.copytree(SNAP, ST, symlinks=True)


def at_step(k):
    # the slot backend knows a finished slot by its identity: rebuild, never copy
    reset()
    for s in STEPS[:k]:
        must(s)


def same_tree(a, b):
    c = filecmp.dircmp(a, b)
    if c.left_only or c.right_only or c.diff_files or c.funny_files:
        return False
    for d in c.common_dirs:
        if not same_tree(os.path.join(a, d), os.path.join(b, d)):
            return False
    for f in c.common_files:
        pa, pb = os.path.join(a, f), os.path.join(b, f)
        if os.path.islink(pa) != os.path.islink(pb):
            return False
        if os.path.islink(pa):
            if os.readlink(pa) != os.readlink(pb):
                return False
        elif not filecmp.cmp(pa, pb, shallow=False):
            return False
    return True


def slot_dir(name):
    return os.path.join(ST, "slots", name)


def is_empty(name):
    d = slot_dir(name)
    return not os.path.exists(d) or not os.listdir(d)


def holds(name, version):
    return os.path.isdir(slot_dir(name)) and same_tree(os.path.join(TREES, version), slot_dir(name))


def in_flight():
    s, h = js(["status"]), js(["history"])
    n = sum(1 for u in h["updates"] if u["state"] in BUSY)
    act = {x["update_txn"] for x in s["slots"] if x["state"] == "active"}
    n += sum(1 for u in h["updates"] if u["state"] == "rolled_back" and u["txn"] in act)
    rec = sum(1 for u in h["updates"] for e in u["events"] if e["kind"] == "recovery")
    return n, rec


def invariant():
    s, h = js(["status"]), js(["history"])
    if not s["consistent"]:
        raise Fail("store and disk disagree: %s" % s["problems"])
    if s["active_slot"] != s["active_slot_on_disk"]:
        raise Fail("active slot: store %s, disk %s" % (s["active_slot"], s["active_slot_on_disk"]))
    for x in s["slots"]:
        if x["active"]:
            if not holds(x["name"], x["version"]):
                raise Fail("active slot %s does not hold the tree of %s" % (x["name"], x["version"]))
        elif x["state"] == "empty" or x["on_disk"]["empty"]:
            if not is_empty(x["name"]):
                raise Fail("slot %s (%s) is not empty on disk" % (x["name"], x["state"]))
        elif not x["version"] or not holds(x["name"], x["version"]):
            raise Fail("slot %s (%s %s) is neither empty nor complete" %
                       (x["name"], x["state"], x["version"]))
    left = [(u["txn"], u["state"]) for u in h["updates"] if u["state"] in BUSY]
    if left:
        raise Fail("left in a step after recovery: %s" % left)
    return sum(1 for u in h["updates"] for e in u["events"] if e["kind"] == "recovery")


def slots_of(s):
    return [[x["name"], x["state"], x["version"]] for x in s["slots"]]


def finish(k, final):
    for i in range(k, len(STEPS)):
        rc, out, err = run(STEPS[i])
        # the interrupted step may have been finished by recovery: then it is refused (7)
        if rc != 0 and not (rc == 9 and i == k):
            raise Fail("'%s' after recovery exited %d: %s" % (" ".join(STEPS[i]), rc, err.strip()))
    got = slots_of(js(["status"]))
    if got != final:
        raise Fail("end state %s, not %s" % (got, final))
    if not holds("b", "1.2.0") or not holds("a", "1.0.0"):
        raise Fail("end trees differ from the run without a crash")


def kill(k, point, n):
    rc, out, err = run(STEPS[k], fault="%s@%d" % (point, n))
    if rc != -9 and rc != 137:
        raise Fail("'%s' with %s@%d: exit %d, not killed (%s)" %
                   (" ".join(STEPS[k]), point, n, rc, err.strip()))


def case(k, point, n, final):
    at_step(k)
    kill(k, point, n)
    pre, before = in_flight()
    rlist = os.path.join(WORK, "rlist")
    if os.path.exists(rlist):
        os.unlink(rlist)
    must(["list"], fault_list=rlist)  # start again: recovery runs first
    after = invariant()
    if pre > 0 and after <= before:
        raise Fail("%d interrupted step(s), but history shows no recovery" % pre)
    rpoints = []
    if os.path.exists(rlist):
        rpoints = sorted(set(open(rlist).read().split()))
    for i, q in enumerate(rpoints):
        at_step(k)
        kill(k, point, n)
        rc, out, err = run(["list"], fault=q)
        if rc != -9 and rc != 137:
            raise Fail("recovery with %s: exit %d, not killed" % (q, rc))
        must(["list"])
        try:
            invariant()
        except Fail as e:
            raise Fail("after a crash in recovery at %s: %s" % (q, e))
        if i == len(rpoints) - 1:
            finish(k, final)
    if not rpoints:
        finish(k, final)
    return len(rpoints)


def main():
    # the run without a crash: the points each step hits, and how often
    reset()
    counts = []
    for k, s in enumerate(STEPS):
        lst = os.path.join(WORK, "list.%d" % k)
        if os.path.exists(lst):
            os.unlink(lst)
        must(s, fault_list=lst)
        hits = open(lst).read().split() if os.path.exists(lst) else []
        counts.append(collections.Counter(hits))
    final = slots_of(js(["status"]))
    if final != [["a", "previous", "1.0.0"], ["b", "active", "1.2.0"]]:
        print("the run without a crash ended in %s" % final)
        return 1
    with open(os.path.join(WORK, "points"), "w") as f:
        for p in sorted(set(p for c in counts for p in c)):
            f.write(p + "\n")
    failed = total = rtotal = 0
    for k, c in enumerate(counts):
        for point in sorted(c):
            for n in range(1, c[point] + 1):
                total += 1
                name = "step %d '%s': killed at %s@%d" % (k + 1, " ".join(STEPS[k]), point, n)
                try:
                    rtotal += case(k, point, n, final)
                    print("ok   %s" % name)
                except Fail as e:
                    failed += 1
                    print("FAIL %s: %s" % (name, e))
    print("%d crash cases (%d points), %d crashes in recovery; %d failed" %
          (total, sum(len(c) for c in counts), rtotal, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

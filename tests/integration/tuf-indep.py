# SPDX-License-Identifier: MIT
# An independent check of a TUF repository that slipway-repo wrote, with
# code that shares nothing with slipway: canonical JSON from
# securesystemslib's encode_canonical, ed25519 from nacl (libsodium's
# Python binding), ECDSA P-256 from cryptography. It walks the root chain,
# timestamp, snapshot, targets and delegated roles and every target file,
# and asserts: every key id is sha256(encode_canonical(key object as it
# appears)); every signature present verifies; each role meets its
# threshold; versions, lengths and sha256/sha512 hashes match the links.
#
#   tuf-indep.py DIR [--root FILE]     prints a JSON summary; exit 1 on failure
import hashlib
import json
import os
import sys

from securesystemslib.formats import encode_canonical


def fail(msg):
    sys.exit("tuf-indep: " + msg)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, json.loads(data)


def keyid_of(key):
    return hashlib.sha256(encode_canonical(key).encode()).hexdigest()


def verify_sig(key, sig_hex, msg):
    sig = bytes.fromhex(sig_hex)
    kv = key["keyval"]["public"]
    if key["keytype"] == "ed25519" and key["scheme"] == "ed25519":
        from nacl.exceptions import BadSignatureError
        from nacl.signing import VerifyKey
        try:
            VerifyKey(bytes.fromhex(kv)).verify(msg, sig)
            return True
        except BadSignatureError:
            return False
    if key["keytype"] in ("ecdsa", "ecdsa-sha2-nistp256") and key["scheme"] == "ecdsa-sha2-nistp256":
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        pk = serialization.load_pem_public_key(kv.encode())
        try:
            pk.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
            return True
        except InvalidSignature:
            return False
    fail("unexpected key type %s/%s" % (key["keytype"], key["scheme"]))


def check_keys(keys, where):
    for kid, key in keys.items():
        if keyid_of(key) != kid:
            fail("%s: key id %s is not sha256 of the canonical key object" % (where, kid))


def check_role(md, keys, keyids, threshold, where, stats):
    msg = encode_canonical(md["signed"]).encode()
    good = set()
    for s in md["signatures"]:
        if s["keyid"] not in keys:
            continue  # a root signed by old and new keys: each check knows some
        if not verify_sig(keys[s["keyid"]], s["sig"], msg):
            fail("%s: signature by %s does not verify" % (where, s["keyid"]))
        stats["signatures"] += 1
        if s["keyid"] in keyids:
            good.add(s["keyid"])
    if len(good) < threshold:
        fail("%s: %d of %d signatures" % (where, len(good), threshold))
    return len(good)


def check_info(data, info, where):
    if "length" in info and info["length"] != len(data):
        fail("%s: length %d, expected %d" % (where, len(data), info["length"]))
    for alg, value in info.get("hashes", {}).items():
        if hashlib.new(alg, data).hexdigest() != value:
            fail("%s: %s mismatch" % (where, alg))


def main():
    d = sys.argv[1]
    root_file = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--root" else None
    md_dir = os.path.join(d, "metadata")
    stats = {"signatures": 0, "keyids": 0, "targets": 0, "roles": []}
    _, root = load(root_file or os.path.join(md_dir, "1.root.json"))
    check_keys(root["signed"]["keys"], "root")
    r = root["signed"]["roles"]["root"]
    check_role(root, root["signed"]["keys"], r["keyids"], r["threshold"], "root v1", stats)
    v = root["signed"]["version"]
    while os.path.exists(os.path.join(md_dir, "%d.root.json" % (v + 1))):
        _, new = load(os.path.join(md_dir, "%d.root.json" % (v + 1)))
        assert new["signed"]["version"] == v + 1
        check_keys(new["signed"]["keys"], "root v%d" % (v + 1))
        old_r = root["signed"]["roles"]["root"]
        check_role(new, root["signed"]["keys"], old_r["keyids"], old_r["threshold"],
                   "root v%d by the old root" % (v + 1), stats)
        new_r = new["signed"]["roles"]["root"]
        check_role(new, new["signed"]["keys"], new_r["keyids"], new_r["threshold"],
                   "root v%d by itself" % (v + 1), stats)
        root, v = new, v + 1
    stats["root_version"] = v
    rk = root["signed"]["keys"]
    stats["keyids"] += len(rk)
    roles = root["signed"]["roles"]
    assert root["signed"]["consistent_snapshot"] is True

    _, ts = load(os.path.join(md_dir, "timestamp.json"))
    check_role(ts, rk, roles["timestamp"]["keyids"], roles["timestamp"]["threshold"], "timestamp",
               stats)
    sm = ts["signed"]["meta"]["snapshot.json"]
    sdata, snap = load(os.path.join(md_dir, "%d.snapshot.json" % sm["version"]))
    check_info(sdata, sm, "snapshot")
    assert "length" in sm and "sha256" in sm["hashes"]
    assert snap["signed"]["version"] == sm["version"]
    check_role(snap, rk, roles["snapshot"]["keyids"], roles["snapshot"]["threshold"], "snapshot",
               stats)

    seen = set()

    def visit(name, keys, keyids, threshold, hbin=None):
        if name in seen:
            return
        seen.add(name)
        mi = snap["signed"]["meta"]["%s.json" % name]
        assert "length" in mi and "sha256" in mi["hashes"], mi
        tdata, t = load(os.path.join(md_dir, "%d.%s.json" % (mi["version"], name)))
        check_info(tdata, mi, name)
        assert t["signed"]["version"] == mi["version"]
        n = check_role(t, keys, keyids, threshold, name, stats)
        stats["roles"].append({"role": name, "version": mi["version"], "valid_signatures": n})
        for path, info in t["signed"]["targets"].items():
            stats["targets"] += 1
            if hbin is not None:  # TAP 15: the bin of a path is its sha256's first bit_length bits
                bits, i = hbin
                got = int.from_bytes(hashlib.sha256(path.encode()).digest()[:4], "big") >> (32 - bits)
                assert got == i, "target %s is in bin %s, its hash says %x" % (path, name, got)
            dirname, base = os.path.split(path)
            for alg, value in info["hashes"].items():
                fdata, _ = open(os.path.join(d, "targets", dirname, value + "." + base), "rb").read(), None
                check_info(fdata, info, "target %s (%s copy)" % (path, alg))
        dl = t["signed"].get("delegations")
        if dl:
            check_keys(dl["keys"], name + " delegations")
            stats["keyids"] += len(dl["keys"])
            for role in dl.get("roles", []):
                visit(role["name"], dl["keys"], role["keyids"], role["threshold"])
            sr = dl.get("succinct_roles")
            if sr:
                assert "roles" not in dl, "%s: both roles and succinct_roles" % name
                bits = sr["bit_length"]
                digits = len("%x" % (2**bits - 1))
                for i in range(2**bits):
                    visit("%s-%0*x" % (sr["name_prefix"], digits, i), dl["keys"], sr["keyids"],
                          sr["threshold"], (bits, i))

    visit("targets", rk, roles["targets"]["keyids"], roles["targets"]["threshold"])
    print(json.dumps(stats))


main()

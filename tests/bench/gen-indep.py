#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# An independent generator of TUF repositories for the scale benchmark,
# sharing nothing with slipway: canonical JSON from securesystemslib's
# encode_canonical, ed25519 from nacl. Writes DIR/metadata/ (consistent
# snapshots: 1.root.json, V.snapshot.json, V.targets.json, V.ROLE.json,
# timestamp.json) for N targets, each with length, sha256 and
# custom.slipway {version, compatible ["dev"]}, laid out flat in targets
# or over 256 path_hash_prefixes bins (bin-00 ... bin-ff, TAP 15's
# classic hash bins). Target files are not written (refresh and list
# read metadata only).
#
#   gen-indep.py DIR N flat|bins256
import hashlib
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from nacl.signing import SigningKey
from securesystemslib.formats import encode_canonical


def expires(days):
    t = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def key():
    sk = SigningKey.generate()
    pub = {"keytype": "ed25519", "scheme": "ed25519",
           "keyval": {"public": sk.verify_key.encode().hex()}}
    kid = hashlib.sha256(encode_canonical(pub).encode()).hexdigest()
    return sk, kid, pub


def envelope(signed, sk, kid):
    sig = sk.sign(encode_canonical(signed).encode()).signature.hex()
    return {"signatures": [{"keyid": kid, "sig": sig}], "signed": signed}


def write(mdir, name, env):
    data = json.dumps(env, separators=(",", ":"), sort_keys=True).encode()
    with open(os.path.join(mdir, name), "wb") as f:
        f.write(data)
    return data


def main():
    out, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    mdir = os.path.join(out, "metadata")
    os.makedirs(mdir, exist_ok=True)
    os.makedirs(os.path.join(out, "targets"), exist_ok=True)
    keys = {r: key() for r in ("root", "targets", "snapshot", "timestamp", "bins")}
    root = {"_type": "root", "spec_version": "1.0.31", "version": 1, "expires": expires(365),
            "consistent_snapshot": True,
            "keys": {keys[r][1]: keys[r][2] for r in ("root", "targets", "snapshot", "timestamp")},
            "roles": {r: {"keyids": [keys[r][1]], "threshold": 1}
                      for r in ("root", "targets", "snapshot", "timestamp")}}
    write(mdir, "1.root.json", envelope(root, *keys["root"][:2]))

    def entry(i):
        content = b"bundle %d\n" % i
        return {"length": len(content), "hashes": {"sha256": hashlib.sha256(content).hexdigest()},
                "custom": {"slipway": {"version": "1.0.0", "compatible": ["dev"]}}}

    paths = ["pkgs/bundle-%07d.tar" % i for i in range(n)]
    meta = {}
    top = {"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": expires(90),
           "targets": {}}
    if layout == "flat":
        for i, p in enumerate(paths):
            top["targets"][p] = entry(i)
    else:
        bins = {"%02x" % b: {} for b in range(256)}
        for i, p in enumerate(paths):
            bins[hashlib.sha256(p.encode()).hexdigest()[:2]][p] = entry(i)
        bk = keys["bins"]
        top["delegations"] = {
            "keys": {bk[1]: bk[2]},
            "roles": [{"name": "bin-" + h, "keyids": [bk[1]], "threshold": 1,
                       "terminating": True, "path_hash_prefixes": [h]} for h in sorted(bins)]}
        for h, t in sorted(bins.items()):
            signed = {"_type": "targets", "spec_version": "1.0.31", "version": 1,
                      "expires": expires(90), "targets": t}
            data = write(mdir, "1.bin-%s.json" % h, envelope(signed, *bk[:2]))
            meta["bin-%s.json" % h] = {"version": 1, "length": len(data),
                                       "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}
    data = write(mdir, "1.targets.json", envelope(top, *keys["targets"][:2]))
    meta["targets.json"] = {"version": 1, "length": len(data),
                            "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}
    snap = {"_type": "snapshot", "spec_version": "1.0.31", "version": 1, "expires": expires(7),
            "meta": meta}
    data = write(mdir, "1.snapshot.json", envelope(snap, *keys["snapshot"][:2]))
    ts = {"_type": "timestamp", "spec_version": "1.0.31", "version": 1, "expires": expires(1),
          "meta": {"snapshot.json": {"version": 1, "length": len(data),
                                     "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}}}
    write(mdir, "timestamp.json", envelope(ts, *keys["timestamp"][:2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

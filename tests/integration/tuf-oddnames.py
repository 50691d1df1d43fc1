#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Makes a small TUF repository with delegated roles named "../x" and "a/b"
# (names slipway-repo refuses to make), independently of slipway: keys and
# signatures from nacl, canonical JSON from securesystemslib. Files are laid
# out as a web server maps the client's percent-encoded names: role "a/b"
# version 1 is metadata/1.a/b.json, role "../x" is metadata/1../x.json.
# usage: tuf-oddnames.py DIR
import hashlib
import json
import os
import sys

from nacl.signing import SigningKey
from securesystemslib.formats import encode_canonical

EXPIRES = "2099-01-01T00:00:00Z"


def key():
    sk = SigningKey.generate()
    obj = {"keytype": "ed25519", "scheme": "ed25519",
           "keyval": {"public": sk.verify_key.encode().hex()}}
    kid = hashlib.sha256(encode_canonical(obj).encode()).hexdigest()
    return sk, kid, obj


def sign(signed, *keys):
    msg = encode_canonical(signed).encode()
    return {"signed": signed,
            "signatures": [{"keyid": kid, "sig": sk.sign(msg).signature.hex()}
                           for sk, kid, _ in keys]}


def write(path, md):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = json.dumps(md, indent=1, sort_keys=True).encode()
    with open(path, "wb") as f:
        f.write(data)
    return data


def fileinfo(data):
    return {"length": len(data), "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}


def main(top, specs):
    meta, tgt = os.path.join(top, "metadata"), os.path.join(top, "targets")
    root_k, ts_k, snap_k, tg_k = (key() for _ in range(4))
    if specs:
        roles = [(name, key(), d + "/") for name, d in (s.split("=", 1) for s in specs)]
        files = {d + "t.txt": ("from " + name + "\n").encode() for name, _, d in roles}
    else:
        roles = [("../x", key(), "x/"), ("a/b", key(), "ab/")]
        files = {"x/t.txt": b"from ../x\n", "ab/u.txt": b"from a/b\n"}
    for name, data in files.items():
        h = hashlib.sha256(data).hexdigest()
        d, b = os.path.split(name)
        os.makedirs(os.path.join(tgt, d), exist_ok=True)
        with open(os.path.join(tgt, d, h + "." + b), "wb") as f:
            f.write(data)

    def role_targets(name):
        return {n: dict(fileinfo(d), custom={"slipway": {"version": "1.0.0", "compatible": ["dev"]}})
                for n, d in files.items() if n.startswith(name)}

    common = {"spec_version": "1.0.31", "expires": EXPIRES, "version": 1}
    root = dict(common, _type="root", consistent_snapshot=True,
                keys={k[1]: k[2] for k in (root_k, ts_k, snap_k, tg_k)},
                roles={r: {"keyids": [k[1]], "threshold": 1}
                       for r, k in (("root", root_k), ("timestamp", ts_k),
                                    ("snapshot", snap_k), ("targets", tg_k))})
    write(os.path.join(meta, "1.root.json"), sign(root, root_k))
    targets = dict(common, _type="targets", targets={},
                   delegations={"keys": {k[1]: k[2] for _, k, _ in roles},
                                "roles": [{"name": name, "keyids": [k[1]], "threshold": 1,
                                           "terminating": False, "paths": [prefix + "*"]}
                                          for name, k, prefix in roles]})
    snap_meta = {"targets.json": fileinfo(write(os.path.join(meta, "1.targets.json"),
                                                sign(targets, tg_k)))}
    for name, k, prefix in roles:
        data = write(os.path.join(meta, "1." + name + ".json"),
                     sign(dict(common, _type="targets", targets=role_targets(prefix)), k))
        snap_meta[name + ".json"] = dict(fileinfo(data), version=1)
    snap_meta["targets.json"]["version"] = 1
    snap = dict(common, _type="snapshot", meta=snap_meta)
    sdata = write(os.path.join(meta, "1.snapshot.json"), sign(snap, snap_k))
    ts = dict(common, _type="timestamp", meta={"snapshot.json": dict(fileinfo(sdata), version=1)})
    write(os.path.join(meta, "timestamp.json"), sign(ts, ts_k))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))

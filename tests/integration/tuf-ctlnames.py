#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Makes a small TUF repository whose target and role names hold terminal
# escape sequences (CSI, OSC titles, carriage returns, C1 controls in UTF-8,
# DEL), independently of slipway: keys and signatures from nacl, canonical
# JSON from securesystemslib. A client must never print these bytes raw.
#   top-level targets: NAMES["offered"] (compatible "dev"), NAMES["other"]
#     (compatible lists holding escapes), NAMES["nofields"] (no custom)
#   delegated role ROLE (paths "team/*") with NAMES["team"] (compatible "dev")
#   delegated role GHOST (paths "ghost/*"), listed by snapshot only
#     without --unlisted-ghost
# usage: tuf-ctlnames.py DIR [--unlisted-ghost]   prints the names as JSON
import hashlib
import json
import os
import sys

from nacl.signing import SigningKey
from securesystemslib.formats import encode_canonical

EXPIRES = "2099-01-01T00:00:00Z"
NAMES = {
    "offered": "\x1b[2J\x1b]0;owned\x07app-2.0.tar",
    "other": "evil\rname\u009b31m.tar",
    "nofields": "del\x7fname.tar",
    "team": "team/\x1b]2;t\x07x\u0085y.tar",
}
ROLE = "\x1b[31mred\x1b[0m\u009b"
GHOST = "ghost\x1b[5m\r"


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


def info(data, custom=None):
    i = {"length": len(data), "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}
    if custom is not None:
        i["custom"] = custom
    return i


def slipway(version, compatible):
    return {"slipway": {"version": version, "compatible": compatible}}


def main(top, unlisted_ghost):
    meta = os.path.join(top, "metadata")
    root_k, ts_k, snap_k, tg_k, red_k, ghost_k = (key() for _ in range(6))
    common = {"spec_version": "1.0.31", "expires": EXPIRES, "version": 1}
    root = dict(common, _type="root", consistent_snapshot=True,
                keys={k[1]: k[2] for k in (root_k, ts_k, snap_k, tg_k)},
                roles={r: {"keyids": [k[1]], "threshold": 1}
                       for r, k in (("root", root_k), ("timestamp", ts_k),
                                    ("snapshot", snap_k), ("targets", tg_k))})
    write(os.path.join(meta, "1.root.json"), sign(root, root_k))
    top_targets = {
        NAMES["offered"]: info(b"offered\n", slipway("2.0.0", ["dev"])),
        NAMES["other"]: info(b"other\n", slipway("2.0.0", ["\x1b]2;title\x07", "other\x7f"])),
        NAMES["nofields"]: info(b"nofields\n"),
    }
    targets = dict(common, _type="targets", targets=top_targets,
                   delegations={"keys": {red_k[1]: red_k[2], ghost_k[1]: ghost_k[2]},
                                "roles": [{"name": ROLE, "keyids": [red_k[1]], "threshold": 1,
                                           "terminating": False, "paths": ["team/*"]},
                                          {"name": GHOST, "keyids": [ghost_k[1]], "threshold": 1,
                                           "terminating": False, "paths": ["ghost/*"]}]})
    snap_meta = {"targets.json": dict(info(write(os.path.join(meta, "1.targets.json"),
                                                 sign(targets, tg_k))), version=1)}
    red = dict(common, _type="targets",
               targets={NAMES["team"]: info(b"team\n", slipway("2.0.0", ["dev"]))})
    snap_meta[ROLE + ".json"] = dict(info(write(os.path.join(meta, "1." + ROLE + ".json"),
                                                sign(red, red_k))), version=1)
    ghost = dict(common, _type="targets",
                 targets={"ghost/g.tar": info(b"ghost\n", slipway("2.0.0", ["dev"]))})
    gdata = write(os.path.join(meta, "1." + GHOST + ".json"), sign(ghost, ghost_k))
    if not unlisted_ghost:
        snap_meta[GHOST + ".json"] = dict(info(gdata), version=1)
    snap = dict(common, _type="snapshot", meta=snap_meta)
    sdata = write(os.path.join(meta, "1.snapshot.json"), sign(snap, snap_k))
    ts = dict(common, _type="timestamp", meta={"snapshot.json": dict(info(sdata), version=1)})
    write(os.path.join(meta, "timestamp.json"), sign(ts, ts_k))
    json.dump({"names": NAMES, "role": ROLE, "ghost": GHOST}, sys.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], "--unlisted-ghost" in sys.argv[2:]))

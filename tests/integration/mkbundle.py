#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Write one bundle of the test corpus with Python's tarfile (an
# implementation independent of libarchive): hostile cases and good trees.
# usage: mkbundle.py CASE OUT [ARG]   (CASE: see CASES below)
import io
import os
import sys
import tarfile
import zipfile

MTIME = 1500000000


class Zeros(io.RawIOBase):
    """n zero bytes, read in pieces (so a large member costs no memory)."""

    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", size=None):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.mtime = MTIME
    ti.uid, ti.gid = 4242, 4243
    ti.uname, ti.gname = "", ""
    ti.linkname = link
    if kind == tarfile.REGTYPE:
        ti.size = len(data) if size is None else size
    if kind == tarfile.CHRTYPE:
        ti.devmajor, ti.devminor = 1, 3
    return ti, data


def write_tar(out, members, mode="w", fmt=tarfile.PAX_FORMAT, encoding="utf-8"):
    with tarfile.open(out, mode, format=fmt, encoding=encoding, errors="surrogateescape") as t:
        for ti, data in members:
            if ti.type == tarfile.REGTYPE:
                t.addfile(ti, data if hasattr(data, "read") else io.BytesIO(data))
            else:
                t.addfile(ti)


def ustar_header(name, size, typ):
    h = bytearray(512)
    h[0 : len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = ("%011o\0" % size).encode()
    h[136:148] = ("%011o\0" % MTIME).encode()
    h[156:157] = typ
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b" " * 8
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    return bytes(h)


def write_raw_pax(out, path):
    rec = b"path=" + path + b"\n"
    n = len(rec) + 3
    rec = b"%d " % n + rec
    assert len(rec) == n
    body = b"x"
    data = (ustar_header(b"PaxHeader/x", len(rec), b"x") + rec + bytes(-len(rec) % 512) +
            ustar_header(b"x", len(body), b"0") + body + bytes(-len(body) % 512) + bytes(1024))
    with open(out, "wb") as f:
        f.write(data)


def good_members():
    return [
        member("./", tarfile.DIRTYPE, mode=0o755),
        member("./etc", tarfile.DIRTYPE, mode=0o750),
        member("./etc/hostname", data=b"box\n"),
        member("./etc/ro", tarfile.DIRTYPE, mode=0o555),
        member("./etc/ro/key", data=b"secret", mode=0o400),
        member("./bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o755),
        member("./bin/su", data=b"su", mode=0o4755),
        member("./bin/sg", data=b"sg", mode=0o2755),
        member("./bin/link", tarfile.SYMTYPE, link="tool", mode=0o777),
        member("./etc/tool", tarfile.SYMTYPE, link="../bin/tool", mode=0o777),
        member("./bin/hard", tarfile.LNKTYPE, link="./bin/tool"),
        member("./usr/share/doc/readme", data=b"r" * 100000),
    ]


def main():
    case, out = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    m = member
    if case == "dotdot":
        write_tar(out, [m("a", tarfile.DIRTYPE, mode=0o755), m("../x", data=b"evil")])
    elif case == "absolute":
        write_tar(out, [m("/etc/x", data=b"evil")])
    elif case == "symlink-then-file":
        write_tar(out, [m("d", tarfile.DIRTYPE, mode=0o755), m("l", tarfile.SYMTYPE, link="d"),
                        m("l/x", data=b"evil")])
    elif case == "symlink-outside":
        # ARG: an absolute directory outside the slot
        write_tar(out, [m("out", tarfile.SYMTYPE, link=arg), m("out/x", data=b"evil")])
    elif case == "symlink-outside-rel":
        write_tar(out, [m("out", tarfile.SYMTYPE, link="../sentinel"), m("out/x", data=b"evil")])
    elif case == "symlink-replaced":
        write_tar(out, [m("l", tarfile.SYMTYPE, link="d"), m("l", data=b"replaces the link")])
    elif case == "symlink-loop":
        write_tar(out, [m("loop1", tarfile.SYMTYPE, link="loop2"),
                        m("loop2", tarfile.SYMTYPE, link="loop1"), m("loop1/x", data=b"evil")])
    elif case == "hardlink-passwd":
        write_tar(out, [m("pw", tarfile.LNKTYPE, link="/etc/passwd")])
    elif case == "hardlink-outside-rel":
        write_tar(out, [m("pw", tarfile.LNKTYPE, link="../sentinel/passwd")])
    elif case == "device":
        write_tar(out, [m("null", tarfile.CHRTYPE, mode=0o666)])
    elif case == "fifo":
        write_tar(out, [m("p", tarfile.FIFOTYPE, mode=0o644)])
    elif case == "many":
        write_tar(out, [m("f%05d" % i, data=b"x") for i in range(10000)], fmt=tarfile.USTAR_FORMAT)
    elif case == "inflate":
        # 64 MiB of zeros: a few tens of KiB compressed
        write_tar(out, [m("zeros", data=Zeros(64 << 20), size=64 << 20)], mode="w:gz")
    elif case == "setuid":
        write_tar(out, [m("su", data=b"su", mode=0o4755), m("sg", data=b"sg", mode=0o2711)])
    elif case == "non-utf8":
        write_tar(out, [m("caf\udce9", data=b"latin-1 name")], fmt=tarfile.GNU_FORMAT)
    elif case == "non-utf8-pax":
        # tarfile marks the name hdrcharset=BINARY
        write_tar(out, [m("caf\udce9", data=b"latin-1 name")], fmt=tarfile.PAX_FORMAT)
    elif case == "non-utf8-pax-raw":
        # a pax 'path' record that claims UTF-8 and is not
        write_raw_pax(out, b"caf\xe9")
    elif case == "truncated":
        write_tar(out, [m("a", data=os.urandom(300000)), m("b", data=b"bbb")])
        with open(out, "r+b") as f:
            f.truncate(150000)
    elif case == "truncated-gz":
        write_tar(out, [m("a", data=os.urandom(300000)), m("b", data=b"bbb")], mode="w:gz")
        size = os.path.getsize(out)
        with open(out, "r+b") as f:
            f.truncate(size // 2)
    elif case == "zip":
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("x", "a zip is not a bundle")
    elif case == "good":
        # ARG: "", "gz" or "xz" (zstd: compress the plain one with zstd(1))
        write_tar(out, good_members(), mode="w:" + arg if arg else "w")
    elif case == "good-gnu":
        write_tar(out, good_members(), fmt=tarfile.GNU_FORMAT)
    else:
        sys.exit("mkbundle.py: unknown case " + case)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A hostile mirror for slipway's integration tests (stdlib only). It serves
# files from --root over HTTPS (or plain HTTP with --plain), misbehaving as
# the first path segment says:
#
#   /ok/PATH             the file, honouring Range (206)
#   /norange/PATH        the file, ignoring Range (always 200)
#   /wrong/PATH          the same number of bytes, every byte changed
#   /endless/PATH        200 without a length, then data without end
#   /biglen/PATH         a Content-Length of 1 TB, then data without end
#   /drip/PATH           the right length announced, then one byte every 0.5 s
#   /cut/PATH            without Range: the length announced, half sent, hang up;
#                        with Range: served properly (206), so a resume works
#   /cutalways/PATH      always hang up half-way (also for ranges)
#   /badrange/PATH       answers a Range with 206 starting at the wrong offset
#   /500/PATH, /404/PATH, /403/PATH   that status
#   /silent/PATH         reads the request and never answers (for
#                        --max-seconds, then hangs up): a mirror that times out
#   /redirect/PATH       302 to --redirect-base + PATH (e.g. another port)
#   /redirect-here/PATH  302 to /redirect-here/moved/PATH (below the same
#                        base), which serves the file PATH
#   /redirect-loop/PATH  302 to itself
#   /rules/PATH          the first --rule GLOB=MODE whose GLOB matches PATH
#                        (fnmatch, '*' matching '/' too) decides the mode;
#                        "ok" when none does. E.g. --rule '*timestamp.json=endless'
#                        makes only the timestamp endless.
#
# Before any of these, a request whose whole path (as sent, not decoded) is
# the PATH of a --location PATH=LOCATION is answered 302 with that Location
# verbatim (relative, absolute, with dot segments or percent-encoding; "{port}"
# becomes this server's port). Files are looked up by the decoded path, as
# a web server does.
#
# Every request is appended to --log as "METHOD PATH RANGE" (RANGE "-" when
# none). The port it listens on (127.0.0.1, chosen by the kernel) is written
# to --port-file once it accepts connections. Endless answers stop by
# themselves after --max-seconds, so no test can leave it running forever.
import argparse
import fnmatch
import http.server
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

CHUNK = 64 * 1024


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    ssl_ctx = None

    def finish_request(self, request, client_address):
        # the TLS handshake runs in the connection's own thread, so a client
        # that refuses the certificate does not stall the others
        if self.ssl_ctx is not None:
            try:
                request = self.ssl_ctx.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        self.RequestHandlerClass(request, client_address, self)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile-mirror"

    def log_message(self, fmt, *args):
        pass

    def note(self):
        rng = self.headers.get("Range", "-")
        with LOG_LOCK:
            with open(ARGS.log, "a") as f:
                f.write("%s %s %s\n" % (self.command, self.path, rng))

    def send_plain(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def file_bytes(self, rel):
        full = os.path.realpath(os.path.join(ARGS.root, urllib.parse.unquote(rel)))
        root = os.path.realpath(ARGS.root)
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def parse_range(self, size):
        rng = self.headers.get("Range")
        if not rng or not rng.startswith("bytes=") or "," in rng:
            return None
        a, _, b = rng[6:].partition("-")
        try:
            start = int(a)
            end = int(b) if b else size - 1
        except ValueError:
            return None
        if start >= size:
            return "unsatisfiable"
        return start, min(end, size - 1)

    def serve_file(self, data, honour_range=True, cut=False, drip=False):
        rng = self.parse_range(len(data)) if honour_range else None
        if rng == "unsatisfiable":
            self.send_plain(416, headers=[("Content-Range", "bytes */%d" % len(data))])
            return
        if rng:
            start, end = rng
            body = data[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if drip:
            deadline = time.time() + ARGS.max_seconds
            for i in range(len(body)):
                if time.time() > deadline:
                    break
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.5)
            self.close_connection = True
            return
        self.wfile.write(body)

    def endless(self, length=None):
        self.send_response(200)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"A" * CHUNK
        deadline = time.time() + ARGS.max_seconds
        try:
            while time.time() < deadline:
                self.wfile.write(chunk)
        except OSError:
            pass

    def do_GET(self):
        self.note()
        if self.path in ARGS.location:
            loc = ARGS.location[self.path].replace("{port}", str(self.server.server_address[1]))
            self.send_plain(302, headers=[("Location", loc)])
            return
        parts = self.path.lstrip("/").split("/", 1)
        mode, rel = parts[0], (parts[1] if len(parts) > 1 else "")
        if mode == "rules":
            mode = "ok"
            for glob, m in ARGS.rule:
                if fnmatch.fnmatchcase(rel, glob):
                    mode = m
                    break
        self.dispatch(mode, rel)

    def dispatch(self, mode, rel):
        if mode in ("500", "404", "403"):
            self.send_plain(int(mode), b"hostile mirror says %s\n" % mode.encode())
            return
        if mode == "redirect":
            self.send_plain(302, headers=[("Location", ARGS.redirect_base + rel)])
            return
        if mode == "redirect-here":
            if not rel.startswith("moved/"):
                self.send_plain(302, headers=[("Location", "/redirect-here/moved/" + rel)])
                return
            mode, rel = "ok", rel[len("moved/"):]
        if mode == "redirect-loop":
            self.send_plain(302, headers=[("Location", self.path)])
            return
        if mode == "endless":
            self.endless()
            return
        if mode == "silent":
            time.sleep(ARGS.max_seconds)
            self.close_connection = True
            return
        if mode == "biglen":
            self.endless(10**12)
            return
        data = self.file_bytes(rel)
        if data is None:
            self.send_plain(404, b"no such file\n")
            return
        if mode == "ok":
            self.serve_file(data)
        elif mode == "norange":
            self.serve_file(data, honour_range=False)
        elif mode == "wrong":
            self.serve_file(bytes(b ^ 0x5A for b in data))
        elif mode == "drip":
            self.serve_file(data, honour_range=False, drip=True)
        elif mode == "cut":
            self.serve_file(data, cut=self.headers.get("Range") is None)
        elif mode == "cutalways":
            self.serve_file(data, cut=True)
        elif mode == "badrange":
            rng = self.parse_range(len(data))
            if rng and rng != "unsatisfiable":
                start = max(0, rng[0] - 7)
                body = data[start:]
                self.send_response(206)
                self.send_header("Content-Range",
                                 "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.serve_file(data, cut=True)
        else:
            self.send_plain(404, b"unknown mode\n")


def main():
    global ARGS, LOG_LOCK
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--plain", action="store_true")
    p.add_argument("--redirect-base", default="https://127.0.0.1:1/")
    p.add_argument("--max-seconds", type=float, default=60.0)
    p.add_argument("--rule", action="append", default=[],
                   type=lambda r: tuple(r.rsplit("=", 1)), help="GLOB=MODE for /rules/")
    p.add_argument("--location", action="append", default=[],
                   type=lambda r: tuple(r.split("=", 1)), help="PATH=LOCATION: 302 there")
    ARGS = p.parse_args()
    ARGS.location = dict(ARGS.location)
    LOG_LOCK = threading.Lock()
    srv = Server(("127.0.0.1", 0), Handler)
    if not ARGS.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        srv.ssl_ctx = ctx
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

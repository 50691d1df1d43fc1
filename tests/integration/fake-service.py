#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Fake servers for the probe tests (t0833, t0834), on a free 127.0.0.1
# port written to --port-file:
#   silent            accept, read, never answer
#   answer HEX        read the first packet, send the bytes HEX, keep reading
#                     (an MQTT broker answering a chosen CONNACK, or garbage)
#   redirect URL      answer every HTTP request with 302 Location: URL
# Every byte received is appended (hex, one line per connection) to --log.
import argparse
import socket
import sys
import threading

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("mode", choices=["silent", "answer", "redirect"])
ap.add_argument("arg", nargs="?", default="")
a = ap.parse_args()

lock = threading.Lock()


def serve(conn):
    got = b""
    answered = False
    conn.settimeout(30)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            got += data
            if answered:
                continue
            if a.mode == "answer":
                conn.sendall(bytes.fromhex(a.arg))
                answered = True
            elif a.mode == "redirect" and b"\r\n\r\n" in got:
                conn.sendall(("HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n" % a.arg).encode())
                answered = True
                break
    except OSError:
        pass
    finally:
        with lock, open(a.log, "a") as f:
            f.write(got.hex() + "\n")
        conn.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(a.port_file + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(a.port_file + ".tmp", a.port_file)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()

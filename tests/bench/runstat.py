#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Run a command N times and print its wall time and peak resident memory:
# "SECONDS MAXRSS_KB" per run, from os.wait4 (the child's own rusage).
# usage: runstat.py [--before CMD] -- COMMAND ARGS...
import os
import subprocess
import sys
import time


def run(argv):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.monotonic()
    code = os.waitstatus_to_exitcode(status)
    return t1 - t0, ru.ru_maxrss, code


def main():
    args = sys.argv[1:]
    before = None
    if args and args[0] == "--before":
        before, args = args[1], args[2:]
    if args and args[0] == "--":
        args = args[1:]
    if before:
        subprocess.run(before, shell=True, check=True)
    secs, rss, code = run(args)
    print("%.4f %d %d" % (secs, rss, code))
    return 0


if __name__ == "__main__":
    sys.exit(main())

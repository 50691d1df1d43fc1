# SPDX-License-Identifier: MIT
# Drive a program on a pseudo-terminal the way a person at a keyboard
# would, with real job control, and check what the terminal did.
#
#   ptydrive.py STEPS_JSON -- PROGRAM [ARGS...]
#
# The driver makes a new session whose controlling terminal is the pty,
# starts PROGRAM in its own foreground process group (so ^C, ^Z reach it
# from the terminal and a stop is a real stop), and runs STEPS, a JSON
# list of:
#   ["expect", TEXT]      wait (5 s) until TEXT shows after the last match
#   ["send", TEXT]        type TEXT ("\u0003" is ^C, "\u001a" is ^Z)
#   ["echo", true|false]  the terminal's ECHO flag must be so now
#   ["stopped"]           the program must stop (SIGTSTP) within 5 s
#   ["cont"]              send it SIGCONT
#   ["exit", CODE]        it must exit with CODE within 10 s
#   ["killed", SIGNAME]   it must die of SIGNAME within 5 s
#   ["absent", TEXT]      TEXT must not be in the transcript so far
# Prints the transcript; exits 0 when every step held, 1 otherwise.
import fcntl
import json
import os
import select
import signal
import sys
import termios
import time


def fail(msg, transcript):
    sys.stdout.write("ptydrive: %s\n--- transcript\n%r\n" % (msg, transcript))
    sys.exit(1)


def drive(steps, argv):
    master, slave = os.openpty()
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    # the driver stays in the background group; changing the foreground
    # group from there would stop it without this
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        os.close(slave)
        # start only once in the foreground, as a shell would have it
        while os.tcgetpgrp(0) != os.getpid():
            time.sleep(0.001)
        os.execv(argv[0], argv)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child got there first
    os.tcsetpgrp(slave, pid)

    transcript = b""
    seen = 0
    status = None

    def read_some(timeout):
        nonlocal transcript
        r, _, _ = select.select([master], [], [], timeout)
        if r:
            try:
                transcript += os.read(master, 4096)
            except OSError:
                pass

    def wait_status(flags, timeout):
        nonlocal status
        end = time.time() + timeout
        while time.time() < end:
            p, st = os.waitpid(pid, os.WNOHANG | flags)
            if p == pid:
                status = st
                return st
            read_some(0.05)
        return None

    for step in steps:
        op = step[0]
        if op == "expect":
            want = step[1].encode()
            end = time.time() + 5
            while want not in transcript[seen:]:
                if time.time() > end:
                    fail("did not see %r" % step[1], transcript)
                read_some(0.1)
            seen = transcript.index(want, seen) + len(want)
        elif op == "send":
            os.write(master, step[1].encode())
        elif op == "echo":
            on = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
            if on != step[1]:
                fail("ECHO is %s, expected %s" % (on, step[1]), transcript)
        elif op == "stopped":
            st = wait_status(os.WUNTRACED, 5)
            if st is None or not os.WIFSTOPPED(st):
                fail("the program did not stop", transcript)
        elif op == "cont":
            os.kill(pid, signal.SIGCONT)
        elif op == "exit":
            st = wait_status(0, 10)
            if st is None:
                fail("the program did not exit", transcript)
            if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != step[1]:
                fail("wait status %d, expected exit %d" % (st, step[1]), transcript)
            read_some(0.1)
        elif op == "killed":
            st = wait_status(0, 5)
            want = getattr(signal, step[1])
            if st is None or not os.WIFSIGNALED(st) or os.WTERMSIG(st) != want:
                fail("expected death by %s, wait status %r" % (step[1], st), transcript)
        elif op == "absent":
            if step[1].encode() in transcript:
                fail("%r was shown on the terminal" % step[1], transcript)
        else:
            fail("unknown step %r" % op, transcript)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sys.stdout.write("--- transcript\n%r\n" % transcript)
    sys.exit(0)


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.stderr.write("usage: ptydrive.py STEPS_JSON -- PROGRAM [ARGS...]\n")
        sys.exit(2)
    steps = json.loads(sys.argv[1])
    # a process group leader cannot make a session: do it in a child
    pid = os.fork()
    if pid == 0:
        try:
            drive(steps, sys.argv[3:])
        except SystemExit as e:
            sys.stdout.flush()
            os._exit(e.code if isinstance(e.code, int) else 1)
        except BaseException as e:  # report, never fall back into the parent's code
            sys.stdout.write("ptydrive: %r\n" % e)
            sys.stdout.flush()
            os._exit(1)
        os._exit(0)
    _, st = os.waitpid(pid, 0)
    sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 1)


if __name__ == "__main__":
    main()

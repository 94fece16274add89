#!/usr/bin/env python3
"""The step shell alone: the zygote's bash program (taken from
src/exec/zygote.rs and src/exec/session.rs) driven the way litops drives
it, one `true` step at a time, beside the floor's bare `( true ) & wait`
loop. No litops process, no transcript: what bash costs per step.

Usage: perf stat -e task-clock bench/step_shell.py zygote|floor [STEPS] [SCRIPT]
(task-clock counts the shells too; SCRIPT: a variant of the zygote's
program to compare, by default the one in the source).
"""
import os
import re
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def zygote_program():
    zygote = open(os.path.join(root, "src/exec/zygote.rs")).read()
    session = open(os.path.join(root, "src/exec/session.rs")).read()
    functions = re.search(r'macro_rules! session_functions \{\s*\(\) => \{\s*r#"(.*?)"#', session, re.S)
    parts = re.search(
        r'const ZYGOTE: &str = concat!\(\s*r#"(.*?)"#,\s*crate::session_functions!\(\),\s*r#"(.*?)"#',
        zygote,
        re.S,
    )
    if not functions or not parts:
        sys.exit("the zygote's program was not found in src/exec (moved?)")
    return parts.group(1) + functions.group(1) + parts.group(2)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "zygote"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory(prefix="litops-step-shell-") as d:
        for name in ("out", "err"):
            os.mkfifo(os.path.join(d, name))
        # Held open read-write, as litops holds them: never end-of-file.
        fifos = [os.open(os.path.join(d, n), os.O_RDWR | os.O_NONBLOCK) for n in ("out", "err")]
        with open(os.path.join(d, "step.sh"), "w") as f:
            f.write("true\n")
        if mode == "zygote":
            program = open(sys.argv[3]).read() if len(sys.argv) > 3 else zygote_program()
            args = ["bash", "--noprofile", "--norc", "-c", program, "litops-zygote", d, "0"]
            line = lambda n: b"%d 0 0 0\n" % n
        else:
            program = 'set -m\nwhile read -r n; do ( true ) & wait $!; echo "done $?"; done'
            args = ["bash", "--noprofile", "--norc", "-c", program]
            line = lambda n: b"1\n"
        shell = subprocess.Popen(
            ["setsid"] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, bufsize=0,
        )
        start = time.monotonic()
        for n in range(steps):
            shell.stdin.write(line(n))
            while not shell.stdout.readline().startswith(b"done"):
                pass
            for fd in fifos:
                try:
                    os.read(fd, 65536)
                except BlockingIOError:
                    pass
        elapsed = time.monotonic() - start
        shell.stdin.close()
        shell.wait()
        print(f"{mode}: {elapsed / steps * 1000:.3f} ms per step ({steps} steps)")


main()

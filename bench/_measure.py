"""Run one command and report its wall time and peak memory, as JSON on stdout.

    python -m bench._measure --stdout F --stderr F [--cwd DIR] [--timeout S] -- CMD...

Started fresh for every measurement, so that getrusage(RUSAGE_CHILDREN) covers exactly the command's process
tree. Peak memory is reported two ways:
  * maxrss_kib: ru_maxrss of RUSAGE_CHILDREN, the largest single process of the tree (kernel accounting);
  * tree_kib: the largest sum of VmRSS over the whole tree, sampled every 50 ms from /proc (catches worker pools,
    whose processes each stay small).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        stack += _children(pid)
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdout", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--cwd")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    peak = [0]
    done = threading.Event()
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=args.cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss(proc.pid))

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        timed_out = False
        try:
            rc = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            timed_out = True
        wall = time.perf_counter() - t0
        done.set()
        th.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    json.dump({"rc": rc, "wall": wall, "maxrss_kib": ru.ru_maxrss, "tree_kib": peak[0],
               "user": ru.ru_utime, "sys": ru.ru_stime, "timed_out": timed_out}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

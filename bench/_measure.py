"""Run one command and report its wall time and peak memory, as JSON on stdout.

    python -m bench._measure --stdout F --stderr F [--cwd DIR] [--timeout S] -- CMD...

Started fresh for every measurement, so that getrusage(RUSAGE_CHILDREN) covers exactly the command's process
tree. Peak memory is reported three ways:
  * maxrss_kib: ru_maxrss of RUSAGE_CHILDREN, the largest single process of the tree (kernel accounting);
  * tree_pss_kib: the largest sum of PSS (`Pss:` of /proc/<pid>/smaps_rollup) over the whole tree, sampled every
    50 ms (catches worker pools, whose processes each stay small). PSS charges a page shared by k processes 1/k
    to each, so the copy-on-write pages forked workers share with their parent count once in the sum; a process
    whose smaps_rollup cannot be read counts its RSS instead;
  * tree_kib: the largest sum of VmRSS over the tree, sampled alike (counts every shared page once per process
    that maps it, so it overstates a forked pool: kept for reference).
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


def _pss_kib(pid: int) -> int:
    """The process's proportional set size; its RSS when smaps_rollup is unreadable (an older kernel, a process
    that just ended, another user's)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return _rss_kib(pid)


def _tree_pids(root: int) -> list[int]:
    pids, stack, seen = [], [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        pids.append(pid)
        stack += _children(pid)
    return pids


def tree_memory(root: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in KiB over the process tree under `root`, root included."""
    pids = _tree_pids(root)
    return sum(_rss_kib(pid) for pid in pids), sum(_pss_kib(pid) for pid in pids)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdout", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--cwd")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    peak_rss, peak_pss = [0], [0]
    done = threading.Event()
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=args.cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def sample() -> None:
            while not done.wait(0.05):
                rss, pss = tree_memory(proc.pid)
                peak_rss[0], peak_pss[0] = max(peak_rss[0], rss), max(peak_pss[0], pss)

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
    json.dump({"rc": rc, "wall": wall, "maxrss_kib": ru.ru_maxrss, "tree_kib": peak_rss[0],
               "tree_pss_kib": peak_pss[0],
               "user": ru.ru_utime, "sys": ru.ru_stime, "timed_out": timed_out}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

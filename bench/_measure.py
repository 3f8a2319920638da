"""Run one command and report its wall time and peak memory, as JSON on stdout.

    python -m bench._measure --stdout F --stderr F [--cwd DIR] [--timeout S] -- CMD...

Started fresh for every measurement, so that getrusage(RUSAGE_CHILDREN) covers exactly the command's process
tree. Peak memory is reported three ways:
  * maxrss_kib: ru_maxrss of RUSAGE_CHILDREN, the largest single process of the tree (kernel accounting);
  * tree_pss_kib: the largest sum of PSS (`Pss:` of /proc/<pid>/smaps_rollup) over the whole tree, sampled every
    50 ms (catches worker pools, whose processes each stay small). PSS charges a page shared by k processes 1/k
    to each, so the copy-on-write pages forked workers share with their parent count once in the sum; a process
    whose smaps_rollup cannot be read counts its RSS instead. Reading smaps_rollup walks the process's page
    tables (about 20 ms per GiB here), so on a large tree the PSS samples are spaced out to keep the sampler under
    a tenth of one core (pss_samples says how many were taken);
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
from collections.abc import Callable


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


SAMPLE_SECONDS = 0.05
PSS_MAX_SHARE = 0.1  # of one core, for reading smaps_rollup: the cores are the ones the command is timed on


class TreeSampler:
    """Peak RSS sum and peak PSS sum of a process tree, over repeated samples."""

    def __init__(self, root: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.root, self.clock = root, clock
        self.peak_rss = self.peak_pss = self.pss_samples = 0
        self.next_pss = 0.0

    def sample(self) -> None:
        pids = _tree_pids(self.root)
        self.peak_rss = max(self.peak_rss, sum(_rss_kib(pid) for pid in pids))
        start = self.clock()
        if start < self.next_pss:
            return
        self.peak_pss = max(self.peak_pss, sum(_pss_kib(pid) for pid in pids))
        self.pss_samples += 1
        self.next_pss = start + max(SAMPLE_SECONDS, (self.clock() - start) / PSS_MAX_SHARE)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdout", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--cwd")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    done = threading.Event()
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=args.cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = TreeSampler(proc.pid)

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                sampler.sample()

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        # A blocking wait, ended by a timer on timeout: `Popen.wait(timeout=…)` polls with a growing sleep
        # (0.5 ms doubling to 50 ms), so it saw a 35 ms build end at 64 ms, and any run end up to 50 ms late.
        timer = threading.Timer(args.timeout, kill)
        timer.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        timer.cancel()
        timed_out = killed.is_set()
        done.set()
        th.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    json.dump({"rc": rc, "wall": wall, "maxrss_kib": ru.ru_maxrss, "tree_kib": sampler.peak_rss,
               "tree_pss_kib": sampler.peak_pss, "pss_samples": sampler.pss_samples,
               "user": ru.ru_utime, "sys": ru.ru_stime, "timed_out": timed_out}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

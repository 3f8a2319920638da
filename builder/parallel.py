"""Spread a build step over every core: forked workers inherit the loaded model, results come back in order.

Workers are forked (not spawned) after the model is built, so they share it without pickling it; only the
inputs' indexes go out and small results come back. Below `threshold` items, or on one core, or where fork
is unavailable, the work runs in this process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import gc

import os
import sys
import time
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

JOBS_ENV = "BRIEFING_JOBS"  # how many workers at most; 1 turns parallel work off
_job: tuple[Callable[[object], object], Sequence[object]] | None = None  # what the forked workers run


def cores() -> int:
    """Workers to use: the cores this process may run on, capped by BRIEFING_JOBS."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    wanted = os.environ.get(JOBS_ENV, "").strip()
    return max(1, min(count, int(wanted))) if wanted.isdigit() and int(wanted) > 0 else count


def _run_chunk(bounds: tuple[int, int]) -> tuple[int, list[object]]:
    assert _job is not None
    work, items = _job
    return bounds[0], [work(items[i]) for i in range(*bounds)]


def _chunks(count: int, workers: int, solo: int = 0) -> list[tuple[int, int]]:
    # Small chunks keep both cores busy to the end and let the progress bar move; ~16 per worker.
    size = max(1, min(64, (count - solo) // (workers * 16) or 1))
    return [(i, i + 1) for i in range(min(solo, count))] + [
        (start, min(start + size, count)) for start in range(solo, count, size)]


def fork_map(work: Callable[[T], R], items: Sequence[T], threshold: int = 200, solo: int = 0,
             progress: Callable[[int], None] | None = None, jobs: int | None = None,
             keep: Callable[[R], R] | None = None) -> list[R]:
    """[work(x) for x in items], over all cores when there are enough items; results in input order.

    The first `solo` items are handed out one by one, first: put the slowest there. `jobs=1` never forks
    (the live server's rebuilds: a process running threads must not fork).

    A worker that dies (killed, out of memory) fails the build with BrokenProcessPool instead of hanging it.
    `keep`: what to keep of each result, applied as it arrives (before the next chunk is received).
    """
    global _job
    # Imported here, not above: a build with nothing to do imports this module for `Progress` and never forks.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = min(jobs or cores(), cores(), len(items))
    if len(items) < threshold or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _serial(work, items, progress, keep)
    results: list[R | None] = [None] * len(items)
    _job = (work, items)  # type: ignore[assignment]
    try:
        # A worker collects garbage as usual, even when forked while its parent does not (`build._build`).
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=gc.enable) as pool:
            done = 0
            for future in as_completed([pool.submit(_run_chunk, c) for c in _chunks(len(items), workers, solo)]):
                start, chunk = future.result()
                results[start:start + len(chunk)] = [keep(r) for r in chunk] if keep else chunk  # type: ignore[assignment]
                done += len(chunk)
                if progress:
                    progress(done)
    finally:
        _job = None
    return results  # type: ignore[return-value]


def _serial(work: Callable[[T], R], items: Sequence[T], progress: Callable[[int], None] | None,
            keep: Callable[[R], R] | None = None) -> list[R]:
    out = []
    for done, item in enumerate(items, start=1):
        out.append(keep(work(item)) if keep else work(item))
        if progress and done % 16 == 0:
            progress(done)
    if progress:
        progress(len(items))
    return out


class Progress:
    """A one-line progress bar on stderr, shown only on a terminal and only once a build has run ~2 s."""

    DELAY = 2.0

    def __init__(self, stream: object = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.shown = False
        self.last = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.marks: list[tuple[str, float]] = []

    def update(self, label: str, done: int = 0, total: int = 0) -> None:
        now = time.monotonic()
        if not self.tty or now - self.started < self.DELAY or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        bar = ""
        if total:
            filled = int(24 * done / total)
            bar = f" [{'#' * filled}{'.' * (24 - filled)}] {done}/{total}"
        self.stream.write(f"\r\x1b[2K{label}{bar}")  # type: ignore[attr-defined]
        self.stream.flush()  # type: ignore[attr-defined]
        self.shown = True

    def mark(self, step: str) -> None:
        """The end of a build step; with BRIEFING_TIMINGS=1 each step's seconds go to stderr at the end."""
        self.marks.append((step, time.monotonic()))

    def timings(self) -> str:
        times, last = [], self.started
        for step, at in self.marks:
            times.append(f"{step} {at - last:.2f}")
            last = at
        return "timings (s): " + ", ".join(times)

    def counter(self, label: str, total: int) -> Callable[[int], None]:
        return lambda done: self.update(label, done, total)

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")  # type: ignore[attr-defined]
            self.stream.flush()  # type: ignore[attr-defined]
            self.shown = False
        if os.environ.get("BRIEFING_TIMINGS") and self.marks:
            self.stream.write(self.timings() + "\n")  # type: ignore[attr-defined]

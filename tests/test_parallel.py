"""fork_map: results in input order, over forked workers or in this process, each passed through `keep` as it
arrives."""

from __future__ import annotations

import os

import pytest

from builder.parallel import cores, fork_map


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_order_and_each_passes_through_keep(jobs: int) -> None:
    kept: list[int] = []

    def keep(result: tuple[int, int]) -> tuple[int, int]:
        kept.append(result[0])
        return result[0] + 1, result[1]

    items = list(range(300))
    results = fork_map(_square_and_pid, items, threshold=10, jobs=jobs, keep=keep)
    assert [value for value, _ in results] == [x * x + 1 for x in items]
    assert sorted(kept) == sorted(x * x for x in items)  # every result, once, in this process
    workers = {pid for _, pid in results}
    assert (workers == {os.getpid()}) == (jobs == 1 or cores() < 2)  # forked when it may be


def _collecting(_: int) -> bool:
    import gc

    return gc.isenabled()


def test_workers_collect_garbage_though_forked_while_the_build_does_not() -> None:
    import gc

    gc.disable()  # as the build does while it loads and plans
    try:
        results = fork_map(_collecting, list(range(40)), threshold=10, jobs=2)
    finally:
        gc.enable()
    assert all(results) or cores() < 2

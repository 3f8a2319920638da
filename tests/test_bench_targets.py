"""The benchmark's verdicts on issue 12's targets, from made-up measurements just inside and just outside each
limit (no timing here: the targets are checked by `make bench`), the memory sampler's PSS accounting, and
that the measurer sees a process end when it ends."""

from __future__ import annotations

import builtins
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest

from bench import _measure
from bench import run as bench
from bench.run import INFORMATION, LARGE, MET, NOT_JUDGED, NOT_MET, SMALL, Measure

Figures = dict[tuple[int, str], float]

# Seconds (and MiB under "mem"), comfortably meeting every target.
COMFORTABLE: Figures = {
    (SMALL, "ours_cold"): 1.0, (SMALL, "hugo_cold"): 1.0, (SMALL, "pelican_cold"): 10.0,
    (SMALL, "ours_nochange"): 0.01, (SMALL, "ours_edit"): 0.5, (SMALL, "hugo_server"): 0.05,
    (SMALL, "ours_serve"): 0.05, (SMALL, "ours_serve_first"): 0.05,
    (SMALL, "ours_mem"): 100.0, (SMALL, "hugo_mem"): 200.0,
    (LARGE, "ours_cold"): 10.0, (LARGE, "hugo_cold"): 10.0, (LARGE, "pelican_cold"): 100.0,
    (LARGE, "ours_nochange"): 0.1, (LARGE, "ours_edit"): 2.0, (LARGE, "hugo_server"): 1.0,
    (LARGE, "ours_serve"): 0.5, (LARGE, "ours_serve_first"): 0.5,
    (LARGE, "ours_mem"): 500.0, (LARGE, "hugo_mem"): 1000.0,
}


def results(figures: Figures, sizes: tuple[int, ...] = (SMALL, LARGE)) -> dict[int, dict[str, Measure]]:
    out: dict[int, dict[str, Measure]] = {}
    for n in sizes:
        f = {key: value for (size, key), value in figures.items() if size == n}
        res = {key: Measure(key, runs=[f[key]], cpu=[f[key]])
               for key in ("ours_cold", "hugo_cold", "pelican_cold", "ours_nochange", "ours_edit", "hugo_server")}
        res["ours_cold"].mem_mib = [f["ours_mem"]]
        res["hugo_cold"].mem_mib = [f["hugo_mem"]]
        # The first edit after start, then two more at the median.
        res["ours_serve"] = Measure("ours_serve", runs=[f["ours_serve_first"], f["ours_serve"], f["ours_serve"]],
                                    extra={"first_edit": f["ours_serve_first"]})
        out[n] = res
    return out


def verdicts(figures: Figures, sizes: tuple[int, ...] = (SMALL, LARGE)) -> dict[str, tuple[str, str]]:
    return {target: (verdict, measured) for target, verdict, measured in bench.targets(results(figures, sizes))}


def row(rows: dict[str, tuple[str, str]], start: str) -> tuple[str, str]:
    (hit,) = [key for key in rows if key.startswith(start)]
    return rows[hit]


# Each target: the row it judges, and how to set one figure at `factor` times its limit.
Push = Callable[[Figures, float], None]
CASES: dict[str, tuple[str, Push]] = {
    "pelican small": (f"N={SMALL:,}: cold build ≥ 2× faster than Pelican",
                      lambda f, k: f.update({(SMALL, "pelican_cold"): 2 * f[SMALL, "ours_cold"] / k})),
    "pelican large": (f"N={LARGE:,}: cold build ≥ 2× faster than Pelican",
                      lambda f, k: f.update({(LARGE, "pelican_cold"): 2 * f[LARGE, "ours_cold"] / k})),
    "hugo cold small": (f"N={SMALL:,}: cold build ≤ 3× Hugo",
                        lambda f, k: f.update({(SMALL, "hugo_cold"): f[SMALL, "ours_cold"] / 3 / k})),
    "hugo cold large": (f"N={LARGE:,}: cold build ≤ 3× Hugo",
                        lambda f, k: f.update({(LARGE, "hugo_cold"): f[LARGE, "ours_cold"] / 3 / k})),
    "memory large": (f"N={LARGE:,}: cold-build peak memory ≤ Hugo",
                     lambda f, k: f.update({(LARGE, "ours_mem"): f[LARGE, "hugo_mem"] * k})),
    "serve median small": (f"N={SMALL:,}: `serve` one-brief edit ≤ 100 ms",
                           lambda f, k: f.update({(SMALL, "ours_serve"): 0.1 * k})),
    "serve first edit small": (f"N={SMALL:,}: `serve` one-brief edit ≤ 100 ms",
                               lambda f, k: f.update({(SMALL, "ours_serve_first"): 0.1 * k})),
    "serve first edit large": (f"N={LARGE:,}: `serve` one-brief edit < `hugo server`",
                               lambda f, k: f.update({(LARGE, "ours_serve_first"): f[LARGE, "hugo_server"] * k})),
    "cli edit large": (f"N={LARGE:,}: CLI one-brief edit ≤ Hugo's cold build",
                       lambda f, k: f.update({(LARGE, "ours_edit"): f[LARGE, "hugo_cold"] * k})),
    "no-change small": (f"N={SMALL:,}: no-change rebuild ≤ 0.05×",
                        lambda f, k: f.update({(SMALL, "ours_nochange"): 0.05 * f[SMALL, "hugo_cold"] * k})),
    "no-change large": (f"N={LARGE:,}: no-change rebuild ≤ 0.05×",
                        lambda f, k: f.update({(LARGE, "ours_nochange"): 0.05 * f[LARGE, "hugo_cold"] * k})),
    "linear": ("cold build at N=10,000 ≤ 11×",
               lambda f, k: f.update({(LARGE, "ours_cold"): 11 * f[SMALL, "ours_cold"] * k})),
}


def test_the_table_lists_every_target_of_issue_12_once() -> None:
    rows = verdicts(COMFORTABLE)
    assert len(rows) == 12  # 5 at N=1,000 (memory there reported only), 6 at N=10,000, and linear cost
    assert {verdict for verdict, _ in rows.values()} == {MET, INFORMATION}
    assert row(rows, f"N={SMALL:,}: cold-build peak memory")[0] == INFORMATION
    for target, _push in CASES.values():
        row(rows, target)  # exactly one row each


@pytest.mark.parametrize("case", CASES)
def test_just_inside_a_limit_is_met_and_just_outside_is_not(case: str) -> None:
    target, push = CASES[case]
    inside, outside = dict(COMFORTABLE), dict(COMFORTABLE)
    push(inside, 0.999)
    push(outside, 1.001)
    assert row(verdicts(inside), target)[0] == MET
    missed = verdicts(outside)
    verdict, measured = row(missed, target)
    assert verdict == NOT_MET
    assert "needs " in measured and " less" in measured
    assert [t for t, (v, _) in missed.items() if v == NOT_MET] == [next(t for t in missed if t.startswith(target))]


def test_a_serve_edit_exactly_as_long_as_hugos_is_not_below_it() -> None:
    figures = dict(COMFORTABLE)
    figures[LARGE, "ours_serve"] = figures[LARGE, "ours_serve_first"] = figures[LARGE, "hugo_server"]
    assert row(verdicts(figures), f"N={LARGE:,}: `serve` one-brief edit")[0] == NOT_MET


def test_memory_at_the_small_size_is_reported_not_judged() -> None:
    figures = dict(COMFORTABLE)
    figures[SMALL, "ours_mem"] = 3 * figures[SMALL, "hugo_mem"]
    verdict, measured = row(verdicts(figures), f"N={SMALL:,}: cold-build peak memory")
    assert verdict == INFORMATION
    assert "3.00×" in measured


def test_a_run_of_one_size_still_lists_every_target_and_judges_what_it_can() -> None:
    rows = verdicts(COMFORTABLE, sizes=(SMALL,))
    assert len(rows) == 12
    assert {v for t, (v, _) in rows.items() if not t.startswith(f"N={SMALL:,}")} == {NOT_JUDGED}
    assert row(rows, f"N={SMALL:,}: cold build ≤ 3× Hugo")[0] == MET


def test_a_failed_measurement_is_not_judged() -> None:
    res = results(COMFORTABLE)
    res[LARGE]["hugo_cold"].error = "exit 1: boom"
    rows = {t: v for t, v, _ in bench.targets(res)}
    assert rows[next(t for t in rows if t.startswith(f"N={LARGE:,}: cold build ≤ 3× Hugo"))] == NOT_JUDGED
    assert rows[next(t for t in rows if t.startswith(f"N={LARGE:,}: cold build ≥ 2×"))] == MET


def test_the_report_renders_the_tables() -> None:
    info = {"date": "d", "cpu": "c", "cores": 2, "memory": "m", "os": "o", "commit": "x", "engine": "e",
            "engine_after": "e", "load": "0"}
    text = bench.render(results(COMFORTABLE), info, {"python": "3"}, ["--sizes", "1000,10000"])
    assert text.count("| **met** |") == 11
    assert "PSS" in text and "first edit after the server starts" in text


def test_the_tree_pss_counts_pages_that_forked_workers_share_once() -> None:
    script = textwrap.dedent("""
        import os, sys, time
        shared = bytearray(b"x") * (48 << 20)   # written, so resident; the children share it copy-on-write
        for _ in range(2):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        rss_sum, pss_sum = _measure.tree_memory(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    mib = 1024
    assert rss_sum >= 3 * 48 * mib  # the 48 MiB, once in each of the three processes
    assert 48 * mib <= pss_sum < 2 * 48 * mib  # ... and once in all


def test_pss_falls_back_to_rss_when_smaps_rollup_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = builtins.open

    def refuse_smaps(path, *args, **kwargs):
        if str(path).endswith("/smaps_rollup"):
            raise PermissionError(path)
        return real_open(path, *args, **kwargs)

    pid = os.getpid()
    pss = _measure._pss_kib(pid)
    monkeypatch.setattr(builtins, "open", refuse_smaps)
    fallback, rss = _measure._pss_kib(pid), _measure._rss_kib(pid)
    assert abs(fallback - rss) <= 1024  # the same figure, give or take what this process allocated meanwhile
    assert pss < rss  # while readable, PSS it was: this interpreter shares its libraries


def test_pss_is_read_less_often_when_reading_it_is_expensive(monkeypatch: pytest.MonkeyPatch) -> None:
    """smaps_rollup costs ~20 ms per GiB: on a large tree the sampler must not take the cores it measures."""
    now = [0.0]

    def expensive_pss(pid: int) -> int:
        now[0] += 0.08  # a 4 GiB process
        return 1

    monkeypatch.setattr(_measure, "_pss_kib", expensive_pss)
    monkeypatch.setattr(_measure, "_tree_pids", lambda root: [root])  # not the test runner's own children
    sampler = _measure.TreeSampler(os.getpid(), clock=lambda: now[0])
    for _ in range(100):  # 5 s of 50 ms ticks, plus the time the PSS reads took
        sampler.sample()
        now[0] += _measure.SAMPLE_SECONDS
    reading = 0.08 * sampler.pss_samples
    assert sampler.pss_samples >= 2
    assert reading <= _measure.PSS_MAX_SHARE * now[0] + 0.08  # at most a tenth of the time, give or take one read
    assert sampler.peak_rss > 0  # RSS is still read on every tick


def _measured(*argv: str) -> dict:
    ran = subprocess.run([sys.executable, "-m", "bench._measure", "--stdout", os.devnull, "--stderr", os.devnull,
                          *argv], capture_output=True, text=True, check=True, cwd=bench.REPO)
    return __import__("json").loads(ran.stdout)


def test_the_wall_time_ends_when_the_process_does_and_a_timeout_still_stops_it() -> None:
    # Popen.wait(timeout=…) polls with a sleep that doubles up to 50 ms: it saw any process that ends after
    # 32 ms at 64 ms at the earliest. The measurer waits for the end itself.
    walls = [_measured("--", "sleep", "0.035")["wall"] for _ in range(3)]
    assert min(walls) < 0.060, walls
    stopped = _measured("--timeout", "0.3", "--", "sleep", "30")
    assert stopped["timed_out"] and stopped["rc"] != 0 and stopped["wall"] < 10

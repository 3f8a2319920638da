"""A build that dies part-way never damages the last good site, and never blocks the next build.

Kills are real: the command runs in a subprocess, through a small wrapper that stops it at a chosen
moment (after k files of the new site are written, inside the search-index/zip step, or just after the
swap), and the test sends SIGKILL, so no `finally` or `except` of the engine runs. The engine itself
has no test hook.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder import output
from builder.build import build
from builder.problems import BuildFailed
from builder import write
from builder.write import safe_target
from conftest import REPO, mini_files, run_cli, write_project

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and the leftover check are POSIX")

# Runs the real command, but parks it (as if frozen mid-way) at one moment, announced by a marker file.
KILLABLE = '''
import os, sys, time
from pathlib import Path

import builder.publish as publish
import builder.write as write

mode, at, marker = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])


def park():
    marker.write_text(str(os.getpid()))
    while True:
        time.sleep(60)


if mode == "write":  # after `at` files of the new site are written to the staging folder
    real_target, count = write.safe_target, [0]

    def safe_target(root, rel):
        if count[0] == at:
            park()
        count[0] += 1
        return real_target(root, rel)
    write.safe_target = safe_target
elif mode == "finish":  # inside the last step before the swap: 0 = before the search index, 1 = after the zip
    real_finish = publish.finish

    def finish(site, *args):
        if at:
            real_finish(site, *args)
        park()
    publish.finish = finish
elif mode == "swapped":  # the new site is in place; the old one is not yet deleted
    real_exchange = write._exchange

    def exchange(a, b):
        if real_exchange(a, b):
            park()
        return False
    write._exchange = exchange

from builder.cli import main
sys.exit(main(sys.argv[4:]))
'''


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".site."))


def kill_at(root: Path, tmp: Path, mode: str, at: int) -> int:
    """Start a build, wait until it parks at the moment asked for, and SIGKILL it there."""
    script = tmp / "killable.py"
    script.write_text(KILLABLE, encoding="utf-8")
    marker = tmp / f"parked-{mode}-{at}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script), mode, str(at), str(marker), "--project", str(root),
                             "build"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, f"build ended before {mode}@{at}: {proc.communicate()}"
            assert time.monotonic() < deadline, f"build never reached {mode}@{at}"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return proc.pid


def test_killed_builds_leave_the_site_whole_and_the_next_build_cleans_up(tmp_path: Path) -> None:
    # Guards: output.stage_output builds the new site in a staging folder beside `out`; write.swap_in
    # exchanges the two in one step (renameat2); write.remove_leftovers deletes the staging folders of
    # killed builds at the start of the next one.
    root = write_project(tmp_path / "mini", mini_files())
    assert run_cli("--project", str(root), "build").returncode == 0
    old = snapshot(root / "site")
    brief = root / "content" / "briefs" / "resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8").replace("The resignation", "The resignation, revised"),
                     encoding="utf-8")
    reference = tmp_path / "reference"
    assert run_cli("--project", str(root), "build", "--out", str(reference)).returncode == 0
    new = snapshot(reference)
    assert new != old

    written = len([p for p in old if not p.startswith("pagefind/") and p != "briefing.zip"])
    moments = sorted({0, 1, written // 2, written - 1, random.Random(7).randrange(written)})
    kills = [("write", at) for at in moments] + [("finish", 0), ("finish", 1)]
    for mode, at in kills:
        pid = kill_at(root, tmp_path, mode, at)
        assert snapshot(root / "site") == old, f"site changed by a build killed at {mode}@{at}"
        # The killed build's staging folder is left (the kill landed mid-build); the one before it
        # was removed when this build started.
        assert [name.split("-")[1] for name in leftovers(root)] == [str(pid)]

    pid = kill_at(root, tmp_path, "swapped", 0)
    assert snapshot(root / "site") == new  # swapped whole: the new site, complete
    assert [name.split("-")[1] for name in leftovers(root)] == [str(pid)]  # the old site, not yet deleted

    result = run_cli("--project", str(root), "build")
    assert result.returncode == 0, result.stderr
    assert snapshot(root / "site") == new
    assert leftovers(root) == []


def test_leftovers_of_a_live_build_are_not_touched(tmp_path: Path) -> None:
    # Guard: remove_leftovers only deletes folders whose build process is gone, so two builds of one
    # folder at once (make serve and make site) do not pull the staging folder from under each other.
    out = tmp_path / "site"
    live = tmp_path / f".site.new-{os.getpid()}-abc"
    dead_pid = _dead_pid()
    dead = tmp_path / f".site.new-{dead_pid}-abc"
    dead_old = tmp_path / f".site.old-{dead_pid}-xyz"
    other = tmp_path / f".other.new-{dead_pid}-abc"
    for folder in (live, dead, dead_old, other):
        (folder / "assets").mkdir(parents=True)
        (folder / "assets" / "style.css").write_text("x", encoding="utf-8")
    build(write_project(tmp_path / "mini", mini_files()), out)
    assert (out / "index.html").is_file()
    assert live.is_dir() and other.is_dir()
    assert not dead.exists() and not dead_old.exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- failures inside the process ----------------------------------------------------------------

def built_mini(tmp_path: Path) -> tuple[Path, Path]:
    root = write_project(tmp_path / "mini", mini_files())
    build(root, tmp_path / "site")
    brief = root / "content" / "briefs" / "resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8").replace("The resignation", "The resignation, revised"),
                     encoding="utf-8")
    return root, tmp_path / "site"


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_error_leaves_the_old_site_and_no_staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           error: BaseException) -> None:
    # Guard: the `except BaseException` of output.stage_output and output.finish_output, which abort the staging (the build's own write path);
    # and nothing touches `out` before the swap.
    root, out = built_mini(tmp_path)
    before = snapshot(out)
    calls = [0]
    real = write.Staging.write

    def failing(self: write.Staging, rel: str, data: bytes) -> None:
        calls[0] += 1
        real(self, rel, data)
        if calls[0] == 2:  # after the file is made: the abort must remove it too
            raise error

    monkeypatch.setattr(write.Staging, "write", failing)
    # A disk fault is one line for the user (BuildFailed); an interrupt stays an interrupt.
    with pytest.raises(BuildFailed if isinstance(error, OSError) else type(error)):
        build(root, out)
    monkeypatch.undo()
    assert calls[0] >= 2  # the failure happened inside the build's writes
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mini", "site"]


def test_a_failure_in_the_last_steps_leaves_the_old_site_and_no_staging(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The search index or zip failing (Pagefind crashing, a full disk) also aborts the staging folder.
    root, out = built_mini(tmp_path)
    before = snapshot(out)

    def failing(site: Path, *args: object) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(output.publish, "finish", failing)
    with pytest.raises(BuildFailed):  # a disk fault: one line, not a traceback
        build(root, out)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mini", "site"]


# -- nothing is written outside the output folder -----------------------------------------------

@pytest.mark.parametrize("rel", ["../x", "../../x", "a/../../x", "a/../../../etc/passwd", "/etc/passwd", "",
                                 ".", "a/.."])
def test_safe_target_refuses_paths_outside_the_site(tmp_path: Path, rel: str) -> None:
    # Guard: write.safe_target (the last line of defence behind id and slug validation).
    with pytest.raises(ValueError):
        safe_target(tmp_path / "site", rel)


@pytest.mark.parametrize("rel", ["index.html", "people/x/index.html", "a/../b/index.html", "..x/index.html"])
def test_safe_target_allows_paths_inside_the_site(tmp_path: Path, rel: str) -> None:
    site = tmp_path / "site"
    assert site.resolve() in safe_target(site, rel).parents


def test_a_page_path_outside_the_site_is_refused_and_the_old_site_kept(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Ids and slugs are validated long before; if a page's path still pointed outside, the build's writer
    # refuses it and the staging folder goes.
    from dataclasses import replace

    root, out = built_mini(tmp_path)
    before = snapshot(out)
    real = output.build_pages
    monkeypatch.setattr(output, "build_pages", lambda *args, **kwargs: [
        *real(*args, **kwargs), replace(real(*args, **kwargs)[-1], path="../escaped.html")])
    with pytest.raises(ValueError):
        build(root, out)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mini", "site"]
    assert not (tmp_path / "escaped.html").exists()

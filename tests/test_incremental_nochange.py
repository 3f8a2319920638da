"""A build with nothing to do says so only when nothing changed: no input (edited, added, deleted), not the
engine, and not the output folder, including once the output folder's own stamps are kept (`sitecheck`),
when its folders are no longer listed but only their stamps and each file's are looked at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from builder.build import build
from builder.config import ENGINE_ROOT, Paths
from builder.incremental import inputs
from builder.incremental.sitecheck import Folders
from builder.incremental.state import IncrementalState, OutputState
from test_incremental import built_mini, clean_build, snapshot


def age(out: Path) -> None:
    """The output folder's folders as they are a while after the build (their stamps are then kept)."""
    past = time.time_ns() - 10 * 1_000_000_000
    for folder in [out, *(p for p in out.rglob("*") if p.is_dir() and not p.is_symlink())]:
        os.utime(folder, ns=(past, past), follow_symlinks=False)


def kept_folders(root: Path, out: Path) -> tuple[Folders | None, OutputState | None]:
    state = IncrementalState.open(Paths(root))
    try:
        assert state.store is not None
        return state.store.get("output-folders:" + str(out), Folders), state.output(out, whole=False)
    finally:
        state.close()


def nothing_to_do_with_kept_folders(tmp_path: Path) -> tuple[Path, Path]:
    """The mini project built, its folders aged, and two builds with nothing to do: the first lists the
    folders and keeps their stamps, the second only looks at the stamps."""
    root, out = built_mini(tmp_path)
    age(out)
    for _ in range(2):
        again = build(root, out)
        assert (again.written, again.unchanged) == (0, again.pages)
    kept, previous = kept_folders(root, out)
    assert kept is not None and previous is not None and kept.record == previous.record  # the quick check runs
    assert "" in kept.folders and "people/lis" in kept.folders
    return root, out


def _replace_with_same_size(out: Path) -> None:
    page = out / "index.html"
    data = page.read_bytes()
    swap = out / "index.html.new"
    swap.write_bytes(data.replace(b"<", b"{", 1))
    os.utime(swap, ns=(0, 0))  # the build's own mtime: only the inode tells it apart
    os.replace(swap, page)


def _mkdir_with_page(out: Path) -> None:
    (out / "people" / "nobody").mkdir()
    (out / "people" / "nobody" / "index.html").write_text("stray", encoding="utf-8")


DAMAGE: list[tuple[str, Callable[[Path], object]]] = [
    ("a page edited in place", lambda out: (out / "people/lis/index.html").open("ab").write(b"<!-- x -->")),
    ("a page replaced by one of the same size", _replace_with_same_size),
    ("a page deleted", lambda out: (out / "people/lis/index.html").unlink()),
    ("a page renamed", lambda out: (out / "people/lis/index.html").rename(out / "people/lis/index.htm")),
    ("a file added to a folder", lambda out: (out / "people/lis/notes.txt").write_text("x", encoding="utf-8")),
    ("a file added at the top", lambda out: (out / "stray.txt").write_text("x", encoding="utf-8")),
    ("a folder added", _mkdir_with_page),
]


@pytest.mark.parametrize("damage", [d[1] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_the_quick_check_of_the_output_folder_finds_every_change(tmp_path: Path,
                                                                  damage: Callable[[Path], object]) -> None:
    root, out = nothing_to_do_with_kept_folders(tmp_path)
    damage(out)
    build(root, out)
    assert snapshot(out) == clean_build(root, tmp_path)


def test_folders_changed_within_a_second_are_listed_again_next_time(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    age(out)
    os.utime(out / "people")  # now: a change in this clock tick could leave the stamp as it is
    build(root, out)
    assert kept_folders(root, out)[0] is None
    age(out)
    build(root, out)
    assert kept_folders(root, out)[0] is not None


def test_kept_folders_of_an_earlier_build_are_not_used(tmp_path: Path) -> None:
    root, out = nothing_to_do_with_kept_folders(tmp_path)
    brief = root / "content/briefs/resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8").replace("resigned after", "quit after"), encoding="utf-8")
    assert build(root, out).written >= 1
    kept, previous = kept_folders(root, out)
    assert previous is not None and (kept is None or kept.record != previous.record)
    (out / "stray.txt").write_text("x", encoding="utf-8")
    build(root, out)
    assert snapshot(out) == clean_build(root, tmp_path)


INPUT_CHANGES: list[tuple[str, Callable[[Path], object]]] = [
    ("a brief edited", lambda root: (root / "content/briefs/resignation.md").open("a", encoding="utf-8")
     .write("\nAn added line.\n")),
    ("a brief added", lambda root: (root / "content/briefs/extra.md").write_text(
        (root / "content/briefs/resignation.md").read_text(encoding="utf-8").replace(
            "title: The resignation", "title: Another"), encoding="utf-8")),
    ("a brief deleted", lambda root: (root / "content/briefs/resignation.md").unlink()),
]


@pytest.mark.parametrize("change", [c[1] for c in INPUT_CHANGES], ids=[c[0] for c in INPUT_CHANGES])
def test_an_input_changed_after_a_build_with_nothing_to_do_is_built(tmp_path: Path,
                                                                    change: Callable[[Path], object]) -> None:
    root, out = nothing_to_do_with_kept_folders(tmp_path)
    time.sleep(0.01)
    change(root)
    result = build(root, out)
    assert result.written >= 1
    assert snapshot(out) == clean_build(root, tmp_path)


def test_an_engine_change_after_a_build_with_nothing_to_do_builds_again(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = nothing_to_do_with_kept_folders(tmp_path)
    monkeypatch.setattr(inputs, "FORMAT", inputs.FORMAT + 1000)  # what any change to the engine's files does
    result = build(root, out)
    assert (result.written, result.unchanged) == (result.pages, 0)


def files_the_scan_reads(root: Path) -> set[str]:
    state = IncrementalState.open(Paths(root))
    try:
        return set(state.scan().data)
    finally:
        state.close()


def test_inputs_a_build_with_nothing_to_do_read_again_are_trusted_by_the_next(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    past = time.time_ns() - 10 * 1_000_000_000
    touched = sorted(str(p) for folder in ("content", "seeds") for p in (root / folder).rglob("*") if p.is_file())
    for path in touched:
        os.utime(path, ns=(past, past))  # the same bytes, another stamp: read again and found the same
    assert sorted(files_the_scan_reads(root)) == touched
    assert build(root, out).written == 0
    assert files_the_scan_reads(root) == set()  # else every build with nothing to do would read them all again


# What only a build with something to do needs: a build with nothing to do answers without importing any of it.
STAGES = ("jinja2", "yaml", "markdown_it", "multiprocessing", "concurrent.futures", "ctypes", "builder.model",
          "builder.load", "builder.resolve", "builder.render", "builder.output", "builder.write")


def test_a_build_with_nothing_to_do_imports_no_stage(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    code = ("import sys\nfrom builder.cli import main\n"
            f"main(['--project', {str(root)!r}, 'build', '--out', {str(out)!r}])\n"
            "print(*sorted(sys.modules))")
    ran = subprocess.run([sys.executable, "-c", code], cwd=ENGINE_ROOT, capture_output=True, text=True, check=True)
    assert "0 pages written" in ran.stdout
    loaded = set(ran.stdout.split())
    assert "builder.build" in loaded and "builder.incremental.sitecheck" in loaded  # the test sees the modules
    assert sorted(loaded.intersection(STAGES)) == []

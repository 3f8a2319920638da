"""The quick answer to a build with nothing to do (`builder.incremental.quick`): given only when every probe the
last such build left still holds, for the very command line, Python, engine, settings and output folder; any
change, and any doubt about the manifest, leaves the question to the full build.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from builder.build import build
from builder.config import ENGINE_ROOT
from builder.incremental import quick
from builder.incremental.secret import cache_key
from test_incremental import built_mini, clean_build, snapshot
from test_incremental_nochange import DAMAGE, age


def age_inputs(root: Path) -> None:
    """Every input file and folder as it is a while after it was saved (their stamps are then trusted)."""
    past = time.time_ns() - 10 * 1_000_000_000
    for folder in ("content", "seeds"):
        for path in [root / folder, *(root / folder).rglob("*")]:
            os.utime(path, ns=(past, past), follow_symlinks=False)
    os.utime(root, ns=(past, past))


def quick_ready(tmp_path: Path) -> tuple[Path, Path]:
    """The mini project built, aged, and built again with nothing to do: that build leaves the manifest."""
    root, out = built_mini(tmp_path)
    age_inputs(root)
    age(out)
    again = build(root, out)
    assert (again.written, again.unchanged) == (0, again.pages)
    assert (root / ".cache" / quick.NAME).is_file()
    return root, out


def ask(*argv: str) -> tuple[int | None, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = quick.answer(list(argv))
    return status, printed.getvalue()


def ask_build(root: Path, out: Path) -> int | None:
    return ask("--project", str(root), "build", "--out", str(out))[0]


def test_the_answer_is_the_full_builds_line_and_the_engine_is_not_imported(tmp_path: Path) -> None:
    root, out = quick_ready(tmp_path)
    status, line = ask("--project", str(root), "build", "--out", str(out))
    assert status == 0
    full = subprocess.run([sys.executable, "-c", "from builder.cli import main; main()", "--project", str(root),
                           "build", "--out", str(out)], cwd=ENGINE_ROOT, capture_output=True, text=True, check=True)
    assert line.split(" in ")[0] == full.stdout.split(" in ")[0]  # the time apart
    assert line.split(" s into ")[1] == full.stdout.split(" s into ")[1]
    # As run from the command line: answered before the engine is imported.
    code = ("import runpy, sys\nsys.argv = ['builder', '--project', sys.argv[1], 'build', '--out', sys.argv[2]]\n"
            "try:\n    runpy.run_module('builder', run_name='__main__')\nexcept SystemExit as done:\n"
            "    assert done.code == 0, done.code\nprint(*sorted(m for m in sys.modules if m.startswith('builder')))")
    ran = subprocess.run([sys.executable, "-c", code, str(root), str(out)], cwd=ENGINE_ROOT, capture_output=True,
                         text=True, check=True)
    answer, modules = ran.stdout.splitlines()
    assert "0 pages written" in answer
    assert set(modules.split()) == {"builder", "builder.incremental", "builder.incremental.quick",
                                    "builder.incremental.secret"}


def test_the_default_output_folder_and_the_other_options_are_answered(tmp_path: Path) -> None:
    root, out = quick_ready(tmp_path)
    assert out == root / "site"
    assert ask("--project", str(root), "--verbose", "build", "--strict")[0] == 0
    status, line = ask("--project", str(root), "build", "--out", str(out) + "/")
    assert status == 0 and f" s into {out}: 0 pages written" in line  # as `str(Path(...))` shows it


@pytest.mark.parametrize("argv", [
    ["--project", "{root}", "check"],
    ["--project={root}", "build"],
    ["--proj", "{root}", "build"],
    ["--project", "{root}", "build", "--out={out}"],
    ["--project", "{root}", "build", "--verbose"],
    ["--project", "{root}", "build", "--out"],
    ["--project", "{root}", "build", "extra"],
    ["--project", "{root}"],
    ["--project", "{root}", "serve"],
    ["--project", "{root}", "build", "--out", "{out}", "--", "x"],
], ids=lambda argv: " ".join(argv))
def test_any_other_command_line_is_left_to_the_full_build(tmp_path: Path, argv: list[str]) -> None:
    root, out = quick_ready(tmp_path)
    assert ask(*(arg.format(root=root, out=out) for arg in argv))[0] is None


def _symlinked_output(root: Path, out: Path) -> Path:
    link = root / "site-link"
    link.symlink_to(out, target_is_directory=True)
    return link


def test_another_output_folder_or_a_link_to_it_is_left_to_the_full_build(tmp_path: Path) -> None:
    root, out = quick_ready(tmp_path)
    assert ask_build(root, tmp_path / "elsewhere") is None
    assert ask_build(root, _symlinked_output(root, out)) is None  # the full build refuses a link
    assert ask_build(root, out) == 0


def _new_template_folder(root: Path) -> None:
    (root / "templates").mkdir()


CHANGES: list[tuple[str, Callable[[Path], object]]] = [
    ("a brief edited in place, same size", lambda root: _same_size_edit(root / "content/briefs/resignation.md")),
    ("a brief added", lambda root: (root / "content/briefs/extra.md").write_text("x", encoding="utf-8")),
    ("a brief deleted", lambda root: (root / "content/briefs/resignation.md").unlink()),
    ("a seed replaced", lambda root: os.replace(_copy(root / "seeds/port.txt"), root / "seeds/port.txt")),
    ("a templates folder of the project's own", _new_template_folder),
    ("an assets folder of the project's own", lambda root: (root / "assets").mkdir()),
]


def _same_size_edit(path: Path) -> None:
    data = path.read_bytes()
    with path.open("r+b") as file:
        file.write(data[:1].swapcase())
    os.utime(path, ns=(time.time_ns(), time.time_ns()))


def _copy(path: Path) -> Path:
    copy = path.with_name(path.name + ".new")
    copy.write_bytes(path.read_bytes())
    return copy


@pytest.mark.parametrize("change", [c[1] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_an_input_change_is_left_to_the_full_build(tmp_path: Path, change: Callable[[Path], object]) -> None:
    root, out = quick_ready(tmp_path)
    change(root)
    assert ask_build(root, out) is None


@pytest.mark.parametrize("damage", [d[1] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_a_change_to_the_output_is_left_to_the_full_build(tmp_path: Path, damage: Callable[[Path], object]) -> None:
    root, out = quick_ready(tmp_path)
    damage(out)
    assert ask_build(root, out) is None
    build(root, out)
    assert snapshot(out) == clean_build(root, tmp_path)


def test_another_setting_is_left_to_the_full_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = quick_ready(tmp_path)
    for name in quick.ENV_INPUTS:
        monkeypatch.setenv(name, "1700000000")
        assert ask_build(root, out) is None
        monkeypatch.delenv(name)
    assert ask_build(root, out) == 0


def test_the_manifest_covers_the_engine_and_the_installed_packages(tmp_path: Path) -> None:
    root, _ = quick_ready(tmp_path)
    secret = cache_key()
    assert secret is not None
    paths = set(quick._read(str(root / ".cache"), secret)[7].split("\0"))
    assert str(ENGINE_ROOT / "builder" / "incremental" / "quick.py") in paths
    assert str(ENGINE_ROOT / "builder" / "publish") in paths  # a module added there changes the folder
    assert str(ENGINE_ROOT / "templates") in paths and str(root / "templates") in paths  # the latter absent
    import sysconfig

    assert sysconfig.get_paths()["purelib"] in paths


def test_a_manifest_not_sealed_with_this_users_key_is_not_believed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = quick_ready(tmp_path)
    manifest = root / ".cache" / quick.NAME
    data = bytearray(manifest.read_bytes())
    data[-1] ^= 1
    manifest.write_bytes(bytes(data))
    assert ask_build(root, out) is None
    root, out = quick_ready(tmp_path / "again")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    assert ask_build(root, out) is None


def test_a_build_with_something_to_do_removes_the_manifest(tmp_path: Path) -> None:
    root, out = quick_ready(tmp_path)
    brief = root / "content/briefs/resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nAn added line.\n", encoding="utf-8")
    assert build(root, out).written >= 1
    assert not (root / ".cache" / quick.NAME).exists()


def test_no_manifest_while_a_stamp_is_too_new_to_be_trusted(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    age_inputs(root)
    age(out)
    os.utime(root / "content/briefs/resignation.md")  # saved just now: the same clock tick could hide a change
    assert build(root, out).written == 0
    assert not (root / ".cache" / quick.NAME).exists()
    age_inputs(root)
    assert build(root, out).written == 0
    assert (root / ".cache" / quick.NAME).exists()


def test_no_manifest_when_the_build_had_warnings_to_report(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    brief = root / "content/briefs/resignation.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nAn uncited line.\n", encoding="utf-8")
    first = build(root, out)
    assert first.problems.warnings, "the fixture needs a warning"
    age_inputs(root)
    age(out)
    assert build(root, out).written == 0
    assert not (root / ".cache" / quick.NAME).exists()

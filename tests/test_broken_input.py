"""Broken content stops the build with one clear line per mistake, and the last good site stays.

The cases are data (tests/fixtures/broken/cases.yaml): each replaces files of the `mini` project and
lists every error the build must report, with its exact `path:line`. Each case names the guard that
catches it; removing that guard makes the case fail (the error line disappears, or a traceback or a
silent success takes its place).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import mini_files, run_cli, write_project

# cases.yaml: mistakes an editor makes; hostile.yaml: input made to hurt (bombs, spoofed names, deep nesting).
CASES_FILES = [Path(__file__).parent / "fixtures" / "broken" / name for name in ("cases.yaml", "hostile.yaml")]
CASES: list[dict[str, Any]] = [case for path in CASES_FILES for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
PROBLEM_LINE = re.compile(r"^(?P<at>[^:]+:\d+): (?P<severity>error|warning): (?P<what>.+?) — (?P<fix>.+)$")
SUMMARY_LINE = re.compile(r"^build failed: \d+ error\(s\), \d+ warning\(s\)")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The valid mini project with its site built by the real command, once for the module."""
    root = write_project(tmp_path_factory.mktemp("good") / "mini", mini_files())
    result = run_cli("--project", str(root), "build")
    assert result.returncode == 0, result.stderr
    return root


def apply_case(root: Path, files: dict[str, str | bytes | None]) -> None:
    for rel, data in files.items():
        target = root / rel
        if data is None:
            target.unlink()
        elif isinstance(data, bytes):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data, encoding="utf-8")


def test_cases_are_well_formed() -> None:
    names = [case["case"] for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CASES:
        assert set(case) == {"case", "guard", "files", "errors"}, case["case"]
        assert case["errors"], f"{case['case']}: a broken input must list the errors it causes"
        for expected in case["errors"]:
            assert re.match(r"^[^:]+:\d+: \S", expected), f"{case['case']}: {expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_broken_input_stops_the_build(case: dict[str, Any], built_mini: Path, tmp_path: Path) -> None:
    root = tmp_path / "mini"
    shutil.copytree(built_mini, root)
    before = snapshot(root / "site")
    apply_case(root, case["files"])

    result = run_cli("--project", str(root), "build")

    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    lines = result.stderr.splitlines()
    assert lines and SUMMARY_LINE.match(lines[-1]), result.stderr
    problems = [PROBLEM_LINE.match(line) for line in lines[:-1]]
    assert all(problems), "every line must read 'path:line: error: what — how to fix':\n" + result.stderr
    errors = [m for m in problems if m and m["severity"] == "error"]
    for expected in case["errors"]:
        at, _, words = expected.partition(": ")
        found = [m for m in errors if m["at"] == at and words in m.group(0)[len(at) + 2:]]
        assert found, f"expected '{expected}' in:\n{result.stderr}"
    assert len(errors) == len(case["errors"]), f"unexpected errors:\n{result.stderr}"
    # A failed build leaves the last good site exactly as it was, and no staging folder beside it.
    assert snapshot(root / "site") == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site")) == []

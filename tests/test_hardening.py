"""The build never destroys, reads or leaks what is not its own, and every environment fault is one line.

Each test here holds one defect of the hardening issue (13): it builds a small project of its own with
the real command (or, for faults that need injecting, the real `main` in this process) and checks both
the one-line message and that nothing else was touched. Hostile *content* (script in every field) is in
tests/test_hostile.py; broken content, one case per error, in tests/fixtures/broken/cases.yaml.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import mini_files, run_cli, write_project

PROBLEM_LINE = re.compile(r"^(?P<at>[^:]+:\d+): (?P<severity>error|warning): (?P<what>.+?) — (?P<fix>.+)$")


def tree(folder: Path) -> dict[str, bytes | str]:
    """Everything under `folder` (links as their targets, files as bytes), to prove nothing changed."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
            else:
                out[rel] = "dir"
    return out


def one_error(result, at: str | None = None) -> re.Match[str]:  # type: ignore[no-untyped-def]
    """The build failed with exit 1, no traceback, and exactly one `path:line: error: what — fix` line."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("build failed:")]
    assert len(lines) == 1, result.stderr
    match = PROBLEM_LINE.match(lines[0])
    assert match and match["severity"] == "error", lines[0]
    if at is not None:
        assert match["at"] == at, lines[0]
    return match


# -- 1. the output folder is the build's own ------------------------------------------------------

@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder holding a project (`project/`, with a .git and a venv of its own) and a user's files."""
    root = write_project(tmp_path / "project", mini_files())
    write_project(root, {".git/config": "[core]\n", ".venv/pyvenv.cfg": "home = /usr\n",
                         "templates/base.html": "{% block body %}{% endblock %}",
                         "assets/site.css": "body{}"})
    (root / "templates" / "base.html").unlink()  # an empty templates/ keeps the engine's own
    write_project(tmp_path, {"mine/notes.txt": "my own notes", "mine/sub/a.txt": "a", "file.txt": "a file"})
    (tmp_path / "empty").mkdir()
    return tmp_path


REFUSED = {  # --out value (relative to the project) → words the one line must contain
    ".": "project folder",
    "..": "project folder",
    "content": "content/",
    "content/briefs": "content/",
    "seeds": "seeds/",
    "templates": "templates/",
    "assets": "assets/",
    ".git": ".git/",
    ".cache/site": ".cache/",
    "../file.txt": "is a file",
    "../mine": "did not make",
    "../link-to-mine": "symlink",
    "../link-to-nowhere": "symlink",
}


@pytest.mark.parametrize("out", sorted(REFUSED))
def test_an_output_folder_that_is_not_the_builds_own_is_refused(out: str, workspace: Path) -> None:
    # Guard: write.claim_output, asked by build.build before anything else.
    (workspace / "link-to-mine").symlink_to(workspace / "mine")
    (workspace / "link-to-nowhere").symlink_to(workspace / "gone")
    before = tree(workspace)
    result = run_cli("--project", str(workspace / "project"), "build", "--out", out,
                     cwd=workspace / "project")
    match = one_error(result)
    assert REFUSED[out] in match["what"], match.string
    assert tree(workspace) == before  # not one file moved, made or deleted (not even .cache/)


def test_a_site_folder_that_is_a_symlink_is_refused(workspace: Path) -> None:
    # The default output, site/, linked to a folder of the user's: the build replaced the link's target.
    root = workspace / "project"
    (root / "site").symlink_to(workspace / "mine")
    before = tree(workspace)
    one_error(run_cli("--project", str(root), "build"), at="site:1")
    assert tree(workspace) == before


@pytest.mark.parametrize("out", ["../new/site", "../empty"])
def test_a_new_or_empty_folder_is_built_then_rebuilt_thanks_to_its_marker(out: str, workspace: Path) -> None:
    # Guard: output.plan_site puts write.MARKER in every site; claim_output accepts a folder holding it.
    root = workspace / "project"
    for _ in range(2):
        result = run_cli("--project", str(root), "build", "--out", out, cwd=root)
        assert result.returncode == 0, result.stderr
    site = (root / out).resolve()
    assert (site / ".briefing-site").is_file() and (site / "index.html").is_file()
    assert tree(workspace / "mine") == {"notes.txt": b"my own notes", "sub": "dir", "sub/a.txt": b"a"}


def test_a_marker_that_is_a_symlink_does_not_make_a_folder_the_builds(workspace: Path) -> None:
    mine = workspace / "mine"
    (mine / ".briefing-site").symlink_to(workspace / "file.txt")
    before = tree(workspace)
    one_error(run_cli("--project", str(workspace / "project"), "build", "--out", str(mine)))
    assert tree(workspace) == before

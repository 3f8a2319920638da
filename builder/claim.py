"""The output folder's claim: which folder a build may replace whole, asked before anything is built.

Its own module, apart from the write stage, so that a build with nothing to do (which asks it first) does not
import what writing needs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from builder.config import ENGINE_ROOT
from builder.problems import BuildFailed, Pos, Problems

# Every build leaves this file in its output folder. A build replaces only a folder that does not exist, is
# empty, or holds this file: anything else may be the user's, and replacing it would destroy it.
MARKER = ".briefing-site"
MARKER_TEXT = (b"This folder is built by briefing (python -m builder build). Every build replaces it whole:\n"
               b"keep nothing of your own here.\n")
# Folders of a project (and of the engine) that hold what the build reads or keeps: never an output folder.
_PROJECT_FOLDERS = ("content", "seeds", "templates", "assets", ".git", ".cache", ".venv")
_ENGINE_FOLDERS = ("builder", "templates", "assets", ".git")


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _refusal(out: Path, root: Path) -> tuple[str, str] | None:
    """Why `out` may not be the output folder of the project at `root` (both resolved), or None."""
    hint = "choose a new folder (the default is site/ in the project)"
    if _within(root, out):
        return ("is the project folder or contains it; the build replaces its output folder whole", hint)
    if _within(ENGINE_ROOT, out):
        return ("contains the briefing engine; the build replaces its output folder whole", hint)
    for base, names in ((root, _PROJECT_FOLDERS), (ENGINE_ROOT, _ENGINE_FOLDERS)):
        for name in names:
            if _within(out, base / name):
                return (f"is inside {name}/, which the build reads or keeps; it would be replaced", hint)
    return None


def _occupied(out: Path) -> tuple[str, str] | None:
    """Why the folder already at `out` (unresolved) is not the build's own to replace, or None."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return (f"cannot be examined: {exc.strerror}", "check its permissions, or choose another folder")
    if stat.S_ISLNK(st.st_mode):
        return ("is a symlink; the build would replace what it points to",
                "remove the link, or give the folder it points to as --out")
    if not stat.S_ISDIR(st.st_mode):
        return ("is a file, not a folder; the build would replace it", "choose a folder, or move the file away")
    try:
        names = os.listdir(out)
    except OSError as exc:
        return (f"cannot be listed: {exc.strerror}", "check its permissions, or choose another folder")
    marker = out / MARKER
    if names and not (os.path.isfile(marker) and not os.path.islink(marker)):
        return (f"holds files the build did not make (no {MARKER} marker); the build would replace them",
                "empty the folder or choose a new one: the build writes only into a folder of its own "
                "(a site/ built by an older version, before the marker: delete it once)")
    return None


def claim_output(root: Path, out: Path) -> Path:
    """The output folder, resolved, when the build may replace it whole; BuildFailed with one line if not.

    Asked before anything is built: a mistyped `--out .` or `--out content` must cost nothing."""
    why = _refusal(Path(os.path.realpath(out)), Path(os.path.realpath(root))) or _occupied(out)
    if why is None:
        return out.resolve()
    problems = Problems()
    problems.error(Pos(os.path.relpath(out.absolute(), root) if _inside_text(out, root) else str(out)),
                   f"refusing to build into this folder: it {why[0]}", why[1])
    raise BuildFailed(problems)


def refuse_input_folder(root: Path, out: Path) -> None:
    """For commands that add files to a folder (`ingest --out`) rather than replace it: BuildFailed with one
    line when `out` is the project, an input folder or .git, where a written file could replace an input."""
    why = _refusal(Path(os.path.realpath(out)), Path(os.path.realpath(root)))
    if why is not None:
        problems = Problems()
        problems.error(Pos(str(out)), f"refusing to write into this folder: it {why[0]}", why[1])
        raise BuildFailed(problems)


def _inside_text(out: Path, root: Path) -> bool:
    return _within(Path(os.path.abspath(out)), Path(os.path.abspath(root)))

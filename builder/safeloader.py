"""The Jinja loader for a project's templates: every template is read as an input (builder/safeio.py).

Jinja's own FileSystemLoader opens whatever a path names, so a template linked to `/etc/passwd` or to
`../.git/config` would be read (and, through `{% include %}`, published).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, TemplateNotFound
from jinja2.loaders import split_template_path

from builder.problems import Pos, Problems
from builder.safeio import UnsafeInput, check_input, read_input


class InputLoader(FileSystemLoader):
    """Templates from the given folders, each read with `read_input` (its project being the folder's parent)."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            path = Path(folder, *pieces)
            if not os.path.lexists(path):
                continue
            data = read_input(Path(folder).parent, path)
            mtime = os.stat(path).st_mtime
            return data.decode(self.encoding), os.path.normpath(path), lambda: _unchanged(path, mtime)
        raise TemplateNotFound(template)


def _unchanged(path: Path, mtime: float) -> bool:
    try:
        return os.stat(path).st_mtime == mtime
    except OSError:
        return False


def input_files(folder: Path) -> list[Path]:
    """Everything under an input folder (templates/, assets/) but folders and hidden names, in order.

    Links to folders are listed, not followed, so that reading them is refused at their own path."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        found += [Path(dirpath, name) for name in filenames + linked if not name.startswith(".")]
    return sorted(found)


def check_templates(folders: list[Path], shown: Callable[[Path], str], problems: Problems) -> None:
    """Each template the build may not read (a link out of the project, a FIFO) is an error at its path."""
    for folder in folders:
        for path in input_files(folder):
            try:
                check_input(folder.parent, path)
            except UnsafeInput as unsafe:
                problems.error(Pos(shown(path)), unsafe.message, unsafe.hint)

"""Where a project's inputs are, and the engine's own defaults for what a project leaves out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENGINE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    """A project's folders. Templates and assets fall back to the engine's own."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def template_candidates(self) -> list[Path]:
        """The project's templates, then the engine's: the first that has a template wins."""
        return list(dict.fromkeys([self.root / "templates", ENGINE_ROOT / "templates"]))

    @property
    def asset_candidates(self) -> list[Path]:
        """The engine's assets, then the project's, which override them file by file."""
        return list(dict.fromkeys([ENGINE_ROOT / "assets", self.root / "assets"]))

    @property
    def template_dirs(self) -> list[Path]:
        return [d for d in self.template_candidates if d.is_dir()]

    @property
    def asset_dirs(self) -> list[Path]:
        return [d for d in self.asset_candidates if d.is_dir()]

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    def owner(self, path: Path) -> Path:
        """The folder an input must stay inside: the project, or the engine's own folder for the engine's
        templates and assets (which live outside a project)."""
        try:
            Path(path).relative_to(self.root)
        except ValueError:
            return ENGINE_ROOT
        return self.root

    def rel(self, path: Path) -> str:
        """A path as editors see it in messages: relative to the project.

        Links are not followed: a seed linked to `/etc/passwd` is reported at its own name in seeds/."""
        for follow in (False, True):  # resolving costs system calls per path: only when the plain paths fail
            base = self.root.resolve() if follow else self.root.absolute()
            target = path.resolve() if follow else path.absolute()
            try:
                return Path(os.path.normpath(target)).relative_to(os.path.normpath(base)).as_posix()
            except ValueError:
                continue
        return path.as_posix()

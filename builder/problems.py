"""Content problems: collected across a whole build, reported once, one line each.

Editors jump to `path:line`, so every problem carries a position; none carries a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Literal

Severity = Literal["error", "warning"]
# Characters that would break a problem's one line (or rewrite it on a terminal): shown escaped.
_LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Pos:
    """Where something came from: a project-relative path and a 1-based line (1 for a whole file)."""

    path: str
    line: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{max(self.line, 1)}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, with how to fix it."""

    pos: Pos
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        text = f"{self.pos}: {self.severity}: {self.message}"
        text = f"{text} — {self.hint}" if self.hint else text
        # Messages quote content (keys, names, YAML errors), which may hold a newline or a control character.
        return _LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass
class Problems:
    """A build's problems, gathered so that the editor sees all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, pos: Pos, message: str, hint: str = "") -> None:
        self.items.append(Problem(pos, message, hint, "error"))

    def warning(self, pos: Pos, message: str, hint: str = "") -> None:
        self.items.append(Problem(pos, message, hint, "warning"))

    def extend(self, other: Iterable[Problem]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items), key=lambda p: (p.pos, p.severity, p.message))


class BuildFailed(Exception):
    """Raised by a stage when problems make going on pointless; carries every problem found."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(f"{len(problems.errors)} error(s)")
        self.problems = problems


SHOWN = 20  # problems printed before the rest are only counted (`--verbose` prints all)
# The particulars of a message: quoted words, citations ("a#p3; b#p5"), numbers.
_VARYING = re.compile(r"'[^']*'|“[^”]*”|\"[^\"]*\"|[\w.-]+#\w+(?:;\s*[\w.-]+#\w+)*|\d+")


def kind_of(problem: Problem) -> str:
    """A problem's message with its particulars (names, quotations, numbers) taken out: its kind."""
    return f"{problem.severity}: {_VARYING.sub('…', problem.message)}"


def summary(problems: Iterable[Problem], verbose: bool = False, shown: int = SHOWN) -> list[str]:
    """The lines to print: every problem, or on a large project the first `shown` and a count per kind."""
    ordered = sorted(set(problems), key=lambda p: (p.severity != "error", p.pos, p.message))
    if verbose or len(ordered) <= shown:
        return [str(p) for p in sorted(ordered, key=lambda p: (p.pos, p.severity, p.message))]
    rest: dict[str, int] = {}
    for problem in ordered[shown:]:
        rest[kind_of(problem)] = rest.get(kind_of(problem), 0) + 1
    lines = [str(p) for p in ordered[:shown]]
    lines.append(f"… and {len(ordered) - shown} more (--verbose prints them all):")
    lines += [f"  {count:>6} × {kind}" for kind, count in sorted(rest.items(), key=lambda kv: (-kv[1], kv[0]))]
    return lines


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A "did you mean" hint, or a plain one listing nothing when nothing is close."""
    import difflib  # here: only a build with a misspelt name needs it, and every command imports this module

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""

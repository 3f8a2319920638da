"""Shared fixtures: small projects of the tests' own, built with the real engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

SEED = """\
Minister Resigns After Port Deal Collapses

Harbour workers gather outside the ministry in Portville.

Jana Novak resigned on Tuesday after the port deal collapsed.

“We did what we could,” Novak told reporters. Analysts at the Harbour Institute called it “a defeat”.

Piotr Lis, her deputy, will lead the ministry for now. Lis said talks would resume.

Leave a comment

Trending
"""

SITE_YAML = """\
title: Port Briefing
description: A small test briefing about a port deal.
language: en
"""

SOURCES_YAML = """\
- id: port-news
  seed: port.txt
  title: Minister Resigns After Port Deal Collapses
  short: PN
  kind: news report
  ingest:
    captions: ["^Harbour workers gather"]
"""

PEOPLE_YAML = """\
- id: novak
  name: Jana Novak
  aliases: [Novak, Jana Nowak]
  role: Minister of ports
  profile: Resigned after the deal collapsed [@port-news#p3].
- id: lis
  name: Piotr Lis
  aliases: [Lis]
  role: Deputy minister
  profile: Leads the ministry for now [@port-news#p5].
"""

ORGS_YAML = """\
- id: harbour-institute
  name: Harbour Institute
  kind: think tank
  description: Analysts who called the collapse a defeat [@port-news#p4].
"""

BRIEF = """\
---
title: The resignation
summary: Why the minister left.
people: [novak]
sources: [port-news]
---
[[Jana Novak]] resigned after the deal collapsed [@port-news#p3].

She said "We did what we could" [@port-news#p4], and [[lis|her deputy]] takes over [@port-news#p5].
"""


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """A project folder from a mapping of relative paths to text (dedented) or bytes."""
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(textwrap.dedent(data), encoding="utf-8")
    return root


def mini_files() -> dict[str, str | bytes]:
    return {
        "content/site.yaml": SITE_YAML,
        "content/sources.yaml": SOURCES_YAML,
        "content/people.yaml": PEOPLE_YAML,
        "content/organisations.yaml": ORGS_YAML,
        "content/briefs/resignation.md": BRIEF,
        "seeds/port.txt": SEED,
    }


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A small valid project: one source, two people, one organisation, one brief."""
    return write_project(tmp_path / "mini", mini_files())


# Settings a build reads from the environment; tests set them explicitly when they want them.
BUILD_ENVIRONMENT = ("SOURCE_DATE_EPOCH", "BRIEFING_BASE_URL")


# A build under test sees no publishing settings from the shell or the Makefile (tests that want one
# set it with monkeypatch); removed at import so session- and module-scoped builds are hermetic too.
for _name in BUILD_ENVIRONMENT:
    os.environ.pop(_name, None)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line as an editor runs it."""
    environment = {k: v for k, v in os.environ.items() if k not in BUILD_ENVIRONMENT}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "builder", *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=300, env=environment)


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real briefing, built once for the whole session into a temporary folder."""
    out = tmp_path_factory.mktemp("real") / "site"
    result = run_cli("build", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def served_site() -> Iterator[Any]:
    """The real project built once and served on 127.0.0.1 under a sub-path, as GitHub Pages serves
    a project site (tests/browser/site_server.py); shared by the validator, link and browser suites."""
    from tests.browser import site_server
    try:
        built = site_server.acquire()
    except Exception as exc:  # noqa: BLE001 - the build's own output says what is wrong
        pytest.fail(str(exc), pytrace=False)
    try:
        yield built
    finally:
        site_server.release()


def real_sources() -> list[Any]:
    """The real briefing's sources as the engine ingests them (for invariants, never today's counts)."""
    from builder.config import Paths
    from builder.load import Loader
    from builder.markup import create_markdown
    from builder.problems import Problems
    return Loader(Paths(REPO), create_markdown(), Problems()).sources()


def copy_real_project(dest: Path) -> Path:
    """A copy of the real content and seeds, for tests that break them on purpose."""
    for name in ("content", "seeds"):
        shutil.copytree(REPO / name, dest / name)
    return dest

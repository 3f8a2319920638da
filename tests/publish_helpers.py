"""Helpers shared by the reader-feature tests (publish, search, meta, visuals): fixture projects that
exercise every branch (base_url set or not, dates or none, colliding spellings, a code block) and
small readers for the built site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from builder.build import build
from tests.conftest import mini_files, write_project

BASE = "https://example.org/port/"

PEOPLE_YAML = """\
- id: novak
  name: Jana Novak
  aliases: [Novak, Jana Nowak]
  native_names: {pl: Jana Nowakowa, ru: Яна Новак}
  role: Minister of ports
  profile: Resigned after the deal collapsed [@port-news#p3].
- id: lis
  name: Piotr Lis
  aliases: [Lis, Piotr Liś, Piotr LIŚ]
  role: Deputy minister
  profile: Leads the ministry for now [@port-news#p5].
"""

CODE_BRIEF = """\
---
title: How the numbers were counted
summary: The script behind the count, for the curious.
date: "2025-01-02"
people: [lis]
---
[[Piotr Lis]] will lead the ministry for now [@port-news#p5].

```python
def count(ships: list[str]) -> int:
    return len(ships)  # every ship once
```
"""

FIGURES_SEED = """\
Port Figures Show The Strain

Three ministers, 3 in all, have left since spring.

More than 40 ships are waiting outside the harbour.

Dozens of workers gathered outside the ministry, where Lis spoke.
"""

FIGURES_SOURCE = """\
- id: port-figures
  seed: figures.txt
  title: Port Figures Show The Strain
  short: PF
  kind: news report
"""

KEY_NUMBERS = """\
key_numbers:
  - {value: "3", label: "ministers gone", cite: "port-figures#p2"}
  - {value: "More than 40", label: "ships waiting", cite: "port-figures#p3"}
  - {value: "Dozens", label: "workers outside", cite: "port-figures#p4"}
"""

TIMELINE = """\
- id: collapse
  when: "On Tuesday"
  event: The deal collapsed [@port-news#p3].
- id: deputy
  when: "For now"
  event: Lis leads the ministry [@port-news#p5].
"""


def rich_files(base_url: str | None = BASE, updated: str | None = "2025-03-04") -> dict[str, str | bytes]:
    """The conftest mini project, plus what the reader features need to show every branch."""
    files = mini_files()
    site = files["content/site.yaml"]
    assert isinstance(site, str)
    if base_url:
        site += f"base_url: {base_url}\n"
    if updated:
        site += f'updated: "{updated}"\n'
    sources = files["content/sources.yaml"]
    assert isinstance(sources, str)
    files.update({"content/site.yaml": site, "content/people.yaml": PEOPLE_YAML,
                  "content/sources.yaml": sources + FIGURES_SOURCE, "seeds/figures.txt": FIGURES_SEED,
                  "content/briefs/counting.md": CODE_BRIEF, "content/home.yaml": KEY_NUMBERS,
                  "content/timeline.yaml": TIMELINE})
    return files


def build_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """Build a project in-process into root/site; the build must succeed without warnings."""
    write_project(root, files)
    result = build(root, root / "site")
    assert not result.problems.items, [str(p) for p in result.problems.items]
    return root / "site"


def html_pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html"))
            if "pagefind" not in p.relative_to(site).parts}


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def json_ld(html: str) -> list[dict[str, Any]]:
    return [json.loads(s.string) for s in soup(html).find_all("script", type="application/ld+json")]


def is_alias(html: str) -> bool:
    return soup(html).find("meta", attrs={"http-equiv": "refresh"}) is not None


def tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}

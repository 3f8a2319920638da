"""End to end: the real briefing builds, and its pages are whole, linked both ways, and deterministic."""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from builder.textutil import slugify
from tests.conftest import REPO, real_sources, run_cli

PEOPLE = [p["id"] for p in yaml.safe_load((REPO / "content/people.yaml").read_text(encoding="utf-8"))]
SOURCES = [s["id"] for s in yaml.safe_load((REPO / "content/sources.yaml").read_text(encoding="utf-8"))]


def pages(site: Path) -> dict[str, BeautifulSoup]:
    return {p.relative_to(site).as_posix(): BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
            for p in sorted(site.rglob("*.html"))}


@pytest.fixture(scope="module")
def soups(real_site: Path) -> dict[str, BeautifulSoup]:
    return pages(real_site)


def test_every_page_type_exists(real_site: Path) -> None:
    expected = ["index.html", "briefs/index.html", "people/index.html", "sources/index.html"]
    expected += [f"people/{p}/index.html" for p in PEOPLE] + [f"sources/{s}/index.html" for s in SOURCES]
    expected += [f"briefs/{b.stem}/index.html" for b in (REPO / "content/briefs").glob("*.md")]
    missing = [p for p in expected if not (real_site / p).is_file()]
    assert not missing
    assert PEOPLE and SOURCES  # what must hold for any number of them: each has its page (above)


def test_each_page_has_one_h1_lang_title_and_description(soups: dict[str, BeautifulSoup]) -> None:
    for path, soup in soups.items():
        if soup.find("meta", attrs={"http-equiv": "refresh"}):
            continue  # alias redirects
        assert len(soup.find_all("h1")) == 1, path
        assert soup.html.get("lang"), path
        assert soup.title and soup.title.string.strip(), path
        description = soup.find("meta", attrs={"name": "description"})
        assert description and description["content"].strip(), path


def test_every_internal_link_and_anchor_resolves(real_site: Path, soups: dict[str, BeautifulSoup]) -> None:
    broken = []
    for path, soup in soups.items():
        for tag in soup.find_all(href=True) + soup.find_all(src=True):
            url = tag.get("href") or tag.get("src")
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue
            target = path if not parts.path else posixpath.normpath(
                posixpath.join(posixpath.dirname(path), parts.path))
            if parts.path.endswith("/"):
                target += "/index.html"
            if not (real_site / target).is_file():
                broken.append(f"{path} → {url}")
            elif parts.fragment and target in soups and not soups[target].find(id=parts.fragment):
                broken.append(f"{path} → {url} (anchor)")
    assert broken == []


def test_person_pages_link_to_each_source_naming_them_and_back(soups: dict[str, BeautifulSoup]) -> None:
    for source in SOURCES:
        source_page = soups[f"sources/{source}/index.html"]
        named = {a["href"].split("/")[-2] for a in source_page.select("#named ~ ul a, section a.entity")
                 if "/people/" in a["href"]}
        assert named, source
        for person in named:
            person_page = soups[f"people/{person}/index.html"]
            links = [a["href"] for a in person_page.find_all("a", href=True)]
            assert any(f"sources/{source}/index.html#p" in h or f"sources/{source}/index.html#fig" in h
                       for h in links), (person, source)


def test_kalesnikava_is_found_under_both_spellings(soups: dict[str, BeautifulSoup]) -> None:
    page = soups["people/kalesnikava/index.html"]
    marks = {m.get_text() for m in page.find_all("mark")}
    assert {"Maria Kalesnikava", "Maria Kolesnikova"} <= marks


def test_source_pages_show_every_anchor_ingest_gives_in_seed_order(soups: dict[str, BeautifulSoup]) -> None:
    for source in real_sources():
        page = soups[f"sources/{source.id}/index.html"]
        anchors = [b.anchor for b in source.text.blocks if b.anchor]
        shown = [e["id"] for e in page.select(".source-text p[id], .source-text figure[id]")]
        assert shown == anchors, source.id
        numbers = [int(a.lstrip("pfig")) for a in anchors]
        assert numbers == sorted(set(numbers)), source.id  # anchors rise with the seed's lines, never repeat
        text = page.select_one(".source-text").get_text()
        assert not any(d.text in text for d in source.text.dropped if len(d.text) > 3), source.id


def test_every_anchor_is_its_lines_place_among_the_seeds_non_blank_lines() -> None:
    for source in real_sources():
        lines = (REPO / "seeds" / source.seed).read_text(encoding="utf-8").splitlines()
        place = {number: i for i, number in enumerate(
            (n for n, line in enumerate(lines, start=1) if line.strip()), start=1)}
        for block in source.text.blocks:
            if block.anchor:
                assert int(block.anchor.lstrip("pfig")) == place[block.line], (source.id, block.anchor)


def test_two_builds_are_byte_identical(tmp_path: Path, real_site: Path) -> None:
    again = tmp_path / "again"
    assert run_cli("build", "--out", str(again)).returncode == 0

    def digest(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}
    assert digest(again) == digest(real_site)


def test_real_content_is_clean_under_strict() -> None:
    result = run_cli("check", "--strict")
    assert result.returncode == 0, result.stderr


def test_the_home_page_shows_each_disagreement_with_each_version_and_its_source(
        soups: dict[str, BeautifulSoup]) -> None:
    claims = yaml.safe_load((REPO / "content/claims.yaml").read_text(encoding="utf-8"))
    disputed = [c for c in claims if any(s["stance"] == "contradicts" for s in c["stances"])]
    panel = soups["index.html"].select_one("section.disagree")
    assert panel is not None and panel.find("h2").get_text() == "Where sources disagree"
    items = panel.find_all("li")
    assert disputed and len(items) == len(disputed)  # only claims with a real contradicts, unclear ones not
    for claim, item in zip(disputed, items):
        topic = f"claims/{slugify(claim['topic'])}/index.html"  # the claim's row, on its topic's page
        assert item.find("a")["href"] == f"{topic}#{claim['id']}"
        versions = item.select_one(".versions")
        for verb, phrase in (("supports", "upported by"), ("contradicts", "ontradicted by"),
                             ("unclear", "left unclear by")):
            said = any(s["stance"] == verb for s in claim["stances"])
            assert (phrase in versions.get_text()) == said, (claim["id"], verb)
        # each version opens the paragraph that says it, and links to it: supporters, contradictors, then those
        # left unclear
        page = soups["index.html"]
        linked = [page.find(id=b["popovertarget"]).select_one(".pop-foot a")["href"]
                  for b in versions.select(".cite-btn")]
        assert linked == [f"sources/{s['source']}/index.html#{s['at']}" for verb in ("supports", "contradicts", "unclear")
                          for s in claim["stances"] if s["stance"] == verb]

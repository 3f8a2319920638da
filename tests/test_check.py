"""The link check's parts: what a page links to, and where each link points (cached resolution included)."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.check import PageLinks, Target, check_targets, is_external, link_targets, parse_page
from builder.problems import Pos, Problems


def plain_targets(path: str, links: list[str]) -> tuple[Target, ...]:
    """Each link resolved on its own, without the shortcuts `link_targets` takes for links it has seen."""
    out = []
    for url in links:
        if is_external(url) or url.startswith("mailto:"):
            continue
        parts = urlsplit(url)
        target = path
        if parts.path:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
            if parts.path.endswith("/"):
                target = posixpath.join(target, "index.html")
        out.append((url, target, parts.fragment))
    return tuple(out)


def test_a_page_gives_its_ids_and_links_and_a_quotations_source() -> None:
    html = ('<p id="a">x</p><a class="k" href="../b/index.html#p1">y</a><img alt="" src="i.svg">'
            '<blockquote cite="s/index.html#p2"><p>q</p></blockquote><div cite="not-a-link"></div>'
            '<a href="x?a=1&amp;b=2">z</a><span id="c&amp;d"></span><p class="no-links">')
    page = parse_page(html)
    assert page.ids == {"a", "c&d"}
    assert page.links == ["../b/index.html#p1", "i.svg", "s/index.html#p2", "x?a=1&b=2"]


PATHS = ["index.html", "briefs/x/index.html", "a/b/c/page.html", "a//b/c.html", "a/./b/c.html", "../a/b.html",
         "/a/b.html", "a/b/", "a/b//", "a/../b/c.html", "people/index.html"]
URLS = ["", "#a", "?q#x", "#a//b", "#a:b", "#a\tb", "../", "../../", "../..", "../../../x", "../..//x", "/abs", "./a/../b/", "%2E%2E/x", "a%2F",
        "x?q=1#f", "../../people/x/index.html#p%201", "mailto:a", "http://x", "//x", "..", "./",
        "../../a/./b/../c", ".././../x/", "../../../../", "people/x/"]


def test_links_resolve_as_each_would_alone() -> None:
    for path in PATHS:
        assert link_targets(path, PageLinks(links=URLS)) == plain_targets(path, URLS), path


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(PATHS + ["x/y/z/index.html", "people/y/index.html"]),
       st.lists(st.lists(st.sampled_from(["..", ".", "", "a", "b", "index.html", "%2E%2E", "a#f", "b?q", "#", "?", ":"]),
                         max_size=6).map("/".join), max_size=8))
def test_any_link_resolves_as_it_would_alone(path: str, links: list[str]) -> None:
    # Twice: the second time from the caches the first filled.
    assert link_targets(path, PageLinks(links=links)) == plain_targets(path, links)
    assert link_targets(path, PageLinks(links=links)) == plain_targets(path, links)


def test_broken_links_and_anchors_are_reported_at_the_page() -> None:
    pages = {"index.html": (frozenset({"top"}), link_targets("index.html", PageLinks(links=[
        "a/index.html#top", "a/index.html#nowhere", "gone.html", "../out.html", "style.css"]))),
        "a/index.html": (frozenset({"top"}), link_targets("a/index.html", PageLinks(links=["../index.html#top"])))}
    problems = Problems()
    check_targets(pages, {"style.css"}, problems, {"gone.html": [Pos("content/briefs/b.md", 3)]})
    lines = [str(item) for item in problems.items]
    assert any("content/briefs/b.md:3" in line and "missing page or file 'gone.html'" in line for line in lines)
    assert any("missing anchor '#nowhere'" in line for line in lines)
    assert any("'../out.html' leaves the site" in line for line in lines)
    assert len(lines) == 3

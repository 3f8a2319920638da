"""Check: over the rendered pages in memory, every internal link and #anchor must resolve."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from urllib.parse import unquote, urlsplit

from builder.problems import Pos, Problems


# The engine writes every attribute value in double quotes and escapes '"' in text, so a pattern finds
# attributes exactly, several times faster than a full HTML parser over thousands of pages.
_ATTR = re.compile(r'<(\w+)\b([^<>]*)>')
_VALUE = re.compile(r'\s(id|href|src|cite)="([^"]*)"')


@dataclass
class PageLinks:
    """The ids a page defines and the URLs it points at (href, src, and a quotation's cite)."""

    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)


def parse_page(html: str) -> PageLinks:
    page = PageLinks()
    ids, links, values = page.ids, page.links, _VALUE.findall
    for tag, attrs in _ATTR.findall(html):
        if '="' not in attrs:  # most tags have no attribute value at all: skip them before the regex
            continue
        for name, value in values(attrs):
            if "&" in value:
                value = unescape(value)
            if name == "id":
                ids.add(value)
            elif name != "cite" or tag in ("q", "blockquote"):
                links.append(value)
    return page


def is_external(url: str) -> bool:
    return "//" in url or ":" in url.split("/", 1)[0]


Target = tuple[str, str, str]  # (the URL as written, the site path it points at, its #fragment)


def link_targets(path: str, page: PageLinks) -> tuple[Target, ...]:
    """Where each internal link of the page at `path` points; the build cache keeps these per page."""
    folder = posixpath.dirname(path)
    up = _up_to_root(folder)
    out = []
    for url in page.links:
        # The same links are on page after page (the menu, every citation of a source), so each is resolved
        # once per folder; one that climbs exactly to the site's root ("../../people/x/" from briefs/y/) once
        # per depth (below a folder of plain names each ".." cancels one, so a stand-in folder of that depth
        # gives the same answer); and one to a place on the page itself ("#c3") once for the whole site.
        if url.startswith(("#", "?")):
            found = _resolved("", url)
        elif up and url.startswith(up):
            found = _resolved(_STAND_IN[:2 * (len(up) // 3) - 1], url)
        else:
            found = _resolved(folder, url)
        if found is not None:
            out.append((url, found[0] or path, found[1]))
    return tuple(out)


_STAND_IN = "_/" * 64  # its first 2n - 1 characters: a folder n plain names deep ("_/_" for "../../", n = 2)


def _up_to_root(folder: str) -> str | None:
    """The climb from `folder` to the site's root ("../../" from briefs/x), for a folder of plain names."""
    if not folder or posixpath.normpath(folder) != folder or folder.startswith(("/", "..")) or \
            folder.count("/") >= 64:
        return None
    return "../" * (folder.count("/") + 1)


@lru_cache(maxsize=1 << 17)  # bounded: the live server checks every edit in one long-lived process
def _resolved(folder: str, url: str) -> tuple[str, str] | None:
    return _resolve(folder, url)


def _resolve(folder: str, url: str) -> tuple[str, str] | None:
    """The site path a link points at from a page in `folder` ("" for the page itself, a link with only a
    #fragment or ?query) and its #fragment; None for a link out of the site."""
    if is_external(url) or url.startswith("mailto:"):
        return None
    parts = urlsplit(url)
    if not parts.path:
        return "", parts.fragment
    target = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
    return posixpath.join(target, "index.html") if parts.path.endswith("/") else target, parts.fragment


def check_targets(pages: dict[str, tuple[set[str] | frozenset[str], tuple[Target, ...]]], files: set[str],
                  problems: Problems, written: dict[str, list[Pos]] | None = None,
                  following: set[str] | None = None) -> None:
    """`pages`: each page's ids and link targets by site path; `files`: every other file of the site;
    `written`: where the content wrote each relative link, so a broken one is reported there; `following`:
    the pages whose links are followed (all when None)."""
    broken: list[tuple[str, str, str]] = []  # (page, url, what is wrong)
    for path, (_, targets) in sorted(pages.items() if following is None else
                                     ((p, pages[p]) for p in following if p in pages)):
        for url, target, fragment in targets:
            if target.startswith("../") or target == "..":
                broken.append((path, url, "leaves the site"))
            elif target not in pages and target not in files:
                broken.append((path, url, f"points at a missing page or file '{target}'"))
            elif fragment and target in pages and unquote(fragment) not in pages[target][0]:
                broken.append((path, url, f"points at a missing anchor '#{fragment}'"))
    engine = [b for b in broken if not (written and b[1] in written)]
    reported: set[tuple[Pos, str]] = set()
    for path, url, what in broken:
        for pos in (written or {}).get(url, ()):
            if (pos, url) not in reported:
                reported.add((pos, url))
                problems.error(pos, f"broken link '{url}': on site/{path} it {what}",
                               "links are relative to the page they are on; link people and sources with "
                               "[[Name]] and [@source], or fix the address")
    for number, (path, url, what) in enumerate(engine, start=1):
        problems.error(Pos("site/" + path), f"broken link {number}/{len(engine)}: link '{url}' {what}",
                       "this is a template or engine bug if the content has no such link; report it")


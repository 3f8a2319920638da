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
    # A link that climbs exactly to the site's root ("../../" from briefs/x/) points where the rest of it
    # points from the root: resolved once for every page at that depth, not once per page. Only for a folder
    # of plain names (each ".." then cancels one), which every page the engine makes is in.
    up = "../" * (folder.count("/") + 1) if folder and posixpath.normpath(folder) == folder \
        and not folder.startswith(("/", "..")) else None
    out = []
    for url in page.links:
        split = _split_link(url)
        if split is None:
            continue
        link_path, fragment, names_folder = split
        target = path
        if link_path:
            if up and link_path.startswith(up) and not link_path.startswith("/", len(up)):
                target = _resolve("", link_path[len(up):], names_folder)
            else:
                target = _resolve(folder, link_path, names_folder)
        out.append((url, target, fragment))
    return tuple(out)


# Both caches are bounded: the live server checks every edit's pages in one long-lived process.
@lru_cache(maxsize=1 << 16)
def _split_link(url: str) -> tuple[str, str, bool] | None:
    """An internal link's path (unquoted), its #fragment and whether it names a folder; None if external.

    The same links are on page after page (the menu, the footer, every citation of a source)."""
    if is_external(url) or url.startswith("mailto:"):
        return None
    parts = urlsplit(url)
    return unquote(parts.path), parts.fragment, parts.path.endswith("/")


@lru_cache(maxsize=1 << 16)
def _resolve(folder: str, link_path: str, names_folder: bool) -> str:
    """The site path a link's path points at from a page in `folder`."""
    target = posixpath.normpath(posixpath.join(folder, link_path))
    return posixpath.join(target, "index.html") if names_folder else target


def check_targets(pages: dict[str, tuple[set[str] | frozenset[str], tuple[Target, ...]]], files: set[str],
                  problems: Problems, written: dict[str, list[Pos]] | None = None) -> None:
    """`pages`: each page's ids and link targets by site path; `files`: every other file of the site;
    `written`: where the content wrote each relative link, so a broken one is reported there."""
    broken: list[tuple[str, str, str]] = []  # (page, url, what is wrong)
    for path, (_, targets) in sorted(pages.items()):
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


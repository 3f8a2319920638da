"""Check: over the rendered pages in memory, every internal link and #anchor must resolve."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
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
    for tag in _ATTR.finditer(html):
        if "=" not in tag.group(2):
            continue
        for name, value in _VALUE.findall(tag.group(2)):
            value = unescape(value) if "&" in value else value
            if name == "id":
                page.ids.add(value)
            elif name != "cite" or tag.group(1) in ("q", "blockquote"):
                page.links.append(value)
    return page


def is_external(url: str) -> bool:
    return "//" in url or ":" in url.split("/", 1)[0]


Target = tuple[str, str, str]  # (the URL as written, the site path it points at, its #fragment)


def link_targets(path: str, page: PageLinks) -> tuple[Target, ...]:
    """Where each internal link of the page at `path` points; the build cache keeps these per page."""
    out = []
    for url in page.links:
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


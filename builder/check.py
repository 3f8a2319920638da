"""Check: over the rendered pages in memory, every internal link and #anchor must resolve."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from builder.problems import Pos, Problems


class _LinkParser(HTMLParser):
    """Collects ids and the URLs a page points at (href, src)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src") or (name == "cite" and tag in ("q", "blockquote")):
                self.links.append(value)


def parse_page(html: str) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def check_links(pages: dict[str, str], files: set[str], problems: Problems) -> None:
    """`pages`: HTML by site path; `files`: every other file the site will hold (assets, feeds)."""
    parsed = {path: parse_page(html) for path, html in pages.items()}
    broken: list[str] = []
    for path, page in sorted(parsed.items()):
        for url in page.links:
            if is_external(url) or url.startswith("mailto:"):
                continue
            parts = urlsplit(url)
            target = path
            if parts.path:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
                if parts.path.endswith("/"):
                    target = posixpath.join(target, "index.html")
            if target.startswith("../") or target == "..":
                broken.append(f"{path}: link '{url}' leaves the site")
            elif target not in parsed and target not in files:
                broken.append(f"{path}: link '{url}' points at a missing page or file '{target}'")
            elif parts.fragment and target in parsed and unquote(parts.fragment) not in parsed[target].ids:
                broken.append(f"{path}: link '{url}' points at a missing anchor '#{parts.fragment}'")
    for number, message in enumerate(broken, start=1):
        problems.error(Pos("site/" + message.split(":", 1)[0]), f"broken link {number}/{len(broken)}:"
                       + message.split(":", 1)[1],
                       "this is a template or engine bug if the content has no such link; report it")

"""The built site, served over HTTP under a sub-path as GitHub Pages serves a project site, is
closed and whole: every internal href/src and #fragment resolves, nothing points outside the
sub-path, and nothing but a plain <a href> points at another host. A URL under the site's own
production base_url (content/site.yaml) counts as internal and is checked against the local copy.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit


URL_ATTRS = ("href", "src", "srcset", "poster", "action", "formaction", "data")
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")




@dataclass
class Fetched:
    status: int
    url: str  # after redirects
    content_type: str = ""
    ids: set[str] = field(default_factory=set)
    soup: Any = None
    text: str = ""


class Crawler:
    def __init__(self, base_url: str, localize: Any = lambda url: url) -> None:
        self.base = base_url
        self.localize = localize  # production base_url → the local copy (canonical links and such)
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.cache: dict[str, Fetched] = {}
        self.problems: list[str] = []

    def fetch(self, url: str) -> Fetched:
        if url not in self.cache:
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:
                    body = answer.read()
                    got = Fetched(answer.status, answer.geturl(), answer.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as err:
                got = Fetched(err.code, url)
                body = b""
            if got.status == 200 and "html" in got.content_type:
                from bs4 import BeautifulSoup

                got.soup = BeautifulSoup(body.decode("utf-8", "replace"), "html.parser")
                got.ids = {el["id"] for el in got.soup.find_all(id=True)}
            elif got.status == 200 and "css" in got.content_type:
                got.text = body.decode("utf-8", "replace")
            self.cache[url] = got
        return self.cache[url]

    def crawl(self, seeds: list[str]) -> int:
        queue, seen = deque(seeds), set(seeds)
        while queue:
            url = queue.popleft()
            page = self.fetch(url)
            if page.status != 200:
                self.problems.append(f"{self.rel(url)}: HTTP {page.status}")
                continue
            refs = self.html_refs(page) if page.soup is not None else self.css_refs(page)
            for where, target in refs:
                nxt = self.check(where, target)
                if nxt and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return len(seen)

    def html_refs(self, page: Fetched) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
        base_tag = page.soup.find("base", href=True)
        base = urljoin(page.url, base_tag["href"]) if base_tag else page.url
        for tag in page.soup.find_all(True):
            for attr in URL_ATTRS:
                if attr not in tag.attrs or (attr == "data" and tag.name != "object"):
                    continue
                value = tag[attr] if isinstance(tag[attr], str) else " ".join(tag[attr])
                raws = [c.strip().split()[0] for c in value.split(",") if c.strip()] \
                    if attr == "srcset" else [value.strip()]
                for raw in raws:
                    yield f"{self.rel(page.url)} <{tag.name} {attr}={raw!r}>", (tag.name, attr, raw, base)

    def css_refs(self, page: Fetched) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
        for m in CSS_URL.finditer(page.text):
            raw = (m.group(2) or m.group(4) or "").strip()
            if raw and not raw.startswith("data:"):
                yield f"{self.rel(page.url)} url({raw!r})", ("css", "url", raw, page.url)

    def check(self, where: str, ref: tuple[str, str, str, str]) -> str | None:
        """Record what is wrong with one reference; return the page to crawl next, if any."""
        tag, attr, raw, base = ref
        if not raw:
            if attr != "href":
                self.problems.append(f"{where}: empty {attr}")
            return None
        url = self.localize(urljoin(base, raw))
        parts = urlsplit(url)
        if parts.scheme in ("mailto", "tel") and tag == "a":
            return None
        if parts.scheme == "data" and attr in ("src", "srcset", "url"):
            return None
        if parts.scheme not in ("http", "https"):
            self.problems.append(f"{where}: {parts.scheme}: URL not allowed here")
            return None
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            if not (tag == "a" and attr == "href"):
                self.problems.append(f"{where}: external URL in <{tag} {attr}> (only <a href> may leave the site)")
            return None
        if not (parts.path + "/").startswith(urlsplit(self.base).path):
            self.problems.append(f"{where}: points outside the site's sub-path {urlsplit(self.base).path} "
                                 f"(→ {parts.path}; use a relative link)")
            return None
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        got = self.fetch(target)
        if got.status != 200:
            self.problems.append(f"{where}: broken (HTTP {got.status} for {parts.path})")
            return None
        if url.find("#") >= 0:
            fragment = unquote(parts.fragment)
            if got.soup is None:
                self.problems.append(f"{where}: #fragment on a non-HTML target")
            elif fragment not in got.ids:
                self.problems.append(f"{where}: no element with id={fragment!r} in {self.rel(got.url)}")
        if got.soup is not None or "css" in got.content_type:
            return got.url
        return None

    def rel(self, url: str) -> str:
        return url[len(self.base):] or "/" if url.startswith(self.base) else url


def test_every_internal_reference_resolves_under_the_subpath(served_site: Any) -> None:
    crawler = Crawler(served_site.base_url, served_site.localize)
    pages = [served_site.url_for(p) for p in served_site.html_files()]
    assert pages, f"the build in {served_site.root} has no .html file"
    crawled = crawler.crawl([served_site.base_url, *pages])
    problems = sorted(set(crawler.problems))
    shown = "\n".join(f"  {i}. {p}" for i, p in enumerate(problems[:300], 1))
    assert not problems, (
        f"{len(problems)} problem(s) in {crawled} crawled URL(s) from {served_site.base_url}\n{shown}"
    )


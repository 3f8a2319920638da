"""The search page over an index split into several bundles: Pagefind's UI merges them, under a sub-path.

The real project is built with bundles of a few pages each (a large site gets bundles of
`search.SHARD_PAGES`), served under a sub-path, and searched in Chromium for a person whose page sits in
the last bundle and for an alias.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from builder.publish import search
from builder.build import build
from tests.browser.conftest import Browsing, _guard
from tests.browser.site_server import SUBPATH, Site, _Handler
from tests.conftest import copy_real_project


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = copy_real_project(tmp_path_factory.mktemp("bundled"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "SHARD_PAGES", 8)
        build(root, root / "site")
    site = Site(root=root / "site", base_url="", subpath=SUBPATH)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(type("Handler", (_Handler,), {"site": site}), directory=str(site.root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="bundled-site", daemon=True).start()
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}{SUBPATH}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def last_bundle_person(site: Path) -> tuple[str, str]:
    """(page, name) of a person whose page is in the last bundle, from the bundle's own fragments."""
    last = max((p for p in (site / "pagefind").iterdir() if p.is_dir()), key=lambda p: int(p.name))
    for fragment in sorted((last / "fragment").glob("*.pf_fragment")):
        record = json.loads(gzip.decompress(fragment.read_bytes())[len(b"pagefind_dcd"):])
        if record["url"].startswith("/people/"):
            return record["url"].lstrip("/"), record["meta"]["title"]
    pytest.fail(f"no person's page in the last bundle {last.name}")


def search_for(page: Any, site: Site, query: str, target: str) -> str:
    page.goto(site.url_for("search/index.html"), wait_until="load")
    box = page.locator(".pagefind-ui__search-input").first
    box.wait_for(state="visible", timeout=10_000)
    box.click()
    page.keyboard.type(query, delay=10)
    result = page.locator(f"a[href*='{target}']").first
    try:
        result.wait_for(state="visible", timeout=15_000)
    except Exception:  # noqa: BLE001
        shown = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        pytest.fail(f"typing {query!r} shows no result linking to {target}; links: {shown[-15:]}", pytrace=False)
    return urlsplit(result.evaluate("a => a.href")).path


def test_every_bundle_is_searched(bundled: Site, browser: Any) -> None:
    folders = [p.name for p in (bundled.root / "pagefind").iterdir() if p.is_dir()]
    assert len(folders) >= 3, folders
    browsing = Browsing(context=browser.new_context(viewport={"width": 1280, "height": 800}), scheme="light")
    browsing.context.route("**/*", _guard(browsing, bundled.origin))
    page = browsing.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        rel, name = last_bundle_person(bundled.root)
        target = rel.removesuffix("index.html")
        assert search_for(page, bundled, name, target) in (SUBPATH + target, SUBPATH + rel)
        assert search_for(page, bundled, "Kolesnikova", "people/kalesnikava/").startswith(SUBPATH + "people/")
        entries = {path.split("?")[0] for path in bundled.requests if "pagefind-entry.json" in path}
        assert entries == {f"{SUBPATH}pagefind/{f}/pagefind-entry.json" for f in folders}
        assert not errors and not browsing.blocked
    finally:
        browsing.context.close()

"""Fixtures for the browser suite: the real site, built once and served under a sub-path, and one
headless Debian Chromium driven by Playwright, with one context per colour scheme.

Nothing here downloads a browser: Playwright launches /usr/bin/chromium (Debian's package) through
``executable_path``. A missing tool fails the tests with what to install; it never skips them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("BRIEFING_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCHEMES = ("light", "dark")


@pytest.fixture(scope="session")
def site(served_site: Any) -> Any:
    """The real project, built by ``python -m builder build --out TMP`` and served on 127.0.0.1."""
    return served_site


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is missing: pip install 'playwright>=1.49' (it belongs in the "
            "project's `test` extra). Do not run `playwright install`: these tests use Debian's "
            "chromium at /usr/bin/chromium.",
            pytrace=False,
        )
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: apt-get update && apt-get install -y chromium "
            "(.ci/run does this in CI).",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Exception as exc:  # noqa: BLE001
        playwright.stop()
        pytest.fail(f"could not launch {CHROMIUM} through Playwright: {exc}", pytrace=False)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@dataclass
class Browsing:
    """A browser context in one colour scheme. Every request that would leave the local site is
    aborted and remembered in ``blocked`` as (page URL, request URL)."""

    context: Any
    scheme: str
    blocked: list[tuple[str, str]] = field(default_factory=list)


def _is_local(url: str, origin: str) -> bool:
    scheme = urlsplit(url).scheme
    return scheme in ("data", "blob", "about") or url == origin or url.startswith(origin + "/")


def _guard(browsing: Browsing, origin: str) -> Any:
    """A route handler that lets the local site through and aborts everything else."""

    def guard(route: Any) -> None:  # one parameter: Playwright passes (route, request) to two
        request = route.request
        if _is_local(request.url, origin):
            route.continue_()
            return
        try:
            page_url = request.frame.url
        except Exception:  # noqa: BLE001 - service workers have no frame
            page_url = "?"
        browsing.blocked.append((page_url, request.url))
        route.abort("blockedbyclient")

    return guard


@pytest.fixture(scope="session")
def contexts(browser: Any, site: Any) -> Iterator[dict[str, Browsing]]:
    """One context per colour scheme (light, dark), reused by every test."""
    made: dict[str, Browsing] = {}
    for scheme in SCHEMES:
        context = browser.new_context(
            color_scheme=scheme, viewport={"width": 1280, "height": 800}, reduced_motion="reduce"
        )
        browsing = Browsing(context=context, scheme=scheme)
        context.route("**/*", _guard(browsing, site.origin))
        made[scheme] = browsing
    try:
        yield made
    finally:
        for browsing in made.values():
            browsing.context.close()


@pytest.fixture()
def light(contexts: dict[str, Browsing]) -> Browsing:
    return contexts["light"]

"""The reader's pages in Chromium: screenshots for a person to look at, and what only a browser can tell:
citations open their words in place without script, nothing scrolls sideways on a phone (the claims page
neither as a page nor inside a box), the header fits one line, and axe passes with a preview open. Held on
the real briefing and on the newsroom fixture (12 sources, 40 people, tests/newsroom.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder.build import build
from tests import newsroom
from tests.browser import site_server
from tests.browser.conftest import SCHEMES, Browsing, _guard
from tests.browser.test_pages import NARROW, SCREENSHOT_DIR, WCAG_TAGS, _describe_violation, report

WIDTHS = (390, 1280)
# The page kinds photographed: (name, page, what to do first).
SHOTS = (("home", "index.html", ""), ("brief", "briefs/the-exchange/index.html", "preview"),
         ("person", "people/kalesnikava/index.html", ""), ("source", "sources/cbs-thaw/index.html", ""),
         ("claims", "claims/sanctions/index.html", ""), ("timeline", "timeline/index.html", ""),
         ("search", "search/index.html", "search"))
SIDEWAYS = """() => {
  const boxes = [...document.querySelectorAll('main *')].filter(el => {
    const cs = getComputedStyle(el);
    return el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(cs.overflowX);
  });
  return {page: document.documentElement.scrollWidth, boxes: boxes.map(el => el.tagName.toLowerCase() +
          (el.className ? '.' + String(el.className).split(' ')[0] : ''))};
}"""


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The newsroom fixture, built and served under a sub-path like the real site."""
    root = newsroom.write(tmp_path_factory.mktemp("newsroom") / "p")
    build(root, root / "site")
    site, server = site_server.serve(root / "site")
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def large_contexts(browser: Any, large: Any) -> Iterator[dict[str, Browsing]]:
    """Light and dark contexts for the fixture's own origin, every other request blocked and remembered."""
    made = {}
    for scheme in SCHEMES:
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 800},
                                      reduced_motion="reduce")
        made[scheme] = Browsing(context=context, scheme=scheme)
        context.route("**/*", _guard(made[scheme], large.origin))
    try:
        yield made
    finally:
        for browsing in made.values():
            browsing.context.close()


@pytest.fixture(params=["real", "large"])
def any_site(request: pytest.FixtureRequest) -> tuple[Any, dict[str, Browsing]]:
    """A site and its browser contexts: the real briefing, or the newsroom fixture."""
    if request.param == "real":
        return request.getfixturevalue("site"), request.getfixturevalue("contexts")
    return request.getfixturevalue("large"), request.getfixturevalue("large_contexts")


@pytest.fixture()
def page(any_site: tuple[Any, dict[str, Browsing]]) -> Iterator[Any]:
    """A tab in the light scheme of `any_site`; no request leaves it (checked when the test ends)."""
    browsing = any_site[1]["light"]
    before = len(browsing.blocked)
    tab = browsing.context.new_page()
    try:
        yield tab
    finally:
        tab.close()
    assert browsing.blocked[before:] == [], "requests left the site"


def _open_preview(tab: Any) -> Any:
    button = tab.locator("main .prose .cite-btn").first
    button.click()
    pop = tab.locator(f"#{button.get_attribute('popovertarget')}")
    pop.wait_for(state="visible", timeout=5_000)
    return pop


def _search(tab: Any) -> None:
    box = tab.locator(".pagefind-ui__search-input").first
    box.wait_for(state="visible", timeout=10_000)
    box.fill("potash")
    tab.locator(".pagefind-ui__result").first.wait_for(state="visible", timeout=15_000)


def test_screenshots_of_every_page_kind_at_both_widths_in_both_themes(site: Any, contexts: dict[str, Any]) -> None:
    """build/screenshots/<kind>-<width>-<scheme>.png: home, a brief with a citation preview open, a person,
    a source, the claims, the timeline and search with results."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    problems = []
    for scheme, browsing in contexts.items():
        tab = browsing.context.new_page()
        try:
            for kind, rel, action in SHOTS:
                for width in WIDTHS:
                    tab.set_viewport_size({"width": width, "height": 900})
                    tab.goto(site.url_for(rel), wait_until="load")
                    if action == "preview":
                        _open_preview(tab)
                    elif action == "search":
                        _search(tab)
                    shot = SCREENSHOT_DIR / f"{kind}-{width}-{scheme}.png"
                    tab.screenshot(path=str(shot), full_page=action != "preview")
                    if not shot.is_file() or shot.stat().st_size < 1000:
                        problems.append(f"{shot.name} is empty")
        finally:
            tab.close()
    assert not problems, report("screenshots", problems)


def test_a_citation_opens_the_cited_words_in_place_and_closes(any_site: Any, page: Any) -> None:
    any_site = any_site[0]
    brief = any_site.find_page(under="briefs")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(any_site.url_for(brief), wait_until="load")
    page.evaluate("() => { document.querySelectorAll('script').forEach(s => s.remove()); }")  # none runs here
    url = page.url
    pop = _open_preview(page)
    words = pop.locator(".pop-para").first.inner_text()
    assert len(words) > 20 and page.url == url  # the words, on the same page
    box = pop.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 800
    link = pop.locator(".pop-foot a")
    assert "#p" in (link.get_attribute("href") or "")
    page.keyboard.press("Escape")
    pop.wait_for(state="hidden", timeout=5_000)


def test_nothing_scrolls_sideways_at_320px_on_the_large_fixture(large: Any, large_contexts: dict[str, Any]) -> None:
    page = large_contexts["light"].context.new_page()
    page.set_viewport_size({"width": NARROW, "height": 700})
    problems = []
    for rel, url in large.pages():
        page.goto(url, wait_until="load")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW:
            problems.append(f"{rel}: scrollWidth {width}px > {NARROW}px")
    page.close()
    assert not problems, report(f"horizontal scrolling at {NARROW}px (newsroom fixture)", problems)


def test_the_claims_page_scrolls_sideways_neither_as_a_page_nor_in_a_box_at_390px(any_site: Any, page: Any) -> None:
    any_site = any_site[0]
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(any_site.url_for("claims/index.html"), wait_until="load")
    page.click("section.topic h2 a")  # the first topic's ledger (those holding a disagreement come first)
    page.wait_for_load_state("load")
    assert page.locator("table.ledger").count() == 1
    found = page.evaluate(SIDEWAYS)
    assert found["page"] <= 390 and found["boxes"] == [], found
    # on a wide screen the source names stay in view while the claims scroll by
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("() => window.scrollTo(0, document.querySelector('.ledger tbody tr:last-child').offsetTop)")
    header = page.locator(".ledger thead th").first
    assert header.evaluate("th => getComputedStyle(th).position") == "sticky"


def test_the_header_fits_one_line_at_390px(any_site: Any, page: Any) -> None:
    any_site = any_site[0]
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(any_site.url_for("briefs/index.html"), wait_until="load")
    tops = page.eval_on_selector_all("header nav li", "els => els.filter(e => e.offsetParent).map(e => e.offsetTop)")
    assert tops and len(set(tops)) == 1, tops


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_passes_on_the_large_fixture_with_a_preview_open(large: Any, large_contexts: dict[str, Any],
                                                             scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    tab = large_contexts[scheme].context.new_page()
    problems = []
    try:
        for rel in ("index.html", "briefs/brief-1/index.html", "claims/index.html", "claims/talks/index.html",
                    "sources/index.html", "sources/s1/index.html", "timeline/index.html"):
            tab.goto(large.url_for(rel), wait_until="load")
            if rel.startswith("briefs/"):
                _open_preview(tab)
            problems += [f"{rel} [{scheme}]: {_describe_violation(v)}"
                         for v in axe.run(tab, options=options).response["violations"]]
    finally:
        tab.close()
    assert not problems, report(f"axe-core on the newsroom fixture ({scheme})", problems)


def test_screenshots_are_written_where_the_issue_asks() -> None:
    assert SCREENSHOT_DIR == Path(__file__).resolve().parents[2] / "build" / "screenshots"

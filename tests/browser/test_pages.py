"""The built site in a real browser (Debian Chromium through Playwright), page by page.

Each test walks every page of the build and reports every problem at once, so one run tells the
template author everything that is wrong, with the page it is on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW = 320
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "build" / "screenshots"
PERSON = "people/kalesnikava/index.html"
SEARCH_PAGE = "search/index.html"


def report(title: str, problems: list[str]) -> str:
    shown = "\n".join(f"  {i}. {p}" for i, p in enumerate(problems[:200], 1))
    more = f"\n  … and {len(problems) - 200} more" if len(problems) > 200 else ""
    return f"{title}: {len(problems)} problem(s)\n{shown}{more}"


@pytest.fixture()
def page(light: Any) -> Iterator[Any]:
    tab = light.context.new_page()
    try:
        yield tab
    finally:
        tab.close()


def _pages(site: Any) -> list[tuple[str, str]]:
    """Every page a reader sees. Redirect stubs (meta refresh) are left out here: they navigate away
    at once, so axe or layout checks on them would race the navigation; the load test follows them."""
    pages = site.pages()
    assert pages, f"the build in {site.root} has no .html file"
    return pages


# --- loading: console, network, icon -------------------------------------------------------------


def test_every_page_loads_without_console_errors_or_outside_requests(
    site: Any, light: Any, page: Any
) -> None:
    problems: list[str] = []
    current = {"rel": "?"}

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
            problems.append(f"{current['rel']}: console error: {msg.text}{where}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{current['rel']}: uncaught exception: {exc}"))
    page.on(
        "response",
        lambda r: r.status >= 400
        and problems.append(f"{current['rel']}: HTTP {r.status} for {r.url}"),
    )
    blocked_before = len(light.blocked)
    for rel, url in _pages(site):
        current["rel"] = rel
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"{rel}: {url} answered {response and response.status}")
            continue
        if page.url != url:
            problems.append(f"{rel}: the browser left {url} for {page.url}")
            continue
        problems.extend(f"{rel}: {p}" for p in _icon_problems(page, site))
    for rel, url, target in site.redirects():
        current["rel"] = rel
        if not re.search(r"""<link[^>]+rel=["']?[^"'>]*\bicon\b""", (site.root / rel).read_text("utf-8"), re.I):
            problems.append(f"{rel}: redirect stub declares no icon (<link rel=\"icon\">): Chromium "
                            "asks for /favicon.ico at the server root while showing it")
        page.goto(url, wait_until="commit")
        try:
            page.wait_for_url(target, wait_until="load", timeout=10_000)
        except Exception:  # noqa: BLE001
            problems.append(f"{rel}: redirect stub did not land on {target} (at {page.url})")
    page.wait_for_timeout(300)  # let late console messages of the last page arrive
    for page_url, request_url in light.blocked[blocked_before:]:
        problems.append(f"{page_url}: request leaving 127.0.0.1 (blocked): {request_url}")
    subpath = urlsplit(site.base_url).path
    outside = sorted({r for r in site.requests if not r.startswith(subpath)})
    problems.extend(f"request outside the site's sub-path: {r}" for r in outside)
    assert not problems, report("loading every page in Chromium", problems)


def _icon_problems(page: Any, site: Any) -> list[str]:
    """A declared icon that the site itself serves: else browsers ask for /favicon.ico at the server
    root, which on a project site is outside the site."""
    hrefs = page.eval_on_selector_all(
        "link[rel~='icon' i]", "els => els.map(e => e.href)"
    )
    if not hrefs:
        return ["declares no icon (<link rel=\"icon\" href=\"…\">): browsers then request "
                "/favicon.ico from the server root, outside the site"]
    problems = []
    for href in hrefs:
        if not href.startswith(site.base_url):
            problems.append(f"icon {href} is not inside the site ({site.base_url})")
            continue
        answer = page.request.get(href)
        kind = answer.headers.get("content-type", "")
        if answer.status != 200 or not kind.startswith("image/"):
            problems.append(f"icon {href} answered {answer.status} {kind!r}")
    return problems


# --- accessibility: axe-core ----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_wcag22_aa_violation(
    site: Any, contexts: dict[str, Any], scheme: str
) -> None:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail(
            "axe-playwright-python is missing: pip install 'axe-playwright-python>=0.1.7' "
            "(it bundles axe-core; it belongs in the project's `test` extra)",
            pytrace=False,
        )
    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    problems: list[str] = []
    tab = contexts[scheme].context.new_page()
    try:
        tab.emulate_media(color_scheme=scheme)
        for rel, url in _pages(site):
            tab.goto(url, wait_until="load")
            if tab.url != url:
                problems.append(f"{rel}: the browser left {url} for {tab.url}; not checked")
                continue
            for v in axe.run(tab, options=options).response["violations"]:
                problems.append(f"{rel} [{scheme}]: {_describe_violation(v)}")
    finally:
        tab.close()
    assert not problems, report(f"axe-core {' '.join(WCAG_TAGS)} in the {scheme} scheme", problems)


def _describe_violation(v: dict[str, Any]) -> str:
    nodes = v.get("nodes", [])
    targets = ", ".join(" ".join(map(str, n.get("target", []))) for n in nodes[:6])
    more = f" (+{len(nodes) - 6} more)" if len(nodes) > 6 else ""
    detail = ""
    if nodes:
        checks = nodes[0].get("any", []) + nodes[0].get("all", []) + nodes[0].get("none", [])
        if checks:
            detail = f" — e.g. {checks[0].get('message', '')}"
    return (f"{v['id']} ({v.get('impact')}): {v.get('help')}; {len(nodes)} element(s): "
            f"{targets}{more}{detail}")


# --- keyboard -------------------------------------------------------------------------------------

_FOCUS_STATE = """el => {
  const cs = getComputedStyle(el);
  return {outlineStyle: cs.outlineStyle, outlineWidth: cs.outlineWidth,
          outlineColor: cs.outlineColor, boxShadow: cs.boxShadow};
}"""

_ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.dataset.verifyFocus) el.dataset.verifyFocus = String(window.__verifyFocus = (window.__verifyFocus || 0) + 1);
  const r = el.getBoundingClientRect();
  return {id: el.dataset.verifyFocus, tag: el.tagName.toLowerCase(), href: el.getAttribute('href'),
          text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
          link: el.dataset.verifyLink || null,
          box: [r.left, r.top, r.width, r.height], inViewport: r.bottom > 0 && r.top < innerHeight && r.width > 0 && r.height > 0};
}"""

_MARK_LINKS = """() => {
  const links = [...document.querySelectorAll('a[href]')].filter(a => {
    const cs = getComputedStyle(a);
    return a.getClientRects().length > 0 && cs.visibility !== 'hidden';
  });
  links.forEach((a, i) => a.dataset.verifyLink = String(i + 1));
  const focusable = document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"]), [contenteditable]');
  return {links: links.map(a => ({id: a.dataset.verifyLink, href: a.getAttribute('href'),
                                  text: (a.innerText || a.getAttribute('aria-label') || '').trim().slice(0, 60)})),
          focusable: focusable.length};
}"""


def _tab_through(tab: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Press Tab until focus leaves the page or comes round again: (stops, visible links)."""
    marked = tab.evaluate(_MARK_LINKS)
    stops: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(marked["focusable"] + 5):
        tab.keyboard.press("Tab")
        stop = tab.evaluate(_ACTIVE)
        if stop is None or stop["id"] in seen:
            break
        seen.add(stop["id"])
        stop["focused"] = tab.evaluate(
            f"() => ({_FOCUS_STATE})(document.activeElement)"
        )
        stops.append(stop)
    tab.evaluate("() => document.activeElement && document.activeElement.blur()")
    for stop in stops:
        stop["unfocused"] = tab.evaluate(
            f"() => ({_FOCUS_STATE})(document.querySelector('[data-verify-focus=\"{stop['id']}\"]'))"
        )
    return stops, marked["links"]


def _has_indicator(state: dict[str, str]) -> bool:
    outline = (state["outlineStyle"] != "none" and _px(state["outlineWidth"]) > 0
               and not _transparent(state["outlineColor"]))
    return outline or state["boxShadow"] not in ("none", "")


def _px(value: str) -> float:
    m = re.match(r"([\d.]+)px", value or "")
    return float(m.group(1)) if m else 0.0


def _transparent(color: str) -> bool:
    return color == "transparent" or bool(re.match(r"rgba\(.*,\s*0\)$", color or ""))


def _indicator_problems(stops: list[dict[str, Any]], where: str) -> list[str]:
    problems = []
    for s in stops:
        f, u = s["focused"], s.get("unfocused") or {}
        changed = any(f[k] != u.get(k) for k in ("outlineStyle", "outlineWidth", "outlineColor", "boxShadow"))
        if not (_has_indicator(f) and changed):
            problems.append(
                f"{where}: <{s['tag']} href={s['href']!r}> “{s['text']}” has no visible focus "
                f"indicator (focused outline {f['outlineStyle']} {f['outlineWidth']} "
                f"{f['outlineColor']}, box-shadow {f['boxShadow']}; unfocused "
                f"{u.get('outlineStyle')} {u.get('outlineWidth')}, {u.get('boxShadow')})"
            )
        elif not s["inViewport"]:
            problems.append(f"{where}: focused <{s['tag']} href={s['href']!r}> is off screen at {s['box']}")
    return problems


def test_first_tab_focuses_a_skip_link_to_an_existing_target(site: Any, page: Any) -> None:
    page.goto(site.base_url, wait_until="load")
    page.keyboard.press("Tab")
    first = page.evaluate(_ACTIVE)
    assert first is not None, "the first Tab on the home page focuses nothing"
    href = first["href"] or ""
    assert first["tag"] == "a" and href.startswith("#") and len(href) > 1, (
        f"the first Tab focuses <{first['tag']} href={href!r}> “{first['text']}”, not a skip link "
        "(<a href=\"#main\">Skip to content</a> as the first focusable element)"
    )
    target = unquote(href[1:])
    assert page.evaluate("id => !!document.getElementById(id)", target), (
        f"the skip link points at #{target}, but no element has id={target!r}"
    )
    assert re.search(r"skip|jump|main content|content", first["text"], re.I), (
        f"the first focusable link “{first['text']}” → {href} does not read as a skip link"
    )
    assert first["inViewport"], f"the focused skip link is not visible on screen: box {first['box']}"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == href, "Enter on the skip link does not follow it"


def test_tab_reaches_every_link_on_the_home_page_with_a_visible_focus(site: Any, page: Any) -> None:
    page.goto(site.base_url, wait_until="load")
    stops, links = _tab_through(page)
    reached = {s["link"] for s in stops if s["link"]}
    problems = [f"Tab never reaches the link “{a['text']}” → {a['href']}"
                for a in links if a["id"] not in reached]
    problems += _indicator_problems(stops, "index.html")
    assert links, "the home page has no visible link"
    assert not problems, report(f"keyboard on the home page ({len(stops)} Tab stops, "
                                f"{len(links)} visible links)", problems)


def test_focus_is_visible_on_person_source_and_brief_pages(site: Any, page: Any) -> None:
    problems = []
    for kind, rel in _sample_pages(site).items():
        if kind == "home":
            continue
        if rel is None:
            problems.append(f"no {kind} page in the build")
            continue
        page.goto(site.url_for(rel), wait_until="load")
        stops, _ = _tab_through(page)
        if not stops:
            problems.append(f"{rel}: Tab focuses nothing")
        problems += _indicator_problems(stops, rel)
    assert not problems, report("focus indicators", problems)


# --- layout ---------------------------------------------------------------------------------------

_OVERFLOW = """width => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right <= width + 0.5 || r.width === 0) continue;
    const child = [...el.children].some(c => c.getBoundingClientRect().right > width + 0.5);
    if (child) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    out.push(`${name} “${(el.innerText || '').trim().slice(0, 40)}” right edge ${Math.round(r.right)}px`);
    if (out.length >= 5) break;
  }
  return out;
}"""


def test_no_page_scrolls_horizontally_at_320px(site: Any, page: Any) -> None:
    page.set_viewport_size({"width": NARROW, "height": 700})
    problems = []
    for rel, url in _pages(site):
        page.goto(url, wait_until="load")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW:
            culprits = page.evaluate(_OVERFLOW, NARROW)
            problems.append(f"{rel}: scrollWidth {width}px > {NARROW}px; widest: {'; '.join(culprits)}")
    assert not problems, report(f"horizontal scrolling at {NARROW}px", problems)


# --- screenshots: tests/browser/test_reader.py photographs every page kind at 390 and 1280 px, both themes.


def _sample_pages(site: Any) -> dict[str, str | None]:
    return {
        "home": "index.html",
        "person": site.find_page(PERSON, under="people"),
        "source": site.find_page(under="sources"),
        "brief": site.find_page(under="briefs"),
    }


# --- search ---------------------------------------------------------------------------------------


def test_search_for_an_alias_finds_the_person_page(site: Any, page: Any) -> None:
    """Pagefind is run by the build; its UI must work under a sub-path and find people by alias."""
    files = [p.as_posix() for p in site.html_files()]
    assert SEARCH_PAGE in files, (
        f"no {SEARCH_PAGE} in the build: the search page (Pagefind UI) is missing"
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught exception: {exc}"))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console error: {m.text}"))
    page.goto(site.url_for(SEARCH_PAGE), wait_until="load")
    box = page.locator(".pagefind-ui__search-input, input[type='search']").first
    try:
        box.wait_for(state="visible", timeout=10_000)
    except Exception:  # noqa: BLE001
        pytest.fail(f"no visible search input on {SEARCH_PAGE}; {errors}", pytrace=False)
    box.click()
    page.keyboard.type("Kolesnikova", delay=20)
    result = page.locator("a[href*='people/kalesnikava']").first
    try:
        result.wait_for(state="visible", timeout=15_000)
    except Exception:  # noqa: BLE001
        shown = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        pytest.fail(
            f"typing “Kolesnikova” shows no result linking to people/kalesnikava/; "
            f"links on the page: {shown[-15:]}; {errors}",
            pytrace=False,
        )
    href = result.evaluate("a => a.href")
    path = urlsplit(href).path
    expected = urlsplit(site.base_url).path + "people/kalesnikava/"
    assert path in (expected, expected + "index.html"), (
        f"the result links to {href}, not to {site.base_url}people/kalesnikava/ "
        "(is Pagefind's baseUrl set for the sub-path?)"
    )
    assert page.request.get(href).status == 200, f"the search result {href} does not load"
    assert not errors, report("errors while searching", errors)

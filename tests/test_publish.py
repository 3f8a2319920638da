"""Publishing: feed, sitemap, robots.txt, data exports, the zip, determinism, privacy, page weight,
the not-found page, code highlighting and the GitHub Pages workflow — on fixtures and the real site."""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import yaml

from builder import publish
from builder.render import pygments_css
from tests.conftest import REPO, copy_real_project, mini_files, real_sources
from tests.publish_helpers import BASE, build_project, html_pages, is_alias, rich_files, soup, tree

WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"
BUDGET = 60 * 1024  # bytes of HTML + CSS per page


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixture site with base_url, dates, colliding spellings and a code block."""
    return build_project(tmp_path_factory.mktemp("rich"), rich_files())


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same without base_url and without any date."""
    return build_project(tmp_path_factory.mktemp("plain"), rich_files(base_url=None, updated=None))


# -- feed -----------------------------------------------------------------------------------------
def test_feed_is_valid_atom_with_every_brief(rich: Path) -> None:
    feed = feedparser.parse((rich / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.id == BASE and feed.feed.updated == "2025-03-04T00:00:00Z"
    by_title = {e.title: e for e in feed.entries}
    assert set(by_title) == {"The resignation", "How the numbers were counted"}
    dated = by_title["How the numbers were counted"]
    assert dated.updated == dated.published == "2025-01-02T00:00:00Z"  # the brief's own date wins
    assert by_title["The resignation"].updated == "2025-03-04T00:00:00Z"  # else the site's `updated`
    for entry in feed.entries:
        assert entry.link.startswith(BASE) and entry.id == entry.link
        path = entry.link.removeprefix(BASE) + "index.html"
        assert (rich / path).is_file(), entry.link
        assert entry.summary


def test_feed_links_resolve_without_base_url(tmp_path: Path) -> None:
    # No base_url: entry ids are name-based UUIDs, links are relative to the feed (at the root).
    site = build_project(tmp_path / "p", rich_files(base_url=None))
    headers = {"content-location": "http://h/x/feed.xml", "content-type": "application/atom+xml"}
    feed = feedparser.parse((site / "feed.xml").read_bytes(), response_headers=headers)
    assert not feed.bozo, feed.bozo_exception
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:")
        assert entry.link.startswith("http://h/x/briefs/")
        assert (site / entry.link.removeprefix("http://h/x/")).is_file()
    again = build_project(tmp_path / "q", rich_files(base_url=None))
    assert (again / "feed.xml").read_bytes() == (site / "feed.xml").read_bytes()


def test_no_date_means_no_feed_and_no_link(plain: Path) -> None:
    # Atom requires dates; none is invented: the site is whole without a feed, and no page links one.
    assert not (plain / "feed.xml").exists()
    assert all("feed.xml" not in html for html in html_pages(plain).values())


def test_source_date_epoch_dates_an_undated_feed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    site = build_project(tmp_path / "p", rich_files(updated=None))
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert feed.feed.updated == "2025-12-06T05:46:40Z"
    assert {e.updated for e in feed.entries} == {"2025-01-02T00:00:00Z", "2025-12-06T05:46:40Z"}
    assert 'type="application/atom+xml"' in (site / "index.html").read_text(encoding="utf-8")


def test_malformed_date_is_a_warning(tmp_path: Path) -> None:
    from builder.build import build
    from tests.conftest import write_project

    files = rich_files()
    files["content/briefs/counting.md"] = str(files["content/briefs/counting.md"]).replace(
        'date: "2025-01-02"', 'date: "early January"')
    root = write_project(tmp_path / "p", files)
    problems = [str(p) for p in build(root, root / "site").problems.items]
    assert problems == ["content/briefs/counting.md:1: warning: date 'early January' is not a date the feed "
                        "can use — write it as YYYY-MM-DD"]
    files["content/site.yaml"] = str(files["content/site.yaml"]).replace('"2025-03-04"', '"spring"')
    write_project(root, files)
    problems = [str(p) for p in build(root, root / "site").problems.items]
    assert "content/site.yaml:1: warning: updated 'spring' is not a date the feed can use — write it as YYYY-MM-DD" in problems


def test_real_content_feed_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    root = copy_real_project(tmp_path / "real")
    from builder.build import build

    build(root, root / "site")
    feed = feedparser.parse((root / "site" / "feed.xml").read_bytes())
    assert not feed.bozo
    assert len(feed.entries) == len(list((REPO / "content/briefs").glob("*.md")))


# -- sitemap, robots, canonical -------------------------------------------------------------------
def test_sitemap_lists_every_page_with_base_url(rich: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    import xml.etree.ElementTree as ET

    locs = [loc.text for loc in ET.parse(rich / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    pages = html_pages(rich)
    expected = {BASE + (p[: -len("index.html")] if p.endswith("index.html") else p)
                for p, html in pages.items() if not is_alias(html) and p != "404.html"}
    assert set(locs) == expected and len(locs) == len(expected)  # every listed page, once
    robots = (rich / "robots.txt").read_text()
    assert f"Sitemap: {BASE}sitemap.xml" in robots and "User-agent: *" in robots


def test_no_sitemap_or_canonical_without_base_url(plain: Path) -> None:
    assert not (plain / "sitemap.xml").exists()
    assert "Sitemap:" not in (plain / "robots.txt").read_text()
    for path, html in html_pages(plain).items():
        if not is_alias(html):  # alias pages always name their page as canonical, relatively
            assert 'rel="canonical"' not in html, path
            assert 'property="og:url"' not in html, path


def test_canonical_matches_the_page_address(rich: Path) -> None:
    for path, html in html_pages(rich).items():
        link = soup(html).find("link", rel="canonical")
        if path == "404.html":
            assert link is None
            continue
        assert link is not None, path
        if is_alias(html):
            assert link["href"].startswith(BASE + "people/") and link["href"] != BASE + posixpath.dirname(path) + "/"
        else:
            assert link["href"] == BASE + (path.removesuffix("index.html")), path


def test_base_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_BASE_URL", "https://user.github.io/repo")  # as configure-pages gives it
    site = build_project(tmp_path / "p", rich_files(base_url=None))
    assert '<link rel="canonical" href="https://user.github.io/repo/people/novak/">' in (
        site / "people/novak/index.html").read_text(encoding="utf-8")
    assert "https://user.github.io/repo/sources/" in (site / "sitemap.xml").read_text()


def test_bad_base_url_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import run_cli, write_project

    root = write_project(tmp_path / "p", rich_files(base_url="example.org/port/"))
    result = run_cli("--project", str(root), "build", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "content/site.yaml:" in result.stderr and "base_url" in result.stderr
    assert "Traceback" not in result.stderr


# -- 404 ------------------------------------------------------------------------------------------
def test_404_links_are_absolute_with_base_url(rich: Path) -> None:
    page = soup((rich / "404.html").read_text(encoding="utf-8"))
    urls = [t.get("href") or t.get("src") for t in page.find_all(["a", "link", "script"])
            if (t.get("href") or t.get("src") or "#").split("#")[0]]  # the skip link stays on the page
    assert urls and all(u.startswith(BASE) for u in urls), urls
    assert page.find("meta", attrs={"name": "robots", "content": "noindex"})
    for url in urls:  # every one leads to a file of the site
        rel = urlsplit(url).path.removeprefix(urlsplit(BASE).path)
        rel = rel + "index.html" if rel.endswith("/") or rel == "" else rel
        assert (rich / rel).is_file() or rel in ("feed.xml",), url


def test_404_without_base_url_links_from_the_top(plain: Path) -> None:
    page = soup((plain / "404.html").read_text(encoding="utf-8"))
    for a in page.find_all("a", href=True):
        if a["href"].startswith("#"):
            continue
        assert not urlsplit(a["href"]).scheme and not a["href"].startswith("../")
        assert (plain / urlsplit(a["href"]).path).is_file(), a["href"]
    assert "shorten the address" in page.get_text()


# -- data exports ---------------------------------------------------------------------------------
def test_exports_parse_and_match_the_content(real_site: Path) -> None:
    people = json.loads((real_site / "data/people.json").read_text(encoding="utf-8"))["people"]
    content = yaml.safe_load((REPO / "content/people.yaml").read_text(encoding="utf-8"))
    assert [p["id"] for p in people] == [p["id"] for p in content]
    assert [p["aliases"] for p in people] == [p.get("aliases", []) for p in content]
    sources = json.loads((real_site / "data/sources.json").read_text(encoding="utf-8"))["sources"]
    exported = {s["id"]: [b["anchor"] for b in s["paragraphs"] if b["anchor"]] for s in sources}
    assert exported == {s.id: [b.anchor for b in s.text.blocks if b.anchor] for s in real_sources()}
    claims = json.loads((real_site / "data/claims.json").read_text(encoding="utf-8"))["claims"]
    assert len(claims) >= 20 and all(c["stances"] for c in claims)
    assert any(c["disputed"] for c in claims)
    for name in publish.EXPORTS:  # fixed formatting: sorted keys, two-space indent, final newline
        text = (real_site / f"data/{name}.json").read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# -- the zip and determinism ----------------------------------------------------------------------
def test_zip_holds_every_file_but_itself(real_site: Path) -> None:
    with zipfile.ZipFile(real_site / "briefing.zip") as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        files = {k: v for k, v in tree(real_site).items() if k != "briefing.zip"}
        assert names == ["briefing/" + k for k in sorted(files)]
        assert all(archive.read("briefing/" + k) == v for k, v in files.items())
    assert "briefing/pagefind/pagefind-ui.js" in names and "briefing/index.html" in names


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    # Pagefind's index and the zip included: both builds of the real content, compared file by file.
    from builder.build import build

    root = copy_real_project(tmp_path / "real")
    build(root, tmp_path / "one")
    build(root, tmp_path / "two")
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert sorted(one) == sorted(two)
    assert [k for k in one if one[k] != two[k]] == []
    assert any(re.match(r"pagefind/\d+/index/", k) for k in one) and "briefing.zip" in one


# -- privacy, weight, no script needed ------------------------------------------------------------
RESOURCE_TAGS = {"link": "href", "script": "src", "img": "src", "iframe": "src", "source": "src",
                 "video": "src", "audio": "src", "embed": "src", "object": "data", "image": "href", "use": "href"}


def off_site_resources(html: str, own: str = "") -> list[str]:
    """What a page would load from another site (`own`: the site's base_url, which is not elsewhere)."""
    found = []
    for name, attr in RESOURCE_TAGS.items():
        for tag in soup(html).find_all(name):
            url = tag.get(attr) or tag.get("xlink:href") or ""
            rel = " ".join(tag.get("rel") or [])
            if name == "link" and rel in ("canonical", "alternate"):
                continue  # addresses, not loads (and only ever the site's own base_url)
            if (urlsplit(url).scheme or url.startswith("//")) and not (own and url.startswith(own)):
                found.append(f"<{name} {attr}={url}>")
    return found


@pytest.mark.parametrize("site_name", ["real_site", "rich"])
def test_nothing_is_loaded_from_elsewhere(site_name: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(site_name)
    own = BASE if site_name == "rich" else ""  # the 404 page's absolute links point at the site itself
    found = {p: off_site_resources(h, own) for p, h in html_pages(site).items()}
    assert {p: f for p, f in found.items() if f} == {}
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert "@import" not in text, css
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css


@pytest.mark.parametrize("site_name", ["real_site", "rich"])
def test_every_page_has_the_csp_and_no_referrer(site_name: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(site_name)
    for path, html in html_pages(site).items():
        page = soup(html)
        csp = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert csp is not None, path
        policy = csp["content"]
        assert policy.startswith("default-src 'self';") and "style-src 'self'" in policy, path
        assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "unsafe-inline" not in policy, path
        assert page.find("meta", attrs={"name": "referrer", "content": "no-referrer"}), path


def test_only_the_search_page_runs_script(real_site: Path) -> None:
    # Reading needs no JavaScript: JSON-LD is data; only search/ loads code (and says what to do without).
    for path, html in html_pages(real_site).items():
        code = [s for s in soup(html).find_all("script") if s.get("type") != "application/ld+json"]
        assert (path == "search/index.html") == bool(code), path


def linked_css(site: Path, path: str, html: str) -> list[Path]:
    hrefs = [t["href"] for t in soup(html).find_all("link", rel="stylesheet")]
    return [site / posixpath.normpath(posixpath.join(posixpath.dirname(path), h)) for h in hrefs]


def test_page_weight_budget(real_site: Path) -> None:
    weights = {}
    for path, html in html_pages(real_site).items():
        css = linked_css(real_site, path, html)
        assert css and all(c.is_file() for c in css), path
        weights[path] = len(html.encode("utf-8")) + sum(c.stat().st_size for c in css)
    heaviest = max(weights, key=weights.__getitem__)
    assert weights[heaviest] < BUDGET, f"{heaviest}: {weights[heaviest]} bytes of HTML + CSS"


def test_pages_stay_within_the_budget_when_an_editor_adds_sources_weighed_on_every_claim(tmp_path: Path) -> None:
    # The claims ledger grows with claims x sources: an editor who adds two more sources and records a stance
    # of each on every claim (here: copies of the CBS report, quoting what it quotes) must not outgrow the
    # page weight readers are promised, nor fail `make test`.
    root = copy_real_project(tmp_path / "p")
    sources = (root / "content/sources.yaml").read_text(encoding="utf-8")
    cbs = next(s for s in yaml.safe_load(sources) if s["id"] == "cbs-thaw")
    claims = yaml.safe_load((root / "content/claims.yaml").read_text(encoding="utf-8"))
    for extra in ("cbs-copy-1", "cbs-copy-2"):
        (root / "seeds" / f"{extra}.txt").write_bytes((root / "seeds" / cbs["seed"]).read_bytes())
        sources += (f"\n- id: {extra}\n  seed: {extra}.txt\n  title: {json.dumps(cbs['title'])}\n"
                    f"  title_is_editorial: false\n  short: {json.dumps(extra)}\n  kind: news report\n"
                    f"  ingest: {json.dumps(cbs['ingest'])}\n")
        for claim in claims:
            stance = next(st for st in claim["stances"] if st["source"] == "cbs-thaw")
            claim["stances"].append({**stance, "source": extra})
    (root / "content/sources.yaml").write_text(sources, encoding="utf-8")
    (root / "content/claims.yaml").write_text(yaml.safe_dump(claims, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")
    site = build_project(root, {})
    pages = html_pages(site)
    assert any("cbs-copy-2" in html for path, html in pages.items() if path.startswith("claims/"))
    weights = {path: len(html.encode("utf-8")) + sum(c.stat().st_size for c in linked_css(site, path, html))
               for path, html in pages.items()}
    heaviest = max(weights, key=weights.__getitem__)
    assert weights[heaviest] < BUDGET, f"{heaviest}: {weights[heaviest]} bytes of HTML + CSS"


# -- code blocks ----------------------------------------------------------------------------------
def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def css_rules(css: str) -> dict[str, tuple[str | None, str | None]]:
    """selector → (color, background) for the `.highlight` rules of one block of CSS."""
    out = {}
    for selector, body in re.findall(r"^\s*(\.highlight[^{]*)\{([^}]*)\}", css, re.M):
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", body)
        background = re.search(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})", body)
        out[selector.strip()] = (colour and colour.group(1), background and background.group(1))
    return out


def test_code_colours_pass_wcag_aa_in_both_themes() -> None:
    css = pygments_css()
    light_css, dark_css = css.split("@media (prefers-color-scheme: dark)", 1)
    light = css_rules(light_css)
    dark = {**light, **{k: (v[0] or light.get(k, (None, None))[0], v[1] or light.get(k, (None, None))[1])
                         for k, v in css_rules(dark_css).items()}}  # light rules the dark style lacks still apply
    page_text = {"light": "#1c1f24", "dark": "#e7e9ec"}  # --fg in assets/style.css
    failures = []
    for theme, rules in (("light", light), ("dark", dark)):
        background = rules[".highlight"][1]
        assert background, theme
        base = rules[".highlight"][0] or page_text[theme]
        for selector, (colour, own_background) in rules.items():
            if selector in (".highlight", ".highlight .hll") or selector.endswith(" .w"):
                continue  # the block itself, line highlighting (unused), whitespace (invisible)
            ratio = contrast(colour or base, own_background or background)
            if ratio < 4.5:
                failures.append(f"{theme} {selector}: {ratio:.2f}")
    assert failures == []


def test_code_is_highlighted_and_the_stylesheet_linked(rich: Path) -> None:
    html = (rich / "briefs/counting/index.html").read_text(encoding="utf-8")
    assert '<pre class="highlight">' in html and '<span class="k">def</span>' in html
    for path, page in html_pages(rich).items():
        if not is_alias(page):  # the colours weigh ~10 KB: only a page showing code links them
            shows_code = '<pre class="highlight">' in page
            assert any(c.name == "pygments.css" for c in linked_css(rich, path, page)) == shows_code, path
    assert (rich / "assets/pygments.css").read_text() == pygments_css()


# -- publishing -----------------------------------------------------------------------------------
def test_pages_workflow_builds_and_deploys() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {}  # each job its own (tests/test_hardening.py runs zizmor over it)
    assert workflow["concurrency"]["group"] == "pages"
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    for action in ("actions/checkout", "actions/configure-pages", "actions/upload-pages-artifact",
                   "actions/deploy-pages"):
        assert action in uses, action
    assert all("@" in s["uses"] for s in steps if "uses" in s)  # every action pinned to a version
    build = next(s for s in steps if "make site" in s.get("run", ""))
    assert build["env"]["BRIEFING_BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"].rstrip("/") == "site" and upload["with"]["include-hidden-files"] is True
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"


def test_nojekyll_and_robots_are_in_every_build(plain: Path) -> None:
    assert (plain / ".nojekyll").read_bytes() == b""
    assert (plain / "robots.txt").read_text().startswith("# Every page")
    assert sorted(p.name for p in (plain / "data").iterdir()) == sorted(f"{n}.json" for n in publish.EXPORTS)


def test_mini_project_without_extras_still_builds(tmp_path: Path) -> None:
    # No home.yaml, no timeline, no dates, no base_url: every picture and file simply stays away.
    site = build_project(tmp_path / "m", mini_files())
    assert (site / "search/index.html").is_file() and (site / "briefing.zip").is_file()
    assert not (site / "feed.xml").exists() and not (site / "sitemap.xml").exists()
    assert 'id="chart-numbers"' not in (site / "index.html").read_text(encoding="utf-8")


def test_off_site_checker_catches_loads() -> None:
    assert off_site_resources('<script src="https://cdn.example/x.js"></script><img src="//t.example/p.gif">'
                              '<link rel="stylesheet" href="http://f.example/a.css">') == [
        "<link href=http://f.example/a.css>", "<script src=https://cdn.example/x.js>", "<img src=//t.example/p.gif>"]
    assert off_site_resources('<link rel="canonical" href="https://example.org/port/"><a href="https://x.example/">x</a>') == []

"""Hostile content never reaches a page as live code.

One project puts script, event handlers and script URLs into every field an editor can write (front
matter, every YAML string, Markdown bodies, a seed) and is built by the real command. Every page is
then parsed: no <script> but the site's own, no on* attribute, no javascript:/vbscript:/data: address,
and each hostile text is still visible, as text, where it was written. (Hostile input the build refuses
outright, such as a javascript: source url or a language code with markup in it, is in
tests/fixtures/broken/cases.yaml and hostile.yaml; what the build refuses to read or write, in
tests/test_hardening.py.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from builder.textutil import slugify
from conftest import mini_files, run_cli, write_project

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "srcset", "cite", "poster", "background",
             "data", "ping", "manifest"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):")
EMBEDDING = ("iframe", "frame", "frameset", "object", "embed", "applet", "base")


def evil(tag: str) -> str:
    """A distinct piece of hostile text per field, so each one can be found where it was written."""
    return f"<script>alert('{tag}')</script><img src=x onerror=alert('{tag}')> {tag}"


def _scheme(url: str) -> str:
    # Browsers drop tabs/newlines anywhere and control characters and spaces around a URL.
    return re.sub(r"[\t\n\r]", "", url).strip("".join(chr(i) for i in range(0x21))).lower()


def live_code(html: str) -> list[str]:
    """Everything on a page that could run script; empty when the page is inert."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for script in soup.find_all("script"):
        src = script.get("src")
        if script.get("type") == "application/ld+json" and not src:
            try:
                json.loads(script.string or "")
            except ValueError:
                found.append(f"ld+json that is not JSON: {str(script)[:80]}")
        elif not (src and re.match(r"^(\.\./)*(pagefind|assets)/", src) and not script.string):
            found.append(f"script: {str(script)[:80]}")
    for element in soup.find_all(True):
        if element.name in EMBEDDING:
            found.append(f"<{element.name}>")
        if element.name == "meta" and str(element.get("http-equiv", "")).lower() == "refresh":
            # The site's alias pages redirect to a page of the site: a relative address, nothing else.
            target = re.sub(r"^\s*\d+\s*;?\s*(url\s*=\s*)?", "", str(element.get("content", "")), flags=re.I)
            if re.match(r"^[a-z][a-z0-9+.-]*:|^//", _scheme(target)):
                found.append(f"meta refresh to {target!r}")
        for name, value in element.attrs.items():
            values = value if isinstance(value, list) else [value]
            if name.lower().startswith("on"):
                found.append(f"<{element.name} {name}=…>")
            elif name.lower() in URL_ATTRS and any(BAD_SCHEME.match(_scheme(str(v))) for v in values):
                found.append(f"<{element.name} {name}={value!r}>")
    return found


def visible_text(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


# -- the hostile project ------------------------------------------------------------------------

MD_SNIPPETS = {  # Markdown in a brief body: what a reader must see, literally, where it was written
    "raw-script": ("Raw <script>alert('raw')</script> inline", "Raw <script>alert('raw')</script> inline"),
    "raw-img": ("<img src=x onerror=alert('img')>", "<img src=x onerror=alert('img')>"),
    "raw-block": ("<div onclick=alert('div')>block</div>", "<div onclick=alert('div')>block</div>"),
    "js-link": ("[a](javascript:alert(1))", "[a](javascript:alert(1))"),
    "js-link-mixed-case": ("[b](JaVaScRiPt:alert(1))", "[b](JaVaScRiPt:alert(1))"),
    "js-link-entity": ("[c](java&#x09;script:alert(1))", "[c](java"),
    "js-link-spaces": ("[d](<  javascript:alert(1)>)", "[d]"),
    "vbscript-link": ("[e](vbscript:msgbox(1))", "[e](vbscript:msgbox(1))"),
    "data-link": ("[f](data:text/html,<b>x</b>)", "[f](data:text/html,<b>x</b>)"),
    "data-image": ("![g](data:image/svg+xml,<svg onload=alert(1)>)", "![g](data:image/svg+xml,<svg onload=alert(1)>)"),
    "js-image": ("![h](javascript:alert(1))", "![h](javascript:alert(1))"),
    "js-autolink": ("<javascript:alert(1)>", "<javascript:alert(1)>"),
    "js-reference": ("[i][evil]\n\n[evil]: javascript:alert(1)", "[i][evil]"),
    "attr-onclick-link": ("[j](https://example.org/){onclick=\"alert(1)\"}", "j"),
    "attr-href-override": ("[k](https://example.org/){href=\"javascript:alert(1)\"}", "k"),
    "attr-src-override": ("![l](../../assets/icon.svg){src=\"data:image/svg+xml,x\"}", ""),
    "attr-onmouseover-bare": ("[m](https://example.org/){onmouseover=alert(1) .x}", "m"),
    "attr-block": ("{onclick=\"alert(1)\" style=\"x\"}\nBlock with attributes", "Block with attributes"),
    "attr-heading": ("{onclick=alert(1)}\n## Heading <script>alert('h2')</script>", "Heading <script>alert('h2')</script>"),
    "code-info": ("```\"><script>alert(1)</script>\ncode\n```", "code"),
    "wikilink-html": ("[[novak|<script>alert('wl')</script>]]", "<script>alert('wl')</script>"),
    "footnote": ("Note[^n].\n\n[^n]: <script>alert('fn')</script>", "<script>alert('fn')</script>"),
}

BRIEF_BODY = "\n\n".join(f"{md} [@port-news#p3]" if not md.startswith(("```", "## ", "{", "[i]", "Note["))
                         else md for md, _ in MD_SNIPPETS.values())

EVIL_SEED = """\
<script>alert('seed-headline')</script>

<img src=x onerror=alert('seed-p1')> Jana Novak was not in the room.

[x](javascript:alert('seed-p2')) and javascript:alert('seed-p2b')
"""


def hostile_files() -> dict[str, str | bytes]:
    files = mini_files()
    files.update({
        "content/site.yaml": f"""\
            title: {json.dumps(evil("site-title"))}
            description: {json.dumps(evil("site-description"))}
            language: en
            author: {json.dumps(evil("site-author"))}
            """,
        "content/sources.yaml": f"""\
            - id: port-news
              seed: port.txt
              title: {json.dumps(evil("source-title"))}
              short: {json.dumps(evil("source-short"))}
              outlet: {json.dumps(evil("source-outlet"))}
              published: {json.dumps(evil("source-published"))}
              notes: {json.dumps(evil("source-notes"))}
              kind: news report
              url: "https://example.org/a?q=<script>alert('source-url')</script>"
              ingest:
                captions: ["^Harbour workers gather"]
            - id: evil-seed
              seed: evil.txt
              title: An article with script in it
            """,
        "seeds/evil.txt": EVIL_SEED,
        "content/people.yaml": f"""\
            - id: novak
              name: Jana Novak
              aliases: [Novak, Jana Nowak, {json.dumps(evil("person-alias"))}]
              native_names: {{be: {json.dumps(evil("person-native"))}}}
              role: {json.dumps(evil("person-role"))}
              country: {json.dumps(evil("person-country"))}
              status: {json.dumps(evil("person-status"))}
              profile: {json.dumps(evil("person-profile") + " [@port-news#p3]")}
            - id: lis
              name: {json.dumps("Piotr Lis " + evil("person-name"))}
              aliases: [Lis]
              role: Deputy minister
              profile: Leads the ministry for now [@port-news#p5].
            """,
        "content/organisations.yaml": f"""\
            - id: harbour-institute
              name: {json.dumps("Harbour Institute " + evil("org-name"))}
              aliases: [Harbour Institute, {json.dumps(evil("org-alias"))}]
              kind: {json.dumps(evil("org-kind"))}
              description: {json.dumps(evil("org-description") + " [@port-news#p4]")}
            """,
        "content/claims.yaml": f"""\
            - id: resigned
              topic: {json.dumps(evil("claim-topic"))}
              claim: {json.dumps(evil("claim-text"))}
              note: {json.dumps(evil("claim-note"))}
              stances:
                - source: port-news
                  stance: contradicts
                  at: p3
                  excerpt: Jana Novak resigned
                - source: evil-seed
                  stance: supports
                  at: p2
                  excerpt: "<img src=x onerror=alert('seed-p1')>"
            """,
        "content/timeline.yaml": f"""\
            - id: resignation
              when: {json.dumps(evil("timeline-when"))}
              event: {json.dumps(evil("timeline-event") + " [@port-news#p3]")}
            """,
        "content/glossary.yaml": f"""\
            - term: {json.dumps(evil("glossary-term"))}
              definition: {json.dumps(evil("glossary-definition"))}
            """,
        "content/home.yaml": f"""\
            bullets:
              - {json.dumps(evil("home-bullet") + " [@port-news#p3]")}
            key_numbers:
              - value: Tuesday
                label: {json.dumps(evil("home-number-label"))}
                cite: port-news#p3
            """,
        "content/briefs/evil.md": f"""\
            ---
            title: {json.dumps(evil("brief-title"))}
            summary: {json.dumps(evil("brief-summary"))}
            people: [novak]
            ---
            """ + BRIEF_BODY.replace("\n", "\n            ") + "\n",
        "content/pages/about.md": f"""\
            ---
            title: {json.dumps(evil("page-title"))}
            summary: {json.dumps(evil("page-summary"))}
            ---
            {evil("page-body")}
            """,
    })
    return files


# Where each field's hostile text must be visible, as text.
CLAIM_TOPIC_PAGE = f"claims/{slugify(evil('claim-topic'))}/index.html"  # the claim's topic has a page of its own
VISIBLE = {
    "site-title": "index.html", "site-description": "index.html", "site-author": "people/novak/index.html",
    "source-title": "sources/port-news/index.html", "source-short": "briefs/resignation/index.html",
    "source-outlet": "sources/port-news/index.html", "source-published": "sources/port-news/index.html",
    "source-notes": "sources/port-news/index.html",
    "person-alias": "people/novak/index.html", "person-native": "people/novak/index.html",
    "person-role": "people/novak/index.html", "person-country": "people/novak/index.html",
    "person-status": "people/novak/index.html", "person-profile": "people/novak/index.html",
    "person-name": "people/lis/index.html",
    "org-name": "organisations/harbour-institute/index.html",
    "org-alias": "organisations/harbour-institute/index.html",
    "org-kind": "organisations/harbour-institute/index.html",
    "org-description": "organisations/harbour-institute/index.html",
    "claim-text": "claims/index.html", "claim-note": CLAIM_TOPIC_PAGE, "claim-topic": CLAIM_TOPIC_PAGE,
    "timeline-when": "timeline/index.html", "timeline-event": "timeline/index.html",
    "glossary-term": "glossary/index.html", "glossary-definition": "glossary/index.html",
    "home-bullet": "index.html", "home-number-label": "index.html",
    "brief-title": "briefs/evil/index.html", "brief-summary": "briefs/evil/index.html",
    "page-title": "about/index.html", "page-body": "about/index.html",
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("hostile") / "project", hostile_files())
    result = run_cli("--project", str(root), "build")
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return root / "site"


def pages_of(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html"))}


# -- the checker can fail -----------------------------------------------------------------------

@pytest.mark.parametrize("html", [
    "<p>x<script>alert(1)</script></p>",
    "<script src='https://evil.example/x.js'></script>",
    "<script src='../assets/x.js'>alert(1)</script>",
    "<script type='application/ld+json'>{not json</script>",
    "<p onclick='alert(1)'>x</p>",
    "<img src=x ONERROR=alert(1)>",
    "<a href=' JaVaScRiPt:alert(1)'>x</a>",
    "<a href='java\tscript:alert(1)'>x</a>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    "<img src='data:image/png;base64,AAAA'>",
    "<q cite='javascript:alert(1)'>x</q>",
    "<iframe src='x.html'></iframe>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "<meta http-equiv='Refresh' content='0; URL= https://evil.example/'>",
])
def test_checker_finds_live_code(html: str) -> None:
    assert live_code(html), html


def test_checker_accepts_the_sites_own_scripts() -> None:
    html = ('<script type="application/ld+json">{"@type": "Article", "name": "</scr\\u0069pt>"}</script>'
            '<script src="../../pagefind/pagefind-ui.js"></script><script src="assets/site.js"></script>'
            '<a href="https://example.org/">x</a><a href="../people/index.html#x">y</a>'
            '<meta http-equiv="refresh" content="0; url=../../people/novak/index.html">')
    assert live_code(html) == []


# -- the built site -----------------------------------------------------------------------------

def test_no_page_carries_live_code(hostile_site: Path) -> None:
    # Guards: autoescape in every template, markdown-it with html=False, markup._validate_link,
    # markup._sanitize_attrs (on* and unknown attributes), the attrs plugin's own URL check.
    pages = pages_of(hostile_site)
    assert len(pages) >= 14
    found = {path: live_code(html) for path, html in pages.items()}
    assert {path: f for path, f in found.items() if f} == {}


@pytest.mark.parametrize("tag", sorted(VISIBLE))
def test_hostile_field_shows_as_text(tag: str, hostile_site: Path) -> None:
    # Guard: escaping, not stripping: the reader sees what the editor wrote (a sanitiser that dropped
    # the tags, or double escaping, would fail here).
    html = (hostile_site / VISIBLE[tag]).read_text(encoding="utf-8")
    assert " ".join(evil(tag).split()) in visible_text(html)


@pytest.mark.parametrize("name", sorted(MD_SNIPPETS))
def test_hostile_markdown_shows_as_text(name: str, hostile_site: Path) -> None:
    html = (hostile_site / "briefs" / "evil" / "index.html").read_text(encoding="utf-8")
    assert live_code(html) == []
    assert " ".join(MD_SNIPPETS[name][1].split()) in visible_text(html)


def test_hostile_seed_shows_as_text(hostile_site: Path) -> None:
    html = (hostile_site / "sources" / "evil-seed" / "index.html").read_text(encoding="utf-8")
    text = visible_text(html)
    for line in EVIL_SEED.splitlines():
        assert " ".join(line.split()) in text
    assert live_code(html) == []


def test_source_url_is_escaped_inside_a_web_address(hostile_site: Path) -> None:
    html = (hostile_site / "sources" / "port-news" / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    link = soup.find("a", href=re.compile(r"^https://example\.org/a"))
    assert link is not None and link["href"].endswith("<script>alert('source-url')</script>")
    assert live_code(html) == []


def test_attribute_addresses_are_checked_by_the_engine_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    # Guard: markup._sanitize_attrs keeps only allowed attributes and re-checks href/src set through
    # {…}. Older mdit-py-plugins (which pyproject allows) checked neither; simulated here by switching
    # the plugin's own checks off.
    from mdit_py_plugins.attrs import index as attrs_index

    from builder.markup import create_markdown

    monkeypatch.setattr(attrs_index, "_is_valid_url", lambda md, value: True, raising=False)
    monkeypatch.setattr(attrs_index, "_is_insecure_attr", lambda key: False, raising=False)
    md = create_markdown()
    for text in ('[k](https://example.org/){href="javascript:alert(1)"}',
                 '[k](https://example.org/){href=" JAVASCRIPT:alert(1)"}',
                 '![l](icon.svg){src="data:image/svg+xml,<svg onload=alert(1)>"}',
                 '[m](https://example.org/){onclick="alert(1)"}',
                 '{onmouseover="alert(1)"}\nA paragraph'):
        html = md.render(text, {"links": None})
        assert live_code(html) == [], html
    assert 'href="https://example.org/ok"' in md.render('[k](#){href="https://example.org/ok"}', {"links": None})


def test_the_real_site_passes_the_same_checks(real_site: Path) -> None:
    # The checker allows the site's own scripts (JSON-LD, search) and nothing else, on the real build too.
    pages = pages_of(real_site)
    assert len(pages) > 20
    assert {path: f for path, html in pages.items() if (f := live_code(html))} == {}

"""What pages say about themselves: unique titles and descriptions, Open Graph, JSON-LD that matches
what the page shows."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from builder.meta import json_ld, public_path
from tests.publish_helpers import BASE, build_project, html_pages, is_alias, rich_files, soup
from tests.publish_helpers import json_ld as read_json_ld


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("rich"), rich_files())


@pytest.mark.parametrize("site_name", ["real_site", "rich"])
def test_titles_and_descriptions_are_unique(site_name: str, request: pytest.FixtureRequest) -> None:
    pages = html_pages(request.getfixturevalue(site_name))
    titles = Counter(soup(h).title.get_text() for h in pages.values())
    descriptions = Counter(soup(h).find("meta", attrs={"name": "description"})["content"] for h in pages.values())
    assert [t for t, n in titles.items() if n > 1] == []
    assert [d for d, n in descriptions.items() if n > 1] == []


def og(html: str) -> dict[str, str]:
    return {m["property"]: m["content"] for m in soup(html).find_all("meta", property=True)}


def test_open_graph_on_every_page(rich: Path) -> None:
    for path, html in html_pages(rich).items():
        if is_alias(html):
            continue
        tags = og(html)
        page = soup(html)
        assert tags["og:description"] == page.find("meta", attrs={"name": "description"})["content"], path
        assert page.title.get_text().startswith(tags["og:title"]), path
        assert tags["og:site_name"] == "Port Briefing"
        expected_type = ("article" if path.startswith("briefs/") and path != "briefs/index.html"
                         else "profile" if re.fullmatch(r"people/[^/]+/index\.html", path) else "website")
        assert tags["og:type"] == expected_type, path
        if path != "404.html":
            assert tags["og:url"] == BASE + public_path(path), path


def test_json_ld_of_a_brief_matches_the_page(rich: Path) -> None:
    html = (rich / "briefs/resignation/index.html").read_text(encoding="utf-8")
    [data] = read_json_ld(html)
    page = soup(html)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == page.find("h1").get_text()
    assert data["description"] == page.find(class_="lede").get_text()
    named = [a.get_text() for a in page.find("aside").find("h2", string="Named in this brief").find_next("ul").find_all("a")]
    assert [m["name"] for m in data["mentions"]] == named
    assert [m["url"] for m in data["mentions"]][0].startswith(BASE + "people/")
    assert data["url"] == BASE + "briefs/resignation/"
    assert data["publisher"] == {"@type": "Organization", "name": "Port Briefing"}
    dated = read_json_ld((rich / "briefs/counting/index.html").read_text(encoding="utf-8"))[0]
    assert dated["datePublished"] == "2025-01-02" and "datePublished" not in data  # never invented


def test_json_ld_of_people_and_organisations_matches_the_page(real_site: Path) -> None:
    checked = 0
    for path, html in html_pages(real_site).items():
        if not re.fullmatch(r"(people|organisations)/[^/]+/index\.html", path) or is_alias(html):
            continue
        [data] = read_json_ld(html)
        page = soup(html)
        assert data["@type"] == ("Person" if path.startswith("people/") else "Organization"), path
        assert data["name"] == page.find("h1").get_text(), path
        spellings = page.find(class_="spellings")
        shown = spellings.get_text().removeprefix("Other spellings:").strip() if spellings else ""
        assert ", ".join(data["alternateName"]) == " ".join(shown.split()), path
        assert data["description"] == page.find(class_="lede").get_text().split(" · ")[0], path
        checked += 1
    assert checked >= 9


def test_json_ld_only_where_there_is_one_thing(real_site: Path) -> None:
    for path, html in html_pages(real_site).items():
        blocks = read_json_ld(html)
        one_thing = (path == "index.html" or re.fullmatch(r"(briefs|people|organisations)/[^/]+/index\.html", path)
                     and path != "briefs/index.html" and not is_alias(html))
        assert len(blocks) == (1 if one_thing else 0), path
    [home] = read_json_ld((real_site / "index.html").read_text(encoding="utf-8"))
    assert home["@type"] == "WebSite" and "url" not in home  # no base_url: no address is made up


def test_json_ld_cannot_close_its_script() -> None:
    html = str(json_ld({"name": "</script><script>alert(1)</script>", "x": "<!--"}))
    assert html.count("</script>") == 1 and "<!--" not in html
    assert read_json_ld(html) == [{"name": "</script><script>alert(1)</script>", "x": "<!--"}]


def test_feed_is_announced_on_every_page_when_there_is_one(rich: Path) -> None:
    for path, html in html_pages(rich).items():
        if is_alias(html):
            continue
        link = soup(html).find("link", rel="alternate", type="application/atom+xml")
        assert link is not None, path
        target = link["href"]
        assert target == BASE + "feed.xml" if path == "404.html" else target.endswith("feed.xml")

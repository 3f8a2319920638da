"""What a reader sees (issue 10), held on the real briefing and on a newsroom-sized fixture (12 sources,
40 people): dates in <time>, the about page one step away, citations that open the cited words in place
and paragraphs that link back to every brief citing them, briefs with contents, neighbours and their
checks, claims by topic with "not assessed", search kinds, page weight, and deterministic output."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from builder import reading
from builder.build import build
from builder.citations import anchors_label, marked_spans
from tests import newsroom
from tests.conftest import run_cli, write_project
from tests.publish_helpers import is_alias

BUDGET = 60 * 1024  # bytes of HTML and CSS a page may weigh
EPOCH = "1757548800"  # 2025-09-11: what `make site` passes from the last commit


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


class Built:
    """A built site's pages, parsed once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.html = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                     for p in sorted(root.rglob("*.html")) if "pagefind" not in p.relative_to(root).parts}
        self.soups = {path: parse(html) for path, html in self.html.items() if not is_alias(html)}

    def kind(self, prefix: str) -> dict[str, BeautifulSoup]:
        return {p: s for p, s in self.soups.items() if re.fullmatch(rf"{prefix}/[^/]+/index\.html", p)}

    def target(self, page: str, href: str) -> tuple[str, str]:
        """(site path, fragment) an href on `page` points at."""
        parts = urlsplit(href)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path)) if parts.path else page
        return path, parts.fragment


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real briefing built as `make site` builds it (SOURCE_DATE_EPOCH from the last commit)."""
    out = tmp_path_factory.mktemp("reader-real") / "site"
    result = run_cli("build", "--out", str(out), env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return Built(out)


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return newsroom.write(tmp_path_factory.mktemp("newsroom") / "p")


@pytest.fixture(scope="module")
def large(fixture_project: Path) -> Built:
    result = build(fixture_project, fixture_project / "site")
    warnings = [str(p) for p in result.problems.items]
    assert len(warnings) == 1 and "claim-3" in warnings[0] and "s11" in warnings[0], warnings
    return Built(fixture_project / "site")


@pytest.fixture(scope="module", params=["real", "large"])
def site(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(request.param)


# -- 1. time ---------------------------------------------------------------------------------------
def test_the_home_page_says_as_of_when_in_a_time_element(site: Built) -> None:
    asof = site.soups["index.html"].select_one(".asof")
    assert asof is not None
    time = asof.find("time")
    assert time is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", time["datetime"])
    assert asof.get_text().startswith("As of ")


def test_the_as_of_date_falls_back_from_updated_to_the_newest_brief_to_the_build(fixture_project: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.build import load_and_resolve
    from builder.config import Paths
    from builder.problems import Problems

    project, _ = load_and_resolve(Paths(fixture_project), Problems())
    assert reading.as_of(project).iso == newsroom.UPDATED
    undated = replace(project, site=replace(project.site, updated=None))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert reading.as_of(undated).iso == "2025-09-11"
    dated = replace(undated, briefs=(replace(undated.briefs[0], date="2024-01-02"),
                                     replace(undated.briefs[1], updated="2024-03-04"), *undated.briefs[2:]))
    assert reading.as_of(dated).iso == "2024-03-04"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert reading.as_of(undated) is None  # nothing invented


def test_every_brief_shows_its_date_in_a_time_element(site: Built) -> None:
    briefs = site.kind("briefs")
    assert briefs
    for path, page in briefs.items():
        assert page.select_one(".byline time[datetime]") is not None, path


def test_sources_show_published_when_known_and_say_so_when_not(site: Built) -> None:
    for path, page in site.kind("sources").items():
        published = next(div for div in page.select(".facts div") if div.find("dt").get_text() == "Published")
        time = published.find("time")
        assert time is not None or "Not given" in published.get_text(), path


def test_a_dated_timeline_event_shows_its_day(large: Built) -> None:
    times = large.soups["timeline/index.html"].select(".timeline time")
    assert [t["datetime"] for t in times] == [newsroom.EVENT_DATE]


# -- 2. trust one step away ---------------------------------------------------------------------------
def test_every_page_links_the_about_page(site: Built) -> None:
    missing = [path for path, page in site.soups.items()
               if not any(site.target(path, a["href"])[0] == "about/index.html" for a in page.find_all("a", href=True))]
    assert missing == []


def test_each_brief_ends_with_how_it_was_checked(site: Built) -> None:
    for path, page in site.kind("briefs").items():
        checked = page.select_one("section.checked")
        assert checked is not None, path
        body = page.select_one(".prose")
        cites = len(body.select(".cite"))
        quotes = len(body.select("q")) + len(body.select("blockquote"))
        text = checked.get_text(" ")
        counted = int(re.search(r"(\d+) citations?", text).group(1))
        assert counted >= cites  # a citation of several paragraphs counts each
        if quotes:
            assert re.search(r"(\d+) quotations? w", text) and int(re.search(r"(\d+) quotations? w", text).group(1)) >= 1
        linked = {site.target(path, a["href"])[0] for a in checked.select("li a")}
        used = {site.target(path, page.find(id=b["popovertarget"]).select_one(".pop-foot a")["href"])[0]
                for b in body.select(".cite-btn")}
        assert used and used <= linked, path  # every source the brief cites is listed, linked


# -- 3. citations that open in place -----------------------------------------------------------------
def _paragraph_words(site: Built, source_page: str, anchor: str) -> str:
    block = site.soups[source_page].find(id=anchor)
    assert block is not None, (source_page, anchor)
    block = parse(str(block))
    for extra in block.select(".para-num, .cited-in, .meta"):
        extra.decompose()
    return " ".join(block.get_text().split())


def test_every_citation_opens_the_cited_words_in_place(site: Built) -> None:
    problems = []
    for path, page in site.soups.items():
        for button in page.select(".cite-btn"):
            pop = page.find(id=button["popovertarget"])
            if pop is None or not pop.has_attr("popover"):
                problems.append(f"{path}: {button.get_text()} opens nothing")
                continue
            short = pop.select_one(".pop-head strong").get_text()  # the source's short name, then its kind
            assert button.get_text().startswith(short) and "·" in pop.select_one(".pop-head").get_text(), path
            link = pop.select_one(".pop-foot a")
            target, anchor = site.target(path, link["href"])
            for para in pop.select(".pop-para"):
                number = para.select_one(".pop-num").get_text()
                words = " ".join(para.get_text().replace(number, "", 1).split())
                at = anchor if para.select_one("a.pop-num") is None else \
                    site.target(path, para.select_one("a.pop-num")["href"])[1]
                if words != _paragraph_words(site, target, at):
                    problems.append(f"{path}: preview of {target}#{at} differs from the paragraph")
    assert problems == []


def test_marked_words_are_the_page_s_quotations(site: Built) -> None:
    for path, page in site.kind("briefs").items():
        quoted = " ".join(q.get_text() for q in page.select(".prose q, .prose blockquote"))
        for mark in page.select(".cite-pop mark"):
            assert " ".join(mark.get_text().split()) in " ".join(quoted.split()).replace("\u201c", '"'), (path, mark)


def test_adjacent_citations_to_one_source_collapse() -> None:
    assert anchors_label(["p3", "p4"]) == "¶3–4"
    assert anchors_label(["p3", "p4", "p5", "p7", "fig1"]) == "¶3–5, 7, photo 1"
    assert marked_spans("he said “very  productive”", ['"very productive"']) == [(8, 26)]


def test_a_run_of_one_source_is_one_button(large: Built) -> None:
    page = large.soups["briefs/brief-1/index.html"]
    first = page.select_one(".prose .cite")
    assert [b.get_text() for b in first.select(".cite-btn")] == ["Desk 1 ¶2–4", "Desk 2 ¶2"]
    assert "·" in first.get_text()


def test_quotations_link_to_their_paragraph_and_citations_stay_out_of_search(site: Built) -> None:
    for path, page in site.soups.items():
        for q in page.select("q[cite]"):
            link = q.find("a")
            assert link is not None and link["href"] == q["cite"], (path, str(q)[:80])
        for cite in page.select(".cite, .cited-in"):
            assert cite.has_attr("data-pagefind-ignore"), path


def test_every_cited_paragraph_links_back_to_every_brief_citing_it(site: Built) -> None:
    problems = []
    for path, page in site.kind("briefs").items():
        for spot in page.select(".prose .cite[id]"):
            for button in spot.select(".cite-btn"):
                pop = page.find(id=button["popovertarget"])
                nums = pop.select("a.pop-num") or pop.select(".pop-foot a")
                for link in nums:
                    source, anchor = site.target(path, link["href"])
                    if not anchor:
                        continue
                    para = site.soups[source].find(id=anchor)
                    back = {site.target(source, a["href"]) for a in para.select(".cited-in a")}
                    if not any(p == path for p, _ in back):
                        problems.append(f"{source}#{anchor} does not link back to {path}")
                    elif (path, spot["id"]) not in back:
                        problems.append(f"{source}#{anchor} does not link to {path}#{spot['id']}")
    assert problems == []


def test_back_references_land_on_a_citation(site: Built) -> None:
    for path, page in site.kind("sources").items():
        for link in page.select(".cited-in a"):
            target, fragment = site.target(path, link["href"])
            spot = site.soups[target].find(id=fragment)
            assert spot is not None and (target.startswith("claims/") or "cite" in spot.get("class", [])), link


# -- 5. briefs --------------------------------------------------------------------------------------
def test_briefs_have_contents_neighbours_and_reading_time(site: Built) -> None:
    briefs = site.kind("briefs")
    for path, page in briefs.items():
        sections = page.select(".prose h2[id]")
        toc = page.select_one("nav.toc")
        assert (toc is not None) == (len(sections) >= 3), path
        if toc is not None:
            assert [a["href"] for a in toc.select("a")] == [f"#{h['id']}" for h in sections]
        assert re.search(r"\d+ min read", page.select_one(".byline").get_text()), path
    pagers = [page.select_one("nav.pager") for page in briefs.values()]
    assert sum(len(p.select("a.prev")) for p in pagers if p) == len(briefs) - 1
    assert sum(len(p.select("a.next")) for p in pagers if p) == len(briefs) - 1


def test_the_briefs_list_runs_over_pages_and_lists_every_brief_once(large: Built) -> None:
    # The newsroom shows two briefs a page: the home page lists the first two and links to the whole list.
    lists = sorted(p for p in large.soups if p == "briefs/index.html" or p.startswith("briefs/page/"))
    assert lists[0] == "briefs/index.html" and len(lists) >= 2
    listed: list[str] = []
    for path in lists:
        cards = [large.target(path, a["href"])[0] for a in large.soups[path].select("ul.cards li > a")]
        assert 1 <= len(cards) <= 2, path
        listed += cards
    assert sorted(listed) == sorted(large.kind("briefs")), "every brief on exactly one page of the list"
    for before, after in zip(lists, lists[1:]):  # each page leads to the next and back
        assert large.target(before, large.soups[before].select_one("a[rel=next]")["href"])[0] == after
        assert large.target(after, large.soups[after].select_one("a[rel=prev]")["href"])[0] == before
    home = large.soups["index.html"].select_one("section[aria-labelledby=briefs-h]")
    assert len(home.select("ul.cards li")) == 2
    more = [a for a in home.select("a") if a.get_text().startswith("All ")]
    assert more and large.target("index.html", more[0]["href"])[0] == "briefs/index.html"
    assert f"All {len(listed)} briefs" in more[0].get_text()


def test_a_briefs_page_size_below_one_is_an_error_at_its_line(tmp_path: Path) -> None:
    from tests.conftest import SITE_YAML, mini_files
    root = write_project(tmp_path / "p", {**mini_files(), "content/site.yaml": SITE_YAML + "briefs_per_page: 0\n"})
    result = run_cli("--project", str(root), "check")
    assert result.returncode == 1
    assert "content/site.yaml:4: error: briefs_per_page is 0" in result.stderr + result.stdout


def test_block_quotations_say_whose_words_they_are(site: Built) -> None:
    quotes = [fig for page in site.kind("briefs").values() for fig in page.select("figure.quote")]
    for fig in quotes:
        assert fig.find("blockquote") and "Quoted from" in fig.find("figcaption").get_text()
    if "briefs/brief-0/index.html" in site.soups:  # every fixture brief has one
        assert quotes


# -- 6. claims ---------------------------------------------------------------------------------------
def test_claims_are_grouped_by_topic_and_unrecorded_stances_read_not_assessed(site: Built) -> None:
    # claims/ lists every claim under its topic; each topic's page holds the ledger of its claims, one row each.
    overview = site.soups["claims/index.html"]
    topics = overview.select("section.topic")
    assert topics
    rows: dict[str, str] = {}  # claim id → the topic page holding its row
    for topic in topics:
        page_path = site.target("claims/index.html", topic.select_one("h2 a")["href"])[0]
        page = site.soups[page_path]
        assert page.find("table", class_="ledger") and page.find("h1")
        listed = [site.target("claims/index.html", a["href"]) for a in topic.select("li > a")]
        assert listed and {path for path, _ in listed} == {page_path}
        for _, claim in listed:
            assert claim not in rows, f"{claim} under two topics"
            row = page.find("tr", id=claim)
            assert row is not None, (page_path, claim)
            rows[claim] = page_path
            cells = row.select("td")
            assert cells and all(c.select_one("b:not(.src)").get_text() in
                                 ("Supports", "Contradicts", "Silent", "Unclear", "Not assessed") for c in cells)
    exported = json.loads((site.root / "data/claims.json").read_text(encoding="utf-8"))
    assert set(rows) == {c["id"] for c in exported["claims"]}, "every claim of the ledger, once"
    if "briefs/brief-0/index.html" in site.soups:  # the fixture leaves one source unassessed on claim-3
        cell = site.soups[rows["claim-3"]].find(id="claim-3").select("td")[-1]
        assert cell.select_one("b:not(.src)").get_text() == "Not assessed" and "not-assessed" in cell["class"]


# -- 7–9. design, search, guarantees -----------------------------------------------------------------
def test_every_page_says_what_it_is_for_search(site: Built) -> None:
    for path, page in site.soups.items():
        main = page.find("main")
        if main.has_attr("data-pagefind-body"):
            assert re.fullmatch(r"kind:[A-Z]\w+", main["data-pagefind-meta"]), path
    kind = {p: s.find("main")["data-pagefind-meta"] for p, s in site.soups.items() if s.find("main").has_attr("data-pagefind-meta")}
    assert all(kind[p] == "kind:Brief" for p in site.kind("briefs"))
    assert all(kind[p] == "kind:Source" for p in site.kind("sources"))
    assert all(kind[p] == "kind:Person" for p in site.kind("people"))


def test_every_page_weighs_at_most_60_kb_with_its_css(site: Built) -> None:
    weights = {}
    for path, page in site.soups.items():
        css = [site.target(path, link["href"])[0] for link in page.select("link[rel=stylesheet]")]
        weights[path] = len(site.html[path].encode()) + sum((site.root / c).stat().st_size for c in css)
    heaviest = max(weights, key=weights.__getitem__)
    assert weights[heaviest] <= BUDGET, f"heaviest: {heaviest} at {weights[heaviest]:,} bytes"


def test_no_page_loads_anything_from_elsewhere_and_each_keeps_the_csp(site: Built) -> None:
    for path, page in site.soups.items():
        assert page.find("meta", attrs={"http-equiv": "Content-Security-Policy"}) is not None, path
        for tag in page.find_all(["link", "script", "img", "use", "iframe"]):
            ref = tag.get("src") or (tag.get("href") if tag.name != "a" else None) or ""
            assert "//" not in ref, (path, ref)


def test_the_coverage_matrix_stays_legible_on_a_phone(site: Built) -> None:
    svg = site.soups["sources/index.html"].find("svg", id="chart-coverage")
    width = float(svg["viewbox"].split()[2])  # the HTML parser lowers attribute names
    assert width * 0.75 <= 358  # at 390 px (358 px of column) the 14 px type stays above 10.5 px
    columns = len(parse(str(svg)).select("defs ~ text[transform]"))
    assert columns == len(site.kind("sources"))


def test_the_fixture_builds_byte_for_byte_the_same_twice(fixture_project: Path, large: Built, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(fixture_project, again)

    def digest(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}
    assert digest(again) == digest(large.root)


def _no_stance_lines(root: Path) -> list[str]:
    result = run_cli("--project", str(root), "check")
    return [line for line in result.stderr.splitlines() + result.stdout.splitlines() if "records no stance" in line]


def test_check_warns_per_claim_about_sources_with_no_stance(fixture_project: Path, tmp_path: Path) -> None:
    lines = _no_stance_lines(fixture_project)
    assert len(lines) == 1 and lines[0].startswith("content/claims.yaml:") and "'claim-3'" in lines[0]
    assert "not assessed" in lines[0]
    # a source just added, which no claim assesses yet, is "not assessed" everywhere but warns nowhere
    files = newsroom.files()
    files["content/sources.yaml"] += "- id: fresh\n  seed: s0.txt\n  title: A fresh copy\n"
    assert _no_stance_lines(write_project(tmp_path / "p", files)) == lines

"""The pictures: drawn from the model, each with words for those who cannot see it, coloured by CSS
classes the stylesheet defines for both themes, and readable on a narrow screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup, Tag

from builder.visuals import wrap
from tests.conftest import REPO
from tests.publish_helpers import build_project, html_pages, rich_files, soup

STYLE = "\n".join((REPO / f"assets/{name}.css").read_text(encoding="utf-8") for name in ("style", "charts"))
PEOPLE = yaml.safe_load((REPO / "content/people.yaml").read_text(encoding="utf-8"))
SOURCES = yaml.safe_load((REPO / "content/sources.yaml").read_text(encoding="utf-8"))
HOME = yaml.safe_load((REPO / "content/home.yaml").read_text(encoding="utf-8"))
EVENTS = yaml.safe_load((REPO / "content/timeline.yaml").read_text(encoding="utf-8"))
CHARTS = {"timeline/index.html": "chart-timeline",
          "people/index.html": "chart-network", "sources/index.html": "chart-coverage"}


def chart(site: Path, path: str) -> tuple[Tag, BeautifulSoup]:
    page = soup((site / path).read_text(encoding="utf-8"))
    svg = page.find("svg", id=CHARTS[path])
    assert svg is not None, path
    return svg, page


@pytest.mark.parametrize("path", sorted(CHARTS))
def test_each_picture_has_a_text_alternative(path: str, real_site: Path) -> None:
    svg, page = chart(real_site, path)
    assert svg["role"] == "img"
    title_id, desc_id = svg["aria-labelledby"].split()
    assert svg.find("title", id=title_id).get_text().strip()
    assert len(svg.find("desc", id=desc_id).get_text()) > 40
    figure = svg.find_parent("figure")
    assert figure is not None and figure.find("figcaption").get_text().strip()
    assert svg.find_parent(attrs={"data-pagefind-body": True}) is not None  # inside the page's content


@pytest.mark.parametrize("path", sorted(CHARTS))
def test_pictures_use_classes_not_inline_styles(path: str, real_site: Path) -> None:
    svg, _ = chart(real_site, path)
    assert not svg.find_all(style=True) and not svg.has_attr("style")
    assert not svg.find_all(attrs={"fill": True}) and not svg.find_all(attrs={"stroke": True})
    # Every shape takes its colour from a class the stylesheet defines (else it would draw black).
    shapes = svg.find_all(["rect", "line", "circle", "path", "polygon"])
    assert shapes
    unstyled = [str(el)[:60] for el in shapes
                if not any(re.search(rf"\.{re.escape(c)}\b", STYLE) for c in el.get("class", []))]
    assert unstyled == []


def test_no_page_has_a_style_attribute(real_site: Path) -> None:
    # The CSP has style-src 'self': a style attribute would be blocked, so none may exist.
    assert [p for p, h in html_pages(real_site).items() if soup(h).find_all(style=True)] == []


def test_dark_theme_recolours_the_pictures() -> None:
    dark = STYLE.split("@media (prefers-color-scheme: dark)")[1:]
    assert any("--viz-1" in block.split("}")[0] + block.split("}")[1] for block in dark)
    for rule in (".chart text", ".viz-bar", ".viz-edge", ".viz-halo"):
        body = re.search(rf"{re.escape(rule)}[^{{]*\{{([^}}]*)\}}", STYLE)
        assert body and "var(--" in body.group(1), rule  # colours follow the theme's variables


# -- key numbers ----------------------------------------------------------------------------------
def test_each_key_number_appears_once_with_its_source(real_site: Path) -> None:
    page = soup((real_site / "index.html").read_text(encoding="utf-8"))
    listed = [dt.get_text() for dt in page.find("dl", class_="numbers").find_all("dt")]
    assert listed == [n["value"] for n in HOME["key_numbers"]]
    assert page.find("svg") is None  # no second copy of the same numbers as bars
    assert all(div.find(class_="cite") for div in page.find("dl", class_="numbers").find_all("div"))


# -- timeline -------------------------------------------------------------------------------------
def test_timeline_picture(real_site: Path) -> None:
    svg, page = chart(real_site, "timeline/index.html")
    assert len(svg.find_all("circle", class_="viz-dot")) == len(EVENTS)
    labels = [" ".join(t.stripped_strings) for t in svg.find_all("text")]
    assert labels == [f"{i}. {e['when']}" for i, e in enumerate(EVENTS, start=1)]
    assert len(page.find("ol", class_="timeline").find_all("li", recursive=False)) == len(EVENTS)
    assert "no dates" in svg.find("desc").get_text()


# -- network --------------------------------------------------------------------------------------
def test_network_of_people(real_site: Path) -> None:
    svg, page = chart(real_site, "people/index.html")
    nodes = svg.find_all("circle", class_="viz-node")
    assert len(nodes) == len(PEOPLE)
    labels = [" ".join(t.stripped_strings) for t in svg.find_all("text")]
    assert labels == [p["name"] for p in PEOPLE]
    edges = svg.find_all("line", class_="viz-edge")
    rows = page.find("details", class_="chart-data").find("tbody").find_all("tr")
    assert len(edges) == len(rows) > 0
    counts = [int(r.find_all("td")[2].get_text()) for r in rows]
    assert counts == sorted(counts, reverse=True)
    widths = sorted(float(e["stroke-width"]) for e in edges)
    assert widths[-1] == 7 and widths[0] >= 1  # weighted: the strongest pair is the thickest line
    radius = {round(((float(n["cx"]) - 240) ** 2 + (float(n["cy"]) - 210) ** 2) ** 0.5) for n in nodes}
    assert radius == {130}  # a circle layout: deterministic, no randomness
    # It shrinks with its column on a phone (480 units into ~370 px: labels stay above 10 px), never scrolling.
    assert svg["viewbox"] == "0 0 480 420" and svg.find_parent(class_="chart-scroll") is None


def test_network_counts_match_the_graph(rich: Path) -> None:
    from builder.build import load_and_resolve
    from builder.config import Paths
    from builder.problems import Problems

    _, graph = load_and_resolve(Paths(rich.parent), Problems())
    _, page = chart(rich, "people/index.html")
    rows = [[td.get_text() for td in r.find_all("td")] for r in page.find("details", class_="chart-data").find_all("tr")[1:]]
    assert rows == [["Jana Novak", "Piotr Lis", str(graph.together["novak"]["lis"])]]
    assert graph.together["novak"]["lis"] == 1  # one brief names both; no paragraph names both


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("rich"), rich_files())


# -- coverage -------------------------------------------------------------------------------------
def test_coverage_matrix(real_site: Path) -> None:
    svg, page = chart(real_site, "sources/index.html")
    cells = svg.find_all("use")
    assert len(cells) == len(PEOPLE) * len(SOURCES)
    table = page.find("details", class_="chart-data").find("table")
    header = [th.get_text() for th in table.find("thead").find_all("th")][1:]
    assert len(header) == len(SOURCES)
    table_counts = [int(td.get_text()) for td in table.find("tbody").find_all("td")]
    shown = [t.get_text() for t in svg.find_all("text", class_="viz-count")]
    assert shown == [str(n) for n in table_counts if n]  # each count is written on its square
    levels = [int(u["href"].removeprefix("#cov-l")) for u in cells]
    assert [lv == 0 for lv in levels] == [n == 0 for n in table_counts]
    assert max(levels) == 4


def test_coverage_counts_paragraphs(real_site: Path) -> None:
    # Kalesnikava: named in one paragraph of cbs-thaw (as Kolesnikova) and one of the explainer.
    page = soup((real_site / "sources/index.html").read_text(encoding="utf-8"))
    table = page.find("details", class_="chart-data").find("table")
    columns = [th.get_text() for th in table.find("thead").find_all("th")][1:]
    row = next(r for r in table.find("tbody").find_all("tr") if r.find("th").get_text() == "Maria Kalesnikava")
    counts = dict(zip(columns, (int(td.get_text()) for td in row.find_all("td"))))
    source_page = (real_site / "sources/cbs-thaw/index.html").read_text(encoding="utf-8")
    paragraphs = soup(source_page).find(class_="source-text").find_all(["p", "figure"])
    named = [p for p in paragraphs if p.find("a", href=re.compile(r"people/kalesnikava/"))]
    short = next(s.get("short") for s in SOURCES if s["id"] == "cbs-thaw")
    assert counts[short] == len(named) >= 1


# -- small screens --------------------------------------------------------------------------------
def test_narrow_pictures_fit_a_phone(real_site: Path) -> None:
    # 360 user units at 14px type: on a 320px screen (288px of column) the type is still ~11px.
    for path in ("timeline/index.html", "sources/index.html"):
        svg, _ = chart(real_site, path)
        assert float(svg["width"]) <= 360, path
        assert svg.find_parent(class_="chart-scroll") is None, path


def test_wrap_keeps_labels_inside_the_picture() -> None:
    lines = wrap("political prisoners freed after an earlier round of easing in late 2025", 352)
    assert len(lines) == 2 and all(len(line) * 7.4 <= 352 for line in lines)


# -- large casts ----------------------------------------------------------------------------------
def test_large_casts_draw_the_people_named_most(monkeypatch: pytest.MonkeyPatch) -> None:
    # A newsroom's thousand people would make an unreadable picture weighing megabytes: the charts keep
    # the most-named few and say so. Lowered limits on the real content stand in for a large cast.
    from builder import visuals
    from builder.build import load_and_resolve
    from builder.config import Paths
    from builder.problems import Problems

    project, graph = load_and_resolve(Paths(REPO), Problems())
    monkeypatch.setattr(visuals, "NETWORK_PEOPLE", 4)
    monkeypatch.setattr(visuals, "COVERAGE_PEOPLE", 5)
    monkeypatch.setattr(visuals, "COVERAGE_SOURCES", 2)
    weight = {p.id: len(graph.mentions.get(p.id, ())) for p in project.people}
    assert len(set(weight.values())) > 1  # else "most named" would not be tested

    network = soup(str(visuals.network(visuals.network_data(project, graph))))
    names = [" ".join(t.stripped_strings) for t in network.find("svg").find_all("text")]
    assert len(names) == 4
    shown = [p for p in project.people if p.name in names]
    hidden = [p for p in project.people if p.name not in names]
    assert min(weight[p.id] for p in shown) >= max(weight[p.id] for p in hidden)
    assert f"Showing the 4 people named most often, of {len(PEOPLE)}." in network.find("figcaption").get_text()
    pair_names = {td.get_text() for tr in network.find("tbody").find_all("tr") for td in tr.find_all("td")[:2]}
    assert pair_names <= set(names)  # the table says what the picture shows, no more

    coverage = soup(str(visuals.coverage(visuals.coverage_data(project, graph))))
    assert len(coverage.find("svg").find_all("use")) == 5 * 2
    rows = [tr.find("th").get_text() for tr in coverage.find("tbody").find_all("tr")]
    assert len(rows) == 5 and set(rows) <= {p.name for p in project.people}
    assert f"of {len(SOURCES)}." in coverage.find("svg").find("desc").get_text()

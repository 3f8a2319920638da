"""Pictures drawn at build time as inline SVG, from the data a page's context carries: no chart library, no script.

Each picture is a <figure> whose <svg role="img"> carries a <title> and a <desc> that say what it
shows in words, with the same data as a list or table on the page. Colours come from CSS classes
(the stylesheet has light and dark values; the CSP forbids style attributes). Layouts are pure
arithmetic on the content, so two builds draw the same picture.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from markupsafe import Markup

from builder.model import Entity, Event, Graph, Project, Source

CHAR = 7.4  # average width of a character at the charts' 14px type, for wrapping and sizing
LINE = 18  # line height
# Past these, a picture stops being readable (and at newsroom scale would weigh megabytes): the network
# and the coverage matrix draw the people named most often and the sources naming the most people, and
# say how many they leave out. A briefing's own cast is well under both.
NETWORK_PEOPLE = 16
COVERAGE_PEOPLE = 25
COVERAGE_SOURCES = 12
COVERAGE_CELL = 26.0  # a column's width: twelve of them and the names fit a phone


def num(x: float) -> str:
    """A coordinate with at most one decimal: short, and the same on every machine."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def wrap(text: str, width_px: float) -> list[str]:
    return textwrap.wrap(text, max(8, int(width_px / CHAR)), break_on_hyphens=False) or [""]


def text(x: float, y: float, lines: list[str], cls: str = "", anchor: str = "start") -> Markup:
    """Lines of SVG text, the first with its baseline at y."""
    spans = Markup("").join(Markup('<tspan x="{}" dy="{}">{}</tspan>').format(num(x), 0 if i == 0 else LINE, line)
                            for i, line in enumerate(lines))
    attrs = Markup(' class="{}"').format(cls) if cls else Markup("")
    if anchor != "start":
        attrs += Markup(' text-anchor="{}"').format(anchor)
    return Markup('<text x="{}" y="{}"{}>{}</text>').format(num(x), num(y), attrs, spans)


def svg(ident: str, width: float, height: float, title: str, desc: str, body: Iterable[Markup]) -> Markup:
    return Markup('<svg class="chart" id="{0}" viewBox="0 0 {1} {2}" width="{1}" height="{2}" role="img" '
                  'aria-labelledby="{0}-title {0}-desc"><title id="{0}-title">{3}</title>'
                  '<desc id="{0}-desc">{4}</desc>{5}</svg>').format(
        ident, num(width), num(height), title, desc, Markup("").join(body))


def figure(chart: Markup, caption: Markup | str, extra: Markup = Markup("")) -> Markup:
    # Every picture shrinks with its column (viewBox, max-width: 100%): no box on the page scrolls sideways.
    # The data table follows the figure: a <figcaption> must be the figure's first or last child.
    return Markup('<figure class="chart-figure">{}<figcaption>{}</figcaption></figure>{}').format(
        chart, caption, extra)


def name_lines(name: str) -> list[str]:
    """A name on two lines (given names, then surname) so labels stay narrow."""
    head, _, last = name.rpartition(" ")
    return [head, last] if head else [last]


Pair = tuple[Entity, Entity, int]  # two people and how often they are named together


@dataclass(frozen=True)
class Network:
    """What the people network draws: the people named most often, and who is named with whom."""

    people: tuple[Entity, ...]  # at most NETWORK_PEOPLE, in the project's order
    total: int  # people in the project
    pairs: tuple[Pair, ...]  # strongest first


@dataclass(frozen=True)
class Coverage:
    """What the coverage matrix draws: how many paragraphs of each source name each person."""

    people: tuple[Entity, ...]  # at most COVERAGE_PEOPLE, in the project's order
    sources: tuple[Source, ...]  # at most COVERAGE_SOURCES, in the project's order
    counts: dict[tuple[str, str], int]  # (person id, source id) → paragraphs naming the person
    total_people: int
    total_sources: int


def most_named(people: tuple[Entity, ...], graph: Graph, limit: int) -> tuple[Entity, ...]:
    """The `limit` people with the most mentions (briefs and source paragraphs), in the project's order."""
    if len(people) <= limit:
        return people
    weight = {p.id: len(graph.mentions.get(p.id, ())) for p in people}
    keep = {p.id for p in sorted(people, key=lambda p: -weight[p.id])[:limit]}  # stable: ties keep order
    return tuple(p for p in people if p.id in keep)


def network_data(project: Project, graph: Graph) -> Network:
    people = most_named(project.people, graph, NETWORK_PEOPLE)
    ids = {p.id for p in people}
    order = {p.id: i for i, p in enumerate(people)}
    pairs = []
    for a in people:
        for b_id, count in sorted(graph.together.get(a.id, {}).items()):
            if b_id in ids and order[a.id] < order[b_id] and count > 0:
                pairs.append((a, people[order[b_id]], count))
    pairs.sort(key=lambda t: (-t[2], order[t[0].id], order[t[1].id]))
    return Network(people, len(project.people), tuple(pairs))


def coverage_data(project: Project, graph: Graph) -> Coverage:
    people, sources = most_named(project.people, graph, COVERAGE_PEOPLE), project.sources
    anchors: dict[tuple[str, str], set[str]] = defaultdict(set)
    for person in people:
        for m in graph.mentions.get(person.id, []):
            if m.kind == "source":
                anchors[(person.id, m.doc)].add(m.anchor)
    counts = {key: len(found) for key, found in anchors.items()}
    if len(sources) > COVERAGE_SOURCES:  # the sources that name the most of these people
        named = {s.id: sum(1 for p in people if (p.id, s.id) in counts) for s in sources}
        keep = {s.id for s in sorted(sources, key=lambda s: -named[s.id])[:COVERAGE_SOURCES]}
        sources = tuple(s for s in sources if s.id in keep)
    return Coverage(people, sources, counts, len(project.people), len(project.sources))


def _left_out(shown: int, total: int, what: str) -> str:
    return f" Showing the {shown} {what} named most often, of {total:,}." if shown < total else ""


# -- timeline ---------------------------------------------------------------------------------
def timeline(events: tuple[Event, ...]) -> Markup:
    """The timeline's events, evenly spaced on a line."""
    if not events:
        return Markup("")
    width, x0 = 360.0, 12.0
    body, y, dots = [], 8.0, []
    for index, event in enumerate(events, start=1):
        lines = wrap(f"{index}. {event.when}", width - x0 - 24)
        dots.append(y + 10)
        body.append(text(x0 + 18, y + 14, lines, "viz-label"))
        y += 14 + LINE * (len(lines) - 1) + 16
    spine = Markup('<line class="viz-axis" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>').format(
        num(x0), num(dots[0]), num(dots[-1]))
    marks = [Markup('<circle class="viz-dot" cx="{}" cy="{}" r="5"/>').format(num(x0), num(d)) for d in dots]
    desc = (f"{len(events)} events in the order the sources give them, evenly spaced because the sources "
            "give no dates: " + "; ".join(f"{i}. {e.when}" for i, e in enumerate(events, start=1)) + ".")
    return figure(svg("chart-timeline", width, y, "The timeline at a glance", desc, [spine, *marks, *body]),
                  "Evenly spaced: the sources give the order of events, not their dates. "
                  "The numbers match the list below, where each event is told in full with its sources.")


# -- who is mentioned with whom (people index) ------------------------------------------------
def network(data: Network) -> Markup:
    """Who is named with whom (the people index), from `network_data`."""
    people, pairs = data.people, data.pairs
    if len(people) < 2:
        return Markup("")
    width, height, radius = 480.0, 420.0, 130.0
    cx, cy = width / 2, height / 2
    where = {p.id: _on_circle(i, len(people), cx, cy, radius) for i, p in enumerate(people)}
    strongest = max((c for _, _, c in pairs), default=1)
    body = [Markup('<line class="viz-edge" x1="{}" y1="{}" x2="{}" y2="{}" stroke-width="{}"/>').format(
        num(where[a.id][0]), num(where[a.id][1]), num(where[b.id][0]), num(where[b.id][1]),
        num(1 + 6 * c / strongest)) for a, b, c in reversed(pairs)]
    for i, p in enumerate(people):
        body.append(Markup('<circle class="viz-node" cx="{}" cy="{}" r="7"/>').format(
            num(where[p.id][0]), num(where[p.id][1])))
        body.append(_node_label(p, i, len(people), cx, cy, radius + 14))
    left_out = _left_out(len(people), data.total, "people")
    desc = ("People as points on a circle; a line joins two people named together in a brief or in a "
            "paragraph of a source, thicker the more often." + left_out + " " + _pairs_sentence(pairs))
    return figure(svg("chart-network", width, height, "Who is mentioned with whom", desc, body),
                  f"Thicker lines: named together more often.{left_out} The same connections as a table:",
                  _pairs_table(pairs))


def _on_circle(i: int, n: int, cx: float, cy: float, r: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def _node_label(person: Entity, i: int, n: int, cx: float, cy: float, r: float) -> Markup:
    x, y = _on_circle(i, n, cx, cy, r)
    dx, dy = x - cx, y - cy
    anchor = "start" if dx > r * 0.3 else "end" if dx < -r * 0.3 else "middle"
    lines = name_lines(person.name)
    if dy < -r * 0.3:  # above the circle: the last line sits just over the point
        y -= LINE * (len(lines) - 1)
    elif dy > r * 0.3:
        y += 10
    else:
        y += 5 - LINE * (len(lines) - 1) / 2
    return text(x, y, lines, "viz-label viz-halo", anchor)


def _pairs_sentence(pairs: tuple[Pair, ...]) -> str:
    if not pairs:
        return "No two people are named together."
    return "Named together: " + "; ".join(f"{a.name} and {b.name}, {c} times" for a, b, c in pairs) + "."


def _pairs_table(pairs: tuple[Pair, ...]) -> Markup:
    rows = Markup("").join(Markup('<tr><td>{}</td><td>{}</td><td class="num">{}</td></tr>').format(
        a.name, b.name, c) for a, b, c in pairs)
    return Markup('<details class="chart-data"><summary>Named together: the table</summary>'
                  '<table><thead><tr><th scope="col">Person</th><th scope="col">With</th>'
                  '<th scope="col">Times</th></tr></thead><tbody>{}</tbody></table></details>').format(rows)


# -- coverage: which source names whom (sources index) ----------------------------------------
def coverage(data: Coverage) -> Markup:
    """Which source names whom (the sources index), from `coverage_data`."""
    people, sources, counts = data.people, data.sources, data.counts
    if not people or not sources:
        return Markup("")
    left_out = (_left_out(len(people), data.total_people, "people")
                + (f" Columns: the {len(sources)} sources naming most of them, of {data.total_sources:,}."
                   if len(sources) < data.total_sources else ""))
    most = max(counts.values(), default=1)
    label_w = max(CHAR * max(len(line) for p in people for line in name_lines(p.name)), 60) + 8
    cell, row = COVERAGE_CELL, 38.0
    # Narrow columns under source names slanted at 45°: twelve sources and two dozen people read at 390 px.
    slant = CHAR * max(len(s.short) for s in sources) * 0.9 + 8  # wide fonts run past CHAR
    top = 12 + slant
    body = [_defs()]
    for j, s in enumerate(sources):
        body.append(Markup('<text class="viz-label" transform="translate({} {}) rotate(-45)">{}</text>').format(
            num(label_w + cell * (j + 0.5) + 4), num(top - 6), s.short))
    for i, p in enumerate(people):
        y = top + row * i
        lines = name_lines(p.name)
        body.append(text(0, y + (15 if len(lines) > 1 else 24), lines, "viz-label"))
        for j, s in enumerate(sources):
            body.append(_cell(label_w + cell * j, y, counts.get((p.id, s.id), 0), most))
    return figure(svg("chart-coverage", label_w + cell * len(sources) + slant, top + row * len(people),
                      "Which source names whom", _coverage_desc(people, sources, counts) + left_out, body),
                  "Each square counts the paragraphs of a source that name the person; the stronger the colour, "
                  f"the more; an empty square, none.{left_out} The same counts as a table:",
                  _coverage_table(people, sources, counts))


def _defs() -> Markup:
    """One square per colour level, drawn once and placed per cell (a cell is then ~80 bytes, not ~200)."""
    return Markup("<defs>{}</defs>").format(Markup("").join(
        Markup('<rect id="cov-l{0}" class="viz-cell viz-l{0}" width="{1}" height="34" rx="3"/>').format(
            level, num(COVERAGE_CELL - 4)) for level in range(5)))


def _cell(x: float, y: float, count: int, most: int) -> Markup:
    """A square coloured by its count, with the count written on it (none on an empty square)."""
    level = 0 if count == 0 else max(1, math.ceil(4 * count / most))
    mark = Markup('<use href="#cov-l{}" x="{}" y="{}"/>').format(level, num(x + 2), num(y + 2))
    if not count:
        return mark
    return mark + Markup('<text class="viz-count viz-t{}" x="{}" y="{}">{}</text>').format(
        level, num(x + COVERAGE_CELL / 2), num(y + 24), count)


def _coverage_desc(people: tuple[Entity, ...], sources: tuple[Source, ...],
                   counts: dict[tuple[str, str], int]) -> str:
    rows = []
    for p in people:
        cells = ", ".join(f"{s.short} {counts.get((p.id, s.id), 0)}" for s in sources)
        rows.append(f"{p.name}: {cells}")
    return "Paragraphs naming each person, by source. " + "; ".join(rows) + "."


def _coverage_table(people: tuple[Entity, ...], sources: tuple[Source, ...],
                    counts: dict[tuple[str, str], int]) -> Markup:
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(s.short) for s in sources)
    rows = Markup("").join(
        Markup('<tr><th scope="row">{}</th>{}</tr>').format(p.name, Markup("").join(
            Markup('<td class="num">{}</td>').format(counts.get((p.id, s.id), 0)) for s in sources))
        for p in people)
    return Markup('<details class="chart-data"><summary>Paragraphs naming each person: the table</summary>'
                  '<table><thead><tr><th scope="col">Person</th>{}</tr></thead><tbody>{}</tbody></table>'
                  '</details>').format(head, rows)

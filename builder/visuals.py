"""Pictures drawn at build time as inline SVG, from the data a page's context carries: no chart library, no script.

Each picture is a <figure> whose <svg role="img"> carries a <title> and a <desc> that say what it
shows in words, with the same data as a list or table on the page. Colours come from CSS classes
(the stylesheet has light and dark values; the CSP forbids style attributes). Layouts are pure
arithmetic on the content, so two builds draw the same picture.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from markupsafe import Markup

from builder.model import Entity, Event, Graph, KeyNumber, Project, Source

CHAR = 7.4  # average width of a character at the charts' 14px type, for wrapping and sizing
LINE = 18  # line height
_WORDS = {"a dozen": 12, "a hundred": 100, "one hundred": 100, "a thousand": 1000, "one thousand": 1000,
          "a million": 1_000_000, "one million": 1_000_000}
_AT_LEAST = ("more than", "over", "at least", "upwards of")
_OTHER = ("nearly", "almost", "about", "around", "some", "roughly", "up to", "fewer than", "less than")
# Past these, a picture stops being readable (and at newsroom scale would weigh megabytes): the network
# and the coverage matrix draw the people named most often and the sources naming the most people, and
# say how many they leave out. A briefing's own cast is well under both.
NETWORK_PEOPLE = 16
COVERAGE_PEOPLE = 25
COVERAGE_SOURCES = 10


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


def figure(chart: Markup, caption: Markup | str, extra: Markup = Markup(""), wide: bool = False) -> Markup:
    # A wide picture scrolls sideways on a phone rather than shrinking its words below reading size.
    inner = Markup('<div class="chart-scroll" tabindex="0" role="region" aria-label="{}">{}</div>').format(
        "Scrollable picture", chart) if wide else chart
    # The data table follows the figure: a <figcaption> must be the figure's first or last child.
    return Markup('<figure class="chart-figure">{}<figcaption>{}</figcaption></figure>{}').format(
        inner, caption, extra)


def amount(value: str) -> tuple[float, bool] | None:
    """A key number's value as (number, is_a_minimum), or None when the words give no figure."""
    words = value.strip().lower().replace(",", "")
    minimum = False
    for prefix in (*_AT_LEAST, *_OTHER):
        if words.startswith(prefix + " "):
            minimum = prefix in _AT_LEAST
            words = words[len(prefix) + 1:]
            break
    if re.fullmatch(r"\d+(\.\d+)?", words):
        return float(words), minimum
    return (float(_WORDS[words]), minimum) if words in _WORDS else None


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


# -- key numbers (home page) ------------------------------------------------------------------
def key_numbers(numbers: tuple[KeyNumber, ...]) -> Markup:
    """The home page's key numbers as bars to scale."""
    drawn = [(n, a) for n in numbers if (a := amount(n.value))]
    if not drawn:
        return Markup("")
    width, bar_left, bar_max = 360.0, 4.0, 300.0
    top = max(a[0] for _, a in drawn)
    body, y = [], 4.0
    for n, (value, minimum) in drawn:
        lines = wrap(f"{n.value}: {n.label}", width - 8)
        body.append(text(bar_left, y + 14, lines, "viz-label"))
        y += 14 + LINE * (len(lines) - 1) + 6
        length = max(2.0, bar_max * value / top)
        body.append(Markup('<rect class="viz-bar" x="{}" y="{}" width="{}" height="12"/>').format(
            num(bar_left), num(y), num(length)))
        if minimum:  # an arrowhead: the source gives this figure as a floor, not an exact count
            tip = bar_left + length
            body.append(Markup('<path class="viz-more" d="M{} {}l9 6l-9 6z"/>').format(num(tip + 2), num(y)))
        y += 12 + 14
    return figure(svg("chart-numbers", width, y, "Key numbers as bars", _numbers_desc(drawn), body),
                  _numbers_caption(numbers, drawn))


def _numbers_desc(drawn: list[tuple[KeyNumber, tuple[float, bool]]]) -> str:
    parts = [f"{n.value} {n.label}" for n, _ in drawn]
    return "Bars to scale, in the order of the list: " + "; ".join(parts) + "."


def _numbers_caption(numbers: tuple[KeyNumber, ...], drawn: list[tuple[KeyNumber, tuple[float, bool]]]) -> Markup:
    caption = Markup("Bar lengths are to scale. An arrowhead marks a figure the source gives as a minimum "
                     "(“over”, “more than”).")
    skipped = [n for n in numbers if n not in {d for d, _ in drawn}]
    if skipped:
        caption += Markup(" Not drawn, as the source gives no figure: {}.").format(
            "; ".join(f"“{n.value}” ({n.label})" for n in skipped))
    return caption + Markup(" Every number is listed with its source below.")


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
                  _pairs_table(pairs), wide=True)


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
    cell = max(56.0, min(96.0, CHAR * max(len(s.short) for s in sources) + 10))
    top, row = 30.0, 40.0
    body = [text(label_w + cell * (j + 0.5), 18, [s.short], "viz-label", "middle") for j, s in enumerate(sources)]
    for i, p in enumerate(people):
        y = top + row * i
        body.append(text(0, y + (13 if len(name_lines(p.name)) > 1 else 24), name_lines(p.name), "viz-label"))
        for j, s in enumerate(sources):
            body.append(_cell(label_w + cell * j, y, cell, row, counts.get((p.id, s.id), 0), most))
    return figure(svg("chart-coverage", label_w + cell * len(sources), top + row * len(people),
                      "Which source names whom", _coverage_desc(people, sources, counts) + left_out, body),
                  "Each square counts the paragraphs of a source that name the person; the stronger the colour, "
                  f"the more.{left_out} The same counts as a table:", _coverage_table(people, sources, counts))


def _cell(x: float, y: float, w: float, h: float, count: int, most: int) -> Markup:
    level = 0 if count == 0 else max(1, math.ceil(4 * count / most))
    rect = Markup('<rect class="viz-cell viz-l{}" x="{}" y="{}" width="{}" height="{}" rx="3"/>').format(
        level, num(x + 2), num(y + 2), num(w - 4), num(h - 4))
    label = text(x + w / 2, y + h / 2 + 5, [str(count) if count else "–"], f"viz-count viz-t{level}", "middle")
    return rect + label


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

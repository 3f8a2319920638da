"""What a reader is shown beside the content itself, worked out from the model for the page contexts:
dates ("as of"), reading time, how a brief was checked, which briefs and
claims cite each source paragraph, and the claims ledger by topic. Nothing here invents a fact or a date.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date as Day
from functools import lru_cache
from typing import TYPE_CHECKING

from builder import publish
from builder.citations import anchor_label
from builder.textutil import slugify
from builder.model import BriefCard, Claim, Document, Project, Source, Stance

if TYPE_CHECKING:
    from builder.markup import Ref

WORDS_PER_MINUTE = 230  # an adult reading prose on a screen
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@dataclass(frozen=True)
class Dated:
    """A day a page can show: `iso` for <time datetime>, `text` for the reader."""

    iso: str  # YYYY-MM-DD
    text: str  # "11 September 2025"


@lru_cache(maxsize=4096)
def day(value: str | None) -> Dated | None:
    """A content date (YYYY-MM-DD, or an RFC 3339 time whose day is taken), or None when it is none. One
    record per date (it is frozen): the date a live server's next build shows is then the very one the page
    inputs of the last build hold (`fingerprints.same`)."""
    if not value or not re.match(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        when = Day.fromisoformat(value[:10])
    except ValueError:
        return None
    return Dated(when.isoformat(), f"{when.day} {_MONTHS[when.month - 1]} {when.year}")


def as_of(project: Project) -> Dated | None:
    """When the briefing stood as shown: `updated` in site.yaml, else the newest brief's date, else the
    build's SOURCE_DATE_EPOCH (when the content last changed). None: no date is known, and the page says so."""
    briefs = [d for b in project.briefs for d in (day(b.updated), day(b.date)) if d]
    newest = max(briefs, key=lambda d: d.iso, default=None)
    return day(project.site.updated) or newest or day(publish.source_date_epoch())


def reading_minutes(brief: Document) -> int:
    """Minutes to read the brief's words (citations and markup left out), at least one."""
    return max(1, round(brief.words / WORDS_PER_MINUTE))


@dataclass(frozen=True)
class Checked:
    """The brief's "How this brief was checked": counts the build verified, and the sources it rests on."""

    citations: int  # paragraph references
    paragraphs: int  # distinct source paragraphs cited
    quotations: int  # quotations found verbatim in the cited paragraphs


def checked(refs: Sequence[Ref], quotes: Sequence[str]) -> Checked:
    """From a brief's citations and its quotations found verbatim."""
    return Checked(len(refs), len({(r.source, r.anchor) for r in refs}), len(quotes))


@dataclass(frozen=True)
class CitedIn:
    """One place that cites a source paragraph: a brief at a citation's spot, or a claim of the ledger."""

    label: str  # the brief's title, or the claim's words
    path: str  # site path of the page ("briefs/x/", or "claims/<topic>/" for a claim)
    fragments: tuple[str, ...]  # the citing spots' ids, in reading order
    claim: bool = False  # a claim of the ledger, not a brief


def cited_in(cited_at: Sequence[tuple[str, str, str]], citing: Sequence[BriefCard],
             stances: Sequence[tuple[Claim, Stance]], claim_paths: Sequence[str]) -> dict[str, list[CitedIn]]:
    """Paragraph anchor → the briefs (at their first citing spot) and claims that cite it, in reading order.
    `cited_at`: (anchor, brief slug, spot) of each citation of the source; `citing`: the card of each brief
    citing it, in the order of the briefs list; `stances`: the ledger's (claim, stance) for the source, and
    `claim_paths` each claim's page."""
    order = {card.slug: at for at, card in enumerate(citing)}
    spots: dict[str, dict[str, list[str]]] = defaultdict(dict)  # anchor → brief → spots
    for anchor, brief, spot in cited_at:
        spots[anchor].setdefault(brief, []).append(spot)
    out: dict[str, list[CitedIn]] = defaultdict(list)
    for anchor, by_brief in spots.items():
        for at in sorted(order[slug] for slug in by_brief if slug in order):  # the briefs' list order
            card = citing[at]
            spots_in_brief = tuple(dict.fromkeys(by_brief[card.slug]))
            out[anchor].append(CitedIn(card.title, f"briefs/{card.slug}/", spots_in_brief))
    for (claim, stance), path in zip(stances, claim_paths):
        if stance.stance != "silent" and stance.at:
            out[stance.at].append(CitedIn(claim.claim, path, (claim.id,), claim=True))
    return dict(out)


@dataclass(frozen=True)
class Cell:
    """What one source does with one claim, as the ledger shows it."""

    source: Source
    stance: Stance | None  # None: nobody recorded one

    @property
    def word(self) -> str:
        return self.stance.stance if self.stance else "not assessed"

    @property
    def css(self) -> str:
        return self.word.replace(" ", "-")

    @property
    def at_label(self) -> str:
        return anchor_label(self.stance.at) if self.stance and self.stance.at else ""


@dataclass(frozen=True)
class Row:
    claim: Claim
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Topic:
    """One topic of the claims ledger, on a page of its own (claims/<slug>/): a ledger of every claim and
    source on one page grows with both, and one more source weighed on every claim would outgrow the page
    weight a reader on a slow connection is promised."""

    name: str
    path: str  # site path of its page, "claims/<slug>/"
    rows: tuple[Row, ...]

    @property
    def disputed(self) -> bool:
        return any(r.claim.disputed for r in self.rows)


def ledger(project: Project) -> list[Topic]:
    """The claims by topic (topics in the order they first appear, those holding a disagreement first),
    disputed claims first within each, and one cell per source."""
    topics: dict[str, list[Row]] = {}
    for claim in project.claims:
        by_source = {s.source: s for s in claim.stances}
        row = Row(claim, tuple(Cell(s, by_source.get(s.id)) for s in project.sources))
        topics.setdefault(claim.topic, []).append(row)
    paths = topic_paths(project)
    ordered = [Topic(t, paths[t], tuple(sorted(rows, key=lambda r: not r.claim.disputed)))
               for t, rows in topics.items()]
    return sorted(ordered, key=lambda topic: not topic.disputed)


def topic_paths(project: Project) -> dict[str, str]:
    """Each claims topic's page, "claims/<slug>/": the slug of its name, numbered when two names share one."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for topic in dict.fromkeys(claim.topic for claim in project.claims):
        base = slugify(topic) or "topic"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out[topic] = f"claims/{slug}/"
    return out


def claim_paths(project: Project) -> dict[str, str]:
    """Each claim's page: its topic's, where its row (`#<claim id>`) is."""
    topics = topic_paths(project)
    return {claim.id: topics[claim.topic] for claim in project.claims}

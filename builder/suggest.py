"""Spellings: the names a source gives that match no person or organisation, and the near-misses among them.

A new source often spells a known name its own way ("John Cole" for John Coale, "Vyasna" for Viasna);
the matcher then silently finds nobody. Here each capitalised name that no entry matches is listed, and
one close to an existing name or alias (rapidfuzz, a maintained fuzzy matcher) is offered as an alias,
with the line to paste.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rapidfuzz import fuzz, process, utils

from builder.furniture import AGENCIES
from builder.config import Paths
from builder.load import Loader
from builder.markup import create_markdown
from builder.matcher import EntityMatcher
from builder.model import Claim, Entity, Source
from builder.problems import Problems

# Capitalised words in a row, allowing the particles of names ("Ales Bialiatski", "Ursula von der Leyen").
_NAME = re.compile(r"(?<![\w’'-])[A-Z][\w’'-]*[a-z][\w’'-]*(?:\s+(?:(?:von|van|der|de|da|al|bin|la|le)\s+)*"
                   r"[A-Z][\w’'-]*[a-z][\w’'-]*)*")
# Capitalised for grammar, not because they are names.
_COMMON = frozenset("""a an the this that these those there their they it its in on at of for from by with as
and but or if when while after before since until during amid among between into over under about
he she we you i his her our your my one two three four five six seven eight nine ten many some several
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december jan feb mar apr jun jul aug sep sept oct nov dec read more related trending share comment comments photo
president prime minister envoy leader official officials spokesperson said says according however yet
still also even only just both each every all any most more much no not nor so than then thus what
which who whom whose why how where here now today yesterday tomorrow last next first new western eastern
northern southern european american interior foreign defence defense finance deputy secretary spokesman
spokeswoman general chief justice senator ambassador mr mrs ms dr sir state""".split())
SCORE = 80  # rapidfuzz ratio (0–100) from which a name is offered as a spelling of another


@dataclass(frozen=True)
class Suggestion:
    """A name in a source that is probably another spelling of an existing entry."""

    name: str  # as the source writes it
    entity: Entity
    like: str  # the existing spelling it resembles
    score: float

    def yaml_line(self) -> str:
        aliases = ", ".join([*self.entity.aliases, self.name])
        return f"aliases: [{aliases}]"

    def __str__(self) -> str:
        return (f"\"{self.name}\" looks like {self.like} ({self.entity.id}); if it is the same, give "
                f"'{self.entity.id}' in {self.entity.pos} the line: {self.yaml_line()}")


def names_in(texts: Iterable[str], matcher: EntityMatcher) -> tuple[list[str], list[str]]:
    """(entity ids named, capitalised names that match no entry), each in order of first appearance."""
    named: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for text in texts:
        spans = [(m.start, m.end) for m in matcher.finditer(text)]
        named.update((m.entity, None) for m in matcher.finditer(text))
        for match in _NAME.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in spans):
                continue
            words = [w for w in match.group(0).split()]
            while words and words[0].casefold() in _COMMON:
                words = words[1:]
            name = " ".join(words)
            if not name or (len(words) == 1 and (name.casefold() in _COMMON or len(name) < 3)):
                continue
            if name.casefold() in AGENCIES:
                continue  # a news agency credited in the copy, not a person or organisation of the story
            if len(words) == 1 and _starts_sentence(text, match.start()):
                continue  # a capitalised first word is grammar, not a name, as often as not
            unknown.setdefault(name, None)
    return list(named), list(unknown)


def _starts_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip(" “\"‘'(")
    return not before or before[-1] in ".!?:…"


def near_misses(names: Iterable[str], entities: Iterable[Entity]) -> list[Suggestion]:
    """Names close to an existing name or alias (or to its last word: "Cole" for Coale)."""
    entities = list(entities)
    spellings: dict[str, Entity] = {}
    for entity in entities:
        for spelling in entity.all_names:
            spellings.setdefault(spelling, entity)
            last = spelling.split()[-1]
            if len(spelling.split()) > 1 and len(last) > 3:
                spellings.setdefault(last, entity)
    out = []
    for name in names:
        best = process.extractOne(name, list(spellings), scorer=fuzz.ratio, processor=utils.default_process,
                                  score_cutoff=SCORE)
        if best is not None:
            like, score, _ = best
            out.append(Suggestion(name, spellings[like], like, score))
    return out


def source_names(source: Source, matcher: EntityMatcher) -> tuple[list[str], list[str]]:
    return names_in((b.text for b in source.text.blocks if b.kind != "heading"), matcher)


def spelling_notes(sources: Iterable[Source], entities: tuple[Entity, ...]) -> list[str]:
    """For `check`: each near-miss in any source, as information (it may be a different person)."""
    matcher = EntityMatcher(entities)
    notes: dict[str, None] = {}
    for source in sources:
        _, unknown = source_names(source, matcher)
        for suggestion in near_misses(unknown, entities):
            notes.setdefault(f"{source.pos}: info: in source '{source.id}', {suggestion}", None)
    return list(notes)


def unassessed_notes(sources: Iterable[Source], claims: Iterable[Claim]) -> list[str]:
    """For `check`: each source the claims ledger weighs on no claim yet (one just added), as information.

    A warning would fail `check --strict` the moment a correct source is added; a source the ledger weighs
    elsewhere but not on some claim is a warning at that claim (builder/resolve.py)."""
    claims = list(claims)
    assessed = {stance.source for claim in claims for stance in claim.stances}
    return [f"{source.pos}: info: no claim in content/claims.yaml records a stance for source '{source.id}' yet, "
            f"so the claims page shows it as “not assessed” on all {len(claims)} claims — add its stances "
            "(supports, contradicts, unclear or silent)"
            for source in sources if claims and source.id not in assessed]


def spelling_notes_for(root: Path) -> list[str]:
    """`check`'s information lines: the project's sources, entries and claims loaded again (they are quick to
    read): spelling near-misses, and sources the ledger has not weighed yet."""
    loader = Loader(Paths(root), create_markdown(), Problems())
    sources = loader.sources()
    return spelling_notes(sources, tuple(loader.entities())) + unassessed_notes(sources, loader.claims())

"""Integrity: a cited sentence says only what its citations say.

The quotation check proves quoted words verbatim; these checks catch the common ways a paraphrase drifts
from its source, each as a warning (an error with --strict), each a prompt to reread the source:

- a number, a named person or organisation, or a proper name (a place) that none of the cited paragraphs has;
- a word of quantity or certainty ("all", "already", "never" …) that the cited paragraphs do not carry;
- a sentence resting on an attributed span of the source ("analysts say", "is seen as", a quotation and its
  speaker) that does not name that speaker or kind of speaker;
- a sentence that states one side of a disputed claim while citing only that side;
- in the ledger, a `contradicts` stance whose excerpt shares none of the claim's key terms, and a `silent`
  stance for a source whose paragraph uses them (a hint to look again).

They are heuristics by design: simple sentence splitting, a crude stem, a short list of attribution cues.
Nothing here knows the story; names come from the project's people, organisations and sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from markdown_it.token import Token

from builder.markup import QUOTE, Ref
from builder.matcher import EntityMatcher
from builder.model import Claim, Project, Source
from builder.problems import Problems
from builder.textutil import fold, sentence_spans
from builder.wording import (NUMBER, STOP, WORD, Sentence, acronym_of, fold_name, has_word, key_terms,
                             may_hold_number, numbers_in, sentences, stem, unquoted, word_pattern)

# Words of quantity and certainty a paraphrase must not add (issue: "many of them", "already brought").
CERTAINTY = ("all", "every", "any", "no", "none", "never", "many", "most", "fully", "already", "always")
# A speaker named by a kind: the noun an attribution cue turns on ("analysts say", "said one diplomat").
SPEAKER_NOUNS = ("analyst", "official", "diplomat", "source", "group", "organization", "organisation", "expert",
                 "critic", "observer", "activist", "leader", "media", "agency", "government", "minister")
_SPEECH = (r"(?:say|says|said|stress|stresses|stressed|argue|argues|argued|estimate|estimates|confirm|confirms|"
           r"confirmed|warn|warns|warned|believe|believes|see|sees|note|notes|noted|describe|described|framed|"
           r"call|calls|called)")
_NOUN = r"(?:" + "|".join(SPEAKER_NOUNS) + r")s?"
ATTRIBUTION_CUES = (
    re.compile(r"(?P<who>\b(?:\w+\s+){0,3}" + _NOUN + r")\b[^.;]{0,40}?\b" + _SPEECH + r"\b", re.I),
    re.compile(r"\b" + _SPEECH + r"\s+(?P<who>(?:\w+\s+){0,4}?" + _NOUN + r")\b", re.I),
    re.compile(r"\baccording to (?P<who>[^.,;]+)", re.I),
    re.compile(r"\b(?:is|are|was|were) (?P<who>seen|regarded|viewed|considered) as\b", re.I),
)
# Words that report rather than assert: a sentence using them says whose account it gives.
_PASSIVE = ("seen", "regarded", "viewed", "considered")
# A sentence about the sources themselves ("the explainer names no one") may say what they lack.
_ABOUT_SOURCES = r"(?:sources?|accounts?|texts?|articles?|reports?|pieces?|explainers?)"
_SOURCE_WORDS = frozenset("source sources account accounts text texts article articles report reports piece pieces "
                          "explainer explainers".split())
_NEGATIONS = frozenset("no not none nothing neither nor never without only".split())
_OWN_COUNT = re.compile(r"\b(?:all|both|each|none|any|every) (?:of )?(?:the |our |these )?(?:\w+ )?" + _ABOUT_SOURCES
                        + r"\b", re.I)
_STANCE_WORDS = frozenset({"suppor", "contra", "unclea", "silent"})
_CAPITAL = re.compile(r"(?<![\w’'])[A-Z][\w’'‑.-]*[\w]")
# A capital not preceded by a word character or apostrophe (a two-character lookbehind after the capital: a
# pattern that opens with a character set lets the regex engine skip ahead to the next capital).
_NAME = re.compile(r"[A-Z](?<![\w’'].)[\w’'‑.-]*\w(?:\s+[A-Z][\w’'‑.-]*\w)*")


@dataclass(frozen=True)
class Cited:
    """The paragraphs a sentence cites, read once: their text, names, numbers and words."""

    texts: list[str]
    joined: str  # folded
    folded_names: str  # 'U.S.' as 'US'
    entities: frozenset[str]
    numbers: frozenset[str]
    words: frozenset[str]  # lowercased
    names: frozenset[str]  # every word of folded_names
    name_stems: frozenset[str]  # their first six letters ('Russia' for 'Russian')
    attributed: bool  # some paragraph attributes words to a speaker (`Integrity.attributed_spans`)


class Integrity:
    """The paraphrase checks over one project; the resolver calls `paragraph` and `claim`."""

    def __init__(self, project: Project, matcher: EntityMatcher) -> None:
        self.sources = {s.id: s for s in project.sources}
        self.matcher = matcher
        self.language = (project.site.language or "en").split("-")[0]
        self.entities = {e.id: e for e in project.entities}
        self.labels = {w.lower() for s in project.sources for w in WORD.findall(" ".join(
            filter(None, (s.short, s.outlet, s.kind)))) if w}
        self.proper = self._source_proper_names(project.sources)
        self.sides = disputed_sides(project.claims)
        self._attributed: dict[str, list[tuple[str, str, frozenset[str]]]] = {}
        self._cited: dict[tuple[Ref, ...], Cited | None] = {}
        self._paragraphs: dict[str, Cited] = {}

    # -- what the sources hold ------------------------------------------------------------------
    @staticmethod
    def _source_proper_names(sources: Iterable[Source]) -> set[str]:
        """Words the sources capitalise inside a sentence: their places and other proper names."""
        names: set[str] = set()
        for source in sources:
            for block in source.text.blocks:
                for start, end in sentence_spans(block.text):
                    for match in _CAPITAL.finditer(block.text, start + 1, end):
                        if block.text[match.start() - 1] not in "“\"‘'(":
                            names.add(fold_name(match.group(0)))
        return names

    def cited(self, refs: Iterable[Ref]) -> list[str]:
        return [text for ref in refs if ref.source in self.sources
                for text in self.sources[ref.source].text.cited(ref.anchor)]

    def entities_in(self, texts: list[str]) -> set[str]:
        return {m.entity for text in texts for m in self.matcher.finditer(text)}

    # -- the checks on one paragraph ------------------------------------------------------------
    def paragraph(self, token: Token) -> list[tuple[str, str]]:
        """Each (message, hint) for the sentences of one paragraph of Markdown."""
        out: list[tuple[str, str]] = []
        refs: tuple[Ref, ...] = ()
        cited: Cited | None = None
        for sentence in sentences(token):
            if not sentence.refs or not any(r.anchor for r in sentence.refs):
                continue  # a whole-source citation points the reader at the whole text: nothing to compare
            if sentence.refs is not refs:  # the sentences before a citation share its refs: look them up once
                refs, cited = sentence.refs, self.cited_for(sentence.refs)
            if cited is not None:
                out += self.sentence_problems(sentence, cited)
        return out

    def cited_for(self, refs: tuple[Ref, ...]) -> Cited | None:
        """What the cited paragraphs hold, worked out once per set of citations (each paragraph once)."""
        if refs not in self._cited:
            parts = [self.paragraph_facts(text) for text in self.cited(refs)]
            self._cited[refs] = Cited(
                [p.texts[0] for p in parts], " ".join(p.joined for p in parts),
                " ".join(p.folded_names for p in parts),
                *(frozenset().union(*(getattr(p, f) for p in parts))
                  for f in ("entities", "numbers", "words", "names", "name_stems")),
                any(p.attributed for p in parts)) if parts else None
        return self._cited[refs]

    def paragraph_facts(self, text: str) -> Cited:
        facts = self._paragraphs.get(text)
        if facts is None:
            joined = fold(text)
            folded_names = fold_name(joined)
            names = frozenset(WORD.findall(folded_names))
            facts = Cited([text], joined, folded_names, frozenset(self.entities_in([text])),
                          numbers_in(text, self.language), frozenset(w.lower() for w in WORD.findall(joined)),
                          names, frozenset(w[:6] for w in names), bool(self.attributed_spans(text)))
            self._paragraphs[text] = facts
        return facts

    def sentence_problems(self, sentence: Sentence, cited: Cited) -> list[tuple[str, str]]:
        text, plain = sentence.text, unquoted(sentence.text)
        found = self.missing(plain, cited)
        speaker = self.unnamed_speaker(text, cited.texts) if cited.attributed else ""
        side = self.one_side(text, sentence.refs)
        if not (found or speaker or side):
            return []  # the common case: no message to word
        shown = text if len(text) <= 70 else text[:67] + "…"
        where = "; ".join(f"{r.source}#{r.anchor}" if r.anchor else r.source for r in sentence.refs)
        problems = [(f"{what} not in {where}: “{shown}”", "say only what the cited paragraphs say, cite the "
                     "paragraph that says it, or move it into an editorial '::: note'") for what in found]
        if speaker:
            problems.append((f"the cited words are attributed to “{speaker}” in {where}, but the sentence does not "
                             f"say so: “{shown}”", f"name the speaker as the source does (“{speaker}”)"))
        if side:
            problems.append((f"states one side of the disputed claim '{side}', citing only that side: “{shown}”",
                             "say whose account it is, or give the other sources' version with its citation"))
        return problems

    def missing(self, plain: str, cited: Cited) -> list[str]:
        """Numbers, names and words of certainty in the sentence that the cited text does not carry."""
        out = []
        words = set(map(str.lower, WORD.findall(plain)))
        given = numbers_in(plain, self.language) if may_hold_number(plain, words, self.language) else frozenset()
        uncited = given - cited.numbers
        digits = {n.replace(",", "") for n in NUMBER.findall(plain)} if uncited else set()
        for number in sorted(uncited):
            # small counts written as words ("two sources") are the briefing's own counting
            if number in digits or float(number) > 10:
                out.append(f"the number {number}" + ("" if number in digits else " (written out)"))
        # A sentence about what the sources lack ("the explainer does not name him") may name what is missing.
        meta = bool(words & _NEGATIONS or "n't" in plain) and self.about_sources(words)
        if not meta:
            matches = list(self.matcher.finditer(plain))  # one pass serves both the names and the places
            names = {m.entity for m in matches}
            out += [self.entities[e].name for e in sorted(names - cited.entities)]
            out += [f"the name {name}" for name in self.unknown_proper_names(plain, cited, matches)]
        added = [w for w in CERTAINTY if w in words and w not in cited.words]
        counted = [(m.start(), m.end()) for m in _OWN_COUNT.finditer(plain)] if added else []
        for word in added:
            for match in word_pattern(word).finditer(plain):
                if any(a <= match.start() < b for a, b in counted) or (meta and word in ("no", "none", "never",
                                                                                      "any", "all")):
                    continue
                out.append(f"the word “{word}”")
                break
        return out

    def about_sources(self, words: set[str]) -> bool:
        """Whether a sentence's words (lowercased) name a source, or sources in general."""
        return bool(words & self.labels or words & _SOURCE_WORDS)

    def unknown_proper_names(self, plain: str, cited: Cited, matches: list | None = None) -> list[str]:
        """Proper names the sources use (places, mostly) that the cited paragraphs do not; `matches`: the
        project's names in `plain`, when the caller has found them already."""
        spans = [(m.start, m.end) for m in (self.matcher.finditer(plain) if matches is None else matches)]
        joined, folded_cited = cited.joined, cited.folded_names
        out = []
        for match in _NAME.finditer(plain, 1):  # a sentence's first word is capitalised anyway
            words = [fold_name(w) for w in match.group(0).split()]
            if (not any(w in self.proper for w in words) or any(a <= match.start() < b for a, b in spans)
                    or all(w.lower() in self.labels for w in words)):
                continue
            phrase = " ".join(words)
            if (phrase in cited.names if len(words) == 1 else phrase in folded_cited) or acronym_of(phrase, joined):
                continue
            out += [w for w in words if w in self.proper and w.lower() not in self.labels
                    and not (w in cited.names or w[:6] in cited.name_stems or acronym_of(w, joined))]
        return list(dict.fromkeys(out))

    def unnamed_speaker(self, text: str, cited: list[str]) -> str:
        """The speaker of an attributed source sentence this sentence rests on, if it does not name them."""
        if not any(self.attributed_spans(paragraph) for paragraph in cited):
            return ""
        terms = key_terms(self.without_names(unquoted(text)))
        quotes = [fold(m.group(1) or m.group(2)) for m in QUOTE.finditer(text)]
        outside = re.sub(r"[“\"].*[”\"]", " ", text)  # nested quotation marks included
        if quotes and not key_terms(self.without_names(outside)) - _STANCE_WORDS:
            return ""  # a bare quotation under its source's label ("CBS (supports): “…”") is the source's words
        for paragraph in cited:
            for speaker, governed, governed_terms in self.attributed_spans(paragraph):
                quoted = any(q and q in governed for q in quotes)
                if not quoted and len(terms & governed_terms) < 3:
                    continue  # the sentence does not rest on these words
                names = [n for e in self.entities_in([speaker]) for n in self.entities[e].all_names]
                if not names_speaker(text, speaker, names):
                    return speaker
        return ""

    def attributed_spans(self, paragraph: str) -> list[tuple[str, str, frozenset[str]]]:
        """A cited paragraph's attributed words: (speaker, the words folded, their key terms); once per paragraph."""
        spans = self._attributed.get(paragraph)
        if spans is None:
            spans = []
            opens_with_quote = paragraph.lstrip()[:1] in "“\""
            for start, end in sentence_spans(paragraph):
                # "“…,” said one diplomat. “…”": the first sentence's speaker is the whole paragraph's
                whole = paragraph if opens_with_quote and start == 0 else ""
                for speaker, governed in attributions(paragraph[start:end], whole):
                    spans.append((speaker, fold(governed), frozenset(key_terms(self.without_names(governed)))))
            self._attributed[paragraph] = spans
        return spans

    def without_names(self, text: str) -> str:
        """The text without people, organisations or the sources' labels: sharing those is not resting on a sentence."""
        for match in reversed(list(self.matcher.finditer(text))):
            text = text[:match.start] + " " + text[match.end:]
        return " ".join(w for w in WORD.findall(text) if w.lower() not in self.labels
                        and w.lower() not in _SOURCE_WORDS)

    def one_side(self, text: str, refs: tuple[Ref, ...]) -> str:
        """The disputed claim this sentence states from one side's paragraphs only, unattributed."""
        cited = {(r.source, r.anchor) for r in refs}
        one_sided = [(claim_id, claim_terms) for claim_id, (claim_terms, sides) in self.sides.items()
                     if sum(1 for side in sides if cited & side) == 1]
        if not one_sided:
            return ""
        words = {w.lower() for w in WORD.findall(text)}
        if self.about_sources(words) or any(c.search(text) for c in ATTRIBUTION_CUES):
            return ""
        terms = key_terms(unquoted(text))
        for claim_id, claim_terms in one_sided:
            if len(terms & claim_terms) >= max(2, len(claim_terms) // 2):
                return claim_id
        return ""

    # -- the ledger ------------------------------------------------------------------------------
    def claim(self, claim: Claim, problems: Problems) -> None:
        terms = key_terms(claim.claim)
        cited_in_note = _note_sources(claim)
        for stance in claim.stances:
            if stance.stance == "contradicts" and not terms & key_terms(stance.excerpt):
                problems.warning(stance.pos, f"'{stance.source}' contradicts '{claim.id}' with an excerpt "
                                      "that shares none of the claim's key terms",
                                      "a source that does not speak to the claim is 'silent' (or 'unclear' "
                                      "when it speaks to it without settling it)")
            elif stance.stance == "silent" and stance.source not in cited_in_note:
                anchor = self.speaks_to(stance.source, terms)
                if anchor:
                    problems.warning(stance.pos, f"'{stance.source}' is marked silent on '{claim.id}', "
                                          f"but its {anchor} uses the claim's key terms",
                                          "look again: mark it supports, contradicts or unclear, or say in the "
                                          "claim's note what that paragraph says instead, with its citation")

    def speaks_to(self, source_id: str, terms: set[str]) -> str:
        """The first paragraph of a source holding most of a claim's key terms, if any."""
        source = self.sources.get(source_id)
        if source is None or len(terms) < 2:
            return ""
        need = max(3, -(-len(terms) * 2 // 3))
        for anchor, block in source.text.by_anchor().items():
            if len(terms & key_terms(block.text)) >= need:
                return anchor
        return ""


def disputed_sides(claims: Iterable[Claim]) -> dict[str, tuple[set[str], list[set[tuple[str, str]]]]]:
    """For each claim with both supports and contradicts: its key terms and each side's paragraphs."""
    out = {}
    for claim in claims:
        sides = [{(s.source, s.at) for s in side} for side in (claim.supporting, claim.contradicting)]
        if all(sides):
            out[claim.id] = (key_terms(claim.claim), sides)
    return out


def context(project: Project) -> str:
    """What a brief's checks read beyond names and sources: the disputed claims (for the cache key)."""
    return repr(sorted((k, sorted(t), [sorted(s) for s in sides])
                       for k, (t, sides) in disputed_sides(project.claims).items()))


def attributions(sentence: str, paragraph: str = "") -> list[tuple[str, str]]:
    """Each (speaker, words attributed to them) a source sentence gives; `paragraph` when it opens with the
    quotation the sentence attributes ("“…,” said one diplomat" covers the whole quotation)."""
    out = []
    for cue in ATTRIBUTION_CUES:
        for match in cue.finditer(sentence):
            who = re.sub(r"^(?:yet|but|and|while|still|however)\s+", "", match.group("who").strip(), flags=re.I)
            if who.lower() in _PASSIVE:
                out.append((who, re.split(r"[,;]", sentence[match.end():])[0]))  # "is seen as X, which …"
            else:
                out.append((who, paragraph or sentence))
    return out


def names_speaker(text: str, speaker: str, speaker_names: list[str]) -> bool:
    """Whether a sentence names the speaker, or the kind of speaker, that the source gives."""
    if speaker.lower() in _PASSIVE:
        return any(has_word(w, text) for w in _PASSIVE) or "described as" in text.lower()
    words = [w for w in WORD.findall(speaker) if len(w) >= 4 and w.lower() not in STOP]
    heads = {stem(w) for w in words if any(stem(w).startswith(stem(n)) for n in SPEAKER_NOUNS)} or \
        {stem(w) for w in words}
    said = key_terms(text) | {stem(w) for w in WORD.findall(text)}
    # a speaker's own name counts, whether or not the project lists it ("according to reports from … Belta")
    names = [*speaker_names, *(w for w in words if w[:1].isupper())]
    return bool(heads & said) or any(has_word(name, text) for name in names)


def _note_sources(claim: Claim) -> set[str]:
    return set(re.findall(r"@([\w-]+)", claim.note.text)) if claim.note else set()

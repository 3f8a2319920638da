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
from functools import lru_cache
from typing import Iterable

from markdown_it.token import Token

from builder.markup import QUOTE, Ref
from builder.matcher import EntityMatcher
from builder.model import Claim, Project, Source
from builder.problems import Pos, Problems
from builder.textutil import fold, sentence_spans

# Words of quantity and certainty a paraphrase must not add (issue: "many of them", "already brought").
CERTAINTY = ("all", "every", "any", "no", "none", "never", "many", "most", "fully", "already", "always")
# A speaker named by a kind: the noun an attribution cue turns on ("analysts say", "said one diplomat").
SPEAKER_NOUNS = ("analyst", "official", "diplomat", "source", "group", "organization", "organisation", "expert",
                 "critic", "observer", "activist", "leader", "media", "agency", "government", "minister")
_SPEECH = r"(?:say|says|said|stress|stresses|stressed|argue|argues|argued|estimate|estimates|confirm|confirms|" \
          r"confirmed|warn|warns|warned|believe|believes|see|sees|note|notes|noted|describe|described|framed|call|calls|" \
          r"called)"
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
_NEGATION = re.compile(r"\b(?:no|not|none|nothing|neither|nor|never|without|only)\b|n't\b", re.I)
_ABOUT_SOURCES = r"(?:sources?|accounts?|texts?|articles?|reports?|pieces?|explainers?)"
_OWN_COUNT = re.compile(r"\b(?:all|both|each|none|any|every) (?:of )?(?:the |our |these )?(?:\w+ )?" + _ABOUT_SOURCES
                        + r"\b", re.I)
_STANCE_WORDS = frozenset({"suppor", "contra", "unclea", "silent"})
_WORD = re.compile(r"[\w’'‑-]+")
_CAPITAL = re.compile(r"(?<![\w’'])[A-Z][\w’'‑.-]*[\w]")
_NAME = re.compile(r"(?<![\w’'])[A-Z][\w’'‑.-]*\w(?:\s+[A-Z][\w’'‑.-]*\w)*")
_NUMBER = re.compile(r"(?<![\w.‑-])\d[\d,]*(?:\.\d+)?(?![\w])")
_STOP = frozenset("""a about above after again against also although among amid an and another any are as at be
    because been before being between both but by can could did does doing down during each either even few for
    from further had has have having her here hers him his how however if in into is it its itself just least less
    more most much must neither nor not now of off on once one only or other others our out over own per rather
    same several she should since so some such than that the their theirs them then there these they this those
    though through thus to too two under until up upon very was were what when where whether which while who
    whom whose why will with within without would yet you your said says say according""".split())


def stem(word: str) -> str:
    """A crude stem, enough to match 'lifted' with 'lifting' and 'sanctions' with 'sanction'."""
    word = fold(word).lower().replace("'s", "").strip("'’-‑")
    for suffix in ("ations", "ation", "ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def key_terms(text: str) -> set[str]:
    """The stems of a text's content words (no stop words, nothing shorter than four letters)."""
    return {stem(w) for w in _WORD.findall(text) if len(w) >= 4 and w.lower() not in _STOP}


def _unquoted(text: str) -> str:
    """The text with its quotations blanked (quoted words are proved verbatim by the quotation check)."""
    return QUOTE.sub(lambda m: " " * len(m.group(0)), text)


def _has_word(word: str, text: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", text, re.I) is not None


@lru_cache(maxsize=4096)
def numbers_in(text: str, language: str) -> frozenset[str]:
    """Every number a text gives, as digits, written out or not ('one hundred and twenty-three' is 123)."""
    from text_to_num import alpha2digit
    try:
        text = alpha2digit(text, language)
    except Exception:  # noqa: BLE001 - a language text2num does not know: digits only
        pass
    return frozenset(n.replace(",", "") for n in _NUMBER.findall(text))


@dataclass(frozen=True)
class Sentence:
    """One sentence of a Markdown paragraph and the citations that cover it."""

    text: str
    refs: tuple[Ref, ...]


def sentences(token: Token) -> list[Sentence]:
    """The sentences of an inline token; a sentence without its own citation takes the next one's."""
    text, marks, after_citation = "", [], False
    bold: list[tuple[int, int]] = []  # a sentence all in bold is a label ("**European sanctions.**"), not a claim
    for child in token.children or []:
        if child.type == "strong_open":
            bold.append((len(text), -1))
        elif child.type == "strong_close" and bold:
            bold[-1] = (bold[-1][0], len(text))
        if child.type in ("text", "code_inline", "wikilink"):
            piece = child.content
            if after_citation and re.match(r"\s+[.,;:!?]", piece):
                piece = piece.lstrip()
            text += piece
        elif child.type in ("softbreak", "hardbreak"):
            text += " "
        elif child.type in ("q_open", "q_close"):
            text += "“" if child.type == "q_open" else "”"
        elif child.type == "citation":
            text = text.rstrip()
            marks.append((len(text), tuple(child.meta.get("refs") or ())))
        after_citation = child.type == "citation"
    spans = sentence_spans(text)
    own = [tuple(r for at, refs in marks if start < at <= end or (at == 0 and start == 0) for r in refs)
           for start, end in spans]
    out: list[Sentence] = []
    for index, (start, end) in enumerate(spans):
        refs = own[index] or next((r for r in own[index + 1:] if r), ())
        label = any(a <= start and end <= b for a, b in bold)
        out.append(Sentence(text[start:end].strip(), () if label else refs))
    return out


class Integrity:
    """The paraphrase checks over one project; the resolver calls `paragraph` and `claim`."""


    def __init__(self, project: Project, matcher: EntityMatcher) -> None:
        self.sources = {s.id: s for s in project.sources}
        self.matcher = matcher
        self.language = (project.site.language or "en").split("-")[0]
        self.entities = {e.id: e for e in project.entities}
        self.labels = {w.lower() for s in project.sources for w in _WORD.findall(" ".join(
            filter(None, (s.short, s.outlet, s.kind)))) if w}
        self.proper = self._source_proper_names(project.sources)
        self.sides = disputed_sides(project.claims)

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
                            names.add(_fold_name(match.group(0)))
        return names

    def cited(self, refs: Iterable[Ref]) -> list[str]:
        out = []
        for ref in refs:
            source = self.sources.get(ref.source)
            if source is None:
                continue
            blocks = source.text.by_anchor()
            out += [blocks[ref.anchor].text] if ref.anchor in blocks else [b.text for b in source.text.blocks]
        return out

    def entities_in(self, texts: list[str]) -> set[str]:
        return {m.entity for text in texts for m in self.matcher.finditer(text)}

    # -- the checks on one paragraph ------------------------------------------------------------
    def paragraph(self, token: Token) -> list[tuple[str, str]]:
        """Each (message, hint) for the sentences of one paragraph of Markdown."""
        out: list[tuple[str, str]] = []
        for sentence in sentences(token):
            if not sentence.refs or not any(r.anchor for r in sentence.refs):
                continue  # a whole-source citation points the reader at the whole text: nothing to compare
            cited = self.cited(sentence.refs)
            if not cited:
                continue
            out += self.sentence_problems(sentence, cited)
        return out

    def sentence_problems(self, sentence: Sentence, cited: list[str]) -> list[tuple[str, str]]:
        text, plain = sentence.text, _unquoted(sentence.text)
        joined = fold(" ".join(cited))
        shown = text if len(text) <= 70 else text[:67] + "…"
        where = "; ".join(f"{r.source}#{r.anchor}" if r.anchor else r.source for r in sentence.refs)
        found = [f"{what} not in {where}: “{shown}”" for what in self.missing(plain, joined, cited)]
        problems = [(f, "say only what the cited paragraphs say, cite the paragraph that says it, or move it "
                        "into an editorial '::: note'") for f in found]
        speaker = self.unnamed_speaker(text, cited)
        if speaker:
            problems.append((f"the cited words are attributed to “{speaker}” in {where}, but the sentence does not "
                             f"say so: “{shown}”", f"name the speaker as the source does (“{speaker}”)"))
        side = self.one_side(text, sentence.refs)
        if side:
            problems.append((f"states one side of the disputed claim '{side}', citing only that side: “{shown}”",
                             "say whose account it is, or give the other sources' version with its citation"))
        return problems

    def missing(self, plain: str, joined: str, cited: list[str]) -> list[str]:
        """Numbers, names and words of certainty in the sentence that the cited text does not carry."""
        out = []
        given = numbers_in(plain, self.language)
        digits = {n.replace(",", "") for n in _NUMBER.findall(plain)}
        cited_numbers = set().union(*(numbers_in(text, self.language) for text in cited))
        for number in sorted(given - cited_numbers):
            # small counts written as words ("two sources") are the briefing's own counting
            if number in digits or float(number) > 10:
                out.append(f"the number {number}" + ("" if number in digits else " (written out)"))
        # A sentence about what the sources lack ("the explainer does not name him") may name what is missing.
        meta = bool(_NEGATION.search(plain)) and self.about_sources(plain)
        if not meta:
            names = self.entities_in([plain])
            out += [self.entities[e].name for e in sorted(names - self.entities_in(cited))]
            out += [f"the name {name}" for name in self.unknown_proper_names(plain, joined)]
        counted = _unquoted_spans(_OWN_COUNT, plain)
        for word in CERTAINTY:
            for match in re.finditer(r"(?<![\w’'-])" + word + r"(?![\w’'-])", plain, re.I):
                if any(a <= match.start() < b for a, b in counted) or (meta and word in ("no", "none", "never",
                                                                                      "any", "all")):
                    continue
                if not _has_word(word, joined):
                    out.append(f"the word “{word}”")
                break
        return out

    def about_sources(self, text: str) -> bool:
        words = {w.lower() for w in _WORD.findall(text)}
        return bool(words & self.labels) or re.search(r"\b" + _ABOUT_SOURCES + r"\b", text, re.I) is not None

    def unknown_proper_names(self, plain: str, joined: str) -> list[str]:
        """Proper names the sources use (places, mostly) that the cited paragraphs do not."""
        spans = [(m.start, m.end) for m in self.matcher.finditer(plain)]
        folded_cited = _fold_name(joined)
        out = []
        for start, end in sentence_spans(plain):
            for match in _NAME.finditer(plain, start + 1, end):
                words = [_fold_name(w) for w in match.group(0).split()]
                if (not any(w in self.proper for w in words) or any(a <= match.start() < b for a, b in spans)
                        or all(w.lower() in self.labels for w in words)):
                    continue
                phrase = " ".join(words)
                if _has_word(phrase, folded_cited) or _acronym_of(phrase, joined):
                    continue
                out += [w for w in words if w in self.proper and w.lower() not in self.labels
                        and not _name_in(w, folded_cited, joined)]
        return list(dict.fromkeys(out))

    def unnamed_speaker(self, text: str, cited: list[str]) -> str:
        """The speaker of an attributed source sentence this sentence rests on, if it does not name them."""
        terms = key_terms(self.without_names(_unquoted(text)))
        quotes = [fold(m.group(1) or m.group(2)) for m in QUOTE.finditer(text)]
        outside = re.sub(r"[“\"].*[”\"]", " ", text)  # nested quotation marks included
        if quotes and not key_terms(self.without_names(outside)) - _STANCE_WORDS:
            return ""  # a bare quotation under its source's label ("CBS (supports): “…”") is the source's words
        for paragraph in cited:
            opens_with_quote = paragraph.lstrip()[:1] in "“\""
            for start, end in sentence_spans(paragraph):
                # "“…,” said one diplomat. “…”": the first sentence's speaker is the whole paragraph's
                whole = paragraph if opens_with_quote and start == 0 else ""
                for speaker, governed in attributions(paragraph[start:end], whole):
                    quoted = any(q and q in fold(governed) for q in quotes)
                    if not quoted and len(terms & key_terms(self.without_names(governed))) < 3:
                        continue  # the sentence does not rest on these words
                    names = [n for e in self.entities_in([speaker]) for n in self.entities[e].all_names]
                    if not names_speaker(text, speaker, names):
                        return speaker
        return ""

    def without_names(self, text: str) -> str:
        """The text without people, organisations or the sources' labels: sharing those is not resting on a sentence."""
        for match in reversed(list(self.matcher.finditer(text))):
            text = text[:match.start] + " " + text[match.end:]
        return " ".join(w for w in _WORD.findall(text) if w.lower() not in self.labels
                        and not re.fullmatch(_ABOUT_SOURCES, w, re.I))

    def one_side(self, text: str, refs: tuple[Ref, ...]) -> str:
        """The disputed claim this sentence states from one side's paragraphs only, unattributed."""
        cited = {(r.source, r.anchor) for r in refs}
        if self.about_sources(text) or any(c.search(text) for c in ATTRIBUTION_CUES):
            return ""
        terms = key_terms(_unquoted(text))
        for claim_id, (claim_terms, sides) in self.sides.items():
            hit = [side for side in sides if cited & side]
            if len(hit) != 1:
                continue
            if len(terms & claim_terms) >= max(2, len(claim_terms) // 2):
                return claim_id
        return ""

    # -- the ledger ------------------------------------------------------------------------------
    def claim(self, claim: Claim, problems: Problems) -> None:
        terms = key_terms(claim.claim)
        cited_in_note = {r for r in _note_sources(claim)}
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
        sides = [{(s.source, s.at) for s in claim.stances if s.stance == kind} for kind in ("supports", "contradicts")]
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
        return any(_has_word(w, text) for w in _PASSIVE) or "described as" in text.lower()
    words = [w for w in _WORD.findall(speaker) if len(w) >= 4 and w.lower() not in _STOP]
    heads = {stem(w) for w in words if any(stem(w).startswith(stem(n)) for n in SPEAKER_NOUNS)} or \
        {stem(w) for w in words}
    said = key_terms(text) | {stem(w) for w in _WORD.findall(text)}
    return bool(heads & said) or any(_has_word(name, text) for name in speaker_names)


def _note_sources(claim: Claim) -> set[str]:
    return set(re.findall(r"@([\w-]+)", claim.note.text)) if claim.note else set()


def _unquoted_spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _fold_name(text: str) -> str:
    """'U.S.' and 'US', 'Belarus's' and 'Belarus' compare equal."""
    return re.sub(r"(?<=[A-Z])\.(?=[A-Z]|\b)", "", fold(text)).replace("'s", "").rstrip(".'")


def _name_in(word: str, folded: str, text: str) -> bool:
    """A name, its acronym's expansion, or a form sharing its first six letters ('Russia', 'Russian')."""
    return (_has_word(word, folded) or _acronym_of(word, text)
            or re.search(r"(?<!\w)" + re.escape(word[:6]), folded) is not None)


def _acronym_of(word: str, text: str) -> bool:
    """'US' for 'United States', 'EU' for 'European Union', and the other way round."""
    words = word.split()
    if len(words) > 1:
        initials = "".join(w[0] for w in words)
        return _has_word(initials, _fold_name(text))
    if not (2 <= len(word) <= 5 and word.isupper()):
        return False
    pattern = r"\b" + r"\w*\s+".join(re.escape(c) for c in word) + r"\w*"
    return re.search(pattern, text) is not None

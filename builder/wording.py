"""Wording: what a sentence of the content says, read plainly enough to compare with a source.

Sentences with the citations that cover them, content words and their crude stems, numbers whether written
in digits or in words (text2num), and names folded so that 'U.S.' meets 'US'. The integrity checks
(builder/integrity.py) compare these; nothing here knows the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it.token import Token

from builder.markup import QUOTE, Ref
from builder.textutil import fold, sentence_spans

WORD = re.compile(r"[\w’'‑-]+")
NUMBER = re.compile(r"(?<![\w.‑-])\d[\d,]*(?:\.\d+)?(?![\w])")
DIGIT = re.compile(r"\d")
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve hundred hundreds thousand "
                         "thousands million millions billion billions dozen dozens".split())
STOP = frozenset("""a about above after again against also although among amid an and another any are as at be
    because been before being between both but by can could did does doing down during each either even few for
    from further had has have having her here hers him his how however if in into is it its itself just least less
    more most much must neither nor not now of off on once one only or other others our out over own per rather
    same several she should since so some such than that the their theirs them then there these they this those
    though through thus to too two under until up upon very was were what when where whether which while who
    whom whose why will with within without would yet you your said says say according""".split())


@lru_cache(maxsize=65536)
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
    return {stem(w) for w in WORD.findall(text) if len(w) >= 4 and w.lower() not in STOP}


def unquoted(text: str) -> str:
    """The text with its quotations blanked (quoted words are proved verbatim by the quotation check)."""
    return QUOTE.sub(lambda m: " " * len(m.group(0)), text)


@lru_cache(maxsize=4096)
def word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(word) + r"(?![\w])", re.I)


def has_word(word: str, text: str) -> bool:
    return word_pattern(word).search(text) is not None


@lru_cache(maxsize=4096)
def numbers_in(text: str, language: str) -> frozenset[str]:
    """Every number a text gives, as digits, written out or not ('one hundred and twenty-three' is 123)."""
    from text_to_num import alpha2digit
    try:
        text = alpha2digit(text, language)
    except Exception:  # noqa: BLE001 - a language text2num does not know: digits only
        pass
    return frozenset(n.replace(",", "") for n in NUMBER.findall(text))


def may_hold_number(text: str, words: set[str], language: str) -> bool:
    """A quick test before text2num reads a sentence: digits, or a word that may be part of a number."""
    # set and regex operations, not a Python loop per word: this runs for every cited sentence
    return (language != "en" or DIGIT.search(text) is not None or not NUMBER_WORDS.isdisjoint(words)
            or _TEEN_TY.search(" ".join(words)) is not None)


_TEEN_TY = re.compile(r"(?:teen|ty)(?= |$)")  # a word ending so ("fifteen", "twenty"); words hold no spaces


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


@lru_cache(maxsize=65536)
def fold_name(text: str) -> str:
    """'U.S.' and 'US', 'Belarus's' and 'Belarus' compare equal."""
    return re.sub(r"(?<=[A-Z])\.(?=[A-Z]|\b)", "", fold(text)).replace("'s", "").rstrip(".'")


def acronym_of(word: str, text: str) -> bool:
    """'US' for 'United States', 'EU' for 'European Union', and the other way round."""
    words = word.split()
    if len(words) > 1:
        initials = "".join(w[0] for w in words)
        return has_word(initials, fold_name(text))
    if not (2 <= len(word) <= 5 and word.isupper()):
        return False
    pattern = r"\b" + r"\w*\s+".join(re.escape(c) for c in word) + r"\w*"
    return re.search(pattern, text) is not None

"""Small text helpers shared by resolve and render: sentences, folding for verbatim checks."""

from __future__ import annotations

import re

# The gap between two sentences, after the first one's end mark. The mark is matched rather than looked behind
# for, so that the regex engine skips from one mark to the next (a lookbehind is tried at every character).
_SENTENCE_END = re.compile(r"[.!?…](?P<gap>[”’\"']?\s+)(?=[“\"‘'(]?[A-Z0-9А-ЯЁІЎ])")
_DOUBLE = str.maketrans({c: '"' for c in "“”„‟″«»"})
_SINGLE = str.maketrans({c: "'" for c in "‘’‚‛′"})
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Text as the verbatim check compares it: whitespace and quote-mark styles folded, nothing else."""
    return _SPACE.sub(" ", text.translate(_DOUBLE).translate(_SINGLE)).strip()


def sentence_around(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The sentence holding text[start:end], and the match's offsets inside it."""
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= start:
            begin = match.end()
        elif match.start("gap") >= end:
            # The separator may open with a closing quote mark that belongs to this sentence.
            sentence = text[begin:match.start("gap")] + match.group("gap").strip()
            return sentence, start - begin, end - begin
    return text[begin:].strip(), start - begin, end - begin


_ABBREVIATION = re.compile(r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|No)\.)$")
# The letter before an abbreviation's last full stop: a cheap test that spares most sentences the search.
_ABBREVIATION_LAST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZrsto")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of a text starts and ends ("U.S. officials" does not end one)."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        stop = match.start("gap")
        end = stop + len(match.group("gap").rstrip())
        if (stop - begin >= 2 and text[stop - 1] == "." and text[stop - 2] in _ABBREVIATION_LAST
                and _ABBREVIATION.search(text[begin:stop])):
            continue
        spans.append((begin, end))
        begin = match.end()
    if begin < len(text) or not spans:
        spans.append((begin, len(text)))
    return spans


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

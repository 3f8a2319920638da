"""Ingest: a seed article, as received, becomes a cleaned source text of recognised blocks.

The words are never changed (quotations are checked against them); only whole lines of page furniture
are dropped, and each remaining line is recognised as a headline, heading, paragraph or photo caption.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from builder.model import Block, SourceText

# Whole lines that are page furniture on news sites, not article text.
FURNITURE = [
    r"Leave a comment",
    r"Trending( now)?",
    r"Share( this( article| story)?)?",
    r"Enjoyed reading\?.*",
    r"Advertisement",
    r"Subscribe.*",
    r"Sign up.*newsletter.*",
    r".*Read on [\w.-]+\.[a-z]{2,}",  # aggregator header: "Politics4 min readlogoRead on cbsnews.com"
    r"\d+ min read",
]
# A heading after which the rest is a list of links to other articles.
TRAILERS = r"(Similar|Related|Recommended|More) (articles|stories|reading|from .*)"

_TERMINAL = ".!?…:;,\"”’)"
_WORD = re.compile(r"[\w’'-]+")
_STOPWORDS = frozenset("a an and the of in on at to with for as by from is was".split())


@dataclass(frozen=True)
class IngestRules:
    """Generic rules plus a source's own patterns (from content/sources.yaml)."""

    drop: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    standfirst: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    _compiled: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, group: str, line: str) -> bool:
        patterns: tuple[str, ...] = getattr(self, group)
        if group == "drop":
            patterns = (*FURNITURE, *patterns)
        if not patterns:
            return False
        if group not in self._compiled:
            self._compiled[group] = re.compile("|".join(f"(?:{p})" for p in patterns))
        return bool(self._compiled[group].fullmatch(line.strip()) if group == "drop"
                     else self._compiled[group].search(line))


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    run: int  # lines with no blank line between them share a run


def _lines(text: str, rules: IngestRules) -> list[_Line]:
    """Numbered non-blank lines, with furniture and trailing link lists removed."""
    out: list[_Line] = []
    run = 0
    in_trailer = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            run += 1
            continue
        if re.fullmatch(TRAILERS, line):
            in_trailer = True
            continue
        if in_trailer and re.fullmatch(r"\d+\.?", line):
            continue
        in_trailer = False
        if rules.matches("drop", line):
            continue
        out.append(_Line(number, raw.rstrip(), run))
    return out


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - _STOPWORDS


def _is_title_like(text: str, max_words: int) -> bool:
    """Short, with no sentence ending: how headlines, headings and alt texts look."""
    stripped = text.strip()
    return (len(stripped.split()) <= max_words and stripped[-1] not in _TERMINAL
            and stripped[0].isupper())


def _is_photo(alt: _Line, caption: _Line) -> bool:
    """A photo's alt text directly followed by its caption, which repeats most of its words."""
    if alt.run != caption.run or not _is_title_like(alt.text, 30):
        return False
    if caption.text.strip()[-1] not in ".!?":
        return False
    alt_words = _words(alt.text)
    return bool(alt_words) and len(alt_words & _words(caption.text)) >= 0.5 * len(alt_words)


def ingest_text(text: str, rules: IngestRules | None = None) -> SourceText:
    """Recognise the blocks of one seed's text."""
    rules = rules or IngestRules()
    lines = _lines(text, rules)
    run_size = Counter(line.run for line in lines)  # counted once: per line, a 40,000-paragraph seed took minutes
    blocks: list[Block] = []
    paragraphs = captions = 0
    i = 0
    while i < len(lines):
        line, nxt = lines[i], lines[i + 1] if i + 1 < len(lines) else None
        words = line.text.strip()
        if rules.matches("captions", words):
            captions += 1
            blocks.append(Block("caption", words, line.number, f"fig{captions}"))
        elif nxt is not None and run_size[line.run] == 2 and _is_photo(line, nxt):
            captions += 1
            blocks.append(Block("caption", nxt.text.strip(), nxt.number, f"fig{captions}", alt=words))
            i += 1
        elif not blocks and run_size[line.run] == 1 and _is_title_like(words, 25):
            blocks.append(Block("headline", words, line.number))
        elif rules.matches("standfirst", words):
            paragraphs += 1
            blocks.append(Block("standfirst", words, line.number, f"p{paragraphs}"))
        elif nxt is not None and (rules.matches("headings", words) or _is_title_like(words, 12)):
            blocks.append(Block("heading", words, line.number))
        else:
            paragraphs += 1
            blocks.append(Block("paragraph", words, line.number, f"p{paragraphs}"))
        i += 1
    return SourceText(tuple(blocks))


def to_markdown(source_id: str, seed: str, text: SourceText) -> str:
    """The cleaned text as Markdown an editor can read, with each block's anchor and seed line."""
    out = [f"<!-- {source_id}: ingested from seeds/{seed}; anchors in braces, seed lines in comments -->", ""]
    for block in text.blocks:
        note = f"<!-- seed line {block.line} -->"
        if block.kind == "headline":
            out += [f"# {block.text} {note}", ""]
        elif block.kind == "heading":
            out += [f"## {block.text} {note}", ""]
        elif block.kind == "caption":
            alt = f" (photo: {block.alt})" if block.alt else ""
            out += [note, f"{{#{block.anchor} .caption}}", f"*{block.text}*{alt}", ""]
        else:
            cls = " .standfirst" if block.kind == "standfirst" else ""
            out += [note, f"{{#{block.anchor}{cls}}}", block.text, ""]
    return "\n".join(out)

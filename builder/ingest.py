"""Ingest: a seed article, as received, becomes a cleaned source text of recognised blocks.

The words are never changed (quotations are checked against them); only whole lines of page furniture
are dropped, and each remaining line is recognised as a headline, heading, paragraph or photo caption.

Anchors never move: a block's anchor is its line's position among the seed's non-blank lines as received
(p7 is the seventh), so dropping a line, or recognising one differently, leaves a gap instead of
renumbering every later paragraph and breaking the citations written against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from builder import furniture
from builder.furniture import is_sentence, is_title_like
from builder.model import Block, Dropped, SourceText

_WORD = re.compile(r"[\w’'-]+")
_STOPWORDS = frozenset("a an and the of in on at to with for as by from is was".split())
_LIST_ITEM = re.compile(r"\d+\.?|[-•*·–—]\s*.*")
GROUPS = ("drop", "captions", "standfirst", "headings", "headline")


@dataclass(frozen=True)
class IngestRules:
    """A source's own patterns (from content/sources.yaml), which win over the generic detectors.

    `drop` and `drop_between` match a whole line (stripped); the others match part of one."""

    drop: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    standfirst: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()
    drop_between: tuple[tuple[str, str], ...] = ()
    _compiled: dict[str, list[re.Pattern[str]]] = field(default_factory=dict, compare=False, repr=False)

    def _patterns(self, group: str) -> list[re.Pattern[str]]:
        if group not in self._compiled:
            self._compiled[group] = [re.compile(p) for p in getattr(self, group)]
        return self._compiled[group]

    def match(self, group: str, line: str) -> str:
        """The first pattern of `group` this line satisfies, or ''."""
        stripped = line.strip()
        for source, pattern in zip(getattr(self, group), self._patterns(group)):
            if pattern.fullmatch(stripped) if group == "drop" else pattern.search(stripped):
                return str(source)
        return ""

    def matches(self, group: str, line: str) -> bool:
        return bool(self.match(group, line))

    def unmatched(self, lines: list[str]) -> list[tuple[str, str]]:
        """(group, pattern) for each pattern that matches no line of the seed: a typo, or the wrong kind
        of match (a `drop` pattern that matches only part of a line)."""
        out = [(g, p) for g in GROUPS for p in getattr(self, g) if not any(self.matches_one(g, p, s) for s in lines)]
        for start, end in self.drop_between:
            if not any(re.fullmatch(start, s) for s in lines):
                out.append(("drop_between", start))
            if not any(re.fullmatch(end, s) for s in lines):
                out.append(("drop_between", end))
        return out

    @staticmethod
    def matches_one(group: str, pattern: str, stripped: str) -> bool:
        return bool(re.fullmatch(pattern, stripped) if group == "drop" else re.search(pattern, stripped))


@dataclass(frozen=True)
class _Line:
    number: int  # the seed's line number
    ordinal: int  # its position among the seed's non-blank lines: the anchor's number
    text: str
    run: int  # lines with no blank line between them share a run


@dataclass
class _Found:
    """What the furniture pass learnt on the way."""

    kept: list[_Line] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    byline: str = ""
    date: str = ""

    def drop(self, line: _Line, rule: str) -> None:
        self.dropped.append(Dropped(line.number, line.text.strip(), rule))


def _numbered(text: str) -> list[_Line]:
    out: list[_Line] = []
    run = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            run += 1
            continue
        out.append(_Line(number, len(out) + 1, raw.rstrip(), run))
    return out


def _own_kind(rules: IngestRules, line: str) -> bool:
    return any(rules.matches(g, line) for g in ("captions", "standfirst", "headings", "headline"))


def _drop_furniture(lines: list[_Line], rules: IngestRules) -> _Found:
    """Per-source drop rules first, then the generic detectors (builder/furniture.py)."""
    found = _Found()
    between_end = ""
    link_list = ""  # the heading of the link list being skipped
    after_by = False
    for line in lines:
        words = line.text.strip()
        if between_end:
            found.drop(line, f"ingest.drop_between (until {between_end!r})")
            between_end = "" if re.fullmatch(between_end, words) else between_end
            continue
        start = next(((s, e) for s, e in rules.drop_between if re.fullmatch(s, words)), None)
        if start is not None:
            found.drop(line, f"ingest.drop_between {start[0]!r}")
            between_end = "" if re.fullmatch(start[1], words) else start[1]
            continue
        if pattern := rules.match("drop", words):
            found.drop(line, f"ingest.drop {pattern!r}")
            continue
        if _own_kind(rules, words):
            found.kept.append(line)
            link_list = ""
            continue
        if link_list and (_LIST_ITEM.fullmatch(words) or not is_sentence(words) or words.endswith("?")) \
                and len(words.split()) <= 25:
            found.drop(line, f"link list after {link_list!r}")
            continue
        link_list = ""
        if after_by and len(words.split()) <= 8 and not is_sentence(words):
            found.drop(line, "byline")
            found.byline = found.byline or words
            after_by = False
            continue
        after_by = False
        if not _generic_furniture(line, words, found):
            found.kept.append(line)
            continue
        if furniture.is_link_list_heading(words):
            link_list = words
        after_by = furniture.is_by_alone(words)
    return found


def _generic_furniture(line: _Line, words: str, found: _Found) -> bool:
    """Drop the line if a generic detector knows it; bylines and dates are remembered as suggestions."""
    if furniture.is_link_list_heading(words):
        found.drop(line, "link list heading")
    elif furniture.is_by_alone(words):
        found.drop(line, "byline")
    elif (by := furniture.byline(words)) is not None:
        found.drop(line, "byline")
        found.byline = found.byline or by[0]
        found.date = found.date or (furniture.date_line(by[1]) or "")
    elif furniture.is_agency(words):
        found.drop(line, "byline (a news agency)")
        found.byline = found.byline or words
    elif (date := furniture.date_line(words)) is not None:
        found.drop(line, "date line")
        found.date = found.date or date
    elif rule := furniture.furniture_rule(words):
        found.drop(line, rule)
    else:
        return False
    return True


def _headline_at(lines: list[_Line], rules: IngestRules) -> int | None:
    """Where the headline is: a per-source `headline` match, else the first title-like line of four
    words or more before the prose starts (section labels come before it), else a short first line."""
    if rules.headline:
        return next((i for i, line in enumerate(lines) if rules.matches("headline", line.text)), None)
    leading = _leading(lines)
    for i in range(leading):
        if is_title_like(lines[i].text, 25) and len(lines[i].text.split()) >= 4:
            return i
    if leading and len(lines) > 1 and is_title_like(lines[0].text, 25):
        return 0
    return None


def _leading(lines: list[_Line]) -> int:
    """How many lines come before the first line of prose."""
    for i, line in enumerate(lines):
        if is_sentence(line.text) or len(line.text.split()) > 25:
            return i
    return len(lines)


def _drop_labels_and_link_runs(found: _Found, rules: IngestRules) -> int | None:
    """Section labels above the headline, and runs of three or more headline-like lines (a link list
    with no heading); returns the headline's index in what is kept."""
    lines = found.kept
    headline = _headline_at(lines, rules)
    keep: list[_Line] = []
    leading = _leading(lines)
    for i, line in enumerate(lines):
        if headline is not None and i < min(leading, headline) and is_title_like(line.text, 4) \
                and not _own_kind(rules, line.text):
            found.drop(line, "section label")
            continue
        keep.append(line)
    headline_line = lines[headline] if headline is not None else None
    run: list[_Line] = []
    out: list[_Line] = []
    ends: list[_Line | None] = [*keep, None]  # None closes the last run
    for candidate in ends:
        # Four words or more: a short list of names ("Ales Bialiatski") is article text, not links.
        if candidate is not None and candidate is not headline_line and is_title_like(candidate.text, 20) \
                and len(candidate.text.split()) >= 4 and not _own_kind(rules, candidate.text):
            run.append(candidate)
            continue
        if len(run) >= 3:
            for dropped in run:
                found.drop(dropped, "run of headline-like lines (a list of links)")
        else:
            out += run
        run = []
        if candidate is not None:
            out.append(candidate)
    found.kept = sorted(out, key=lambda l: l.number)
    return found.kept.index(headline_line) if headline_line in found.kept else None


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - _STOPWORDS


def _is_photo(alt: _Line, caption: _Line) -> bool:
    """A photo's alt text directly followed by its caption, which repeats most of its words."""
    if alt.run != caption.run or not is_title_like(alt.text, 30):
        return False
    if caption.text.strip()[-1] not in ".!?":
        return False
    alt_words = _words(alt.text)
    return bool(alt_words) and len(alt_words & _words(caption.text)) >= 0.5 * len(alt_words)


def ingest_text(text: str, rules: IngestRules | None = None) -> SourceText:
    """Recognise the blocks of one seed's text."""
    rules = rules or IngestRules()
    numbered = _numbered(text)
    found = _drop_furniture(numbered, rules)
    headline = _drop_labels_and_link_runs(found, rules)
    lines = found.kept
    run_sizes: dict[int, int] = {}
    for line in lines:
        run_sizes[line.run] = run_sizes.get(line.run, 0) + 1
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line, nxt = lines[i], lines[i + 1] if i + 1 < len(lines) else None
        words = line.text.strip()
        if rules.matches("captions", words) or (furniture.is_credited_caption(words) and i != headline):
            blocks.append(Block("caption", words, line.number, f"fig{line.ordinal}"))
        elif nxt is not None and run_sizes[line.run] == 2 and _is_photo(line, nxt):
            blocks.append(Block("caption", nxt.text.strip(), nxt.number, f"fig{nxt.ordinal}", alt=words))
            i += 1
        elif i == headline:
            blocks.append(Block("headline", words, line.number))
        elif rules.matches("standfirst", words):
            blocks.append(Block("standfirst", words, line.number, f"p{line.ordinal}"))
        elif nxt is not None and (rules.matches("headings", words) or is_title_like(words, 12)):
            blocks.append(Block("heading", words, line.number))
        else:
            blocks.append(Block("paragraph", words, line.number, f"p{line.ordinal}"))
        i += 1
    paragraphs = [b for b in blocks if b.kind in ("paragraph", "standfirst")]
    truncated = bool(paragraphs) and blocks[-1] is paragraphs[-1] and paragraphs[-1].text[-1].isalnum()
    stripped = [line.text.strip() for line in numbered]
    return SourceText(tuple(blocks), tuple(sorted(found.dropped, key=lambda d: d.line)), found.byline,
                      found.date, truncated, tuple(rules.unmatched(stripped)))


def to_markdown(source_id: str, seed: str, text: SourceText) -> str:
    """The cleaned text as Markdown an editor can read, with each block's anchor and seed line."""
    out = [f"<!-- {source_id}: ingested from seeds/{seed}; anchors in braces, seed lines in comments -->", ""]
    dropped = {d.line: d for d in text.dropped}
    events: list[tuple[int, list[str]]] = [
        (d.line, [f"<!-- seed line {d.line} dropped ({d.rule}): {d.text.replace('--', '- -')} -->", ""])
        for d in dropped.values()]
    for block in text.blocks:
        note = f"<!-- seed line {block.line} -->"
        if block.kind == "headline":
            lines = [f"# {block.text} {note}", ""]
        elif block.kind == "heading":
            lines = [f"## {block.text} {note}", ""]
        elif block.kind == "caption":
            alt = f" (photo: {block.alt})" if block.alt else ""
            lines = [note, f"{{#{block.anchor} .caption}}", f"*{block.text}*{alt}", ""]
        else:
            cls = " .standfirst" if block.kind == "standfirst" else ""
            lines = [note, f"{{#{block.anchor}{cls}}}", block.text, ""]
        events.append((block.line, lines))
    for _, lines in sorted(events, key=lambda e: e[0]):
        out += lines
    if text.truncated:
        out += ["<!-- our copy ends here: the last paragraph stops mid-word -->", ""]
    return "\n".join(out)

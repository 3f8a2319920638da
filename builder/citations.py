"""A citation as the reader meets it: adjacent references to one source collapsed (`CBS ¶3–4 · Explainer ¶2`),
each a button that opens, in place and without script (the HTML `popover` attribute), the cited paragraph's
words with the quoted words marked, and a link to the paragraph in its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from typing import Callable, Iterable, Sequence

from markupsafe import escape

_QUOTE_MARKS = "\"“”„‟″«»'‘’‚‛′"


@dataclass(frozen=True)
class Cited:
    """One cited paragraph as a citation's preview shows it."""

    source: str  # the source's id
    href: str  # the paragraph in context, on its source's page
    short: str  # the source's label in citations ("CBS")
    kind: str  # news report, explainer…
    anchor: str  # "p3", "fig1", or "" for the whole source
    words: str  # the paragraph's words exactly as in the source ("" for the whole source)


@lru_cache(maxsize=4096)  # every citation and preview labels its paragraphs: a site has few distinct anchors
def anchor_label(anchor: str) -> str:
    if anchor.startswith("fig"):
        return f"photo {anchor[3:]}"
    return f"¶{anchor[1:]}" if anchor.startswith("p") else anchor


def anchors_label(anchors: Sequence[str]) -> str:
    """p3, p4, p5, p7, fig1 → "¶3–5, 7, photo 1": runs of paragraph numbers become ranges."""
    return _anchors_label(tuple(anchors))


@lru_cache(maxsize=4096)  # a site's citations repeat a few runs of paragraphs many times
def _anchors_label(anchors: tuple[str, ...]) -> str:
    numbers = [int(a[1:]) for a in anchors if a.startswith("p") and a[1:].isdigit()]
    others = [anchor_label(a) for a in anchors if not (a.startswith("p") and a[1:].isdigit())]
    parts: list[str] = []
    for _, run in groupby(enumerate(sorted(dict.fromkeys(numbers))), key=lambda iv: iv[1] - iv[0]):
        values = [v for _, v in run]
        parts.append(str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}")
    shown = ("¶" + ", ".join(parts)) if parts else ""
    return ", ".join(p for p in (shown, *others) if p)


# The verbatim check's folding (any whitespace run, any style of quote mark), done to the paragraph once and to
# each quotation, so that finding a quotation is a plain string search: compiling a pattern per quotation cost
# more than all the rest of the previews.
_ONE_MARK = str.maketrans({c: '"' for c in _QUOTE_MARKS})
_WHITESPACE = re.compile(r"\s+")  # `\s` is str.isspace, as `strip` uses


@lru_cache(maxsize=4096)
def folded_quote(quote: str) -> str:
    """The quoted words with each whitespace run one space and each quote mark '"'."""
    return _WHITESPACE.sub(" ", quote.strip().translate(_ONE_MARK))


@lru_cache(maxsize=1024)  # a paragraph is previewed on many pages
def folded_words(words: str) -> tuple[str, tuple[int, ...]]:
    """The paragraph folded as `folded_quote` folds, and where each folded character starts in `words`."""
    folded: list[str] = []
    starts: list[int] = []
    pos = 0
    for match in _WHITESPACE.finditer(words):
        folded.append(words[pos:match.start()].translate(_ONE_MARK))
        starts.extend(range(pos, match.start()))
        folded.append(" ")
        starts.append(match.start())
        pos = match.end()
    folded.append(words[pos:].translate(_ONE_MARK))
    starts.extend(range(pos, len(words)))
    return "".join(folded), tuple(starts)


def quote_span(words: str, quote: str) -> tuple[int, int] | None:
    """Where the quoted words first sit in `words`, whatever their whitespace and quote marks."""
    needle = folded_quote(quote)
    haystack, starts = folded_words(words)
    at = haystack.find(needle) if needle else -1
    if at < 0:
        return None
    # The needle is stripped, so its last character is never a folded run of whitespace: it is one of `words`.
    return starts[at], starts[at + len(needle) - 1] + 1


def marked_spans(words: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Where the quotations sit in a paragraph, overlapping ones merged."""
    spans = sorted(span for q in quotes if q.strip() for span in [quote_span(words, q)] if span)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def text(words: str) -> str:
    """Words as element text: quote marks need no escaping there, and a preview holds many."""
    return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def marked(words: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out += [text(words[pos:start]), "<mark>", text(words[start:end]), "</mark>"]
        pos = end
    out.append(text(words[pos:]))
    return "".join(out)


# The HTML is put together with plain strings, each variable part through `escape` (what Markup.format would do):
# a large site has tens of thousands of previews, and Markup.format per piece was most of their cost.
_SEPARATOR = '<span class="cite-sep"> · </span>'


def _e(value: str) -> str:
    return str(escape(value))


def _popover(ident: str, run: list[Cited], marks: list[list[tuple[int, int]]]) -> str:
    first = run[0]
    kind = f" · {_e(first.kind)}" if first.kind else ""
    head = f'<span class="pop-head"><strong>{_e(first.short)}</strong>{kind}</span>'

    # Several paragraphs: each number links to its own; one: the link below the words is enough.
    def number(c: Cited) -> str:
        if len(run) > 1:
            return f'<a class="pop-num" href="{_e(c.href)}">{_e(anchor_label(c.anchor))}</a>'
        return f'<b class="pop-num">{_e(anchor_label(c.anchor))}</b>'

    paragraphs = "".join(f'<span class="pop-para">{number(c)} {marked(c.words, spans)}</span>'
                         for c, spans in zip(run, marks) if c.anchor)
    where = anchor_label(first.anchor) if first.anchor else "the source"
    foot = (f'<span class="pop-foot"><a href="{_e(first.href)}">Read {_e(where)} in context</a> <button '
            f'popovertarget="{_e(ident)}">Close</button></span>')
    return f'<span class="cite-pop" id="{_e(ident)}" popover>{head}{paragraphs}{foot}</span>'


def citation_html(cited: list[Cited], quotes: Callable[[Cited], Iterable[str]], previews: dict[object, str],
                  spot: str | None) -> str:
    """One citation: a button per run of one source's paragraphs, each with its preview. A preview is written
    once per page (`previews` remembers which the page holds), marking every quotation `quotes` gives for
    each paragraph: the words the page quotes from it."""
    buttons = []
    for _, group in groupby(cited, key=lambda c: c.source):
        run = list({c.anchor: c for c in group}.values())  # a paragraph cited twice in a row shows once
        key = (run[0].source, tuple(c.anchor for c in run))
        label = f"{run[0].short} {anchors_label([c.anchor for c in run])}".strip()
        ident = previews.get(key)
        pop = ""
        if ident is None:
            ident = previews[key] = f"pv{len(previews) + 1}"
            pop = _popover(ident, run, [marked_spans(c.words, quotes(c)) for c in run])
        buttons.append(f'<button class="cite-btn" popovertarget="{_e(ident)}">{_e(label)}</button>{pop}')
    ident = f' id="{_e(spot)}"' if spot else ""
    return f'<span class="cite"{ident} data-pagefind-ignore>{_SEPARATOR.join(buttons)}</span>'

"""The documented schema of every editorial YAML record; unknown keys are errors.

Each field has a one-line doc, so `docs` can be generated and kept true (a test checks every field is
documented in the README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from builder.problems import Pos, Problems, did_you_mean
from builder.yamlio import YDict, line_of

# \Z, not $: `$` also matches before a final newline, and "lukashenko\n" would make a second folder.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# Pages link to these as they are: any other scheme (javascript:, data:) would be live code on a page.
WEB_ADDRESS = re.compile(r"^https?://[^\s/]+\S*\Z", re.IGNORECASE)
ID_HINT = "use lowercase letters, digits and single hyphens, e.g. 'maria-kalesnikava'"
# Top-level folders of the built site: a standalone page (content/pages/<slug>.md) may not take one.
SECTIONS = frozenset({"briefs", "people", "organisations", "sources", "claims", "timeline", "glossary",
                      "assets", "pagefind", "search", "data"})


@dataclass(frozen=True)
class Field:
    """One key of a record: its type, whether it is required, and what it is for."""

    kind: str  # str | text | url | int | bool | id | ids | strs | lang | lang_map | map | records
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()


_TYPE_NAMES = {
    "str": "a string", "text": "a string", "url": "a web address (http:// or https://)", "id": "an id",
    "int": "a whole number", "bool": "true or false",
    "ids": "a list of ids", "strs": "a list of strings",
    "lang_map": "a mapping of language code to name (BCP 47 codes, such as 'be')",
    "lang": "a BCP 47 language tag such as 'en', 'be' or 'en-GB'",
    "records": "a list of mappings", "map": "a mapping",
    "pairs": "a pair of strings [start, end], or a list of such pairs",
}


# A BCP 47 tag's shape (letters, then hyphen-separated subtags of at most 8); langcodes checks the registry.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*\Z")


def is_language_tag(value: Any) -> bool:
    """A valid BCP 47 language tag ('en', 'be', 'en-GB', 'be-Latn'): what `lang` attributes and Pagefind take."""
    import langcodes

    return isinstance(value, str) and bool(_LANGUAGE_TAG.match(value)) and langcodes.tag_is_valid(value)


def check_id(value: Any, pos: Pos, what: str, problems: Problems) -> bool:
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return True
    problems.error(pos, f"invalid {what} {value!r}", ID_HINT)
    return False


def _bad(name: str, spec: Field, value: Any, pos: Pos, problems: Problems) -> None:
    shown = repr(value) if len(repr(value)) < 60 else type(value).__name__
    problems.error(pos, f"'{name}' must be {_TYPE_NAMES[spec.kind]}, not {shown}", f"fix the value of '{name}'")
    return None


def _check_value(name: str, spec: Field, value: Any, pos: Pos, problems: Problems) -> Any:
    bad = False
    if spec.kind in ("str", "text"):
        bad = not isinstance(value, str) or not value.strip()
    elif spec.kind == "url":
        bad = not isinstance(value, str) or not WEB_ADDRESS.fullmatch(value)
    elif spec.kind == "int":
        bad = isinstance(value, bool) or not isinstance(value, int)
    elif spec.kind == "bool":
        bad = not isinstance(value, bool)
    elif spec.kind == "id":
        if isinstance(value, str):
            return value if check_id(value, pos, f"'{name}'", problems) else None
        bad = True
    elif spec.kind in ("ids", "strs"):
        bad = not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value)
        if not bad and spec.kind == "ids":
            ok = [check_id(v, pos, f"id in '{name}'", problems) for v in value]
            return list(value) if all(ok) else None
    elif spec.kind == "lang_map":
        bad = not isinstance(value, dict) or not all(
            is_language_tag(k) and isinstance(v, str) and v.strip() for k, v in value.items())
    elif spec.kind == "lang":
        bad = not is_language_tag(value)
    elif spec.kind == "map":
        bad = not isinstance(value, dict)
    elif spec.kind == "pairs":
        pairs = value if isinstance(value, list) and value and all(isinstance(v, list) for v in value) else [value]
        bad = not all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) and v for v in p)
                      for p in pairs)
        if bad:
            return _bad(name, spec, value, pos, problems)
        return [tuple(p) for p in pairs]
    elif spec.kind == "records":
        bad = not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
    if bad:
        return _bad(name, spec, value, pos, problems)
    if spec.choices and value not in spec.choices:
        problems.error(pos, f"'{name}' is {value!r}, not one of: {', '.join(spec.choices)}",
                       did_you_mean(str(value), spec.choices) or f"use one of: {', '.join(spec.choices)}")
        return None
    return value


def validate(data: Any, fields: dict[str, Field], path: str, what: str, problems: Problems,
             line: int = 0) -> dict[str, Any] | None:
    """Check one record against its fields; return its values (missing optionals are None).

    Returns None when the record is unusable (not a mapping, or a required field is missing or wrong).
    """
    line = line_of(data, default=line)
    if not isinstance(data, dict):
        problems.error(Pos(path, line), f"each {what} must be a mapping of keys to values",
                       f"write the {what} as 'key: value' lines")
        return None
    ok = True
    for key in data:
        if key not in fields:
            hint = did_you_mean(str(key), fields) or f"allowed keys: {', '.join(fields)}"
            problems.error(Pos(path, line_of(data, str(key), line)), f"unknown key '{key}' in {what}", hint)
            ok = False
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        pos = Pos(path, line_of(data, name, line))
        if name not in data or data[name] is None:
            if spec.required:
                problems.error(Pos(path, line), f"{what} is missing required '{name}'",
                               f"add '{name}:' ({spec.doc})")
                ok = False
            values[name] = None
            continue
        value = _check_value(name, spec, data[name], pos, problems)
        if value is None:
            ok = False
        values[name] = value
    values["_line"] = line
    values["_lines"] = data.key_lines if isinstance(data, YDict) else {}
    return values if ok else None


SITE = {
    "title": Field("str", "the site's name, shown on every page", required=True),
    "description": Field("str", "one sentence used as the home page's description", required=True),
    "language": Field("lang", "the language of the content, a BCP 47 code such as 'en'", required=True),
    "base_url": Field("url", "the published address, e.g. https://user.github.io/repo/ (for canonical URLs and the feed)"),
    "author": Field("str", "who publishes the briefing, shown in the footer and the feed"),
    "updated": Field("str", "the day the briefing last changed (YYYY-MM-DD): the Atom feed's date for "
                     "briefs without their own; never invented"),
    "briefs_per_page": Field("int", "how many briefs each page of the briefs list shows, and the home page at "
                             "most (50 when not given)"),
}

SOURCE_INGEST = {
    "drop": Field("strs", "regular expressions, each matching a WHOLE furniture line to remove from the seed"),
    "drop_between": Field("pairs", "[start, end]: regular expressions for the whole first and last lines of "
                          "a stretch to remove (both removed); or a list of such pairs"),
    "captions": Field("strs", "regular expressions matching PART of each line that is a photo caption"),
    "standfirst": Field("strs", "regular expressions matching part of the line that is the standfirst"),
    "headings": Field("strs", "regular expressions matching part of each line that is a section heading"),
    "headline": Field("strs", "a regular expression matching part of the headline's line (when not found)"),
}

SOURCE_KINDS = ("news report", "analysis", "explainer", "opinion", "other")

SOURCE = {
    "id": Field("id", "a stable identifier used in citations: [@id#p3]", required=True),
    "seed": Field("str", "the article's file under seeds/, exactly as received", required=True),
    "title": Field("str", "the article's headline, or an editorial title when it has none", required=True),
    "title_is_editorial": Field("bool", "true when the seed has no headline and the title is ours"),
    "short": Field("str", "a short label used in citations, e.g. 'CBS'"),
    "outlet": Field("str", "the publisher, only when the text names one"),
    "kind": Field("str", "what the article is", choices=SOURCE_KINDS),
    "url": Field("url", "the article's address, only when known (never invented)"),
    "published": Field("str", "the publication date, only when the source gives it (never invented)"),
    "author": Field("str", "who wrote it, only when the text names them (its byline)"),
    "notes": Field("text", "notes on reliability (Markdown, may cite)"),
    "ingest": Field("map", "per-source ingest patterns: drop, drop_between, captions, standfirst, headings, "
                    "headline"),
}

# What people and organisations share: how they are named and found.
_NAMED = {
    "id": Field("id", "a stable identifier used in links and URLs", required=True),
    "name": Field("str", "the name this site uses", required=True),
    "aliases": Field("strs", "every other spelling used in the sources, and usual transliterations"),
    "native_names": Field("lang_map", "the name in other scripts, keyed by language code (be, ru)"),
    "allow_common": Field("bool", "true when an alias that is a common word (such as 'US') is meant: it is "
                          "then matched wherever it appears, without a warning"),
}

PERSON = {
    **_NAMED,
    "role": Field("str", "one line on who they are", required=True),
    "country": Field("str", "the country they are from or act for"),
    "status": Field("text", "their status as the sources report it, cited (Markdown, one line)"),
    "profile": Field("text", "a short cited profile (Markdown)", required=True),
}

ORGANISATION = {
    **_NAMED,
    "kind": Field("str", "what kind of organisation it is", required=True),
    "country": Field("str", "where it is based"),
    "description": Field("text", "a short cited description (Markdown)", required=True),
}

STANCES = ("supports", "contradicts", "unclear", "silent")

STANCE = {
    "source": Field("id", "the source this stance is about", required=True),
    "stance": Field("str", "what the source does with the claim (unclear: speaks to it without settling it)",
                    required=True, choices=STANCES),
    "at": Field("str", "the paragraph (pN) or caption (figN) the excerpt is from"),
    "excerpt": Field("str", "the source's words, verbatim"),
}

CLAIM = {
    "id": Field("id", "a stable identifier", required=True),
    "topic": Field("str", "a grouping such as numbers, people, sanctions", required=True),
    "claim": Field("str", "the claim in neutral words", required=True),
    "stances": Field("records", "one entry per source", required=True),
    "note": Field("text", "an editorial explanation of a disagreement (Markdown)"),
}

EVENT = {
    "id": Field("id", "a stable identifier, used as the event's anchor", required=True),
    "when": Field("str", "when it happened, in the sources' own relative terms", required=True),
    "date": Field("str", "the calendar day (YYYY-MM-DD), only when a source gives it (never invented)"),
    "event": Field("text", "what happened, cited (Markdown)", required=True),
}

TERM = {
    "term": Field("str", "the term", required=True),
    "id": Field("id", "an anchor for the term (defaults to the term, slugified)"),
    "definition": Field("text", "what it means, cited or marked as an editorial note (Markdown)", required=True),
}

KEY_NUMBER = {
    "value": Field("str", "the number as the source gives it", required=True),
    "label": Field("str", "what the number counts", required=True),
    "cite": Field("str", "where it comes from: source-id#pN", required=True),
}

HOME = {
    "bullets": Field("strs", "the story in a few cited sentences (Markdown)"),
    "key_numbers": Field("records", "key numbers with their sources"),
}

PAGE = {
    "title": Field("str", "the page's title", required=True),
    "summary": Field("str", "one sentence, used in lists and as the page description", required=True),
}

BRIEF = {
    **PAGE,
    "order": Field("int", "position in the list of briefs (lowest first)"),
    "date": Field("str", "a date, only when known (never invented)"),
    "updated": Field("str", "when the brief was last corrected, only when known"),
    "people": Field("ids", "ids of the people the brief is about"),
    "organisations": Field("ids", "ids of the organisations the brief is about"),
    "sources": Field("ids", "ids of the sources the brief rests on"),
}

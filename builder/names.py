"""Names and aliases that cannot spoof or collide: the checks behind "[[Name]] always means one entity".

A name is matched as a whole word in every source and brief, and a wiki link finds its entity by any
spelling, whatever its case. So two spellings that differ only in case or Unicode form (`LUKASHENKA`,
`Lukashenka`, a fullwidth `Ｌ`) must belong to one entity; a character that cannot be seen (zero-width)
or that reorders the text around it (bidirectional controls) must not hide in one; a name must be short
enough for the matcher's pattern; and an alias that is an everyday word is probably a mistake.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

MAX_NAME = 200  # characters: the longest real names are a few dozen; the matcher nests one group per character

# Invisible characters and bidirectional controls (U+202E turns "Lis" into what reads as another name).
# Zero-width (non-)joiners are part of some scripts' spelling, so they are allowed in native names only.
_JOINERS = frozenset("\u200c\u200d")
_HIDDEN = frozenset("\u00ad\u061c\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062"
                    "\u2063\u2064\u2066\u2067\u2068\u2069\ufeff") | _JOINERS


def folded(name: str) -> str:
    """The form in which two spellings are the same name: NFKC, case-folded, NFKC again (as Unicode advises)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def name_problem(name: str, native: bool = False) -> tuple[str, str] | None:
    """What is wrong with one name or alias (message, hint), or None."""
    hidden = [c for c in name if (c in _HIDDEN and not (native and c in _JOINERS))
              or unicodedata.category(c) in ("Cc", "Co", "Cs")]
    if hidden:
        shown = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'control')}" for c in dict.fromkeys(hidden))
        return (f"name {name!r} holds an invisible or text-reordering character ({shown})",
                "retype the name without it (copying from the web can bring it in)")
    if len(name) > MAX_NAME:
        return (f"name of {len(name)} characters: {name[:40]!r}…",
                f"names are at most {MAX_NAME} characters; give the usual short form")
    if name != name.strip() or not name.strip():
        return (f"name {name!r} starts or ends with a space", "remove the spaces around it")
    return None


@lru_cache(maxsize=8)
def common_words(language: str) -> frozenset[str]:
    """Everyday words of the site's language and of English (most sources are English), case-folded."""
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    words = set(get_stop_words("english"))
    primary = language.split("-")[0].lower()
    if primary in LANGUAGE_MAPPING:
        words |= set(get_stop_words(LANGUAGE_MAPPING[primary]))
    return frozenset(folded(w) for w in words)


def is_common(alias: str, language: str) -> bool:
    return folded(alias) in common_words(language)

"""Page furniture recognised without per-source patterns: what a news page wraps around an article.

Each detector looks at one line (the words are never changed) and names the rule that matched, so `add
source` and `ingest` can say why a line was dropped. Only short lines that are not sentences are taken
for furniture: an article's prose is never dropped by a generic rule.
"""

from __future__ import annotations

import re

from dateutil import parser as date_parser

TERMINAL = ".!?…:;,\"”’)"
SENTENCE_END = ".!?…\"”’)"  # a line ending so is prose, whatever its length

# (rule, whole line, case-insensitive): lines that are never article text.
_FURNITURE = [
    ("share or comment prompt", r"(?:leave|add|view|show|read) (?:a |the )?comments?(?: \(\d+\))?|\d+ comments?|"
     r"comments?|join the conversation|share(?: this| the)?(?: article| story| page| post)?(?: on \w+)?|"
     r"share with your circle|enjoyed reading\?.*|copy(?: the)? link|print|e-?mail|facebook|twitter|x|"
     r"whatsapp|telegram|linkedin|reddit|follow us(?: on .*)?|click here.*|listen to (?:this )?article.*|"
     r"save(?: article)?|bookmark|gift (?:this )?article"),
    ("advertisement", r"advertisement|sponsored(?: content)?|ad|story continues below(?: advertisement)?"),
    ("newsletter prompt", r"subscribe.*|sign up.*newsletter.*|get (?:our|the) .*newsletter.*|sign in|log in"),
    ("reading time", r"\d+ min(?:ute)?s? read"),
    ("agency credit line", r"(?:(?:additional )?reporting|writing|editing|compiled|graphics) by .*"),
    ("logo or brand line", r".*logo.*|skip to (?:main )?content|menu|search|home|.*read on [\w.-]+\.[a-z]{2,}"),
]
FURNITURE = [(rule, re.compile(pattern, re.IGNORECASE)) for rule, pattern in _FURNITURE]

# A heading after which come links to other articles, mid-article as often as at the end.
LINK_LIST = re.compile(
    r"(?:read more|read also|also read|see also|more on this(?: story)?|related(?: articles| stories| coverage|"
    r" content| news| topics| reading)?|trending(?: now| stories)?|similar (?:articles|stories)|"
    r"recommended(?: for you| stories| reading)?|more (?:stories|articles|news|reading|from .*)|"
    r"most (?:read|popular|viewed)|latest(?: news| stories)?|top stories|you may also like|"
    r"what to read next)\s*[:›»>]?", re.IGNORECASE)

AGENCIES = frozenset("""reuters|reuters staff|ap|the associated press|associated press|afp|agence france-presse|
bloomberg|bloomberg news|dpa|xinhua|tass|interfax|efe|ansa|kyodo|kyodo news|yonhap|upi|pa media|
press association|anadolu|anadolu agency|cnn wire|ukrinform|ria novosti|pap|ap news""".replace("\n", "").split("|"))
_BY_ALONE = re.compile(r"by:?", re.IGNORECASE)
_BYLINE = re.compile(r"by:?\s+(?P<who>[^|•·]+?)\s*(?:[|•·]\s*(?P<rest>.*))?", re.IGNORECASE)
_NAME_WORD = re.compile(r"(?:[A-Z][\w’'.-]*|and|de|da|van|von|der|al|el|bin|la|le|staff|in|the)[,]?")

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE = re.compile(rf"\b(\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?"
                  rf"\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})", re.IGNORECASE)
_RELATIVE_DATE = re.compile(r"(?:updated|published|posted)?\s*\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?)"
                            r"\s+ago", re.IGNORECASE)
_DATE_WORDS = frozenset("published updated posted last first on at am pm a.m. p.m. gmt utc edt est bst cet cest "
                        "ago second seconds minute minutes min mins hour hours hr hrs day days "
                        "eet eest msk pt et ct local time monday tuesday wednesday thursday friday saturday "
                        "sunday mon tue wed thu fri sat sun".split())

# A photo credit closing a line, "(Sergei Gapon/AFP via Getty Images)", or a "Photo:" prefix.
_CREDIT = re.compile(r"\((?=[^()]*(?:/|\bvia\b|\bphoto\b|\bgetty\b|\bimages?\b|\bcredit\b|\bpool\b))[^()]*\)\s*\.?$",
                     re.IGNORECASE)
_PHOTO_PREFIX = re.compile(r"(?:photo|image|picture|pictured|file photo|photograph|caption)\s*:", re.IGNORECASE)


def words(line: str) -> list[str]:
    return line.split()


def is_sentence(line: str) -> bool:
    return line.rstrip()[-1:] in SENTENCE_END


def is_title_like(text: str, max_words: int) -> bool:
    """Short, with no sentence ending, capitalised: how headlines, headings and alt texts look."""
    stripped = text.strip()
    return (bool(stripped) and len(stripped.split()) <= max_words and stripped[-1] not in TERMINAL
            and stripped[0].isupper())


def furniture_rule(line: str) -> str:
    """The generic rule that makes this line furniture, or ''."""
    if len(words(line)) > 20 or is_sentence(line):
        return ""
    for rule, pattern in FURNITURE:
        if pattern.fullmatch(line):
            return rule
    return ""


def is_link_list_heading(line: str) -> bool:
    return bool(LINK_LIST.fullmatch(line.strip()))


def is_by_alone(line: str) -> bool:
    return bool(_BY_ALONE.fullmatch(line.strip()))


def is_agency(line: str) -> bool:
    return line.strip().strip(".,;:-–—").strip().casefold() in AGENCIES


def byline(line: str) -> tuple[str, str] | None:
    """(who, the rest of the line) for a byline such as "By Jane Roe | Sep 11, 2025"; None otherwise."""
    stripped = line.strip()
    match = _BYLINE.fullmatch(stripped)
    if match is None or len(words(stripped)) > 14 or stripped.endswith("."):
        return None
    who = match.group("who").strip().rstrip(",")
    if not who or not who[0].isupper() or not all(_NAME_WORD.fullmatch(w) for w in words(who)):
        return None
    return who, match.group("rest") or ""


def date_line(line: str) -> str | None:
    """For a line that is only a date (with its time and "Updated"): the date as YYYY-MM-DD ('' if it
    gives none, "2 hours ago"); None for any other line."""
    # Scraped pages glue the parts together: "GMT+3Updated 2 hours ago".
    stripped = re.sub(r"(?<=[\w)])(?=(?:Updated|Published|Posted)\b)", " ", line.strip().strip("|•·").strip())
    if not stripped or len(words(stripped)) > 14 or stripped.endswith("."):
        return None
    if _RELATIVE_DATE.fullmatch(stripped):
        return ""
    match = DATE.search(stripped)
    if match is None:
        return None
    rest = (stripped[:match.start()] + " " + stripped[match.end():]).replace("|", " ").replace("•", " ")
    rest = re.sub(r"\d{1,2}[:.]\d{2}|[+-]\d{1,2}|[(),]", " ", rest)
    others = [w for w in words(rest) if w.casefold().strip(".,") not in _DATE_WORDS and not w.isdigit()]
    if len(others) > 2:
        return None
    return iso_date(match.group(1))


def iso_date(text: str) -> str:
    try:
        return date_parser.parse(text, fuzzy=True).date().isoformat()
    except (ValueError, OverflowError):
        return ""


def is_credited_caption(line: str) -> bool:
    """A photo caption with its credit, "(… /AFP via Getty Images)", or marked "Photo:"."""
    stripped = line.strip()
    return bool(_CREDIT.search(stripped) or _PHOTO_PREFIX.match(stripped))

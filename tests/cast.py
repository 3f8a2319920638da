"""A generated project with a large cast: more people than the charts draw (visuals.NETWORK_PEOPLE,
COVERAGE_PEOPLE) and more sources than the coverage matrix shows (COVERAGE_SOURCES), so edits that change who
is named most cross those caps. Person i is named in fewer source paragraphs than person i-1: a ranking.
"""

from __future__ import annotations

from pathlib import Path

from builder import visuals
from builder.ingest import ingest_text

PEOPLE = visuals.COVERAGE_PEOPLE + 5  # above both caps
SOURCES = visuals.COVERAGE_SOURCES + 2
PARAGRAPHS = 6
GIVEN = ("Anna", "Boris", "Clara", "Dmitri", "Elena", "Felix", "Galina", "Hugo", "Irina", "Jonas")


def surname(i: int) -> str:
    """A made-up surname, a whole word found nowhere else in the texts."""
    letters = "bcdfghklmnprstvz"
    return "Q" + letters[i // len(letters)] + "a" + letters[i % len(letters)] + "ov"


def name(i: int) -> str:
    return f"{GIVEN[i % len(GIVEN)]} {surname(i)}"


def person_id(i: int) -> str:
    return f"p{i}"


def named_in(source: int, paragraph: int) -> list[int]:
    """Who a paragraph names: person i every (i+1)th paragraph, so fewer and fewer mentions down the list."""
    k = source * PARAGRAPHS + paragraph
    return [i for i in range(PEOPLE) if k % (i + 1) == 0]


def seed(source: int) -> str:
    paragraphs = []
    for p in range(PARAGRAPHS):
        who = named_in(source, p)
        met = ", ".join(name(i) for i in who) if who else "Nobody"
        paragraphs.append(f"Report {source}-{p}: {met} met the officials on day {p + 1}.")
    return f"Dispatch number {source} from the capital\n\n" + "\n\n".join(paragraphs) + "\n"


def first_paragraph(source: int) -> str:
    """The anchor of a seed's first paragraph, as the engine's ingest numbers it."""
    return next(b.anchor for b in ingest_text(seed(source)).blocks if b.kind == "paragraph")


def cite(source: int) -> str:
    return f"[@s{source}#{first_paragraph(source)}]"


def brief(slug: str, people: list[int], source: int, extra: str = "") -> str:
    names = " and ".join(f"[[{name(i)}]]" for i in people)
    ids = ", ".join(person_id(i) for i in people)
    return (f"---\ntitle: Brief {slug}\nsummary: What {slug} says.\npeople: [{ids}]\nsources: [s{source}]\n---\n"
            f"{names} met the officials {cite(source)}.\n{extra}")


def files() -> dict[str, str]:
    out = {"content/site.yaml": "title: Cast Briefing\ndescription: A briefing with a large cast.\nlanguage: en\n"}
    out["content/people.yaml"] = "".join(
        f"- id: {person_id(i)}\n  name: {name(i)}\n  aliases: [{surname(i)}]\n  role: Official number {i}\n"
        f"  profile: Named in the dispatches {cite(0)}.\n" for i in range(PEOPLE))
    out["content/sources.yaml"] = "".join(
        f"- id: s{s}\n  seed: s{s}.txt\n  title: Dispatch number {s} from the capital\n  short: D{s}\n"
        for s in range(SOURCES))
    for s in range(SOURCES):
        out[f"seeds/s{s}.txt"] = seed(s)
    out["content/briefs/first.md"] = brief("first", [0, 1], 0)
    out["content/briefs/second.md"] = brief("second", [2, 3], 1)
    return out


def write(root: Path) -> Path:
    for rel, text in files().items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root

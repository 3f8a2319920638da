"""A fixture project at the scale the reader's pages must hold: 12 sources and 40 people, briefs whose
citations run over several paragraphs of one source (to collapse) and quote them, a block quotation, claims
with every kind of stance and one source left unassessed, a dated timeline event beside undated ones, a source
with a publication date and one with a URL long enough to widen a careless page, an about page, and a briefs
list of two briefs a page (so it runs to a second page).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_project

SOURCES = 12
PEOPLE = 40
PARAGRAPHS = 5
GIVEN = ("Anna", "Boris", "Clara", "Dmitri", "Elena", "Felix", "Galina", "Hugo")
UPDATED = "2025-09-14"
EVENT_DATE = "2025-09-11"
LONG_URL = "https://example.org/" + "a-very-long-unbroken-path-segment-" * 6 + "end"


def name(i: int) -> str:
    letters = "bcdfghklmnprstvz"
    return f"{GIVEN[i % len(GIVEN)]} Q{letters[i // len(letters)]}a{letters[i % len(letters)]}ova"


def named_in(source: int, paragraph: int) -> list[int]:
    """Who a paragraph names: every person somewhere, a few people often."""
    k = source * PARAGRAPHS + paragraph
    return sorted({k % PEOPLE, (k * 7) % PEOPLE, (k + 3) % 5})


def words(source: int, paragraph: int) -> str:
    who = ", ".join(name(i) for i in named_in(source, paragraph))
    return (f"Report {source}.{paragraph}: {who} met the officials on day {paragraph + 1}. "
            f"The envoy called the talks “slow but serious”.")


def seed(source: int) -> str:
    """A headline (p1, as ingest numbers blocks), then the paragraphs p2…"""
    return f"Dispatch {source} from the capital\n\n" + "\n\n".join(
        words(source, p) for p in range(PARAGRAPHS)) + "\n"


def brief(n: int) -> str:
    a, b = n % SOURCES, (n + 1) % SOURCES
    people = ", ".join(f"p{i}" for i in named_in(a, 0))
    return (f"---\ntitle: Brief number {n}\nsummary: What the dispatches {a} and {b} say.\norder: {n}\n"
            f"people: [{people}]\nsources: [s{a}, s{b}]\n---\n"
            f"The talks went on for days. The envoy called the talks \"slow but serious\" "
            f"[@s{a}#p2; @s{a}#p3; @s{a}#p4; @s{b}#p2].\n\n"
            f"## The first day\n\nOfficials met on the first day [@s{a}#p2].\n\n"
            f"## The second day\n\nThey met again [@s{b}#p3].\n\n"
            f"## What was said\n\n> slow but serious\n> [@s{b}#p4]\n\n"
            f"The whole dispatch is worth reading [@s{b}].\n")


def claims() -> str:
    out = []
    for c in range(4):
        out.append(f"- id: claim-{c}\n  topic: {'talks' if c % 2 else 'people'}\n"
                   f"  claim: The officials met on day {c + 1}.\n  stances:\n")
        for s in range(SOURCES - (1 if c == 3 else 0)):  # the last claim leaves one source unassessed
            stance = ("supports", "contradicts", "silent")[(s + c) % 3] if s else "supports"
            if stance == "silent":
                out.append(f"    - {{source: s{s}, stance: silent}}\n")
            else:
                out.append(f"    - {{source: s{s}, stance: {stance}, at: p{c + 2}, excerpt: \"met the officials on day {c + 1}.\"}}\n")
    return "".join(out)


def files() -> dict[str, str]:
    out = {"content/site.yaml": f"title: Newsroom Briefing\ndescription: A briefing drawn from twelve dispatches."
                                f"\nlanguage: en\nupdated: \"{UPDATED}\"\nbriefs_per_page: 2\n"}
    out["content/people.yaml"] = "".join(
        f"- id: p{i}\n  name: {name(i)}\n  role: Official number {i}\n  profile: Named in the dispatches "
        f"[@s{i % SOURCES}].\n" for i in range(PEOPLE))
    sources = []
    for s in range(SOURCES):
        extra = f"  published: \"2025-09-0{s % 9 + 1}\"\n" if s == 0 else ""
        extra += f"  url: {LONG_URL}\n" if s == 1 else ""
        sources.append(f"- id: s{s}\n  seed: s{s}.txt\n  title: Dispatch {s} from the capital\n  short: Desk {s}\n"
                       f"  kind: news report\n{extra}")
        out[f"seeds/s{s}.txt"] = seed(s)
    out["content/sources.yaml"] = "".join(sources)
    for n in range(3):
        out[f"content/briefs/brief-{n}.md"] = brief(n)
    out["content/claims.yaml"] = claims()
    out["content/timeline.yaml"] = (
        f"- id: first\n  when: On the first day\n  date: \"{EVENT_DATE}\"\n  event: The talks open [@s0#p2].\n"
        "- id: later\n  when: Some days later\n  event: The talks go on [@s1#p3].\n")
    out["content/pages/about.md"] = ("---\ntitle: About this briefing\nsummary: How it is made.\n---\n"
                                     "::: note\nEvery fact is cited.\n:::\n")
    return out


def write(root: Path) -> Path:
    return write_project(root, dict(files()))

"""`python -m builder new brief SLUG`: a first draft of a brief, from an editorial outline or without one.

An outline (content/outlines/SLUG.yaml) names the claims a brief should carry; without one, the draft
offers every claim of the ledger, by topic, as a cited starting point. A supported claim is written with
its citations; a disputed one is never stated as fact: it is marked as disputed and each source's version
is quoted with its citation. The brief is then the editor's: an existing brief is never overwritten.
"""

from __future__ import annotations

import os

from pathlib import Path
from typing import Any, Iterable

import yaml

from builder import schema
from builder.build import load_and_resolve
from builder.config import Paths
from builder.integrity import attributions
from builder.load import read_text
from builder.model import Claim, Project
from builder.problems import BuildFailed, Pos, Problems, did_you_mean
from builder.write import replace_file
from builder.yamlio import parse_yaml

OUTLINE = {
    "title": schema.Field("str", "the brief's title", required=True),
    "summary": schema.Field("str", "one sentence for lists and the page description", required=True),
    "order": schema.Field("int", "position in the list of briefs"),
    "sections": schema.Field("records", "the brief's sections: heading and claims (ids)", required=True),
}
SECTION = {
    "heading": schema.Field("str", "the section heading", required=True),
    "claims": schema.Field("ids", "ids of claims from content/claims.yaml", required=True),
}


def _cite(stances: Iterable[Any]) -> str:
    return "[" + "; ".join(f"@{s.source}#{s.at}" for s in stances) + "]"


def _as_clause(sentence: str) -> str:
    """"The United States lifted …." as "the United States lifted …", to follow "the claim that"."""
    text = sentence.strip().rstrip(".")
    first, _, rest = text.partition(" ")
    return f"{first.lower()} {rest}" if first in ("The", "A", "An") else text


def claim_markdown(claim: Claim, project: Project) -> str:
    shorts = {s.id: s.short for s in project.sources}
    supporting = claim.supporting
    if not claim.disputed:
        # The ledger's words are neutral, so they may rest only on a source's own voice: a stance whose
        # excerpt reports someone else ("diplomatic sources confirm …") is left out while another remains.
        own_voice = [s for s in supporting if not attributions(s.excerpt)]
        return f"{claim.claim} {_cite(own_voice or supporting)}"
    # Stated as fact, a disputed claim would take one source's side: each version is quoted instead.
    lines = ["::: note", f"Disputed (claims ledger: {claim.id}): the sources disagree on the claim that "
             f"{_as_clause(claim.claim)}. Give each version with its source; do not state either as fact.",
             ":::", ""]
    versions = [*claim.supporting, *claim.contradicting]
    lines += [f"- {shorts[s.source]} ({'says so' if s.stance == 'supports' else 'says otherwise'}): "
              f"“{s.excerpt}” {_cite([s])}" for s in versions]
    return "\n".join(lines)


def usable(claim: Claim) -> bool:
    """A claim the draft can cite: some source supports or contradicts it."""
    return any(s.stance != "silent" for s in claim.stances)


def draft(outline: dict[str, Any], sections: list[dict[str, Any]], project: Project) -> str:
    claims = {c.id: c for c in project.claims}
    used = [claims[i] for sec in sections for i in sec["claims"] if usable(claims[i])]
    people = sorted({e.id for c in used for e in project.people if any(
        n in s.excerpt for s in c.stances for n in e.all_names)})
    sources = sorted({s.source for c in used for s in c.stances if s.stance != "silent"})
    front = {"title": outline["title"], "summary": outline["summary"], "people": people, "sources": sources}
    if outline.get("order") is not None:
        front["order"] = outline["order"]
    body = []
    for section in sections:
        body += [f"## {section['heading']}", ""]
        body += [claim_markdown(claims[i], project) + "\n" for i in section["claims"] if usable(claims[i])]
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n".join(body)


def ledger_outline(slug: str, project: Project) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Without an outline: every usable claim of the ledger, one section per topic, in the ledger's order."""
    topics: dict[str, list[str]] = {}
    for claim in project.claims:
        if usable(claim):
            topics.setdefault(claim.topic, []).append(claim.id)
    outline = {"title": slug.replace("-", " ").capitalize(),
               "summary": "A draft from the claims ledger: cut what this brief does not need."}
    return outline, [{"heading": topic.capitalize(), "claims": ids} for topic, ids in topics.items()]


def new_brief(root: Path, slug: str) -> Path:
    paths = Paths(root)
    problems = Problems()
    outline_path = paths.content / "outlines" / f"{slug}.yaml"
    target = paths.content / "briefs" / f"{slug}.md"
    if not schema.ID_PATTERN.fullmatch(slug):
        problems.error(Pos(paths.rel(target)), f"invalid brief slug {slug!r}", schema.ID_HINT)
    elif os.path.lexists(target):  # a link counts too: writing through it would write elsewhere
        problems.error(Pos(paths.rel(target)), "the brief already exists and is the editor's",
                       "edit it directly; delete it first if you really want a fresh draft")
    if problems.errors:
        raise BuildFailed(problems)
    project, _ = load_and_resolve(paths, problems)
    if outline_path.exists():
        outline, sections = read_outline(paths, outline_path, project, problems)
    else:
        outline, sections = ledger_outline(slug, project)
    if problems.errors or outline is None:
        raise BuildFailed(problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, draft(outline, sections, project).encode("utf-8"))
    return target


def read_outline(paths: Paths, path: Path, project: Project,
                 problems: Problems) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    rel = paths.rel(path)
    text = read_text(paths, path, problems)
    data = parse_yaml(text, rel, problems) if text is not None else None
    outline = schema.validate(data, OUTLINE, rel, "outline", problems, 1) if data is not None else None
    sections = [s for s in (schema.validate(raw, SECTION, rel, "section", problems)
                            for raw in (outline or {}).get("sections") or []) if s]
    claims = {c.id for c in project.claims}
    for section in sections:
        for ident in section["claims"]:
            if ident not in claims:
                problems.error(Pos(rel, section["_line"]), f"unknown claim '{ident}'",
                               did_you_mean(ident, claims) or "add it to content/claims.yaml")
    return outline, sections

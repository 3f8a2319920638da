"""`python -m builder new brief SLUG`: a first draft of a brief from an editorial outline.

The outline (content/outlines/SLUG.yaml) names the claims a brief should carry; the draft gets each
claim with its citations, and every version where sources disagree. The brief is then the editor's:
an existing brief is never overwritten.
"""

from __future__ import annotations

import os

from pathlib import Path
from typing import Any

import yaml

from builder import schema
from builder.build import load_and_resolve
from builder.config import Paths
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


def _cite(stances: list[Any]) -> str:
    return "[" + "; ".join(f"@{s.source}#{s.at}" for s in stances) + "]"


def claim_markdown(claim: Claim, project: Project) -> str:
    shorts = {s.id: s.short for s in project.sources}
    supporting = [s for s in claim.stances if s.stance == "supports"]
    if claim.disputed:  # a disputed claim is never stated citing one side only (builder/integrity.py)
        supporting = [s for s in claim.stances if s.stance != "silent"]
    lines = [f"{claim.claim} {_cite(supporting)}" if supporting else f"{claim.claim} {_cite(claim.stances[:1])}"]
    if claim.disputed:
        lines += ["", "The sources differ:", ""]
        lines += [f"- {shorts[s.source]} ({s.stance}): “{s.excerpt}” {_cite([s])}"
                  for s in claim.stances if s.stance != "silent"]
    return "\n".join(lines)


def draft(outline: dict[str, Any], sections: list[dict[str, Any]], project: Project) -> str:
    claims = {c.id: c for c in project.claims}
    used = [claims[i] for sec in sections for i in sec["claims"]]
    people = sorted({e.id for c in used for e in project.people if any(
        n in s.excerpt for s in c.stances for n in e.all_names)})
    sources = sorted({s.source for c in used for s in c.stances if s.stance != "silent"})
    front = {"title": outline["title"], "summary": outline["summary"], "people": people, "sources": sources}
    if outline.get("order") is not None:
        front["order"] = outline["order"]
    body = []
    for section in sections:
        body += [f"## {section['heading']}", ""]
        body += [claim_markdown(claims[i], project) + "\n" for i in section["claims"]]
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n".join(body)


def new_brief(root: Path, slug: str) -> Path:
    paths = Paths(root)
    problems = Problems()
    outline_path = paths.content / "outlines" / f"{slug}.yaml"
    target = paths.content / "briefs" / f"{slug}.md"
    rel = paths.rel(outline_path)
    if not schema.ID_PATTERN.fullmatch(slug):
        problems.error(Pos(rel), f"invalid brief slug {slug!r}", schema.ID_HINT)
    elif os.path.lexists(target):  # a link counts too: writing through it would write elsewhere
        problems.error(Pos(paths.rel(target)), "the brief already exists and is the editor's",
                       "edit it directly; delete it first if you really want a fresh draft")
    elif not outline_path.exists():
        problems.error(Pos(rel), "no outline for this brief", f"write {rel} with title, summary and sections")
    if problems.errors:
        raise BuildFailed(problems)
    project, _ = load_and_resolve(paths, problems)
    text = read_text(paths, outline_path, problems)
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
    if problems.errors or outline is None:
        raise BuildFailed(problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, draft(outline, sections, project).encode("utf-8"))
    return target

"""Which pages the site has, and what each one's template is given."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from builder import reading
from builder.model import Claim, Document, Entity, Project, Source, Stance
from builder.render import Page
from builder.resolve import Graph, Mention


def _anchor_order(anchor: str) -> tuple[int, int]:
    kind = 1 if anchor.startswith("fig") else 0
    digits = "".join(c for c in anchor if c.isdigit())
    return kind, int(digits or 0)


class Lookups:
    """Tables every page's context reads, built once per build (per page they made large sites quadratic)."""

    def __init__(self, project: Project, graph: Graph) -> None:
        self.entities = {e.id: e for e in project.entities}
        self.sources = {s.id: s for s in project.sources}
        self.briefs = {b.slug: b for b in project.briefs}
        self.briefs_naming: dict[str, list[Document]] = defaultdict(list)  # entity id → briefs, in brief order
        for brief in project.briefs:
            for entity_id in dict.fromkeys(graph.entities_in_brief.get(brief.slug, [])):
                self.briefs_naming[entity_id].append(brief)
        self.stances: dict[str, list[tuple[Claim, Stance]]] = defaultdict(list)
        for claim in project.claims:
            for stance in claim.stances:
                self.stances[stance.source].append((claim, stance))


def entity_context(project: Project, graph: Graph, entity: Entity, lookups: Lookups | None = None) -> dict[str, Any]:
    """A person's or organisation's backlinks: source paragraphs, briefs, and who appears alongside."""
    lookups = lookups or Lookups(project, graph)
    mentions = graph.mentions.get(entity.id, [])
    by_source: dict[str, list[Mention]] = defaultdict(list)
    by_brief: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        (by_source if m.kind == "source" else by_brief)[m.doc].append(m)
    sources = [(s, sorted(by_source[s.id], key=lambda m: _anchor_order(m.anchor)))
               for s in project.sources if s.id in by_source]
    briefs = [(b, by_brief.get(b.slug, [])) for b in lookups.briefs_naming.get(entity.id, [])]
    entities = lookups.entities
    together = sorted(graph.together.get(entity.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return {"entity": entity, "sources": sources, "briefs": briefs,
            "together": [(entities[i], n) for i, n in together[:8] if i in entities]}


def source_context(project: Project, graph: Graph, source: Source, lookups: Lookups | None = None) -> dict[str, Any]:
    lookups = lookups or Lookups(project, graph)
    entities = lookups.entities
    named = [entities[i] for i in graph.entities_in_source.get(source.id, []) if i in entities]
    briefs = lookups.briefs
    return {"source": source, "people": [e for e in named if e.kind == "person"],
            "organisations": [e for e in named if e.kind == "organisation"],
            "briefs": [briefs[s] for s in graph.briefs_citing.get(source.id, []) if s in briefs],
            "stances": list(lookups.stances.get(source.id, [])),
            "cited_in": reading.cited_in(project, graph, source)}


def brief_context(project: Project, graph: Graph, brief: Document, lookups: Lookups, as_of: reading.Dated | None
                  ) -> dict[str, Any]:
    """A brief, who it names and what it cites, its dates, reading time, neighbours and how it was checked."""
    entities, sources = lookups.entities, lookups.sources
    named = [entities[i] for i in graph.entities_in_brief.get(brief.slug, []) if i in entities]
    cited = list(dict.fromkeys(r.source for r in graph.citations_in_brief.get(brief.slug, [])))
    cited += [s for s in brief.sources if s not in cited]
    before, after = reading.neighbours(project, brief)
    return {"brief": brief, "named": named, "cited": [sources[s] for s in cited if s in sources],
            "date": reading.day(brief.date), "updated": reading.day(brief.updated), "as_of": as_of,
            "minutes": reading.reading_minutes(brief), "before": before, "after": after,
            "checked": reading.checked(graph, brief)}


def home_context(project: Project, as_of: reading.Dated | None) -> dict[str, Any]:
    return {"disputed": [c for c in project.claims if c.disputed], "as_of": as_of, "home": project.home,
            "briefs": list(project.briefs), "people": list(project.people), "sources": list(project.sources)}


def build_pages(project: Project, graph: Graph) -> list[Page]:
    site = project.site
    as_of = reading.as_of(project)
    pages = [Page("index.html", "home.html", site.title, site.description, home_context(project, as_of))]
    pages.append(Page("briefs/index.html", "briefs.html", "Briefs", f"Every brief of {site.title}.",
                      {"briefs": list(project.briefs)}))
    lookups = Lookups(project, graph)
    for brief in project.briefs:
        pages.append(Page(f"briefs/{brief.slug}/index.html", "brief.html", brief.title, brief.summary,
                          brief_context(project, graph, brief, lookups, as_of)))
    for section, kind, title in (("people", "person", "People"), ("organisations", "organisation", "Organisations")):
        members = [e for e in project.entities if e.kind == kind]
        if not members and kind == "organisation":
            continue
        pages.append(Page(f"{section}/index.html", "entities.html", title,
                          f"{title} named in {site.title}, under every spelling the sources use.",
                          {"section": section, "members": members}))
        for entity in members:
            pages.append(Page(f"{section}/{entity.id}/index.html", "entity.html", entity.name,
                              f"{entity.name}: {entity.role}.", entity_context(project, graph, entity, lookups)))
    pages.append(Page("sources/index.html", "sources.html", "Sources",
                      f"The articles {site.title} rests on, in full, with every person named in them."))
    for source in project.sources:
        outlet = f" ({source.outlet})" if source.outlet else ""
        pages.append(Page(f"sources/{source.id}/index.html", "source.html", source.title,
                          f"Full text of “{source.title}”{outlet}, with numbered paragraphs and the people it names.",
                          source_context(project, graph, source, lookups)))
    if project.claims:
        pages.append(Page("claims/index.html", "claims.html", "Claims and sources",
                          "Each claim the briefing rests on, and what every source says of it.",
                          {"topics": reading.ledger(project), "sources": list(project.sources)}))
    if project.events:
        pages.append(Page("timeline/index.html", "timeline.html", "Timeline",
                          "The events in the order the sources give them, each cited.",
                          {"events": [(e, reading.day(e.date)) for e in project.events]}))
    if project.terms:
        pages.append(Page("glossary/index.html", "glossary.html", "Glossary",
                          "Terms a newcomer to the story needs, with their sources.", {}))
    for doc in project.pages:
        pages.append(Page(f"{doc.slug}/index.html", "page.html", doc.title, doc.summary, {"doc": doc}))
    return pages

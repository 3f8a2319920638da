"""Which pages the site has, and the explicit context each one's template is given.

A template sees only `page`, `site`, `root` and its page's context (plus the filters, which reach the link
tables: `cache.links_digest`). Every context is built here, per page kind, from named parts of the model and
graph: a page's fingerprint is a digest of that context, so nothing a page shows can escape it. A template
that needs more gets it here, never by reaching into the project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from builder import meta, reading, visuals
from builder.markup import Ref
from builder.model import BriefCard, Claim, Document, Entity, Graph, Mention, Page, Project, Source, Stance
from builder.publish import search

Context = dict[str, Any]
BRIEF_ROOT = "../../"  # a brief's page is briefs/<slug>/index.html


def _anchor_order(anchor: str) -> tuple[int, int]:
    kind = 1 if anchor.startswith("fig") else 0
    digits = "".join(c for c in anchor if c.isdigit())
    return kind, int(digits or 0)


def card(brief: Document) -> BriefCard:
    """The brief's card, made once and kept with it (the brief is frozen): a live server's next build then
    gives the pages listing an unchanged brief the very card the last one did (`Page.inputs`)."""
    made = brief.__dict__.get(_CARD)
    if made is None:
        made = brief.__dict__[_CARD] = BriefCard(slug=brief.slug, title=brief.title, summary=brief.summary,
                                                 date=brief.date, updated=brief.updated)
    return made


_CARD = "_card"  # where `card` keeps a brief's card, beside its fields (not one of them)


class Lookups:
    """Tables every page's context reads, built once per build (per page they made large sites quadratic)."""

    def __init__(self, project: Project, graph: Graph) -> None:
        self.entities = {e.id: e for e in project.entities}
        self.sources = {s.id: s for s in project.sources}
        self.cards = {b.slug: card(b) for b in project.briefs}  # one per brief: digested once per build
        self.in_order = list(self.cards.values())  # in the order of the briefs list
        self.position = {b.slug: i for i, b in enumerate(project.briefs)}
        self.claim_paths = reading.claim_paths(project)  # claim id → its topic's page
        self.briefs_naming: dict[str, list[BriefCard]] = defaultdict(list)  # entity id → briefs, in brief order
        for brief in project.briefs:
            for entity_id in dict.fromkeys(graph.entities_in_brief.get(brief.slug, [])):
                self.briefs_naming[entity_id].append(self.cards[brief.slug])
        self.as_of = reading.as_of(project)  # the date an undated brief is shown "as of"
        self.stances: dict[str, list[tuple[Claim, Stance]]] = defaultdict(list)
        for claim in project.claims:
            for stance in claim.stances:
                self.stances[stance.source].append((claim, stance))


# -- the frame every page shares (base.html) ------------------------------------------------------
def frame(project: Project, has_feed: bool) -> Context:
    """The menu's sections, whether there is a feed, and the published address."""
    """The menu's sections as (target, label, shown in a phone's header: the ways in that fit one line; every
    section is in every page's footer), whether there is a feed, and the published address."""
    nav = [("briefs/", "Briefs", True), ("people/", "People", True), ("sources/", "Sources", True)]
    nav += [("organisations/", "Organisations", False)] if project.organisations else []
    nav += [("claims/", "Claims", True)] if project.claims else []
    nav += [("timeline/", "Timeline", False)] if project.events else []
    nav += [("glossary/", "Glossary", False)] if project.terms else []
    nav += [(doc.slug + "/", doc.slug.replace("-", " ").capitalize(), False) for doc in project.pages]
    nav += [("search/", "Search", True)]
    about = "about/" if any(doc.slug == "about" for doc in project.pages) else None
    return {"nav": tuple(nav), "has_feed": has_feed, "base_url": meta.base_url(project.site), "about": about}


# -- one context per page kind --------------------------------------------------------------------
def home_context(project: Project, graph: Graph, lookups: Lookups) -> Context:
    """The home page lists the first page of briefs (a site of thousands would make it megabytes), and links
    to the whole list when there are more."""
    cards = list(lookups.cards.values())
    return {"bullets": project.home.bullets, "key_numbers": project.home.key_numbers,
            "disputed": [(c, lookups.claim_paths[c.id]) for c in project.claims if c.disputed],
            "as_of": lookups.as_of,
            "briefs": cards[:project.site.briefs_per_page], "brief_count": len(cards), "people": project.people,
            "sources": project.sources}


@dataclass(frozen=True)
class Pager:
    """Where one page of the briefs list sits among the others (site paths, for `url`)."""

    number: int  # from 1
    count: int  # pages in all
    first: int  # the first brief's place in the whole list, from 1
    last: int
    total: int  # briefs in all
    previous: str | None
    next: str | None


def briefs_list_path(number: int) -> str:
    """Page `number` of the briefs list: briefs/ first, then briefs/page/2/ … as Hugo and Zola name them."""
    return "briefs/" if number == 1 else f"briefs/page/{number}/"


def briefs_pages(project: Project, lookups: Lookups) -> list[Page]:
    """The briefs list, `briefs_per_page` to a page (one page, perhaps empty, when there are few)."""
    site, cards = project.site, list(lookups.cards.values())
    per = site.briefs_per_page
    chunks = [cards[at:at + per] for at in range(0, len(cards), per)] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        pager = Pager(number, len(chunks), (number - 1) * per + 1, (number - 1) * per + len(chunk), len(cards),
                      briefs_list_path(number - 1) if number > 1 else None,
                      briefs_list_path(number + 1) if number < len(chunks) else None)
        title = "Briefs" if number == 1 else f"Briefs, page {number} of {len(chunks)}"
        pages.append(Page(path=briefs_list_path(number) + "index.html", template="briefs.html", title=title,
                          description=f"Every brief of {site.title}." if len(chunks) == 1 else
                          f"Briefs {pager.first}–{pager.last} of {pager.total} in {site.title}.",
                          context={"briefs": chunk, "pager": pager}))
    return pages


class BriefInputs(NamedTuple):
    """All a brief's page is drawn from (`brief_context` reads nothing else)."""

    brief: Document
    body: str  # its text as the build rendered it (Markdown's raw HTML off): brief.html marks it safe
    named: tuple[Entity, ...]
    cited: tuple[Source, ...]
    before: BriefCard | None
    after: BriefCard | None
    as_of: reading.Dated | None
    refs: tuple[Ref, ...]  # its citations
    quotes: tuple[str, ...]  # its quotations, found verbatim


def brief_inputs(graph: Graph, brief: Document, body: str, lookups: Lookups) -> BriefInputs:
    entities, sources, slug = lookups.entities, lookups.sources, brief.slug
    refs = tuple(graph.citations_in_brief.get(slug, ()))
    cited = list(dict.fromkeys([r.source for r in refs]))
    cited += [s for s in brief.sources if s not in cited]
    # The briefs before and after it, in the order the briefs list shows.
    at, in_order = lookups.position[slug], lookups.in_order
    before = in_order[at - 1] if at > 0 else None
    after = in_order[at + 1] if at + 1 < len(in_order) else None
    named = tuple([entities[i] for i in graph.entities_in_brief.get(slug, ()) if i in entities])
    # `body`: the build's own string, not a copy of 10,000 briefs' HTML.
    return BriefInputs(brief, body, named, tuple([sources[s] for s in cited if s in sources]), before, after,
                       lookups.as_of, refs, tuple(graph.quotes_in_brief.get(slug, ())))


def brief_context(inputs: BriefInputs) -> Context:
    brief = inputs.brief
    return {"brief": brief, "body": inputs.body, "named": list(inputs.named), "cited": list(inputs.cited),
            "date": reading.day(brief.date), "updated": reading.day(brief.updated), "as_of": inputs.as_of,
            "minutes": reading.reading_minutes(brief), "before": inputs.before, "after": inputs.after,
            "checked": reading.checked(inputs.refs, inputs.quotes)}


def entities_context(project: Project, graph: Graph, section: str, members: list[Entity]) -> Context:
    return {"section": section, "members": members, "spellings": search.spellings(members),
            "network": visuals.network_data(project, graph) if section == "people" else None}


class EntityInputs(NamedTuple):
    """All a person's or organisation's page is drawn from (`entity_context` reads nothing else)."""

    entity: Entity
    mentions: tuple[Mention, ...]  # every place it is named
    briefs: tuple[BriefCard, ...]  # the briefs naming it, in brief order
    together: tuple[Entity, ...]  # who appears alongside it most
    times: tuple[int, ...]  # how often each of them does
    sources: tuple[Source, ...]  # every source, in the order pages list them


def entity_inputs(project: Project, graph: Graph, entity: Entity, lookups: Lookups) -> EntityInputs:
    entities = lookups.entities
    ranked = sorted(graph.together.get(entity.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))
    together = [(entities[i], n) for i, n in ranked[:8] if i in entities]
    return EntityInputs(entity, tuple(graph.mentions.get(entity.id, ())),
                        tuple(lookups.briefs_naming.get(entity.id, ())), tuple(e for e, _ in together),
                        tuple(n for _, n in together), project.sources)


def entity_context(inputs: EntityInputs) -> Context:
    """A person's or organisation's backlinks: source paragraphs, briefs, and who appears alongside."""
    by_source: dict[str, list[Mention]] = defaultdict(list)
    by_brief: dict[str, list[Mention]] = defaultdict(list)
    for m in inputs.mentions:
        (by_source if m.kind == "source" else by_brief)[m.doc].append(m)
    sources = [(s, sorted(by_source[s.id], key=lambda m: _anchor_order(m.anchor)))
               for s in inputs.sources if s.id in by_source]
    briefs = [(b, by_brief.get(b.slug, [])) for b in inputs.briefs]
    return {"entity": inputs.entity, "sources": sources, "briefs": briefs,
            "together": list(zip(inputs.together, inputs.times))}


def sources_context(project: Project, graph: Graph) -> Context:
    return {"sources": project.sources, "coverage": visuals.coverage_data(project, graph)}


class SourceInputs(NamedTuple):
    """All a source's page is drawn from (`source_context` reads nothing else)."""

    source: Source
    named: tuple[Entity, ...]  # who it names
    blocks: tuple[int, ...]  # the blocks that name someone
    spans: tuple[tuple[tuple[int, int, str], ...], ...]  # where in each of those blocks
    briefs: tuple[BriefCard, ...]  # the briefs citing it
    stances: tuple[tuple[Claim, Stance], ...]  # what the ledger records of it
    claim_paths: tuple[str, ...]  # each of those claims' page
    cited_at: tuple[tuple[str, str, str], ...]  # (paragraph, brief, spot) of every citation of it
    citing: tuple[BriefCard, ...]  # each brief citing it, in the order of the briefs list


def source_inputs(graph: Graph, source: Source, lookups: Lookups) -> SourceInputs:
    entities, cards, position = lookups.entities, lookups.cards, lookups.position
    blocks = tuple(i for i in range(len(source.text.blocks)) if (source.id, i) in graph.spans)
    stances = tuple(lookups.stances.get(source.id, ()))
    cited_at = tuple(graph.cited_at.get(source.id, ()))
    citing = sorted((position[slug], slug) for slug in dict.fromkeys(b for _, b, _ in cited_at) if slug in position)
    named = tuple(entities[i] for i in graph.entities_in_source.get(source.id, ()) if i in entities)
    return SourceInputs(source, named, blocks, tuple(tuple(graph.spans[(source.id, i)]) for i in blocks),
                        tuple(cards[s] for s in graph.briefs_citing.get(source.id, ()) if s in cards),
                        stances, tuple(lookups.claim_paths[claim.id] for claim, _ in stances), cited_at,
                        tuple(cards[slug] for _, slug in citing))


def source_context(inputs: SourceInputs) -> Context:
    named = inputs.named
    # Where each block names someone (the `source_block` filter links those words).
    return {"source": inputs.source, "people": [e for e in named if e.kind == "person"],
            "organisations": [e for e in named if e.kind == "organisation"], "briefs": list(inputs.briefs),
            "stances": list(inputs.stances), "spans": {i: list(found) for i, found in zip(inputs.blocks, inputs.spans)},
            "cited_in": reading.cited_in(inputs.cited_at, inputs.citing, inputs.stances, inputs.claim_paths)}


def claims_pages(project: Project) -> list[Page]:
    """The ledger: claims/ lists every claim by topic; each topic's page holds its claims with what every
    source says of them, and leads to the topics before and after it."""
    topics = reading.ledger(project)
    near = [(t.name, t.path) for t in topics]
    pages = [Page(path="claims/index.html", template="claims.html", title="Claims and sources",
                  description="Each claim the briefing rests on, by topic, with what every source says of it.",
                  context={"topics": topics})]
    for at, topic in enumerate(topics):
        pages.append(Page(path=topic.path + "index.html", template="claims_topic.html",
                          title=f"Claims about {topic.name}",
                          description=f"Each claim about {topic.name}, and what every source says of it.",
                          context={"topic": topic, "sources": project.sources,
                                   "before": near[at - 1] if at > 0 else None,
                                   "after": near[at + 1] if at + 1 < len(near) else None}))
    return pages


# The project's fields but its briefs: the very same objects while a live server holds the content
_CONTENT_FIELDS = tuple(f.name for f in fields(Project) if f.name != "briefs")


def kept_inputs(before: Project | None, project: Project, graph: Graph, bodies: dict[str, dict[str, str]],
                earlier: Mapping[str, Any], as_of: reading.Dated | None) -> dict[str, Any]:
    """Of the inputs an earlier build gave its pages (`earlier`, by page path, made from `before`), those that
    are still what `brief_inputs`, `entity_inputs` and `source_inputs` would make for `project`: a live
    server's edit then makes only the inputs of the pages it touches. Empty unless only briefs changed.

    Why that holds. With the content but the briefs the very same objects, the briefs in the same order and
    `as_of` the same, an input can differ only through a changed brief C (a brief record or text other than
    the one the earlier input holds), and each kind of page reads C only as follows:
    - C's own page reads C; its neighbours' pages read C's card, so any changed card plans everything again;
    - a person's or organisation's page reads C's mentions, co-mentions and card only if C names it (before
      or after the change);
    - a source's page reads C's citations and card only if C cites it or lists it (before or after).
    So every other page's earlier input is kept."""
    if before is None or not earlier or any(getattr(before, name) is not getattr(project, name)
                                            for name in _CONTENT_FIELDS):
        return {}
    if len(before.briefs) != len(project.briefs):
        return {}
    changed, entities, sources = set(), set(), set()
    for old, brief in zip(before.briefs, project.briefs):
        if old.slug != brief.slug:
            return {}  # another order: every neighbour may differ
        was = earlier.get(f"briefs/{brief.slug}/index.html")
        if type(was) is not BriefInputs or was.as_of != as_of:
            return {}
        if was.brief is brief and was.body is bodies[brief.slug][BRIEF_ROOT]:
            continue
        if card(was.brief) != card(brief):
            return {}
        changed.add(brief.slug)
        entities.update(e.id for e in was.named)
        entities.update(graph.entities_in_brief.get(brief.slug, ()))
        sources.update(s.id for s in was.cited)
        sources.update(ref.source for ref in graph.citations_in_brief.get(brief.slug, ()))
        sources.update(brief.sources)
    kept = {}
    for path, inputs in earlier.items():
        kind = type(inputs)
        if kind is BriefInputs:
            touched = inputs.brief.slug in changed
        elif kind is EntityInputs:
            touched = inputs.entity.id in entities
        elif kind is SourceInputs:
            touched = inputs.source.id in sources
        else:
            continue
        if not touched:
            kept[path] = inputs
    return kept


def build_pages(project: Project, graph: Graph, bodies: dict[str, dict[str, str]], has_feed: bool,
                before: Project | None = None, earlier: Mapping[str, Any] | None = None) -> list[Page]:
    """Every page of the site, each with its own context and the shared frame; `bodies`: each brief's text
    as HTML, by slug and then by the root of the page showing it. `before` and `earlier`: the project an
    earlier build planned from and its pages' inputs, by path, of which those still right are kept
    (`kept_inputs`)."""
    site = project.site
    lookups = Lookups(project, graph)
    kept = kept_inputs(before, project, graph, bodies, earlier or {}, lookups.as_of)
    # The frame every page shares: the pages of one brief, person or source are given it as it is (their
    # own context comes from their recipe, `Page.drawn`); the others get it below, with theirs.
    shared = frame(project, has_feed)
    pages = [Page(path="index.html", template="home.html", title=site.title, description=site.description,
                  context=home_context(project, graph, lookups)), *briefs_pages(project, lookups)]
    for brief in project.briefs:
        path = f"briefs/{brief.slug}/index.html"
        pages.append(Page(path=path, template="brief.html", title=brief.title,
                          description=brief.summary, context=shared, recipe=brief_context,
                          inputs=kept.get(path) or brief_inputs(graph, brief, bodies[brief.slug][BRIEF_ROOT],
                                                                lookups)))
    for section, kind, title in (("people", "person", "People"), ("organisations", "organisation", "Organisations")):
        members = [e for e in project.entities if e.kind == kind]
        if not members and kind == "organisation":
            continue
        pages.append(Page(path=f"{section}/index.html", template="entities.html", title=title,
                          description=f"{title} named in {site.title}, under every spelling the sources use.",
                          context=entities_context(project, graph, section, members)))
        for entity in members:
            path = f"{section}/{entity.id}/index.html"
            pages.append(Page(path=path, template="entity.html", title=entity.name,
                              description=f"{entity.name}: {entity.role}.", context=shared,
                              recipe=entity_context,
                              inputs=kept.get(path) or entity_inputs(project, graph, entity, lookups)))
    pages.append(Page(path="sources/index.html", template="sources.html", title="Sources",
                      description=f"The articles {site.title} rests on, in full, with every person named in them.",
                      context=sources_context(project, graph)))
    for source in project.sources:
        outlet = f" ({source.outlet})" if source.outlet else ""
        path = f"sources/{source.id}/index.html"
        pages.append(Page(path=path, template="source.html", title=source.title,
                          description=f"Full text of “{source.title}”{outlet}, with numbered paragraphs and the "
                                      "people it names.",
                          context=shared, recipe=source_context,
                          inputs=kept.get(path) or source_inputs(graph, source, lookups)))
    if project.claims:
        pages += claims_pages(project)
    if project.events:
        pages.append(Page(path="timeline/index.html", template="timeline.html", title="Timeline",
                          description="The events in the order the sources give them, each cited.",
                          context={"events": project.events,
                                   "dates": {e.id: reading.day(e.date) for e in project.events}}))
    if project.terms:
        pages.append(Page(path="glossary/index.html", template="glossary.html", title="Glossary",
                          description="Terms a newcomer to the story needs, with their sources.",
                          context={"terms": project.terms}))
    for doc in project.pages:
        pages.append(Page(path=f"{doc.slug}/index.html", template="page.html", title=doc.title,
                          description=doc.summary, context={"doc": doc}))
    pages += search.reader_pages(project, pages)
    return [page if page.recipe is not None else
            Page(page.path, page.template, page.title, page.description, {**shared, **page.context})
            for page in pages]

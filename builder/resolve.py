"""Resolve: every reference in the content is checked and turned into cross-links both ways.

Citations point at existing paragraphs, wiki links at existing people, quotations are verbatim, and
each person learns every source paragraph and brief that mentions them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from typing import Any, Iterable, Sequence

from markdown_it.token import Token

from builder.integrity import Integrity
from builder.markup import QUOTE, Ref, inline_text, walk_inline
from builder.matcher import EntityMatcher
from builder.model import BriefResult, Claim, Document, Entity, Graph, Markdown, Mention, Project, Source
from builder.names import folded
from builder.problems import Pos, Problem, Problems, did_you_mean
from builder.textutil import fold, sentence_around


_FILES = {"person": "people.yaml", "organisation": "organisations.yaml", "source": "sources.yaml"}


class Resolver:
    def __init__(self, project: Project, matcher: EntityMatcher, problems: Problems) -> None:
        self.project = project
        self.matcher = matcher
        self.problems = problems
        self.sources = {s.id: s for s in project.sources}
        self.entities = {e.id: e for e in project.entities}
        self.people = {e.id: e for e in project.entities if e.kind == "person"}
        self.organisations = {e.id: e for e in project.entities if e.kind == "organisation"}
        self.names: dict[str, str] = {}
        self.spellings = [name for e in project.entities for name in (e.id, *e.all_names)]
        for entity in project.entities:
            for name in entity.all_names:
                self.names.setdefault(folded(name), entity.id)
        self.graph = Graph()
        self.assessed: set[str] = set()  # sources some claim of the ledger gives a stance
        self.integrity = Integrity(project, matcher)

    # -- references -------------------------------------------------------------------------------
    def check_ref(self, ref: Ref, pos: Pos) -> Source | None:
        source = self.sources.get(ref.source)
        if source is None:
            self.problems.error(pos, f"citation to unknown source '{ref.source}'",
                                did_you_mean(ref.source, self.sources) or "add it to content/sources.yaml")
            return None
        if ref.anchor and ref.anchor not in source.text.by_anchor():
            self.problems.error(pos, f"source '{source.id}' has no paragraph '{ref.anchor}'",
                                anchor_hint(source, ref.anchor))
            return None
        return source

    def cited_text(self, refs: list[Ref]) -> list[str]:
        return [text for ref in refs if ref.source in self.sources
                for text in self.sources[ref.source].text.cited(ref.anchor)]

    def entity_for(self, target: str) -> str | None:
        return target if target in self.entities else self.names.get(folded(target))

    def check_ids(self, ids: Iterable[str], known: dict[str, object], what: str, pos: Pos) -> None:
        for ident in ids:
            if ident not in known:
                self.problems.error(pos, f"unknown {what} '{ident}'", did_you_mean(ident, known)
                                    or f"add it to content/{_FILES[what]}")

    # -- Markdown ---------------------------------------------------------------------------------
    def markdown(self, doc: Markdown, brief: str | None = None, require_citations: bool = False) -> list[Ref]:
        """Check one Markdown text; record mentions and citations when it is a brief's."""
        refs_seen: list[Ref] = []
        block_quote: list[tuple[Token, Pos]] = []
        quote_refs: list[Ref] = []
        quote_failed = False  # a citation of the block quotation failed: that one error says it all
        for token, depth in walk_inline(doc.tokens):
            pos = Pos(doc.pos.path, doc.pos.line + (token.map[0] if token.map else 0))
            refs, failed = self.inline_refs(token, pos)
            cited = any(c.type == "citation" for c in token.children or [])
            refs_seen += refs
            text = inline_text(token)
            if depth["blockquote"]:
                block_quote.append((token, pos))
                quote_refs += refs
                quote_failed = quote_failed or failed
            else:
                if block_quote and not quote_failed:
                    self.record_quotes(brief, self.check_block_quote(block_quote, quote_refs))
                block_quote, quote_refs, quote_failed = [], [], False
                if not failed:  # one wrong citation is one error, not a cascade of quotation errors
                    self.record_quotes(brief, self.check_quotes(text, refs, pos))
                    if refs and not depth["note"]:
                        for message, hint in self.integrity.paragraph(token):
                            self.problems.warning(pos, message, hint)
            if (require_citations and not cited and not depth["note"] and not depth["heading"]
                    and not depth["blockquote"] and text.strip() and not text.rstrip().endswith(":")):
                self.problems.warning(pos, f"paragraph has no citation: “{opening_words(text)}”",
                                      "cite the source paragraph, e.g. [@source#p3], or put "
                                      "editorial context in a '::: note' block")
            if brief is not None:
                self.record_brief_mentions(brief, token, text)
                self.record_spots(brief, token)
        if block_quote and not quote_failed:
            self.record_quotes(brief, self.check_block_quote(block_quote, quote_refs))
        return refs_seen

    def record_quotes(self, brief: str | None, verified: list[str]) -> None:
        if brief is not None and verified:
            self.graph.quotes_in_brief[brief].extend(verified)

    def record_spots(self, brief: str, token: Token) -> None:
        """Where each citation of a brief stands (its spot id), so the cited paragraph can link back to it."""
        for child in token.children or []:
            spot = child.meta.get("spot") if child.type == "citation" else None
            for ref in (child.meta.get("refs") or []) if spot else []:
                source = self.sources.get(ref.source)
                if source is not None and (not ref.anchor or ref.anchor in source.text.by_anchor()):
                    self.graph.cited_at[ref.source].append((ref.anchor, brief, spot))

    def inline_refs(self, token: Token, pos: Pos) -> tuple[list[Ref], bool]:
        """The paragraph's valid citations, and whether it had a citation that failed (already reported)."""
        refs: list[Ref] = []
        failed = False
        for child in token.children or []:
            if child.type == "citation":
                parsed = child.meta.get("refs")
                if parsed is None:
                    self.problems.error(pos, f"malformed citation {child.content}",
                                        "write [@source-id#p3] or [@a#p3; @b#p5]")
                    failed = True
                    continue
                valid = [r for r in parsed if self.check_ref(r, pos)]
                failed = failed or len(valid) < len(parsed)
                refs += valid
            elif child.type == "wikilink":
                if not self.entity_for(child.meta["target"]):
                    self.problems.error(pos, f"wiki link to unknown person or organisation "
                                        f"'{child.meta['target']}'",
                                        did_you_mean(child.meta["target"], self.spellings)
                                        or "add them to content/people.yaml")
            elif child.type == "link_open":
                href = str(child.attrGet("href") or "")
                if href and not ("//" in href or ":" in href.split("/", 1)[0]):  # relative: the site's own
                    self.graph.links_written[href].append(pos)
            elif child.type == "image":
                src = child.attrGet("src") or ""
                if src and not ("//" in src or ":" in src.split("/", 1)[0]):
                    self.graph.links_written[src].append(pos)
                if "//" in src or ":" in src.split("/")[0]:
                    self.problems.error(pos, f"image from another site: {src}",
                                        "the site loads nothing from elsewhere; put the image in assets/")
        return refs, failed

    def check_quotes(self, text: str, refs: list[Ref], pos: Pos) -> list[str]:
        """The paragraph's quotations found verbatim in what it cites (each wrong one is an error)."""
        quotes = [match.group(1) or match.group(2) for match in QUOTE.finditer(text)]
        return [quote for quote in quotes if self.verify_quote(quote, refs, pos)]

    def check_block_quote(self, paragraphs: list[tuple[Token, Pos]], refs: list[Ref]) -> list[str]:
        quotes = [inline_text(token).strip().strip("“”\"").strip() for token, _ in paragraphs]
        return [q for q, (_, pos) in zip(quotes, paragraphs) if q and self.verify_quote(q, refs, pos)]

    def verify_quote(self, quote: str, refs: list[Ref], pos: Pos) -> bool:
        shown = quote if len(quote) <= 60 else quote[:57] + "…"
        if not refs:
            self.problems.error(pos, f"quotation “{shown}” has no citation",
                                "cite the paragraph it comes from in the same paragraph: [@source#p3]")
        elif not any(fold(quote) in fold(text) for text in self.cited_text(refs)):
            cited = "; ".join(f"{r.source}#{r.anchor}" if r.anchor else r.source for r in refs)
            self.problems.error(pos, f"misquotation: “{shown}” is not verbatim in {cited}",
                                self.where_words_are(quote, [r.source for r in refs]))
        else:
            return True
        return False

    def where_words_are(self, words: str, cited: list[str]) -> str:
        """A hint naming the paragraphs that do hold these words (cited sources first), if any do."""
        folded = fold(words)
        order = list(dict.fromkeys(cited)) + [s for s in self.sources if s not in cited]
        found = [f"{sid}#{b.anchor}" for sid in order for b in self.sources[sid].text.blocks
                 if b.anchor and folded in fold(b.text)]
        if not found:
            return "no source has these words; copy them exactly from the paragraph you cite"
        return f"the words are in {', '.join(found[:3])}: cite that paragraph"

    def record_brief_mentions(self, slug: str, token: Token, text: str) -> None:
        found = [(m.start, m.end, m.entity) for m in self.matcher.finditer(text)]
        offset = 0
        for child in token.children or []:  # a [[link|with other words]] still mentions its entity
            if child.type == "wikilink" and child.meta["explicit_text"]:
                entity = self.entity_for(child.meta["target"])
                at = text.find(child.content, offset)
                if entity and at >= 0:
                    found.append((at, at + len(child.content), entity))
                    offset = at + len(child.content)
        for start, end, entity in sorted(found):
            sentence, s_start, s_end = sentence_around(text, start, end)
            mention = Mention(entity=entity, kind="brief", doc=slug, anchor="", sentence=sentence, start=s_start,
                              end=s_end)
            self.add_mention(mention, self.graph.entities_in_brief[slug])

    def add_mention(self, mention: Mention, in_doc: list[str]) -> None:
        self.graph.mentions[mention.entity].append(mention)
        if mention.entity not in in_doc:
            in_doc.append(mention.entity)

    # -- the project ------------------------------------------------------------------------------
    def sources_text(self) -> None:
        for source in self.project.sources:
            anchors = self.nearest_anchors(source)
            for index, block in enumerate(source.text.blocks):
                spans = [(m.start, m.end, m.entity) for m in self.matcher.finditer(block.text)]
                if spans:
                    self.graph.spans[(source.id, index)] = spans
                for start, end, entity in spans:
                    sentence, s_start, s_end = sentence_around(block.text, start, end)
                    mention = Mention(entity=entity, kind="source", doc=source.id, anchor=anchors[index],
                                      sentence=sentence, start=s_start, end=s_end)
                    self.add_mention(mention, self.graph.entities_in_source[source.id])

    @staticmethod
    def nearest_anchors(source: Source) -> list[str]:
        """Each block's anchor; headlines and headings have none of their own, so point at the next
        paragraph's. One pass from the end (looking ahead from each heading made long seeds quadratic)."""
        anchors, following = [], ""
        for block in reversed(source.text.blocks):
            following = block.anchor or following
            anchors.append(following)
        return anchors[::-1]

    def briefs(self) -> None:
        for brief in self.project.briefs:
            self.brief(brief)

    def brief(self, brief: Document) -> None:
        """One brief: reads only the sources and entities, so the build can cache it and spread briefs over cores."""
        self.check_front_matter(brief)
        refs = self.markdown(brief.body, brief=brief.slug, require_citations=True)
        self.graph.citations_in_brief[brief.slug] = refs
        for source_id in dict.fromkeys([r.source for r in refs] + list(brief.sources)):
            if source_id in self.sources:
                self.graph.briefs_citing[source_id].append(brief.slug)
        for entity in (*brief.people, *brief.organisations):
            if entity in self.entities and entity not in self.graph.entities_in_brief[brief.slug]:
                self.graph.entities_in_brief[brief.slug].append(entity)

    def check_front_matter(self, brief: Document) -> None:
        people, orgs = self.people, self.organisations
        # Point at the front matter line that lists the id, not at the top of the file.
        def at(key: str) -> Pos:
            return Pos(brief.pos.path, brief.key_lines.get(key, brief.pos.line))
        self.check_ids(brief.people, people, "person", at("people"))
        self.check_ids(brief.organisations, orgs, "organisation", at("organisations"))
        self.check_ids(brief.sources, self.sources, "source", at("sources"))

    def editorial_fields(self) -> None:
        """Profiles, notes, timeline and glossary: same citation and quotation rules as briefs."""
        texts: list[Markdown | None] = [e.about for e in self.project.entities]
        texts += [e.status for e in self.project.entities]
        texts += [s.notes for s in self.project.sources]
        texts += [c.note for c in self.project.claims]
        texts += [e.event for e in self.project.events]
        texts += [t.definition for t in self.project.terms]
        texts += list(self.project.home.bullets)
        for page in self.project.pages:
            texts.append(page.body)
        for text in texts:
            if text is not None:
                self.markdown(text)

    def claims(self) -> None:
        self.assessed = {stance.source for claim in self.project.claims for stance in claim.stances}
        for claim in self.project.claims:
            self.integrity.claim(claim, self.problems)
            self.check_claim_stances(claim)

    def check_claim_stances(self, claim: Claim) -> None:
        """Each stance cites a real paragraph with a verbatim excerpt; a source assessed elsewhere but not here is
        worth a warning, since the claims page can only say it was "not assessed"."""
        seen: set[str] = set()
        for stance in claim.stances:
            if stance.source in seen:
                self.problems.error(stance.pos, f"claim '{claim.id}' lists source '{stance.source}' twice",
                                    "give each source one stance")
            seen.add(stance.source)
            if stance.stance == "silent":
                self.check_ref(Ref(stance.source, ""), stance.pos)
                continue
            source = self.check_ref(Ref(stance.source, stance.at), stance.pos)
            if source is None:
                continue
            paragraph = source.text.by_anchor()[stance.at].text
            if fold(stance.excerpt) not in fold(paragraph):
                self.problems.error(stance.pos, f"excerpt is not verbatim in {stance.source}#{stance.at}",
                                    self.where_words_are(stance.excerpt, [stance.source]))
        # A source the ledger assesses on other claims but not on this one was most likely forgotten. A source
        # no claim assesses yet (one just added) reads "not assessed" everywhere without a warning, so adding
        # a source keeps `check --strict` clean until the editor weighs it.
        missing = [s.id for s in self.project.sources if s.id not in seen and s.id in self.assessed]
        if missing:
            self.problems.warning(claim.pos, f"claim '{claim.id}' records no stance for {', '.join(missing)}",
                                  "add a stance for each source (supports, contradicts, silent or unclear); "
                                  "until then the claims page shows it as “not assessed”")

    def key_numbers(self) -> None:
        for number in self.project.home.key_numbers:
            source_id, _, anchor = number.cite.partition("#")
            source = self.check_ref(Ref(source_id, anchor), number.pos)
            if source and anchor and fold(number.value) not in fold(source.text.by_anchor()[anchor].text):
                self.problems.error(number.pos, f"key number '{number.value}' does not appear in {number.cite}",
                                    "cite the paragraph that gives this number, as written there")

    def unique_names(self) -> None:
        """Spellings that differ only in case or Unicode form are one name: it must have one owner, or a
        `[[LUKASHENKA]]` link and the backlinks of `Lukashenka` would go to different entities."""
        owners: dict[str, tuple[Entity, str]] = {}
        for entity in self.project.entities:
            for name in entity.all_names:
                other, spelled = owners.get(folded(name), (None, ""))
                if other is not None and other.id != entity.id:
                    same = "" if spelled == name else f" as '{spelled}' (the same name in another case or form)"
                    self.problems.error(entity.pos, f"name or alias '{name}' is also used by '{other.id}'{same}",
                                        "each spelling must belong to one person or organisation")
                owners.setdefault(folded(name), (entity, name))

    def co_mentions(self) -> None:
        co_mentions(self.graph)


def co_mentions(graph: Graph, in_paragraphs: dict[str, Counter[str]] | None = None) -> None:
    """Who appears alongside whom: in the same brief, or in the same paragraph of a source. `in_paragraphs`:
    `paragraph_co_mentions` of the graph's mentions, if the caller kept it (the sources change less often
    than the briefs, and their paragraphs are most of the pairs)."""
    if in_paragraphs is None:
        in_paragraphs = paragraph_co_mentions(graph.mentions)
    for a, counts in in_paragraphs.items():
        graph.together[a].update(counts)
    for group in graph.entities_in_brief.values():
        for a in group:
            for b in group:
                if a != b:
                    graph.together[a][b] += 1


def paragraph_co_mentions(*mentions: dict[str, list[Mention]]) -> dict[str, Counter[str]]:
    """Who appears alongside whom in the same paragraph of a source, from one or more graphs' (or graph
    shares') mentions; only source mentions are read."""
    by_paragraph: dict[tuple[str, str], set[str]] = defaultdict(set)
    for share in mentions:
        for entity, found in share.items():
            for m in found:
                if m.kind == "source":
                    by_paragraph[(m.doc, m.anchor)].add(entity)
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for group in by_paragraph.values():
        for a in group:
            for b in group:
                if a != b:
                    out[a][b] += 1
    return dict(out)


def opening_words(text: str, count: int = 8) -> str:
    """A paragraph's first words, by which an editor (and the live preview) finds it."""
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def anchor_hint(source: Source, anchor: str) -> str:
    """The valid range, and what stands at the asked number when it is not a paragraph."""
    anchors = source.text.by_anchor()
    paragraphs = [a for a in anchors if a.startswith("p")]
    figures = [a for a in anchors if a.startswith("fig")]
    number = anchor.lstrip("pfig")
    other = f"fig{number}" if anchor.startswith("p") else f"p{number}"
    if other in anchors:
        return f"did you mean '{other}'? that block is a {'photo caption' if other[0] == 'f' else 'paragraph'}"
    span = f"its anchors run {paragraphs[0]}…{paragraphs[-1]}" if paragraphs else "it has no paragraphs"
    gaps = " with gaps where the seed has headings and furniture" if paragraphs and \
        len(paragraphs) < int(paragraphs[-1][1:]) - int(paragraphs[0][1:]) + 1 else ""
    shown_figures = f"; figures {', '.join(figures[:6])}{'…' if len(figures) > 6 else ''}" if figures else ""
    return f"{span}{gaps}{shown_figures}; see `python -m builder ingest`"


def resolve(project: Project, matcher: EntityMatcher, problems: Problems,
            briefs: Sequence[BriefResult] | None = None, content: tuple[Part, Part] | None = None,
            in_paragraphs: dict[str, Counter[str]] | None = None, memo: MergeMemo | None = None) -> Graph:
    """Check every reference and build the cross-link graph.

    `briefs`: each brief already resolved on its own (`Resolver.brief`, as the build does on every core),
    in the project's brief order; they are merged into the same graph resolving them here would give, with
    the rest (`content`: `content_parts` of this project, if the caller kept them, and `in_paragraphs`:
    `paragraph_co_mentions` of their mentions). `memo`: the last merge, which the live server keeps.
    """
    if briefs is None:
        resolver = Resolver(project, matcher, problems)
        resolver.unique_names()
        resolver.sources_text()
        resolver.briefs()
        resolver.editorial_fields()
        resolver.claims()
        resolver.key_numbers()
        graph = resolver.graph
    else:
        graph = Graph()
        before, after = content or content_parts(project, matcher)
        parts = (before, *((r.graph, r.resolve_problems) for r in briefs), after)
        for part in parts:
            problems.extend(part[1])
        if memo is not None and content is not None and in_paragraphs is not None:
            # A live server's: merged again only where a changed brief's share is.
            merged = memo.merge([part[0] for part in parts])
            for name, values in merged.fields.items():
                getattr(graph, name).update(values)  # a copy: a reader's `[]` adds keys to the graph's only
            if merged.together is not None and in_paragraphs is memo.in_paragraphs:
                graph.together.update(merged.together)
                return graph
            co_mentions(graph, in_paragraphs)
            memo.in_paragraphs, merged.together = in_paragraphs, dict(graph.together)
            return graph
        targets = {f.name: getattr(graph, f.name) for f in fields(graph)}
        for part in parts:
            for name, share in part[0].items():
                _merge(targets[name], share)
    co_mentions(graph, in_paragraphs if briefs is not None and content is not None else None)
    return graph


Share = dict[str, dict[Any, Any]]  # a part of the graph, field by field (`graph_share`)


@dataclass
class Merged:
    """Graph shares merged, field by field, as `resolve` merges them, and where each key came from."""

    shares: list[Share]  # in merge order: the content's first part, each brief's, the content's last
    fields: dict[str, dict[Any, Any]]  # each field as merged (graphs get copies of these dicts)
    holders: dict[str, dict[Any, list[int]]]  # field → key → the shares holding it, in order
    together: dict[str, Counter[str]] | None = None  # `co_mentions` of the graph these make


@dataclass
class MergeMemo:
    """The last merge, held by the live server from build to build: an edit to a brief merges again only the
    keys its share holds, and counts co-mentions again only when the people it names changed. A share that
    gains, loses or reorders a key (so that a key could move in a merged dict) merges everything again."""

    last: Merged | None = None
    in_paragraphs: Any = None  # the `paragraph_co_mentions` the last count of co-mentions read

    def merge(self, shares: list[Share]) -> Merged:
        last = self.last
        if last is None or len(last.shares) != len(shares):  # a brief added or deleted: all again
            self.last = _merge_all(shares)
            return self.last
        changed = [i for i, (was, now) in enumerate(zip(last.shares, shares)) if was is not now]
        if len(changed) > MERGE_AGAIN_AFTER or changed[:1] == [0] or changed[-1:] == [len(shares) - 1] \
                or not all(_same_keys(last.shares[i], shares[i]) for i in changed):  # the content's parts: all again
            self.last = _merge_all(shares)
            return self.last
        fields = dict(last.fields)
        for name in {name for i in changed for name in shares[i]}:
            merged = fields[name] = dict(fields[name])
            holders = last.holders[name]
            for key in {key for i in changed for key in shares[i][name]}:
                one: dict[Any, Any] = {}
                for i in holders[key]:
                    _merge(one, {key: shares[i][name][key]})
                merged[key] = one[key]
        same_group = all(shares[i].get("entities_in_brief") == last.shares[i].get("entities_in_brief")
                         for i in changed)  # whom each brief names together: `co_mentions` reads nothing else
        self.last = Merged(shares, fields, last.holders, last.together if same_group else None)
        return self.last


MERGE_AGAIN_AFTER = 64  # more changed shares than this: a whole merge costs less than key by key


def _same_keys(was: Share, now: Share) -> bool:
    return was.keys() == now.keys() and all(tuple(was[name]) == tuple(now[name]) for name in was)


def _merge_all(shares: list[Share]) -> Merged:
    fields: dict[str, dict[Any, Any]] = {}
    holders: dict[str, dict[Any, list[int]]] = {}
    for i, share in enumerate(shares):
        for name, values in share.items():
            _merge(fields.setdefault(name, {}), values)
            held = holders.setdefault(name, {})
            for key in values:
                held.setdefault(key, []).append(i)
    return Merged(shares, fields, holders)


Part = tuple[dict[str, dict[Any, Any]], list[Problem]]  # a share of the graph, and the problems found making it


def content_parts(project: Project, matcher: EntityMatcher) -> tuple[Part, Part]:
    """What resolving reads of everything but the briefs, before them (names, the sources' mentions) and
    after them (editorial texts, claims, key numbers), each as a share of the graph and its problems. The
    build keeps them with the content (`incremental.briefs`): a live server holds its content while only
    briefs change, and resolving it again was a second of every edit at 10,000 briefs. Neither part reads
    the graph, so merging them around the briefs' shares gives what resolving in that order gives."""
    resolver = Resolver(project, matcher, Problems())
    resolver.unique_names()
    resolver.sources_text()
    before = (graph_share(resolver.graph), resolver.problems.items)
    resolver.graph, resolver.problems = Graph(), Problems()
    resolver.editorial_fields()
    resolver.claims()
    resolver.key_numbers()
    return before, (graph_share(resolver.graph), resolver.problems.items)


def graph_share(graph: Graph) -> dict[str, dict[Any, Any]]:
    """A graph as plain dicts of its non-empty fields: one brief's share, to merge with `resolve(briefs=…)`."""
    return {f.name: dict(getattr(graph, f.name)) for f in fields(graph) if getattr(graph, f.name)}


def _merge(target: dict[Any, Any], share: dict[Any, Any]) -> None:
    found_at = target.get  # `get`, not `[]`: the graph's dicts make an empty entry for a missing key
    for key, value in share.items():
        if isinstance(value, list):  # nearly every value: checked first
            found = found_at(key)
            if found is None:
                target[key] = list(value)  # a copy: the share is the brief's kept result, never changed
            else:
                found.extend(value)
        elif isinstance(value, Counter):
            target.setdefault(key, Counter()).update(value)
        else:
            target[key] = value

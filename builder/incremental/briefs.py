"""Load and resolve, with each brief worked out once per change and over every core.

A brief's result (`model.BriefResult`: loaded, resolved, its text rendered) depends only on its own bytes and
on the names and sources it may point at (`fingerprints.links_digest`), so the state keeps it under a key made
of exactly those: the digest of the bytes the worker read, never the scan's idea of them. The results are
merged into the graph in the order a plain build gives (`resolve(briefs=…)`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from builder import integrity, meta, publish, schema
from builder.config import Paths
from builder.incremental.fingerprints import digest_once, links_digest
from builder.incremental.inputs import Snapshot, sha
from builder.incremental.state import HeldContent, IncrementalState
from builder.load import Loader, load_content, with_briefs
from builder.markup import create_markdown, render_markdown, warm_lexers
from builder.matcher import EntityMatcher
from builder.model import BriefResult, DigestedText, Document, Graph, Markdown, Project
from builder.pages import BRIEF_ROOT
from builder.parallel import Progress, fork_map
from builder.problems import BuildFailed, Problems
from builder.render import SiteLinks
from builder.resolve import MergeMemo, Resolver, content_parts, graph_share, paragraph_co_mentions, resolve

BRIEFS_PER_FORK = 100  # below this, briefs are worked out in this process: workers would cost more than they save


class BriefWorker:
    """Loads, resolves and renders one brief at a time; made before the fork, so workers share it."""

    def __init__(self, paths: Paths, project: Project | None, read: Callable[[Path], bytes],
                 matcher: EntityMatcher | None = None) -> None:
        self.md = create_markdown()
        self.read = read
        self.bytes_read = b""
        self.loader = Loader(paths, self.md, Problems(), self._read)
        self.resolver = Resolver(project, matcher or EntityMatcher(project.entities), Problems()) if project else None
        self.links = SiteLinks(project, BRIEF_ROOT) if project else None
        self.feed_links = SiteLinks(project, feed_root(project), previews=False) if project else None
        self.dated_site = bool(project and feed_fallback(project))

    def _read(self, path: Path) -> bytes:
        self.bytes_read = self.read(path)
        return self.bytes_read

    def __call__(self, path: Path) -> BriefResult:
        loaded, resolved = Problems(), Problems()
        self.loader.problems, self.bytes_read = loaded, b""
        doc = self.loader.document(path, schema.BRIEF, "brief")
        digest = sha(self.bytes_read) if self.bytes_read or doc else ""
        if doc is None or self.resolver is None or self.links is None or self.feed_links is None:
            return BriefResult(doc and _without_tokens(doc), digest, {}, loaded.items, [], {})
        self.resolver.problems, self.resolver.graph = resolved, Graph()
        self.resolver.brief(doc)
        # Its page's text digested here, once per change of the brief: every page's fingerprint reads it.
        html: dict[str, str] = {BRIEF_ROOT: DigestedText.of(render_markdown(self.md, doc.body.tokens, self.links,
                                                                           spots=True))}
        if self.dated_site or doc.date or doc.updated:  # it may be in the feed (publish.feed_xml)
            html.setdefault(self.feed_links.root, render_markdown(self.md, doc.body.tokens, self.feed_links))
        return BriefResult(_without_tokens(doc, digested=True), digest, html, loaded.items, resolved.items,
                           graph_share(self.resolver.graph))


def feed_root(project: Project) -> str:
    return publish.feed_root(project.site)


def feed_fallback(project: Project) -> str | None:
    """The date every undated brief gets in the feed (as publish.entry_dates decides), if any."""
    return publish.atom_date(project.site.updated) or publish.source_date_epoch()


def _without_tokens(doc: Document, digested: bool = False) -> Document:
    """What the state keeps of a loaded brief: not its tokens (the HTML is kept), but its word count, counted
    here, in the worker, so that a build only counts the briefs that changed; `digested`: and its digest as
    a page's fingerprint takes it (`fingerprints.digest_once`), likewise."""
    kept = replace(doc, body=Markdown(doc.body.text, doc.body.pos))
    kept.words  # noqa: B018 (a cached property: computed now, stored with the result)
    if digested:
        digest_once(kept)
    return kept


def brief_names(paths: Paths) -> list[str]:
    """The brief files' names, in the order `Loader.documents` reads them: that of sorted(folder.glob("*.md")),
    without building and comparing 10,000 Path objects' parts."""
    folder = paths.content / "briefs"
    if not folder.is_dir():
        return []
    return [name for name in sorted(os.listdir(folder)) if name.endswith(".md")]


def brief_paths(paths: Paths) -> list[Path]:
    """The brief files, in the order `Loader.documents` reads them."""
    folder = paths.content / "briefs"
    return [folder / name for name in brief_names(paths)]


def brief_key(engine: str, context: str, where: str, digest: str) -> str:
    """The brief's bytes, where it is (its positions name it), what it reads of the rest, and the engine."""
    return sha(f"{engine}\0{context}\0{where}\0{digest}")


def load_briefs(paths: Paths, project: Project | None, snapshot: Snapshot, state: IncrementalState,
                progress: Progress, jobs: int | None) -> list[BriefResult]:
    """Every brief's result: the state's where the brief's digest is known, else worked out (on all cores)."""
    if project is None:  # the site settings are unusable: only the briefs' own load problems matter
        return fork_map(BriefWorker(paths, None, snapshot.read), brief_paths(paths), threshold=BRIEFS_PER_FORK,
                        jobs=jobs)
    context = derived(state, "brief context", project)
    folder = paths.rel(paths.content / "briefs")
    # By name, as strings: Path objects for 10,000 briefs, hashed as keys, were a tenth of a live edit.
    names = brief_names(paths)
    where = str(paths.content / "briefs") + os.sep

    # Each brief's key by (name, digest), kept by the state from build to build while what else it digests
    # is the same: working out 1,000 keys was a twentieth of a live edit at 1,000 briefs.
    tag = f"{state.engine}\0{context}\0{folder}"
    if state.brief_keys[0] != tag:
        state.brief_keys = (tag, {})
    keys = state.brief_keys[1]

    def key(name: str, digest: str | None) -> str | None:
        if not digest:
            return None
        found = keys.get((name, digest))
        if found is None:
            found = keys[(name, digest)] = brief_key(state.engine, context, f"{folder}/{name}", digest)
        return found

    known = {name: key(name, snapshot.digest_of(where + name)) for name in names}
    cached = state.get_briefs([k for k in known.values() if k])
    todo = [Path(where + name) for name in names if known[name] not in cached]
    work = derived(state, "worker", project, paths) if todo else None
    if work is not None:
        work.read = snapshot.read  # this build's bytes
    made = fork_map(work, todo, threshold=BRIEFS_PER_FORK, jobs=jobs,  # type: ignore[arg-type]
                    progress=progress.counter("briefs", len(todo)))
    fresh: dict[str, BriefResult] = {}
    results = {name: cached[known[name]] for name in names if known[name] in cached}  # type: ignore[index]
    for path, result in zip(todo, made):
        results[path.name] = result
        if result.digest:  # what the worker read, which a save after the scan may have changed
            snapshot.note_read(path, result.digest)
            fresh[key(path.name, result.digest)] = result  # type: ignore[index]
    now = {name: snapshot.digest_of(where + name) for name in names}
    used = {k: results[name] for name, digest in now.items() if (k := key(name, digest))}
    state.brief_keys = (tag, {(name, digest): keys[(name, digest)] for name, digest in now.items() if digest})
    state.put_briefs(fresh, used)
    return [results[name] for name in names]


def rehearse(paths: Paths, project: Project, snapshot: Snapshot, state: IncrementalState,
             bodies: dict[str, dict[str, str]]) -> None:
    """Work out the brief saved last once, and drop the result, and find the lexer of every language the
    briefs highlight (`bodies`: their text as HTML): what only working out a brief does the first time in a
    process (Pygments compiling a lexer's patterns, markdown-it its rules, Python its regular expressions)
    is then done before the live server's first edit, not in it (10-20 ms of it at 1,000 briefs). The
    result is the cached one's, so nothing is kept."""
    warm_lexers(body[BRIEF_ROOT] for body in bodies.values() if BRIEF_ROOT in body)
    names = brief_names(paths)
    if not names:
        return
    where = str(paths.content / "briefs") + os.sep  # by name, as strings, as `load_briefs` does
    newest = max(names, key=lambda name: (snapshot.stamps.get(where + name) or (0, 0))[1])
    worker = derived(state, "worker", project, paths)
    worker.read = snapshot.read
    try:
        worker(Path(where + newest))
    except Exception:  # noqa: BLE001 - a rehearsal: whatever is wrong, the edit's build reports it
        pass


def load_content_once(paths: Paths, problems: Problems, snapshot: Snapshot, state: IncrementalState) -> Project | None:
    """Everything but the briefs, as `load_content` and `meta.with_base_url` give it, with the problems they
    find. The state keeps the result under a digest of every input but the briefs, the engine and the
    environment's settings, taken after the files were read (in memory, and in the store once a command's
    build has derived what it needs from it): while an editor works on a brief, neither the live server nor
    the next `make site` loads the people, sources and claims again."""
    leaving_out = paths.content / "briefs"
    held = state.held_content(snapshot.digest(state.engine, leaving_out))
    if held is not None:
        problems.extend(held.problems)
        return held.project
    found = Problems()
    project = load_content(Loader(paths, create_markdown(), found, snapshot.read))
    if project is not None:
        project = meta.with_base_url(project, found)
    problems.extend(found.items)
    state.hold_content(HeldContent(snapshot.digest(state.engine, leaving_out), project, list(found.items)))
    return project


def derived(state: IncrementalState, what: str, project: Project, paths: Paths | None = None) -> Any:
    """What is worked out from the content but the briefs alone, kept with it (`HeldContent.derived`): the
    entity matcher (compiling it was a second at 10,000 briefs, twice per build), the resolved rest
    (`resolve.content_parts`), who is named with whom in the sources (`resolve.paragraph_co_mentions`), the
    link tables' digest (`fingerprints.links_digest`) and what each brief's result depends on of the rest;
    in memory only, the brief worker (the sources' proper names and link tables it makes were a tenth of a
    live edit at 10,000 briefs) and the data files (`publish.exports`). Made again whenever the content is
    loaded again."""
    held = state.content
    kept = held.derived if held is not None and held.project is not None and \
        held.project.entities is project.entities and held.project.sources is project.sources else {}
    if what not in kept:
        matcher = kept.get("matcher") or EntityMatcher(project.entities)
        kept["matcher"] = matcher
        if what == "resolved":
            kept[what] = content_parts(project, matcher)
        elif what == "worker":
            kept[what] = BriefWorker(paths, project, lambda path: b"", matcher)  # type: ignore[arg-type]
        elif what == "exports":  # the data files: of people, organisations, sources and claims alone
            kept[what] = publish.exports(project)
        elif what == "links":  # what rendering a brief's text reads of the rest
            kept[what] = links_digest(project)
        elif what == "brief context":  # what a brief's result depends on beyond its bytes (`brief_key`)
            kept[what] = sha(repr((derived(state, "links", project), feed_root(project),
                                   bool(feed_fallback(project)), integrity.context(project))))
        elif what == "in paragraphs":  # who is named with whom in the sources' paragraphs
            kept[what] = paragraph_co_mentions(*(part[0].get("mentions", {})
                                                 for part in derived(state, "resolved", project)))
    return kept[what]


def load_and_resolve(paths: Paths, problems: Problems, snapshot: Snapshot | None = None,
                     state: IncrementalState | None = None, progress: Progress | None = None,
                     jobs: int | None = None, held: bool = False) -> tuple[Project, Graph, dict[str, dict[str, str]]]:
    """The model, its cross-links and each brief's rendered text (by slug, then root), as `load_project`
    and `resolve` give them, with the briefs from the state where they are unchanged. `held`: a later build
    in this process starts from this one (the live server's), so the merge of the graph is kept for it."""
    state = state or IncrementalState(paths, None)
    snapshot = snapshot or state.scan()
    project = load_content_once(paths, problems, snapshot, state)
    results = load_briefs(paths, project, snapshot, state, progress or Progress(), jobs)
    for result in results:
        problems.extend(result.load_problems)
    if project is None or problems.errors:
        raise BuildFailed(problems)
    loaded = {r.document.slug: r for r in results if r.document}
    project = with_briefs(project, (r.document for r in loaded.values()))  # type: ignore[misc]
    graph = resolve(project, derived(state, "matcher", project), problems,
                    briefs=[loaded[brief.slug] for brief in project.briefs],
                    content=derived(state, "resolved", project), in_paragraphs=derived(state, "in paragraphs", project),
                    memo=_merge_memo(state) if held else None)
    return project, graph, {slug: r.html for slug, r in loaded.items()}


def _merge_memo(state: IncrementalState) -> MergeMemo:
    if state.merged is None:
        state.merged = MergeMemo()
    return state.merged

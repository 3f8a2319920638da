"""Load and resolve, incrementally and over every core: a brief is loaded, resolved and its text rendered once
per change.

A brief's result depends only on its own bytes and on the names and sources it may point at
(`cache.links_digest`), so it is cached under that key and merged back into the graph in the same order a
plain build gives (`resolve` takes the merge as its brief step).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable

from builder import integrity, meta, publish, schema
from builder.incremental.store import Inputs, Prerendered, Stamp, Store, engine_digest, links_digest, sha
from builder.config import Paths
from builder.load import Loader, load_project
from builder.markup import create_markdown, render_markdown
from builder.matcher import EntityMatcher
from builder.model import Document, Markdown, Project
from builder.parallel import Progress, fork_map
from builder.problems import BuildFailed, Problem, Problems
from builder.render import SiteLinks
from builder.resolve import Graph, Resolver, resolve

BRIEF_ROOT = "../../"  # a brief's page is briefs/<slug>/index.html
BRIEFS_PER_FORK = 100  # below this, briefs are worked out in this process: workers would cost more than they save


@dataclass
class BriefResult:
    """One brief loaded and resolved: what the rest of the build needs of it, without its tokens."""

    document: Document | None  # None when it could not be loaded
    html: dict[str, str]  # its text rendered for its own page, and for the feed when it may be in it
    load_problems: list[Problem]
    resolve_problems: list[Problem]
    graph: dict[str, dict[Any, Any]]  # its share of each Graph field, in the order resolve made it


class BriefWorker:
    """Loads, resolves and renders one brief at a time; made before the fork, so workers share it."""

    def __init__(self, paths: Paths, project: Project | None) -> None:
        self.md = create_markdown()
        self.loader = Loader(paths, self.md, Problems())
        self.resolver = Resolver(project, EntityMatcher(project.entities), Problems()) if project else None
        self.links = SiteLinks(project, BRIEF_ROOT) if project else None
        self.feed_links = SiteLinks(project, feed_root(project), previews=False) if project else None
        self.dated_site = bool(project and feed_fallback(project))

    def __call__(self, path: Path) -> BriefResult:
        loaded, resolved = Problems(), Problems()
        self.loader.problems = loaded
        doc = self.loader.document(path, schema.BRIEF, "brief")
        if doc is None or self.resolver is None or self.links is None or self.feed_links is None:
            return BriefResult(doc and _without_tokens(doc), {}, loaded.items, [], {})
        self.resolver.problems, self.resolver.graph = resolved, Graph()
        self.resolver.brief(doc)
        html = {BRIEF_ROOT: render_markdown(self.md, doc.body.tokens, self.links, spots=True)}
        if self.dated_site or doc.date or doc.updated:  # it may be in the feed (publish.feed_xml)
            html.setdefault(self.feed_links.root, render_markdown(self.md, doc.body.tokens, self.feed_links))
        graph = self.resolver.graph
        share = {f.name: dict(getattr(graph, f.name)) for f in fields(graph) if getattr(graph, f.name)}
        return BriefResult(_without_tokens(doc), html, loaded.items, resolved.items, share)


def feed_root(project: Project) -> str:
    """Where the feed's links start (publish.feed_xml): the site's address, or nothing."""
    return meta.base_url(project.site) or ""


def feed_fallback(project: Project) -> str | None:
    """The date every undated brief gets in the feed (as publish.entry_dates decides), if any."""
    return publish.atom_date(project.site.updated) or publish.source_date_epoch()


def _without_tokens(doc: Document) -> Document:
    return replace(doc, body=Markdown(doc.body.text, doc.body.pos))


def brief_paths(paths: Paths) -> list[Path]:
    """The brief files, in the order `Loader.documents` reads them."""
    folder = paths.content / "briefs"
    if not folder.is_dir():
        return []
    # The order of sorted(folder.glob("*.md")), without building and comparing 10,000 Path objects' parts.
    return [folder / name for name in sorted(os.listdir(folder)) if name.endswith(".md")]


def brief_key(folder: str, path: Path, stamps: dict[str, Stamp], context: str) -> str:
    """The brief's bytes, where it is (its positions name it), what it reads of the rest, and the engine."""
    stamp = stamps.get(str(path))
    try:
        digest = stamp[3] if stamp else hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = "unreadable"
    return sha(f"{engine_digest()}\0{context}\0{folder}/{path.name}\0{digest}")


def load_briefs(paths: Paths, project: Project | None, store: Store | None, stamps: dict[str, Stamp],
                progress: Progress) -> list[BriefResult]:
    """Every brief's result, from the cache where its key is known, else worked out (on all cores)."""
    files = brief_paths(paths)
    if project is None:  # the site settings are unusable: only the briefs' own load problems matter
        return fork_map(BriefWorker(paths, None), files, threshold=BRIEFS_PER_FORK)
    context = sha(repr((links_digest(project), feed_root(project), bool(feed_fallback(project)),
                        integrity.context(project))))
    folder = paths.rel(paths.content / "briefs")
    keys = [brief_key(folder, path, stamps, context) for path in files]
    cached = store.get_briefs(keys) if store else {}
    todo = [path for path, key in zip(files, keys) if key not in cached]
    work = BriefWorker(paths, project) if todo else None
    fresh = dict(zip(todo, fork_map(work, todo, threshold=BRIEFS_PER_FORK,  # type: ignore[arg-type]
                                    progress=progress.counter("briefs", len(todo)))))
    if store and fresh:
        store.put_briefs({key: fresh[path] for path, key in zip(files, keys) if path in fresh}, set(keys))
    return [cached[key] if key in cached else fresh[path] for path, key in zip(files, keys)]


def prerendered(result: BriefResult) -> Document:
    assert result.document is not None
    body = result.document.body
    return replace(result.document, body=Prerendered(body.text, body.pos, result.html))


def merge_briefs(results: dict[str, BriefResult]) -> Callable[[Resolver], None]:
    """The brief step of `resolve`, from results worked out elsewhere: the same graph, in the same order."""
    def briefs(resolver: Resolver) -> None:
        for brief in resolver.project.briefs:
            result = results[brief.slug]
            resolver.problems.extend(result.resolve_problems)
            for name, share in result.graph.items():
                _merge_field(getattr(resolver.graph, name), share)
    return briefs


def _merge_field(target: dict[Any, Any], share: dict[Any, Any]) -> None:
    for key, value in share.items():
        if isinstance(value, Counter):
            target.setdefault(key, Counter()).update(value)
        elif isinstance(value, list):
            target.setdefault(key, []).extend(value)
        else:
            target[key] = value


def load_and_resolve(paths: Paths, problems: Problems, store: Store | None = None, inputs: Inputs | None = None,
                     progress: Progress | None = None) -> tuple[Project, Graph]:
    """The model and its cross-links, as `load_project` and `resolve` give them, with the briefs cached."""
    project = load_project(paths, create_markdown(), problems, briefs=lambda _: [])
    if project is not None:
        project = meta.with_base_url(project, problems)
    results = load_briefs(paths, project, store, inputs.stamps if inputs else {}, progress or Progress())
    for result in results:
        problems.extend(result.load_problems)
    if project is None or problems.errors:
        raise BuildFailed(problems)
    loaded = {r.document.slug: r for r in results if r.document}
    briefs = sorted((prerendered(r) for r in loaded.values()), key=lambda d: (d.order, d.slug))
    project = replace(project, briefs=tuple(briefs))
    return project, resolve(project, EntityMatcher(project.entities), problems, briefs=merge_briefs(loaded))

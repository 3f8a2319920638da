"""The build, stage by stage: load → resolve → render → check → write. Reads like its table of contents.

Every stage is incremental (see builder/cache.py): a build with nothing changed does nothing; otherwise only
changed briefs are parsed, only pages whose inputs changed are rendered, only files whose bytes changed are
written (the rest are hard links to the last site's), and the result is byte for byte a clean build's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from builder import meta, publish
from builder.cache import (OutputState, Fingerprints, Stamp, Store, input_roots, inputs_digest, now_ns, scan_inputs,
                           sha, site_matches, unchanged_file, walk_site)
from builder.check import check_targets
from builder.config import Paths
from builder.incremental import (BriefResult, PageOut, PageWorker, load_briefs, merge_briefs, prerendered,
                                 render_pages, use_prerendered)
from builder.load import load_project
from builder.markup import create_markdown
from builder.matcher import EntityMatcher
from builder.model import Project
from builder.pages import build_pages
from builder.parallel import Progress
from builder.problems import BuildFailed, Problems
from builder.render import Page, Renderer, pygments_css
from builder.resolve import Graph, resolve
from builder.search import reader_pages
from builder.write import Staging, copy_assets


@dataclass(frozen=True)
class Result:
    """What a build did, for the one summary line."""

    pages: int
    files: int
    seconds: float
    problems: Problems
    written: int = 0  # pages rendered into new files
    unchanged: int = 0  # pages kept from the last build (the same bytes)


@dataclass
class Inputs:
    """Every input file's stamp and the digest of them all (with the engine and the settings it reads)."""

    stamps: dict[str, Stamp]
    digest: str


def scan(paths: Paths, store: Store | None) -> Inputs:
    started = now_ns()
    known, trusted_before = (store.get_meta("inputs") if store else None) or ({}, 0)
    stamps = scan_inputs(paths, known, trusted_before)
    if store:  # a file changed within a second of this scan is read again next time, whatever its stamp says
        store.put_meta("inputs", (stamps, started - 1_000_000_000))
    return Inputs(stamps, inputs_digest(stamps))


def load_and_resolve(paths: Paths, problems: Problems, store: Store | None = None, inputs: Inputs | None = None,
                     progress: Progress | None = None) -> tuple[Project, Graph]:
    md = create_markdown()
    project = load_project(paths, md, problems, briefs=lambda _: [])
    if project is not None:
        project = meta.with_base_url(project, problems)
    results = load_briefs(paths, project, store, inputs.stamps if inputs else {}, progress or Progress())
    for result in results:
        problems.extend(result.load_problems)
    if project is None or problems.errors:
        raise BuildFailed(problems)
    loaded: dict[str, BriefResult] = {r.document.slug: r for r in results if r.document}
    briefs = sorted((prerendered(r) for r in loaded.values()), key=lambda d: (d.order, d.slug))
    project = replace(project, briefs=tuple(briefs))
    graph = resolve(project, EntityMatcher(project.entities), problems, briefs=merge_briefs(loaded))
    return project, graph


@dataclass
class Site:
    """Everything a build puts in the output folder, before the last steps."""

    pages: list[Page]
    files: dict[str, bytes]  # every file that is not a page: assets, feed, sitemap, data exports
    renderer: Renderer
    fingerprints: dict[str, str]


def plan_site(paths: Paths, project: Project, graph: Graph, problems: Problems, inputs: Inputs) -> Site:
    renderer = Renderer(project, graph, paths, create_markdown())
    use_prerendered(renderer)
    pages = build_pages(project, graph) + reader_pages(project)
    extra = publish.site_files(project, pages, problems)  # feed, sitemap, robots.txt, data/
    has_feed = "feed.xml" in extra
    renderer.env.globals.update(publish.template_globals(project, graph, has_feed=has_feed))
    files = copy_assets(paths.asset_dirs)
    files["assets/pygments.css"] = pygments_css().encode()
    files[".nojekyll"] = b""
    files.update(extra)
    prints = Fingerprints(project, graph, [has_feed], templates_digest(paths, inputs))
    return Site(pages, files, renderer, {page.path: prints.of(page) for page in pages})


def templates_digest(paths: Paths, inputs: Inputs) -> str:
    folders = tuple(str(d) + "/" for d in paths.template_dirs)
    return sha(repr(sorted((p, s[3]) for p, s in inputs.stamps.items() if p.startswith(folders))))


def render_site(site: Site, staging: Staging | None, previous: OutputState | None,
                progress: Progress) -> dict[str, PageOut]:
    """Pages whose fingerprint matches the last build's are linked from it; the rest are rendered."""
    out: dict[str, PageOut] = {}
    todo = []
    for page in site.pages:
        kept = previous.links.get(page.path) if previous and staging else None
        if (kept and previous.pages.get(page.path) == site.fingerprints[page.path]
                and unchanged_file(staging.out, page.path, previous)):
            staging.link(page.path, staging.out / page.path)
            digest, size, _ = previous.files[page.path]
            out[page.path] = PageOut(digest, size, False, *kept)
        else:
            todo.append(page)
    rendered = render_pages(PageWorker(site.renderer, staging, previous), todo, progress)
    out.update((page.path, result) for page, result in zip(todo, rendered))
    return out


def put_files(files: dict[str, bytes], staging: Staging, previous: OutputState | None) -> dict[str, str]:
    """The files that are not pages, linked when their bytes are the last build's; their digests."""
    digests = {}
    for rel, data in sorted(files.items()):
        digest = digests[rel] = sha(data)
        if previous and previous.files.get(rel, ("",))[0] == digest and unchanged_file(staging.out, rel, previous):
            staging.link(rel, staging.out / rel)
        else:
            staging.write(rel, data)
    return digests


def finish(staging: Staging, digests: dict[str, str], previous: OutputState | None,
           progress: Progress) -> tuple[str, tuple[str, ...]]:
    """The last steps over the finished pages (search index, zip): reused when their input is unchanged."""
    before = sha(repr(sorted(digests.items())))
    if previous and previous.before_finish == before and all(
            unchanged_file(staging.out, rel, previous) for rel in previous.finish_files):
        for rel in previous.finish_files:
            staging.link(rel, staging.out / rel)
        return before, previous.finish_files
    progress.update("search index and zip")
    staged = walk_site(staging.path)
    publish.finish(staging.path)  # looked up now, so it can be replaced (tests stop a build inside it)
    after = walk_site(staging.path)
    made = tuple(sorted(rel for rel, st in after.items() if rel not in staged or staged[rel][1] != st[1]))
    return before, made


def write(site: Site, out: Path, previous: OutputState | None, problems: Problems, strict: bool,
          progress: Progress) -> tuple[OutputState, dict[str, PageOut]]:
    staging = Staging(out)
    try:
        pages = render_site(site, staging, previous, progress)
        digests = put_files(site.files, staging, previous)
        check_targets({p: (r.ids, r.targets) for p, r in pages.items()}, set(site.files) | publish.LATE_FILES,
                      problems)
        if problems.failed(strict):
            raise BuildFailed(problems)
        digests.update((p, r.digest) for p, r in pages.items())
        before, made = finish(staging, digests, previous, progress)
        final = walk_site(staging.path)
    except BaseException:
        staging.abort()
        raise
    staging.commit()
    state = OutputState("", {rel: (digests.get(rel, ""), size, ino) for rel, (size, ino, _) in final.items()},
                        site.fingerprints, {p: (r.ids, r.targets) for p, r in pages.items()}, before, made)
    return state, pages


def check_only(site: Site, problems: Problems, progress: Progress) -> dict[str, PageOut]:
    pages = dict(zip((p.path for p in site.pages), render_pages(PageWorker(site.renderer, None, None),
                                                                 site.pages, progress)))
    check_targets({p: (r.ids, r.targets) for p, r in pages.items()}, set(site.files) | publish.LATE_FILES, problems)
    return pages


def unchanged(out: Path | None, previous: OutputState | None, inputs: Inputs) -> bool:
    """Nothing to do: the same inputs as the last build into `out`, and `out` still holds what it wrote."""
    return bool(out is not None and previous and previous.inputs == inputs.digest and site_matches(out, previous))


def replay(previous: OutputState, strict: bool, started: float) -> Result:
    """The last build's result again (its warnings too), with nothing written."""
    problems = Problems(list(previous.problems))
    if problems.failed(strict):
        raise BuildFailed(problems)
    return Result(previous.page_count, len(previous.files), time.perf_counter() - started, problems,
                  0, previous.page_count)


def build(root: Path, out: Path | None, strict: bool = False) -> Result:
    """Build the project at `root` into `out` (or only check it when `out` is None)."""
    started = time.perf_counter()
    paths = Paths(root)
    store = Store(paths)
    progress = Progress()
    try:
        return _build(paths, out.resolve() if out is not None else None, strict, store, progress, started)
    finally:
        progress.close()
        store.close()


def _build(paths: Paths, out: Path | None, strict: bool, store: Store, progress: Progress, started: float) -> Result:
    inputs = scan(paths, store)
    previous = store.get_output(out) if out is not None else None
    if unchanged(out, previous, inputs):
        return replay(previous, strict, started)  # type: ignore[arg-type]
    problems = Problems()
    project, graph = load_and_resolve(paths, problems, store, inputs, progress)
    if problems.failed(strict):
        raise BuildFailed(problems)
    site = plan_site(paths, project, graph, problems, inputs)
    if out is None:
        pages = check_only(site, problems, progress)
        if problems.failed(strict):
            raise BuildFailed(problems)
        return Result(len(pages), len(site.files) + len(pages), time.perf_counter() - started, problems)
    state, pages = write(site, out, previous, problems, strict, progress)
    state.inputs, state.problems, state.page_count = inputs.digest, list(problems.items), len(pages)
    store.put_output(out, state)
    written = sum(1 for r in pages.values() if r.written)
    return Result(len(pages), len(state.files), time.perf_counter() - started, problems, written,
                  len(pages) - written)


__all__ = ["Result", "build", "load_and_resolve", "input_roots"]

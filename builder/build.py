"""The build, stage by stage: scan → load → resolve → render → check → write. Reads like its table of contents.

What the last build left (builder/incremental/) lets each stage skip what did not change: a build with
nothing changed does nothing; otherwise only changed briefs are worked out, only pages whose fingerprint
changed are rendered and only files whose bytes changed are written, and the result is byte for byte a
clean build's. The stages are imported only when there is something to do, so that answer is quick.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from builder.claim import claim_output
from builder.config import Paths
from builder.incremental.state import IncrementalState, OutputState, remove_old_spares, spare_folder
from builder.parallel import Progress
from builder.problems import BuildFailed, Problems

if TYPE_CHECKING:
    from builder.model import Graph, Project


@dataclass(frozen=True)
class Result:
    """What a build did, for the one summary line."""

    pages: int
    files: int
    seconds: float
    problems: Problems
    written: int = 0  # pages rendered into new files
    unchanged: int = 0  # pages kept from the last build (the same bytes)
    deferred: bool = False  # the search index and zip are the last build's: a full build must follow
    notes: list[str] = field(default_factory=list)  # what the cache dropped and rebuilt


def build(root: Path, out: Path | None, strict: bool = False, finish: bool = True,
          state: IncrementalState | None = None, jobs: int | None = None, warm: bool = False) -> Result:
    """Build the project at `root` into `out` (or only check it when `out` is None: then nothing is written,
    .cache/ included).

    `state`: what the last build left, held in memory by the live server; without it the build loads it from
    the store and saves it back. `finish=False` leaves the search index and zip as the last build made them
    when the pages changed (the live server, while an editor types). `jobs=1` never forks. `warm=True` (the
    live server's first build) goes through every stage even when nothing changed, writing only what did, so
    that `state` holds the model, the fingerprints' digests and the compiled templates for the first edit."""
    out = claim_output(root, out) if out is not None else None  # before anything: refuse a folder not ours
    paths = Paths(root)
    own = state is None
    state = state or IncrementalState.open(paths, persist=out is not None)
    progress = Progress()
    try:
        return _build(paths, out, strict, finish, state, progress, jobs, release=own, warm=warm)
    finally:
        # The model, loaded and resolved, lives to the end of the build: frozen once it is made, its million
        # objects (at 10,000 briefs) are no longer walked by every collection, and workers forked to render
        # share them instead of each copying what a collection touched (as the gc module's documentation
        # advises before fork). Unfrozen at the end, so that a live server's next build can free them.
        gc.unfreeze()
        progress.close()
        if own:
            state.close()


def _build(paths: Paths, out: Path | None, strict: bool, finish: bool, state: IncrementalState,
           progress: Progress, jobs: int | None, release: bool = False, warm: bool = False) -> Result:
    started = time.perf_counter()
    collecting = gc.isenabled()
    # Loading, resolving and planning (and reading the last build's record) make millions of objects and drop
    # few: each collection the allocations set off would walk all made so far (at 10,000 briefs, two seconds
    # of an edit's seven). Collections resume with rendering, once all that is frozen; workers forked
    # meanwhile collect as usual (`parallel.fork_map`). Paused from the scan on: a collection the last build
    # left due would otherwise walk the whole heap at the start of this one (a second of a live server's
    # first edit at 10,000 briefs).
    gc.disable()
    try:
        snapshot = state.scan()
        progress.mark("scan")
        unchanged = None if warm else state.unchanged(out, snapshot)
    except BaseException:
        if collecting:
            gc.enable()
        raise
    if unchanged:  # nothing to build
        if collecting:
            gc.enable()
        return replay(unchanged, strict, started, state.notes)
    from builder.incremental.briefs import derived, load_and_resolve, rehearse
    from builder.output import align_spare, check_only, finish_output, plan_site, stage_output
    problems = Problems()
    previous = None
    try:
        project, graph, bodies = load_and_resolve(paths, problems, snapshot, state, progress, jobs, held=not release)
        if release:  # for the next command's build (a live server holds it, and starts with a full build)
            state.save_content()
        gc.freeze()  # see `build`
        progress.mark("load+resolve")
        if problems.failed(strict):
            raise BuildFailed(problems)
        held = not release  # released: no build in this process follows, so nothing is kept for one
        site = plan_site(paths, project, graph, bodies, problems, snapshot, state.engine, state.compiled,
                         state.digested if held else None, state.planned if held else None,
                         derived(state, "exports", project) if held else None, state.planned_from,
                         derived(state, "links", project))
        state.digested, state.planned = site.digested, (site.planned if held else {})
        state.planned_from = project if held else None
        if warm:  # made now, not by the first edit: the templates compiled (into state.compiled), the brief worker
            site.renderer.compile_all()
            rehearse(paths, project, snapshot, state, bodies)
        progress.mark("plan")
        previous = state.output(out) if out is not None else None
        # What planning made (every page, its inputs, the last build's record) lives to the end of the build
        # too: frozen with the model, or the first collections once they resume walk it all (at 10,000
        # briefs, a third of a second of every live edit).
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
        # The digests of the bytes read, whatever happens next; saved in the store by a build that finishes
        # (a live server's next full build saves them, or a later command's build reads those files again).
        state.remember_inputs(snapshot, save=finish)
    if out is None:
        pages = check_only(site, problems, progress, jobs)
        if problems.failed(strict):
            raise BuildFailed(problems)
        return Result(len(pages), len(site.files) + len(pages), time.perf_counter() - started, problems,
                      notes=state.notes)
    spare = paths.cache / previous.spare if previous and previous.spare else None
    keep = spare_folder(paths, out) if state.store is not None and state.store.db is not None else None
    staged = stage_output(site, out, previous, problems, strict, progress, spare, keep, finish, jobs,
                          state.surveyed(spare))
    inputs = snapshot.digest(state.engine) if release else None  # else once the build is known not deferred
    if release and staged.heavy_finish:
        # Nothing below reads the model, and the search index is made by Pagefind processes that need, at
        # 10,000 briefs, as much memory as the model holds: a build that no later build in this process
        # follows lets it go first (a second at 10,000 briefs, not worth it when few pages are indexed again).
        del project, graph, bodies, site, snapshot, previous
        state.release()
        gc.unfreeze()
        gc.collect()  # the model has reference cycles
        staged.compact()
        _return_memory()
        progress.mark("release model")
    record = finish_output(staged, progress)
    if warm and keep is not None:  # a live server's first build: its first edit then costs what later ones do
        align_spare(out, record.files, keep)
        progress.mark("align spare")
    deferred = not record.before_finish
    if deferred:  # it records no inputs, so the next build cannot take the site for up to date
        record.inputs = ""
    else:
        record.inputs = inputs if inputs is not None else snapshot.digest(state.engine)
    record.problems, record.page_count = list(problems.items), len(staged.pages)
    record.spare = keep.name if keep is not None and keep.is_dir() else ""
    state.put_output(out, record)
    if not deferred:  # not while an editor types: deleting a whole site can take seconds
        remove_old_spares(paths, out, record.spare)
    progress.mark("save")
    new = sum(1 for r in staged.pages.values() if r.written)
    return Result(len(staged.pages), len(record.files), time.perf_counter() - started, problems, new,
                  len(staged.pages) - new, deferred, state.notes)


def _return_memory() -> None:
    """Hand the heap freed back to the system, which glibc's allocator otherwise keeps for this process."""
    import ctypes  # here, not above: a build with nothing to do never gets this far

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by this process, not returned
        pass


def load_and_resolve(paths: Paths, problems: Problems) -> tuple[Project, Graph]:
    """The whole model and its cross-links, remembering nothing: for commands and tests that need the model."""
    from builder.incremental.briefs import load_and_resolve as load
    project, graph, _ = load(paths, problems)
    return project, graph


def replay(previous: OutputState, strict: bool, started: float, notes: list[str]) -> Result:
    """The last build's result again (its warnings too), with nothing written."""
    problems = Problems(list(previous.problems))
    if problems.failed(strict):
        raise BuildFailed(problems)
    return Result(previous.page_count, len(previous.files), time.perf_counter() - started, problems,
                  0, previous.page_count, notes=notes)

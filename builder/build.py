"""The build, stage by stage: load → resolve → render → check → write. Reads like its table of contents.

Every stage is incremental (builder/cache.py says what is remembered): a build with nothing changed does
nothing; otherwise only changed briefs are parsed (builder/incremental.py), only pages whose inputs changed
are rendered and only files whose bytes changed are written (builder/output.py), and the result is byte for
byte a clean build's. The stages are imported only when there is something to do, so that answer is quick.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from builder.incremental.store import Inputs, OutputState, Store, remove_old_spares, scan, site_matches, spare_folder
from builder.config import Paths
from builder.parallel import Progress
from builder.problems import BuildFailed, Problems
from builder.write import claim_output

if TYPE_CHECKING:
    from builder.model import Project
    from builder.resolve import Graph


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


def load_and_resolve(paths: Paths, problems: Problems, store: Store | None = None, inputs: Inputs | None = None,
                     progress: Progress | None = None) -> tuple[Project, Graph]:
    """The whole model and its cross-links (the briefs from the cache where they are unchanged)."""
    from builder.incremental.briefs import load_and_resolve as load
    return load(paths, problems, store, inputs, progress)


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


def build(root: Path, out: Path | None, strict: bool = False, finish: bool = True) -> Result:
    """Build the project at `root` into `out` (or only check it when `out` is None).

    `finish=False` leaves the search index and zip as the last build made them when the pages changed
    (they cost more than the rest of an edit's rebuild on a large site); the live server uses it and
    runs a full build once the editor pauses."""
    started = time.perf_counter()
    out = claim_output(root, out) if out is not None else None  # before anything: refuse a folder not ours
    paths = Paths(root)
    store = Store(paths) if out is not None else unopened_store()  # `check` writes nothing, not even .cache/
    progress = Progress()
    try:
        return _build(paths, out, strict, store, progress, started, finish)
    finally:
        progress.close()
        store.close()


def unopened_store() -> Store:
    """A store that was never opened: every lookup misses and nothing is saved (Store's own disabled state)."""
    store = Store.__new__(Store)
    store.db, store.identity = None, b""
    return store


def _build(paths: Paths, out: Path | None, strict: bool, store: Store, progress: Progress, started: float,
           finish: bool = True) -> Result:
    inputs = scan(paths, store)
    previous = store.get_output(out) if out is not None else None
    progress.mark("scan")
    if unchanged(out, previous, inputs):
        progress.mark("compare")
        return replay(previous, strict, started)  # type: ignore[arg-type]
    from builder.output import check_only, plan_site, write_output
    problems = Problems()
    project, graph = load_and_resolve(paths, problems, store, inputs, progress)
    progress.mark("load+resolve")
    if problems.failed(strict):
        raise BuildFailed(problems)
    site = plan_site(paths, project, graph, problems, inputs)
    progress.mark("plan")
    if out is None:
        pages = check_only(site, problems, progress)
        if problems.failed(strict):
            raise BuildFailed(problems)
        return Result(len(pages), len(site.files) + len(pages), time.perf_counter() - started, problems)
    links = store.get_links(out) if previous else {}
    spare = paths.cache / previous.spare if previous and previous.spare else None
    keep = spare_folder(paths, out) if store.db is not None else None
    state, written = write_output(site, out, previous, links, problems, strict, progress, spare, keep, finish)
    deferred = not state.before_finish
    # A deferred finish records no inputs, so the next build cannot take the site for up to date.
    state.inputs = "" if deferred else inputs.digest
    state.problems, state.page_count = list(problems.items), len(written)
    state.spare = keep.name if keep is not None and keep.is_dir() else ""
    store.put_output(out, state, {path: (r.ids, r.targets) for path, r in written.items()})
    remove_old_spares(paths, out, state.spare)
    progress.mark("save")
    new = sum(1 for r in written.values() if r.written)
    return Result(len(written), len(state.files), time.perf_counter() - started, problems, new, len(written) - new,
                  deferred)

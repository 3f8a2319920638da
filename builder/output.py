"""Render, check and write, incrementally and over every core.

A page is rendered only when its fingerprint (`fingerprints.Fingerprints`: a digest of exactly what its template
receives) differs from the last build's, and written only when its bytes differ from the file the last build
left; everything else is a hard link to the live site's file in the staging folder. The link check runs over
every page, with the anchors and links of unchanged pages taken from the cache.
"""

from __future__ import annotations

import filecmp
import hashlib
import marshal
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from builder import publish
from builder.publish import search, zipper
from builder.incremental.compiled import CompiledTemplates
from builder.incremental.fingerprints import Fingerprints, Memo, Plans, links_digest
from builder.incremental.inputs import Snapshot, sha
from builder.incremental.sitecheck import Walk
from builder.incremental.state import OutputState, recorded_files, search_farms, unchanged_file
from builder.claim import MARKER, MARKER_TEXT
from builder.check import Target, check_targets, link_targets, parse_page
from builder.config import Paths
from builder.markup import create_markdown
from builder.model import Graph, Page, Project
from builder.pages import build_pages
from builder.parallel import Progress, fork_map
from builder.problems import BuildFailed, Pos, Problems
from builder.render import Renderer, pygments_css
from builder.safeio import UnsafeInput
from builder.safeloader import input_files
from builder.write import Staging, Survey, copy_assets, environment_fault

PAGES_PER_FORK = 200  # below this, pages are rendered in this process: workers would cost more than they save
_PER_ITEM = frozenset({"brief.html", "entity.html", "source.html", "alias.html", "page.html"})


@dataclass
class Site:
    """Everything a build puts in the output folder, before the last steps."""

    pages: list[Page]
    files: dict[str, bytes]  # every file that is not a page: assets, feed, sitemap, data exports
    renderer: Renderer
    fingerprints: dict[str, str]
    links_written: dict[str, list[Pos]] = field(default_factory=dict)  # where the content wrote each link
    digested: Memo = field(default_factory=dict)  # the model objects digested, for the next build's `earlier`
    planned: Plans = field(default_factory=dict)  # the pages' inputs and fingerprints, for the next build's


def plan_site(paths: Paths, project: Project, graph: Graph, bodies: dict[str, dict[str, str]], problems: Problems,
              snapshot: Snapshot, engine: str, compiled: dict[str, bytes] | None = None,
              digested: Memo | None = None, planned: Plans | None = None,
              exported: dict[str, bytes] | None = None, planned_from: Project | None = None,
              links: str | None = None) -> Site:
    """Every page with its context and fingerprint, and every other file's bytes; `bodies`: each brief's
    text as HTML (by slug, then root), as `incremental.briefs.load_and_resolve` gives it; `compiled` and
    `digested`: the templates an earlier build in this process compiled and the model objects it digested;
    `planned`: its pages' inputs and fingerprints (`Fingerprints.plan`), made from the project `planned_from`;
    `exported`: the data files, and `links`: `links_digest(project)`, if known."""
    templates = read_templates(paths, snapshot, problems)  # before the fingerprints: they digest these bytes
    renderer = Renderer(project, paths, create_markdown(), snapshot.read,
                        CompiledTemplates(compiled) if compiled is not None else None)
    dates = publish.feed_dates(project, problems)
    earlier = {path: plan.inputs for path, plan in planned.items()} if planned else None
    pages = build_pages(project, graph, bodies, dates is not None, planned_from, earlier)
    files = copy_assets(paths.asset_dirs, problems, paths.rel, snapshot.read)
    if problems.errors:
        raise BuildFailed(problems)
    files["assets/pygments.css"] = pygments_css().encode()
    files[".nojekyll"] = b""
    files[MARKER] = MARKER_TEXT  # says the folder is the build's own, so the next build may replace it
    # The feed, sitemap, robots.txt and data files.
    files.update(publish.site_files(project, pages, dates, bodies, renderer.render_file, exported))
    prints = Fingerprints(project.site, links or links_digest(project), templates, engine, digested)
    fingerprints, plans = prints.plan(pages, planned)
    return Site(pages, files, renderer, fingerprints, graph.links_written, prints.canon.memo, plans)


def read_templates(paths: Paths, snapshot: Snapshot, problems: Problems) -> str:
    """A digest of every template file: the scan's digest of each (Jinja reads the bytes it renders with
    through the same snapshot), or its bytes read now when the scan has none (a refused file: reading it
    says why)."""
    digests = []
    for folder in paths.template_dirs:
        for path in input_files(folder):  # a link to a folder is listed, so that reading it is refused
            try:
                digests.append((str(path), snapshot.digest_of(path) or sha(snapshot.read(path))))
            except UnsafeInput as refused:
                problems.error(Pos(paths.rel(path)), refused.message, refused.hint)
    if problems.errors:
        raise BuildFailed(problems)
    return sha(repr(digests))


@dataclass
class PageOut:
    """What rendering one page left behind: its file's digest and size, and its anchors and links."""

    digest: str
    size: int
    written: bool  # False when the bytes equal the last build's file, which was linked instead
    ids: frozenset[str]
    targets: tuple[Target, ...]
    indexed: str  # the digest of what the search index reads of it (`search.indexed_digest`)


class PageWorker:
    """Renders a page and puts it into the staging folder (or only checks it when there is none)."""

    def __init__(self, renderer: Renderer, staging: Staging | None, previous: OutputState | None) -> None:
        self.renderer = renderer
        self.staging = staging
        self.previous = previous

    def __call__(self, page: Page) -> PageOut:
        html = self.renderer.render(page)
        data = html.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        written = self.put(page.path, data, digest)
        parsed = parse_page(html)
        return PageOut(digest, len(data), written, frozenset(parsed.ids), link_targets(page.path, parsed),
                       search.indexed_digest(html, digest))

    def put(self, rel: str, data: bytes, digest: str) -> bool:
        if self.staging is None:
            return False
        if self.previous and self.previous.files.get(rel, ("",))[0] == digest and \
                unchanged_file(self.staging.out, rel, self.previous):
            self.staging.link(rel, *self.previous.files[rel][1:])
            return False
        self.staging.write(rel, data)
        return True


def render_pages(worker: PageWorker, pages: list[Page], progress: Progress, jobs: int | None) -> list[PageOut]:
    """Lists and indexes first, one per worker task: they are the slow pages, and should not come last."""
    for template in {page.template for page in pages}:  # compiled once here, before the fork
        worker.renderer.env.get_template(template)
    order = sorted(range(len(pages)), key=lambda i: pages[i].template in _PER_ITEM)
    solo = sum(1 for page in pages if page.template not in _PER_ITEM)
    shared: dict = {}

    def keep(result: PageOut) -> PageOut:
        # The same links and ids are on page after page (the menu, every citation of a source), but each
        # worker's result arrives as objects of its own: kept as one object each, as they arrive, they take a
        # fifth of the memory (a few hundred MB at 10,000 briefs) and pickle into the build's record at half
        # the size.
        result.ids = frozenset([shared.setdefault(name, name) for name in result.ids])
        result.targets = tuple([shared.setdefault(t, t) for t in result.targets])
        return result
    results = fork_map(worker, [pages[i] for i in order], threshold=PAGES_PER_FORK, solo=solo,
                       progress=progress.counter("pages", len(pages)), jobs=jobs, keep=keep)
    out: list[PageOut] = [None] * len(pages)  # type: ignore[list-item]
    for i, result in zip(order, results):
        out[i] = result
    return out


def render_site(site: Site, staging: Staging, previous: OutputState | None, progress: Progress,
                jobs: int | None) -> dict[str, PageOut]:
    """Pages whose fingerprint matches the last build's are linked from it; the rest are rendered."""
    out: dict[str, PageOut] = {}
    links = previous.links if previous else {}
    pages_before = previous.pages if previous else {}
    files = previous.files if previous else {}
    fingerprints = site.fingerprints
    same = [page.path for page in site.pages if page.path in links and
            pages_before.get(page.path) == fingerprints[page.path]]
    kept = recorded_files(staging.out, same, files)
    staging.link_all(kept, files)
    for path in kept:
        digest, size, _ = files[path]
        out[path] = PageOut(digest, size, False, *links[path])
    todo = [page for page in site.pages if page.path not in out]
    rendered = render_pages(PageWorker(site.renderer, staging, previous), todo, progress, jobs)
    out.update((page.path, result) for page, result in zip(todo, rendered))
    return out


def put_files(files: dict[str, bytes], staging: Staging, previous: OutputState | None) -> dict[str, str]:
    """The files that are not pages, linked when their bytes are the last build's; their digests."""
    digests = {}
    for rel, data in sorted(files.items()):
        digest = digests[rel] = sha(data)
        if previous and previous.files.get(rel, ("",))[0] == digest and unchanged_file(staging.out, rel, previous):
            staging.link(rel, *previous.files[rel][1:])
        else:
            staging.write(rel, data)
    return digests


def reuse_finish(staging: Staging, before: str, previous: OutputState | None) -> tuple[str, ...] | None:
    """The last steps (search index, zip) depend only on the site before them: when that is the last
    build's, their files are too. Links them and says which they are; None when they must run."""
    if not (previous and previous.before_finish == before):
        return None
    kept = intact_finish(staging, previous)
    return link_finish(staging, previous, kept) if kept == previous.finish_files else None


def keep_finish(staging: Staging, previous: OutputState | None) -> tuple[str, ...]:
    """The last build's search index and zip, linked as they are (for a deferred finish they are stale)."""
    return link_finish(staging, previous, intact_finish(staging, previous)) if previous else ()


def intact_finish(staging: Staging, previous: OutputState) -> tuple[str, ...]:
    """The files the last build's final steps made that the live site still holds as they were written."""
    return tuple(recorded_files(staging.out, previous.finish_files, previous.files))


def link_finish(staging: Staging, previous: OutputState, kept: tuple[str, ...]) -> tuple[str, ...]:
    staging.link_all(kept, previous.files)
    return kept


def run_finish(staging: Staging, lender: zipper.Previous | None, live: bool, progress: Progress,
               searched: dict[str, str], known: dict[str, str],
               farms: Path | None = None) -> tuple[tuple[str, ...], Walk, dict[str, str]]:
    """Run the last steps over the staged site; what they made, the site's files after them and the digest
    of each file's content. `live`: whether the live site is the last build's, whose unchanged search
    bundles are reused; `lender`: its zip, whose entries of unchanged content are; `known`: the digests of
    the pages and files the build put there; `farms`: where the pages given to Pagefind are kept."""
    progress.update("search index and zip")
    # The zip takes unchanged entries from the live site's, and the search index the bundles whose pages are
    # unchanged; `publish.finish` is looked up now, so a test can stop a build inside it.
    after, digests = publish.finish(staging.path, staging.out if live else None, searched, lender, known, farms)
    for rel, (size, ino, mtime) in after.items():
        if mtime:  # what the last steps wrote: fixed times, as Staging.write gives the pages, repeatable trees
            os.utime(staging.path / rel, (0, 0), follow_symlinks=False)  # a link's own time, never its target's
            after[rel] = (size, ino, 0)
    # The staging folder held the pages and files (`known`) and nothing else (swept) before the last steps.
    made = tuple(sorted(rel for rel in after if rel not in known))
    if live:
        keep_identical(staging, made, after)
    return made, after, digests


def zip_lender(out: Path, previous: OutputState | None) -> zipper.Previous | None:
    """The live site's zip, when the last build made it over the files it recorded (so each entry's content
    is the one their digests name): not after a deferred finish, nor when the zip has been replaced since."""
    if previous is None or not previous.before_finish or not unchanged_file(out, publish.ZIP_NAME, previous):
        return None
    return zipper.Previous(out / publish.ZIP_NAME, previous.files)


def keep_identical(staging: Staging, made: tuple[str, ...], after: Walk) -> None:
    """Pagefind writes every file of its index anew, though an edit changes few of them: where a new file
    has the bytes of the live site's, link the live one instead (and say so in `after`). Unchanged files
    then keep their inode, so the next build's staging folder (recycled from this one) already holds them."""
    for rel in made:
        new, old = staging.path / rel, staging.out / rel
        try:
            st = os.stat(old)
            if st.st_ino == after[rel][1]:
                continue  # already the live file (a search bundle kept whole): renaming a link onto it does nothing
            if st.st_size == after[rel][0] and filecmp.cmp(old, new, shallow=False):
                spare = new.with_name(new.name + ".same")
                os.link(old, spare)
                os.replace(spare, new)  # in one step: a failure above leaves the new file in place
                after[rel] = (st.st_size, st.st_ino, st.st_mtime_ns)
        except OSError:
            continue  # not in the live site, or no links here: keep the new file


def check(pages: dict[str, PageOut], site: Site, problems: Problems, previous: OutputState | None = None) -> None:
    """Every link of every page leads to a page, anchor or file of the site; only the links of the pages that
    changed are followed when nothing another page's links may lead to has gone (`links_to_follow`)."""
    files = set(site.files) | publish.LATE_FILES
    check_targets({p: (r.ids, r.targets) for p, r in pages.items()}, files, problems, site.links_written,
                  links_to_follow(pages, files, previous))


def links_to_follow(pages: dict[str, PageOut], files: set[str], previous: OutputState | None) -> set[str] | None:
    """The pages whose links need following, or None for all. The last build's links all led somewhere (a
    broken one fails the build, which then records nothing): a page whose links are the same still leads
    somewhere when no page or file that build had is gone, and none of its links is to an anchor gone."""
    if previous is None or not previous.links or not previous.links.keys() <= pages.keys():
        return None
    if not set(previous.files) - previous.links.keys() - set(previous.finish_files) <= files:
        return None  # a file (not a page, nor the search index and zip, made after the check) has gone
    changed = set()
    gone: dict[str, frozenset[str]] = {}  # page → its anchors the last build had and this one has not
    for path, result in pages.items():
        before = previous.links.get(path)
        if before is None:
            changed.add(path)  # a new page
        elif before[0] is not result.ids and before[0] != result.ids:
            if lost := before[0] - result.ids:
                gone[path] = lost
            changed.add(path)
        elif before[1] is not result.targets and before[1] != result.targets:
            changed.add(path)
    if gone:  # a brief edited back loses its citations' anchors: who else led there?
        for path, result in pages.items():
            if path not in changed and any(target in gone and fragment and unquote(fragment) in gone[target]
                                           for _, target, fragment in result.targets):
                changed.add(path)
    return changed


@dataclass
class Staged:
    """A site rendered, checked and swept in its staging folder: what its last steps and the swap need, and
    nothing of the model (the caller may let the model go before the search index is made)."""

    staging: Staging
    pages: dict[str, PageOut]
    digests: dict[str, str]  # site path → digest of its bytes, for every page and other file
    before: str  # digest of the site before its last steps
    made: tuple[str, ...] | None  # the last steps' files, kept from the last build; None: they must run
    searched: dict[str, str]  # the pages the search index covers → the digest of what it reads of each
    fingerprints: dict[str, str]
    out: Path
    keep: Path | None
    live: bool  # whether the live site is the last build's (then its search bundles and zip entries are reused)
    lender: zipper.Previous | None = None  # the live site's zip, which lends the entries of unchanged files
    finish_digests: dict[str, str] = field(default_factory=dict)  # the kept last steps' files → their digests

    @property
    def heavy_finish(self) -> bool:
        """Whether the last steps index more pages than one search bundle holds (a first build, a site-wide
        change): then the memory the model holds is worth handing back before they run."""
        if self.made is not None:
            return False
        return not self.live or sum(1 for r in self.pages.values() if r.written) > search.SHARD_PAGES

    def compact(self) -> None:
        """Copy what this holds into fresh memory, once the model is gone. Made while the model was there
        (page paths, digests, anchors and links), it is spread over most of the memory the model used, which
        Python gives back to the system only a whole arena (1 MiB) at a time: at 10,000 briefs, 110 MB of it
        held on to 450 MB."""
        rows = {path: (r.digest, r.size, r.written, r.ids, r.targets, r.indexed) for path, r in self.pages.items()}
        # marshal (version 4 writes an object shared by many pages once) of values made here: nothing to trust
        lent = dict(self.lender.records) if self.lender else None
        data = marshal.dumps((rows, self.digests, self.searched, self.fingerprints, self.finish_digests, lent))
        rows, self.pages, self.digests, self.searched, self.fingerprints, lent = {}, {}, {}, {}, {}, None
        rows, self.digests, self.searched, self.fingerprints, self.finish_digests, lent = marshal.loads(data)
        if self.lender and lent is not None:
            self.lender = zipper.Previous(self.lender.path, lent)
        self.pages = {path: PageOut(*row) for path, row in rows.items()}


def stage_output(site: Site, out: Path, previous: OutputState | None, problems: Problems, strict: bool,
                 progress: Progress, spare: Path | None = None, keep: Path | None = None, finish: bool = True,
                 jobs: int | None = None, surveyed: Survey | None = None) -> Staged:
    """Stage the site beside `out`: rendered, linked, checked and swept, its last steps still to run.

    `spare`: the site the last build replaced, to start from (`surveyed`: a `write.survey` of it, if one was
    taken); `keep`: where to keep the one this replaces.
    `finish=False` (the live server, while an editor types) keeps the last search index and zip instead
    of making new ones; the state then says so (`before_finish` ""), so the next full build makes them."""
    staging: Staging | None = None
    try:
        staging = Staging(out, spare, surveyed)
        pages = render_site(site, staging, previous, progress, jobs)
        digests = put_files(site.files, staging, previous)
        progress.mark("render+stage")
        check(pages, site, problems, previous)
        progress.mark("link check")
        if problems.failed(strict):
            raise BuildFailed(problems)
        digests.update((p, r.digest) for p, r in pages.items())
        before = sha(repr(sorted(digests.items())))
        made = reuse_finish(staging, before, previous)
        if made is None and not finish:
            made, before = keep_finish(staging, previous), ""
        staging.sweep(set(digests) | set(made or ()))
        progress.mark("sweep")
    except BaseException as exc:
        if staging is not None:
            _abort(staging, keep)
        if isinstance(exc, OSError) and staging is not None and staging.found_any:
            # A file of the recycled last-but-one site could not be replaced (made undeletable since): start
            # again from an empty folder, which needs nothing deleted.
            return stage_output(site, out, previous, problems, strict, progress, None, keep, finish, jobs)
        if isinstance(exc, OSError):  # the disk or the folder, not the content: one line, no traceback
            raise environment_fault(exc, out, staging and staging.path) from None
        raise
    searched = {path: pages[path].indexed for path in search.searched(site.pages)} if made is None else {}
    kept = {rel: previous.files[rel][0] for rel in made or () if previous and previous.files[rel][0]}
    lender = zip_lender(out, previous) if made is None and previous is not None else None
    return Staged(staging, pages, digests, before, made, searched, site.fingerprints, out, keep, previous is not None,
                  lender, kept)


def finish_output(staged: Staged, progress: Progress) -> OutputState:
    """Run the last steps (search index, zip) over a staged site when they must, swap it in, and say what
    is there now."""
    staging = staged.staging
    try:
        if staged.made is None:
            made, final, contents = run_finish(staging, staged.lender, staged.live, progress, staged.searched,
                                               staged.digests, staged.keep and search_farms(staged.keep))
            placed = {rel: (size, ino) for rel, (size, ino, _) in final.items()}
        else:  # what the folder holds is what was put there (the sweep removed the rest): no walk needed
            made, placed, contents = staged.made, staging.placed, staged.finish_digests
        progress.mark("search index+zip")
    except BaseException as exc:
        _abort(staging, staged.keep)
        if isinstance(exc, OSError):
            raise environment_fault(exc, staged.out, staging.path) from None
        raise
    try:
        staging.commit(keep=staged.keep)
    except OSError as exc:
        raise environment_fault(exc, staged.out, staging.path) from None
    progress.mark("swap")
    digests = staged.digests
    files = {rel: (digests.get(rel) or contents.get(rel, ""), size, ino) for rel, (size, ino) in placed.items()}
    links = {path: (r.ids, r.targets, r.indexed) for path, r in staged.pages.items()}
    return OutputState("", files, staged.fingerprints, staged.before, made, links=links)


def align_spare(out: Path, files: dict[str, tuple[str, int, int]], spare: Path) -> None:
    """Make `spare` (the site the build into `out` replaced, if any) hold the site now in `out` (`files`, as
    recorded), by hard links. The next build recycles it (`Staging`), and then puts in place only what that
    build changes. A live server does this after its first build, before the editor's first edit: after a
    full build the spare is another site, or none, and the first edit would link every file of the site."""
    staging = Staging(out, spare if spare.is_dir() else None)
    try:
        for rel, (_, size, inode) in files.items():
            staging.link(rel, size, inode)
        staging.sweep(set(files))
        os.rename(staging.path, spare)  # back where the next build looks for it (recycling took it away)
    except OSError:  # no spare then: the next build starts from an empty folder, only slower
        staging.abort()


def _abort(staging: Staging, keep: Path | None) -> None:
    """Remove the staging folder; what cannot be removed goes beside `keep`, in .cache/."""
    staging.abort(keep and keep.with_name(keep.name + "-trash"))


def check_only(site: Site, problems: Problems, progress: Progress, jobs: int | None = None) -> dict[str, PageOut]:
    results = render_pages(PageWorker(site.renderer, None, None), site.pages, progress, jobs)
    pages = {page.path: result for page, result in zip(site.pages, results)}
    check(pages, site, problems)
    return pages


__all__ = ["PageOut", "Site", "Staged", "align_spare", "check_only", "finish_output", "plan_site", "stage_output"]

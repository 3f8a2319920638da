"""One explicit incremental state: what the last build read, made and wrote, for the next to redo only what changed.

The live server holds one `IncrementalState` in memory from build to build; the command line loads it from the
store (PROJECT/.cache/build.sqlite3) and saves it back. It holds:

- the inputs: every input file's stamp and the digest of the bytes read (`inputs.Snapshot`);
- the briefs: each brief's load, resolve and render result, keyed by the digest of the brief's bytes as read
  and by what it reads of the rest (`briefs.brief_key`);
- the content but the briefs (people, sources with their seeds, claims, pages…) as loaded, with what was
  derived from it alone (the entity matcher, the resolved rest): loaded again only when one of those files
  changed, by the live server and by the command line (which stores it);
- per output folder: each page's fingerprint (`fingerprints.Fingerprints`), each file's digest and inode, each
  page's anchors and links, and the last build's problems, so a build with nothing to do still reports them.

Everything is also keyed by the engine's digest: other code starts from nothing. Absent, the state is only
slower; a stored row that fails its check is dropped (`store.Store`), never used.
"""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from builder.config import Paths
from builder.incremental import quick
from builder.incremental.inputs import REFUSED, TRUST_AFTER_NS, Snapshot, Stamp, engine_digest, engine_probes, sha
from builder.incremental.secret import cache_key
from builder.incremental.sitecheck import FolderStamps, output_probes, site_matches
from builder.incremental.store import Store
from builder.problems import Problem

if TYPE_CHECKING:  # the model is imported only by a build with something to do
    from builder.model import BriefResult, Project
    from builder.resolve import MergeMemo
    from builder.write import Survey

# A page's ids, where its links point, and the digest of what the search index reads of it
Links = tuple[frozenset[str], tuple[tuple[str, str, str], ...], str]
CONTENT_KEY = "content"  # the store's row of the content but the briefs (`HeldContent`)


@dataclass
class InputRecord:
    """The last scan: each input's stamp, and the time before which an unchanged stamp is trusted."""

    stamps: dict[str, Stamp]
    trusted_before_ns: int


@dataclass
class OutputState:
    """The last successful build into one output folder."""

    inputs: str  # inputs_digest of that build
    files: dict[str, tuple[str, int, int]]  # site path → (sha256 or "" when unknown, size, inode)
    pages: dict[str, str]  # page path → fingerprint
    before_finish: str  # digest of the site before the last steps (search index, zip) ran over it
    finish_files: tuple[str, ...]  # what those steps added or replaced
    problems: list[Problem] = field(default_factory=list)
    page_count: int = 0
    spare: str = ""  # the folder in .cache/ holding the site this build replaced, for the next to recycle
    engine: str = ""  # the engine that made it: a state from other code is not used
    links: dict[str, Links] = field(default_factory=dict)  # page path → its anchors, link targets, search digest
    record: str = ""  # names this build's record: its `PageRecord` row in the store carries the same


@dataclass
class PageRecord:
    """The pages' part of an `OutputState` in the store, a row of its own: a build with nothing to do needs
    only the files and the problems, and reading the pages' fingerprints, anchors and links too was most of
    its time at 10,000 briefs. The pages themselves are in `PAGE_BUCKETS` rows (`PageBucket`), so that a
    build writes again only the buckets holding a page whose fingerprint changed (writing them all was a
    second at 10,000 briefs, for an edit that changed two pages)."""

    record: str  # the `OutputState.record` it belongs to
    buckets: dict[int, str]  # bucket number → the digest of its pages (`bucket_digest`), which its row carries


@dataclass
class PageBucket:
    """Some pages of an output record (`bucket_of` their path): their fingerprints, anchors and links."""

    digest: str  # `bucket_digest(pages)`: the record that names it names exactly these pages
    pages: dict[str, str]
    links: dict[str, Links]


PAGE_BUCKETS = 64


def bucket_of(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % PAGE_BUCKETS


def bucket_digest(pages: dict[str, str]) -> str:
    """The bucket's pages and their fingerprints. A page's anchors and links are a function of those (a
    fingerprint is a digest of everything its rendering receives), so they need no digest of their own."""
    return sha(repr(sorted(pages.items())))


def page_buckets(pages: dict[str, str], links: dict[str, Links]) -> dict[int, PageBucket]:
    split: dict[int, PageBucket] = {}
    for path, fingerprint in pages.items():
        bucket = split.get(n := bucket_of(path))
        if bucket is None:
            bucket = split[n] = PageBucket("", {}, {})
        bucket.pages[path] = fingerprint
        if path in links:
            bucket.links[path] = links[path]
    for bucket in split.values():
        bucket.digest = bucket_digest(bucket.pages)
    return split


@dataclass
class HeldContent:
    """The content but the briefs as loaded (`briefs.load_content_once`), and the problems loading it found."""

    inputs: str  # Snapshot.digest(engine, leaving_out=the briefs folder) of the bytes it was loaded from
    project: Project | None
    problems: list[Problem]
    derived: dict[str, Any] = field(default_factory=dict)  # worked out from it alone (briefs.derived)

    def __getstate__(self) -> dict[str, Any]:
        """Stored without what a process makes again quicker than it reads it (`briefs.derived`)."""
        return {**self.__dict__, "derived": {k: v for k, v in self.derived.items() if k not in MEMORY_ONLY}}


MEMORY_ONLY = frozenset({"worker", "exports"})  # what `HeldContent.derived` keeps only in memory


def unchanged_file(out: Path, rel: str, state: OutputState | None) -> bool:
    """`rel` in the previous site is still the file the last build wrote (so it may be linked)."""
    return state is not None and recorded_file(out, rel, state.files)


def recorded_file(out: Path, rel: str, files: Mapping[str, tuple[str, int, int]]) -> bool:
    """`rel` in `out` is still the file a build recorded in `files` (digest, size, inode) as it wrote it."""
    return bool(recorded_files(out, (rel,), files))


def recorded_files(out: Path, rels: Iterable[str], files: Mapping[str, tuple[str, int, int]]) -> list[str]:
    """Those of `rels` that `out` still holds as a build recorded them in `files` (digest, size, inode) when
    it wrote them: the same inode and size, and the fixed time the build gives every file."""
    base, kept = f"{out}/", []  # strings: a Path object per file costs more than its stat
    for rel in rels:
        record = files.get(rel)
        if record is None:
            continue
        try:
            st = os.lstat(base + rel)
        except OSError:
            continue
        if st.st_mtime_ns == 0 and st.st_ino == record[2] and st.st_size == record[1]:
            kept.append(rel)
    return kept


def spare_folder(paths: Paths, out: Path) -> Path:
    """A new, unguessable place in .cache/ for the site a build into `out` replaces (see write.Staging)."""
    import secrets  # here and below, not above: a build with nothing to do needs neither (nor shutil)

    return paths.cache / f"spare-{sha(str(out))[:12]}-{secrets.token_hex(8)}"


def search_farms(spare: Path) -> Path:
    """Beside a spare (`spare_folder`), for the same output folder: where the pages each search bundle was
    made from are kept, for the next build to bring up to date (`search._farm`)."""
    return spare.with_name("search-" + spare.name.split("-")[1])


def remove_old_spares(paths: Paths, out: Path, keep: str) -> None:
    """Spares of `out` nobody recycled (a build failed or was killed first); not fresh ones: a build
    running now may be about to take one."""
    import shutil

    prefix, limit = f"spare-{sha(str(out))[:12]}-", time.time() - 600
    try:
        for entry in os.scandir(paths.cache):
            if entry.name.startswith(prefix) and entry.name != keep and entry.stat().st_mtime < limit:
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass


class IncrementalState:
    """What one build leaves for the next; see the module's docstring. `store` None: memory only."""

    def __init__(self, paths: Paths, store: Store | None) -> None:
        self.paths = paths
        self.store = store
        self.engine = engine_digest()
        self.inputs: InputRecord | None = None
        self._stored_stamps: dict[str, Stamp] | None = None  # those of the record the store holds, if known
        self.briefs: dict[str, BriefResult] = {}  # the last build's, by key
        self.outputs: dict[str, OutputState] = {}  # by output folder
        self._files_read: dict[str, OutputState] = {}  # an output row read without its pages, not read twice
        self._stored_buckets: dict[str, dict[int, str]] = {}  # by output folder: the page buckets the store holds
        self.compiled: dict[str, bytes] = {}  # templates compiled in this process (compiled.CompiledTemplates)
        self.content: HeldContent | None = None  # the last build's content but the briefs
        self._content_is_new = False  # loaded by this process: the store does not hold it yet
        self.digested: dict[int, tuple[Any, str]] = {}  # model objects the last build digested (memory only)
        self.planned: dict[str, Any] = {}  # its pages' inputs and fingerprints (same; `fingerprints.Plans`)
        self.planned_from: Project | None = None  # the model they were planned from (same)
        self.brief_keys: tuple[str, dict[tuple[str, str], str]] = ("", {})  # `briefs.load_briefs` (same)
        self.merged: MergeMemo | None = None  # the last merge of the graph's shares (same; `briefs.load_and_resolve`)
        # the spare folder, surveyed (same; `survey_spare`): its path, the survey, whether every folder was old
        # enough to be stamped, and when it was taken
        self._survey: tuple[str, Survey, bool, int] | None = None
        self._scanned_at = 0

    @classmethod
    def open(cls, paths: Paths, persist: bool = True) -> IncrementalState:
        """The state the store holds for `paths` (loaded as needed); `persist=False` reads and writes nothing."""
        return cls(paths, Store(paths.cache / "build.sqlite3") if persist else None)

    def release(self) -> None:
        """Let go of what only a later build in this process would start from (the model, its briefs, the
        compiled templates, the last build's record): the command line's build has no later build."""
        self.briefs, self.outputs, self._files_read, self.compiled = {}, {}, {}, {}
        self.content, self.digested, self.planned, self.planned_from = None, {}, {}, None
        self.merged, self.brief_keys, self._survey = None, ("", {}), None

    # -- the content but the briefs -------------------------------------------------------------------
    def held_content(self, inputs: str) -> HeldContent | None:
        """The content as a build loaded it from inputs of digest `inputs` (`HeldContent.inputs`): the one
        held in memory, else the store's (the last command-line build's, with what was derived from it)."""
        if self.content is not None and self.content.inputs == inputs:
            return self.content
        stored = self.store.get(CONTENT_KEY, HeldContent) if self.store is not None else None
        if stored is None or stored.inputs != inputs:
            return None
        self.content, self._content_is_new = stored, False
        return stored

    def hold_content(self, content: HeldContent) -> None:
        self.content, self._content_is_new = content, True

    def save_content(self) -> None:
        """Store the content loaded by this process, with what has been derived from it by now, for the next
        process's build: at 10,000 briefs loading and deriving it was a second and a half of every build."""
        if self.store is not None and self.content is not None and self._content_is_new:
            self.store.put_many({CONTENT_KEY: self.content})
            self._content_is_new = False

    @property
    def notes(self) -> list[str]:
        return self.store.notes if self.store else []

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    # -- inputs -----------------------------------------------------------------------------------
    def scan(self) -> Snapshot:
        self._scanned_at = time.time_ns()
        if self.inputs is None and self.store is not None:
            self.inputs = self.store.get("inputs", InputRecord)
            self._stored_stamps = self.inputs.stamps if self.inputs is not None else None
        known = self.inputs or InputRecord({}, 0)
        return Snapshot.scan(self.paths, known.stamps, known.trusted_before_ns)

    def remember_inputs(self, snapshot: Snapshot, refresh: bool = False, save: bool = True) -> None:
        """Record the stamps of the bytes this build read (a file changed within a second of the scan is
        read again next time, whatever its stamp says); `refresh`: save it even with the same stamps, for the
        files read again that it now trusts; `save=False`: in memory only (the store keeps older stamps, whose
        files a later command's build reads again)."""
        record = InputRecord(dict(snapshot.stamps), self._scanned_at - TRUST_AFTER_NS)
        self.inputs = record
        if self.store is not None and save and (refresh or self._stored_stamps != record.stamps):
            self.store.put_many({"inputs": record})
            self._stored_stamps = record.stamps

    # -- briefs -----------------------------------------------------------------------------------
    def get_briefs(self, keys: list[str]) -> dict[str, BriefResult]:
        found = {k: self.briefs[k] for k in keys if k in self.briefs}
        missing = [k for k in keys if k not in found]
        if missing and self.store is not None:
            from builder.model import BriefResult  # here: a build with nothing to do never needs the model
            rows = self.store.get_many(["brief:" + k for k in missing], BriefResult)
            found.update((k[len("brief:"):], v) for k, v in rows.items())
        return found

    def put_briefs(self, fresh: dict[str, BriefResult], used: dict[str, BriefResult]) -> None:
        """This build's briefs (`used`, by key), of which `fresh` were worked out now."""
        self.briefs = dict(used)  # what the next build in this process starts from: no older versions
        if self.store is not None:
            self.store.put_many({"brief:" + k: v for k, v in fresh.items()}, "brief:", {"brief:" + k for k in used})

    # -- output folders ---------------------------------------------------------------------------
    def output(self, out: Path, whole: bool = True) -> OutputState | None:
        """The last build into `out`; `whole=False`: its files and problems may do (the pages' part is not
        read from the store)."""
        key = str(out)
        state = self.outputs.get(key)
        if state is None and self.store is not None:
            state = self._files_read.pop(key, None) or self.store.get("output:" + key, OutputState)
            if state is None or state.engine != self.engine:
                return None  # other code made it: its pages are not read either
            if not whole:
                self._files_read[key] = state  # a build that goes on asks for the whole record next
            else:
                if not self._read_pages(key, state):
                    return None  # not the pages of that build: as if there were no record
                self.outputs = {key: state}
        return state if state is not None and state.engine == self.engine else None

    def survey_spare(self, out: Path) -> None:
        """List the site the last build into `out` replaced (kept in .cache/ for the next build to start
        from), for the live server while the editor is not waiting: the next build then takes that listing
        (`write.inventory`) instead of listing the folder again, folder by folder where the folder's stamp
        is the same. Nothing writes to the spare folder until that build takes it."""
        record = self.outputs.get(str(out))
        if record is None or not record.spare:
            return
        spare = str(self.paths.cache / record.spare)
        now = time.time_ns()
        if self._survey is not None and self._survey[0] == spare and \
                (self._survey[2] or now - self._survey[3] < TRUST_AFTER_NS):
            return  # done, or some folders were too new to trust a moment ago: again once they are not
        from builder.write import survey  # here: only the live server surveys

        try:
            found = survey(Path(spare), now - TRUST_AFTER_NS)
        except OSError:
            found = None
        self._survey = None if found is None else \
            (spare, found, len(found.stamps) == len(found.listing) - 1, now)  # every folder but the top

    def surveyed(self, spare: Path | None) -> Survey | None:
        """The survey of `spare`, if `survey_spare` took one; a build takes it once (it moves the folder)."""
        taken, self._survey = self._survey, None
        return taken[1] if taken is not None and spare is not None and taken[0] == str(spare) else None

    def put_output(self, out: Path, state: OutputState) -> None:
        """Remember the build into `out`. A deferred build (the live server's, while an editor types) stays in
        memory only: pickling a large site's record cost a third of an edit's rebuild, and the full build
        that follows once saves pause records it. Its absence from the store is only slower, never wrong: a
        record found there is checked against the files in `out`, inode by inode."""
        import secrets

        state.engine = self.engine
        state.record = secrets.token_hex(8)
        self.outputs = {str(out): state}  # one site at a time: a server serves one
        self._files_read.clear()
        if self.store is not None and state.before_finish:
            key = str(out)
            files_part = replace(state, pages={}, links={})
            buckets = page_buckets(state.pages, state.links)
            stored = self._stored_buckets.pop(key, {})
            rows: dict[str, Any] = {f"output-bucket:{n}:{key}": bucket for n, bucket in buckets.items()
                                    if stored.get(n) != bucket.digest}
            rows.update({"output:" + key: files_part,
                         "output-pages:" + key: PageRecord(state.record, {n: b.digest for n, b in buckets.items()})})
            if self.store.put_many(rows):
                self._stored_buckets[key] = {n: b.digest for n, b in buckets.items()}

    def _read_pages(self, key: str, state: OutputState) -> bool:
        """The pages' part of the record `state` (read without it) from the store: False unless every bucket
        is there and is the one that record names."""
        assert self.store is not None
        self._stored_buckets.pop(key, None)
        record = self.store.get("output-pages:" + key, PageRecord)
        if record is None or not state.record or record.record != state.record:
            return False
        rows = self.store.get_many([f"output-bucket:{n}:{key}" for n in record.buckets], PageBucket)
        pages: dict[str, str] = {}
        links: dict[str, Links] = {}
        for n, digest in record.buckets.items():
            bucket = rows.get(f"output-bucket:{n}:{key}")
            if bucket is None or bucket.digest != digest:
                return False
            pages.update(bucket.pages)
            links.update(bucket.links)
        state.pages, state.links = pages, links
        self._stored_buckets[key] = dict(record.buckets)
        return True

    def unchanged(self, out: Path | None, snapshot: Snapshot) -> OutputState | None:
        """The last build into `out`, when it had the same inputs and `out` still holds what it wrote."""
        if out is None:
            return None
        previous = self.output(out, whole=False)
        folders = None
        if previous is not None and previous.inputs == snapshot.digest(self.engine):
            folders = site_matches(out, previous, self.store)
        if previous is None or folders is None:
            if self.store is not None:
                quick.forget(str(self.paths.cache))  # whatever it says, this build decides otherwise
            return None
        if snapshot.data:  # files read again, with the same bytes: else every build with nothing to do reads them
            self.remember_inputs(snapshot, refresh=True)
        self._leave_manifest(out, snapshot, previous, folders)
        return previous

    def _leave_manifest(self, out: Path, snapshot: Snapshot, previous: OutputState, folders: FolderStamps) -> None:
        """For the next command (`quick.answer`): what this build with nothing to do depended on, when all of it
        is old enough that a change would show in its stamps (and the build had nothing to report)."""
        if self.store is None or previous.problems or any(s[:3] == REFUSED for s in snapshot.stamps.values()):
            return
        stamps = [(path, size, inode, mtime) for path, (size, mtime, inode, _) in snapshot.stamps.items()]
        probes = [*snapshot.folders, *stamps, *engine_probes(), *output_probes(out, previous, folders)]
        trusted_before = self._scanned_at - TRUST_AFTER_NS
        if all(mtime < trusted_before for *_, mtime in probes):
            quick.record(str(self.paths.cache), cache_key(), str(self.paths.root), str(out), previous.page_count,
                         len(previous.files), probes)

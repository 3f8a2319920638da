"""The build cache in PROJECT/.cache/: what the last build read and wrote, so the next redoes only what changed.

- inputs: every file a build reads (content/, seeds/, the templates and assets folders), by sha256; a file
  whose size, mtime and inode are unchanged since an earlier scan keeps its digest without being read;
- briefs: each brief's load and resolve result and its rendered body, keyed by the brief's bytes and by
  what it reads of the rest (the sources' words, and the names of people and organisations);
- per output folder: each page's fingerprint (a digest of exactly what its template receives, see
  `Fingerprints`), each file's digest and inode, so unchanged pages are neither rendered nor rewritten,
  and the last build's problems, so a build with nothing to do still reports its warnings.

All of it is keyed by `engine_digest()` (the engine's code, Python and the installed packages): any change
there starts from nothing. The cache is an optimisation only: unusable, locked or missing, the build runs
without it. It holds pickles, so it is trusted only when it carries a tag made with a key kept outside the
project (a cache committed to a repository or copied from elsewhere is discarded, never unpickled).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import shutil
import sqlite3
import sys
import sysconfig
import time
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from builder.config import ENGINE_ROOT, Paths
from builder.model import BriefCard, Document, Entity, Markdown, Page, Project, SiteConfig, Source
from builder.problems import Problem

FORMAT = 3  # bump when what the cache stores changes shape
ENV_INPUTS = ("BRIEFING_BASE_URL", "SOURCE_DATE_EPOCH")  # settings the build reads from the environment
Stamp = tuple[int, int, int, str]  # size, mtime_ns, inode, sha256
Links = tuple[frozenset[str], tuple[tuple[str, str, str], ...]]  # a page's ids, and where its links point


# -- digests --------------------------------------------------------------------------------------
def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data).hexdigest()


_engine: str | None = None


def engine_digest() -> str:
    """The engine's own code, the Python running it and the packages installed beside it."""
    global _engine
    if _engine is None:
        h = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
        for path in sorted((ENGINE_ROOT / "builder").rglob("*.py")):
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        try:  # every installed distribution with its version: an upgrade invalidates the cache
            site = Path(sysconfig.get_paths()["purelib"])
            h.update("\0".join(sorted(n for n in os.listdir(site) if n.endswith(".dist-info"))).encode())
        except OSError:
            h.update(b"no site-packages")
        _engine = h.hexdigest()
    return _engine


def input_roots(paths: Paths) -> list[Path]:
    """Every folder whose files a build reads; the engine's code is covered by `engine_digest`."""
    roots = [paths.content, paths.seeds, *paths.template_dirs, *paths.asset_dirs]
    return [r for r in dict.fromkeys(roots) if r.is_dir()]


def scan_inputs(paths: Paths, known: dict[str, Stamp], trusted_before_ns: int) -> dict[str, Stamp]:
    """A stamp for every input file. A recorded digest is kept when size, mtime and inode match and the
    file was last changed well before that record was made (else an edit in the same clock tick could hide)."""
    out: dict[str, Stamp] = {}
    for root in input_roots(paths):
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue  # a dangling link or a file deleted mid-scan: the loader reports what matters
                old = known.get(path)
                if old and old[:3] == (st.st_size, st.st_mtime_ns, st.st_ino) and st.st_mtime_ns < trusted_before_ns:
                    out[path] = old
                    continue
                try:
                    with open(path, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                except OSError:
                    continue
                out[path] = (st.st_size, st.st_mtime_ns, st.st_ino, digest)
    return out


def inputs_digest(stamps: dict[str, Stamp]) -> str:
    h = hashlib.sha256(engine_digest().encode())
    for key in ENV_INPUTS:
        h.update(f"\0{key}={os.environ.get(key, '')}".encode())
    for path, stamp in sorted(stamps.items()):
        h.update(f"\0{path}\0{stamp[3]}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


@dataclass
class Inputs:
    """Every input file's stamp and the digest of them all (with the engine and the settings it reads)."""

    stamps: dict[str, Stamp]
    digest: str


def scan(paths: Paths, store: Store) -> Inputs:
    started = time.time_ns()
    known, trusted_before = store.get_meta("inputs") or ({}, 0)
    stamps = scan_inputs(paths, known, trusted_before)
    if stamps.keys() != known.keys() or any(known[k] is not v for k, v in stamps.items()):
        # Some file was read (changed, new, or too recent to trust): record the digests. A file changed
        # within a second of this scan is read again next time, whatever its stamp says.
        store.put_meta("inputs", (stamps, started - 1_000_000_000))
    return Inputs(stamps, inputs_digest(stamps))


# -- what a build remembers of its output folder --------------------------------------------------
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
    engine: str = field(default_factory=lambda: engine_digest())  # a state from other code is not used


Walk = dict[str, tuple[int, int, int]]  # site path → (size, inode, mtime_ns)


def walk_site(folder: Path) -> Walk:
    """site path → (size, inode, mtime_ns) of every file under `folder`."""
    out: dict[str, tuple[int, int, int]] = {}
    base = len(str(folder)) + 1
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    st = entry.stat(follow_symlinks=False)
                    out[entry.path[base:].replace(os.sep, "/")] = (st.st_size, st.st_ino, st.st_mtime_ns)
    return out


def site_matches(out: Path, state: OutputState) -> bool:
    """The folder holds exactly the files the last build wrote there, none of them changed since.

    Every file the build writes has mtime 0, so a file edited in place shows a new mtime."""
    try:
        found = walk_site(out)
    except OSError:
        return False
    if found.keys() != state.files.keys():
        return False
    return all(size == state.files[rel][1] and ino == state.files[rel][2] and mtime == 0
               for rel, (size, ino, mtime) in found.items())


def unchanged_file(out: Path, rel: str, state: OutputState | None) -> bool:
    """`rel` in the previous site is still the file the last build wrote (so it may be linked)."""
    if state is None or rel not in state.files:
        return False
    try:
        st = os.stat(out / rel, follow_symlinks=False)
    except OSError:
        return False
    _, size, ino = state.files[rel]
    return st.st_size == size and st.st_ino == ino and st.st_mtime_ns == 0


def spare_folder(paths: Paths, out: Path) -> Path:
    """A new, unguessable place in .cache/ for the site a build into `out` replaces (see write.Staging)."""
    return paths.cache / f"spare-{sha(str(out))[:12]}-{secrets.token_hex(8)}"


def remove_old_spares(paths: Paths, out: Path, keep: str) -> None:
    """Spares of `out` nobody recycled (a build failed or was killed first); not fresh ones: a build
    running now may be about to take one."""
    prefix, limit = f"spare-{sha(str(out))[:12]}-", time.time() - 600
    try:
        for entry in os.scandir(paths.cache):
            if entry.name.startswith(prefix) and entry.name != keep and entry.stat().st_mtime < limit:
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass


# -- the store ------------------------------------------------------------------------------------
def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "briefing" / "cache-key"


def _secret() -> bytes | None:
    """A random key kept outside every project: only caches this user's builds made are trusted."""
    path = _key_file()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path) if not path.exists() else tmp.unlink()
        return path.read_bytes()
    except OSError:
        return None


# The briefs the last build in this process read or made, per cache database (by its nonce): the live
# server builds again and again in one process, and unpickling every brief was a quarter of an edit's
# rebuild. Safe to share between builds because nothing changes a BriefResult once made (the graph merge
# copies its lists and counters). Holds one build's briefs per database, which that build holds anyway.
_RECENT: dict[bytes, dict[str, Any]] = {}
# And the output record it saved last: (database nonce, output folder) → (generation, state, links).
_LAST_OUTPUT: dict[tuple[bytes, str], tuple[bytes, Any, Any]] = {}


class Store:
    """PROJECT/.cache/build.sqlite3: briefs by key, output states by folder. Every failure disables it."""

    def __init__(self, paths: Paths) -> None:
        self.db: sqlite3.Connection | None = None
        self.identity = b""  # the database's nonce: a new database (deleted, foreign) shares nothing in _RECENT
        secret = _secret()
        if secret is None:
            return
        try:
            paths.cache.mkdir(exist_ok=True)
            self.db, self.identity = self._open(paths.cache / "build.sqlite3", secret)
        except (OSError, sqlite3.Error):
            self.db = None

    @staticmethod
    def _open(path: Path, secret: bytes) -> tuple[sqlite3.Connection, bytes]:
        """The database and its nonce, emptied first unless its tag shows this user's builds made it."""
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB)")
        db.execute("CREATE TABLE IF NOT EXISTS briefs (k TEXT PRIMARY KEY, v BLOB)")
        db.execute("CREATE TABLE IF NOT EXISTS outputs (k TEXT PRIMARY KEY, v BLOB)")
        row = db.execute("SELECT v FROM meta WHERE k = 'tag'").fetchone()
        nonce_row = db.execute("SELECT v FROM meta WHERE k = 'nonce'").fetchone()
        if row and nonce_row and hmac.compare_digest(row[0], hmac.new(secret, nonce_row[0], "sha256").digest()):
            return db, nonce_row[0]
        # Not made by this user (or new): start empty, then tag it as ours.
        with db:
            db.execute("BEGIN IMMEDIATE")
            for table in ("meta", "briefs", "outputs"):
                db.execute(f"DELETE FROM {table}")
            nonce = secrets.token_bytes(16)
            db.execute("INSERT INTO meta VALUES ('nonce', ?), ('tag', ?)",
                       (nonce, hmac.new(secret, nonce, "sha256").digest()))
        return db, nonce

    def _run(self, action: Callable[[sqlite3.Connection], Any], default: Any = None) -> Any:
        if self.db is None:
            return default
        try:
            return action(self.db)
        except (sqlite3.Error, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return default  # a broken or foreign entry is a cache miss, never a failed build

    def get_briefs(self, keys: Iterable[str]) -> dict[str, Any]:
        recent = _RECENT.get(self.identity, {})

        def fetch(db: sqlite3.Connection) -> dict[str, Any]:
            wanted = list(dict.fromkeys(keys))
            found: dict[str, Any] = {k: recent[k] for k in wanted if k in recent}
            wanted = [k for k in wanted if k not in found]
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                rows = db.execute(f"SELECT k, v FROM briefs WHERE k IN ({','.join('?' * len(part))})", part)
                found.update((k, pickle.loads(v)) for k, v in rows)
            _RECENT.clear()  # one database at a time: a server serves one project
            _RECENT[self.identity] = dict(found)
            return found
        return self._run(fetch, {})

    def put_briefs(self, items: dict[str, Any], keep: set[str]) -> None:
        def put(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO briefs VALUES (?, ?)",
                               [(k, pickle.dumps(v, protocol=5)) for k, v in items.items()])
                _RECENT.setdefault(self.identity, {}).update(items)
                count = db.execute("SELECT COUNT(*) FROM briefs").fetchone()[0]
                if count > 2 * len(keep) + 100:  # old versions pile up with every edit: keep this build's
                    stale = [(k,) for (k,) in db.execute("SELECT k FROM briefs") if k not in keep]
                    db.executemany("DELETE FROM briefs WHERE k = ?", stale)
        self._run(put)

    def _written_here(self, db: sqlite3.Connection, out: Path) -> tuple[OutputState, dict[str, Links]] | None:
        """The output record this process saved last for `out`, if the database still holds that very one
        (another process building into `out` writes a new generation)."""
        held = _LAST_OUTPUT.get((self.identity, str(out)))
        row = db.execute("SELECT v FROM outputs WHERE k = ?", ("generation:" + str(out),)).fetchone()
        return held[1:] if held and row and row[0] == held[0] else None  # type: ignore[return-value]

    def get_links(self, out: Path) -> dict[str, Links]:
        """Each page's anchors and link targets, as the last build into `out` found them."""
        def fetch(db: sqlite3.Connection) -> dict[str, Links]:
            if here := self._written_here(db, out):
                return here[1]
            row = db.execute("SELECT v FROM outputs WHERE k = ?", ("links:" + str(out),)).fetchone()
            return pickle.loads(row[0]) if row else {}
        return self._run(fetch, {})

    def get_output(self, out: Path) -> OutputState | None:
        def fetch(db: sqlite3.Connection) -> OutputState | None:
            if here := self._written_here(db, out):
                state: Any = here[0]
            else:
                row = db.execute("SELECT v FROM outputs WHERE k = ?", (str(out),)).fetchone()
                state = pickle.loads(row[0]) if row else None
            return state if isinstance(state, OutputState) and state.engine == engine_digest() else None
        return self._run(fetch)

    def put_output(self, out: Path, state: OutputState, links: dict[str, Links]) -> None:
        generation = secrets.token_bytes(16)

        def put(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", [
                    (str(out), pickle.dumps(state, protocol=5)),
                    ("links:" + str(out), pickle.dumps(links, protocol=5)),
                    ("generation:" + str(out), generation)])
            # Like _RECENT: the next build in this process (the live server's) need not unpickle it again.
            _LAST_OUTPUT.clear()
            _LAST_OUTPUT[(self.identity, str(out))] = (generation, state, links)
        self._run(put)

    def get_meta(self, key: str) -> Any:
        def fetch(db: sqlite3.Connection) -> Any:
            row = db.execute("SELECT v FROM meta WHERE k = ?", ("x:" + key,)).fetchone()
            return pickle.loads(row[0]) if row else None
        return self._run(fetch)

    def put_meta(self, key: str, value: Any) -> None:
        self._run(lambda db: db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                        ("x:" + key, pickle.dumps(value, protocol=5))))

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
            self.db = None


# -- a brief's body from the cache ----------------------------------------------------------------
_parser: Any = None


class Prerendered(Markdown):
    """A brief's body as the cache keeps it: the HTML its page shows; tokens are parsed only if asked for."""

    def __init__(self, text: str, pos: Any, html: dict[str, str]) -> None:
        super().__init__(text, pos)
        self.html = html  # root ("../../") → HTML rendered with the links of a page at that depth

    @property  # type: ignore[override]
    def tokens(self) -> list[Any]:
        global _parser
        if self._tokens is None:
            if _parser is None:
                from builder.markup import create_markdown
                _parser = create_markdown()
            self._tokens = _parser.parse(self.text)
        return self._tokens

    @tokens.setter
    def tokens(self, value: list[Any]) -> None:
        self._tokens = value or None


# -- page fingerprints ----------------------------------------------------------------------------
_SKIP = frozenset({"pos", "key_lines", "tokens"})  # where a thing sits in its file is never shown on a page
_MEMO_TYPES = (Document, Entity, Source, BriefCard)  # shared by many pages: digested once each


_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}
_WHOLE: dict[type, bool] = {}  # every field counts (none skipped)


class Canon:
    """A stable, hashable stand-in for the data a page reads; model objects are digested once per build."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return obj
        if kind is list or kind is tuple:
            return tuple(x if type(x) in _PLAIN else self(x) for x in obj)
        if isinstance(obj, str):  # Markup and other str subclasses: their text
            return str(obj)
        if isinstance(obj, dict):
            return ("dict", tuple(sorted(((repr(k), self(v)) for k, v in obj.items()), key=lambda kv: kv[0])))
        if isinstance(obj, (list, tuple)):
            return tuple(self(x) for x in obj)
        if isinstance(obj, (set, frozenset)):
            return ("set", tuple(sorted(repr(self(x)) for x in obj)))
        if isinstance(obj, Markdown):
            return ("md", obj.text)
        if is_dataclass(obj) and not isinstance(obj, type):
            return self._dataclass(obj)
        raise TypeError(f"no stable digest for {kind.__name__}: teach builder.cache.Canon about it")

    def _dataclass(self, obj: Any) -> Any:
        hit = self.memo.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        kind = type(obj)
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in fields(obj) if f.name not in _SKIP)
            _WHOLE[kind] = len(names) == len(fields(obj))
        state = getattr(obj, "__dict__", None)
        if _WHOLE[kind] and state is not None and len(state) == len(names):
            values: Iterable[Any] = state.values()  # the fields in order, and nothing else: the fast way
        else:
            values = (getattr(obj, name) for name in names)
        value = (kind.__name__, tuple(v if type(v) in _PLAIN else self(v) for v in values))
        if isinstance(obj, _MEMO_TYPES):
            value = sha(repr(value))  # type: ignore[assignment]
            self.memo[id(obj)] = (obj, value)  # type: ignore[assignment]
        return value


def links_digest(project: Project) -> str:
    """What rendering a brief's text reads of the rest: names (for mentions and wiki links), sources' words and kinds."""
    canon = Canon()
    names = [(e.kind, e.id, e.name, e.aliases, e.native_names) for e in project.entities]
    sources = [(s.id, s.short, s.title, s.kind, canon(s.text)) for s in project.sources]  # kind: citation previews
    return sha(repr((names, sources)))


class Fingerprints:
    """For each page, a digest of exactly what its rendering receives: its path, title and description, its
    explicit context (builder/pages.py), the site settings, the templates, the engine, and the link tables
    its filters reach (`links_digest`). Nothing else is given to a template, so no page can go stale."""

    def __init__(self, site: SiteConfig, links: str, templates: str) -> None:
        self.canon = Canon()
        self.frame = sha(repr((engine_digest(), templates, links, self.canon(site))))

    def of(self, page: Page) -> str:
        own = (page.path, page.template, page.title, page.description, self.canon(page.context))
        return sha(repr((self.frame, own)))

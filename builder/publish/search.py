"""Find and follow: every spelling of a name leads to its page, with JavaScript or without.

- alias pages: people/kolesnikova/ sends the reader on to people/kalesnikava/;
- the A–Z of every spelling (people and organisations index pages), which needs no script;
- the search page, and Pagefind run over the finished pages in the staging folder.

The search index covers what a reader searches for (briefs, people, organisations, sources, claims and the
other content pages), not lists, redirects or the not-found page, nor, on a page, the lists of other pages
that cite or name it (marked `data-pagefind-ignore="all"`: a search for a brief's title finds the brief, not
every page listing it). It is split into bundles of at most `SHARD_PAGES` pages, each a whole Pagefind index
that the search page merges: Pagefind holds a bundle's pages in memory while it indexes them, so this bounds
the memory a build needs, and a bundle whose pages read, to Pagefind, as the live site's do is kept from it
instead of being indexed again. An edit to a brief re-indexes the brief's bundle, not those of the people and
sources whose lists of briefs it changed.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import json
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from builder.model import Entity, Page, Project
from builder.parallel import cores
from builder.problems import BuildFailed, Pos, Problems
from builder.textutil import slugify
from builder.write import folders_of, inventory

# Latin letters that Unicode does not decompose into an ASCII letter plus accents.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
                       "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "ð": "d"})
# The files of Pagefind's output the search page uses; the rest (other UIs, highlighting) is dropped.
PAGEFIND_DIR = "pagefind"
PAGEFIND_UI = ("pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css")
_UNUSED = ("pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-modular-ui.js",
           "pagefind-modular-ui.css", "pagefind-highlight.js")
# Pages a reader does not search for: lists of other pages (each would match every name on it), the
# redirects of other spellings, the search page and the not-found page.
UNSEARCHED_TEMPLATES = frozenset({"home.html", "briefs.html", "entities.html", "sources.html", "claims.html",
                                  "alias.html", "search.html", "404.html"})
# At most this many pages per bundle. Pagefind needs ~0.3 MB of memory per brief-sized page while it
# indexes; readers pay per bundle one entry file, one WebAssembly file (72 KB, already compressed) and one
# index chunk per query word (~24 KB), so bundles should be few.
SHARD_PAGES = 2000
# In each bundle: the digest of the pages it indexes (and of the Pagefind that indexed them).
INDEXED_MARKER = "indexed-pages.sha256"


def _strip_marks(text: str) -> str:
    if text.isascii():  # nothing to fold or decompose: most names, on every build
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text.translate(_FOLD))
                   if not unicodedata.combining(c))


def ascii_slug(text: str) -> str:
    """A spelling as a safe folder name: accents folded, other scripts dropped ('' if nothing is left)."""
    return slugify(_strip_marks(text).encode("ascii", "ignore").decode())


@dataclass(frozen=True)
class Spelling:
    """One way of writing a name, and whose name it is."""

    text: str
    entity: Entity
    lang: str = ""  # set for native names, e.g. "be"

    @property
    def sort_key(self) -> tuple[str, str]:
        return _strip_marks(self.text).casefold(), self.text


def spellings(entities: Iterable[Entity]) -> list[Spelling]:
    """Every name, alias and native name, alphabetically (Latin letters first, then other scripts)."""
    out = []
    for e in entities:
        out += [Spelling(e.name, e)] + [Spelling(a, e) for a in e.aliases]
        out += [Spelling(name, e, lang) for lang, name in e.native_names]
    return sorted(out, key=lambda s: s.sort_key)


def alias_slugs(entities: Iterable[Entity]) -> list[tuple[str, str, Entity]]:
    """(slug, spelling, entity) for each other spelling with a free, non-empty slug; first wins."""
    entities = list(entities)
    taken = {(e.section, e.id) for e in entities}
    out = []
    for entity in entities:
        for spelling in (*entity.aliases, *(name for _, name in entity.native_names)):
            slug = ascii_slug(spelling)
            if slug and (entity.section, slug) not in taken:
                taken.add((entity.section, slug))
                out.append((slug, spelling, entity))
    return out


def alias_pages(project: Project) -> list[Page]:
    return [Page(path=f"{e.section}/{slug}/index.html", template="alias.html", title=f"{spelling}: {e.name}",
                 description=f"“{spelling}” is another spelling of {e.name}; this address leads to their page.",
                 context={"entity": e, "spelling": spelling})
            for slug, spelling, e in alias_slugs(project.entities)]


def searched(pages: Iterable[Page]) -> list[str]:
    """The paths of the pages the search index covers, sorted (the home page when there is nothing else,
    so that there is always an index for the search page to load)."""
    pages = list(pages)
    found = sorted(p.path for p in pages if p.template not in UNSEARCHED_TEMPLATES)
    return found or [p.path for p in pages if p.template == "home.html"]


_IGNORED = re.compile(r'<([a-z][a-z0-9]*)\b[^>]*\sdata-pagefind-ignore="all"[^>]*>')
_TAGS: dict[str, re.Pattern[str]] = {}


def indexed_digest(html: str, digest: str) -> str:
    """A digest of what Pagefind reads of a page: the page without the elements it is told to pass over
    whole (`data-pagefind-ignore="all"`: the lists of other pages that cite or name this one). A page whose
    only change is there keeps its search bundle. `digest`: the whole page's, which this is when nothing is
    passed over."""
    cut, at = [], 0
    while (start := _IGNORED.search(html, at)) is not None:
        end = _element_end(html, start.group(1), start.end())
        cut.append(html[at:start.start()] if end is not None else html[at:start.end()])
        at = end if end is not None else start.end()  # an element left open is read, not passed over
    if not cut:
        return digest
    cut.append(html[at:])
    return hashlib.sha256("".join(cut).encode("utf-8")).hexdigest()


def _element_end(html: str, tag: str, at: int) -> int | None:
    """Where the element of `tag` opened just before `at` ends (after elements of the same tag in it)."""
    pattern = _TAGS.get(tag) or _TAGS.setdefault(tag, re.compile(rf"<(/?){tag}\b[^>]*>"))
    depth = 1
    for found in pattern.finditer(html, at):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return found.end()
    return None


def bundles(paths: list[str]) -> list[tuple[str, list[str]]]:
    """(folder, its pages) for each search bundle: at most `SHARD_PAGES` pages each, placed by a digest of
    the path, so adding or editing a page moves no other page to another bundle."""
    count = max(1, math.ceil(len(paths) / SHARD_PAGES))
    shards: list[list[str]] = [[] for _ in range(count)]
    for path in sorted(paths):
        shards[_placing(path) % count].append(path)
    return [(f"{PAGEFIND_DIR}/{k}/", shard) for k, shard in enumerate(shards) if shard]


@lru_cache(maxsize=1 << 17)  # the same paths on every build of a live server; bounded, for a long session
def _placing(path: str) -> int:
    return int(hashlib.sha256(path.encode()).hexdigest()[:8], 16)


def reader_pages(project: Project, content: Iterable[Page] = ()) -> list[Page]:
    """The pages this module adds: search, the not-found page, and one page per other spelling.
    `content`: every other page, of which the search page merges the bundles."""
    site = project.site
    return [Page(path="search/index.html", template="search.html", title="Search",
                 description=f"Search every brief, source, person and organisation of {site.title}.",
                 context={"has_organisations": bool(project.organisations),
                          "bundles": [folder for folder, _ in bundles(searched(content))]}),
            Page(path="404.html", template="404.html", title="Page not found",
                 description=f"There is no page at this address in {site.title}."),
            *alias_pages(project)]


# -- Pagefind -------------------------------------------------------------------------------------
_FAULT_HINT = ("not a content problem: build again; if it fails again, reinstall (`make .venv/.installed`), "
               "whose pagefind[bin] provides the binary")


def _fail(message: str, hint: str = _FAULT_HINT) -> BuildFailed:
    problems = Problems()
    problems.error(Pos("site/pagefind"), message, hint)
    return BuildFailed(problems)


def _executable() -> Path:
    from pagefind.service import get_executable  # honours PAGEFIND_BINARY_PATH

    found = get_executable()
    if found is None:
        raise _fail("the Pagefind binary is not installed", "reinstall the project (`make .venv/.installed`); "
                    "pagefind[bin] provides the binary")
    return found


def _entry(bundle: Path) -> dict:
    """Pagefind's table of contents, checked against the files it names: Pagefind has exited 0 after
    writing an empty one (a full disk), and a search page over a broken index finds nothing, silently."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        languages = entry["languages"]
        needed = [name for info in languages.values()
                  for name in (f"wasm.{info['wasm']}.pagefind", f"pagefind.{info['hash']}.pf_meta")]
        indexed = sum(int(info["page_count"]) for info in languages.values())
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise _fail("Pagefind wrote an incomplete index (pagefind-entry.json is missing or damaged)") from None
    missing = [name for name in needed if not (bundle / name).is_file()]
    if not languages or missing or indexed < 1:
        raise _fail(f"Pagefind wrote an incomplete index ({', '.join(missing) or 'no page'} missing)")
    return entry


def _prune(bundle: Path, entry: dict) -> None:
    """Drop the parts of the bundle the search page never loads (keeps the zip and the upload small)."""
    for name in _UNUSED:
        (bundle / name).unlink(missing_ok=True)
    wanted = {f"wasm.{lang['wasm']}.pagefind" for lang in entry["languages"].values()}
    for wasm in bundle.glob("wasm.*.pagefind"):
        if wasm.name not in wanted:
            wasm.unlink()


def _pagefind_version() -> str:
    try:
        return importlib.metadata.version("pagefind_bin")
    except importlib.metadata.PackageNotFoundError:
        return str(_executable())


def _pages_digest(pages: dict[str, str]) -> str:
    """What a bundle depends on: its pages' paths and what Pagefind reads of them (`indexed_digest`), and
    the Pagefind that indexes them."""
    return hashlib.sha256(repr((_pagefind_version(), sorted(pages.items()))).encode()).hexdigest()


def _own_folder(folder: Path) -> bool:
    """`folder` (made now if missing) and the folder it is in are plain folders, not links to elsewhere."""
    try:
        folder.mkdir(exist_ok=True)
        return all(stat.S_ISDIR(os.lstat(path).st_mode) for path in (folder.parent, folder))
    except OSError:
        return False


def _own_files(live: Path) -> list[str] | None:
    """The files of a live bundle, when it and everything in it are plain folders and files; None when not
    (a link there could lead out of the site: it is never followed, and the bundle is made afresh)."""
    try:
        if not all(stat.S_ISDIR(os.lstat(folder).st_mode) for folder in (live.parent, live)):
            return None  # (not `_own_folder`: a live bundle is only read, never made)
        listed = inventory(live)
    except OSError:
        return None
    return sorted(listed[0]) if listed is not None else None


def _keep(live: Path, bundle: Path, digest: str) -> bool:
    """Link the live site's bundle when it indexes these very pages; False (and nothing left) when not."""
    try:
        files = _own_files(live)
        if files is None or (live / INDEXED_MARKER).read_text(encoding="ascii") != digest:
            return False
        _entry(live)
        for rel in files:
            new = bundle / rel
            new.parent.mkdir(parents=True, exist_ok=True)
            os.link(live / rel, new, follow_symlinks=False)
        return True
    except (OSError, ValueError, BuildFailed):
        shutil.rmtree(bundle, ignore_errors=True)
        return False


def _run_pagefind(site: Path, paths: list[str], bundle: Path, kept: Path | None = None) -> None:
    """Pagefind over `paths` only: their hard links in a folder of their own, with the same relative paths
    (so the same URLs); its output is byte-for-byte repeatable. `kept`: where that folder is kept for the
    next build of this bundle (in .cache/), which then links only the pages that changed."""
    pages = _farm(site, paths, kept)
    try:
        command = [str(_executable()), "--site", str(pages), "--output-path", str(bundle),
                   "--keep-index-url", "--silent"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            raise _fail("Pagefind ran for more than 5 minutes and was stopped") from None
        except OSError as exc:
            raise _fail(f"Pagefind could not be started: {exc.strerror}") from None
    finally:
        try:
            if kept is None:
                raise OSError
            os.rename(pages, kept)  # fails when something is there: then it is not kept
        except OSError:
            shutil.rmtree(pages, ignore_errors=True)
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())[:300] or f"exit status {result.returncode}"
        raise _fail(f"Pagefind failed: {said}")
    missing = [name for name in PAGEFIND_UI if not (bundle / Path(name).name).is_file()]
    if missing:
        raise _fail(f"Pagefind did not write {', '.join(missing)}")


def _farm(site: Path, paths: list[str], kept: Path | None) -> Path:
    """A folder in `site` of hard links to `paths` there: `kept` (the last build's for the same bundle) brought
    up to date when it holds folders and files only, else a new one. Linking 2,000 pages was half a second of
    an edit at 10,000 briefs, for the one or two that changed."""
    farm = Path(tempfile.mkdtemp(prefix=".search-", dir=site))
    try:
        if kept is not None and stat.S_ISDIR(os.lstat(kept).st_mode):
            os.rename(kept, farm)  # onto the empty folder: then it is this build's alone
            listed = inventory(farm)
            if listed is not None:  # else a link, or something else that is not ours: start afresh
                return _link_pages(site, paths, farm, *listed)
    except OSError:  # a file in it that cannot be replaced (made read-only or immutable since): start afresh
        pass
    if os.listdir(farm):
        trash = kept.with_name(f"{kept.name}-trash-{os.getpid()}") if kept is not None else None
        try:  # out of the site, whatever it holds (what cannot be deleted stays in .cache/)
            os.rename(farm, trash) if trash is not None else shutil.rmtree(farm)
        except OSError:
            shutil.rmtree(farm, ignore_errors=True)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        farm = Path(tempfile.mkdtemp(prefix=".search-", dir=site))
    return _link_pages(site, paths, farm, {}, set())


def _link_pages(site: Path, paths: list[str], farm: Path, found: dict[str, int], folders: set[str]) -> Path:
    """`farm` holding links to `paths` in `site` and nothing else; `found`: the files (by inode) and folders
    it holds."""
    base, dest = f"{site}/", f"{farm}/"
    wanted = set(paths)
    for rel in found.keys() - wanted:
        os.unlink(dest + rel)
    for rel in paths:
        inode = found.get(rel)
        if inode is not None:
            if inode == os.lstat(base + rel).st_ino:
                continue  # a link to this very file already
            os.unlink(dest + rel)
        folder = rel.rpartition("/")[0]
        if folder and folder not in folders:
            os.makedirs(dest + folder, exist_ok=True)
            folders |= folders_of([rel])
        os.link(base + rel, dest + rel)
    for folder in sorted(folders - folders_of(wanted), key=lambda f: -f.count("/")):
        shutil.rmtree(dest + folder, ignore_errors=True)
    return farm


# Pagefind names these files by a digest of their content, and does not write (nor compress) one that exists:
# "For immutable (hashed) files, don't re-write them as the contents should be unchanged" (WriteBehavior::
# Immutable, pagefind/src/output/mod.rs). The rest (its entry file, scripts, WebAssembly) it always writes anew.
_CONTENT_NAMED = ("fragment", "index", "filter")
_META = re.compile(r"pagefind\.[0-9a-z_-]+\.pf_meta")


def _seed(live: Path, bundle: Path) -> dict[str, tuple[int, int]]:
    """Link the live bundle's content-named files into `bundle` before Pagefind indexes it again: it then
    writes and compresses only the pages an edit changed (at 10,000 briefs, 1,700 files of a bundle's
    1,750 are unchanged, and writing them was half of its run). Regular files the last build wrote only
    (never a link, which could lead out of the site). Returns each seed's (inode, size)."""
    seeded: dict[str, tuple[int, int]] = {}
    for rel in _own_files(live) or ():
        sub, _, name = rel.rpartition("/")
        if not (sub in _CONTENT_NAMED or (not sub and _META.fullmatch(name))):
            continue
        st = os.lstat(live / rel)
        if st.st_mtime_ns != 0:
            continue
        (bundle / sub).mkdir(parents=True, exist_ok=True)
        os.link(live / rel, bundle / rel, follow_symlinks=False)
        seeded[rel] = (st.st_ino, st.st_size)
    return seeded


def _drop_unused_seeds(bundle: Path, seeded: dict[str, tuple[int, int]]) -> bool:
    """Remove the seeds the new index does not name (what a fresh run would not have written); False when
    the index cannot be read, or Pagefind wrote into a seed (then the caller makes the bundle afresh)."""
    try:
        named = set()
        for info in _entry(bundle)["languages"].values():
            meta = f"pagefind.{info['hash']}.pf_meta"
            version, pages, chunks, filters, *_ = read_pf((bundle / meta).read_bytes())
            named |= {meta, *(f"fragment/{page[0]}.pf_fragment" for page in pages),
                      *(f"index/{chunk[2]}.pf_index" for chunk in chunks),
                      *(f"filter/{kind[1]}.pf_filter" for kind in filters)}
        for rel, (ino, size) in seeded.items():
            st = os.lstat(bundle / rel)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != (ino, size, 0):
                return False  # written into: not the behaviour this relies on
            if rel not in named:
                os.unlink(bundle / rel)
    except (OSError, ValueError, TypeError, KeyError, IndexError, BuildFailed):
        return False
    return True


def read_pf(data: bytes) -> object:
    """A Pagefind index file's value: gzip, a marker, then CBOR."""
    raw = gzip.decompress(data)
    if not raw.startswith(b"pagefind_dcd"):
        raise ValueError("not a Pagefind index file")
    return _cbor(raw, len(b"pagefind_dcd"))[0]


def _cbor(data: bytes, i: int = 0) -> tuple[object, int]:
    """The part of CBOR Pagefind writes: integers, strings, arrays, maps (definite lengths)."""
    major, info = data[i] >> 5, data[i] & 31
    i += 1
    if info >= 28:
        raise ValueError("CBOR of indefinite length")
    if info >= 24:
        size = 1 << (info - 24)
        value = int.from_bytes(data[i:i + size], "big")
        i += size
    else:
        value = info
    if major in (0, 1):
        return (value if major == 0 else -1 - value), i
    if major in (2, 3):
        raw = data[i:i + value]
        return (raw.decode() if major == 3 else raw), i + value
    if major not in (4, 5):
        raise ValueError(f"CBOR of major type {major}")
    items = []
    for _ in range(value * (2 if major == 5 else 1)):
        item, i = _cbor(data, i)
        items.append(item)
    return (dict(zip(items[::2], items[1::2])) if major == 5 else items), i


def _make_bundle(site: Path, folder: str, pages: dict[str, str], digest: str, live: Path | None,
                 farms: Path | None) -> None:
    bundle = site / folder
    seeded = _seed(live / folder, bundle) if live is not None else {}
    kept = farms / Path(folder).name if farms is not None else None
    _run_pagefind(site, sorted(pages), bundle, kept)
    if seeded and not _drop_unused_seeds(bundle, seeded):
        shutil.rmtree(bundle)  # what Pagefind made of the seeds is not understood: make the bundle afresh
        _run_pagefind(site, sorted(pages), bundle, kept)
    _prune(bundle, _entry(bundle))
    for name in PAGEFIND_UI:  # the same in every bundle (one Pagefind): one copy, beside them
        os.replace(bundle / Path(name).name, site / name)
    (bundle / INDEXED_MARKER).write_text(digest, encoding="ascii")


def index_site(site: Path, pages: dict[str, str], live: Path | None = None, farms: Path | None = None) -> None:
    """The search bundles of the finished pages in `site` (path → `indexed_digest`), each kept from the
    `live` site when it indexes the same pages, else made by Pagefind; the search UI's two files beside them.

    The live site's bundles are linked first, then the others made `cores()` at a time: one Pagefind run
    keeps every core busy only part of the time (and linking beside it slowed it by a second). `farms`: a
    folder of the build's own (in .cache/) where the pages given to Pagefind are kept for the next build."""
    if live is not None and not all((live / name).is_file() for name in PAGEFIND_UI):
        live = None  # a live site without the UI (not one of ours, or damaged): keep nothing from it
    todo = []
    split = bundles(list(pages))
    if farms is not None and not _own_folder(farms):
        farms = None  # a link (or a file) in its place, which could lead out of the project: never used
    if farms is not None:
        for gone in set(os.listdir(farms)) - {Path(folder).name for folder, _ in split}:
            shutil.rmtree(farms / gone, ignore_errors=True)  # a bundle there is no longer
    for folder, paths in split:
        shard = {p: pages[p] for p in paths}
        digest = _pages_digest(shard)
        if live is None or not _keep(live / folder, site / folder, digest):
            todo.append((folder, shard, digest))
    with ThreadPoolExecutor(max_workers=cores()) as pool:
        # list(): every bundle's failure is raised here, the first bundle's first.
        list(pool.map(lambda item: _make_bundle(site, *item, live, farms), todo))
    for name in PAGEFIND_UI:
        if not (site / name).is_file():  # every bundle kept: the UI is the live site's
            os.link(live / name, site / name)  # type: ignore[operator]

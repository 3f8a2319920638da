"""Find and follow: every spelling of a name leads to its page, with JavaScript or without.

- alias pages: people/kolesnikova/ sends the reader on to people/kalesnikava/;
- the A–Z of every spelling (people and organisations index pages), which needs no script;
- the search page, and Pagefind run over the finished pages in the staging folder.
"""

from __future__ import annotations

import json
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from builder.model import Entity, Page, Project
from builder.problems import BuildFailed, Pos, Problems
from builder.textutil import slugify

# Latin letters that Unicode does not decompose into an ASCII letter plus accents.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
                       "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "ð": "d"})
# The files of Pagefind's output the search page uses; the rest (other UIs, highlighting) is dropped.
PAGEFIND_DIR = "pagefind"
PAGEFIND_UI = ("pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css")
_UNUSED = ("pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-modular-ui.js",
           "pagefind-modular-ui.css", "pagefind-highlight.js")


def _strip_marks(text: str) -> str:
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


def reader_pages(project: Project) -> list[Page]:
    """The pages this module adds: search, the not-found page, and one page per other spelling."""
    site = project.site
    return [Page(path="search/index.html", template="search.html", title="Search",
                 description=f"Search every brief, source, person and organisation of {site.title}.",
                 context={"has_organisations": bool(project.organisations)}),
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


def index_site(site: Path) -> None:
    """Run Pagefind over the finished pages in `site`; its output is byte-for-byte repeatable."""
    command = [str(_executable()), "--site", str(site), "--output-subdir", PAGEFIND_DIR,
               "--keep-index-url", "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise _fail("Pagefind ran for more than 5 minutes and was stopped") from None
    except OSError as exc:
        raise _fail(f"Pagefind could not be started: {exc.strerror}") from None
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())[:300] or f"exit status {result.returncode}"
        raise _fail(f"Pagefind failed: {said}")
    bundle = site / PAGEFIND_DIR
    missing = [name for name in PAGEFIND_UI if not (site / name).is_file()]
    if missing:
        raise _fail(f"Pagefind did not write {', '.join(missing)}")
    _prune(bundle, _entry(bundle))

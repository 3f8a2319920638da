"""Publishing: the files beside the pages (feed, sitemap, robots.txt, data exports) and the last steps
over the finished staging folder (search index, the whole site as one zip).

Nothing here invents a date or an address. Atom needs an `updated` time for the feed and every
entry: a brief's own `updated` or `date`, else the site's `updated`, else SOURCE_DATE_EPOCH (the
reproducible-builds convention; the Pages workflow sets it to the time of the last commit). With
none of these, no feed is written. The sitemap and every absolute address need `base_url`.
"""

from __future__ import annotations

import json
import os
import re
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from builder import meta
from builder.incremental.sitecheck import Walk, walk_site
from builder.incremental.state import recorded_file
from builder.model import Document, Page, Project, SiteConfig
from builder.problems import Pos, Problems
from builder.publish import search, zipper

ZIP_NAME = "briefing.zip"
ZIP_FOLDER = "briefing/"  # one folder inside the zip, so unpacking does not spill files
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: fixed, so two builds match
# Files written after the link check (by finish()); pages may link to them.
LATE_FILES = frozenset({ZIP_NAME, *search.PAGEFIND_UI})
EXPORTS = ("people", "organisations", "sources", "claims")
Render = Callable[..., str]  # render(template name, **context): a template's text
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


# -- dates for the feed ---------------------------------------------------------------------------
def atom_date(value: str | None) -> str | None:
    """A content date as RFC 3339 (a bare day is midnight UTC), or None when absent or not a date."""
    if not value:
        return None
    if _DATE.match(value):
        return value + "T00:00:00Z"
    return value if _DATETIME.match(value) else None


_LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: later times have no four-digit year


def source_date_epoch() -> str | None:
    """SOURCE_DATE_EPOCH as RFC 3339, when set to a whole number of seconds (`epoch_problem` says when not)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch_problem() or not raw:
        return None
    return datetime.fromtimestamp(int(raw), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_problem() -> str | None:
    """What is wrong with SOURCE_DATE_EPOCH, or None when it is unset or a usable time."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        return f"SOURCE_DATE_EPOCH {raw[:40]!r} is not a whole number of seconds"
    if int(raw) > _LAST_EPOCH:
        return f"SOURCE_DATE_EPOCH {raw[:40]} is after the year 9999"
    return None


def entry_dates(project: Project, problems: Problems) -> dict[str, str] | None:
    """Each brief's `updated` time for the feed, or None when some brief has no known date."""
    if project.site.updated and atom_date(project.site.updated) is None:
        problems.warning(project.site.pos, f"updated {project.site.updated!r} is not a date the feed can use",
                         "write it as YYYY-MM-DD")
    fallback = atom_date(project.site.updated) or source_date_epoch()
    dates: dict[str, str] = {}
    for brief in project.briefs:
        for raw in (brief.updated, brief.date):
            if raw and atom_date(raw) is None:
                problems.warning(brief.pos, f"date {raw!r} is not a date the feed can use",
                                 "write it as YYYY-MM-DD")
        found = atom_date(brief.updated) or atom_date(brief.date) or fallback
        if found is None:
            return None  # no date is invented: the site is complete without a feed
        dates[brief.slug] = found
    return dates


# -- feed -----------------------------------------------------------------------------------------
def _entry_id(project: Project, brief: Document) -> str:
    url = meta.absolute(project.site, f"briefs/{brief.slug}/index.html")
    # Without an address the id is a name-based UUID: stable across builds, never a made-up URL.
    return url or uuid.uuid5(uuid.NAMESPACE_URL, f"briefing:{project.site.title}:{brief.slug}").urn


def _feed_entry(project: Project, brief: Document, updated: str, body: str) -> dict[str, str | None]:
    link = meta.absolute(project.site, f"briefs/{brief.slug}/index.html") or f"briefs/{brief.slug}/index.html"
    return {"title": brief.title, "link": link, "id": _entry_id(project, brief), "updated": updated,
            "published": atom_date(brief.date), "summary": brief.summary, "body": body}


def feed_root(site: SiteConfig) -> str:
    """Where the feed's links start: the site's address, or nothing (relative to the feed, at the top)."""
    return meta.base_url(site) or ""


def feed_xml(project: Project, dates: dict[str, str], bodies: dict[str, dict[str, str]], render: Render) -> str:
    """An Atom 1.0 feed of the briefs (the template feed.xml), each with its text as HTML (`bodies`: by slug,
    then by root)."""
    site = project.site
    base = meta.base_url(site)
    root = feed_root(site)
    entries = [_feed_entry(project, b, dates[b.slug], bodies[b.slug][root]) for b in project.briefs]
    feed_id = base or uuid.uuid5(uuid.NAMESPACE_URL, f"briefing:{site.title}").urn
    return render("feed.xml", feed_id=feed_id, updated=max(dates.values(), default=""),
                  author=site.author or site.title, self_link=(base or "") + "feed.xml", home=base or "index.html",
                  entries=entries)


# -- sitemap, robots ------------------------------------------------------------------------------
def listed(pages: Iterable[Page]) -> list[Page]:
    """Pages that are content in their own right (not redirects, not the not-found page)."""
    return sorted((p for p in pages if p.template not in meta.UNLISTED_TEMPLATES), key=lambda p: p.path)


def sitemap_xml(project: Project, pages: Iterable[Page], render: Render) -> str:
    return render("sitemap.xml", urls=[meta.absolute(project.site, p.path) or "" for p in listed(pages)])


def robots_txt(project: Project, render: Render) -> str:
    return render("robots.txt", base_url=meta.base_url(project.site))


# -- exports --------------------------------------------------------------------------------------
def _entity_record(e: Any) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "aliases": list(e.aliases), "native_names": dict(e.native_names),
            "role" if e.kind == "person" else "kind": e.role, "country": e.country,
            **({"status": e.status.text if e.status else None} if e.kind == "person" else {}),
            "about": e.about.text, "page": f"{e.section}/{e.id}/index.html"}


def _source_record(s: Any) -> dict[str, Any]:
    blocks = [{"kind": b.kind, "text": b.text, "anchor": b.anchor or None, **({"alt": b.alt} if b.alt else {})}
              for b in s.text.blocks]
    return {"id": s.id, "title": s.title, "title_is_editorial": s.title_is_editorial, "short": s.short,
            "outlet": s.outlet, "kind": s.kind, "url": s.url, "published": s.published,
            "notes": s.notes.text if s.notes else None, "page": f"sources/{s.id}/index.html",
            "paragraphs": blocks}


def _claim_record(c: Any) -> dict[str, Any]:
    return {"id": c.id, "topic": c.topic, "claim": c.claim, "disputed": c.disputed,
            "note": c.note.text if c.note else None,
            "stances": [{"source": s.source, "stance": s.stance, "at": s.at or None, "excerpt": s.excerpt or None}
                        for s in c.stances]}


def exports(project: Project) -> dict[str, bytes]:
    """data/*.json: the model as data, with sorted keys and fixed formatting so builds repeat."""
    records = {"people": [_entity_record(e) for e in project.people],
               "organisations": [_entity_record(e) for e in project.organisations],
               "sources": [_source_record(s) for s in project.sources],
               "claims": [_claim_record(c) for c in project.claims]}
    return {f"data/{name}.json": (json.dumps({name: records[name]}, ensure_ascii=False, indent=2,
                                             sort_keys=True) + "\n").encode("utf-8") for name in EXPORTS}


def feed_dates(project: Project, problems: Problems) -> dict[str, str] | None:
    """Each brief's date in the feed, or None when there is no feed (no briefs, or some brief undated)."""
    if epoch_problem():  # asked whether or not the feed needs it: a wrong setting is wrong either way
        problems.error(Pos("environment SOURCE_DATE_EPOCH"), epoch_problem(),  # type: ignore[arg-type]
                       "set it to the seconds since 1970 (git log -1 --format=%ct), or unset it")
    return entry_dates(project, problems) if project.briefs else None


def site_files(project: Project, pages: list[Page], dates: dict[str, str] | None,
               bodies: dict[str, dict[str, str]], render: Render,
               exported: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every non-page file this module adds, in memory, before the link check; a feed when `dates`.
    The feed, sitemap and robots.txt are templates (feed.xml, sitemap.xml, robots.txt) a project may override;
    `render(name, **context)` renders one. `exported`: `exports(project)`, if the caller has it."""
    files = dict(exported) if exported is not None else exports(project)
    files["robots.txt"] = robots_txt(project, render).encode()
    if meta.base_url(project.site):
        files["sitemap.xml"] = sitemap_xml(project, pages, render).encode()
    if dates is not None:
        files["feed.xml"] = feed_xml(project, dates, bodies, render).encode("utf-8")
    return files


# -- the last steps, in the staging folder before the swap ----------------------------------------
def write_zip(site: Path, names: list[str], previous: zipper.Previous | None = None,
              known: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole site (`names`, sorted) as one zip: fixed times and modes, so two builds match. Entries of
    the `previous` zip (the live site's) are reused where their content is unchanged; `known`: the digests
    of files the build already has. Returns each file's content digest."""
    def entry(rel: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(ZIP_FOLDER + rel, date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # Unix, whatever machine builds
        info.external_attr = 0o644 << 16
        return info
    # The same bytes as zipfile's writestr(..., compresslevel=9), compressed on every core, and reusing
    # the last build's entries for unchanged files.
    return zipper.write(site / ZIP_NAME, site, names, entry, level=9, previous=previous, known=known)


def finish(site: Path, previous: Path | None, searched: dict[str, str], lender: zipper.Previous | None = None,
           known: Mapping[str, str] | None = None, farms: Path | None = None) -> tuple[Walk, dict[str, str]]:
    """Over the finished pages, before the swap: the search index of the pages `searched` (path → digest of
    what the index reads of it), then the zip of everything. The index reuses the search bundles of `previous`
    (the live site) whose pages are unchanged, the zip the entries of `lender` (the live site's zip) whose content is;
    `known`: the digests of the files the build wrote; `farms`: where the pages given to Pagefind are kept
    (`search.index_site`). Returns the site's files after both (as `walk_site` gives them) and the digest of
    every file zipped."""
    search.index_site(site, searched, previous, farms)
    files = walk_site(site)
    files.pop(ZIP_NAME, None)
    if lender is not None and previous is not None:
        known = {**(known or {}), **_kept_from(previous, lender, files, known or {})}
    digests = write_zip(site, sorted(files), lender, known)
    st = os.stat(site / ZIP_NAME)
    files[ZIP_NAME] = (st.st_size, st.st_ino, st.st_mtime_ns)
    return files, digests


def _kept_from(live: Path, lender: zipper.Previous, files: Walk, known: Mapping[str, str]) -> dict[str, str]:
    """The digests of the files (not `known`) that are the live site's own, as the last build recorded them
    (the search bundles kept from it are links to its files): the same inode and size, never touched since,
    in both folders. Their content is then not read again to be zipped."""
    found = {}
    for rel, (size, ino, mtime) in files.items():
        record = lender.records.get(rel)
        if rel not in known and record and record[0] and record[1:] == (size, ino) and not mtime \
                and recorded_file(live, rel, lender.records):  # the live file itself, as recorded
            found[rel] = record[0]
    return found

"""`python -m builder add source FILE`: a new article in one command.

FILE is copied into seeds/ byte for byte, an entry is appended to content/sources.yaml as text (so its
comments and layout stay as the editor wrote them), and the project's sources are loaded again to prove the
entry valid; if they are not, both changes are undone. Then the editor sees what ingest made of the article:
its numbered paragraphs, each dropped line and the rule that dropped it, the headline, byline and date it
found, the people and organisations it names, and the spellings that may be known names.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from builder import schema, suggest
from builder.config import Paths
from builder.ingest import ingest_text
from builder.load import Loader
from builder.markup import create_markdown
from builder.matcher import EntityMatcher
from builder.model import Source, SourceText
from builder.problems import Problems
from builder.safeio import NotUtf8, UnsafeInput, decode_utf8, read_input
from builder.textutil import slugify


class Refused(Exception):
    """A reason to change nothing, in one line."""


@dataclass(frozen=True)
class Details:
    """What the editor passed on the command line; None where they passed nothing."""

    id: str | None = None
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None


def read_article(path: Path) -> tuple[bytes, str]:
    """The file's bytes and text, or Refused saying why it is not an article."""
    try:
        data = read_input(path.resolve().parent, path.resolve())
    except UnsafeInput as problem:
        raise Refused(f"{path}: {problem.message} — {problem.hint}") from None
    if b"\0" in data:
        raise Refused(f"{path}: a binary file, not an article's text — save the article as plain text (UTF-8)")
    try:
        text = decode_utf8(data)
    except NotUtf8 as bad:
        raise Refused(f"{path}:{bad.line}: {bad.message} — {bad.hint}") from None
    if not text.strip():
        raise Refused(f"{path}: the file is empty — save the article's full text in it")
    return data, text


def entry_yaml(fields: dict[str, object]) -> str:
    """One sources.yaml entry; every string JSON-quoted, which YAML reads back unchanged."""
    lines: list[str] = []
    for key, value in fields.items():
        shown = ("true" if value else "false") if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{'- ' if not lines else '  '}{key}: {shown}")
    return "\n".join(lines) + "\n"


def check_details(details: Details, taken: set[str], file: Path, text: SourceText) -> str:
    """The new source's id, or Refused when an id, address or date would make an invalid entry."""
    ident = details.id or slugify(file.stem)[:60].strip("-") or "source"
    if not schema.ID_PATTERN.match(ident):
        raise Refused(f"--id {ident!r}: {schema.ID_HINT}")
    if ident in taken:
        raise Refused(f"the id '{ident}' is already taken in content/sources.yaml — pass another with --id")
    if details.url is not None and not schema.WEB_ADDRESS.match(details.url):
        raise Refused(f"--url {details.url!r}: give the article's address, starting http:// or https://")
    if details.published is not None:
        try:
            dt.date.fromisoformat(details.published)
        except ValueError:
            raise Refused(f"--published {details.published!r}: write the date as YYYY-MM-DD") from None
    if not (details.title or text.headline):
        raise Refused(f"{file}: no headline found — pass the title with --title (it will be marked as ours)")
    return ident


def add_source(root: Path, file: Path, details: Details) -> list[str]:
    """Add the article; returns the report's lines. Raises Refused, with nothing changed."""
    paths = Paths(root)
    data, text = read_article(file)
    listing = paths.content / "sources.yaml"
    before = listing.read_bytes() if listing.exists() else b""
    loader = Loader(paths, create_markdown(), Problems())
    existing = loader.sources()
    seed = paths.seeds / file.name
    if seed.exists() and seed.read_bytes() != data:
        raise Refused(f"seeds/{file.name} already exists with other text — seeds are never replaced; "
                      "rename the file")
    if any(s.seed == file.name for s in existing):
        owner = next(s.id for s in existing if s.seed == file.name)
        raise Refused(f"seeds/{file.name} is already the seed of '{owner}'")
    found = ingest_text(text)
    ident = check_details(details, {s.id for s in existing}, file, found)
    title = details.title or found.headline
    fields: dict[str, object] = {"id": ident, "seed": file.name, "title": title,
                                 "title_is_editorial": title != found.headline}
    fields.update({k: v for k, v in (("outlet", details.outlet), ("url", details.url),
                                    ("published", details.published), ("author", details.author)) if v})
    copied = not seed.exists()
    paths.seeds.mkdir(parents=True, exist_ok=True)
    if copied:
        seed.write_bytes(data)
    separator = b"" if not before or before.endswith(b"\n\n") else b"\n" if before.endswith(b"\n") else b"\n\n"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_bytes(before + separator + entry_yaml(fields).encode("utf-8"))
    problems = Problems()
    loader = Loader(paths, create_markdown(), problems)
    added = next((s for s in loader.sources() if s.id == ident), None)
    errors = [str(p) for p in problems.errors if p.pos.path == f"seeds/{file.name}" or added is None
              or (p.pos.path == "content/sources.yaml" and p.pos.line >= added.pos.line)]
    if added is None or errors:
        listing.write_bytes(before)
        if copied:
            seed.unlink()
        raise Refused("the new entry does not load, so nothing was changed: " + "; ".join(errors[:3]))
    return report(added, loader, problems, details)


def report(source: Source, loader: Loader, problems: Problems, details: Details) -> list[str]:
    text = source.text
    out = [f"added source '{source.id}': seeds/{source.seed}, entry at {source.pos}", ""]
    out.append(f"headline: {text.headline}" if text.headline else "headline: none found (the title is ours)")
    for what, found, given, flag in (("byline", text.byline, details.author, "--author"),
                                     ("date", text.date, details.published, "--published")):
        if given:
            out.append(f"{what}: {found or 'none found'}; recorded as {given!r}")
        elif found:
            out.append(f"{what}: {found} (not recorded: pass {flag} {json.dumps(found, ensure_ascii=False)} "
                       "to record it)")
        else:
            out.append(f"{what}: none found")
    first_anchor = next((b.anchor for b in text.blocks if b.anchor.startswith("p")), "p1")
    out += ["", f"paragraphs (cite them as [@{source.id}#{first_anchor}]; a gap is a line that is not a paragraph):"]
    for block in text.blocks:
        if block.anchor:
            first = " ".join(block.text.split()[:10])
            out.append(f"  {block.anchor:>6}  {first}{' …' if len(block.text.split()) > 10 else ''}")
        elif block.kind != "headline":
            out.append(f"  {'':>6}  ({block.kind}: {block.text[:70]})")
    out += ["", "dropped lines:" if text.dropped else "dropped lines: none"]
    out += [f"  line {d.line:>3}  {d.rule}: {d.text[:70]}" for d in text.dropped]
    entities = tuple(loader.entities())
    named, unknown = suggest.source_names(source, EntityMatcher(entities))
    names = {e.id: e.name for e in entities}
    out += ["", "names it gives that have an entry: " + (", ".join(f"{names[i]} ({i})" for i in named) or "none")]
    out.append("capitalised names with no entry: " + (", ".join(unknown) or "none"))
    suggestions = suggest.near_misses(unknown, entities)
    out += ["", "spellings to check:" if suggestions else "spellings to check: none"]
    out += [f"  {s}" for s in suggestions]
    warnings = [p for p in problems.warnings if p.pos.path == f"seeds/{source.seed}"
                or (p.pos.path == source.pos.path and p.pos.line >= source.pos.line)]
    if warnings:
        out += ["", *map(str, warnings)]
    out += ["", "next: write its `short`, `kind` and `notes` in content/sources.yaml; "
            "`python -m builder ingest` shows it whole"]
    return out

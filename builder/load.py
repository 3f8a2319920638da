"""Load: editorial YAML, Markdown briefs and ingested seeds into the typed model.

Every problem is collected with its position; the caller decides when to stop.
"""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable, Iterable, TypeVar

from markdown_it import MarkdownIt

from builder import schema
from builder.config import Paths
from builder.ingest import IngestRules, ingest_text
from builder.markup import PAGE_IDS, split_front_matter
from builder.model import (Claim, Document, Entity, Event, Home, KeyNumber, Markdown, Project, SiteConfig,
                           Source, SourceText, Stance, Term)
from builder.names import is_common, name_problem
from builder.problems import Pos, Problems, did_you_mean
from builder.safeio import NotUtf8, UnsafeInput, check_input, decode_utf8, read_input
from builder.yamlio import YList, line_of, parse_yaml

T = TypeVar("T")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_text(paths: Paths, path: Path, problems: Problems, read: Callable[[Path], bytes] | None = None) -> str | None:
    """An input file's text, read safely (builder/safeio.py, or `read`: the build's input scan, which read it
    through safeio) and decoded; None after recording why not."""
    rel = paths.rel(path)
    try:
        data = read(path) if read else read_input(paths.root, path)
    except UnsafeInput as unsafe:
        problems.error(Pos(rel), unsafe.message, unsafe.hint)
        return None
    try:
        text = decode_utf8(data)
    except NotUtf8 as bad:
        problems.error(Pos(rel, bad.line), bad.message, bad.hint)
        return None
    if "\0" in text:  # no page may carry one (HTML forbids it), and a seed is never edited: dropped here
        problems.warning(Pos(rel, text.count("\n", 0, text.index("\0")) + 1),
                         f"{text.count(chr(0))} NUL byte(s) in the file, left out of the site",
                         "a NUL byte means a damaged or binary file: fetch or save the file again")
        text = text.replace("\0", "")
    return text


class Loader:
    """Reads one project's content; `problems` collects everything wrong with it."""

    def __init__(self, paths: Paths, md: MarkdownIt, problems: Problems,
                 read: Callable[[Path], bytes] | None = None) -> None:
        self.paths = paths
        self.md = md
        self.problems = problems
        self.language = "en"  # the site's, once site.yaml is read: which everyday words an alias may not be
        # How a file's bytes are read: safely (builder/safeio.py), or from what the build's input scan read.
        self.read: Callable[[Path], bytes] = read or (lambda path: read_input(paths.root, path))

    # -- files ------------------------------------------------------------------------------------
    def read_text(self, path: Path) -> str | None:
        return read_text(self.paths, path, self.problems, self.read)

    def yaml_list(self, name: str, required: bool = False) -> tuple[str, list[Any]]:
        """A content file holding a list of records; a missing optional file is an empty list."""
        path = self.paths.content / name
        rel = self.paths.rel(path)
        if not path.exists() and not required:
            return rel, []
        text = self.read_text(path)
        if text is None:
            return rel, []
        data = parse_yaml(text, rel, self.problems)
        if data is None:
            return rel, []
        if not isinstance(data, list):
            self.problems.error(Pos(rel, getattr(data, "line", 1)), "expected a list of entries",
                                "start each entry with '- '")
            return rel, []
        return rel, data

    def markdown(self, text: str, pos: Pos) -> Markdown:
        return Markdown(text, pos, self.md.parse(text))

    def field_markdown(self, values: dict[str, Any], key: str, path: str) -> Markdown | None:
        text = values.get(key)
        if text is None:
            return None
        line = values["_lines"].get(key, values["_line"])
        # A block scalar (`key: |`) starts on the next line; a plain one on the key's own line.
        return self.markdown(text, Pos(path, line + 1 if "\n" in text.rstrip("\n") else line))

    def records(self, name: str, fields: dict[str, schema.Field], what: str,
                build: Callable[[dict[str, Any], Pos], T], key: str = "id",
                required: bool = False) -> list[T]:
        """Validate each entry of a list file, reject duplicate ids, and build model objects."""
        rel, items = self.yaml_list(name, required)
        seen: dict[str, Pos] = {}
        out = []
        lines = items.item_lines if isinstance(items, YList) else [0] * len(items)
        for item, line in zip(items, lines):
            values = schema.validate(item, fields, rel, what, self.problems, line)
            if values is None:
                continue
            pos = Pos(rel, values["_line"])
            ident = values.get(key)
            if ident in seen:
                self.problems.error(pos, f"duplicate {what} {key} '{ident}' (first at line {seen[ident].line})",
                                    f"give each {what} its own {key}")
                continue
            seen[ident] = pos
            built = build(values, pos)
            if built is not None:  # None: the record's own problems are recorded
                out.append(built)
        return out

    # -- the content files ------------------------------------------------------------------------
    def site(self) -> SiteConfig | None:
        path = self.paths.content / "site.yaml"
        rel = self.paths.rel(path)
        text = self.read_text(path)
        if text is None:
            return None
        errors = len(self.problems.errors)
        data = parse_yaml(text, rel, self.problems)
        if len(self.problems.errors) > errors:
            return None  # the YAML error says it all; "not a mapping" on top would only confuse
        # An empty file is an empty mapping, so each missing setting is named (not a silent failure).
        values = schema.validate({} if data is None else data, schema.SITE, rel, "site settings",
                                 self.problems, 1)
        if values is None:
            return None
        self.language = values["language"]
        per_page = values["briefs_per_page"]
        if per_page is not None and per_page < 1:
            self.problems.error(Pos(rel, values["_lines"].get("briefs_per_page", 1)),
                                f"briefs_per_page is {per_page}: a page must show at least one brief",
                                "give a whole number of 1 or more, or leave it out for 50")
            return None
        return SiteConfig(values["title"], values["description"], values["language"], values["base_url"],
                          values["author"], Pos(rel, 1), values["updated"], per_page or 50)

    def sources(self) -> list[Source]:
        def build(v: dict[str, Any], pos: Pos) -> Source:
            rules, pattern_lines = self.ingest_rules(v, pos)
            text = self.seed(v["seed"], pos, rules)
            source = Source(v["id"], v["seed"], v["title"], bool(v["title_is_editorial"]), v["short"] or v["id"],
                            v["outlet"], v["kind"], v["url"], v["published"],
                            self.field_markdown(v, "notes", pos.path), text, pos, v["author"])
            self.ingest_warnings(source, pattern_lines, v["title_is_editorial"] is False)
            return source
        sources = self.records("sources.yaml", schema.SOURCE, "source", build, required=True)
        self.unlisted_seeds(sources)
        return sources

    def ingest_rules(self, values: dict[str, Any], pos: Pos) -> tuple[IngestRules, dict[str, int]]:
        """A source's own patterns, and each pattern's line (a bad or unused pattern is reported there)."""
        raw = values.get("ingest") or {}
        line = values["_lines"].get("ingest", pos.line)
        checked = schema.validate(raw, schema.SOURCE_INGEST, pos.path, "ingest rules", self.problems, line)
        if not checked:
            return IngestRules(), {}
        lines: dict[str, int] = {}
        ok = True
        for group in schema.SOURCE_INGEST:
            items = raw.get(group) if isinstance(raw, dict) else None
            group_line = line_of(raw, group, line)
            item_lines = items.item_lines if isinstance(items, YList) else []
            patterns = [p for pair in checked[group] or () for p in pair] if group == "drop_between" else checked[group]
            for index, pattern in enumerate(patterns or []):
                at = item_lines[index] if group != "drop_between" and index < len(item_lines) else group_line
                lines.setdefault(pattern, at)
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.problems.error(Pos(pos.path, at), f"invalid regular expression {pattern!r} in "
                                        f"ingest.{group}: {exc}", "write a Python regular expression; "
                                        "escape special characters such as ( | . with a backslash")
                    ok = False
        if not ok:
            return IngestRules(), {}
        groups = {g: tuple(checked[g] or ()) for g in schema.SOURCE_INGEST}
        return IngestRules(drop=groups["drop"], captions=groups["captions"], standfirst=groups["standfirst"],
                           headings=groups["headings"], headline=groups["headline"],
                           drop_between=groups["drop_between"]), lines

    def seed(self, name: str, pos: Pos, rules: IngestRules) -> SourceText:
        path = self.paths.seeds / name
        if "/" in name or "\\" in name or name.startswith("."):
            self.problems.error(pos, f"seed {name!r} must be a file name inside seeds/", "give the bare file name")
            return SourceText(())
        if not path.exists():
            names = [p.name for p in self.paths.seeds.glob("*")] if self.paths.seeds.is_dir() else []
            self.problems.error(pos, f"seed file 'seeds/{name}' not found",
                                did_you_mean(name, names) or "copy the article into seeds/ or fix 'seed:'")
            return SourceText(())
        text = self.read_text(path)
        if text is None:
            return SourceText(())
        result = ingest_text(text, rules)
        if not any(b.anchor for b in result.blocks):
            self.problems.error(Pos(self.paths.rel(path), 1), "seed has no text paragraphs (empty?)",
                                "put the article's full text in the file")
        return result

    def ingest_warnings(self, source: Source, pattern_lines: dict[str, int], headline_claimed: bool) -> None:
        """What an editor adding a source gets wrong silently: an unused pattern, a missing headline,
        a copy cut short."""
        for group, pattern in source.text.unmatched:
            at = Pos(source.pos.path, pattern_lines.get(pattern, source.pos.line))
            empty = re.fullmatch(pattern, "") is not None
            partial = group in ("drop", "drop_between") and any(
                re.search(pattern, b.text) for b in source.text.blocks)
            self.problems.warning(at, f"ingest.{group} pattern {pattern!r} matches no line of seeds/{source.seed}",
                                  "it matches the empty string: escape special characters such as | with a "
                                  "backslash" if empty else "it matches only part of a line: drop patterns must "
                                  "match a whole line (add .* at either end)" if partial else
                                  "fix it (see `python -m builder ingest`) or remove it")
        if source.text.blocks and headline_claimed and not source.text.headline:
            self.problems.warning(source.pos, f"source '{source.id}' says its title is the seed's headline "
                                  "(title_is_editorial: false), but no headline was found",
                                  "add ingest: headline: [pattern], or set title_is_editorial: true")
        if source.text.truncated:
            last = [b for b in source.text.blocks if b.anchor][-1]
            self.problems.warning(Pos(self.paths.rel(self.paths.seeds / source.seed), last.line),
                                  f"the copy of '{source.id}' stops mid-word (its last paragraph, {last.anchor})",
                                  "the source page says our copy ends there; find the full text if you can")

    def unlisted_seeds(self, sources: list[Source]) -> None:
        """A seed with no entry in sources.yaml is otherwise silently left out of the site."""
        if not self.paths.seeds.is_dir():
            return
        listed = {s.seed for s in sources}
        for path in sorted(self.paths.seeds.iterdir()):
            if path.name.startswith(".") or path.name in listed or (path.is_dir() and not path.is_symlink()):
                continue
            try:  # never opened: a link out of the project, a device or a FIFO is refused by its kind alone
                check_input(self.paths.root, path)
            except UnsafeInput as unsafe:
                self.problems.error(Pos(self.paths.rel(path)), f"seed {unsafe.message}", unsafe.hint)
                continue
            self.problems.warning(Pos(self.paths.rel(path)), "seed has no entry in content/sources.yaml, "
                                  "so the site leaves it out",
                                  f"run `python -m builder add source {self.paths.rel(path)}`")

    def names(self, v: dict[str, Any], pos: Pos) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None:
        """The aliases and native names of one entity that may be matched; None when its name may not.

        A spelling with an invisible character, or too long for the matcher, is an error and left out (the
        build stops before anything matches it); an alias that is an everyday word is a warning."""
        lines, ok = v["_lines"], True
        aliases = v["aliases"] or []
        alias_lines = getattr(aliases, "item_lines", [lines.get("aliases", pos.line)] * len(aliases))
        spellings = [(v["name"], lines.get("name", pos.line), "name")]
        spellings += [(a, line, "alias") for a, line in zip(aliases, alias_lines)]
        spellings += [(n, lines.get("native_names", pos.line), "native") for n in (v["native_names"] or {}).values()]
        bad = set()
        for name, line, kind in spellings:
            problem = name_problem(name, native=kind == "native")
            if problem:
                self.problems.error(Pos(pos.path, line), *problem)
                bad.add(name)
                ok = ok and kind != "name"
            elif kind == "alias" and not v["allow_common"] and is_common(name, self.language):
                self.problems.warning(Pos(pos.path, line), f"alias {name!r} is a common word: every {name!r} in "
                                      "the sources and briefs would link here",
                                      "remove it, or add 'allow_common: true' to the entry if it is meant")
        if not ok:
            return None
        natives = tuple(sorted((k, n) for k, n in (v["native_names"] or {}).items() if n not in bad))
        return tuple(a for a in aliases if a not in bad), natives

    def entities(self) -> list[Entity]:
        def person(v: dict[str, Any], pos: Pos) -> Entity | None:
            names = self.names(v, pos)
            return names and Entity("person", v["id"], v["name"], *names, v["role"], v["country"],
                                    self.field_markdown(v, "status", pos.path),
                                    self.field_markdown(v, "profile", pos.path), pos)  # type: ignore[arg-type]

        def organisation(v: dict[str, Any], pos: Pos) -> Entity | None:
            names = self.names(v, pos)
            return names and Entity("organisation", v["id"], v["name"], *names, v["kind"], v["country"], None,
                                    self.field_markdown(v, "description", pos.path), pos)  # type: ignore[arg-type]

        people = self.records("people.yaml", schema.PERSON, "person", person)
        orgs = self.records("organisations.yaml", schema.ORGANISATION, "organisation", organisation)
        ids = {e.id: e for e in people}
        for org in orgs:
            if org.id in ids:
                self.problems.error(org.pos, f"organisation id '{org.id}' is also a person's id",
                                    "ids are shared by people and organisations; rename one")
        return people + [o for o in orgs if o.id not in ids]

    def page_anchor(self, ident: str, pos: Pos, what: str) -> None:
        """Claims, timeline events and glossary terms are anchors (id="…") on their page: not the page's own."""
        if ident in PAGE_IDS:
            self.problems.error(pos, f"{what} id '{ident}' is an anchor the page itself uses",
                                "choose another id (with 'id:' for a glossary term)")

    def claims(self) -> list[Claim]:
        def build(v: dict[str, Any], pos: Pos) -> Claim:
            stances = []
            for raw in v["stances"]:
                s = schema.validate(raw, schema.STANCE, pos.path, "stance", self.problems, pos.line)
                if s is None:
                    continue
                spos = Pos(pos.path, s["_line"])
                if s["stance"] != "silent" and not (s["at"] and s["excerpt"]):
                    self.problems.error(spos, f"a '{s['stance']}' stance needs 'at' and 'excerpt'",
                                        "add the paragraph (at: p3) and the source's exact words (excerpt:)")
                    continue
                stances.append(Stance(s["source"], s["stance"], s["at"] or "", s["excerpt"] or "", spos))
            return Claim(v["id"], v["topic"], v["claim"], tuple(stances),
                         self.field_markdown(v, "note", pos.path), pos)
        claims = self.records("claims.yaml", schema.CLAIM, "claim", build)
        for claim in claims:
            self.page_anchor(claim.id, claim.pos, "claim")
        return claims

    def events(self) -> list[Event]:
        events = self.records("timeline.yaml", schema.EVENT, "timeline event", lambda v, pos: Event(
            v["id"], v["when"], self.field_markdown(v, "event", pos.path), pos,  # type: ignore[arg-type]
            self.day(v.get("date"), pos)))
        for event in events:
            self.page_anchor(event.id, event.pos, "timeline event")
        return events

    def day(self, value: str | None, pos: Pos) -> str | None:
        """A calendar day as written, or None (with an error) when it is not YYYY-MM-DD."""
        if value is not None and not _DAY.fullmatch(value):
            self.problems.error(pos, f"date {value!r} is not a calendar day", "write it as YYYY-MM-DD, e.g. 2025-09-11")
            return None
        return value

    def terms(self) -> list[Term]:
        def build(v: dict[str, Any], pos: Pos) -> Term:
            ident = v["id"] or re.sub(r"[^a-z0-9]+", "-", v["term"].lower()).strip("-") or "term"
            return Term(ident, v["term"], self.field_markdown(v, "definition", pos.path), pos)  # type: ignore[arg-type]
        terms = self.records("glossary.yaml", schema.TERM, "glossary term", build, key="term")
        seen: set[str] = set()
        for term in terms:
            self.page_anchor(term.id, term.pos, "glossary term")
            if term.id in seen:
                self.problems.error(term.pos, f"two glossary terms share the anchor '{term.id}'",
                                    "give one of them an explicit 'id:'")
            seen.add(term.id)
        return terms

    def home(self) -> Home:
        path = self.paths.content / "home.yaml"
        rel = self.paths.rel(path)
        if not path.exists():
            return Home((), ())
        text = self.read_text(path)
        data = parse_yaml(text, rel, self.problems) if text is not None else None
        values = schema.validate(data, schema.HOME, rel, "home page", self.problems, 1) if data is not None else None
        if values is None:
            return Home((), ())
        line = values["_lines"].get("bullets", 1)
        bullets = tuple(self.markdown(b, Pos(rel, line + 1 + i)) for i, b in enumerate(values["bullets"] or []))
        numbers = []
        items = values["key_numbers"] or []
        lines = getattr(items, "item_lines", [0] * len(items))
        for item, item_line in zip(items, lines):
            v = schema.validate(item, schema.KEY_NUMBER, rel, "key number", self.problems, item_line)
            if v:
                numbers.append(KeyNumber(str(v["value"]), v["label"], v["cite"], Pos(rel, v["_line"])))
        return Home(bullets, tuple(numbers))

    def documents(self, folder: str, fields: dict[str, schema.Field], what: str,
                  reserved: frozenset[str] = frozenset()) -> list[Document]:
        """Markdown files with front matter, one per slug (the file name)."""
        directory = self.paths.content / folder
        out = []
        for path in sorted(directory.glob("*.md")) if directory.is_dir() else []:
            if path.stem in reserved:  # its page would silently replace a section of the site
                self.problems.error(Pos(self.paths.rel(path), 1), f"file name {path.name!r} is taken by a "
                                    "section of the site", "rename the file (its name is the page's address)")
                continue
            doc = self.document(path, fields, what)
            if doc:
                out.append(doc)
        return out

    def document(self, path: Path, fields: dict[str, schema.Field], what: str) -> Document | None:
        rel = self.paths.rel(path)
        slug = path.stem
        if not schema.ID_PATTERN.fullmatch(slug):
            self.problems.error(Pos(rel), f"file name {path.name!r} is not a valid slug", schema.ID_HINT)
            return None
        text = self.read_text(path)
        if text is None:
            return None
        try:
            front, front_line, body, body_line = split_front_matter(text)
        except ValueError:
            self.problems.error(Pos(rel, 1), "front matter is not closed",
                                "end the front matter with a line of three dashes: ---")
            return None
        if front is None:
            self.problems.error(Pos(rel, 1), "missing front matter",
                                "start the file with ---, then 'title:' and 'summary:', then ---")
            return None
        data = parse_yaml(front, rel, self.problems, first_line=front_line)
        if data is None and front.strip():
            return None
        values = schema.validate(data if data is not None else {}, fields, rel, what, self.problems, 1)
        if values is None:
            return None
        if not body.strip():
            self.problems.error(Pos(rel, body_line), f"the {what} has no text",
                                "write the body below the front matter")
            return None
        return Document(slug, values["title"], values["summary"], self.markdown(body, Pos(rel, body_line)),
                        Pos(rel, 1), values.get("order") or 0, values.get("date"), values.get("updated"),
                        tuple(values.get("people") or ()), tuple(values.get("organisations") or ()),
                        tuple(values.get("sources") or ()), dict(values["_lines"]))


def load_content(loader: Loader) -> Project | None:
    """Everything the content says but the briefs (`with_briefs` adds them), or None when site settings are
    unusable. The build loads each brief on its own (builder/incremental/briefs.py)."""
    site = loader.site()
    project = Project(
        site=site,  # type: ignore[arg-type]
        sources=tuple(loader.sources()),
        entities=tuple(loader.entities()),
        briefs=(),
        pages=tuple(loader.documents("pages", schema.PAGE, "page", schema.SECTIONS)),
        claims=tuple(loader.claims()),
        events=tuple(loader.events()),
        terms=tuple(loader.terms()),
        home=loader.home(),
    )
    return project if site else None


def with_briefs(project: Project, briefs: Iterable[Document]) -> Project:
    """The project with its briefs, in the order lists show them."""
    return replace(project, briefs=tuple(sorted(briefs, key=lambda d: (d.order, d.slug))))


def load_project(paths: Paths, md: MarkdownIt, problems: Problems) -> Project | None:
    """Everything the content says, briefs included, or None when site settings are unusable."""
    loader = Loader(paths, md, problems)
    briefs = loader.documents("briefs", schema.BRIEF, "brief")
    project = load_content(loader)
    return with_briefs(project, briefs) if project else None

"""The typed model every stage after `load` works on: small frozen records that remember their origin."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Literal

from builder.problems import Pos, Problem

if TYPE_CHECKING:
    from builder.markup import Ref

_NOT_READ = re.compile(r"\[@[^\[\]]*\]|\{[^{}]*\}|[#*_>`|\[\]]|::: ?\w*")  # citations, attributes, markup

BlockKind = Literal["headline", "heading", "standfirst", "paragraph", "caption"]


@dataclass(frozen=True)
class Block:
    """One piece of a cleaned source text."""

    kind: BlockKind
    text: str  # the words exactly as in the seed
    line: int  # the seed's line number
    anchor: str = ""  # p3, fig1: only paragraphs, standfirsts and captions are citable
    alt: str = ""  # a photo's description, for captions


@dataclass(frozen=True)
class Dropped:
    """A seed line ingest left out, and the rule that dropped it (for `add source` and `ingest` to show)."""

    line: int
    text: str
    rule: str


@dataclass(frozen=True)
class SourceText:
    """A seed after ingest: furniture gone, every block recognised.

    Anchors count the seed's non-blank lines as received (p7: the seventh), so a rule that drops or
    reclassifies a line never renumbers the others."""

    blocks: tuple[Block, ...]
    dropped: tuple[Dropped, ...] = ()
    byline: str = ""  # who the byline names: a suggested `author`, never written unasked
    date: str = ""  # YYYY-MM-DD from a date line: a suggested `published`
    truncated: bool = False  # the last paragraph stops mid-word: our copy ends there
    unmatched: tuple[tuple[str, str], ...] = ()  # (group, pattern): per-source patterns that matched no line

    @property
    def headline(self) -> str:
        return next((b.text for b in self.blocks if b.kind == "headline"), "")

    @cached_property
    def _anchors(self) -> dict[str, Block]:
        return {b.anchor: b for b in self.blocks if b.anchor}

    def by_anchor(self) -> dict[str, Block]:
        return self._anchors

    def cited(self, anchor: str) -> list[str]:
        """The words a citation of `anchor` points at: that block, or the whole text when it names none."""
        block = self._anchors.get(anchor)
        return [block.text] if block is not None else [b.text for b in self.blocks]


class DigestedText(str):
    """Text with the digest (sha256 of its UTF-8) worked out where it was made: a brief's rendered text, which
    is kept with the brief and goes into its page's fingerprint, is not digested again by every build."""

    sha: str

    @classmethod
    def of(cls, text: str) -> DigestedText:
        made = cls(text)
        made.sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return made


@dataclass
class Markdown:
    """Markdown text from a brief or a YAML field, with where its first line sits in its file."""

    text: str
    pos: Pos
    tokens: list[Any] = field(default_factory=list, repr=False)  # filled by load (markdown-it tokens)


@dataclass(frozen=True)
class SiteConfig:
    """content/site.yaml."""

    title: str
    description: str
    language: str
    base_url: str | None
    author: str | None
    pos: Pos
    updated: str | None = None  # the day the briefing last changed, for the feed
    briefs_per_page: int = 50  # the briefs list is cut into pages of this many; the home page shows the first


@dataclass(frozen=True)
class Source:
    """An article the briefing rests on, with its cleaned text."""

    id: str
    seed: str
    title: str
    title_is_editorial: bool
    short: str  # label used in citations
    outlet: str | None
    kind: str | None
    url: str | None
    published: str | None
    notes: Markdown | None
    text: SourceText
    pos: Pos
    author: str | None = None  # who wrote it, when the text names them


@dataclass(frozen=True)
class Entity:
    """A person or an organisation: anything with names that the matcher finds and pages link to."""

    kind: Literal["person", "organisation"]
    id: str
    name: str
    aliases: tuple[str, ...]
    native_names: tuple[tuple[str, str], ...]  # (language code, name)
    role: str  # a person's role, an organisation's kind
    country: str | None
    status: Markdown | None  # a person's status as the sources report it, cited
    about: Markdown  # profile or description
    pos: Pos

    @property
    def section(self) -> str:
        return "people" if self.kind == "person" else "organisations"

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *(n for _, n in self.native_names))


@dataclass(frozen=True)
class Stance:
    """What one source does with a claim: supports or contradicts it, speaks to it without settling it
    (unclear), or says nothing of it (silent)."""

    source: str
    stance: Literal["supports", "contradicts", "unclear", "silent"]
    at: str
    excerpt: str
    pos: Pos

    @property
    def label(self) -> str:
        """The stance as a reader sees it: Supports, Contradicts, Unclear, Silent."""
        return self.stance.capitalize()


@dataclass(frozen=True)
class Claim:
    """One factual claim of the ledger and what each source says of it."""

    id: str
    topic: str
    claim: str
    stances: tuple[Stance, ...]
    note: Markdown | None
    pos: Pos

    def with_stance(self, kind: str) -> tuple[Stance, ...]:
        return tuple(s for s in self.stances if s.stance == kind)

    @property
    def disputed(self) -> bool:
        """At least one source really contradicts the claim (an unclear or silent one does not)."""
        return bool(self.contradicting)

    @property
    def supporting(self) -> tuple[Stance, ...]:
        return self.with_stance("supports")

    @property
    def contradicting(self) -> tuple[Stance, ...]:
        return self.with_stance("contradicts")

    @property
    def unclear(self) -> tuple[Stance, ...]:
        """Sources that speak to the claim without settling it."""
        return self.with_stance("unclear")


@dataclass(frozen=True)
class Event:
    """A timeline entry."""

    id: str
    when: str
    event: Markdown
    pos: Pos
    date: str | None = None  # a calendar day (YYYY-MM-DD), only when a source gives one


@dataclass(frozen=True)
class Term:
    """A glossary entry."""

    id: str
    term: str
    definition: Markdown
    pos: Pos


@dataclass(frozen=True)
class KeyNumber:
    """A number on the home page with the paragraph it comes from."""

    value: str
    label: str
    cite: str
    pos: Pos


@dataclass(frozen=True)
class Home:
    """content/home.yaml: the story in bullets and its key numbers."""

    bullets: tuple[Markdown, ...]
    key_numbers: tuple[KeyNumber, ...]


@dataclass(frozen=True)
class Document:
    """A Markdown file with front matter: a brief, or a standalone page such as about."""

    slug: str
    title: str
    summary: str
    body: Markdown
    pos: Pos
    order: int = 0
    date: str | None = None
    updated: str | None = None
    people: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    key_lines: dict[str, int] = field(default_factory=dict, compare=False)  # front matter key → file line

    @cached_property
    def words(self) -> int:
        """How many words a reader reads in the body (citations and markup left out). Kept with the brief's
        worked-out result (`incremental.briefs`), so a build counts only the briefs that changed."""
        return len(_NOT_READ.sub(" ", self.body.text).split())


@dataclass(frozen=True)
class Page:
    """One page to write: where it goes, which template draws it, and what the template gets."""

    path: str  # relative to the site root, e.g. "people/kalesnikava/index.html"
    template: str
    title: str
    description: str
    context: dict[str, Any] = field(default_factory=dict, compare=False)
    # A page of one brief, person or source: the rest of its context is `recipe(inputs)`, worked out only
    # when it is drawn (`drawn`). `recipe` reads nothing but `inputs`, so a page whose inputs are the last
    # build's (`incremental.fingerprints.same`) is that build's page: it need not be worked out again.
    recipe: Callable[[Any], dict[str, Any]] | None = field(default=None, compare=False)
    inputs: Any = field(default=None, compare=False)

    def drawn(self) -> Page:
        """This page with its whole context (the frame's, then its recipe's)."""
        if self.recipe is None:
            return self
        return replace(self, context={**self.context, **self.recipe(self.inputs)}, recipe=None, inputs=None)


@dataclass(frozen=True)
class Mention:
    """One place an entity is named: a source paragraph or a brief, with the sentence around it."""

    entity: str
    kind: str  # "source" or "brief"
    doc: str  # source id or brief slug
    anchor: str  # paragraph anchor in a source; "" in a brief
    sentence: str
    start: int  # the name's offsets inside the sentence
    end: int


@dataclass
class Graph:
    """The cross-links the pages show, all derived from the content."""

    mentions: dict[str, list[Mention]] = field(default_factory=lambda: defaultdict(list))
    entities_in_source: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    entities_in_brief: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    briefs_citing: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    citations_in_brief: dict[str, list[Ref]] = field(default_factory=lambda: defaultdict(list))
    together: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    spans: dict[tuple[str, int], list[tuple[int, int, str]]] = field(default_factory=dict)
    # source id → (paragraph anchor, brief slug, the citation's spot id) for every citation in a brief
    cited_at: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))
    quotes_in_brief: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # verified verbatim
    # Where the content wrote each relative link ([text](../x/)), so the link check can report a broken one there.
    links_written: dict[str, list[Pos]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class BriefCard:
    """What a list of briefs shows of one: the home page, the briefs index, backlinks."""

    slug: str
    title: str
    summary: str
    date: str | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Project:
    """Everything loaded from content/ and seeds/."""

    site: SiteConfig
    sources: tuple[Source, ...]
    entities: tuple[Entity, ...]
    briefs: tuple[Document, ...]
    pages: tuple[Document, ...]
    claims: tuple[Claim, ...]
    events: tuple[Event, ...]
    terms: tuple[Term, ...]
    home: Home

    @property
    def people(self) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities if e.kind == "person")

    @property
    def organisations(self) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities if e.kind == "organisation")


@dataclass
class BriefResult:
    """One brief loaded, resolved and its text rendered: all the build needs of it, without its tokens."""

    document: Document | None  # None when it could not be loaded
    digest: str  # sha256 of the bytes it was made from ("" when the file could not be read)
    html: dict[str, str]  # its text rendered for its own page (by root), and for the feed when it may be in it
    load_problems: list[Problem]
    resolve_problems: list[Problem]
    graph: dict[str, dict[Any, Any]]  # its share of each Graph field, in the order resolve made it

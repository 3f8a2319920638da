"""Fingerprints: a digest of exactly what a page receives, so a page is rendered again exactly when it changes.

A template gets `page`, `site`, `root` and its page's explicit context (builder/pages.py); its filters reach
only the link tables. The fingerprint digests all of that (with the templates and the engine), so nothing a
page shows can escape it, and there is no hand-kept list of what templates read.
"""

from __future__ import annotations

import hashlib
import marshal
from operator import attrgetter, is_
from dataclasses import fields, is_dataclass
from typing import Any, Callable, Iterable, NamedTuple

from builder.incremental.inputs import sha
from builder.model import (BriefCard, DigestedText, Document, Entity, Markdown, Mention, Page, Project, SiteConfig,
                           Source)
from builder.reading import CitedIn

_SKIP = frozenset({"pos", "key_lines", "tokens"})  # where a thing sits in its file is never shown on a page
_MEMO_TYPES = (Document, Entity, Source, BriefCard)  # shared by many pages: digested once each
# Walked once and kept as walked (a digest each would cost more than it saves): a brief's mentions live as
# long as its cached result, so a live server's next build finds them in `earlier`.
_KEPT_TYPES = (Mention,)
# Made anew by every build but of plain fields only, so kept by value: a live server's next build finds an
# equal one in `earlier` (a source page lists thousands, every one of them made again for an edit).
_BY_VALUE = (CitedIn,)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}
_WHOLE: dict[type, bool] = {}  # every field counts (none skipped)


def digest(value: Any) -> str:
    """The digest of a canonical value (tuples of str, int, float, bool, None). marshal's version 2 writes no
    references between objects, so equal values give equal bytes, and it is several times faster than repr."""
    return hashlib.sha256(marshal.dumps(value, 2)).hexdigest()


# id → (the object, held so that its id stays its own; its digest, or its value as walked); for `_BY_VALUE`
# kinds, (kind, *field values) → (None, its value as walked)
Memo = dict[Any, tuple[Any, Any]]


class Canon:
    """A stable, hashable stand-in for the data a page reads; model objects are digested once per build.

    `earlier`: an earlier build's `memo`, which a live server's state keeps: a model object that build
    digested and this one still uses (the very object, as the memo holds it: a brief unchanged since, the
    content while only briefs change) is not digested again. Model objects are frozen records."""

    def __init__(self, earlier: Memo | None = None) -> None:
        self.memo: Memo = {}
        self.earlier: Memo = earlier or {}
        # Without `earlier` (the command line: no build follows in this process) what only a next build
        # would read is not kept: `_KEPT_TYPES` and `_BY_VALUE` are walked as any other record.
        self.keep = earlier is not None

    def __call__(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return obj
        if kind in _FIELDS:  # a dataclass met before (the checks below are for the others)
            return self._dataclass(obj)
        if kind is DigestedText:  # its digest, worked out where it was made
            return ("sha256", obj.sha)
        if kind is list or kind is tuple:  # lists rather than generators: a third faster, for millions of items
            return tuple([x if type(x) in _PLAIN else self(x) for x in obj])
        if isinstance(obj, str):  # Markup and other str subclasses: their text
            return str(obj)
        if isinstance(obj, dict):  # in its order, which a template iterating over it shows
            return ("dict", tuple([(k if type(k) in _PLAIN else self(k), v if type(v) in _PLAIN else self(v))
                                   for k, v in obj.items()]))
        if isinstance(obj, (list, tuple)):
            return tuple(self(x) for x in obj)
        if isinstance(obj, (set, frozenset)):
            return ("set", tuple(sorted(repr(self(x)) for x in obj)))
        if isinstance(obj, Markdown):
            return ("md", obj.text)
        if is_dataclass(obj) and not isinstance(obj, type):
            return self._dataclass(obj)
        raise TypeError(f"no stable digest for {kind.__name__}: teach builder.incremental.fingerprints.Canon about it")

    def _dataclass(self, obj: Any) -> Any:
        hit = self.memo.get(id(obj)) or self.earlier.get(id(obj))
        if hit is not None and hit[0] is obj:
            self.memo[id(obj)] = hit
            return hit[1]
        state = getattr(obj, "__dict__", None)
        if state is not None and _ONCE in state:  # digested where it was made (`digest_once`)
            self.memo[id(obj)] = (obj, state[_ONCE])
            return state[_ONCE]
        kind = type(obj)
        if kind in _BY_VALUE and self.keep:
            key = (kind, *obj.__dict__.values())
            hit = self.memo.get(key) or self.earlier.get(key)  # type: ignore[call-overload]
            if hit is not None:
                self.memo[key] = hit  # type: ignore[index]
                return hit[1]
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in fields(obj) if f.name not in _SKIP)
            _WHOLE[kind] = len(names) == len(fields(obj))
        if _WHOLE[kind] and state is not None and len(state) == len(names):
            values: Iterable[Any] = state.values()  # the fields in order, and nothing else: the fast way
        else:
            values = (getattr(obj, name) for name in names)
        value = (kind.__name__, tuple([v if type(v) in _PLAIN else self(v) for v in values]))
        if isinstance(obj, _MEMO_TYPES):
            value = digest(value)  # type: ignore[assignment]
            self.memo[id(obj)] = (obj, value)  # type: ignore[assignment]
        elif not self.keep:
            pass
        elif isinstance(obj, _KEPT_TYPES):
            self.memo[id(obj)] = (obj, value)
        elif kind in _BY_VALUE:
            self.memo[(kind, *state.values())] = (None, value)  # type: ignore[index, union-attr]
        return value


_ONCE = "_digest"  # where `digest_once` keeps a record's digest, beside its fields (not one of them)


def digest_once(record: Document) -> None:
    """Work out a brief's digest where it is made (its worker), kept with it: every later build's
    fingerprints take it from there instead of digesting the brief again. Records are frozen, so it stays
    true; a record made from it anew (`dataclasses.replace`) does not carry it."""
    record.__dict__[_ONCE] = Canon()(record)


class Plan(NamedTuple):
    """How a page was planned: what a later build compares to reuse its fingerprint."""

    base: str  # `Fingerprints.base` of a page with a recipe ("" without)
    recipe: Any
    inputs: Any  # a page's recipe's inputs; without a recipe, its whole context
    fingerprint: str
    frame: str  # `Fingerprints.frame_of` the page
    heading: tuple[str, str, str]  # its template, title and description


Plans = dict[str, Plan]  # by site path


def same(a: Any, b: Any) -> bool:
    """Whether `a` and `b` are the same inputs to a page's recipe: the very object, or values a recipe cannot
    tell apart: plain values of the same type and equal, lists, tuples and dicts of such in the same order,
    records of the same kind with such fields. Anything else only when it is the very object (so a kind
    not known here is taken as changed, never as the same)."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _PLAIN:
        return a == b  # type: ignore[no-any-return]
    if kind is list or isinstance(a, tuple):  # named tuples too (pages.BriefInputs…): item by item, in order
        return len(a) == len(b) and (all(map(is_, a, b)) or all(map(same, a, b)))  # the very items at C speed first
    if kind is dict:
        return len(a) == len(b) and all(map(same, a, b)) and all(map(same, a.values(), b.values()))
    if kind is DigestedText:
        return a.sha == b.sha  # type: ignore[no-any-return]
    if is_dataclass(a):
        values = _FIELD_VALUES.get(kind)
        if values is None:
            names = [f.name for f in fields(a)]
            values = _FIELD_VALUES[kind] = attrgetter(*names) if len(names) > 1 else lambda x: (getattr(x, names[0]),)
        return same(values(a), values(b))  # as tuples: the very values at C speed first
    return False


_FIELD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}  # a record kind → its fields' values, in order


def _same_inputs(a: Any, b: Any) -> bool:
    try:
        return same(a, b)
    except RecursionError:  # nested deeper than Python goes (nothing the model makes): taken as changed
        return False


def links_digest(project: Project) -> str:
    """What rendering a brief's text reads of the rest: names (for mentions and wiki links), sources' words."""
    canon = Canon()
    names = [(e.kind, e.id, e.name, e.aliases, e.native_names) for e in project.entities]
    sources = [(s.id, s.short, s.title, s.kind, canon(s.text)) for s in project.sources]  # kind: citation previews
    return sha(repr((names, sources)))


class Fingerprints:
    """For each page, a digest of exactly what its rendering receives: its path, title and description, its
    explicit context (builder/pages.py), the site settings, the templates, the engine, and the link tables
    its filters reach (`links_digest`). Nothing else is given to a template, so no page can go stale."""

    def __init__(self, site: SiteConfig, links: str, templates: str, engine: str, earlier: Memo | None = None) -> None:
        self.canon = Canon(earlier)
        self.shared: dict[int, tuple[Any, Any]] = {}
        self.frame = digest((engine, templates, links, self.canon(site)))

    def of(self, page: Page) -> str:
        """The page's fingerprint: of its whole context (drawn, for a page with a recipe)."""
        return self.base(page.drawn())

    def base(self, page: Page) -> str:
        """A digest of the page as given, leaving out what its recipe would add: with `same` inputs, a key
        for its fingerprint (`plan`)."""
        own = (page.path, page.template, page.title, page.description,
               tuple((key, self.value(value)) for key, value in page.context.items()))
        return digest((self.frame, own))

    def plan(self, pages: list[Page], earlier: Plans | None = None) -> tuple[dict[str, str], Plans]:
        """Each page's fingerprint, and what the next build needs to reuse them. A page with a recipe whose
        frame and inputs are those of `earlier` (a live server's last build) has that build's fingerprint:
        its recipe reads nothing but its inputs, so its context would be the one that fingerprint digests.
        Its inputs are that build's very object (`pages.kept_inputs`: then with the same frame, template,
        title and description, `base` is not digested again), or `same` as them. Only the others are drawn
        (in `pages`, so that rendering them does not draw them again)."""
        earlier = earlier or {}
        prints: dict[str, str] = {}
        plans: Plans = {}
        frames: dict[int, str] = {}
        for at, page in enumerate(pages):
            if page.recipe is None:  # a list or index: its context is made whole by every build
                heading = (page.template, page.title, page.description)
                hit = earlier.get(page.path)
                if hit is not None and hit.recipe is None and hit.frame == self.frame and hit.heading == heading \
                        and _same_inputs(hit.inputs, page.context):
                    fingerprint = hit.fingerprint  # `of` digests nothing but these, which are the same
                else:
                    fingerprint = self.of(page)
                prints[page.path] = fingerprint
                plans[page.path] = Plan("", None, page.context, fingerprint, self.frame, heading)
                continue
            frame = frames.get(id(page.context)) or frames.setdefault(id(page.context), self.frame_of(page))
            heading = (page.template, page.title, page.description)
            hit = earlier.get(page.path)
            if hit is not None and hit.inputs is page.inputs and hit.recipe is page.recipe and hit.frame == frame \
                    and hit.heading == heading:  # what `base` digests, the same: no need to digest it
                plans[page.path] = hit
                prints[page.path] = hit.fingerprint
                continue
            base = self.base(page)
            if hit is not None and hit.base == base and hit.recipe is page.recipe and _same_inputs(hit.inputs,
                                                                                                   page.inputs):
                fingerprint = hit.fingerprint
            else:
                pages[at] = drawn = page.drawn()
                fingerprint = self.base(drawn)
            prints[page.path] = fingerprint
            plans[page.path] = Plan(base, page.recipe, page.inputs, fingerprint, frame, heading)
        return prints, plans

    def frame_of(self, page: Page) -> str:
        """A digest of what a page's `base` reads besides its own path, title and description: the frame
        (engine, templates, link tables, site settings) and the context it is given as it is."""
        return digest((self.frame, tuple((key, self.value(value)) for key, value in page.context.items())))

    def value(self, value: Any) -> Any:
        """One value of a page's context. Many pages are given the very same object (the frame's menu, the
        list of sources, a date): digested once per build, by identity. Contexts are not changed once made."""
        if type(value) in _PLAIN:
            return value
        hit = self.shared.get(id(value))
        if hit is None or hit[0] is not value:
            hit = self.shared[id(value)] = (value, self.canon(value))
        return hit[1]

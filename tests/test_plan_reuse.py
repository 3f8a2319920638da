"""A live server's build works out again only the pages whose inputs changed (`Fingerprints.plan`), and what
it keeps is exactly what a clean build gives: `same` tells inputs apart as finely as a recipe could."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
from jinja2 import Environment
from markupsafe import Markup

import cast
from builder import markup, pages, resolve
from builder.build import build, load_and_resolve
from builder.config import Paths
from builder.incremental import briefs as incremental_briefs
from builder.incremental.fingerprints import Fingerprints, same
from builder.incremental.state import IncrementalState
from builder.model import DigestedText, Graph, Page
from builder.problems import Problems
from test_incremental import snapshot


@dataclass(frozen=True)
class Card:
    title: str
    count: int


class Opaque:
    def __eq__(self, other: object) -> bool:
        return True  # equal to everything: `same` must not trust it

    __hash__ = object.__hash__


@pytest.mark.parametrize("a, b", [
    ("a", "a"), (3, 3), (None, None), ((1, "x"), (1, "x")), ([Card("t", 1)], [Card("t", 1)]),
    ({"a": 1, "b": 2}, {"a": 1, "b": 2}), (DigestedText.of("text"), DigestedText.of("text")),
])
def test_equal_inputs_are_the_same(a: object, b: object) -> None:
    assert same(a, b)


@pytest.mark.parametrize("a, b", [
    (1, True), (1, 1.0), ("a", Markup("a")), ((1, 2), [1, 2]), ((1, 2), (2, 1)), ([Card("t", 1)], [Card("t", 2)]),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # a template iterating over a dict shows its order
    (Opaque(), Opaque()), ({1, 2}, {1, 2}),  # kinds `same` does not know: only the very object
    (DigestedText.of("text"), DigestedText.of("other")), (float("nan"), float("nan")),
])
def test_inputs_a_recipe_could_tell_apart_are_not_the_same(a: object, b: object) -> None:
    assert not same(a, b)


def test_the_very_object_is_the_same_whatever_its_kind() -> None:
    thing = Opaque()
    assert same(thing, thing) and same((thing,), (thing,))


class Drawn:
    """Counts, by template, the pages whose context the build works out (`Page.drawn` with a recipe)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: Counter[str] = Counter()
        real = Page.drawn

        def counting(page: Page) -> Page:
            if page.recipe is not None:
                self.counts[page.template] += 1
            return real(page)
        monkeypatch.setattr(Page, "drawn", counting)


def held_cast(tmp_path: Path) -> tuple[Path, Path, IncrementalState]:
    root = cast.write(tmp_path / "project")
    state = IncrementalState(Paths(root), None)
    build(root, root / "site", state=state, jobs=1)
    return root, root / "site", state


def clean_build(root: Path, tmp_path: Path) -> dict[str, bytes]:
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns(".cache", "site"))
    build(clean, tmp_path / "clean-site", state=IncrementalState(Paths(clean), None))
    return snapshot(tmp_path / "clean-site")


def test_an_edit_works_out_only_the_pages_whose_inputs_changed(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root, out, state = held_cast(tmp_path)
    drawn = Drawn(monkeypatch)
    brief = root / "content" / "briefs" / "first.md"
    brief.write_text(brief.read_text(encoding="utf-8") + f"\nThe officials met again {cast.cite(0)}.\n",
                     encoding="utf-8")
    before = snapshot(out)
    build(root, out, state=state, jobs=1)
    # The edited brief, and its source (cited once more); nobody named in it is named differently.
    assert drawn.counts == {"brief.html": 1, "source.html": 1}
    after = snapshot(out)
    assert after["briefs/first/index.html"] != before["briefs/first/index.html"]
    assert after == clean_build(root, tmp_path)


def test_a_new_title_reaches_every_page_that_shows_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, out, state = held_cast(tmp_path)
    drawn = Drawn(monkeypatch)
    brief = root / "content" / "briefs" / "first.md"
    brief.write_text(brief.read_text(encoding="utf-8").replace("title: Brief first", "title: Talks resume"),
                     encoding="utf-8")
    before = snapshot(out)
    build(root, out, state=state, jobs=1)
    # The brief, the one after it (which leads back to it), its source and the two people it names.
    assert drawn.counts == {"brief.html": 2, "source.html": 1, "entity.html": 2}
    after = snapshot(out)
    assert b"Talks resume" in after["briefs/second/index.html"]
    assert b"Talks resume" not in before["briefs/second/index.html"]
    assert after == clean_build(root, tmp_path)


def test_without_a_held_state_every_page_is_worked_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command line's build keeps nothing for a next build in its process: nothing is reused, or stale.
    root = cast.write(tmp_path / "project")
    build(root, root / "site")
    drawn = Drawn(monkeypatch)
    state = IncrementalState(Paths(root), None)
    build(root, tmp_path / "other-site", state=state, jobs=1)
    assert drawn.counts["entity.html"] == cast.PEOPLE and drawn.counts["brief.html"] == 2


def test_an_edit_makes_the_inputs_of_only_the_pages_it_touches(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Naming someone new in one brief: the inputs of that brief's page, of the cited source's and of the pages
    # of everyone it names (the newcomer, and those named with them: who appears alongside whom changed) are
    # made again; every other page keeps the very inputs the last build made (`pages.kept_inputs`).
    root, out, state = held_cast(tmp_path)
    made: Counter[str] = Counter()
    for name in ("brief_inputs", "entity_inputs", "source_inputs"):
        real = getattr(pages, name)
        monkeypatch.setattr(pages, name, lambda *args, _real=real, _name=name: made.update([_name]) or _real(*args))
    newcomer = cast.PEOPLE - 1
    brief = root / "content" / "briefs" / "first.md"
    text = brief.read_text(encoding="utf-8")
    assert cast.name(newcomer) not in text
    brief.write_text(text + f"\n{cast.name(newcomer)} joined the talks {cast.cite(0)}.\n", encoding="utf-8")
    build(root, out, state=state, jobs=1)
    named = text.split("people: [", 1)[1].split("]", 1)[0].split(", ")
    assert 0 < len(named) < cast.PEOPLE - 1
    assert made == {"brief_inputs": 1, "entity_inputs": len(named) + 1, "source_inputs": 1}
    assert snapshot(out) == clean_build(root, tmp_path)
    # The content changed (a role): every page's inputs are made again, as without a held state.
    made.clear()
    people = root / "content" / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("role:", "role: Former", 1), encoding="utf-8")
    build(root, out, state=state, jobs=1)
    assert made["entity_inputs"] == cast.PEOPLE and made["brief_inputs"] == 2
    assert snapshot(out) == clean_build(root, tmp_path / "again")


def graph_rows(graph: Graph) -> dict[str, list[tuple[object, object]]]:
    """Every field of a graph in order, key by key (a Counter's counts in order too): what pages read of it."""
    return {f.name: [(key, list(value.items()) if isinstance(value, Counter) else value)
                     for key, value in getattr(graph, f.name).items()] for f in fields(graph)}


def test_an_edit_merges_again_only_what_its_brief_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A live server keeps the last merge of the briefs' shares of the graph (`resolve.MergeMemo`): an edit that
    # keeps its brief's keys merges again only those keys, and counts co-mentions again only when whom the
    # brief names changed; any other edit merges everything again. Each graph must be a plain resolve's, in
    # the same order, key by key.
    root = cast.write(tmp_path / "project")
    paths = Paths(root)
    state = IncrementalState(paths, None)
    held = lambda: incremental_briefs.load_and_resolve(paths, Problems(), state=state, held=True)[1]  # noqa: E731
    held()
    merged_whole: list[int] = []
    counted: list[int] = []
    real_merge, real_count = resolve._merge_all, resolve.co_mentions
    monkeypatch.setattr(resolve, "_merge_all", lambda shares: merged_whole.append(1) or real_merge(shares))
    monkeypatch.setattr(resolve, "co_mentions", lambda *args: counted.append(1) or real_count(*args))
    brief = root / "content" / "briefs" / "first.md"
    text = brief.read_text(encoding="utf-8")
    newcomer = cast.PEOPLE - 1
    assert cast.name(newcomer) not in text
    edits = [  # the brief's text after the edit; whether it merges everything again; whether it counts again
        (text + f"\nThe officials met again {cast.cite(0)}.\n", False, False),
        (text.replace("title: Brief first", "title: Talks resume"), False, False),
        (text + f"\n{cast.name(newcomer)} joined the talks {cast.cite(0)}.\n", True, True),
        (text, True, True),
        (None, True, True),  # deleted: every later brief's share moves up one place
    ]
    for after, whole, count in edits:
        merged_whole.clear()
        counted.clear()
        if after is None:
            brief.unlink()
        else:
            brief.write_text(after, encoding="utf-8")
        graph = held()
        assert bool(merged_whole) == whole and bool(counted) == count
        assert graph_rows(graph) == graph_rows(load_and_resolve(paths, Problems())[1])


def test_a_list_is_digested_again_only_when_what_it_shows_changed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Lists and indexes (pages without a recipe) get a whole new context from every build; the live server's
    # next build keeps a list's fingerprint when that context is `same` as the last one's, and digests it
    # again when anything it shows changed (a brief's title on the briefs list and the home page).
    root, out, state = held_cast(tmp_path)
    digested: Counter[str] = Counter()
    real = Fingerprints.of
    monkeypatch.setattr(Fingerprints, "of", lambda self, page: digested.update([page.path]) or real(self, page))
    brief = root / "content" / "briefs" / "first.md"
    text = brief.read_text(encoding="utf-8")
    brief.write_text(text + f"\nThe officials met again {cast.cite(0)}.\n", encoding="utf-8")
    build(root, out, state=state, jobs=1)
    assert not digested  # the brief's card, and so every list, is as it was
    brief.write_text(text.replace("title: Brief first", "title: Talks resume"), encoding="utf-8")
    build(root, out, state=state, jobs=1)
    assert {"index.html", "briefs/index.html"} <= set(digested)
    assert "people/index.html" not in digested and "search/index.html" not in digested
    assert b"Talks resume" in snapshot(out)["briefs/index.html"]
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_warm_build_leaves_the_first_edit_nothing_to_compile(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The live server's first build is warm: over a site already up to date it renders nothing, yet it
    # compiles every template (those a page imports or includes too) and finds the lexer of every language
    # a brief highlights, so that the first edit costs what later ones do.
    root = cast.write(tmp_path / "project")
    brief = root / "content" / "briefs" / "second.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\n```yaml\nreleased: 123\n```\n", encoding="utf-8")
    build(root, root / "site")  # the command line's build: the site is up to date when the server starts
    markup._lexer.cache_clear()  # as in a new process
    state = IncrementalState.open(Paths(root))
    try:
        build(root, root / "site", state=state, jobs=1, warm=True)
        compiled: list[str] = []
        lexers: list[str] = []
        real_compile, real_lexer = Environment.compile, markup.get_lexer_by_name
        monkeypatch.setattr(Environment, "compile",
                            lambda self, source, name=None, *rest, **kw: compiled.append(name) or
                            real_compile(self, source, name, *rest, **kw))
        monkeypatch.setattr(markup, "get_lexer_by_name", lambda name: lexers.append(name) or real_lexer(name))
        brief.write_text(brief.read_text(encoding="utf-8") + f"\nThe officials met again {cast.cite(1)}.\n",
                         encoding="utf-8")
        result = build(root, root / "site", state=state, jobs=1, finish=False)
    finally:
        state.close()
    assert result.written >= 1  # the brief's page was rendered, with its macros, partials and YAML block
    assert compiled == [] and lexers == []
    assert b'class="language-yaml"' in snapshot(root / "site")["briefs/second/index.html"]

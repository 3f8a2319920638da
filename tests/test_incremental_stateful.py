"""A stateful property: whatever sequence of edits, additions and deletions an editor makes to a project with
a large cast (above the charts' caps), every incremental build gives exactly the bytes of a clean build.

Each example builds either from one state held in memory (as the live server does, never forking) or from
the state the command line loads from the store. Kept small (few steps, few examples) to run in `make test`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import cast
from builder import visuals
from builder.build import build
from builder.config import Paths
from builder.incremental.state import IncrementalState
from test_incremental import snapshot

people = st.integers(0, cast.PEOPLE - 1)
# Mostly the people ranked around and below the charts' caps, where a few mentions change who is drawn.
ranked_low = st.one_of(st.integers(visuals.NETWORK_PEOPLE, cast.PEOPLE - 1), people)
sources = st.integers(0, cast.SOURCES - 1)
slugs = st.sampled_from(["alpha", "beta", "gamma", "first", "second"])


class EditorAtWork(RuleBasedStateMachine):
    """An editor changing a project; after every step an incremental build must equal a clean one."""

    @initialize(held=st.booleans())
    def start(self, held: bool) -> None:
        """`held`: every build from one state in memory (the live server's way, never forking); else each
        from the state the store holds (the command line's way)."""
        self.tmp = Path(tempfile.mkdtemp(prefix="stateful-"))
        self.root = cast.write(self.tmp / "project")
        self.out = self.root / "site"
        self.held = IncrementalState(Paths(self.root), None) if held else None
        self.extra_people = 0
        self.build()

    def build(self) -> None:
        if self.held is not None:
            build(self.root, self.out, state=self.held, jobs=1)
        else:
            build(self.root, self.out)

    def teardown(self) -> None:
        if hasattr(self, "tmp"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- what an editor does ----------------------------------------------------------------------
    # One rule over a choice of edits: Hypothesis's simplest example is then the first kind, a brief that
    # moves someone just below the charts' caps into them (the regression a stale page once showed).
    @rule(edit=st.one_of(
        st.tuples(st.just("write brief"), slugs, st.lists(ranked_low, min_size=1, max_size=3, unique=True), sources,
                  st.integers(20, 60)),
        st.tuples(st.just("delete brief"), slugs),
        st.tuples(st.just("retitle brief"), slugs, st.sampled_from(["Talks resume", "A release", "Brief alpha"])),
        st.tuples(st.just("name in source"), sources, st.integers(0, cast.PARAGRAPHS - 1), people),
        st.tuples(st.just("change role"), people, st.sampled_from(["Envoy", "Minister", "Adviser"])),
        st.tuples(st.just("add person")),
        st.tuples(st.just("time passes"))))
    def edit(self, edit: tuple) -> None:  # type: ignore[type-arg]
        kind, *args = edit
        {"write brief": self.write_brief, "delete brief": self.delete_brief, "retitle brief": self.retitle_brief,
         "name in source": self.name_in_source,
         "change role": self.change_role, "add person": self.add_person, "time passes": self.time_passes}[kind](*args)

    def write_brief(self, slug: str, who: list[int], source: int, times: int) -> None:
        """A new or rewritten brief; `times` more mentions of its first person move them up the ranking."""
        more = " ".join(f"[[{cast.name(who[0])}]] spoke {cast.cite(source)}." for _ in range(times))
        self.file(f"content/briefs/{slug}.md").write_text(cast.brief(slug, who, source, more + "\n"), encoding="utf-8")

    def delete_brief(self, slug: str) -> None:
        self.file(f"content/briefs/{slug}.md").unlink(missing_ok=True)

    def retitle_brief(self, slug: str, title: str) -> None:
        """A new title: its neighbours' pages, the lists, and the pages of who it names and what it cites show it."""
        brief = self.file(f"content/briefs/{slug}.md")
        if brief.exists():
            text = brief.read_text(encoding="utf-8")
            brief.write_text(text.replace(text[text.index("title: "):text.index("\nsummary:")], f"title: {title}", 1),
                             encoding="utf-8")

    def name_in_source(self, source: int, paragraph: int, person: int) -> None:
        seed = self.file(f"seeds/s{source}.txt")
        text = seed.read_text(encoding="utf-8")
        head = f"Report {source}-{paragraph}: "
        seed.write_text(text.replace(head, f"{head}{cast.name(person)} and ", 1), encoding="utf-8")

    def change_role(self, person: int, role: str) -> None:
        people_yaml = self.file("content/people.yaml")
        text = people_yaml.read_text(encoding="utf-8")
        start = text.index(f"- id: {cast.person_id(person)}\n")
        end = text.index("  profile:", start)
        block = "".join(line if not line.startswith("  role:") else f"  role: {role} {person}\n"
                        for line in text[start:end].splitlines(keepends=True))
        people_yaml.write_text(text[:start] + block + text[end:], encoding="utf-8")

    def add_person(self) -> None:
        n = cast.PEOPLE + self.extra_people
        self.extra_people += 1
        with self.file("content/people.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"- id: {cast.person_id(n)}\n  name: {cast.name(n)}\n  role: Newcomer\n"
                         f"  profile: Named in the dispatches {cast.cite(0)}.\n")

    def time_passes(self) -> None:
        """Every input's stamp a minute old: the next scan trusts the stamps it recorded, unread."""
        past = time.time() - 60
        for folder in ("content", "seeds"):
            for path in (self.root / folder).rglob("*"):
                os.utime(path, (past, past))

    # -- the property -----------------------------------------------------------------------------
    @invariant()
    def incremental_equals_clean(self) -> None:
        if not hasattr(self, "root"):
            return
        self.build()
        clean_root, clean_out = self.tmp / "clean", self.tmp / "clean-site"
        shutil.rmtree(clean_root, ignore_errors=True)
        shutil.rmtree(clean_out, ignore_errors=True)
        shutil.copytree(self.root, clean_root, ignore=shutil.ignore_patterns(".cache", "site"))
        build(clean_root, clean_out, state=IncrementalState(Paths(clean_root), None))
        assert snapshot(self.out) == snapshot(clean_out)

    def file(self, rel: str) -> Path:
        return self.root / rel


EditorAtWork.TestCase.settings = settings(max_examples=4, stateful_step_count=4, deadline=None,
                                          suppress_health_check=list(HealthCheck))
TestEditorAtWork = EditorAtWork.TestCase

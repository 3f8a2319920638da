"""Resolve: citations, wiki links, quotations, mentions and backlinks."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.build import load_and_resolve
from builder.config import Paths
from builder.matcher import EntityMatcher
from builder.model import Entity, Markdown
from builder.problems import BuildFailed, Pos, Problems
from tests.conftest import mini_files, write_project


def resolve_files(tmp_path: Path, **changes: str) -> tuple[object, object, list[str]]:
    files = mini_files()
    files.update({k.replace("__", "/").replace("_dot_", "."): v for k, v in changes.items()})
    problems = Problems()
    try:
        project, graph = load_and_resolve(Paths(write_project(tmp_path, files)), problems)
    except BuildFailed:
        return None, None, [str(p) for p in problems.sorted()]
    return project, graph, [str(p) for p in problems.sorted()]


def brief(body: str) -> dict[str, str]:
    return {"content__briefs__resignation_dot_md": "---\ntitle: T\nsummary: S\n---\n" + body}


def person(ident: str, *names: str) -> Entity:
    return Entity("person", ident, names[0], tuple(names[1:]), (), "r", None, None, Markdown("", Pos("x")), Pos("x"))


def test_matcher_finds_every_spelling_and_prefers_the_longest() -> None:
    matcher = EntityMatcher((person("kalesnikava", "Maria Kalesnikava", "Kolesnikova", "Maria Kolesnikova"),
                             person("lukashenko", "Alexander Lukashenko", "Lukashenko")))
    text = "Maria Kolesnikova met Lukashenko’s envoy; Kolesnikova left. Lukashenkos is no name."
    found = [(text[m.start:m.end], m.entity) for m in matcher.finditer(text)]
    assert found == [("Maria Kolesnikova", "kalesnikava"), ("Lukashenko", "lukashenko"),
                     ("Kolesnikova", "kalesnikava")]


def test_backlinks_both_ways(tmp_path: Path) -> None:
    project, graph, problems = resolve_files(tmp_path)
    assert problems == []
    novak = graph.mentions["novak"]
    assert [(m.kind, m.doc, m.anchor) for m in novak] == [
        ("source", "port-news", "p1"), ("source", "port-news", "p2"), ("brief", "resignation", "")]
    assert novak[1].sentence == "“We did what we could,” Novak told reporters."
    assert graph.entities_in_source["port-news"] == ["novak", "harbour-institute", "lis"]
    # [[lis|her deputy]] mentions Lis although the words differ
    assert "lis" in graph.entities_in_brief["resignation"]
    assert graph.briefs_citing["port-news"] == ["resignation"]
    assert graph.together["novak"]["lis"] >= 1


@pytest.mark.parametrize("body, expected", [
    ("Text [@port-newz#p1].\n", "content/briefs/resignation.md:5: error: citation to unknown source 'port-newz' — did you mean 'port-news'?"),
    ("Text [@port-news#p9].\n", "content/briefs/resignation.md:5: error: source 'port-news' has no paragraph 'p9' — its anchors run p1…p3; see `python -m builder ingest`"),
    ("Line one.\n\nText [@port news].\n", "content/briefs/resignation.md:7: error: malformed citation [@port news] — write [@source-id#p3] or [@a#p3; @b#p5]"),
    ("[[Jana Nowakowska]] did it [@port-news#p1].\n", "content/briefs/resignation.md:5: error: wiki link to unknown person or organisation 'Jana Nowakowska' — did you mean 'Jana Nowak'?"),
    ("She said \"We did all we could\" [@port-news#p2].\n", "content/briefs/resignation.md:5: error: misquotation: “We did all we could” is not verbatim in port-news#p2 — copy the words exactly from the source, or cite the paragraph they come from"),
    ("She said “a defeat”.\n", "content/briefs/resignation.md:5: error: quotation “a defeat” has no citation — cite the paragraph it comes from in the same paragraph: [@source#p3]"),
    ("> We did what we could, truly.\n> [@port-news#p2]\n", "content/briefs/resignation.md:5: error: misquotation: “We did what we could, truly.” is not verbatim in port-news#p2 — copy the words exactly from the source, or cite the paragraph they come from"),
])
def test_reference_errors_point_at_the_brief_line(tmp_path: Path, body: str, expected: str) -> None:
    _, _, problems = resolve_files(tmp_path, **brief(body))
    assert expected in problems


def test_verbatim_quotes_pass_across_lines_and_quote_styles(tmp_path: Path) -> None:
    body = ('She said "We did what\nwe could," [@port-news#p2].\n\n'
            "> “We did what we could,” Novak told reporters.\n> [@port-news#p2]\n")
    _, _, problems = resolve_files(tmp_path, **brief(body))
    assert problems == []


def test_paragraph_without_citation_is_a_warning_but_notes_are_exempt(tmp_path: Path) -> None:
    body = "An uncited claim.\n\n::: note\nBackground of our own.\n:::\n\nCited [@port-news#p1].\n"
    _, _, problems = resolve_files(tmp_path, **brief(body))
    assert problems == ["content/briefs/resignation.md:5: warning: paragraph has no citation — cite the source "
                        "paragraph, e.g. [@source#p3], or put editorial context in a '::: note' block"]


def test_claim_excerpt_must_be_verbatim(tmp_path: Path) -> None:
    claims = ("- id: resigned\n  topic: people\n  claim: Novak resigned.\n  stances:\n"
              "    - source: port-news\n      stance: supports\n      at: p1\n"
              "      excerpt: Jana Novak quit on Tuesday\n")
    _, _, problems = resolve_files(tmp_path, content__claims_dot_yaml=claims)
    assert problems == ["content/claims.yaml:5: error: excerpt is not verbatim in port-news#p1 — copy the words "
                        "exactly from that paragraph (see `python -m builder ingest`)"]


def test_front_matter_ids_must_exist(tmp_path: Path) -> None:
    body = "---\ntitle: T\nsummary: S\npeople: [novakk]\nsources: [port-news]\n---\nText [@port-news#p1].\n"
    _, _, problems = resolve_files(tmp_path, content__briefs__resignation_dot_md=body)
    assert problems == ["content/briefs/resignation.md:4: error: unknown person 'novakk' — did you mean 'novak'?"]


def test_alias_shared_by_two_people_is_an_error(tmp_path: Path) -> None:
    people = mini_files()["content/people.yaml"] + "- id: other\n  name: Other\n  aliases: [Lis]\n  role: r\n  profile: p\n"
    _, _, problems = resolve_files(tmp_path, content__people_dot_yaml=people)
    assert problems == ["content/people.yaml:11: error: name or alias 'Lis' is also used by 'lis' — "
                        "each spelling must belong to one person or organisation"]

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
        ("source", "port-news", "p3"), ("source", "port-news", "p4"), ("brief", "resignation", "")]
    assert novak[1].sentence == "“We did what we could,” Novak told reporters."
    assert graph.entities_in_source["port-news"] == ["novak", "harbour-institute", "lis"]
    # [[lis|her deputy]] mentions Lis although the words differ
    assert "lis" in graph.entities_in_brief["resignation"]
    assert graph.briefs_citing["port-news"] == ["resignation"]
    assert graph.together["novak"]["lis"] >= 1


@pytest.mark.parametrize("body, expected", [
    ("Text [@port-newz#p1].\n", "content/briefs/resignation.md:5: error: citation to unknown source 'port-newz' — did you mean 'port-news'?"),
    ("Text [@port-news#p9].\n", "content/briefs/resignation.md:5: error: source 'port-news' has no paragraph 'p9' — its anchors run p3…p5; figures fig2; see `python -m builder ingest`"),
    ("Line one.\n\nText [@port news].\n", "content/briefs/resignation.md:7: error: malformed citation [@port news] — write [@source-id#p3] or [@a#p3; @b#p5]"),
    ("[[Jana Nowakowska]] did it [@port-news#p3].\n", "content/briefs/resignation.md:5: error: wiki link to unknown person or organisation 'Jana Nowakowska' — did you mean 'Jana Nowak'?"),
    ("She said \"We did all we could\" [@port-news#p4].\n", "content/briefs/resignation.md:5: error: misquotation: “We did all we could” is not verbatim in port-news#p4 — no source has these words; copy them exactly from the paragraph you cite"),
    ("She said “a defeat”.\n", "content/briefs/resignation.md:5: error: quotation “a defeat” has no citation — cite the paragraph it comes from in the same paragraph: [@source#p3]"),
    ("> We did what we could, truly.\n> [@port-news#p4]\n", "content/briefs/resignation.md:5: error: misquotation: “We did what we could, truly.” is not verbatim in port-news#p4 — no source has these words; copy them exactly from the paragraph you cite"),
])
def test_reference_errors_point_at_the_brief_line(tmp_path: Path, body: str, expected: str) -> None:
    _, _, problems = resolve_files(tmp_path, **brief(body))
    assert expected in problems


def test_verbatim_quotes_pass_across_lines_and_quote_styles(tmp_path: Path) -> None:
    body = ('She said "We did what\nwe could," [@port-news#p4].\n\n'
            "> “We did what we could,” Novak told reporters.\n> [@port-news#p4]\n")
    _, _, problems = resolve_files(tmp_path, **brief(body))
    assert problems == []


def test_paragraph_without_citation_is_a_warning_but_notes_are_exempt(tmp_path: Path) -> None:
    body = "An uncited claim.\n\n::: note\nBackground of our own.\n:::\n\nCited [@port-news#p3].\n"
    _, _, problems = resolve_files(tmp_path, **brief(body))
    assert problems == ["content/briefs/resignation.md:5: warning: paragraph has no citation: “An uncited claim.” — "
                        "cite the source "
                        "paragraph, e.g. [@source#p3], or put editorial context in a '::: note' block"]


@pytest.mark.parametrize("excerpt, hint", [
    ("Jana Novak quit on Tuesday", "no source has these words; copy them exactly from the paragraph you cite"),
    ("will lead the ministry", "the words are in port-news#p5: cite that paragraph"),  # there, not at p3
])
def test_claim_excerpt_must_be_verbatim_and_the_error_says_where_it_is(tmp_path: Path, excerpt: str,
                                                                       hint: str) -> None:
    claims = ("- id: resigned\n  topic: people\n  claim: Novak resigned.\n  stances:\n"
              f"    - source: port-news\n      stance: supports\n      at: p3\n      excerpt: {excerpt}\n")
    _, _, problems = resolve_files(tmp_path, content__claims_dot_yaml=claims)
    assert problems == [f"content/claims.yaml:5: error: excerpt is not verbatim in port-news#p3 — {hint}"]


ONE_MISTAKE = {
    # a wrong paragraph beside a right one: the wrong one is the only error (no misquotation blamed on p4)
    'She said "a defeat" [@port-news#p9; @port-news#p4].\n':
        "content/briefs/resignation.md:6: error: source 'port-news' has no paragraph 'p9'",
    # a wrong paragraph alone: no "quotation has no citation" on top
    'She said "a defeat" [@port-news#p42].\n':
        "content/briefs/resignation.md:6: error: source 'port-news' has no paragraph 'p42' — its anchors run p3…p5",
    '> We did what we could.\n> [@port-news#p1]\n':
        "content/briefs/resignation.md:6: error: source 'port-news' has no paragraph 'p1'",
    # the words are real, the paragraph is wrong: the error says where they are
    'She said "a defeat" [@port-news#p3].\n':
        "content/briefs/resignation.md:6: error: misquotation: “a defeat” is not verbatim in port-news#p3 — the "
        "words are in port-news#p4: cite that paragraph",
}


@pytest.mark.parametrize("body", ONE_MISTAKE)
def test_one_mistake_is_one_error(tmp_path: Path, body: str) -> None:
    front = "---\ntitle: T\nsummary: S\nsources: [port-news]\n---\n"
    _, _, problems = resolve_files(tmp_path, content__briefs__resignation_dot_md=front + body)
    errors = [p for p in problems if ": error: " in p]
    assert len(errors) == 1, problems
    assert errors[0].startswith(ONE_MISTAKE[body])


def test_a_caption_cited_as_a_paragraph_suggests_the_figure(tmp_path: Path) -> None:
    front = "---\ntitle: T\nsummary: S\nsources: [port-news]\n---\n"
    _, _, problems = resolve_files(tmp_path, content__briefs__resignation_dot_md=front + "Workers [@port-news#p2].\n")
    assert problems == ["content/briefs/resignation.md:6: error: source 'port-news' has no paragraph 'p2' — did you "
                        "mean 'fig2'? that block is a photo caption"]


def test_front_matter_ids_must_exist(tmp_path: Path) -> None:
    body = "---\ntitle: T\nsummary: S\npeople: [novakk]\nsources: [port-news]\n---\nText [@port-news#p3].\n"
    _, _, problems = resolve_files(tmp_path, content__briefs__resignation_dot_md=body)
    assert problems == ["content/briefs/resignation.md:4: error: unknown person 'novakk' — did you mean 'novak'?"]


def test_alias_shared_by_two_people_is_an_error(tmp_path: Path) -> None:
    people = mini_files()["content/people.yaml"] + "- id: other\n  name: Other\n  aliases: [Lis]\n  role: r\n  profile: p\n"
    _, _, problems = resolve_files(tmp_path, content__people_dot_yaml=people)
    assert problems == ["content/people.yaml:11: error: name or alias 'Lis' is also used by 'lis' — "
                        "each spelling must belong to one person or organisation"]

"""Load: YAML and briefs into the model, every mistake reported with its line."""

from __future__ import annotations

from pathlib import Path

from builder.config import Paths
from builder.load import load_project
from builder.markup import create_markdown
from builder.problems import Problems
from tests.conftest import mini_files, write_project


def load(root: Path) -> tuple[object, list[str]]:
    problems = Problems()
    project = load_project(Paths(root), create_markdown(), problems)
    return project, [str(p) for p in problems.sorted()]


def test_mini_project_loads_into_the_model(mini: Path) -> None:
    project, problems = load(mini)
    assert problems == []
    assert [e.id for e in project.people] == ["novak", "lis"]
    assert [e.id for e in project.organisations] == ["harbour-institute"]
    assert project.sources[0].text.by_anchor()["p4"].text.startswith("“We did what we could,”")
    brief = project.briefs[0]
    assert (brief.slug, brief.people, brief.body.pos.line) == ("resignation", ("novak",), 7)


def problems_after_adding(tmp_path: Path, path: str, text: str) -> list[str]:
    """The load problems of the mini project with `text` appended to its file `path`."""
    files = mini_files()
    files[path] = files.get(path, "") + text
    return load(write_project(tmp_path, files))[1]


def test_unknown_key_is_an_error_with_line_and_suggestion(tmp_path: Path) -> None:
    problems = problems_after_adding(tmp_path, "content/people.yaml", "- id: kowal\n  name: Ewa Kowal\n  role: Mayor\n  profle: x\n  profile: y\n")
    assert problems == ["content/people.yaml:14: error: unknown key 'profle' in person — did you mean 'profile'?"]


def test_missing_required_field_and_wrong_type(tmp_path: Path) -> None:
    problems = problems_after_adding(tmp_path, "content/people.yaml", "- id: kowal\n  name: Ewa Kowal\n  aliases: 5\n  profile: y\n")
    assert "content/people.yaml:11: error: person is missing required 'role' — add 'role:' (one line on who they are)" in problems
    assert any(p.startswith("content/people.yaml:13: error: 'aliases' must be a list of strings") for p in problems)


def test_duplicate_ids_and_duplicate_keys(tmp_path: Path) -> None:
    problems = problems_after_adding(tmp_path, "content/people.yaml", "- id: lis\n  name: Other\n  role: x\n  role: y\n  profile: z\n")
    assert "content/people.yaml:14: error: duplicate key 'role' — each key may appear once in a mapping; remove or merge one" in problems
    assert any(p.startswith("content/people.yaml:11: error: duplicate person id 'lis' (first at line 6)") for p in problems)


def test_yaml_syntax_error_points_at_its_line(tmp_path: Path) -> None:
    files = mini_files()
    files["content/sources.yaml"] = "- id: a\n  seed: port.txt\n  title: [unclosed\n"
    _, problems = load(write_project(tmp_path, files))
    assert problems and problems[0].startswith("content/sources.yaml:4: error: YAML syntax:")


def test_front_matter_errors_use_file_lines(tmp_path: Path) -> None:
    files = mini_files()
    files["content/briefs/open.md"] = "---\ntitle: x\nsummary: y\n\nNo closing line.\n"
    files["content/briefs/typed.md"] = "---\ntitle: x\nsummary: y\norder: first\n---\nBody [@port-news#p3].\n"
    files["content/briefs/empty.md"] = "---\ntitle: x\nsummary: y\n---\n\n"
    _, problems = load(write_project(tmp_path, files))
    assert "content/briefs/open.md:1: error: front matter is not closed — end the front matter with a line of three dashes: ---" in problems
    assert "content/briefs/typed.md:4: error: 'order' must be a whole number, not 'first' — fix the value of 'order'" in problems
    assert "content/briefs/empty.md:5: error: the brief has no text — write the body below the front matter" in problems


def test_seed_missing_not_utf8_or_empty(tmp_path: Path) -> None:
    files = mini_files()
    files["content/sources.yaml"] += ("- id: gone\n  seed: gone.txt\n  title: T\n"
                                      "- id: latin\n  seed: latin.txt\n  title: T\n"
                                      "- id: blank\n  seed: blank.txt\n  title: T\n")
    files["seeds/latin.txt"] = "Caf\xe9 line one.\n\nSecond\n".encode("latin-1")
    files["seeds/blank.txt"] = "\n\n"
    _, problems = load(write_project(tmp_path, files))
    assert "content/sources.yaml:8: error: seed file 'seeds/gone.txt' not found — did you mean 'port.txt'?" in problems
    assert "seeds/latin.txt:1: error: not UTF-8 (byte 0xe9 at offset 3) — re-save the file as UTF-8" in problems
    assert "seeds/blank.txt:1: error: seed has no text paragraphs (empty?) — put the article's full text in the file" in problems


def test_invalid_ids_and_slugs_are_refused(tmp_path: Path) -> None:
    files = mini_files()
    files["content/people.yaml"] += "- id: ../evil\n  name: E\n  role: r\n  profile: p\n"
    files["content/briefs/Bad Name.md"] = "---\ntitle: x\nsummary: y\n---\nText [@port-news#p3].\n"
    _, problems = load(write_project(tmp_path, files))
    assert any(p.startswith("content/people.yaml:11: error: invalid 'id' '../evil'") for p in problems)
    assert any(p.startswith("content/briefs/Bad Name.md:1: error: file name 'Bad Name.md' is not a valid slug")
               for p in problems)


def sources_with(tmp_path: Path, ingest: str, extra: str = "") -> list[str]:
    files = mini_files()
    files["content/sources.yaml"] = (
        "- id: port-news\n  seed: port.txt\n  title: Minister Resigns After Port Deal Collapses\n"
        f"  short: PN\n{extra}  ingest:\n{ingest}")
    _, problems = load(write_project(tmp_path / "p", files))
    return problems


def test_a_pattern_that_matches_nothing_is_a_warning_at_its_line(tmp_path: Path) -> None:
    problems = sources_with(tmp_path, '    captions:\n      - "^Harbour workers gather"\n      - "^No such caption"\n'
                                     '    drop: ["| Sep 11, 2025", "Lis said"]\n')
    assert problems == [
        "content/sources.yaml:8: warning: ingest.captions pattern '^No such caption' matches no line of "
        "seeds/port.txt — fix it (see `python -m builder ingest`) or remove it",
        "content/sources.yaml:9: warning: ingest.drop pattern 'Lis said' matches no line of seeds/port.txt — it "
        "matches only part of a line: drop patterns must match a whole line (add .* at either end)",
        "content/sources.yaml:9: warning: ingest.drop pattern '| Sep 11, 2025' matches no line of seeds/port.txt "
        "— it matches the empty string: escape special characters such as | with a backslash",
    ]


def test_an_invalid_pattern_is_an_error_at_its_own_line(tmp_path: Path) -> None:
    problems = sources_with(tmp_path, '    drop:\n      - "Leave a comment"\n      - "Trending (now"\n')
    assert len(problems) == 1 and problems[0].startswith(
        "content/sources.yaml:8: error: invalid regular expression 'Trending (now' in ingest.drop")


def test_drop_between_must_be_a_pair_of_patterns(tmp_path: Path) -> None:
    problems = sources_with(tmp_path, '    drop_between: ["only one"]\n')
    assert problems == ["content/sources.yaml:6: error: 'drop_between' must be a pair of strings [start, end], "
                        "or a list of such pairs, not ['only one'] — fix the value of 'drop_between'"]


def test_a_title_said_to_be_the_headline_needs_a_headline(tmp_path: Path) -> None:
    files = mini_files()
    files["seeds/port.txt"] = "Jana Novak resigned on Tuesday, officials said.\n"
    files["content/sources.yaml"] = ("- id: port-news\n  seed: port.txt\n  title: Minister Resigns\n"
                                     "  title_is_editorial: false\n")
    _, problems = load(write_project(tmp_path / "p", files))
    assert ("content/sources.yaml:1: warning: source 'port-news' says its title is the seed's headline "
            "(title_is_editorial: false), but no headline was found — add ingest: headline: [pattern], or set "
            "title_is_editorial: true") in problems

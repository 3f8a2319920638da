"""Property tests: whatever an editor types, the build never crashes.

Arbitrary Markdown bodies and arbitrary YAML values for editorial fields go through the engine in
process (builder.build.build). The build either succeeds with pages free of live code, or raises
BuildFailed (the clean error) whose every line reads `path:line: error|warning: …` and points into the
project. Any other exception is a crash, and fails the test.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.build import build
from builder.problems import BuildFailed
from conftest import mini_files, write_project
from test_hostile import live_code

PROBLEM_LINE = re.compile(r"^[^:\n]+:\d+: (error|warning): ")
LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")  # incl. \n, \r, ESC
SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pieces of the syntax the engine gives meaning to, so that examples hit its rules, not only text.
MARKDOWN_PIECES = [
    "[", "]", "[[", "]]", "[@", "@", "#", "#p", ";", "|", '"', "“", "”", "'", "`", "```", "<", ">", "\n",
    "\n\n", "> ", "::: note\n", "\n:::\n", "---\n", "{", "}", "(", ")", "!", "*", "_", "- ", "1. ", "\\",
    "[@port-news#p3]", "[@port-news#p4; @port-news]", "[@port-news#fig2]", "[@nope#p1]", "[@port-news#p99]",
    "[[Jana Novak]]", "[[lis|her deputy]]", "[[Nobody]]", '"We did what we could"', "“a defeat”",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "![y](data:image/svg+xml,<svg onload=alert(1)>)", '{onclick="alert(1)"}', "{#p1 .x}", "[^1]", "[^1]: ",
    "Novak", "Lis", "Harbour Institute", "ü", "Марыя", "😀", "\u200b", "\t", " ",
]
markdown = st.lists(st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=4)), max_size=40).map("".join)

# Where a field's value goes: (file, the line of the mini project it replaces, the line's start).
FIELDS = {
    "person-name": ("content/people.yaml", "  name: Piotr Lis", "  name: "),
    "person-aliases": ("content/people.yaml", "  aliases: [Novak, Jana Nowak]", "  aliases: "),
    "person-role": ("content/people.yaml", "  role: Minister of ports", "  role: "),
    "person-profile": ("content/people.yaml", "  profile: Leads the ministry for now [@port-news#p5].",
                       "  profile: "),
    "organisation-name": ("content/organisations.yaml", "  name: Harbour Institute", "  name: "),
    "source-title": ("content/sources.yaml", "  title: Minister Resigns After Port Deal Collapses", "  title: "),
    "brief-title": ("content/briefs/resignation.md", "title: The resignation", "title: "),
    "brief-order": ("content/briefs/resignation.md", "summary: Why the minister left.",
                    "summary: Why the minister left.\norder: "),
    "site-title": ("content/site.yaml", "title: Port Briefing", "title: "),
}
names = st.text(max_size=30)
yaml_values = st.one_of(
    names, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.lists(names, max_size=4), st.dictionaries(st.text(max_size=5), names, max_size=2),
)


def build_outcome(files: dict[str, str | bytes]) -> None:
    """Build in process; assert the outcome is a clean site or a clean error, never a crash."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp) / "project", files)
        try:
            build(root, Path(tmp) / "out")
        except BuildFailed as failed:
            assert failed.problems.errors, "a failed build must say why"
            for problem in failed.problems.sorted():
                text = str(problem)
                # Guard: problems.Problem.__str__ escapes line-breaking and control characters.
                assert PROBLEM_LINE.match(text) and not LINE_BREAKING.search(text), repr(text)
                assert problem.pos.line >= 1
                assert problem.pos.path.startswith("site/") or (root / problem.pos.path).is_file(), text
            return
        pages = sorted((Path(tmp) / "out").rglob("*.html"))
        assert pages
        for page in pages:
            assert live_code(page.read_text(encoding="utf-8")) == [], page


def with_line(files: dict[str, str | bytes], path: str, old: str, new: str) -> dict[str, str | bytes]:
    text = str(files[path])
    assert old + "\n" in text, (path, old)
    return {**files, path: text.replace(old + "\n", new + "\n", 1)}


@SETTINGS
@given(body=markdown)
def test_any_markdown_body_builds_or_fails_cleanly(body: str) -> None:
    brief = "---\ntitle: The resignation\nsummary: Why the minister left.\n---\n" + body + "\n"
    build_outcome({**mini_files(), "content/briefs/resignation.md": brief})


@SETTINGS
@given(text=markdown)
def test_any_markdown_in_a_yaml_field_builds_or_fails_cleanly(text: str) -> None:
    # Markdown fields (profiles) come through YAML: a block scalar keeps the text as typed.
    block = "  profile: |-\n" + "".join(f"    {line}\n" for line in text.split("\n"))
    files = with_line(mini_files(), "content/people.yaml",
                      "  profile: Leads the ministry for now [@port-news#p5].", block.rstrip("\n"))
    build_outcome(files)


@SETTINGS
@given(field=st.sampled_from(sorted(FIELDS)), value=yaml_values)
def test_any_yaml_value_builds_or_fails_cleanly(field: str, value: object) -> None:
    path, old, start = FIELDS[field]
    # JSON is YAML: the value arrives with its type (string, number, list, mapping, null).
    build_outcome(with_line(mini_files(), path, old, start + json.dumps(value, ensure_ascii=False)))


@SETTINGS
@given(key=st.text(max_size=12), value=yaml_values)
def test_any_extra_key_builds_or_fails_cleanly(key: str, value: object) -> None:
    # Unknown keys are errors that quote the key: a key may hold anything, newlines included.
    line = "  " + json.dumps(key, ensure_ascii=False) + ": " + json.dumps(value, ensure_ascii=False)
    build_outcome(with_line(mini_files(), "content/people.yaml", "  role: Deputy minister",
                            "  role: Deputy minister\n" + line))


@SETTINGS
@given(field=st.sampled_from(sorted(FIELDS)), raw=st.text(max_size=40))
def test_any_raw_yaml_text_builds_or_fails_cleanly(field: str, raw: str) -> None:
    # Unquoted, as an editor would type it: colons, quotes, brackets, tabs and newlines included.
    path, old, start = FIELDS[field]
    build_outcome(with_line(mini_files(), path, old, start + raw))

"""Integrity checks: a cited sentence says only what its citations say (builder/integrity.py).

A fixture project of its own: two short reports that disagree on one point. Each check has sentences that
must trip it and sentences, saying the same thing properly, that must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.build import load_and_resolve
from builder.config import Paths
from builder.integrity import attributions, names_speaker
from builder.wording import key_terms, sentences
from builder.markup import create_markdown
from builder.problems import BuildFailed, Problems
from tests.conftest import SITE_YAML, run_cli, write_project

HARBOUR = """\
Port Minister Quits

Jana Novak resigned on Tuesday after the port deal collapsed, officials said.

Analysts say the collapse leaves Portville without a harbour plan for the winter.

The collapse is seen as a defeat for the harbour board, which has run the port for a decade.

The ministry counted 123 ships in the harbour this week. Most crews stayed aboard.

“We did what we could,” said one Western diplomat. “It is a pause, not the end.”

Piotr Lis met Novak in Portville and later flew to Riverton.

Sanctions on the port were partly eased in recent weeks.
"""

COAST = """\
Coast Report

The port sanctions were lifted in full last week.

The weather over the harbour was fine.
"""

SOURCES = """\
- id: harbour
  seed: harbour.txt
  title: Port Minister Quits
  short: HB
  kind: news report
- id: coast
  seed: coast.txt
  title: Coast Report
  short: CR
  kind: news report
"""

PEOPLE = """\
- id: novak
  name: Jana Novak
  aliases: [Novak, Jana Nowak, Nowak]
  role: Minister of ports
  profile: She resigned [@harbour#p2].
- id: lis
  name: Piotr Lis
  aliases: [Lis]
  role: Deputy minister
  profile: He flew to Riverton [@harbour#p7].
"""

CLAIMS = """\
- id: sanctions-lifted
  topic: sanctions
  claim: "The port sanctions were lifted in full."
  stances:
    - source: coast
      stance: supports
      at: p2
      excerpt: "The port sanctions were lifted in full last week."
    - source: harbour
      stance: contradicts
      at: p8
      excerpt: "Sanctions on the port were partly eased"
"""


BODY = "Novak resigned on Tuesday, officials said [@harbour#p2].\n"


def project_files(body: str, claims: str = CLAIMS) -> dict[str, str]:
    return {
        "content/site.yaml": SITE_YAML,
        "content/sources.yaml": SOURCES,
        "content/people.yaml": PEOPLE,
        "content/claims.yaml": claims,
        "content/briefs/port.md": "---\ntitle: Port\nsummary: The port.\n---\n" + body,
        "seeds/harbour.txt": HARBOUR,
        "seeds/coast.txt": COAST,
    }


def warnings_for(tmp_path: Path, body: str, claims: str = CLAIMS) -> list[str]:
    problems = Problems()
    try:
        load_and_resolve(Paths(write_project(tmp_path / "p", project_files(body, claims))), problems)
    except BuildFailed:
        pytest.fail("\n".join(str(p) for p in problems.sorted()))
    assert not problems.errors, problems.errors
    return [str(p) for p in problems.sorted() if p.severity == "warning"]


# Each case: a sentence, and the words that must appear in its one warning (None: no warning at all).
CASES = [
    # numbers, as digits or written out
    ("The ministry counted 124 ships [@harbour#p5].", "the number 124"),
    ("The ministry counted 123 ships [@harbour#p5].", None),
    ("The ministry counted one hundred and twenty-three ships [@harbour#p5].", None),
    ("Thousands of ships waited [@harbour#p5].", "the number 1000 (written out)"),
    # named people, under any alias the project knows
    ("[[Piotr Lis]] resigned on Tuesday [@harbour#p2].", "Piotr Lis not in harbour#p2"),
    ("Nowak resigned on Tuesday, officials said [@harbour#p2].", None),
    # places (proper names the sources use)
    ("[[Jana Novak]] resigned in Riverton, officials said [@harbour#p2].", "the name Riverton"),
    ("[[Lis]] later flew to Riverton [@harbour#p7].", None),
    # words of quantity and certainty
    ("All crews stayed aboard [@harbour#p5].", "the word “all”"),
    ("The ministry already counted 123 ships [@harbour#p5].", "the word “already”"),
    ("Most crews stayed aboard [@harbour#p5].", None),
    ("The report gives no count of crews who left [@harbour#p5].", None),  # about the source: may say what it lacks
    # attributed spans: the speaker or kind of speaker must be named
    ("The collapse leaves Portville without a harbour plan for the winter [@harbour#p3].", "“Analysts”"),
    ("Analysts say the collapse leaves Portville without a harbour plan for the winter [@harbour#p3].", None),
    ("The report treats the collapse as a defeat for the harbour board [@harbour#p4].", "“seen”"),
    ("The collapse is seen as a defeat for the harbour board [@harbour#p4].", None),
    ("The report adds that the harbour board has run the port for a decade [@harbour#p4].", None),  # not the seen-as part
    ('The report calls it "a pause, not the end" [@harbour#p6].', "“one Western diplomat”"),
    ('A Western diplomat called it "a pause, not the end" [@harbour#p6].', None),
    ('The report calls it "a defeat for the harbour board" [@harbour#p4].', "“seen”"),
    ('HB (supports): "a defeat for the harbour board" [@harbour#p4].', None),  # a ledger excerpt under its label
    # one side of a disputed claim, stated as fact while citing only that side
    ("The port sanctions were lifted in full [@coast#p2].", "disputed claim 'sanctions-lifted'"),
    ("According to CR, the port sanctions were lifted in full [@coast#p2].", None),
    ("The port sanctions were lifted in full [@coast#p2] or partly eased [@harbour#p8].", None),
]


@pytest.mark.parametrize("sentence, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_each_check_trips_on_a_drifted_sentence_and_not_on_a_faithful_one(
        tmp_path: Path, sentence: str, expected: str | None) -> None:
    found = warnings_for(tmp_path, sentence + "\n")
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found
        assert found[0].startswith("content/briefs/port.md:5: warning: ")


def test_a_sentence_inside_an_editorial_note_is_not_compared(tmp_path: Path) -> None:
    assert warnings_for(tmp_path, "Cited [@harbour#p2].\n\n::: note\nAll of it, in Riverton [@harbour#p2].\n:::\n") == []


def test_editorial_fields_are_checked_too(tmp_path: Path) -> None:
    files = project_files("Novak resigned on Tuesday, officials said [@harbour#p2].\n")
    files["content/timeline.yaml"] = "- id: quit\n  when: Tuesday\n  event: Novak resigned in Riverton [@harbour#p2].\n"
    problems = Problems()
    load_and_resolve(Paths(write_project(tmp_path / "p", files)), problems)
    assert [p.pos.path for p in problems.warnings] == ["content/timeline.yaml"]


def stance_claims(stance: str, at: str = "", excerpt: str = "", note: str = "") -> str:
    lines = ["- id: lis-met", "  topic: people", '  claim: "Piotr Lis met Novak in Portville."', "  stances:",
             "    - source: harbour", f"      stance: {stance}"]
    lines += [f"      at: {at}", f'      excerpt: "{excerpt}"'] if at else []
    lines += ["    - source: coast", "      stance: silent"]
    lines += [f"  note: {note}"] if note else []
    return "\n".join(lines) + "\n"


def test_a_contradicts_stance_must_share_a_key_term_with_its_claim(tmp_path: Path) -> None:
    off_topic = warnings_for(tmp_path, BODY, stance_claims("contradicts", "p5", "Most crews stayed aboard."))
    assert len(off_topic) == 1 and "shares none of the claim's key terms" in off_topic[0]
    on_topic = warnings_for(tmp_path / "on", BODY, stance_claims("contradicts", "p7", "Piotr Lis met Novak in Portville"))
    assert on_topic == []


def test_a_silent_stance_on_a_source_that_uses_the_claims_terms_is_a_hint(tmp_path: Path) -> None:
    found = warnings_for(tmp_path, BODY, stance_claims("silent"))
    assert len(found) == 1 and "marked silent on 'lis-met', but its p7" in found[0]
    # the coast report, really silent, raises nothing; a note saying what the source says instead settles it
    assert warnings_for(tmp_path / "noted", BODY, stance_claims("silent", note="It says he flew on [@harbour#p7].")) == []


def test_unclear_is_a_stance_with_its_words_and_not_a_disagreement(tmp_path: Path) -> None:
    claims = stance_claims("unclear", "p7", "Piotr Lis met Novak in Portville")
    problems = Problems()
    project, _ = load_and_resolve(Paths(write_project(tmp_path / "p", project_files(BODY, claims))), problems)
    assert problems.items == []
    claim = project.claims[0]
    assert [s.label for s in claim.unclear] == ["Unclear"] and not claim.disputed
    assert claim.supporting == () and claim.contradicting == ()
    # an unclear stance needs its words, as supports and contradicts do
    with pytest.raises(BuildFailed):
        load_and_resolve(Paths(write_project(tmp_path / "q", project_files(BODY, stance_claims("unclear")))),
                         Problems())


def test_only_real_contradictions_reach_the_home_page_and_unclear_shows_as_such(tmp_path: Path) -> None:
    claims = CLAIMS + stance_claims("unclear", "p7", "Piotr Lis met Novak in Portville")
    root = write_project(tmp_path / "p", project_files(BODY, claims))
    result = run_cli("--project", str(root), "build", "--out", str(tmp_path / "site"), "--strict")
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert "#sanctions-lifted" in home and "#lis-met" not in home
    ledger = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "site/claims").glob("*/index.html")))
    row = ledger[ledger.index('id="lis-met"'):]
    cells = row[:row.index("</tr>")]
    assert '<td class="unclear">' in cells and "<b>Unclear</b>" in cells  # shown as such, not as a contradiction


def test_sentences_take_their_own_citation_or_the_next_one() -> None:
    md = create_markdown()
    tokens = md.parse("First, uncited. Second [@a#p2]. U.S. officials agree [@b#p3].")
    inline = next(t for t in tokens if t.type == "inline")
    found = [(s.text, [f"{r.source}#{r.anchor}" for r in s.refs]) for s in sentences(inline)]
    assert found == [("First, uncited.", ["a#p2"]), ("Second.", ["a#p2"]), ("U.S. officials agree.", ["b#p3"])]


def test_attribution_cues_name_their_speaker() -> None:
    assert attributions("Limited engagement, analysts say, offers relief.")[0][0] == "analysts"
    assert attributions("It is seen as a concession, which matters.") == [("seen", " a concession")]
    assert attributions("Coale called it productive, according to reports from Belta.")[0][0] == \
        "reports from Belta"
    assert attributions("The talks went well.") == []
    # a speaker the project does not list still counts when the sentence names them
    assert names_speaker("It was productive, according to Belta.", "reports from the state news agency Belta", [])
    assert not names_speaker("It was productive.", "reports from the state news agency Belta", [])
    assert key_terms("Sanctions were lifted") == key_terms("sanction lifting")


def test_the_real_briefing_raises_no_integrity_warning() -> None:
    result = run_cli("check", "--strict")
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stdout + result.stderr and "0 warning(s)" in result.stdout

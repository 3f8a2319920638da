"""`new brief`: a cited draft from an outline, never overwriting the editor's brief."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import mini_files, run_cli, write_project

CLAIMS = """\
- id: resigned
  topic: people
  claim: Novak resigned after the deal collapsed.
  stances:
    - source: port-news
      stance: supports
      at: p3
      excerpt: Jana Novak resigned on Tuesday
    - source: port-news-2
      stance: silent
- id: verdict
  topic: reactions
  claim: Analysts judged the collapse a defeat.
  stances:
    - source: port-news
      stance: supports
      at: p4
      excerpt: called it “a defeat”
    - source: port-news-2
      stance: contradicts
      at: p1
      excerpt: analysts called it a draw
"""

OUTLINE = """\
title: The fall
summary: How the minister fell.
sections:
  - heading: What happened
    claims: [resigned, verdict]
"""


def project(tmp_path: Path, outline: str = OUTLINE) -> Path:
    files = mini_files()
    files["content/sources.yaml"] += "- id: port-news-2\n  seed: port2.txt\n  title: Second\n"
    files["seeds/port2.txt"] = "Later, analysts called it a draw, not a defeat.\n"
    files["content/claims.yaml"] = CLAIMS
    files["content/outlines/the-fall.yaml"] = outline
    return write_project(tmp_path / "p", files)


def test_draft_carries_claims_citations_and_each_version(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run_cli("--project", str(root), "new", "brief", "the-fall")
    assert result.returncode == 0, result.stderr
    text = (root / "content/briefs/the-fall.md").read_text(encoding="utf-8")
    assert "## What happened" in text
    assert "Novak resigned after the deal collapsed. [@port-news#p3]" in text
    assert "“analysts called it a draw” [@port-news-2#p1]" in text
    assert "people:\n- novak" in text
    # the draft builds clean, citations and quotations included
    assert run_cli("--project", str(root), "check", "--strict").returncode == 0


def test_existing_brief_is_never_overwritten(tmp_path: Path) -> None:
    root = project(tmp_path)
    brief = root / "content/briefs/the-fall.md"
    brief.write_text("---\ntitle: Mine\nsummary: S\n---\nMy words [@port-news#p3].\n", encoding="utf-8")
    result = run_cli("--project", str(root), "new", "brief", "the-fall")
    assert result.returncode == 1
    assert "content/briefs/the-fall.md:1: error: the brief already exists and is the editor's" in result.stderr
    assert brief.read_text(encoding="utf-8").startswith("---\ntitle: Mine")


def test_unknown_claim_in_outline(tmp_path: Path) -> None:
    root = project(tmp_path, OUTLINE.replace("[resigned, verdict]", "[resignd]"))
    result = run_cli("--project", str(root), "new", "brief", "the-fall")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "content/outlines/the-fall.yaml:4: error: unknown claim 'resignd' — did you mean 'resigned'?" in result.stderr
    assert not (root / "content/briefs/the-fall.md").exists()


def test_a_disputed_claim_is_never_stated_as_fact(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert run_cli("--project", str(root), "new", "brief", "the-fall").returncode == 0
    text = (root / "content/briefs/the-fall.md").read_text(encoding="utf-8")
    stated = [line for line in text.splitlines() if line.startswith("Analysts judged the collapse a defeat")]
    assert stated == []  # the ledger's wording of a disputed claim never opens a paragraph as a fact
    note = text[text.index("::: note"):text.index(":::", text.index("::: note") + 3)]
    assert "Disputed (claims ledger: verdict)" in note
    assert "PN (says so): “called it “a defeat”” [@port-news#p4]" in text
    assert "(says otherwise): “analysts called it a draw” [@port-news-2#p1]" in text


def test_without_an_outline_the_draft_starts_from_the_ledger(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "content/outlines/the-fall.yaml").unlink()
    result = run_cli("--project", str(root), "new", "brief", "fresh-start")
    assert result.returncode == 0, result.stderr
    text = (root / "content/briefs/fresh-start.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Fresh start\n")
    assert "## People" in text and "Novak resigned after the deal collapsed. [@port-news#p3]" in text
    assert "Disputed (claims ledger: verdict)" in text
    assert run_cli("--project", str(root), "check", "--strict").returncode == 0


def test_the_real_briefing_drafts_a_brief_from_its_example_outline(tmp_path: Path) -> None:
    from tests.conftest import copy_real_project
    root = copy_real_project(tmp_path / "real")
    assert (root / "content/outlines/example.yaml").is_file()
    result = run_cli("--project", str(root), "new", "brief", "example")
    assert result.returncode == 0, result.stderr
    assert run_cli("--project", str(root), "check", "--strict").returncode == 0

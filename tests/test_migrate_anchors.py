"""tools/migrate_anchors.py: content written in the old reading-order numbering points at the same words after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO, run_cli, write_project

SCRIPT = REPO / "tools" / "migrate_anchors.py"

# Old numbering: cbs-thaw's p1 was its standfirst, p3 the Belta paragraph, fig3 the Lukashenko caption.
OLD_CLAIM = """
- id: old-numbering
  topic: exchange
  claim: Coale called the talks very productive.
  stances:
    - {source: cbs-thaw, stance: supports, at: p3, excerpt: "Coale described the talks as \\"very productive,\\""}
    - source: reset-analysis
      stance: silent
"""
OLD_BRIEF = """---
title: Old numbering
summary: Written before anchors stopped moving.
sources: [cbs-thaw]
---
According to reports from the Belarusian state news agency Belta, Coale called the talks "very productive" [@cbs-thaw#p3].

A caption calls Lukashenko "a close ally of Russian President Vladimir Putin" [@cbs-thaw#fig3].

The standfirst says sanctions were lifted [@cbs-thaw#p1].
"""


def migrate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--project", str(root), *args],
                          capture_output=True, text=True, timeout=120)


def old_project(root: Path) -> Path:
    """The real seeds and sources (their notes left out), with content written in the old numbering."""
    sources = yaml.safe_load((REPO / "content/sources.yaml").read_text(encoding="utf-8"))
    files = {"content/site.yaml": (REPO / "content/site.yaml").read_text(encoding="utf-8"),
             "content/sources.yaml": yaml.safe_dump([{k: v for k, v in s.items() if k != "notes"} for s in sources]),
             "content/claims.yaml": OLD_CLAIM, "content/briefs/old.md": OLD_BRIEF,
             "content/people.yaml": "- id: coale\n  name: John Coale\n  role: US envoy\n  profile: The envoy.\n"}
    files.update({f"seeds/{s['seed']}": (REPO / "seeds" / s["seed"]).read_bytes() for s in sources})
    return write_project(root, files)


def test_old_citations_are_rewritten_once_and_then_refused(tmp_path: Path) -> None:
    root = old_project(tmp_path / "old")
    claims = root / "content/claims.yaml"
    assert run_cli("--project", str(root), "check").returncode == 1  # old anchors: misquotations
    result = migrate(root)
    assert result.returncode == 0, result.stderr
    brief = (root / "content/briefs/old.md").read_text(encoding="utf-8")
    assert "[@cbs-thaw#p8]" in brief and "[@cbs-thaw#fig20]" in brief and "[@cbs-thaw#p3]." in brief
    assert "at: p8" in claims.read_text(encoding="utf-8")
    check = run_cli("--project", str(root), "check", "--strict")
    assert check.returncode == 0, check.stderr
    again = migrate(root)  # migrated content is recognised: running twice cannot shift anchors twice
    assert again.returncode == 1 and "looks migrated already" in again.stderr


def test_the_real_content_is_already_migrated() -> None:
    result = migrate(REPO, "--dry-run")
    assert result.returncode == 1 and "looks migrated already" in result.stderr

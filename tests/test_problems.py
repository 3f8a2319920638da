"""Problems on a large project: the first 20 lines and a count per kind, or every line with --verbose."""

from __future__ import annotations

from pathlib import Path

from builder.problems import Pos, Problem, summary
from tests.conftest import mini_files, run_cli, write_project


def uncited(n: int) -> Problem:
    return Problem(Pos("content/briefs/big.md", n), f"paragraph has no citation: “Sentence {n}”", "cite it",
                   "warning")


def test_a_few_problems_print_whole() -> None:
    problems = [uncited(n) for n in range(1, 21)]
    assert summary(problems) == [str(p) for p in problems]


def test_many_print_the_first_twenty_errors_first_and_a_count_per_kind() -> None:
    problems = [uncited(n) for n in range(1, 400)]
    problems.append(Problem(Pos("content/people.yaml", 3), "unknown source 'x'", "fix it", "error"))
    lines = summary(problems)
    assert lines[0].startswith("content/people.yaml:3: error: unknown source 'x'")  # errors never hide
    assert len(lines) == 20 + 1 + 1
    assert lines[20] == "… and 380 more (--verbose prints them all):"
    assert lines[21] == "     380 × warning: paragraph has no citation: …"
    assert len(summary(problems, verbose=True)) == 400


def test_the_command_line_prints_a_summary_unless_verbose(tmp_path: Path) -> None:
    files = mini_files()
    files["content/briefs/big.md"] = "---\ntitle: Big\nsummary: S\n---\n" + "".join(
        f"Uncited sentence number {n}.\n\n" for n in range(30))
    root = write_project(tmp_path / "p", files)
    short = run_cli("--project", str(root), "check")
    printed = [line for line in short.stderr.splitlines() if line.startswith("content/")]
    assert short.returncode == 0 and len(printed) == 20
    assert "… and 10 more (--verbose prints them all):" in short.stderr
    full = run_cli("--project", str(root), "--verbose", "check")
    assert len([line for line in full.stderr.splitlines() if line.startswith("content/")]) == 30

"""`add source`: a realistic article becomes a cited source in one command, with no hand-written pattern.

The fixture articles (tests/fixtures/articles/) are invented wire copy of the kinds the briefing keeps
receiving: an agency story with a "READ MORE" list mid-article and its section label, "By" and agency on
separate lines; a news page with a logo line, a byline and a credited photo caption; a copy cut off
mid-word; a headline with no blank line after it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, copy_real_project, mini_files, run_cli, write_project

ARTICLES = REPO / "tests" / "fixtures" / "articles"
AGENCY = ARTICLES / "agency-link-list.txt"
NEWS_PAGE = ARTICLES / "news-page-logo-byline.txt"
TRUNCATED = ARTICLES / "truncated-copy.txt"
NO_BLANK = ARTICLES / "headline-no-blank-line.txt"


@pytest.fixture
def real(tmp_path: Path) -> Path:
    return copy_real_project(tmp_path / "real")


def add(root: Path, file: Path, *options: str):  # type: ignore[no-untyped-def]
    return run_cli("--project", str(root), "add", "source", str(file), *options)


def entries(root: Path) -> list[dict[str, object]]:
    return yaml.safe_load((root / "content/sources.yaml").read_text(encoding="utf-8"))


def test_an_agency_story_is_added_with_its_furniture_named_and_nothing_hand_written(real: Path) -> None:
    before = (real / "content/sources.yaml").read_text(encoding="utf-8")
    result = add(real, AGENCY)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # copied byte for byte, appended as text: every comment and line the editor wrote is still there
    assert (real / "seeds/agency-link-list.txt").read_bytes() == AGENCY.read_bytes()
    after = (real / "content/sources.yaml").read_text(encoding="utf-8")
    assert after.startswith(before) and after.count("#") >= before.count("#")
    entry = entries(real)[-1]
    assert entry == {"id": "agency-link-list", "seed": "agency-link-list.txt",
                     "title": "Belarus frees more prisoners as U.S. envoy visits Minsk", "title_is_editorial": False}
    assert "headline: Belarus frees more prisoners as U.S. envoy visits Minsk" in out
    assert 'byline: Reuters (not recorded: pass --author "Reuters"' in out
    assert 'date: 2025-09-12 (not recorded: pass --published "2025-09-12"' in out
    for dropped in ("section label: World", "byline: By", "byline: Reuters",
                    "link list heading: READ MORE", "link list after 'READ MORE': China's exports slow",
                    "agency credit line: Reporting by Jane Roe"):
        assert dropped in out, dropped
    # the paragraphs after the mid-article list keep their own numbers, and are not dropped with it
    assert "p19  Among those freed was Ihar Losik" in out and "p6  MINSK, Sept 12" in out
    assert "Alexander Lukashenko (lukashenko)" in out
    # known names under another spelling are offered as aliases, with the line to paste
    assert "\"John Cole\" looks like John Coale (coale)" in out
    assert re.search(r"the line: aliases: \[[^\]]*, John Cole\]", out)  # its spellings, and the new one
    assert "\"Vyasna\" looks like Viasna (viasna)" in out
    assert run_cli("--project", str(real), "check", "--strict").returncode == 0


def test_a_news_page_loses_logo_byline_and_prompts_and_keeps_its_credited_caption(real: Path) -> None:
    result = add(real, NEWS_PAGE, "--id", "border", "--outlet", "Northern Times", "--published", "2025-09-14",
                 "--author", "Anna Berg and Tomas Varn")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for dropped in ("logo or brand line: NORTHERN TIMES logo", "section label: Europe | Politics",
                    "byline: By Anna Berg and Tomas Varn | Sep 14, 2025", "share or comment prompt: 12 comments"):
        assert dropped in out, dropped
    assert "fig7  Lorries queue at the Medininkai checkpoint" in out
    assert entries(real)[-1] == {"id": "border", "seed": "news-page-logo-byline.txt", "title":
                                      "Lithuania reopens two border crossings with Belarus after weeks of closures",
                                      "title_is_editorial": False, "outlet": "Northern Times",
                                      "published": "2025-09-14", "author": "Anna Berg and Tomas Varn"}
    assert "date: 2025-09-14; recorded as '2025-09-14'" in out
    out_dir = real / "site"
    assert run_cli("--project", str(real), "build", "--out", str(out_dir)).returncode == 0
    page = (out_dir / "sources/border/index.html").read_text(encoding="utf-8")
    assert 'id="fig7"' in page and "Anna Berg and Tomas Varn" in page and "12 comments" not in page


def test_a_headline_with_no_blank_line_after_it_is_found(real: Path) -> None:
    result = add(real, NO_BLANK)
    assert result.returncode == 0, result.stderr
    assert "headline: US envoy says talks with Minsk were 'very productive'" in result.stdout
    assert "p2  WASHINGTON (AP) — The U.S. envoy" in result.stdout


def test_a_truncated_copy_is_added_with_a_warning_and_its_page_says_so(real: Path) -> None:
    result = add(real, TRUNCATED)
    assert result.returncode == 0, result.stderr
    assert "seeds/truncated-copy.txt:5: warning: the copy of 'truncated-copy' stops mid-word" in result.stdout
    check = run_cli("--project", str(real), "build", "--out", str(real / "site"))
    assert "stops mid-word" in check.stderr
    page = (real / "site/sources/truncated-copy/index.html").read_text(encoding="utf-8")
    assert "Our copy ends here" in page


@pytest.mark.parametrize("content, message", [
    (None, "file not found"),
    (b"", "the file is empty"),
    (b"  \n\n", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file"),
    (b"Caf\xe9 owner says\n", "not UTF-8"),
])
def test_a_file_that_is_not_an_article_is_one_line_and_changes_nothing(
        real: Path, tmp_path: Path, content: bytes | None, message: str) -> None:
    file = tmp_path / "article.txt"
    if content is not None:
        file.write_bytes(content)
    before = {p: p.read_bytes() for p in sorted(real.rglob("*")) if p.is_file()}
    result = add(real, file)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert {p: p.read_bytes() for p in sorted(real.rglob("*")) if p.is_file()} == before


def test_an_id_taken_or_a_seed_of_another_text_changes_nothing(real: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in sorted(real.rglob("*")) if p.is_file()}
    taken = add(real, AGENCY, "--id", "cbs-thaw")
    assert taken.returncode == 1 and "the id 'cbs-thaw' is already taken" in taken.stderr
    other = tmp_path / "agency-link-list.txt"
    other.write_text("A different article.\n", encoding="utf-8")
    (real / "seeds/agency-link-list.txt").write_bytes(AGENCY.read_bytes())
    before[real / "seeds/agency-link-list.txt"] = AGENCY.read_bytes()
    clash = add(real, other)
    assert clash.returncode == 1 and "already exists with other text" in clash.stderr
    assert {p: p.read_bytes() for p in sorted(real.rglob("*")) if p.is_file()} == before


def test_a_bad_date_or_address_changes_nothing(real: Path) -> None:
    before = (real / "content/sources.yaml").read_bytes()
    assert add(real, AGENCY, "--published", "12 Sept 2025").returncode == 1
    assert add(real, AGENCY, "--url", "javascript:alert(1)").returncode == 1
    assert (real / "content/sources.yaml").read_bytes() == before
    assert not (real / "seeds/agency-link-list.txt").exists()


def test_briefing_add_source_is_the_same_command(tmp_path: Path) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    briefing = Path(__import__("sys").executable).parent / "briefing"
    if not briefing.exists():
        pytest.fail("the `briefing` command is not installed (pip install -e .)")
    import subprocess
    result = subprocess.run([str(briefing), "--project", str(root), "add", "source", str(NO_BLANK)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "added source 'headline-no-blank-line'" in result.stdout


def test_a_seed_with_no_entry_is_a_warning(tmp_path: Path) -> None:
    files = mini_files()
    files["seeds/forgotten.txt"] = "Someone saved this article and forgot to list it.\n"
    root = write_project(tmp_path / "mini", files)
    result = run_cli("--project", str(root), "check")
    assert ("seeds/forgotten.txt:1: warning: seed has no entry in content/sources.yaml, so the site leaves it "
            "out — run `python -m builder add source seeds/forgotten.txt`") in result.stderr


def test_a_fourth_source_person_and_brief_keep_the_real_briefing_clean(real: Path) -> None:
    assert add(real, AGENCY, "--id", "agency").returncode == 0
    people = real / "content/people.yaml"
    people.write_text(people.read_text(encoding="utf-8") + (
        "\n- id: ihar-losik\n  name: Ihar Losik\n  role: Journalist\n"
        "  profile: A journalist freed in the release [@agency#p19].\n"), encoding="utf-8")
    (real / "content/briefs/agency-view.md").write_text(
        "---\ntitle: The agency's view\nsummary: What the agency story adds.\npeople: [ihar-losik]\n"
        "sources: [agency]\n---\n[[Ihar Losik]] was among those freed, the agency reports [@agency#p19].\n",
        encoding="utf-8")
    result = run_cli("--project", str(real), "check", "--strict")
    assert result.returncode == 0, result.stderr


def test_check_lists_near_miss_spellings_as_information_not_warnings(real: Path) -> None:
    assert add(real, AGENCY).returncode == 0
    result = run_cli("--project", str(real), "check", "--strict")
    assert result.returncode == 0, result.stderr  # information never fails a strict check
    assert re.search(r"^content/sources\.yaml:\d+: info: in source 'agency-link-list', \"Vyasna\" looks like "
                     r"Viasna \(viasna\)", result.stdout, re.MULTILINE), result.stdout
    assert "warning" not in result.stderr


def test_check_says_which_new_source_the_claims_ledger_has_not_weighed_yet(real: Path) -> None:
    assert add(real, AGENCY).returncode == 0
    result = run_cli("--project", str(real), "check", "--strict")
    assert result.returncode == 0, result.stderr  # a correct new source never fails a strict check
    line = re.search(r"^content/sources\.yaml:\d+: info: no claim in content/claims\.yaml records a stance for "
                     r"source 'agency-link-list' yet, so the claims page shows it as “not assessed” on all (\d+) "
                     r"claims", result.stdout, re.MULTILINE)
    assert line, result.stdout
    claims = yaml.safe_load((real / "content/claims.yaml").read_text(encoding="utf-8"))
    assert int(line.group(1)) == len(claims)
    # the sources the ledger already weighs get no such line
    assert "for source 'cbs-thaw'" not in result.stdout

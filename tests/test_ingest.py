"""Ingest: furniture goes, blocks are recognised, words are never changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.ingest import IngestRules, ingest_text, to_markdown

REPO = Path(__file__).resolve().parent.parent


def kinds(text: str, rules: IngestRules | None = None) -> list[tuple[str, str, str]]:
    return [(b.kind, b.anchor, b.text) for b in ingest_text(text, rules).blocks]


def test_headline_heading_and_paragraphs_with_single_newlines() -> None:
    text = "Big News Today\n\nFirst paragraph here.\nWhy It Matters\nSecond paragraph, longer.\n"
    assert kinds(text) == [
        ("headline", "", "Big News Today"),
        ("paragraph", "p2", "First paragraph here."),
        ("heading", "", "Why It Matters"),
        ("paragraph", "p4", "Second paragraph, longer."),
    ]


def test_first_line_that_is_a_sentence_is_not_a_headline() -> None:
    assert kinds("Something rare happened this weekend.\n")[0] == (
        "paragraph", "p1", "Something rare happened this weekend.")


@pytest.mark.parametrize("furniture", [
    "Leave a comment", "Trending", "Politics4 min readlogoRead on cbsnews.com",
    "Enjoyed reading?Share with your circle", "Advertisement",
])
def test_furniture_lines_are_dropped(furniture: str) -> None:
    text = f"A paragraph of text.\n\n{furniture}\n\nAnother paragraph.\n"
    assert [b.text for b in ingest_text(text).blocks] == ["A paragraph of text.", "Another paragraph."]


def test_similar_articles_and_its_numbered_list_and_blank_tail_are_dropped() -> None:
    text = "Body text here.\n\nSimilar articles\n\n1\n2\n3\n\n\n\n"
    assert kinds(text) == [("paragraph", "p1", "Body text here.")]
    assert [d.text for d in ingest_text(text).dropped] == ["Similar articles", "1", "2", "3"]


def test_alt_text_followed_by_its_caption_is_one_photo_not_a_paragraph() -> None:
    text = ("Body one.\n\nPresident Jones shaking hands\nPresident Jones meets the envoy in the capital.\n\n"
            "Body two.\n")
    blocks = ingest_text(text).blocks
    assert [(b.kind, b.anchor) for b in blocks] == [("paragraph", "p1"), ("caption", "fig3"), ("paragraph", "p4")]
    assert blocks[1].alt == "President Jones shaking hands"


def test_heading_followed_by_unrelated_paragraph_is_not_a_photo() -> None:
    blocks = ingest_text("Body.\n\nWhy It Matters\nBecause the talks went well.\n").blocks
    assert [b.kind for b in blocks] == ["paragraph", "heading", "paragraph"]


def test_per_source_patterns_mark_captions_and_standfirst() -> None:
    text = "Headline Here\n\nFamilies embrace after the release.\n\nThe standfirst sums up.\n\nBody.\n"
    rules = IngestRules(captions=("^Families embrace",), standfirst=("^The standfirst",))
    assert [(b.kind, b.anchor) for b in ingest_text(text, rules).blocks] == [
        ("headline", ""), ("caption", "fig2"), ("standfirst", "p3"), ("paragraph", "p4")]


def test_words_are_kept_exactly_curly_quotes_and_non_breaking_hyphens() -> None:
    line = "“It is a test,” said one long\u2011time diplomat; Lukashenko’s grip holds."
    assert ingest_text(line + "\n").blocks[0].text == line


def test_markdown_export_names_every_anchor_and_seed_line() -> None:
    text = ingest_text("Headline Words\n\nFirst para.\n\nSecond para.\n")
    md = to_markdown("src", "s.txt", text)
    assert "{#p2}" in md and "{#p3}" in md and "seed line 5" in md and "# Headline Words" in md


ARTICLES = REPO / "tests" / "fixtures" / "articles"


def test_dropping_a_line_leaves_a_gap_instead_of_renumbering() -> None:
    text = "Body one.\n\nPromo line to remove\n\nBody two.\n\nBody three.\n"
    before = {b.text: b.anchor for b in ingest_text(text).blocks}
    after = {b.text: b.anchor for b in ingest_text(text, IngestRules(drop=("Promo line.*",))).blocks}
    assert "Promo line to remove" not in after
    assert all(before[words] == anchor for words, anchor in after.items())  # nothing that stays moves
    assert after["Body two."] == "p3"


@pytest.mark.parametrize("line, rule", [
    ("By Jane Roe", "byline"), ("by Jane Roe, John Doe", "byline"), ("By Anna Berg and Tomas Varn | Sep 14, 2025", "byline"),
    ("The Associated Press", "byline (a news agency)"), ("Reuters", "byline (a news agency)"),
    ("September 12, 2025 4:17 PM GMT+3Updated 2 hours ago", "date line"), ("Published 14 Sep 2025", "date line"),
    ("Updated 2 hours ago", "date line"), ("NORTHERN TIMES logo", "logo or brand line"),
    ("Share this article", "share or comment prompt"), ("12 comments", "share or comment prompt"),
    ("Reporting by Jane Roe; Editing by Mark Doe", "agency credit line"), ("Advertisement", "advertisement"),
])
def test_generic_furniture_is_named_by_its_rule(line: str, rule: str) -> None:
    text = f"A paragraph of text.\n\n{line}\n\nAnother paragraph.\n"
    found = ingest_text(text)
    assert [b.text for b in found.blocks] == ["A paragraph of text.", "Another paragraph."]
    assert [(d.text, d.rule) for d in found.dropped] == [(line, rule)]


@pytest.mark.parametrize("prose", [
    "By offering targeted economic relief, Washington aims to secure gains.",
    "Reuters reported that the talks lasted four hours.",
    "On September 12, 2025 the envoy met the president in the capital.",
])
def test_prose_that_looks_like_furniture_is_kept(prose: str) -> None:
    assert [b.text for b in ingest_text(f"Headline Of The Story Here\n\n{prose}\n").blocks][-1] == prose


def test_a_link_list_mid_article_goes_and_the_article_resumes() -> None:
    text = ("Talks Resume In The Capital\n\nThe talks resumed on Monday.\n\nRelated\nPort strike enters day three\n"
            "Markets slip as oil rises\nWhy the deal matters?\n\nOfficials said more talks would follow.\n")
    found = ingest_text(text)
    assert [b.text for b in found.blocks if b.kind == "paragraph"] == [
        "The talks resumed on Monday.", "Officials said more talks would follow."]
    assert [d.rule for d in found.dropped] == ["link list heading"] + ["link list after 'Related'"] * 3


def test_a_run_of_headline_like_lines_without_a_heading_is_a_link_list() -> None:
    text = ("First paragraph of the story.\n\nPort strike enters day three\nMarkets slip as oil rises\n"
            "Ministers meet in Brussels\n\nLast paragraph of the story.\n")
    found = ingest_text(text)
    assert [b.text for b in found.blocks] == ["First paragraph of the story.", "Last paragraph of the story."]
    assert {d.rule for d in found.dropped} == {"run of headline-like lines (a list of links)"}


def test_a_short_list_of_names_is_article_text_not_links() -> None:
    text = "Those freed include:\n\nJana Novak\nPiotr Lis\nMarta Ostrova\n\nThey left on Monday.\n"
    assert ingest_text(text).dropped == ()


def test_a_credited_photo_caption_is_a_figure() -> None:
    line = "Lorries queue at the checkpoint on Sunday. (Petras Malukas/AFP via Getty Images)"
    blocks = ingest_text(f"Body one.\n\n{line}\n\nBody two.\n").blocks
    assert [(b.kind, b.anchor) for b in blocks] == [("paragraph", "p1"), ("caption", "fig2"), ("paragraph", "p3")]


def test_headline_found_without_a_blank_line_and_section_label_before_it() -> None:
    found = ingest_text("World\nBelarus frees more prisoners as envoy visits\nMINSK - Belarus freed 52 people.\n")
    assert found.headline == "Belarus frees more prisoners as envoy visits"
    assert [(d.text, d.rule) for d in found.dropped] == [("World", "section label")]
    assert [(b.kind, b.anchor) for b in found.blocks] == [("headline", ""), ("paragraph", "p3")]


def test_byline_and_date_are_suggestions() -> None:
    found = ingest_text("Headline Of The Story Here\nBy\nReuters\nSeptember 12, 2025\n\nThe story.\n")
    assert (found.byline, found.date) == ("Reuters", "2025-09-12")


def test_per_source_patterns_win_drop_between_and_headline() -> None:
    text = "Short Title\nTeaser line one\n\nPROMO START\nBuy now.\nPROMO END\n\nThe story.\n"
    rules = IngestRules(headline=("^Short Title",), drop_between=(("PROMO START", "PROMO END"),),
                        headings=("^Teaser",))
    found = ingest_text(text, rules)
    assert found.headline == "Short Title"
    assert [b.text for b in found.blocks if b.kind == "paragraph"] == ["The story."]
    assert [d.line for d in found.dropped] == [4, 5, 6] and found.unmatched == ()


def test_patterns_that_match_no_line_are_named() -> None:
    rules = IngestRules(drop=("| Sep 11, 2025", "Body"), captions=("^Nothing here",))
    found = ingest_text("Body one.\n\nBody two.\n", rules)
    assert found.unmatched == (("drop", "| Sep 11, 2025"), ("drop", "Body"), ("captions", "^Nothing here"))


def test_a_copy_that_stops_mid_word_is_truncated_and_a_whole_one_is_not() -> None:
    assert ingest_text((ARTICLES / "truncated-copy.txt").read_text(encoding="utf-8")).truncated
    for name in ("agency-link-list.txt", "news-page-logo-byline.txt", "headline-no-blank-line.txt"):
        assert not ingest_text((ARTICLES / name).read_text(encoding="utf-8")).truncated, name


def test_real_seeds_keep_no_furniture_and_number_each_line_as_received() -> None:
    for seed in sorted((REPO / "seeds").glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        found = ingest_text(text)
        lines = text.splitlines()
        places = {n: i for i, n in enumerate((n for n, line in enumerate(lines, 1) if line.strip()), 1)}
        assert all(int(b.anchor.lstrip("pfig")) == places[b.line] for b in found.blocks if b.anchor), seed.name
        assert not any(b.text in ("Leave a comment", "Trending", "Similar articles") for b in found.blocks)

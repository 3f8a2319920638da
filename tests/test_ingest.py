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

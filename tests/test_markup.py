"""Markdown: our syntax renders as links, and nothing an author writes becomes live code."""

from __future__ import annotations

from builder.markup import Links, Ref, create_markdown, render_markdown, split_front_matter


class FakeLinks(Links):
    def citation(self, ref: Ref) -> tuple[str, str, str] | None:
        if ref.source != "src":
            return None
        return f"../../sources/src/index.html#{ref.anchor}", f"SRC {ref.anchor}", "Source title"

    def entity(self, target: str) -> str | None:
        return "../../people/novak/index.html" if target in ("novak", "Jana Novak") else None


def html(text: str) -> str:
    md = create_markdown()
    return render_markdown(md, md.parse(text), FakeLinks())


def test_citations_render_as_links_to_the_paragraph() -> None:
    out = html("Fact [@src#p3; @src#p5].")
    assert '<span class="cite" data-pagefind-ignore>[<a href="../../sources/src/index.html#p3">SRC p3</a>; ' in out
    assert 'href="../../sources/src/index.html#p5"' in out


def test_wikilinks_by_name_and_by_id_with_text() -> None:
    out = html("[[Jana Novak]] and [[novak|the minister]].")
    assert out.count('href="../../people/novak/index.html"') == 2 and ">the minister</a>" in out


def test_quotations_become_q_elements_citing_the_paragraph() -> None:
    out = html('She said "we did\nwhat we could" [@src#p2].')
    assert '<q cite="../../sources/src/index.html#p2"><a class="quote-link" href="../../sources/src/index.html#p2">we did\nwhat we could</a></q>' in out
    words = out.split("<q")[1].split("</q>")[0]
    assert '"' not in words[words.index('">', words.index("quote-link")) + 2:]


def test_raw_html_is_shown_as_text() -> None:
    out = html('<script>alert(1)</script>\n\nHi <img src=x onerror="alert(1)">')
    assert "<script>" not in out and "<img" not in out and "&lt;script&gt;" in out


def test_dangerous_link_schemes_do_not_become_links() -> None:
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x"):
        out = html(f"[click]({url}) ![img]({url})")
        assert "href=" not in out and "src=" not in out, url


def test_attribute_syntax_cannot_add_event_handlers_or_styles() -> None:
    out = html('{onmouseover="alert(1)" .block}\nPara with [a link](#x){onclick="alert(1)" style="color:red" .ok #here}')
    assert "onclick" not in out and "onmouseover" not in out and "style=" not in out
    assert 'class="ok"' in out and 'id="here"' in out and 'class="block"' in out


def test_fenced_code_is_highlighted_with_classes_only() -> None:
    out = html("```python\nx = 1\n```\n")
    assert out.startswith('<pre class="highlight"><code class="language-python">') and 'class="n"' in out
    assert "style=" not in out


def test_table_alignment_is_a_class_not_a_style() -> None:
    out = html("| a | b |\n|:-:|--:|\n| 1 | 2 |\n")
    assert 'class="align-center"' in out and 'class="align-right"' in out and "style=" not in out


def test_editorial_note_container() -> None:
    out = html("::: note\nOur own context.\n:::\n")
    assert out.startswith('<aside class="editorial-note" aria-label="Editorial note">')


def test_front_matter_split_and_unclosed() -> None:
    assert split_front_matter("---\na: 1\n---\nbody\n") == ("a: 1", 2, "body\n", 4)
    assert split_front_matter("no front matter") == (None, 0, "no front matter", 1)
    try:
        split_front_matter("---\na: 1\nbody\n")
    except ValueError as exc:
        assert "unclosed" in str(exc)
    else:
        raise AssertionError("unclosed front matter was accepted")


def test_block_quotation_cites_the_paragraph_it_quotes() -> None:
    out = html("> We did what we could.\n> [@src#p2]\n\nAfter.")
    assert out.startswith('<figure class="quote">\n<blockquote cite="../../sources/src/index.html#p2">')
    # whose words they are: the source's paragraph, named under the quotation
    assert '<figcaption class="attribution">Quoted from <a href="../../sources/src/index.html#p2"' in out
    assert html("> Uncited words.\n").startswith("<blockquote>\n")


def test_a_heading_cannot_take_a_citation_s_id() -> None:
    out = html("## C1\n\nFact [@src#p3].\n\n## PV1\n")
    assert 'id="c1-section"' in out and 'id="pv1-section"' in out

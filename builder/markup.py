"""Markdown for briefs and editorial fields: markdown-it-py, its plugins, and our citation syntax.

Parsing happens once in `load`; `resolve` reads the tokens (citations, wiki links, quotations, lines);
rendering needs the page's place in the site, which the `env` passed to `render_markdown` supplies.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from typing import Any, Iterable, Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from builder.citations import Cited, citation_html

_CITATION = re.compile(r"\[(@[^\[\]]*)\]")  # may wrap across lines
_REF = re.compile(r"@([^\s#;]+)(?:#([^\s;]+))?")
_WIKILINK = re.compile(r"\[\[([^\[\]|\n]+)(?:\|([^\[\]\n]+))?\]\]")
QUOTE = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
# The same, found by its mark (the regex engine skips from mark to mark): a pattern that opens with the spaces
# is tried at every space of the text, and most texts have nothing to replace.
_PUNCT_AFTER_SPACE = re.compile(r"[.,;:!?](?<=[ \t].)")
_SAFE_SCHEMES = re.compile(r"^(https?:|mailto:|#|[^:]*$)", re.IGNORECASE)

# Attributes an author may set through {…} syntax, beside those markdown-it itself produces.
_ALLOWED_ATTRS = {"id", "class", "lang", "dir"}
# Ids the page templates give their own elements (tests/test_hardening.py keeps the list true), and the
# pattern of paragraph and caption anchors: a heading `## Main` or a `{#main}` may not take one, or the
# page would hold two elements with one id (and "skip to content" would jump to the wrong one).
PAGE_IDS = frozenset({"a-z", "briefs-h", "checked", "citing", "coverage-h", "disagree", "in-briefs", "in-sources",
                      "main", "named", "network-h", "numbers", "people-h", "search", "sources-h", "story", "text",
                      "toc-h", "together"})
# Numbered ids the engine makes: paragraph and caption anchors, citation spots (c3) and their previews (pv3),
# the claims page's topics and the coverage matrix's squares.
_PAGE_ANCHOR = re.compile(r"(?:p|fig|c|pv|topic-|cov-l)\d+\Z")
_TAG_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


@dataclass(frozen=True)
class Ref:
    """One reference inside a citation: a source id and an optional paragraph anchor."""

    source: str
    anchor: str  # "" for the whole source


def parse_refs(raw: str) -> list[Ref] | None:
    """`@a#p3; @b` → refs; None when the text is not a well-formed citation."""
    refs = _parse_refs(raw)
    return None if refs is None else list(refs)


@lru_cache(maxsize=4096)  # briefs cite the same paragraphs again and again; equal refs then are one object
def _parse_refs(raw: str) -> tuple[Ref, ...] | None:
    refs = []
    for part in raw.split(";"):
        match = _REF.fullmatch(part.strip())
        if not match:
            return None
        refs.append(Ref(match.group(1), match.group(2) or ""))
    return tuple(refs)


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[@", state.pos):
        return False
    match = _CITATION.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = match.group(0)
        token.meta = {"refs": parse_refs(match.group(1))}
    state.pos = match.end()
    return True


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[[", state.pos):
        return False
    match = _WIKILINK.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        target = match.group(1).strip()
        token.content = (match.group(2) or target).strip()
        token.meta = {"target": target, "explicit_text": match.group(2) is not None}
    state.pos = match.end()
    return True


def _sanitize_attrs(state: StateCore) -> None:
    """Drop attributes that could carry script (`{onclick=…}`), and move table alignment to classes.

    Inline styles are refused by the site's Content-Security-Policy, so alignment becomes a class.
    """
    def clean(token: Token) -> None:
        if token.attrs:  # most tokens have none: nothing to check
            allowed = _ALLOWED_ATTRS | _TAG_ATTRS.get(token.tag, set())
            style = token.attrs.get("style")
            # `{href=…}` / `{src=…}` can replace an address markdown-it already checked: check it again
            # here rather than trust that the attrs plugin version in use does.
            token.attrs = {k: v for k, v in token.attrs.items()
                           if k in allowed and (k not in ("href", "src") or _validate_link(str(v)))}
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrJoin("class", "align-" + style.split(":", 1)[1].strip())
        for child in token.children or []:
            clean(child)
    for token in state.tokens:
        clean(token)


def _keep_page_ids(state: StateCore) -> None:
    """Rename a Markdown id that the page around it uses: `main` becomes `main-section`."""
    with_ids = [t for token in state.tokens for t in (token, *(token.children or [])) if "id" in t.attrs]
    taken = {str(t.attrs["id"]) for t in with_ids}
    for token in with_ids:
        ident = str(token.attrs["id"])
        if ident in PAGE_IDS or _PAGE_ANCHOR.match(ident):
            new, n = f"{ident}-section", 1
            while new in taken:
                n += 1
                new = f"{ident}-section-{n}"
            taken.add(new)
            token.attrSet("id", new)


def _mark_quotations(state: StateCore) -> None:
    """Split quoted words into q_open/text/q_close, remembering the paragraph's first citation.

    Inside a block quotation the whole block is the quotation, so inner quotes are left alone.
    """
    depth = 0
    opened: list[Token] = []
    for token in state.tokens:
        if token.type == "blockquote_open":
            depth += 1
            opened.append(token)
        elif token.type == "inline" and depth and token.children:
            # The block quotation cites the first paragraph its citations point at.
            refs = [r for c in token.children if c.type == "citation" for r in c.meta.get("refs") or []]
            if refs and "cites" not in opened[0].meta:
                opened[0].meta = {"cites": refs, "quote": inline_text(token)}
        elif token.type == "blockquote_close":
            if depth == 1:
                opened.clear()
            depth -= 1
        elif token.type == "inline" and depth == 0 and token.children:
            if not any(c.type == "text" and ('"' in c.content or "“" in c.content) for c in token.children):
                continue  # most paragraphs quote nobody: skip the character walk
            cites = [r for c in token.children if c.type == "citation" for r in c.meta.get("refs") or []]
            token.children = _split_quotes(token.children, cites or None)


def _number_citations(state: StateCore) -> None:
    """Give each citation the spot id a source page links back to (c1, c2… in reading order) and the
    quoted words around it, which its preview marks in the cited paragraph."""
    count = 0
    block_quotes: list[str] = []
    for token in state.tokens:
        if token.type == "blockquote_open":
            block_quotes.append((token.meta or {}).get("quote", ""))
        elif token.type == "blockquote_close":
            block_quotes.pop()
        elif token.type == "inline" and token.children:
            quotes = [c.meta.get("quote", "") for c in token.children if c.type == "q_open"]
            if block_quotes and block_quotes[0]:
                quotes.append(inline_text(token).strip().strip("“”\"").strip())
            for child in token.children:
                if child.type == "citation":
                    count += 1
                    child.meta = {**child.meta, "spot": f"c{count}", "quotes": tuple(q for q in quotes if q)}


def _split_quotes(children: list[Token], cites: list[Ref] | None) -> list[Token]:
    """Pair quote marks over the whole paragraph (a quotation may span lines and emphasis)."""
    pieces, starts = [], []  # the paragraph's text, and where each child starts in it
    total = 0
    for child in children:
        text = child.content if child.type == "text" else "\n" if child.type.endswith("break") else "\0"
        starts.append(total)
        pieces.append(text)
        total += len(text)

    def owner(at: int) -> tuple[int, int]:
        index = bisect.bisect_right(starts, at) - 1
        return index, at - starts[index] if children[index].type == "text" else -1

    cuts: dict[int, list[tuple[int, str]]] = {}  # child index → [(offset, "open"|"close")]
    flat = "".join(pieces)
    for match in QUOTE.finditer(flat):
        (first, a), (last, b) = owner(match.start()), owner(match.end() - 1)
        if a < 0 or b < 0 or sum(c.nesting for c in children[first + 1:last]) != 0:
            continue  # a quote mark outside plain text, or crossing a tag: leave it as text
        cuts.setdefault(first, []).append((a, "open"))
        cuts.setdefault(last, []).append((b, "close"))
    if not cuts:
        return children
    out: list[Token] = []
    for index, child in enumerate(children):
        if index not in cuts:
            out.append(child)
            continue
        pos = 0
        for offset, kind in sorted(cuts[index]):
            if offset > pos:
                out.append(_text(child.content[pos:offset]))
            quote = QUOTE.match(flat, starts[index] + offset) if kind == "open" else None
            words = (quote.group(1) or quote.group(2)) if quote else ""
            out.append(Token("q_open", "q", 1, meta={"cites": cites, "quote": words}) if kind == "open"
                       else Token("q_close", "q", -1))
            pos = offset + 1
        if pos < len(child.content):
            out.append(_text(child.content[pos:]))
    return out


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


@lru_cache(maxsize=64)
def _lexer(lang: str) -> Lexer | None:
    """The lexer for a fence's language, found once: finding one looks through every lexer and plugin."""
    try:
        return get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        return None


_HIGHLIGHTED = re.compile(r'<code class="language-([^"<>]+)">')


def warm_lexers(pages: Iterable[str]) -> None:
    """Find the lexer of each language these rendered texts highlight: Pygments compiles a lexer's patterns
    the first time one is made in a process, which would otherwise fall in the first edit that needs it."""
    for html in pages:
        if '<code class="language-' in html:
            for lang in set(_HIGHLIGHTED.findall(html)):
                _lexer(unescape(lang))


# Classes only (the stylesheet is generated at build time). One formatter serves every fence: it keeps no state
# between calls, and making one works out a class for every token type.
_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Pygments for fenced code, as classes only (the stylesheet is generated at build time)."""
    lexer = _lexer(lang)
    if lexer is None:
        return ""
    body = highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code class="language-{escapeHtml(lang)}">{body}</code></pre>\n'


def _render_note(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    if tokens[idx].nesting == 1:
        return ('<aside class="editorial-note" aria-label="Editorial note">\n'
                '<p class="note-label">Editorial note</p>\n')
    return "</aside>\n"


def _validate_link(url: str) -> bool:
    # javascript:, vbscript:, data: and file: never become links or images: the text stays inert.
    return bool(_SAFE_SCHEMES.match(url.strip()))


def create_markdown() -> MarkdownIt:
    """The one Markdown configuration used everywhere; raw HTML is shown as text, never passed on."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False, "highlight": _highlight})
    md.enable("table").enable("strikethrough")
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.use(front_matter_plugin).use(footnote_plugin).use(attrs_plugin).use(attrs_block_plugin)
    md.use(anchors_plugin, min_level=2, max_level=3)
    md.use(container_plugin, name="note", render=_render_note)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.core.ruler.push("sanitize_attrs", _sanitize_attrs)
    md.core.ruler.push("keep_page_ids", _keep_page_ids)
    md.core.ruler.push("quotations", _mark_quotations)
    md.core.ruler.push("citation_spots", _number_citations)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("wikilink", _render_wikilink)
    md.add_render_rule("q_open", _render_q_open)
    md.add_render_rule("q_close", _render_q_close)
    md.add_render_rule("blockquote_open", _render_blockquote_open)
    md.add_render_rule("blockquote_close", _render_blockquote_close)
    return md


# Rendering needs to know where links point from the current page: `env["links"]` supplies it.
class Links:
    """What the renderer asks of the site: URLs relative to the page being rendered."""

    def citation(self, ref: Ref) -> tuple[str, str, str] | None:  # (href, label, title)
        raise NotImplementedError

    def entity(self, target: str) -> str | None:  # href
        raise NotImplementedError

    def cited(self, ref: Ref) -> Cited | None:
        """The paragraph a citation previews in place; None renders the citation as plain links."""
        return None

    def quotation(self, refs: list[Ref], quote: str) -> tuple[str, str, str] | None:
        """The citation among `refs` whose paragraph holds `quote` (else the first)."""
        return self.citation(refs[0]) if refs else None


def _render_citation(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    token = tokens[idx]
    links: Links = env["links"]
    refs = token.meta.get("refs") or []
    found = [(ref, links.citation(ref)) for ref in refs]
    found = [(ref, f) for ref, f in found if f]
    if not found:
        return escapeHtml(token.content)
    cited = [links.cited(ref) for ref, _ in found]
    spot = token.meta.get("spot") if env.get("spots") else None
    if all(cited):
        quoted = env["quoted"]
        return citation_html([c for c in cited if c], lambda c: quoted.get((c.source, c.anchor), ()),
                             env["previews"], spot)
    parts = [f'<a href="{escapeHtml(h)}">{escapeHtml(lab)}</a>' for _, (h, lab, _t) in found]
    ident = f' id="{spot}"' if spot else ""
    return f'<span class="cite"{ident} data-pagefind-ignore>[{"; ".join(parts)}]</span>'


def _render_wikilink(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    token = tokens[idx]
    href = env["links"].entity(token.meta["target"])
    text = escapeHtml(token.content)
    return f'<a class="entity" href="{escapeHtml(href)}">{text}</a>' if href else text


def _render_q_open(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    """A quotation cites its paragraph and links to it, unless it holds a link of its own (links cannot nest)."""
    meta = tokens[idx].meta
    found = env["links"].quotation(meta.get("cites") or [], meta.get("quote", ""))
    if not found:
        return "<q>"
    close = next((j for j in range(idx + 1, len(tokens)) if tokens[j].type == "q_close"), None)
    inner = tokens[idx + 1:close] if close is not None else ()
    linked = close is not None and not any(t.type in _LINKING for t in inner)
    if close is not None:
        tokens[close].meta = {"linked": linked}
    href = escapeHtml(found[0])
    return f'<q cite="{href}"><a class="quote-link" href="{href}">' if linked else f'<q cite="{href}">'


def _render_q_close(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    return "</a></q>" if (tokens[idx].meta or {}).get("linked") else "</q>"


_LINKING = frozenset({"wikilink", "link_open", "citation", "image", "footnote_ref"})


def _render_blockquote_open(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    """A cited block quotation sits in a figure whose caption says whose words they are."""
    meta = tokens[idx].meta or {}
    found = env["links"].quotation(meta["cites"], meta["quote"]) if meta.get("cites") else None
    env.setdefault("quotes_open", []).append(found)
    if not found:
        return "<blockquote>\n"
    return f'<figure class="quote">\n<blockquote cite="{escapeHtml(found[0])}">\n'


def _render_blockquote_close(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    found = env.get("quotes_open", [None]).pop() if env.get("quotes_open") else None
    if not found:
        return "</blockquote>\n"
    href, label, title = (escapeHtml(x) for x in found)
    return (f'</blockquote>\n<figcaption class="attribution">Quoted from <a href="{href}" title="{title}">'
            f'{label}</a></figcaption>\n</figure>\n')


def render_markdown(md: MarkdownIt, tokens: list[Token], links: Links, spots: bool = False,
                    previews: dict[Any, str] | None = None) -> str:
    """HTML of parsed Markdown. `spots`: give each citation its id (a brief's body, so source pages can link
    back to it); `previews`: the page's citation previews so far, shared by every text on one page so each
    preview is written once and ids stay unique."""
    return md.renderer.render(tokens, md.options, {"links": links, "spots": spots, "quoted": _quoted(tokens),
                                                   "previews": {} if previews is None else previews})


def _quoted(tokens: list[Token]) -> dict[tuple[str, str], list[str]]:
    """(source, anchor) → the quotations this text cites it for, which its preview marks."""
    out: dict[tuple[str, str], list[str]] = {}
    for token in tokens:
        for child in token.children or []:
            if child.type == "citation":
                for ref in child.meta.get("refs") or []:
                    out.setdefault((ref.source, ref.anchor), []).extend(child.meta.get("quotes", ()))
    return out


def split_front_matter(text: str) -> tuple[str | None, int, str, int]:
    """(front matter or None, its first line, body, the body's first line); raises ValueError if unclosed."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, 0, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), 2, "\n".join(lines[i + 1:]), i + 2
    raise ValueError("unclosed front matter")


def inline_text(token: Token) -> str:
    """The words a reader sees in an inline token, citations left out."""
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "wikilink":
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "q_open":
            out.append("“")
        elif child.type == "q_close":
            out.append("”")
    # A citation left out leaves a space before the punctuation that followed it.
    text = "".join(out)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text) if _PUNCT_AFTER_SPACE.search(text) else text


def walk_inline(tokens: list[Token]) -> Iterator[tuple[Token, dict[str, int]]]:
    """Each inline token with the depth of the containers around it (blockquote, note, list)."""
    depth = {"blockquote": 0, "note": 0, "list": 0, "heading": 0}
    for token in tokens:
        if token.type == "inline":
            yield token, dict(depth)
        elif token.type in _CONTAINER_OPEN:
            depth[_CONTAINER_OPEN[token.type]] += 1
        elif token.type in _CONTAINER_CLOSE:
            depth[_CONTAINER_CLOSE[token.type]] -= 1


# The token types that open and close the containers `walk_inline` counts, and the name each is counted under.
_CONTAINERS = {"blockquote": "blockquote", "container_note": "note", "bullet_list": "list",
               "ordered_list": "list", "heading": "heading"}
_CONTAINER_OPEN = {f"{prefix}_open": name for prefix, name in _CONTAINERS.items()}
_CONTAINER_CLOSE = {f"{prefix}_close": name for prefix, name in _CONTAINERS.items()}

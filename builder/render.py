"""Render: the model and its cross-links become HTML pages in memory (nothing touches site/ here)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Callable

from jinja2 import (BaseLoader, BytecodeCache, Environment, StrictUndefined, TemplateError, TemplateNotFound,
                    pass_context)
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from pygments.formatters import HtmlFormatter

from builder import visuals
from builder.config import Paths
from builder.citations import Cited, anchor_label, citation_html
from builder.markup import Links, Ref, render_markdown
from builder.meta import head_meta
from builder.model import Markdown, Mention, Page, Project, Source
from builder.problems import BuildFailed, Pos, Problems
from builder.reading import CitedIn
from builder.safeio import UnsafeInput, read_input
from builder.safeloader import input_files
from builder.textutil import fold


class TemplateFiles(BaseLoader):
    """The project's templates, then the engine's, each read through `read` (the build's input reader)."""

    def __init__(self, paths: Paths, read: Callable[[Path], bytes]) -> None:
        self.paths = paths
        self.read = read

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = split_template_path(template)  # refuses "..": a template name cannot leave its folder
        for folder in self.paths.template_dirs:
            path = folder.joinpath(*parts)
            if not path.is_file():
                continue
            problems = Problems()
            try:
                return self.read(path).decode("utf-8"), str(path), lambda: True
            except UnsafeInput as refused:
                problems.error(Pos(self.paths.rel(path)), refused.message, refused.hint)
            except UnicodeDecodeError:
                problems.error(Pos(self.paths.rel(path)), "not UTF-8", "re-save the file as UTF-8")
            raise BuildFailed(problems)
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """Every template name, the project's and the engine's (partials and macros too)."""
        names = {path.relative_to(folder).as_posix() for folder in self.paths.template_dirs if folder.is_dir()
                 for path in input_files(folder)}
        return sorted(names)


def root_of(path: str) -> str:
    """The relative prefix from a page back to the site root ("" at the top, "../../" two folders down)."""
    return "../" * path.count("/")


class SiteLinks(Links):
    """Links as seen from one page, always relative so the site works under any path and from disk."""

    def __init__(self, project: Project, root: str, previews: bool = True) -> None:
        self.previews = previews  # citations open their paragraph in place (not in the feed: readers drop buttons)
        self.sources = {s.id: s for s in project.sources}
        self.names = {n.casefold(): e for e in project.entities for n in e.all_names}
        self.entities = {e.id: e for e in project.entities}
        self.root = root

    def citation(self, ref: Ref) -> tuple[str, str, str] | None:
        source = self.sources.get(ref.source)
        if source is None:
            return None
        href = f"{self.root}sources/{source.id}/index.html"
        if not ref.anchor:
            return href, source.short, source.title
        label = f"{source.short} {anchor_label(ref.anchor)}"
        return f"{href}#{ref.anchor}", label, f"{source.title}, {anchor_label(ref.anchor)}"

    def cited(self, ref: Ref) -> Cited | None:
        found = self.citation(ref)
        if found is None or not self.previews:
            return None
        source = self.sources[ref.source]
        block = source.text.by_anchor().get(ref.anchor) if ref.anchor else None
        return Cited(source.id, found[0], source.short, source.kind or "", ref.anchor, block.text if block else "")

    def quotation(self, refs: list[Ref], quote: str) -> tuple[str, str, str] | None:
        wanted = fold(quote)
        for ref in refs:
            source = self.sources.get(ref.source)
            block = source.text.by_anchor().get(ref.anchor) if source else None
            if block is not None and wanted in fold(block.text):
                return self.citation(ref)
        return super().quotation(refs, quote)

    def entity(self, target: str) -> str | None:
        entity = self.entities.get(target) or self.names.get(target.casefold())
        return f"{self.root}{entity.section}/{entity.id}/index.html" if entity else None


class Renderer:
    """Holds the Jinja environment and the link tables; `render(page)` gives a page's HTML.

    A template gets `page`, `site`, `root` and the page's own context, nothing else: its filters and
    globals reach only the link tables (`SiteLinks`, digested by `cache.links_digest`) and their arguments."""

    def __init__(self, project: Project, paths: Paths, md: MarkdownIt,
                 read: Callable[[Path], bytes] | None = None, compiled: BytecodeCache | None = None) -> None:
        self.project = project  # for the link tables only
        self.site = project.site
        self.md = md
        self._links: dict[tuple[str, bool], SiteLinks] = {}
        self._previews: dict[object, str] = {}  # the citation previews the page being rendered holds so far
        self.env = Environment(loader=TemplateFiles(paths, read or (lambda path: read_input(paths.owner(path), path))),
                               autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True, bytecode_cache=compiled)
        self.env.filters.update(md=self._md, md_inline=self._md_inline, source_block=self._source_block, mention=self._mention,
                                headings=headings)
        self.env.globals.update(url=self._url, cite=self._cite, cited_line=self._cited_line, anchor_label=anchor_label,
                                head_meta=head_meta, chart_timeline=visuals.timeline,
                                chart_network=visuals.network, chart_coverage=visuals.coverage)

    def compile_all(self) -> None:
        """Compile every template (into the bytecode cache, if there is one), those a page imports or includes
        too; one that does not compile is left for the build that renders it to report."""
        for name in self.env.list_templates():
            try:
                self.env.get_template(name)
            except (TemplateError, BuildFailed):
                pass

    def links(self, root: str, previews: bool = True) -> SiteLinks:
        """The links of a page at `root`, one per depth (building them per page made large sites quadratic)."""
        links = self._links.get((root, previews))
        if links is None:
            links = self._links[(root, previews)] = SiteLinks(self.project, root, previews)
        return links

    @pass_context
    def _url(self, ctx: Context, target: str) -> str:
        """A site path ("people/x/" or "feed.xml") as a link from the current page."""
        return site_url(ctx["root"], target)

    @pass_context
    def _md(self, ctx: Context, doc: Markdown | None, spots: bool = False, previews: bool = True) -> Markup:
        """`spots`: a brief's body, whose citations get the ids source pages link back to. `previews=False`:
        citations as plain links, where the page already quotes the words and its weight must stay low."""
        if doc is None:
            return Markup("")
        return Markup(markdown_html(self.md, doc, self.links(ctx["root"], previews), spots, self._previews))

    @pass_context
    def _md_inline(self, ctx: Context, doc: Markdown) -> Markup:
        """A one-paragraph text without its <p>, for list items and table cells."""
        html = str(self._md(ctx, doc)).strip()
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            html = html[3:-4]
        return Markup(html)

    @pass_context
    def _cite(self, ctx: Context, source: str, anchor: str = "") -> Markup:
        found = self.links(ctx["root"]).citation(Ref(source, anchor))
        if not found:
            return Markup("")
        cited = self.links(ctx["root"]).cited(Ref(source, anchor))
        if cited is not None:
            return Markup(citation_html([cited], lambda c: (), self._previews, None))
        href, label, title = found
        return Markup('<span class="cite" data-pagefind-ignore>[<a href="{}">{}</a>]</span>').format(href, label)

    @pass_context
    def _source_block(self, ctx: Context, source: Source, index: int) -> Markup:
        """A seed block's exact words, with each mention linked to its person or organisation."""
        text = source.text.blocks[index].text
        links = self.links(ctx["root"])
        out, pos = [], 0
        # plain strings, each variable part escaped (what Markup.format did, without its cost per mention)
        for start, end, entity in ctx["spans"].get(index, ()):  # the source page's context carries them
            out += [escape(text[pos:start]), '<a class="entity" href="', escape(links.entity(entity)), '">',
                    escape(text[start:end]), "</a>"]
            pos = end
        out.append(escape(text[pos:]))
        return Markup("".join(out))

    @pass_context
    def _cited_line(self, ctx: Context, anchor: str) -> Markup:
        """Where a source page's paragraph `anchor` is cited (the page's `cited_in`): each brief at its citing
        spots, then the claims resting on it. A paragraph of a large site is cited by dozens of briefs, on
        every paragraph of every source page: plain strings, each variable part escaped, cost a tenth of the
        same loop in a macro."""
        places: list[CitedIn] = ctx["cited_in"].get(anchor, [])
        root = ctx["root"]
        briefs, claims = [], []
        for place in places:
            href, label = escape(site_url(root, place.path)), escape(place.label)
            first = f'<a href="{href}#{escape(place.fragments[0])}">{label}</a>'
            if place.claim:
                claims.append(first)
            else:
                briefs.append(first + "".join(
                    f' <a href="{href}#{escape(spot)}" aria-label="{label}, citation {number}">{number}</a>'
                    for number, spot in enumerate(place.fragments[1:], start=2)))
        # Passed over by the search index: a list of other pages (`search.indexed_digest`).
        span = '<span class="cited-in" data-pagefind-ignore="all">'
        out = [f'{span}Cited in: {"; ".join(briefs)}</span>'] if briefs else []
        if claims:
            out.append(f'{span}Claims resting on it: {"; ".join(claims)}</span>')
        return Markup("".join(out))

    def _mention(self, mention: Mention) -> Markup:
        s = mention.sentence
        return Markup(f"{escape(s[:mention.start])}<mark>{escape(s[mention.start:mention.end])}</mark>"
                      f"{escape(s[mention.end:])}")

    def render_file(self, name: str, **context: object) -> str:
        """A file that is not a page (feed.xml, sitemap.xml, robots.txt) from its template."""
        return self.env.get_template(name).render(site=self.site, **context)

    def render(self, page: Page) -> str:
        page = page.drawn()  # a page the plan did not need to draw (its fingerprint was the last build's)
        template = self.env.get_template(page.template)
        self._previews = {}
        html = template.render(page=page, site=self.site, root=root_of(page.path), **page.context)
        # The highlighting colours weigh more than most pages: only a page that shows code links them.
        return html if 'class="highlight"' in html else _PYGMENTS_LINK.sub("", html, count=1)


def site_url(root: str, target: str) -> str:
    """A site path ("people/x/", "" for the home page, or "feed.xml") as a link from a page at `root`."""
    if target.endswith("/") or target == "":
        target += "index.html"
    return root + target


def markdown_html(md: MarkdownIt, doc: Markdown, links: SiteLinks, spots: bool = False,
                   previews: dict[object, str] | None = None) -> str:
    """`doc` as HTML on a page whose links start with `links.root`."""
    return render_markdown(md, doc.tokens, links, spots, previews)


_PYGMENTS_LINK = re.compile(r'<link rel="stylesheet" href="[^"]*assets/pygments\.css">\n')
_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.S)
_TAG = re.compile(r"<[^>]+>")


def headings(html: str) -> list[tuple[str, Markup]]:
    """The (id, words) of a rendered text's sections, for its contents list (citations left out)."""
    out = []
    for ident, inner in _H2.findall(str(html)):
        inner = re.sub(r'<span class="cite".*', "", inner, flags=re.S)  # a citation ends the heading's words
        out.append((ident, Markup(_TAG.sub("", inner).strip())))
    return out


@functools.cache
def pygments_css() -> str:
    """Highlighting colours for both themes, generated so no style is loaded from elsewhere (once per process:
    the engine's digest covers the installed Pygments)."""
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    indented = "\n".join("  " + line for line in dark.splitlines())
    return f"/* generated by briefing from Pygments */\n{light}\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"




"""The build, stage by stage: load → resolve → render → check → write. Reads like its table of contents."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from builder import meta, publish
from builder.check import check_links
from builder.config import Paths
from builder.load import load_project
from builder.markup import create_markdown
from builder.matcher import EntityMatcher
from builder.model import Project
from builder.pages import build_pages
from builder.problems import BuildFailed, Problems
from builder.render import Renderer, pygments_css
from builder.resolve import Graph, resolve
from builder.search import reader_pages
from builder.write import copy_assets, write_site


@dataclass(frozen=True)
class Result:
    """What a build did, for the one summary line."""

    pages: int
    files: int
    seconds: float
    problems: Problems


def load_and_resolve(paths: Paths, problems: Problems) -> tuple[Project, Graph]:
    md = create_markdown()
    project = load_project(paths, md, problems)
    if project is not None:
        project = meta.with_base_url(project, problems)
    if project is None or problems.errors:
        raise BuildFailed(problems)
    graph = resolve(project, EntityMatcher(project.entities), problems)
    return project, graph


def render_files(paths: Paths, project: Project, graph: Graph, problems: Problems) -> tuple[dict[str, bytes], int]:
    """Every file of the site, in memory, checked."""
    renderer = Renderer(project, graph, paths, create_markdown())
    page_list = build_pages(project, graph) + reader_pages(project)
    extra = publish.site_files(project, page_list, problems)  # feed, sitemap, robots.txt, data/
    renderer.env.globals.update(publish.template_globals(project, graph, has_feed="feed.xml" in extra))
    pages = {page.path: renderer.render(page) for page in page_list}
    files = copy_assets(paths.asset_dirs)
    files["assets/pygments.css"] = pygments_css().encode()
    files[".nojekyll"] = b""
    files.update(extra)
    check_links(pages, set(files) | publish.LATE_FILES, problems)
    files.update({path: html.encode("utf-8") for path, html in pages.items()})
    return files, len(pages)


def build(root: Path, out: Path | None, strict: bool = False) -> Result:
    """Build the project at `root` into `out` (or only check it when `out` is None)."""
    started = time.perf_counter()
    paths = Paths(root)
    problems = Problems()
    project, graph = load_and_resolve(paths, problems)
    if problems.failed(strict):
        raise BuildFailed(problems)
    files, pages = render_files(paths, project, graph, problems)
    if problems.failed(strict):
        raise BuildFailed(problems)
    if out is not None:
        write_site(out, files, finish=publish.finish)  # + search index and zip, before the swap
    return Result(pages, len(files), time.perf_counter() - started, problems)

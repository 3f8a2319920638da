"""`python -m builder ingest`: the cleaned sources as Markdown files an editor can read."""

from __future__ import annotations

from pathlib import Path

from builder.claim import refuse_input_folder
from builder.config import Paths
from builder.ingest import to_markdown
from builder.load import Loader
from builder.markup import create_markdown
from builder.problems import BuildFailed, Problems
from builder.write import replace_file


def ingest_all(root: Path, out: Path) -> list[str]:
    paths = Paths(root)
    problems = Problems()
    sources = Loader(paths, create_markdown(), problems).sources()
    if problems.errors:
        raise BuildFailed(problems)
    refuse_input_folder(root, out)  # `--out content/briefs` would overwrite briefs named like sources
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = out / f"{source.id}.md"
        replace_file(target, to_markdown(source.id, source.seed, source.text).encode("utf-8"))
        written.append(paths.rel(target))
    return written

"""The dev server's preview in a real browser: warnings in the page, uncited paragraphs marked there only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder.commands.serve import LiveServer
from tests.conftest import mini_files, write_project

UNCITED = "Nobody cited this sentence at all."


@pytest.fixture()
def live(tmp_path: Path) -> Iterator[LiveServer]:
    files = mini_files()
    files["content/briefs/resignation.md"] = str(files["content/briefs/resignation.md"]) + f"\n{UNCITED}\n"
    server = LiveServer(write_project(tmp_path / "mini", files), tmp_path / "mini" / "site", "127.0.0.1", 0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_uncited_paragraph_is_marked_in_the_preview_and_not_in_the_files(browser: Any, live: LiveServer) -> None:
    context = browser.new_context()  # the suite's contexts only let the built site's origin through
    tab = context.new_page()
    try:
        tab.goto(live.url + "briefs/resignation/")
        marked = tab.locator("p.briefing-uncited")
        marked.first.wait_for(timeout=10_000)
        assert marked.count() == 1 and marked.first.inner_text().strip() == UNCITED
        summary = tab.locator("#briefing-build-errors summary")
        assert "1 warning(s)" in summary.inner_text()
    finally:
        context.close()
    built = (live.live.out / "briefs/resignation/index.html").read_text(encoding="utf-8")
    assert UNCITED in built and "briefing-uncited" not in built and "__briefing" not in built

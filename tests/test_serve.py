"""The dev server: live script injected into responses only, rebuild and reload on save, errors as an overlay.

Every server here runs in-process on a free port of 127.0.0.1 against a copy of the `mini` project and is
stopped at the end of its test. Waits are bounded by socket timeouts and deadlines, never fixed sleeps.
"""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from builder.commands import serve as serve_module
from builder.build import build
from builder.commands.serve import SCRIPT_TAG, LiveServer, inject, loopback

from conftest import REPO

WAIT = 10.0  # seconds: the most any test waits for the server to react to an edit
PAGE = "briefs/resignation/"
BRIEF = "content/briefs/resignation.md"
PEOPLE = "content/people.yaml"


class Events:
    """A Server-Sent Events client: yields (event, data) pairs, each read bounded by a socket timeout."""

    def __init__(self, url: str, timeout: float = WAIT) -> None:
        host, port = urllib.parse.urlsplit(url).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        connection.request("GET", "/__briefing/events")
        self.socket = connection.sock  # kept: the connection lets go of it once the response is open
        self.response = connection.getresponse()
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")

    def next(self) -> tuple[str, str]:
        event, data = "message", []
        while True:
            raw = self.response.readline()
            assert raw, "the event stream closed"
            line = raw.decode("utf-8").rstrip("\n")
            if not line:
                if data:
                    return event, "\n".join(data)
                event = "message"  # a `retry:` or comment block: no event
            elif line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])

    def wait_for(self, name: str, deadline: float) -> str:
        """The data of the next `name` event; other events (a rebuild someone else caused) are passed over."""
        while time.monotonic() < deadline:
            event, data = self.next()
            if event == name:
                return data
        raise AssertionError(f"no {name!r} event in time")

    def close(self) -> None:
        self.response.close()


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def wait_for_page(server: LiveServer, events: Events, text: str) -> str:
    """Reload events until the page carries `text`: a watched engine folder may cause an earlier rebuild."""
    deadline = time.monotonic() + WAIT
    while True:
        events.wait_for("reload", deadline)
        status, _, body = fetch(server.url + PAGE)
        if status == 200 and text in body:
            return body


def files_of(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def built_afresh(project: Path, tmp_path: Path) -> dict[Path, bytes]:
    """What `make site` would write for the project as it is now."""
    build(project, tmp_path / "reference")
    return files_of(tmp_path / "reference")


@pytest.fixture
def server(mini: Path) -> Iterator[LiveServer]:
    live = LiveServer(mini, mini / "site", "127.0.0.1", 0)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def events(server: LiveServer) -> Iterator[Events]:
    stream = Events(server.url)
    assert stream.next()[0] == "hello"  # connected: every later event is about the edits of the test
    yield stream
    stream.close()


def test_script_is_injected_in_responses_but_not_in_the_files(server: LiveServer, mini: Path,
                                                             tmp_path: Path) -> None:
    for url in (server.url + PAGE, server.url + PAGE + "index.html", server.url):
        status, headers, body = fetch(url)
        assert status == 200
        assert headers["Cache-Control"] == "no-store"
        assert body.count(SCRIPT_TAG.decode()) == 1
        assert body.index(SCRIPT_TAG.decode()) < body.index("</head>")
    status, headers, css = fetch(server.url + "assets/style.css")
    assert status == 200 and headers["Cache-Control"] == "no-store" and "<script" not in css
    served = files_of(mini / "site")
    assert served == built_afresh(mini, tmp_path)  # the site on disk is exactly `make site` output
    # the live-reload script exists only in responses: no file on disk names it
    assert not any(b"/__briefing/" in data for data in served.values())


def test_live_js_builds_the_overlay_from_text_nodes(server: LiveServer) -> None:
    status, headers, script = fetch(server.url + "__briefing/live.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
    assert "createTextNode" in script and "/__briefing/events" in script


def test_an_edit_rebuilds_and_the_page_reloads(server: LiveServer, events: Events, mini: Path) -> None:
    edit(mini / BRIEF, "resigned after the deal collapsed", "resigned after the harbour talks failed")
    body = wait_for_page(server, events, "resigned after the harbour talks failed")
    assert SCRIPT_TAG.decode() in body


def test_the_search_index_and_zip_catch_up_once_saves_pause(server: LiveServer, events: Events, mini: Path,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_module, "FINISH_AFTER_SECONDS", 3.0)  # room to look before it catches up
    zip_path = mini / "site/briefing.zip"
    old_zip = zip_path.read_bytes()
    edit(mini / BRIEF, "resigned after the deal collapsed", "resigned after the harbour talks failed")
    wait_for_page(server, events, "resigned after the harbour talks failed")
    assert server.live.unfinished and zip_path.read_bytes() == old_zip  # the page first, the zip later
    deadline = time.monotonic() + WAIT
    while server.live.unfinished and time.monotonic() < deadline:
        server.stop_event.wait(0.1)
    assert not server.live.unfinished
    assert files_of(mini / "site") == built_afresh(mini, tmp_path)
    events.socket.settimeout(0.5)  # catching up changed no page: no second reload
    with pytest.raises(TimeoutError):
        events.next()


def test_a_content_error_shows_in_the_page_and_the_last_good_site_stays(
        server: LiveServer, events: Events, mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = mini / PEOPLE
    good = people.read_text(encoding="utf-8")
    people.write_text(good.replace("  role: Deputy minister", "  role: [Deputy minister"), encoding="utf-8")
    message = events.wait_for("error", time.monotonic() + WAIT)
    assert re.search(r"^content/people\.yaml:\d+: error: ", message, re.MULTILINE), message
    assert re.search(r"content/people\.yaml:\d+: error: ", capsys.readouterr().err)
    status, _, body = fetch(server.url + PAGE)
    assert status == 200 and "Jana Novak" in body  # the last good site
    late = Events(server.url)  # a page opened while the content is broken sees the error at once
    assert late.next()[0] == "hello"
    assert late.next() == ("error", message)
    late.close()
    people.write_text(good.replace("Deputy minister", "Acting minister"), encoding="utf-8")
    events.wait_for("reload", time.monotonic() + WAIT)
    assert "Acting minister" in fetch(server.url + "people/lis/")[2]


def test_a_crash_in_a_rebuild_keeps_the_server_running(server: LiveServer, events: Events, mini: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(root: Path, out: Path | None, **options: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(serve_module, "build", crash)
    edit(mini / BRIEF, "takes over", "takes charge")
    assert "RuntimeError: engine bug" in events.wait_for("error", time.monotonic() + WAIT)
    assert fetch(server.url + PAGE)[0] == 200
    monkeypatch.setattr(serve_module, "build", build)
    edit(mini / BRIEF, "takes charge", "takes the helm")
    wait_for_page(server, events, "takes the helm")


def test_a_burst_of_saves_is_one_rebuild(server: LiveServer, events: Events, mini: Path) -> None:
    brief = mini / BRIEF
    text = brief.read_text(encoding="utf-8")
    before = server.live.builds
    for n in range(5):
        brief.write_text(text.replace("takes over", f"takes over ({n})"), encoding="utf-8")
    wait_for_page(server, events, "takes over (4)")
    assert server.live.builds == before + 1
    events.socket.settimeout(0.5)  # well past one debounce step: a second rebuild would be here by then
    with pytest.raises(TimeoutError):
        events.next()


def test_a_project_that_never_built_shows_a_page_that_reloads(mini: Path) -> None:
    people = mini / PEOPLE
    good = people.read_text(encoding="utf-8")
    people.write_text(good + "- id: [broken\n", encoding="utf-8")
    live = LiveServer(mini, mini / "site", "127.0.0.1", 0)
    live.start()
    try:
        status, _, body = fetch(live.url)
        assert status == 503 and SCRIPT_TAG.decode() in body
        stream = Events(live.url)
        assert [stream.next()[0], stream.next()[0]] == ["hello", "error"]
        people.write_text(good, encoding="utf-8")
        stream.wait_for("reload", time.monotonic() + WAIT)
        assert fetch(live.url)[0] == 200
        stream.close()
    finally:
        live.stop()


def test_inject_without_a_head_appends_the_script() -> None:
    assert inject(b"<p>x</p>") == b"<p>x</p>" + SCRIPT_TAG + b"\n"
    assert inject(b"<head></HEAD>") == b"<head>" + SCRIPT_TAG + b"\n</HEAD>"


def test_only_loopback_is_served() -> None:
    assert loopback("127.0.0.1") == "127.0.0.1"
    assert loopback("localhost") == "127.0.0.1"
    for host in ("0.0.0.0", "192.168.1.5", "::1", "example.org"):
        with pytest.raises(ValueError, match="127.0.0.1 only"):
            loopback(host)


def test_the_command_serves_and_stops_cleanly_on_ctrl_c(mini: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "builder", "--project", str(mini), "serve", "--port", "0"],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]  # the build line, then the serving line
        url = re.search(r"serving (http://127\.0\.0\.1:\d+/)", "".join(lines))
        assert url, lines
        assert fetch(url.group(1) + PAGE)[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert "stopping" in out and "Traceback" not in err


def test_warnings_reach_the_page_and_the_terminal_once(server: LiveServer, mini: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    stream = Events(server.url)
    assert stream.next()[0] == "hello"
    edit(mini / BRIEF, "She said", "Nobody cited this sentence at all.\n\nShe said")
    stream.wait_for("reload", time.monotonic() + WAIT)
    deadline = time.monotonic() + WAIT
    while server.live.unfinished and time.monotonic() < deadline:  # the catching-up build repeats them
        server.stop_event.wait(0.1)
    assert not server.live.unfinished
    stream.close()
    late = Events(server.url)  # a page opened now hears the warnings, marked for the preview only
    assert late.next()[0] == "hello"
    event, data = late.next()
    late.close()
    assert event == "warnings"
    assert "resignation.md:9: warning: paragraph has no citation: “Nobody cited this sentence at all.”" in data
    printed = capsys.readouterr().err
    assert printed.count("paragraph has no citation") == 1, printed
    # the mark is made by the served script in the browser: the files stay those of `make site`
    assert files_of(mini / "site") == built_afresh(mini, tmp_path)
    script = fetch(server.url + "__briefing/live.js")[2]
    assert "paragraph has no citation" in script and "briefing-uncited" in script

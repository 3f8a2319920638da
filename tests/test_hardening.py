"""The build never destroys, reads or leaks what is not its own, and every environment fault is one line.

Each test here holds one defect of the hardening issue (13): it builds a small project of its own with
the real command (or, for faults that need injecting, the real `main` in this process) and checks both
the one-line message and that nothing else was touched. Hostile *content* (script in every field) is in
tests/test_hostile.py; broken content, one case per error, in tests/fixtures/broken/cases.yaml.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import mini_files, run_cli, write_project

PROBLEM_LINE = re.compile(r"^(?P<at>[^:]+:\d+): (?P<severity>error|warning): (?P<what>.+?) — (?P<fix>.+)$")


def tree(folder: Path) -> dict[str, bytes | str]:
    """Everything under `folder` (links as their targets, files as bytes), to prove nothing changed."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
            else:
                out[rel] = "dir"
    return out


def one_error(result, at: str | None = None) -> re.Match[str]:  # type: ignore[no-untyped-def]
    """The build failed with exit 1, no traceback, and exactly one `path:line: error: what — fix` line."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("build failed:")]
    assert len(lines) == 1, result.stderr
    match = PROBLEM_LINE.match(lines[0])
    assert match and match["severity"] == "error", lines[0]
    if at is not None:
        assert match["at"] == at, lines[0]
    return match


# -- 1. the output folder is the build's own ------------------------------------------------------

@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder holding a project (`project/`, with a .git and a venv of its own) and a user's files."""
    root = write_project(tmp_path / "project", mini_files())
    write_project(root, {".git/config": "[core]\n", ".venv/pyvenv.cfg": "home = /usr\n",
                         "templates/base.html": "{% block body %}{% endblock %}",
                         "assets/site.css": "body{}"})
    (root / "templates" / "base.html").unlink()  # an empty templates/ keeps the engine's own
    write_project(tmp_path, {"mine/notes.txt": "my own notes", "mine/sub/a.txt": "a", "file.txt": "a file"})
    (tmp_path / "empty").mkdir()
    return tmp_path


REFUSED = {  # --out value (relative to the project) → words the one line must contain
    ".": "project folder",
    "..": "project folder",
    "content": "content/",
    "content/briefs": "content/",
    "seeds": "seeds/",
    "templates": "templates/",
    "assets": "assets/",
    ".git": ".git/",
    ".cache/site": ".cache/",
    "../file.txt": "is a file",
    "../mine": "did not make",
    "../link-to-mine": "symlink",
    "../link-to-nowhere": "symlink",
}


@pytest.mark.parametrize("out", sorted(REFUSED))
def test_an_output_folder_that_is_not_the_builds_own_is_refused(out: str, workspace: Path) -> None:
    # Guard: claim.claim_output, asked by build.build before anything else.
    (workspace / "link-to-mine").symlink_to(workspace / "mine")
    (workspace / "link-to-nowhere").symlink_to(workspace / "gone")
    before = tree(workspace)
    result = run_cli("--project", str(workspace / "project"), "build", "--out", out,
                     cwd=workspace / "project")
    match = one_error(result)
    assert REFUSED[out] in match["what"], match.string
    assert tree(workspace) == before  # not one file moved, made or deleted (not even .cache/)


def test_a_site_folder_that_is_a_symlink_is_refused(workspace: Path) -> None:
    # The default output, site/, linked to a folder of the user's: the build replaced the link's target.
    root = workspace / "project"
    (root / "site").symlink_to(workspace / "mine")
    before = tree(workspace)
    one_error(run_cli("--project", str(root), "build"), at="site:1")
    assert tree(workspace) == before


@pytest.mark.parametrize("out", ["../new/site", "../empty"])
def test_a_new_or_empty_folder_is_built_then_rebuilt_thanks_to_its_marker(out: str, workspace: Path) -> None:
    # Guard: output.plan_site puts claim.MARKER in every site; claim.claim_output accepts a folder holding it.
    root = workspace / "project"
    for _ in range(2):
        result = run_cli("--project", str(root), "build", "--out", out, cwd=root)
        assert result.returncode == 0, result.stderr
    site = (root / out).resolve()
    assert (site / ".briefing-site").is_file() and (site / "index.html").is_file()
    assert tree(workspace / "mine") == {"notes.txt": b"my own notes", "sub": "dir", "sub/a.txt": b"a"}


def test_a_marker_that_is_a_symlink_does_not_make_a_folder_the_builds(workspace: Path) -> None:
    mine = workspace / "mine"
    (mine / ".briefing-site").symlink_to(workspace / "file.txt")
    before = tree(workspace)
    one_error(run_cli("--project", str(workspace / "project"), "build", "--out", str(mine)))
    assert tree(workspace) == before


# -- 2. nothing outside the project (or in its hidden folders) is read -----------------------------

SECRET = "ghp_notarealtokenbutasecret1234"


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """The mini project, built once, with a secret in its .git/config and another outside the project."""
    root = write_project(tmp_path / "project", mini_files())
    write_project(root, {".git/config": f"[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n"})
    write_project(tmp_path, {"outside/passwd": f"root:x:0:0:{SECRET}:/root:/bin/sh\n"})
    assert run_cli("--project", str(root), "build").returncode == 0
    return root


def add_source(root: Path, seed: str) -> None:
    with open(root / "content" / "sources.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"- id: leak\n  seed: {seed}\n  title: Leak\n")


def published(site: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in site.rglob("*") if p.is_file())


@pytest.mark.parametrize("target, why", [
    ("../.git/config", "hidden"),
    ("../../outside/passwd", "outside the project"),
    ("/etc/passwd", "outside the project"),
])
def test_a_seed_linked_out_of_the_project_is_an_error_at_its_path(target: str, why: str, linked: Path) -> None:
    # Guard: load.Loader.read_text reads through safeio.read_input (inside the project, no hidden part).
    (linked / "seeds" / "leak.txt").symlink_to(target)
    add_source(linked, "leak.txt")
    before = tree(linked / "site")
    match = one_error(run_cli("--project", str(linked), "build"), at="seeds/leak.txt:1")
    assert why in match["what"]
    assert tree(linked / "site") == before and SECRET not in published(linked / "site")


@pytest.mark.parametrize("kind", ["link-out", "fifo"])
def test_a_seed_no_source_lists_is_still_an_error_at_its_path_when_it_is_not_a_plain_file(
        kind: str, linked: Path) -> None:
    # Guard: load.Loader.unlisted_seeds checks every other file in seeds/ by its kind (safeio.check_input), never
    # opening it: otherwise a stray link to a host file or a FIFO would pass as "not listed yet" with a warning.
    leak = linked / "seeds" / "stray.txt"
    if kind == "fifo":
        os.mkfifo(leak)
    else:
        leak.symlink_to(linked.parent / "outside" / "passwd")
    before = tree(linked / "site")
    match = one_error(run_cli("--project", str(linked), "build"), at="seeds/stray.txt:1")
    assert ("FIFO" if kind == "fifo" else "outside the project") in match["what"]
    assert tree(linked / "site") == before and SECRET not in published(linked / "site")


@pytest.mark.parametrize("folder", ["assets", "templates"])
def test_an_asset_or_template_linked_out_of_the_project_is_an_error_at_its_path(folder: str, linked: Path) -> None:
    # Guards: write.copy_assets and safeloader.check_templates read/check through safeio.
    (linked / folder).mkdir()
    (linked / folder / "leak.css").symlink_to(linked.parent / "outside" / "passwd")
    before = tree(linked / "site")
    match = one_error(run_cli("--project", str(linked), "build"), at=f"{folder}/leak.css:1")
    assert "outside the project" in match["what"]
    assert tree(linked / "site") == before and SECRET not in published(linked / "site")


def test_the_template_loader_refuses_a_link_out_of_the_project(tmp_path: Path) -> None:
    # Guard: safeloader.InputLoader (Jinja's own FileSystemLoader would read the file).
    from jinja2 import Environment

    from builder.safeio import UnsafeInput
    from builder.safeloader import InputLoader

    write_project(tmp_path, {"outside/secret.html": SECRET, "project/templates/page.html": "{% include 'x.html' %}"})
    (tmp_path / "project" / "templates" / "x.html").symlink_to(tmp_path / "outside" / "secret.html")
    env = Environment(loader=InputLoader([str(tmp_path / "project" / "templates")]))
    with pytest.raises(UnsafeInput):
        env.get_template("page.html").render()


@pytest.mark.parametrize("kind", ["fifo", "device", "too-large"])
def test_a_seed_that_is_not_a_small_regular_file_is_an_error_without_reading_it(
        kind: str, mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Guard: Loader.read_text → safeio.read_input (a FIFO would block forever, /dev/zero never end).
    # In-process: the whole build's input scan (builder/incremental/inputs.py) is held by tests/test_cache_integrity.py.
    from builder.config import Paths
    from builder.load import Loader
    from builder.markup import create_markdown
    from builder.problems import Problems

    seed = mini / "seeds" / "port.txt"
    seed.unlink()
    if kind == "fifo":
        os.mkfifo(seed)
    elif kind == "device":
        seed.symlink_to("/dev/zero")
    else:
        seed.write_text("x" * 2000)
        monkeypatch.setenv("BRIEFING_MAX_INPUT_BYTES", "1000")
    problems = Problems()
    assert Loader(Paths(mini), create_markdown(), problems).read_text(seed) is None
    [problem] = problems.items
    assert str(problem.pos) == "seeds/port.txt:1"
    assert {"fifo": "FIFO", "device": "outside the project", "too-large": "limit"}[kind] in problem.message


def test_nul_bytes_in_a_seed_never_reach_a_page(mini: Path) -> None:
    # Guard: load.read_text drops NUL bytes, with a warning at the first one's line.
    seed = mini / "seeds" / "port.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Jana Novak resigned", b"Jana\0 Novak resigned\0\0"))
    result = run_cli("--project", str(mini), "build")
    assert result.returncode == 0, result.stderr
    assert "seeds/port.txt:5: warning: 3 NUL byte(s)" in result.stderr
    pages = [p.read_bytes() for p in (mini / "site").rglob("*.html")]
    assert pages and not any(b"\0" in page or b"&#0;" in page or b"\xef\xbf\xbd" in page for page in pages)
    assert b"resigned on Tuesday" in (mini / "site" / "sources" / "port-news" / "index.html").read_bytes()


# -- 4. bounded work on any input ------------------------------------------------------------------

def test_a_merge_key_is_not_a_duplicate_key_but_a_repeated_own_key_is() -> None:
    # Guard: yamlio._construct_map reports duplicates among the mapping's own keys only.
    from builder.problems import Problems
    from builder.yamlio import parse_yaml

    problems = Problems()
    data = parse_yaml("n:\n  <<: {role: x, country: y}\n  role: z\n", "f.yaml", problems)
    assert data == {"n": {"role": "z", "country": "y"}} and problems.items == []
    parse_yaml("n:\n  <<: {role: x}\n  role: z\n  role: w\n", "f.yaml", problems)
    assert [str(p.pos) for p in problems.items] == ["f.yaml:4"]


# -- 5. names cannot collide or spoof (the errors are cases in tests/fixtures/broken/hostile.yaml) ---

@pytest.mark.parametrize("allow", [False, True])
def test_an_alias_that_is_a_common_word_is_a_warning_unless_allowed(allow: bool, tmp_path: Path) -> None:
    # Guard: load.Loader.names warns with names.is_common (the site language's and English everyday words).
    files = mini_files()
    files["content/organisations.yaml"] = f"""\
        - id: us-government
          name: United States government
          aliases:
            - US
            - the
          kind: government
          description: Mentioned [@port-news#p4].
          {"allow_common: true" if allow else ""}
        """
    root = write_project(tmp_path / "project", files)
    result = run_cli("--project", str(root), "build")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "common word" in line]
    if allow:
        assert warnings == []
    else:
        assert [w.split(": warning:")[0] for w in warnings] == ["content/organisations.yaml:4",
                                                                "content/organisations.yaml:5"]
        assert all(PROBLEM_LINE.match(w) for w in warnings)


@pytest.mark.parametrize("body", [
    ">" * 20000 + " deep [@port-news#p3]",
    "".join("  " * i + "- x\n" for i in range(500)),
    "[" * 20000 + "x" + "]" * 20000,
    "[[" * 5000 + "x" + "]]" * 5000,
    "[@" * 5000 + "port-news#p3" + "]" * 5000,
    "::: note\n" * 3000 + "x\n" + ":::\n" * 3000,
], ids=["quotes", "lists", "brackets", "wiki-links", "citations", "notes"])
def test_deeply_nested_markdown_is_bounded(body: str, tmp_path: Path) -> None:
    # Guard: markup.create_markdown keeps markdown-it's maxNesting (the parser and renderer recurse).
    files = mini_files()
    files["content/briefs/deep.md"] = "---\ntitle: Deep\nsummary: Deep.\n---\n" + body + "\n"
    result = run_cli("--project", str(write_project(tmp_path / "project", files)), "build")
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr


# -- 6. every environment fault is one line; the last good site stays; no staging folder stays ------

@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "project", mini_files())
    assert run_cli("--project", str(root), "build").returncode == 0
    return root


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".site."))


def edit(root: Path, words: str) -> None:
    with open(root / "content" / "briefs" / "resignation.md", "a", encoding="utf-8") as handle:
        handle.write(f"\n{words} [@port-news#p3].\n")


def build_in_process(root: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """The real command line in this process, so that a fault can be injected; returns (code, stdout, stderr)."""
    from builder.cli import main

    code = main(["--project", str(root), "build"])
    out, err = capsys.readouterr()
    return type("Result", (), {"returncode": code, "stdout": out, "stderr": err})()


@pytest.mark.parametrize("fault, words", [
    (errno.ENOSPC, "the disk is full"),
    (errno.EROFS, "read-only"),
    (errno.EACCES, "cannot be changed or deleted"),
])
def test_a_disk_fault_while_writing_is_one_line_and_the_site_stays(
        fault: int, words: str, built: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Guard: output.stage_output turns an OSError into write.environment_fault; Staging.abort removes the folder.
    from builder import write

    real_write, count = write.Staging.write, [0]

    def failing(self, rel: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
        count[0] += 1
        if count[0] == 1:
            raise OSError(fault, os.strerror(fault), str(self.path / rel))
        real_write(self, rel, data)

    monkeypatch.setattr(write.Staging, "write", failing)
    edit(built, "An edit")
    before = tree(built / "site")
    match = one_error(build_in_process(built, capsys))
    assert words in match["fix"] and match["at"].startswith(str(built / "site") + "/"), match.string
    assert tree(built / "site") == before and leftovers(built) == []


def test_an_undeletable_file_in_the_site_never_breaks_a_build(built: Path) -> None:
    # The live site's file made immutable (root) or its folder read-only: the next builds recycle the
    # site it was in, cannot delete it there, and start again from an empty folder (output.stage_output).
    page = built / "site" / "people" / "novak" / "index.html"
    undo = undeletable(page)
    try:
        for n in range(4):
            edit(built, f"Edit number {n}")
            result = run_cli("--project", str(built), "build")
            assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
            assert f"Edit number {n}" in (built / "site" / "briefs" / "resignation" / "index.html").read_text()
            assert leftovers(built) == []
    finally:
        undo()


def undeletable(path: Path):  # type: ignore[no-untyped-def]
    """Make `path` impossible to delete, the way this machine allows; returns the undo."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        def undo() -> None:
            for found in path.parents[3].rglob(path.name):  # its hard links (the same inode) included
                subprocess.run(["chattr", "-i", str(found)], capture_output=True)
        return undo
    assert os.geteuid() != 0, "as root without chattr nothing is undeletable: run where chattr works"
    path.parent.chmod(0o555)
    return lambda: [p.chmod(0o755) for p in path.parents[3].rglob("*") if p.is_dir()]


@pytest.mark.parametrize("value, words", [
    ("abc", "not a whole number"), ("-1", "not a whole number"), ("1e9", "not a whole number"),
    ("99999999999999999999999", "after the year 9999"),
])
def test_an_invalid_source_date_epoch_is_one_line(value: str, words: str, built: Path) -> None:
    # Guard: publish.epoch_problem, asked by publish.site_files (datetime overflowed with a traceback).
    edit(built, "An edit")
    before = tree(built / "site")
    match = one_error(run_cli("--project", str(built), "build", env={"SOURCE_DATE_EPOCH": value}),
                      at="environment SOURCE_DATE_EPOCH:1")
    assert words in match["what"]
    assert tree(built / "site") == before and leftovers(built) == []


FAKE_PAGEFIND = {
    "fails": "echo 'Error: thread panicked at language' >&2; exit 101",
    # $4: the bundle's folder (--output-path)
    "writes-an-empty-index": 'mkdir -p "$4"; : > "$4/pagefind-entry.json"; touch "$4/pagefind-ui.js" "$4/pagefind-ui.css"',
    "indexes-nothing": 'mkdir -p "$4"; echo \'{"languages": {}}\' > "$4/pagefind-entry.json"; '
                       'touch "$4/pagefind-ui.js" "$4/pagefind-ui.css"',
}


@pytest.mark.parametrize("behaviour", sorted(FAKE_PAGEFIND))
def test_pagefind_failing_or_writing_an_incomplete_index_is_one_line(behaviour: str, built: Path) -> None:
    # Guards: search.index_site (exit status, its message on one line) and search._entry (the index's files).
    fake = built.parent / "pagefind"
    fake.write_text("#!/bin/sh\n" + FAKE_PAGEFIND[behaviour] + "\n")
    fake.chmod(0o755)
    edit(built, "An edit")
    before = tree(built / "site")
    match = one_error(run_cli("--project", str(built), "build", env={"PAGEFIND_BINARY_PATH": str(fake)}),
                      at="site/pagefind:1")
    assert ("Pagefind failed: Error: thread panicked" if behaviour == "fails" else "incomplete index") in match["what"]
    assert "not a content problem" in match["fix"]
    assert tree(built / "site") == before and leftovers(built) == []


# -- 7. serve stays a local tool ----------------------------------------------------------------------

@pytest.fixture
def live(mini: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from builder.commands import serve

    monkeypatch.setattr(serve.LiveHandler, "timeout", 0.5)  # the idle limit, shortened for the test
    server = serve.LiveServer(mini, mini / "site", "127.0.0.1", 0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def raw_request(server, data: bytes) -> bytes:  # type: ignore[no-untyped-def]
    import socket

    with socket.create_connection(server.httpd.server_address[:2], timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("host, status", [
    ("evil.example", b"421"), ("evil.example:{port}", b"421"), ("127.0.0.1.evil.example", b"421"),
    ("localhost:{port}", b"200"), ("127.0.0.1:{port}", b"200"), ("LOCALHOST", b"200"),
])
def test_serve_answers_only_to_local_host_names(host: str, status: bytes, live) -> None:  # type: ignore[no-untyped-def]
    # Guard: serve.LiveHandler.parse_request checks the Host header (DNS rebinding).
    port = live.httpd.server_address[1]
    reply = raw_request(live, f"GET / HTTP/1.1\r\nHost: {host.format(port=port)}\r\nConnection: close\r\n\r\n".encode())
    assert reply.split(b"\r\n", 1)[0].split(b" ")[1] == status, reply[:200]
    assert (b"Port Briefing" in reply) == (status == b"200")


@pytest.mark.parametrize("request_line", [b"GET /%00 HTTP/1.1", b"GET /people/%00/x HTTP/1.1",
                                          b"GET /%0a HTTP/1.1", b"GET /\x00 HTTP/1.1"])
def test_serve_answers_a_malformed_request_with_400_and_no_traceback(
        request_line: bytes, live, capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    # Guard: serve.LiveHandler.parse_request refuses control characters; LiveHTTPServer.handle_error.
    reply = raw_request(live, request_line + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert reply.split(b" ")[1] == b"400", reply[:200]
    assert "Traceback" not in capfd.readouterr().err


def test_serve_closes_an_idle_connection(live) -> None:  # type: ignore[no-untyped-def]
    # Guard: LiveHandler.timeout; without it the recv below waits for its own 10 s limit and fails.
    import socket

    with socket.create_connection(live.httpd.server_address[:2], timeout=10) as conn:
        assert conn.recv(1) == b""  # closed by the server, having sent nothing


# -- smaller items -------------------------------------------------------------------------------------

def test_a_heading_never_takes_an_id_the_page_uses(tmp_path: Path) -> None:
    # Guard: markup._keep_page_ids renames `## Main` (and {#search}) away from the template's ids.
    files = mini_files()
    files["content/briefs/resignation.md"] += "\n## Main\n\nMore [@port-news#p3].\n\n## Search\n\nYet more [@port-news#p4].\n"
    root = write_project(tmp_path / "project", files)
    result = run_cli("--project", str(root), "build")
    assert result.returncode == 0, result.stderr
    for page in (root / "site").rglob("*.html"):
        ids = re.findall(r'\sid="([^"]*)"', page.read_text(encoding="utf-8"))
        assert len(ids) == len(set(ids)), (page, sorted(i for i in ids if ids.count(i) > 1))
    html = (root / "site" / "briefs" / "resignation" / "index.html").read_text(encoding="utf-8")
    assert 'id="main-section"' in html and 'id="search-section"' in html


def test_the_ids_markdown_may_not_take_are_the_templates_own() -> None:
    from builder.config import ENGINE_ROOT
    from builder.markup import PAGE_IDS

    literal = {m for path in (ENGINE_ROOT / "templates").rglob("*.html")
               for m in re.findall(r'\sid="([^"{]+)"', path.read_text(encoding="utf-8"))}
    assert literal <= PAGE_IDS, f"add {sorted(literal - PAGE_IDS)} to markup.PAGE_IDS"
    # and no more: an id no template uses any longer would refuse an editor's claim or term id for nothing
    assert PAGE_IDS <= literal, f"remove {sorted(PAGE_IDS - literal)} from markup.PAGE_IDS"


def test_check_writes_nothing_not_even_the_cache(built: Path) -> None:
    # Guard: build.build opens no store for `check` (out=None): it said it writes nothing, and wrote .cache/.
    import shutil

    shutil.rmtree(built / ".cache")
    edit(built, "An edit")
    before = tree(built)
    result = run_cli("--project", str(built), "check")
    assert result.returncode == 0, result.stderr
    assert tree(built) == before


# -- 8. the Pages workflow passes a security audit -------------------------------------------------------

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "pages.yml"


def test_the_pages_workflow_passes_zizmor_offline() -> None:
    # zizmor (the test extra) audits the workflow: unpinned actions, permissions, persisted credentials,
    # template injection… Offline: no finding at medium severity or above.
    import shutil
    import sys

    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert zizmor, "zizmor is in the test extra: make .venv/.installed"
    result = subprocess.run([zizmor, "--offline", "--min-severity", "medium", "--format", "plain", str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pages_workflow_checks_before_it_deploys_and_grants_per_job() -> None:
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert workflow["permissions"] == {}
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    runs = [step.get("run", "") for step in build["steps"]]
    assert any("make check" in r for r in runs) and any("make site" in r for r in runs)
    assert min(i for i, r in enumerate(runs) if "make check" in r) < min(i for i, r in enumerate(runs) if "make site" in r)
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    setup = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"
    for line in WORKFLOW.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:  # a full commit SHA, and the release it is, for the next update
            assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\s*$", line), line


def test_make_site_installs_only_what_building_needs() -> None:
    makefile = (WORKFLOW.parent.parent.parent / "Makefile").read_text(encoding="utf-8")
    rules = {m[0]: m[1] for m in re.findall(r"^([\w$().-]+):([^\n]*)$", makefile, re.M)}
    assert "$(SITE_STAMP)" in rules["site"] and "$(SITE_STAMP)" in rules["check"] and "$(STAMP)" not in rules["site"]
    assert "$(STAMP)" in rules["test"]
    site_recipe = makefile.split("$(SITE_STAMP): pyproject.toml")[1].split("\n\n")[0]
    assert "-e ." in site_recipe and "[test]" not in site_recipe


@pytest.mark.parametrize("out", ["content/briefs", "seeds", "."])
def test_ingest_never_writes_into_an_input_folder(out: str, workspace: Path) -> None:
    # Guard: claim.refuse_input_folder, asked by ingest_command.ingest_all.
    before = tree(workspace)
    one_error(run_cli("--project", str(workspace / "project"), "ingest", "--out", out, cwd=workspace / "project"))
    assert tree(workspace) == before


def test_ingest_replaces_a_symlink_instead_of_writing_through_it(workspace: Path) -> None:
    out = workspace / "project" / "build" / "ingest"
    out.mkdir(parents=True)
    (out / "port-news.md").symlink_to(workspace / "file.txt")
    result = run_cli("--project", str(workspace / "project"), "ingest")
    assert result.returncode == 0, result.stderr
    assert (workspace / "file.txt").read_text() == "a file" and not (out / "port-news.md").is_symlink()


def test_new_brief_never_writes_through_a_dangling_link(workspace: Path) -> None:
    # Guard: scaffold.new_brief takes a link at the brief's path for an existing brief (os.path.lexists).
    root = workspace / "project"
    write_project(root, {"content/outlines/next.yaml": "title: Next\nsummary: What comes next.\nsections: []\n"})
    (root / "content" / "briefs" / "next.md").symlink_to(workspace / "planted.md")
    before = tree(workspace)
    one_error(run_cli("--project", str(root), "new", "brief", "next"))
    assert tree(workspace) == before and not (workspace / "planted.md").exists()


def test_serve_accepts_a_burst_of_connections_without_dropping_any(live) -> None:  # type: ignore[no-untyped-def]
    # Guard: LiveHTTPServer.request_queue_size. With socketserver's queue of 5, the kernel dropped the
    # connections beyond it and each retried a second later (6 accepts a second); a queue that holds the
    # burst lets the kernel complete each connection at once, whatever the server thread is doing.
    import socket

    opened = []
    try:
        for _ in range(200):
            opened.append(socket.create_connection(live.httpd.server_address[:2], timeout=0.9))
    finally:
        for conn in opened:
            conn.close()
    assert len(opened) == 200

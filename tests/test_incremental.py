"""An incremental build gives exactly the bytes of a clean build, whatever changed; one with nothing to do
writes nothing; and the cache is thrown away when the templates or the engine change.

A clean build here is a copy of the project without its .cache/, built into a fresh folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path
from typing import Callable

import pytest

from markdown_it import MarkdownIt

from builder import output
from builder.config import Paths
from builder.incremental import briefs as incremental
from builder.incremental.state import IncrementalState
from builder.build import Result, build
from builder.config import ENGINE_ROOT
from builder.problems import BuildFailed, Problems
from conftest import mini_files, write_project

FINISHED = ("pagefind/", "briefing.zip")  # made again over the whole site whenever a page changes


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stats(folder: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(folder).as_posix()] = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    return out


def clean_build(root: Path, tmp: Path) -> dict[str, bytes]:
    copy, out = tmp / "clean-project", tmp / "clean-site"
    for folder in (copy, out):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".cache", "site"))
    build(copy, out)
    return snapshot(out)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def built_mini(tmp_path: Path) -> tuple[Path, Path]:
    """The mini project, built once into its site/: (project, site)."""
    root = write_project(tmp_path / "mini", mini_files())
    build(root, root / "site")
    return root, root / "site"


def edited_after_snapshot(tmp_path: Path) -> tuple[Path, Path, dict, dict]:
    """The built mini project, its site's file stats and bytes, then one brief edited (not yet rebuilt)."""
    root, out = built_mini(tmp_path)
    before, old = stats(out), snapshot(out)
    edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
    return root, out, before, old


SECOND_SEED = """\
Harbour Board Names Interim Chief

Marta Ostrova will chair the harbour board until new elections, the board said on Friday.

Ostrova said the port would reopen talks with the shipping lines.
"""

DEPUTY = """\
---
title: The deputy
summary: Who runs the ministry now.
people: [lis]
sources: [port-news]
---
[[Piotr Lis]] leads the ministry for now [@port-news#p5].
"""

# Each step changes the mini project the way an editor would; the build after it must equal a clean one.
STEPS: list[tuple[str, Callable[[Path], None]]] = [
    ("brief text", lambda r: edit(r / "content/briefs/resignation.md", "resigned after", "quit after")),
    ("brief title", lambda r: edit(r / "content/briefs/resignation.md", "title: The resignation",
                                   "title: The resignation, revised")),
    ("brief added", lambda r: (r / "content/briefs/deputy.md").write_text(DEPUTY, encoding="utf-8")),
    ("person profile", lambda r: edit(r / "content/people.yaml", "Leads the ministry for now",
                                      "Runs the ministry until a successor is named")),
    ("person alias", lambda r: edit(r / "content/people.yaml", "aliases: [Lis]", "aliases: [Lis, P. Lis]")),
    ("person added", lambda r: append(r / "content/people.yaml", (
        "- id: ostrova\n  name: Marta Ostrova\n  aliases: [Ostrova]\n  role: Harbour board chair\n"
        "  profile: Chairs the harbour board [@port-news#p3].\n"))),
    ("organisation", lambda r: edit(r / "content/organisations.yaml", "kind: think tank", "kind: research institute")),
    ("source title", lambda r: edit(r / "content/sources.yaml", "short: PN", "short: Port News")),
    ("source added", lambda r: (
        (r / "seeds/board.txt").write_text(SECOND_SEED, encoding="utf-8"),
        append(r / "content/sources.yaml", "- id: board\n  seed: board.txt\n  title: Harbour Board Names Interim Chief\n"),
        append(r / "content/briefs/deputy.md", "\nMarta Ostrova chairs the harbour board [@board#p2].\n"))),
    ("source removed", lambda r: (
        edit(r / "content/briefs/deputy.md", "\nMarta Ostrova chairs the harbour board [@board#p2].\n", ""),
        edit(r / "content/sources.yaml", "- id: board\n  seed: board.txt\n  title: Harbour Board Names Interim Chief\n", ""),
        (r / "seeds/board.txt").unlink())),
    ("person removed", lambda r: edit(r / "content/people.yaml", (
        "- id: ostrova\n  name: Marta Ostrova\n  aliases: [Ostrova]\n  role: Harbour board chair\n"
        "  profile: Chairs the harbour board [@port-news#p3].\n"), "")),
    ("brief removed", lambda r: (r / "content/briefs/deputy.md").unlink()),
    ("site settings", lambda r: edit(r / "content/site.yaml", "title: Port Briefing", "title: The Port Briefing")),
]


def test_every_kind_of_edit_gives_the_bytes_of_a_clean_build(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    for name, step in STEPS:
        before = snapshot(out)
        step(root)
        result = build(root, out)
        after = snapshot(out)
        assert after != before, f"{name}: the edit changed nothing (the test would prove nothing)"
        assert after == clean_build(root, tmp_path), f"{name}: the incremental build differs from a clean one"
        assert result.written + result.unchanged == result.pages


def test_unchanged_files_keep_their_inode_and_only_changed_pages_are_written(tmp_path: Path) -> None:
    root, out, before, old = edited_after_snapshot(tmp_path)
    result = build(root, out)
    after, new = stats(out), snapshot(out)
    changed = {rel for rel in new if old.get(rel) != new[rel]}
    assert "briefs/resignation/index.html" in changed
    assert result.written == len([rel for rel in changed if rel.endswith(".html") and not rel.startswith(FINISHED)])
    for rel in new:
        if rel not in changed and not rel.startswith(FINISHED):
            assert after[rel][0] == before[rel][0], f"{rel} was rewritten although its bytes are the same"


def test_search_index_files_that_did_not_change_keep_their_inode(tmp_path: Path) -> None:
    # Pagefind writes its whole index anew; the files it wrote with the same bytes stay the live site's.
    root, out, before, old = edited_after_snapshot(tmp_path)
    build(root, out)
    after, new = stats(out), snapshot(out)
    index = [rel for rel in new if rel.startswith("pagefind/")]
    same = [rel for rel in index if old.get(rel) == new[rel]]
    assert same and len(same) < len(index)  # some of the index changed with the brief, some did not
    assert [rel for rel in same if after[rel][0] != before[rel][0]] == []
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_rebuild_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    first = build(root, out)
    before = stats(out)
    again = build(root, out)
    assert stats(out) == before  # same inodes, mtimes and ctimes: not a byte written, not a file touched
    assert (again.written, again.unchanged, again.pages) == (0, first.pages, first.pages)
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site")) == []


def test_a_warm_build_of_an_up_to_date_site_changes_no_file_and_leaves_the_state_ready_for_an_edit(
        tmp_path: Path) -> None:
    # The live server's first build: the site is up to date, yet every stage runs, so that the state holds
    # the briefs, the digests and the compiled templates; no file of the site is written or replaced.
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    first = build(root, out)
    files = {rel: (st[0], st[1]) for rel, st in stats(out).items()}  # inode and mtime: the very same files
    state = IncrementalState.open(Paths(root))
    warm = build(root, out, state=state, jobs=1, warm=True)
    assert (warm.written, warm.unchanged) == (0, first.pages)
    assert {rel: (st[0], st[1]) for rel, st in stats(out).items()} == files
    assert state.briefs and state.digested and state.compiled and state.content is not None
    append(root / "content/briefs/resignation.md", "\nThe port reopened [@port-news#p5].\n")
    edited = build(root, out, state=state, jobs=1, finish=False)
    assert 0 < edited.written < edited.pages
    build(root, out, state=state, jobs=1)  # the search index and zip, as the server's pause brings them
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_deferred_finish_keeps_the_old_index_until_a_full_build_makes_it(tmp_path: Path) -> None:
    # The live server's edit rebuild: new pages at once, the last search index and zip kept as they were;
    # the full build that follows (with no input changed since) must still make them, to a clean build's bytes.
    root, out, before, old = edited_after_snapshot(tmp_path)
    held = IncrementalState.open(Paths(root))  # the live server holds one state from build to build
    quick = build(root, out, finish=False, state=held)
    after, new = stats(out), snapshot(out)
    assert quick.deferred and quick.written >= 1
    assert b"quit after" in new["briefs/resignation/index.html"]
    finished = [rel for rel in old if rel.startswith(FINISHED)]
    assert finished and all(after[rel][0] == before[rel][0] and new[rel] == old[rel] for rel in finished)
    full = build(root, out, state=held)
    assert not full.deferred and full.written == 0  # the pages were already there
    assert snapshot(out) == clean_build(root, tmp_path)
    assert snapshot(out)["briefing.zip"] != old["briefing.zip"]
    assert build(root, out, finish=False).deferred is False  # nothing changed: nothing is left stale


def test_a_rebuild_with_nothing_changed_still_reports_the_warnings(tmp_path: Path) -> None:
    files = mini_files()
    files["content/briefs/resignation.md"] = str(files["content/briefs/resignation.md"]) + "\nAn uncited line.\n"
    root = write_project(tmp_path / "mini", files)
    first = build(root, root / "site")
    assert first.problems.warnings
    again = build(root, root / "site")
    assert again.written == 0
    assert sorted(map(str, again.problems.warnings)) == sorted(map(str, first.problems.warnings))
    with pytest.raises(BuildFailed):
        build(root, root / "site", strict=True)


def test_a_damaged_output_folder_is_repaired(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    with open(out / "index.html", "ab") as page:  # edited in place: same inode, new mtime
        page.write(b"<!-- tampered -->")
    (out / "people" / "lis" / "index.html").unlink()
    (out / "stray.txt").write_text("left here", encoding="utf-8")
    build(root, out)
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_held_state_reports_the_contents_warnings_again_and_loads_the_content_again_when_it_changes(
        tmp_path: Path) -> None:
    # The live server keeps the content but the briefs while only briefs change: its warnings must still be
    # reported by every build, and an edit of the content must be seen.
    files = mini_files()
    files["content/sources.yaml"] = str(files["content/sources.yaml"]) + '    drop: ["^No such line$"]\n'
    root = write_project(tmp_path / "mini", files)
    out = root / "site"
    held = IncrementalState.open(Paths(root))
    first = build(root, out, state=held, jobs=1)
    content_warnings = sorted(str(p) for p in first.problems.warnings if "sources.yaml" in str(p))
    assert content_warnings, "the fixture has an ingest pattern that matches nothing"
    loaded = held.content
    append(root / "content/briefs/resignation.md", "\nThe port reopened [@port-news#p5].\n")
    again = build(root, out, state=held, jobs=1, finish=False)
    assert held.content is loaded, "a brief edit does not load the content again"
    assert sorted(str(p) for p in again.problems.warnings if "sources.yaml" in str(p)) == content_warnings
    edit(root / "content/people.yaml", "role: Deputy minister", "role: Acting minister")
    build(root, out, state=held, jobs=1)
    assert held.content is not loaded
    assert b"Acting minister" in (out / "people/lis/index.html").read_bytes()
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_template_change_renders_every_page_again(tmp_path: Path) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    first = build(root, out)
    base = (ENGINE_ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert "<body>\n" in base
    write_project(root, {"templates/base.html": base.replace("<body>\n", "<body>\n<!-- project frame -->\n", 1)})
    result = build(root, out)
    site = snapshot(out)
    assert site == clean_build(root, tmp_path)
    framed = [rel for rel, data in site.items() if rel.endswith(".html") and b"<!-- project frame -->" in data]
    assert "index.html" in framed and "briefs/resignation/index.html" in framed
    assert result.written == len(framed) and result.written < first.pages + 1


def test_a_template_edited_while_the_server_holds_the_state_is_compiled_again(tmp_path: Path) -> None:
    # The live server keeps the templates it compiled; an edited one must not be served from that memory.
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    held = IncrementalState.open(Paths(root))
    build(root, out, state=held, jobs=1)
    assert held.compiled, "the held state keeps what it compiled"
    base = (ENGINE_ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    for mark in ("first", "second"):
        write_project(root, {"templates/base.html": base.replace("<body>\n", f"<body>\n<!-- {mark} -->\n", 1)})
        build(root, out, state=held, finish=False, jobs=1)
        assert f"<!-- {mark} -->".encode() in (out / "index.html").read_bytes()
    build(root, out, state=held, jobs=1)
    assert snapshot(out) == clean_build(root, tmp_path)


def test_an_engine_change_throws_the_cache_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = built_mini(tmp_path)
    rendered, briefs = counting(monkeypatch)
    build(root, out)
    assert (rendered, briefs) == ([], [])  # nothing to do
    state = IncrementalState.open(Paths(root))
    state.engine = "another engine"  # as if the engine's code had changed
    result = build(root, out, state=state)
    assert len(rendered) == result.pages and briefs == ["resignation.md"]
    assert result.written == result.pages  # the last build's record is not trusted either: written anew


def counting(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    rendered: list[str] = []
    briefs: list[str] = []
    page_call, brief_call = output.PageWorker.__call__, incremental.BriefWorker.__call__

    def page(self, p):  # type: ignore[no-untyped-def]
        rendered.append(p.path)
        return page_call(self, p)

    def brief(self, path):  # type: ignore[no-untyped-def]
        briefs.append(path.name)
        return brief_call(self, path)
    monkeypatch.setattr(output.PageWorker, "__call__", page)
    monkeypatch.setattr(incremental.BriefWorker, "__call__", brief)
    return rendered, briefs


def test_a_generated_corpus_over_several_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Briefs and pages are spread over forked workers (thresholds lowered so a small corpus does it).
    from bench import corpus

    monkeypatch.setattr(incremental, "BRIEFS_PER_FORK", 10)
    monkeypatch.setattr(output, "PAGES_PER_FORK", 10)
    root = tmp_path / "corpus"
    corpus.write_briefing(corpus.generate(40), root)
    out = root / "site"
    build(root, out)
    assert snapshot(out) == clean_build(root, tmp_path)
    briefs = sorted((root / "content" / "briefs").glob("*.md"))
    cited = next(line for line in briefs[3].read_text(encoding="utf-8").splitlines() if "[@" in line)
    append(briefs[3], "\n" + cited + "\n")
    briefs[5].unlink()
    shutil.copy(briefs[7], briefs[7].with_name("brief-99999-added.md"))
    people = root / "content" / "people.yaml"
    edit(people, "  profile: \"", "  profile: \"Edited. ")
    result = build(root, out)
    assert 0 < result.written < result.pages
    assert snapshot(out) == clean_build(root, tmp_path)


def test_an_unusable_cache_is_only_slower(tmp_path: Path) -> None:
    root, out = built_mini(tmp_path)
    (root / ".cache" / "build.sqlite3").write_bytes(b"not a database")
    for name in os.listdir(root / ".cache"):
        if (root / ".cache" / name).is_dir():
            shutil.rmtree(root / ".cache" / name)  # what the search index was made from
        elif name != "build.sqlite3":
            (root / ".cache" / name).unlink()
    result: Result = build(root, out)
    assert snapshot(out) == clean_build(root, tmp_path)
    assert result.pages > 0


def test_a_state_held_in_memory_works_out_only_what_changed_and_a_new_store_starts_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The live server holds one state from build to build (no store at all here); the command line loads it
    # from the store; a new store (deleted, or another project's) starts from nothing.
    files = mini_files()
    for n in (2, 3):
        files[f"content/briefs/more-{n}.md"] = ("---\ntitle: More " + str(n) + "\nsummary: More.\n---\n"
                                               "[[Jana Novak]] resigned after the deal collapsed [@port-news#p3].\n")
    root = write_project(tmp_path / "mini", files)
    out = root / "site"
    held = IncrementalState(Paths(root), None)
    build(root, out, state=held)
    _, worked = counting(monkeypatch)
    brief = root / "content/briefs/resignation.md"
    append(brief, "\nShe left the port that evening [@port-news#p3].\n")
    build(root, out, state=held)
    assert worked == ["resignation.md"]
    assert snapshot(out) == clean_build(root, tmp_path)
    worked.clear()
    build(root, out)  # the command line: a store that has never seen this site works everything out
    assert sorted(worked) == sorted(p.name for p in brief.parent.glob("*.md"))
    worked.clear()
    append(brief, "\nThe board met the next day [@port-news#p3].\n")
    build(root, out)  # and from the store the next time
    assert worked == ["resignation.md"]
    shutil.rmtree(root / ".cache")
    worked.clear()
    build(root, out)
    assert sorted(worked) == sorted(p.name for p in brief.parent.glob("*.md"))
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_build_by_another_process_is_not_mistaken_for_the_one_in_memory(tmp_path: Path) -> None:
    # `make site` in a terminal while the live server runs: both build into site/. The server's next build,
    # from the state it holds, must still give a clean build's bytes.
    from conftest import run_cli
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    brief = root / "content/briefs/resignation.md"
    held = IncrementalState(Paths(root), None)
    build(root, out, state=held)
    append(brief, "\nShe left the port that evening [@port-news#p3].\n")
    assert run_cli("--project", str(root), "build", "--out", str(out)).returncode == 0
    build(root, out, state=held)
    assert snapshot(out) == clean_build(root, tmp_path)
    append(brief, "\nThe board met the next day [@port-news#p3].\n")
    build(root, out, state=held)
    assert snapshot(out) == clean_build(root, tmp_path)


def zip_entry(rel: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("briefing/" + rel, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def zipfile_bytes(site: Path, names: list[str], target: Path) -> bytes:
    with zipfile.ZipFile(target, "w") as archive:
        for rel in names:
            archive.writestr(zip_entry(rel), (site / rel).read_bytes(), compresslevel=9)
    return target.read_bytes()


def test_the_zip_has_zipfiles_own_bytes_fresh_and_reusing_the_last_one(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.publish import zipper

    site = tmp_path / "site"
    files = {"a.html": b"<p>" + b"words " * 5000 + b"</p>", "empty.txt": b"", "b/c.bin": os.urandom(70_000),
             "\u00e9t\u00e9/index.html": "caf\u00e9".encode(), "d/e.txt": b"same size A", "f.txt": b"as before"}
    write_project(site, files)  # type: ignore[arg-type]
    names = sorted(files)
    made = zipper.write(site / "mine.zip", site, names, zip_entry)
    assert (site / "mine.zip").read_bytes() == zipfile_bytes(site, names, tmp_path / "ref.zip")
    assert made == {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    # The next build, every file a new copy: one changed (same size), one changed with its new digest known
    # to the caller, one unchanged with its digest known (not even read); the content decides, not the file.
    nxt = tmp_path / "next"
    write_project(nxt, files)  # type: ignore[arg-type]
    (nxt / "d/e.txt").write_bytes(b"same size B")
    (nxt / "f.txt").write_bytes(b"as BEFORE")
    deflated: list[int] = []
    real = zipper.deflate
    monkeypatch.setattr(zipper, "deflate", lambda data, level: deflated.append(len(data)) or real(data, level))
    read: list[str] = []
    real_made = zipper._made
    monkeypatch.setattr(zipper, "_made", lambda site, rel, *rest: read.append(rel) or real_made(site, rel, *rest))
    known = {rel: made[rel] for rel in names if rel not in ("d/e.txt", "f.txt")}
    known["f.txt"] = hashlib.sha256(b"as BEFORE").hexdigest()
    again = zipper.write(nxt / "mine.zip", nxt, names, zip_entry, previous=zipper.Previous(site / "mine.zip", {rel: (d, 0, 0) for rel, d in made.items()}),
                         known=known)
    assert sorted(deflated) == sorted([len(b"same size B"), len(b"as BEFORE")])  # only changed content compressed
    assert sorted(read) == ["d/e.txt", "f.txt"]  # the others' digests were known and their entries lent
    assert again["d/e.txt"] == hashlib.sha256(b"same size B").hexdigest()
    assert (nxt / "mine.zip").read_bytes() == zipfile_bytes(nxt, names, tmp_path / "ref2.zip")
    # Files gone since: the entries around them are lent from places apart in the old zip.
    fewer = [rel for rel in names if rel not in ("d/e.txt", "f.txt")]
    zipper.write(nxt / "fewer.zip", nxt, fewer, zip_entry, previous=zipper.Previous(site / "mine.zip", {rel: (d, 0, 0) for rel, d in made.items()}),
                 known=known)
    assert (nxt / "fewer.zip").read_bytes() == zipfile_bytes(nxt, fewer, tmp_path / "ref3.zip")
    # Copied through memory where the kernel cannot copy between the files: the same bytes.
    def no_copy(*args: object) -> int:
        raise OSError(18, "Invalid cross-device link")
    monkeypatch.setattr(os, "copy_file_range", no_copy)
    zipper.write(nxt / "memory.zip", nxt, names, zip_entry, previous=zipper.Previous(site / "mine.zip", {rel: (d, 0, 0) for rel, d in made.items()}),
                 known=known)
    assert (nxt / "memory.zip").read_bytes() == (nxt / "mine.zip").read_bytes()
    # A previous zip that cannot lend (damaged) costs only time: the bytes are the same.
    (site / "mine.zip").write_bytes(b"PK broken")
    zipper.write(nxt / "again.zip", nxt, names, zip_entry, previous=zipper.Previous(site / "mine.zip", {rel: (d, 0, 0) for rel, d in made.items()}))
    assert (nxt / "again.zip").read_bytes() == (nxt / "mine.zip").read_bytes()


def test_the_replaced_site_is_recycled_and_a_tampered_one_is_not_trusted(tmp_path: Path) -> None:
    # The next build starts from the site the last one replaced (kept in .cache/), not from an empty folder.
    root, out = built_mini(tmp_path)
    edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
    build(root, out)
    spares = list((root / ".cache").glob("spare-*"))
    assert len(spares) == 1 and (spares[0] / "index.html").is_file()
    # A link planted in it must not lead the next build to write outside its folder.
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(spares[0] / "people")
    (spares[0] / "people").symlink_to(outside, target_is_directory=True)
    edit(root / "content/people.yaml", "Leads the ministry for now", "Runs the ministry for now")
    build(root, out)
    assert list(outside.iterdir()) == []
    assert snapshot(out) == clean_build(root, tmp_path)
    assert len(list((root / ".cache").glob("spare-*"))) == 1


def test_a_live_servers_first_build_leaves_a_spare_that_is_the_live_site(tmp_path: Path) -> None:
    # After its first (warm) build the server's spare holds the live site by hard links, whatever the build
    # replaced (here: nothing), so the first edit recycles it as cheaply as any later one.
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    state = IncrementalState.open(Paths(root))
    try:
        build(root, out, state=state, jobs=1, warm=True)
        spares = list((root / ".cache").glob("spare-*"))
        assert len(spares) == 1
        live = {p.relative_to(out): p.stat().st_ino for p in out.rglob("*") if p.is_file()}
        kept = {p.relative_to(spares[0]): p.stat().st_ino for p in spares[0].rglob("*") if p.is_file()}
        assert kept == live
        edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
        build(root, out, state=state, jobs=1, finish=False)
        build(root, out, state=state, jobs=1)
    finally:
        state.close()
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_site_with_a_feed_reuses_the_briefs_rendered_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The feed shows every brief's text: it comes from the cache like the brief pages, never parsed again.
    files = mini_files()
    files["content/site.yaml"] = str(files["content/site.yaml"]) + "updated: 2025-03-01\nbase_url: https://example.org/port/\n"
    root = write_project(tmp_path / "mini", files)
    out = root / "site"
    build(root, out)
    assert (out / "feed.xml").is_file()
    parsed: list[str] = []
    real_parse = MarkdownIt.parse
    monkeypatch.setattr(MarkdownIt, "parse", lambda self, text, env=None: parsed.append(text) or real_parse(self, text, env))
    edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
    (root / "content/briefs/deputy.md").write_text(DEPUTY, encoding="utf-8")
    build(root, out)
    assert sum("quit after" in text for text in parsed) == 1  # by its brief's worker, once, for page and feed
    assert not any("resigned after" in text for text in parsed)
    monkeypatch.undo()
    assert snapshot(out) == clean_build(root, tmp_path)
    assert b"quit after" in (out / "feed.xml").read_bytes()


def test_the_progress_bar_shows_only_on_a_terminal_and_after_a_while() -> None:
    import io

    from builder.parallel import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quick = Terminal()
    progress = Progress(quick)
    progress.update("pages", 5, 10)  # the build has not run two seconds yet
    progress.close()
    assert quick.getvalue() == ""
    slow, piped = Terminal(), io.StringIO()
    for stream in (slow, piped):
        progress = Progress(stream)
        progress.started -= Progress.DELAY
        progress.update("pages", 5, 10)
        progress.close()
    assert "pages [" in slow.getvalue() and "5/10" in slow.getvalue() and slow.getvalue().endswith("\r\x1b[2K")
    assert piped.getvalue() == ""  # not a terminal: no bar in logs


# -- charts that rank: the pages' fingerprints cover what the charts count ------------------------
def test_mentions_that_reorder_a_capped_chart_rerender_its_page(tmp_path: Path) -> None:
    # The network draws the 16 people named most, the coverage matrix 25 people × 10 sources: naming the
    # last-ranked person often enough brings them into both pictures, in an incremental build as in a clean one.
    import cast

    root = cast.write(tmp_path / "cast")
    out = root / "site"
    build(root, out)
    before = snapshot(out)
    last = cast.PEOPLE - 1
    mentions = " ".join(f"[[{cast.name(last)}]] spoke [@s0#p2]." for _ in range(60))
    (root / "content/briefs/third.md").write_text(cast.brief("third", [last], 0, mentions + "\n"), encoding="utf-8")
    build(root, out)
    after, clean = snapshot(out), clean_build(root, tmp_path)
    for page, chart in (("people/index.html", "chart-network"), ("sources/index.html", "chart-coverage")):
        picture = before[page].decode().split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
        assert cast.surname(last) not in picture, f"{page}: the last-ranked person is drawn before the edit"
        assert clean[page] != before[page], f"{page}: the edit does not reach it (the test would prove nothing)"
        assert after[page] == clean[page], f"{page}: the incremental build kept a stale chart"
    assert after == clean


def test_the_next_command_starts_from_the_stored_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The content but the briefs is loaded once and stored; the next `make site` after a brief's edit takes
    # it from the store; an edit to a person loads it again. Each result is a clean build's.
    from builder.incremental import briefs

    loads: list[int] = []
    real = briefs.load_content
    monkeypatch.setattr(briefs, "load_content", lambda *a, **k: loads.append(1) or real(*a, **k))
    root, out = built_mini(tmp_path)
    assert len(loads) == 1
    edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
    build(root, out)
    assert len(loads) == 1 and snapshot(out) == clean_build(root, tmp_path)
    edit(root / "content/people.yaml", "Leads the ministry for now", "Runs the ministry for now")
    build(root, out)
    assert len(loads) == 3  # this build's, and the clean build's above
    assert snapshot(out) == clean_build(root, tmp_path)


def test_a_link_an_edit_breaks_on_a_page_it_did_not_change_still_fails_the_build(tmp_path: Path) -> None:
    # Only the links of changed pages are followed again, unless something others lead to has gone: a
    # heading renamed (its anchor), a file or a brief deleted. Each breaks a link of a page left as it was.
    root = write_project(tmp_path / "mini", {**mini_files(), "content/briefs/aftermath.md": (
        "---\ntitle: The aftermath\nsummary: What followed.\n---\n"
        "## Who leads now\n\nHer deputy took over [@port-news#p5].\n")})
    write_project(root, {"content/pages/method.md": (  # a page no brief's edit or removal changes
        "---\ntitle: Method\nsummary: How we work.\n---\n"
        "See [who leads](../briefs/aftermath/#who-leads-now), [the brief](../briefs/aftermath/) and "
        "[the notes](../assets/notes.txt).\n"), "assets/notes.txt": "Notes.\n"})
    out = root / "site"
    build(root, out)
    edit(root / "content/briefs/aftermath.md", "## Who leads now", "## Who took over")
    with pytest.raises(BuildFailed) as failed:
        build(root, out)
    assert "#who-leads-now" in str(failed.value.problems.items)
    edit(root / "content/briefs/aftermath.md", "## Who took over", "## Who leads now")
    build(root, out)
    (root / "assets/notes.txt").unlink()  # a file
    with pytest.raises(BuildFailed) as failed:
        build(root, out)
    assert "notes.txt" in str(failed.value.problems.items)
    (root / "assets/notes.txt").write_text("Notes.\n", encoding="utf-8")
    build(root, out)
    (root / "content/briefs/aftermath.md").unlink()
    with pytest.raises(BuildFailed) as failed:
        build(root, out)
    assert "aftermath" in str(failed.value.problems.items)


def test_a_briefs_digests_worked_out_by_its_worker_are_the_ones_a_build_would_work_out(tmp_path: Path) -> None:
    # Fingerprints take a brief's digest and its rendered text's from where the worker made them: they must be
    # what digesting them now gives (a fresh copy of the brief carries none, and is digested).
    import dataclasses
    import hashlib

    from builder.incremental.fingerprints import Canon, Fingerprints

    root = write_project(tmp_path / "mini", mini_files())
    paths = Paths(root)
    state = IncrementalState(paths, None)
    project, graph, bodies = incremental.load_and_resolve(paths, Problems(), state=state)
    brief = project.briefs[0]
    fresh = dataclasses.replace(brief)
    assert "_digest" in vars(brief) and "_digest" not in vars(fresh)
    assert Canon()(brief) == Canon()(fresh)
    body = bodies[brief.slug]["../../"]
    prints = Fingerprints(project.site, "links", "templates", "engine")
    assert prints.value(body) == ("sha256", hashlib.sha256(str(body).encode()).hexdigest())


def surveyed_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, IncrementalState, Path]:
    """A live server's state after its first build, with its spare surveyed (every folder trusted: the test
    does not wait the second a real survey waits for)."""
    from builder.incremental import state as state_module

    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    state = IncrementalState.open(Paths(root))
    build(root, out, state=state, jobs=1, warm=True)
    monkeypatch.setattr(state_module, "TRUST_AFTER_NS", -10**12)
    state.survey_spare(out)
    spare = next((root / ".cache").glob("spare-*"))
    return root, out, state, spare


def test_a_surveyed_spare_is_recycled_without_listing_its_folders(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root, out, state, spare = surveyed_state(tmp_path, monkeypatch)
    listed: list[str] = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: (listed.append(str(path)), real(path))[1])
    try:
        edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
        build(root, out, state=state, jobs=1, finish=False)
        staged = [p for p in listed if os.path.basename(p).startswith(".site.new-") or "/.site.new-" in p]
        assert len(staged) == 1  # only the top folder of the recycled spare (renamed when recycled) is listed
        build(root, out, state=state, jobs=1)
    finally:
        state.close()
    assert snapshot(out) == clean_build(root, tmp_path)


PLANTED: list[tuple[str, Callable[[Path, Path], object]]] = [
    ("a link to a folder outside", lambda spare, outside: (spare / "people" / "lis" / "x").symlink_to(
        outside, target_is_directory=True)),
    ("a folder replaced by a link", lambda spare, outside: (shutil.rmtree(spare / "people"),
                                                            (spare / "people").symlink_to(outside))),
    ("a stray file, the folder's mtime set back", lambda spare, outside: _stray_with_old_mtime(spare / "people")),
]


def _stray_with_old_mtime(folder: Path) -> None:
    st = folder.stat()
    (folder / "stray.html").write_text("not ours", encoding="utf-8")
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns))  # its ctime moves all the same


@pytest.mark.parametrize("plant", [p[1] for p in PLANTED], ids=[p[0] for p in PLANTED])
def test_what_is_planted_in_a_surveyed_spare_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     plant: Callable[[Path, Path], object]) -> None:
    root, out, state, spare = surveyed_state(tmp_path, monkeypatch)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine", encoding="utf-8")
    plant(spare, outside)
    try:
        edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
        build(root, out, state=state, jobs=1, finish=False)
        # The edit's site is the recycled spare: nothing planted in it is left there.
        assert not [p for p in out.rglob("*") if p.is_symlink() or p.name == "stray.html"]
        build(root, out, state=state, jobs=1)
    finally:
        state.close()
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
    assert (outside / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in out.rglob("*") if p.is_symlink()]
    assert snapshot(out) == clean_build(root, tmp_path)

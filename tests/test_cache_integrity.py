"""The cache can be wrong only by being absent: keyed by the bytes actually read, every row authenticated,
a bad row dropped and rebuilt with a note, never published and never a traceback.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

import pytest

from builder.build import build
from builder.config import Paths
from builder.incremental.inputs import REFUSED, Snapshot
from builder.incremental.state import IncrementalState
from builder.incremental.store import Store
from conftest import mini_files, run_cli, write_project
from test_incremental import append, clean_build, edit, snapshot

DB = Path(".cache") / "build.sqlite3"


def aged(root: Path) -> None:
    """Every input last changed a minute ago, so the next scan trusts its recorded stamp without reading it."""
    past = time.time() - 60
    for path in (root / "content").rglob("*"):
        os.utime(path, (past, past))


def test_a_save_between_the_scan_and_the_read_is_never_stored_under_the_old_digest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    brief = root / "content/briefs/resignation.md"
    aged(root)
    build(root, out)
    build(root, out)  # records stamps old enough to be trusted unread
    original = brief.read_text(encoding="utf-8")
    real_scan = Snapshot.scan.__func__  # type: ignore[attr-defined]

    def scan_then_save(cls, paths, known, trusted):  # type: ignore[no-untyped-def]
        found = real_scan(cls, paths, known, trusted)  # the scan trusts the brief's old stamp, unread...
        brief.write_text(original.replace("resigned after", "quit after"), encoding="utf-8")  # ...then a save
        return found
    monkeypatch.setattr(Snapshot, "scan", classmethod(scan_then_save))
    # A new spelling changes what every brief reads of the rest, so the brief is worked out again, from disk.
    edit(root / "content/people.yaml", "aliases: [Lis]", "aliases: [Lis, P. Lis]")
    build(root, out)
    monkeypatch.undo()
    assert b"quit after" in (out / "briefs/resignation/index.html").read_bytes()  # what was read is shown
    assert snapshot(out) == clean_build(root, tmp_path)
    brief.write_text(original, encoding="utf-8")  # the editor reverts: the old text must come back
    build(root, out)
    assert b"resigned after" in (out / "briefs/resignation/index.html").read_bytes()
    assert snapshot(out) == clean_build(root, tmp_path)


def rows(root: Path) -> list[tuple[str, bytes]]:
    with sqlite3.connect(root / DB) as db:
        return list(db.execute("SELECT k, v FROM rows ORDER BY k"))


def put_raw(root: Path, key: str, value: bytes) -> None:
    with sqlite3.connect(root / DB) as db:
        db.execute("UPDATE rows SET v = ? WHERE k = ?", (value, key))


def test_flipped_bytes_in_any_row_are_dropped_and_rebuilt_with_a_note(tmp_path: Path) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    flips = random.Random(12)
    stored = rows(root)
    assert {key.split(":")[0] for key, _ in stored} >= {"brief", "output", "inputs"}
    for turn, (key, value) in enumerate(stored * 2):
        at = flips.randrange(len(value))
        put_raw(root, key, value[:at] + bytes([value[at] ^ (1 << flips.randrange(8))]) + value[at + 1:])
        # An edit that needs every row again (the brief's result, the output record, the input stamps).
        kinds = ("kind: think tank", "kind: research institute")
        edit(root / "content/organisations.yaml", kinds[turn % 2], kinds[1 - turn % 2])
        result = run_cli("--project", str(root), "build")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert "failed its check; dropped and rebuilt" in result.stderr, (key, result.stderr)
        assert snapshot(out) == clean_build(root, tmp_path), key
        stored_now = dict(rows(root))
        assert key in stored_now  # rebuilt


def test_a_missing_or_mismatched_pages_row_makes_a_full_build_never_a_wrong_one(tmp_path: Path) -> None:
    # The output record is two rows: the files (all a build with nothing to do reads) and the pages'
    # fingerprints and links. Pages of another build, or none, count as no record at all.
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    stored = dict(rows(root))
    pages_key = next(key for key in stored if key.startswith("output-pages:"))
    assert build(root, out).written == 0  # nothing to do: the pages row is not needed
    for damage in ("mismatched", "missing"):
        if damage == "missing":
            with sqlite3.connect(root / DB) as db:
                db.execute("DELETE FROM rows WHERE k = ?", (pages_key,))
        else:  # an authentic pages row of an earlier build
            edit(root / "content/briefs/resignation.md", "resigned after", "stepped down after")
            build(root, out)
            put_raw(root, pages_key, stored[pages_key])
        append(root / "content/briefs/resignation.md", f"\nThe port reopened ({damage}) [@port-news#p5].\n")
        result = build(root, out)
        assert result.written == result.pages, damage  # every page rendered again: no stale page kept
        assert snapshot(out) == clean_build(root, tmp_path), damage


def test_an_edit_writes_only_the_page_buckets_it_changed_and_a_stale_bucket_is_never_used(tmp_path: Path) -> None:
    # The pages' fingerprints, anchors and links are stored in buckets; an edit rewrites the buckets of the
    # pages it changed, and a bucket of another build (authentic, but not the one the record names) makes
    # the record count as absent: every page rendered again, never a stale one kept.
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    before = {k: v for k, v in rows(root) if k.startswith("output-bucket:")}
    assert len(before) > 1
    append(root / "content/briefs/resignation.md", "\nThe port reopened [@port-news#p5].\n")
    assert 0 < build(root, out).written
    after = {k: v for k, v in rows(root) if k.startswith("output-bucket:")}
    kept = [k for k in before if after.get(k) == before[k]]
    assert kept and len(kept) < len(before)  # some rewritten (the edited brief's), the others left as they were
    changed = next(k for k in before if after.get(k) != before[k])
    edit(root / "content/briefs/resignation.md", "The port reopened", "The port opened")
    build(root, out)
    put_raw(root, changed, before[changed])  # an authentic bucket, of an earlier build
    append(root / "content/briefs/resignation.md", "\nThe port closed again [@port-news#p5].\n")
    result = build(root, out)
    assert result.written == result.pages
    assert snapshot(out) == clean_build(root, tmp_path)


@pytest.mark.parametrize("wrong", ["a string", {"a": "dict"}, 42, None, ["a", "list"]])
def test_an_authentic_row_of_the_wrong_type_is_dropped_and_rebuilt(tmp_path: Path, wrong: object) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    out = root / "site"
    build(root, out)
    store = Store(root / DB)
    store.put_many({key: wrong for key, _ in rows(root)})  # correctly tagged, so only its type is wrong
    store.close()
    edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
    result = run_cli("--project", str(root), "build")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "dropped and rebuilt" in result.stderr
    assert snapshot(out) == clean_build(root, tmp_path)
    assert build(root, out).notes == []  # rebuilt rows are good again


def test_a_cache_from_elsewhere_is_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    build(root, root / "site")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))  # another key: every tag fails
    import pickle
    loads: list[bytes] = []
    real = pickle.loads
    monkeypatch.setattr(pickle, "loads", lambda data, **kw: loads.append(data) or real(data, **kw))
    edit(root / "content/briefs/resignation.md", "resigned after", "quit after")
    result = build(root, root / "site")
    assert loads == [] and result.notes
    assert snapshot(root / "site") == clean_build(root, tmp_path)


def test_check_writes_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    result = run_cli("--project", str(root), "check")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["content", "seeds"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_the_scan_skips_links_out_devices_and_fifos_without_opening_them(tmp_path: Path) -> None:
    root = write_project(tmp_path / "mini", mini_files())
    secret = tmp_path / "secret.txt"
    secret.write_text("host file", encoding="utf-8")
    (root / "seeds/leak.txt").symlink_to(secret)
    (root / "seeds/zero.txt").symlink_to("/dev/zero")
    os.mkfifo(root / "seeds/pipe.txt")  # opening it for reading would wait for a writer forever
    state = IncrementalState(Paths(root), None)
    found = state.scan()
    read = {Path(p).name for p in found.data}
    refused = {Path(p).name for p, stamp in found.stamps.items() if stamp[:3] == REFUSED}
    assert "port.txt" in read and not read & {"leak.txt", "zero.txt", "pipe.txt"}
    assert refused == {"leak.txt", "zero.txt", "pipe.txt"}  # counted (a later build says why), never opened
    assert not any(b"host file" in data for data in found.data.values())

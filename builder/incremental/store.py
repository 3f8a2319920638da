"""The store: PROJECT/.cache/build.sqlite3, where the CLI keeps one build's state for the next.

Every row carries an HMAC over its key and its bytes, made with a key kept outside every project (so a cache
committed to a repository, copied from elsewhere or damaged on disk is never unpickled). A row that fails its
check, cannot be read, or holds the wrong type is deleted and rebuilt, with a note; never published, never a
traceback. Unusable, locked or missing, the store is simply absent: the build runs without it.
"""

from __future__ import annotations

import hmac
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar

from builder.incremental.secret import cache_key

T = TypeVar("T")
TAG = 32  # bytes of HMAC-SHA256 in front of each row


class Store:
    """Rows by key ("brief:…", "output:…", "inputs"), each authenticated. Every failure disables it."""

    def __init__(self, path: Path) -> None:
        self.db: sqlite3.Connection | None = None
        self.notes: list[str] = []  # rows dropped and rebuilt, for the build's summary
        self._secret = cache_key()
        if self._secret is None:
            return
        try:
            path.parent.mkdir(exist_ok=True)
            # One build at a time uses it, but the live server's builds run on its watcher thread.
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS rows (k TEXT PRIMARY KEY, v BLOB)")
        except (OSError, sqlite3.Error):
            self.db = None

    def _tag(self, key: str, payload: bytes) -> bytes:
        assert self._secret is not None
        return hmac.new(self._secret, key.encode("utf-8", "surrogateescape") + b"\0" + payload, "sha256").digest()

    def _open_row(self, key: str, row: bytes, kind: type[T]) -> T | None:
        """The row's value if its tag is right and it is a `kind`; else None (and the row goes)."""
        payload = bytes(row[TAG:])
        if len(row) < TAG or not hmac.compare_digest(bytes(row[:TAG]), self._tag(key, payload)):
            return self._drop(key, "failed its check")
        try:
            value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - an authenticated row that cannot be read is dropped, whatever broke
            return self._drop(key, "could not be read")
        if not isinstance(value, kind):
            return self._drop(key, f"held a {type(value).__name__}, not a {kind.__name__}")
        return value

    def _drop(self, key: str, why: str) -> None:
        self.notes.append(f"note: .cache: a cached entry ({key.split(':', 1)[0]}) {why}; dropped and rebuilt")
        try:
            if self.db is not None:
                self.db.execute("DELETE FROM rows WHERE k = ?", (key,))
        except sqlite3.Error:
            pass
        return None

    def get(self, key: str, kind: type[T]) -> T | None:
        return self.get_many([key], kind).get(key)

    def get_many(self, keys: Iterable[str], kind: type[T]) -> dict[str, T]:
        if self.db is None:
            return {}
        wanted, found = list(dict.fromkeys(keys)), {}
        try:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                rows = self.db.execute(f"SELECT k, v FROM rows WHERE k IN ({','.join('?' * len(part))})", part)
                for key, row in rows.fetchall():
                    value = self._open_row(key, row, kind)
                    if value is not None:
                        found[key] = value
        except sqlite3.Error:
            return found
        return found

    def put_many(self, items: dict[str, Any], keep_prefix: str = "", keep: set[str] | None = None) -> bool:
        """Write `items`; with `keep`, also delete rows under `keep_prefix` not in it once they pile up.
        True when they were written."""
        if self.db is None or not items and keep is None:
            return False
        def rows() -> Iterator[tuple[str, bytes]]:  # one pickled row at a time: 10,000 briefs' are 300 MB
            for key, value in items.items():
                payload = pickle.dumps(value, protocol=5)
                yield key, self._tag(key, payload) + payload

        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT OR REPLACE INTO rows VALUES (?, ?)", rows())
                if keep is not None:
                    self._prune(keep_prefix, keep)
        except (sqlite3.Error, pickle.PickleError, TypeError, AttributeError):
            return False
        return True

    def _prune(self, prefix: str, keep: set[str]) -> None:
        assert self.db is not None
        pattern = prefix.replace("%", "\\%").replace("_", "\\_") + "%"
        count = self.db.execute("SELECT COUNT(*) FROM rows WHERE k LIKE ? ESCAPE '\\'", (pattern,)).fetchone()[0]
        if count > 2 * len(keep) + 100:  # old versions pile up with every edit: keep this build's
            stale = [(k,) for (k,) in self.db.execute("SELECT k FROM rows WHERE k LIKE ? ESCAPE '\\'", (pattern,))
                     if k not in keep]
            self.db.executemany("DELETE FROM rows WHERE k = ?", stale)

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
            self.db = None

"""A zip of many files, fast: compressed on every core, and entries of the last build's zip reused as they are.

The bytes are exactly those `zipfile.ZipFile.writestr` gives for the same `ZipInfo`s (deflate; the local
headers, central directory and end record are written by `zipfile` itself). An old entry is reused when its
file's content is the one that entry was made from: the digest (sha256) of the bytes, which the build already
knows for its pages and files, against the digest the last build recorded for the entry. No stamp or inode is
trusted: an entry whose content cannot be shown equal is compressed again.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from builder.parallel import cores

CHUNK = 64  # entries per thread task: one task per entry cost more in the executor than the work at 25,000


@dataclass(frozen=True)
class Previous:
    """The last build's zip, and its record of each file (by name in the site) the zip was made from: the
    digest of its content first (then, for the caller, its size and inode)."""

    path: Path
    records: Mapping[str, tuple[str, int, int]]


class _Old:
    """An open previous zip: each entry's place and the content digest it was made from."""

    def __init__(self, previous: Previous) -> None:
        self.records = previous.records
        self.entries: dict[str, zipfile.ZipInfo] = {}
        self.fd = -1
        try:
            with zipfile.ZipFile(previous.path) as archive:
                self.entries = {info.filename: info for info in archive.infolist()}
            self.fd = os.open(previous.path, os.O_RDONLY)
        except (OSError, zipfile.BadZipFile):
            self.entries = {}

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)

    def match(self, rel: str, info: zipfile.ZipInfo, digest: str) -> zipfile.ZipInfo | None:
        """The old entry for `rel` when it was made from content of this `digest`, stored as `info` asks."""
        before = self.entries.get(info.filename)
        record = self.records.get(rel)
        if before is None or record is None or record[0] != digest or before.compress_type != info.compress_type:
            return None
        return before

    def raw(self, before: zipfile.ZipInfo, info: zipfile.ZipInfo) -> bytes | None:
        """The old entry's compressed bytes, as stored (its sizes and CRC then go into `info`)."""
        try:  # os.pread: threads share the descriptor, not a file position
            header = os.pread(self.fd, 30, before.header_offset)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                return None
            skip = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
            raw = os.pread(self.fd, before.compress_size, before.header_offset + 30 + skip)
        except OSError:
            return None
        if len(raw) != before.compress_size:
            return None
        info.file_size, info.CRC, info.compress_size = before.file_size, before.CRC, before.compress_size
        return raw


def deflate(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)  # what zipfile uses for ZIP_DEFLATED
    return compressor.compress(data) + compressor.flush()


def _made(site: Path, rel: str, info: zipfile.ZipInfo, level: int, old: _Old | None) -> tuple[bytes, str]:
    """An entry from the file itself: its compressed bytes (the old entry's when the content is the same)
    and the digest of its content."""
    with open(os.open(site / rel, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:  # never through a link
        data = handle.read()
    digest = hashlib.sha256(data).hexdigest()
    before = old.match(rel, info, digest) if old else None
    raw = old.raw(before, info) if old and before else None
    if raw is None:
        raw = deflate(data, level)
        info.file_size, info.CRC, info.compress_size = len(data), zlib.crc32(data), len(raw)
    return raw, digest


def write(target: Path, site: Path, names: list[str], make_info: Callable[[str], zipfile.ZipInfo],
          level: int = 9, previous: Previous | None = None, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Zip `names` (paths under `site`) into `target`, in that order; `make_info(name)` says how each is stored.
    `previous`: the last build's zip, which lends the entries of unchanged content; `known`: the digests of
    files whose content the caller already knows (the build's pages), which are not read at all when their
    old entry is reused. Returns each name's content digest, for the next build's `previous`."""
    old = _Old(previous) if previous is not None else None
    known = known or {}
    infos = [make_info(rel) for rel in names]
    lent: dict[int, zipfile.ZipInfo] = {}  # entry number → the old entry it is copied from
    todo = []
    for at, (rel, info) in enumerate(zip(names, infos)):
        digest = known.get(rel)
        before = old.match(rel, info, digest) if old is not None and digest is not None else None
        if before is not None:
            lent[at] = before
        else:
            todo.append(at)

    def work(chunk: list[int]) -> list[tuple[bytes, str]]:
        return [_made(site, names[at], infos[at], level, old) for at in chunk]
    digests: dict[str, str] = {}
    try:
        with ThreadPoolExecutor(max(1, cores())) as pool:  # zlib and hashlib let go of the interpreter
            chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
            made = (item for results in pool.map(work, chunks) for item in results)  # in `todo` order
            with zipfile.ZipFile(target, "w") as archive:
                assert archive.fp is not None and archive.fp.tell() == archive.start_dir == 0  # for _append
                copier = _Copier(archive, old.fd) if old is not None else None
                for at, (rel, info) in enumerate(zip(names, infos)):
                    before = lent.get(at)
                    if before is not None and copier is not None and copier.lend(info, before):
                        digests[rel] = known[rel]
                        continue
                    if copier is not None:
                        copier.flush()
                    raw = old.raw(before, info) if old is not None and before is not None else None
                    if raw is not None:
                        digests[rel] = known[rel]
                    elif before is not None:  # the old zip could not lend it after all
                        raw, digests[rel] = _made(site, rel, info, level, None)
                    else:
                        raw, digests[rel] = next(made)
                    _append(archive, info, raw)
                if copier is not None:
                    copier.flush()
    finally:
        if old is not None:
            old.close()
    return digests


class _Copier:
    """Copies runs of the old zip's entries into the new one as they are (header and data), file to file in
    the kernel: at 10,000 briefs an edit's zip is 116 MB of which a few KB are new."""

    def __init__(self, archive: zipfile.ZipFile, source: int) -> None:
        self.archive = archive
        self.source = source
        self.start = 0  # the pending run: where it starts in the old zip, and its length
        self.length = 0

    def lend(self, info: zipfile.ZipInfo, before: zipfile.ZipInfo) -> bool:
        """Add the old entry to the pending run when its bytes are exactly what this entry's would be (its local
        header, as `_append` would write it, is the old one), and record the entry; False when not."""
        info.file_size, info.CRC, info.compress_size = before.file_size, before.CRC, before.compress_size
        header = _header(info)
        try:
            if os.pread(self.source, len(header), before.header_offset) != header:
                return False
        except OSError:
            return False
        if self.length and self.start + self.length != before.header_offset:
            self.flush()
        if not self.length:
            self.start = before.header_offset
        self.length += len(header) + before.compress_size
        _record(self.archive, info, len(header) + before.compress_size)
        return True

    def flush(self) -> None:
        """Write the pending run where the entries recorded for it say it is."""
        if not self.length:
            return
        fp = self.archive.fp
        assert fp is not None
        fp.flush()
        at = self.archive.start_dir - self.length  # `_record` has moved start_dir past the run
        out = fp.fileno()
        copied = 0
        try:
            while copied < self.length:  # copy_file_range may copy less than asked
                step = os.copy_file_range(self.source, out, self.length - copied, self.start + copied, at + copied)
                if step <= 0:
                    raise OSError("copy_file_range copied nothing")
                copied += step
        except (OSError, AttributeError):  # not Linux, or not between these files: through memory
            while copied < self.length:
                data = os.pread(self.source, min(self.length - copied, 1 << 24), self.start + copied)
                if not data:
                    raise OSError(f"the previous zip ended early: {self.archive.filename}") from None
                os.pwrite(out, data, at + copied)
                copied += len(data)
        fp.seek(self.archive.start_dir)  # the buffered file's next write goes after the run
        self.length = 0


def _header(info: zipfile.ZipInfo) -> bytes:
    """The entry's local header as `writestr` writes it for a deflated entry (its sizes and CRC set)."""
    if info.compress_type != zipfile.ZIP_DEFLATED or info.file_size * 1.05 > zipfile.ZIP64_LIMIT:
        raise ValueError(f"zipper writes small deflated entries only: {info.filename}")
    info.flag_bits = 0x00
    if not info.external_attr:
        info.external_attr = 0o600 << 16
    return info.FileHeader(False)


def _append(archive: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """What `writestr` does for a deflated entry, with the compressed bytes already at hand."""
    fp = archive.fp
    assert fp is not None
    # The file is where the last entry ended (only this module writes to it): no seek, which flushes the
    # buffer, and no tell (a second each for 25,000 entries).
    header = _header(info)
    fp.write(header)
    fp.write(raw)
    _record(archive, info, len(header) + len(raw))


def _record(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> None:
    """The entry as the central directory lists it: at the end of the archive so far, `size` bytes long."""
    info.header_offset = archive.start_dir
    archive.start_dir += size
    archive.filelist.append(info)
    archive.NameToInfo[info.filename] = info
    archive._didModify = True  # so close() writes the central directory

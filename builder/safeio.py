"""Reading a project's input files safely: the one way the build reads content, seeds, templates and assets.

A project folder is data from anyone (a clone, a pull request), so an input is read only when it is a regular
file whose real path stays inside the project, and only up to a size limit, before anything decodes it. A
symlink to `../.git/config` or `/etc/passwd`, a device such as `/dev/zero`, a FIFO or a socket is refused
with a reason an editor can act on, never followed, opened or waited on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# The largest input file the build reads, in bytes. A news article is tens of kilobytes; 16 MiB leaves room
# for any real seed while keeping a mistaken or hostile file from filling memory. Set BRIEFING_MAX_INPUT_BYTES
# to change it.
DEFAULT_LIMIT = 16 * 1024 * 1024
LIMIT_SETTING = "BRIEFING_MAX_INPUT_BYTES"


class UnsafeInput(Exception):
    """An input the build refuses to read; the message says why, the hint how to fix it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotUtf8(UnsafeInput):
    """Bytes that are not UTF-8 text, with the line of the first bad byte."""

    def __init__(self, message: str, hint: str, line: int) -> None:
        super().__init__(message, hint)
        self.line = line


def decode_utf8(data: bytes) -> str:
    """An input's bytes as text; NotUtf8 naming the first bad byte and its line (editors jump to it)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", "re-save the file as UTF-8",
                      data[: exc.start].count(b"\n") + 1) from None


def input_limit() -> int:
    """The size limit in force: the setting if it is a positive whole number, else the default."""
    raw = os.environ.get(LIMIT_SETTING, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_LIMIT


def inside(root: Path, path: Path) -> bool:
    """Whether `path`, with every symlink resolved, is `root` or below it."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


def into_hidden(root: Path, path: Path) -> bool:
    """Whether `path` is a link into a hidden part of the project (.git, .env, .cache, .venv): `.git/config`
    holds CI's token, `.env` its secrets; a seed linked there would publish them."""
    real = Path(os.path.realpath(path))
    if real == Path(os.path.abspath(path)):
        return False
    try:
        parts = real.relative_to(os.path.realpath(root)).parts
    except ValueError:
        return False
    return any(part.startswith(".") for part in parts)


def check_input(root: Path, path: Path) -> os.stat_result:
    """The file's status if the build may read it; UnsafeInput if it is outside the project or not a file."""
    if not inside(root, path):
        raise UnsafeInput("a symlink that leads outside the project",
                          "copy the file into the project instead of linking to it")
    if into_hidden(root, path):
        raise UnsafeInput("a symlink into a hidden file or folder of the project (.git, .env, .cache…)",
                          "copy the file you mean into the project instead of linking to it")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UnsafeInput("file not found", "create it, or fix the name that points to it") from None
    except OSError as exc:
        raise UnsafeInput(f"cannot read file: {exc.strerror}", "check its permissions") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")
        raise UnsafeInput(f"not a regular file ({kind})", "replace it with an ordinary file, or remove it")
    return st


def read_input(root: Path, path: Path, limit: int | None = None) -> bytes:
    """The bytes of one input file, read once, after the checks above and within the size limit.

    O_NONBLOCK keeps a FIFO swapped in between the check and the open from hanging the build, and the
    status of the open file is checked again, so what is read is what was checked."""
    limit = input_limit() if limit is None else limit
    check_input(root, path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeInput(f"cannot read file: {exc.strerror}", "check its permissions") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeInput("not a regular file", "replace it with an ordinary file, or remove it")
        if st.st_size > limit:
            raise UnsafeInput(f"file is {st.st_size:,} bytes, over the {limit:,}-byte limit for an input",
                              f"split or shorten it, or raise {LIMIT_SETTING}")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # the file grew while it was read
                raise UnsafeInput(f"file grew past the {limit:,}-byte limit while it was read",
                                  f"save it again, or raise {LIMIT_SETTING}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)

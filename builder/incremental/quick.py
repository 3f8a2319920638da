"""A build with nothing to do, answered before the engine is even imported.

The last build that found nothing to do (`IncrementalState.unchanged`) leaves a list of probes in
PROJECT/.cache/nothing-to-do: the path, size, inode and mtime of everything that build depended on: each
input file and folder, each folder an input could appear in, each file and folder of the engine's package, the
installed packages' folder, and each file and folder of the output. The next `python -m builder build` looks
at each of them (one `lstat`) and, when every one is as recorded, prints what that build printed and stops:
at 1,000 briefs in 33 ms, against 85–114 ms for the full check (most of it imports).

Why that proves nothing changed: a file edited or replaced shows a new size, mtime or inode, and an entry
added, removed or renamed changes its folder's mtime. A probe is only recorded when its mtime is more than a
second before the check that recorded it (`inputs.TRUST_AFTER_NS`), so a change in the same clock tick
cannot hide behind an unchanged stamp; the output's files all carry mtime 0. Anything unexpected (another
command or option, another output folder, another Python, a probe that differs, a manifest that fails its
check) falls through to the full build, which decides again. So the manifest may be absent, never wrong.

Only the standard library's smallest modules are imported here: this module's import time is the answer's.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import time

TYPE_CHECKING = False  # as `typing.TYPE_CHECKING` is (type checkers know the name), without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterable

try:  # the keyed BLAKE2 alone: `hashlib` also loads OpenSSL, a tenth of this answer's time
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

FORMAT = 1
NAME = "nothing-to-do"  # in PROJECT/.cache
# Settings a build reads from the environment (part of every input digest, `inputs.Snapshot.digest`).
ENV_INPUTS = ("BRIEFING_BASE_URL", "SOURCE_DATE_EPOCH", "BRIEFING_MAX_INPUT_BYTES")
ENGINE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

Probe = tuple[str, int, int, int]  # path, size, inode, mtime_ns as lstat gives them
ABSENT = (-1, -1, -1)  # a probe's (size, inode, mtime_ns) for a path that must not exist


def looked_at(path: str) -> tuple[int, int, int]:
    """(size, inode, mtime_ns) of `path` itself (a link is not followed), or ABSENT."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ABSENT
    return st.st_size, st.st_ino, st.st_mtime_ns


def hold(probes: Iterable[Probe]) -> bool:
    """Every path is as its probe recorded it: the same size, inode and mtime, or still absent."""
    lstat = os.lstat
    try:
        for path, size, inode, mtime in probes:
            try:
                st = lstat(path)
            except FileNotFoundError:
                if size != -1:
                    return False
                continue
            if st.st_mtime_ns != mtime or st.st_ino != inode or st.st_size != size:
                return False
    except OSError:
        return False
    return True


def interpreter() -> tuple[str, str, str, str]:
    """The Python and the engine that build: another of either may build otherwise."""
    return sys.version, sys.executable, sys.prefix, ENGINE_ROOT


def settings() -> tuple[str, ...]:
    return tuple(os.environ.get(name, "") for name in ENV_INPUTS)


def summary_line(pages: int, files: int, seconds: float, out: object, written: int, unchanged: int,
                 warnings: int) -> str:
    """The last line a build prints."""
    return (f"built {pages} pages ({files} files) in {seconds:.2f} s into {out}: {written} pages written, "
            f"{unchanged} unchanged, {warnings} warning(s)")


# -- the manifest -----------------------------------------------------------------------------------------

def _seal(secret: bytes, payload: bytes) -> bytes:
    return blake2b(payload, key=secret, digest_size=32, person=b"nothing-to-do").digest()


def record(cache: str, secret: bytes | None, root: str, out: str, pages: int, files: int,
           probes: list[Probe]) -> None:
    """Leave the manifest: the build into `out` of the project at `root` had nothing to do, and `probes` are
    what it depended on. Written whole or not at all; sealed with the store's key (`secret.cache_key`), so a
    manifest not made by this user's builds (committed, copied, damaged) is never believed."""
    if secret is None:
        return
    from array import array  # here: only the full build records

    probes = sorted(probes)  # neighbours in one folder: each lstat finds the last one's folders cached
    numbers = array("q", [number for _, *stamp in probes for number in stamp])
    paths = "\0".join(path for path, *_ in probes)
    # The paths as one string and the stamps as one block of 64-bit numbers: read back in about half the time
    # that 5,000 tuples take.
    payload = marshal.dumps((FORMAT, interpreter(), settings(), root, out, pages, files, paths, numbers.tobytes()))
    tmp = os.path.join(cache, f".{NAME}.{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(_seal(secret, payload) + payload)
        os.replace(tmp, os.path.join(cache, NAME))
    except OSError:
        forget(cache, tmp)


def forget(cache: str, name: str = NAME) -> None:
    """Remove the manifest (a build with something to do makes the last one moot)."""
    try:
        os.unlink(os.path.join(cache, name))
    except OSError:
        pass


def _read(cache: str, secret: bytes) -> tuple | None:
    path = os.path.join(cache, NAME)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = file.read()
    seal, payload = data[:32], data[32:]
    if len(seal) != 32 or _seal(secret, payload) != seal:
        return None
    return marshal.loads(payload)


# -- the command line's question ------------------------------------------------------------------------------

def _build_arguments(argv: list[str]) -> tuple[str, str | None] | None:
    """(project, out) of `[--project P] [--verbose] build [--out O] [--strict]`; None for any other command
    line, left to argparse (which also reads `--project=P`, abbreviations and mistakes)."""
    project, out = ".", None
    args = iter(argv)
    for arg in args:
        if arg == "build":
            break
        if arg == "--project":
            project = next(args, "")
        elif arg != "--verbose":
            return None
        if not project or project.startswith("-"):
            return None
    else:
        return None
    for arg in args:
        if arg == "--out":
            out = next(args, "")
            if not out or out.startswith(("-", "//")):
                return None
        elif arg != "--strict":
            return None
    return project, out


def _shown(path: str) -> str:
    """`path` as the full build prints it (`str(Path(path))`)."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    return ("/" if path.startswith("/") else "") + "/".join(parts) or "."


def answer(argv: list[str]) -> int | None:
    """Exit status of `python -m builder ARGV` when it is a build that the manifest proves has nothing to do
    (having printed what that build prints); None when the full build must decide."""
    started = time.perf_counter()
    try:
        arguments = _build_arguments(argv)
        if arguments is None:
            return None
        root = os.path.realpath(arguments[0])
        given = arguments[1] if arguments[1] is not None else os.path.join(root, "site")
        if not stat.S_ISDIR(os.lstat(given).st_mode):  # a link, a file: the full build says why not
            return None
        from builder.incremental.secret import cache_key

        secret = cache_key()
        manifest = _read(os.path.join(root, ".cache"), secret) if secret is not None else None
        if manifest is None:
            return None
        fmt, made_by, env, made_root, made_out, pages, files, paths, blob = manifest
        out = os.path.realpath(given)
        if (fmt, made_by, env, made_root, made_out) != (FORMAT, interpreter(), settings(), root, out):
            return None
        numbers = memoryview(blob).cast("q")
        paths = paths.split("\0")
        if len(numbers) != 3 * len(paths):
            return None
        if not hold(zip(paths, numbers[0::3].tolist(), numbers[1::3].tolist(), numbers[2::3].tolist())):
            return None
    except Exception:  # noqa: BLE001 - whatever went wrong here, the full build decides
        return None
    print(summary_line(pages, files, time.perf_counter() - started, _shown(given), 0, pages, 0))
    return 0

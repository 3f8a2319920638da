"""Input digests: every file a build reads, by the sha256 of the bytes it actually read.

The scan looks at every input (content/, seeds/, the templates and assets folders) without following a
symlink out of the project or opening a device, FIFO or socket (`safeio.check_input`). A file whose size,
mtime and inode match an earlier scan's record, and which was last changed well before that record was
made, keeps its digest unread; any other file is read once here (`safeio.read_input`), and the build uses
those very bytes (`Snapshot.read`). A file read later (one the scan trusted) is digested as it is read. So a
save between the scan and the read can never store new text under the old digest.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import sysconfig
from pathlib import Path

from builder.config import ENGINE_ROOT, Paths
from builder.incremental.quick import ENV_INPUTS, Probe, looked_at
from builder.safeio import UnsafeInput, check_input, inside, read_input

FORMAT = 5  # bump when what the cache stores changes shape
Stamp = tuple[int, int, int, str]  # size, mtime_ns, inode, sha256 of the bytes read
TRUST_AFTER_NS = 1_000_000_000  # a file changed within this long of a scan is read again by the next
REFUSED = (-1, -1, -1)  # the stamp of an input the build may not read (a link out, a FIFO): never trusted


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data).hexdigest()


def _engine_files() -> tuple[list[str], list[str]]:
    """Every folder and file of the engine's package (recursively, compiled code left out)."""
    folders, files = [], []
    for folder, dirs, names in os.walk(str(ENGINE_ROOT / "builder")):  # os.walk: rglob took 3x as long
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        folders.append(folder)
        files += [path for path in (os.path.join(folder, name) for name in names) if os.path.isfile(path)]
    return folders, sorted(files)


def _installed() -> str:
    """The folder of the packages beside the engine."""
    return sysconfig.get_paths()["purelib"]


def engine_digest() -> str:
    """Every file of the engine's package (recursively), the Python running it and the packages beside it."""
    h = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
    package = str(ENGINE_ROOT / "builder")
    for path in _engine_files()[1]:
        with open(path, "rb") as file:
            h.update(path[len(package) + 1:].replace(os.sep, "/").encode() + b"\0" + file.read() + b"\0")
    try:  # every installed distribution with its version: an upgrade invalidates the cache
        h.update("\0".join(sorted(n for n in os.listdir(_installed()) if n.endswith(".dist-info"))).encode())
    except OSError:
        h.update(b"no site-packages")
    return h.hexdigest()


def engine_probes() -> list[Probe]:
    """What `engine_digest` reads, as it is now: each file and folder of the package, the packages' folder
    (an install or upgrade adds or renames a `.dist-info` in it)."""
    folders, files = _engine_files()
    return [(path, *looked_at(path)) for path in [*folders, *files, _installed()]]


def candidate_roots(paths: Paths) -> list[Path]:
    """Every folder whose files a build would read if it were there."""
    return [paths.content, paths.seeds, *paths.template_candidates, *paths.asset_candidates]


def input_roots(paths: Paths) -> list[Path]:
    """Every folder whose files a build reads; the engine's code is covered by `engine_digest`."""
    roots = [paths.content, paths.seeds, *paths.template_dirs, *paths.asset_dirs]
    return [r for r in dict.fromkeys(roots) if r.is_dir()]


class Snapshot:
    """The inputs of one build: each file's stamp, and the bytes the scan read (which the build then uses)."""

    def __init__(self, paths: Paths, stamps: dict[str, Stamp], data: dict[str, bytes],
                 folders: list[Probe] | None = None) -> None:
        self.paths = paths
        self.stamps = stamps
        self.data = data  # path → bytes read by the scan, handed to the stage that reads the file
        self.folders = folders or []  # each folder scanned, or where an input folder could be, as it was

    @classmethod
    def scan(cls, paths: Paths, known: dict[str, Stamp], trusted_before_ns: int) -> Snapshot:
        """A stamp for every input file (refused ones are left out: the loader reports those it needs)."""
        stamps: dict[str, Stamp] = {}
        data: dict[str, bytes] = {}
        folders = [(str(place), *looked_at(str(place))) for place in candidate_roots(paths)]
        for root in input_roots(paths):
            if not inside(paths.owner(root), root):  # the folder itself a link out of the project
                continue
            for folder, dirs, names in os.walk(root):  # never into a linked folder (followlinks=False)
                folders.append((folder, *looked_at(folder)))
                dirs.sort()
                for name in sorted(names):
                    path = os.path.join(folder, name)
                    try:
                        st = os.lstat(path)
                        if not stat.S_ISREG(st.st_mode):  # a link (checked in full), a FIFO, a device...
                            st = check_input(paths.owner(root), Path(path))
                    except OSError:
                        continue  # gone since it was listed
                    except UnsafeInput as refused:  # never opened; its presence still counts (the build says why)
                        stamps[path] = REFUSED + (refused.message,)  # type: ignore[assignment]
                        continue
                    old = known.get(path)
                    if old and old[:3] == (st.st_size, st.st_mtime_ns, st.st_ino) and st.st_mtime_ns < trusted_before_ns:
                        stamps[path] = old
                        continue
                    try:
                        data[path] = read_input(paths.owner(root), Path(path))
                    except UnsafeInput as refused:
                        stamps[path] = REFUSED + (refused.message,)  # type: ignore[assignment]
                        continue
                    stamps[path] = (st.st_size, st.st_mtime_ns, st.st_ino, sha(data[path]))
        return cls(paths, stamps, data, folders)

    def read(self, path: Path) -> bytes:
        """The file's bytes: those the scan read, else read now (and its digest is what was read)."""
        key = str(path)
        found = self.data.get(key)
        if found is not None:
            return found
        data = read_input(self.paths.owner(path), path)
        self.record(key, data)
        self.data[key] = data  # read once: a second reader gets these very bytes
        return data

    def record(self, key: str, data: bytes) -> None:
        try:
            st = os.stat(key)
        except OSError:
            return
        self.stamps[key] = (st.st_size, st.st_mtime_ns, st.st_ino, sha(data))

    def note_read(self, path: Path, digest: str) -> None:
        """A file another process (a worker) read, and the digest of the bytes it read."""
        stamp = self.stamps.get(str(path))
        if stamp is None or stamp[3] != digest:
            try:
                st = os.stat(path)
            except OSError:
                return
            self.stamps[str(path)] = (st.st_size, st.st_mtime_ns, st.st_ino, digest)

    def digest_of(self, path: Path | str) -> str | None:
        stamp = self.stamps.get(str(path))
        return stamp[3] if stamp and stamp[:3] != REFUSED else None

    def digest(self, engine: str, leaving_out: Path | None = None) -> str:
        """All inputs (but those under `leaving_out`), the engine and the settings it reads from the
        environment, in one digest."""
        h = hashlib.sha256(engine.encode())
        for key in ENV_INPUTS:
            h.update(f"\0{key}={os.environ.get(key, '')}".encode())
        skip = str(leaving_out) + os.sep if leaving_out is not None else None
        for path, stamp in sorted(self.stamps.items()):
            if skip is None or not path.startswith(skip):
                h.update(f"\0{path}\0{stamp[3]}".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def under(self, folders: list[Path]) -> str:
        """A digest of the files under `folders` (the templates), by the bytes read."""
        prefixes = tuple(str(d) + os.sep for d in folders)
        return sha(repr(sorted((p, s[3]) for p, s in self.stamps.items() if p.startswith(prefixes))))


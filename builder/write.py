"""Write: the only code that touches the output folder.

The new site is written beside the old one and swapped in with renames, so a failed or killed build
leaves the last good site whole.
"""

from __future__ import annotations

import ctypes
import errno
import os
import posixpath
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import rcssmin

from builder.problems import BuildFailed, Pos, Problems
from builder.safeio import UnsafeInput, read_input
from builder.safeloader import input_files


def copy_assets(asset_dirs: Iterable[Path], problems: Problems, shown: Callable[[Path], str],
                read: Callable[[Path], bytes] | None = None) -> dict[str, bytes]:
    """Every asset file by its site path (assets/…); later folders override earlier ones.

    Each is read as an input (its project being the folder's parent), or through `read` (the build's input
    scan, which reads the same way): a link out of the project, a FIFO or a device is an error at its path,
    never published. Stylesheets are minified (comments and spaces out): every page carries one, within its
    weight budget."""
    files: dict[str, bytes] = {}
    for directory in asset_dirs:
        for path in input_files(directory):
            try:
                data = read(path) if read else read_input(directory.parent, path)
                files["assets/" + path.relative_to(directory).as_posix()] = \
                    rcssmin.cssmin(data) if path.suffix == ".css" else data
            except UnsafeInput as unsafe:
                problems.error(Pos(shown(path)), unsafe.message, unsafe.hint)
    return files


def replace_file(target: Path, data: bytes) -> None:
    """Write `target` whole, in one step, replacing whatever is there (a symlink included, never followed)."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def safe_target(root: Path, rel: str) -> Path:
    """Refuse any output path that would land outside the output folder.

    Decided on the path's text: the folder is the build's own fresh staging folder (no links in it), so
    that is exact, and far cheaper than asking the filesystem once per file of a large site.
    """
    norm = posixpath.normpath(rel) if rel else "."
    if posixpath.isabs(rel) or norm in (".", "..") or norm.startswith("../"):
        raise ValueError(f"refusing to write outside the site: {rel}")
    return root / norm


class Staging:
    """A new site assembled in a folder beside `out`, then swapped in whole by `commit`.

    Files unchanged since the last build are hard links to the live site's files (copies where linking
    fails), so only what changed is written. The folder may start as the site the last build replaced
    (`spare`, kept by `commit(keep=...)`): most of its files are then already links to the live site's, so
    a small change costs a few file operations, not one per file of the site. Nothing here, or in a
    `finish` step, may modify an existing file in place: a staged file may be the live site's own.
    Replace it (write a new file) instead.
    """

    def __init__(self, out: Path, spare: Path | None = None, surveyed: Survey | None = None) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out)
        self.path = Path(tempfile.mkdtemp(prefix=_prefix(self.out, "new"), dir=self.out.parent))
        self._folders: set[str] = {""}  # site paths of the folders known to exist here ("" is this folder)
        self.found: dict[str, int] = {}  # files already in a recycled folder: site path → inode
        self.found_folders: set[str] = set()
        self.found_any = False  # whether this folder was recycled (and may hold what cannot be deleted)
        # Every file put here by `write` or `link`: site path → (size, inode), what a walk of the folder would
        # find once `sweep` has removed the rest (a walk of 27,000 files was a tenth of an edit at 10,000 briefs).
        self.placed: dict[str, tuple[int, int]] = {}
        if spare is not None:
            self._recycle(spare, surveyed)

    def _recycle(self, spare: Path, surveyed: Survey | None) -> None:
        try:
            os.rename(spare, self.path)  # replaces the empty folder mkdtemp made; fails across filesystems
        except OSError:
            return
        found = inventory(self.path, surveyed)
        if found is None:  # something that is not a plain file or folder: trust none of it
            remove_tree(self.path)
            os.mkdir(self.path, 0o700)
            return
        self.found, self.found_folders = found
        self.found_any = True
        self._folders = self.found_folders | {""}

    def _target(self, rel: str) -> Path:
        target = safe_target(self.path, rel)
        folder = posixpath.dirname(posixpath.normpath(rel))  # by site path: Path objects cost more than the check
        if folder not in self._folders:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):  # a recycled file stands where a folder goes
                self._clear_ancestors(rel)
                target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        return target

    def _clear_ancestors(self, rel: str) -> None:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            if ancestor in self.found:
                os.unlink(self.path / ancestor)

    def _clear(self, target: Path, rel: str) -> None:
        """Make way at `rel` in a recycled folder: never write into a file that may be the live site's."""
        if rel in self.found:
            os.unlink(target)
        elif rel in self.found_folders:
            shutil.rmtree(target)

    def write(self, rel: str, data: bytes) -> None:
        target = self._target(rel)
        self._clear(target, rel)
        with open(target, "xb") as file:
            file.write(data)
            file.flush()  # before the times are set: a write after them would set the mtime again
            os.utime(file.fileno(), (0, 0))  # fixed times: two builds give identical trees and zips
            self.placed[rel] = (len(data), os.fstat(file.fileno()).st_ino)

    def link(self, rel: str, size: int, inode: int) -> None:
        """Put the live site's file at `rel` (`size` bytes, inode `inode`, as the last build recorded it) here
        without copying it."""
        self.placed[rel] = (size, inode)
        if self.found.get(rel) == inode:
            return  # a recycled link to that very file (found in this folder, so its path is safe and exists)
        source = safe_target(self.out, rel)
        target = self._target(rel)
        self._clear(target, rel)
        try:
            os.link(source, target)
        except OSError:  # another filesystem, or links not allowed: copy
            shutil.copyfile(source, target)
            os.utime(target, (0, 0))
            self.placed[rel] = (size, os.stat(target).st_ino)

    def link_all(self, rels: Iterable[str], files: Mapping[str, tuple[str, int, int]]) -> None:
        """`link` each of `rels` as `files` (digest, size, inode) records it."""
        for rel in rels:
            _, size, inode = files[rel]
            self.link(rel, size, inode)

    def sweep(self, wanted: set[str]) -> None:
        """Remove what a recycled folder holds beyond `wanted` (the site paths put here by this build)."""
        for rel in self.found.keys() - wanted:
            try:
                os.unlink(self.path / rel)
            except FileNotFoundError:
                pass
        for rel in sorted(self.found_folders - folders_of(wanted), key=lambda r: -r.count("/")):
            shutil.rmtree(self.path / rel, ignore_errors=True)
        self.found, self.found_folders = {}, set()

    def commit(self, keep: Path | None = None) -> None:
        """Swap the complete folder in; on any failure leave `out` as it was.

        `keep`: where to keep the replaced site for the next build to recycle (else it is deleted)."""
        try:
            os.chmod(self.path, 0o755)
            swap_in(self.path, self.out, keep)
        except BaseException:
            self.abort(keep)
            raise

    def abort(self, trash: Path | None = None) -> None:
        """Remove the staging folder; what cannot be removed (a file made undeletable in the live site and
        recycled here) is moved to `trash` (in .cache/), never left beside the site for good."""
        if not remove_tree(self.path) and trash is not None:
            try:
                os.rename(self.path, trash)
            except OSError:
                pass


def remove_tree(folder: Path) -> bool:
    """Delete a folder the build made, even where a folder in it lost its write permission; True when gone."""
    def retry(func: Callable[[str], object], name: str, *_: object) -> None:
        try:
            os.chmod(os.path.dirname(name), stat.S_IRWXU)  # the build's own folder: it may make it writable
            func(name)
        except OSError:
            pass  # undeletable (immutable, another owner): the caller decides
    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=retry)
    else:
        shutil.rmtree(folder, onerror=retry)
    return not os.path.lexists(folder)


_FAULT_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, then build again",
    errno.EDQUOT: "the disk quota is used up: free some space, then build again",
    errno.EROFS: "the disk is read-only: build into a folder elsewhere with --out",
    errno.EPERM: "it cannot be changed or deleted: make it writable (chmod -R u+w; chattr -i) or delete it",
    errno.EACCES: "it cannot be changed or deleted: make it writable (chmod -R u+w; chattr -i) or delete it",
}


def environment_fault(exc: OSError, out: Path, staging: Path | None = None) -> BuildFailed:
    """A fault of the machine while writing the site (disk full, a read-only or undeletable file), as one
    line at the file it concerns in the output folder; the last good site is still in place."""
    name = os.fsdecode(exc.filename) if exc.filename else str(out)
    if staging is not None and name.startswith(str(staging)):
        name = str(out) + name[len(str(staging)):]  # the staging folder is gone: name the site's file
    shown = os.path.relpath(name)
    problems = Problems()
    problems.error(Pos(name if shown.startswith("..") else shown),
                   f"cannot write the site: {exc.strerror or exc} (the last good site is unchanged)",
                   _FAULT_HINTS.get(exc.errno or 0, "check the disk and the folder's permissions, then build again"))
    return BuildFailed(problems)


def folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder the site paths `paths` are in, their parents included ("a", "a/b" for "a/b/index.html")."""
    out: set[str] = set()
    for rel in paths:
        folder = rel.rpartition("/")[0]
        while folder and folder not in out:  # a folder met before has its parents in already
            out.add(folder)
            folder = folder.rpartition("/")[0]
    return out


FolderStamp = tuple[int, int, int]  # a folder's inode, mtime and ctime (no call can set a ctime back)
# A folder's files (path inside the listed folder, inode) and subfolders (paths inside it)
Entries = tuple[list[tuple[str, int]], list[str]]


@dataclass
class Survey:
    """What a folder held when it was surveyed (`survey`): each folder's files and subfolders, and the stamp
    of those of its folders (but the top one) that no change had touched for a while."""

    listing: dict[str, Entries]  # folder's path inside ("" the top) → its entries
    stamps: dict[str, FolderStamp]


def _stamp(st: os.stat_result) -> FolderStamp:
    return st.st_ino, st.st_mtime_ns, st.st_ctime_ns


def _entries(path: str, below: str) -> Entries | None:
    """What the folder at `path` (`below` inside the listed folder) holds, by the type its listing gives (no
    stat); None if anything there is neither a file nor a folder (a link, a FIFO, a socket, a device)."""
    prefix = below + "/" if below else ""
    files: list[tuple[str, int]] = []
    folders: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(prefix + entry.name)
            elif entry.is_file(follow_symlinks=False):
                files.append((prefix + entry.name, entry.inode()))
            else:
                return None
    return files, folders


def survey(folder: Path, trusted_before_ns: int) -> Survey | None:
    """`folder` listed whole (None if anything in it is neither a file nor a folder), for a later `inventory`
    to take a folder's entries from without listing it again while its stamp is the same: an entry added,
    removed or renamed changes the mtime and ctime of the folder it is in, and nothing can set a ctime back.
    A folder is stamped before it is listed, and only when both times are before `trusted_before_ns` (a
    change in the same clock tick as the last one could leave them as they were)."""
    listing: dict[str, Entries] = {}
    stamps: dict[str, FolderStamp] = {}
    base = str(folder) + "/"
    stack = [""]
    while stack:
        below = stack.pop()
        path = base + below if below else str(folder)
        st = os.lstat(path)
        if below and st.st_mtime_ns < trusted_before_ns and st.st_ctime_ns < trusted_before_ns:
            stamps[below] = _stamp(st)  # the top folder is renamed when it is recycled: never kept
        found = _entries(path, below)
        if found is None:
            return None
        listing[below] = found
        stack += found[1]
    return Survey(listing, stamps)


def _as_surveyed(path: str, below: str, surveyed: Survey | None) -> Entries | None:
    """The folder's entries as `surveyed` found them, if its stamp is still the one surveyed."""
    known = surveyed.stamps.get(below) if surveyed is not None and below else None
    if known is None:
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or _stamp(st) != known:
        return None
    return surveyed.listing[below]  # type: ignore[union-attr]


def inventory(folder: Path, surveyed: Survey | None = None) -> tuple[dict[str, int], set[str]] | None:
    """Every file (with its inode) and folder under `folder`; None if anything else is there (a link).
    `surveyed`: an earlier `survey` of it, whose entries of a folder are taken while that folder's stamp is
    the one surveyed (one lstat instead of a listing: at 10,000 briefs, listing 13,000 folders was a sixth of a
    live edit); every other folder is listed."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    base = str(folder) + "/"
    stack = [""]
    while stack:
        below = stack.pop()
        path = base + below if below else str(folder)
        found = _as_surveyed(path, below, surveyed) or _entries(path, below)
        if found is None:
            return None
        files.update(found[0])
        folders.update(found[1])
        stack += found[1]
    return files, folders


def _prefix(out: Path, kind: str) -> str:
    """Staging folders are named for the site and the building process: `.site.new-<pid>-…`."""
    return f".{out.name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(out: Path) -> None:
    """Delete the staging folders of builds that were killed before they could (SIGKILL, power cut).

    Only those whose process is gone: another build of the same site may be running right now.
    """
    if os.name != "posix":  # os.kill(pid, 0) would not be a harmless question elsewhere
        return
    for kind in ("new", "old"):
        start = f".{out.name}.{kind}-"
        for path in out.parent.iterdir():
            pid = path.name[len(start):].split("-", 1)[0] if path.name.startswith(start) else ""
            if pid.isdigit() and path.is_dir() and not _alive(int(pid)):
                remove_tree(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_in(staging: Path, out: Path, keep: Path | None = None) -> None:
    """Replace `out` by `staging`; at no moment is there no complete site at `out`.

    The replaced site is deleted, or moved to `keep` when given (and on the same filesystem)."""
    if out.is_dir() and _exchange(staging, out):
        _discard(staging, keep)  # now holds the previous site
        return
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=_prefix(out, "old"), dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
    os.rename(staging, out)
    if old is not None:
        _discard(old, keep)


def _discard(folder: Path, keep: Path | None) -> None:
    if keep is not None:
        try:
            remove_tree(keep) if os.path.lexists(keep) else None
            os.rename(folder, keep)
            return
        except OSError:
            pass
    remove_tree(folder)

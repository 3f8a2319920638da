"""Whether an output folder still holds exactly what the last build wrote there: what a build with nothing to
do checks before it says so.

Every file the build writes has mtime 0, so a file edited in place shows a new mtime and a file replaced a new
inode: each recorded file is looked at (one lstat) every time. A file or folder added, removed or renamed
changes the mtime of the folder it is in; so once a full walk has found the output folder holding exactly the
recorded files, each folder's size, inode and mtime are kept (`Folders`, a store row of their own), and while they
stay the same no folder needs listing again (listing them was most of the check's time). A folder changed
within a second of that walk is not kept, as the input scan does (`inputs.TRUST_AFTER_NS`): a change in the
same clock tick could leave its mtime as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from builder.incremental.inputs import TRUST_AFTER_NS
from builder.incremental.quick import Probe, hold
from builder.incremental.store import Store

if TYPE_CHECKING:
    from builder.incremental.state import OutputState

Walk = dict[str, tuple[int, int, int]]  # site path → (size, inode, mtime_ns)
FolderStamps = dict[str, tuple[int, int, int]]  # folder's site path ("" the output folder) → (size, inode, mtime_ns)


@dataclass
class Folders:
    """The folders of an output folder as a full walk found them, holding exactly one build's files."""

    record: str  # the `OutputState.record` of that build
    folders: FolderStamps


def walk_site(folder: Path, folders: FolderStamps | None = None) -> Walk:
    """site path → (size, inode, mtime_ns) of every file under `folder`; with `folders`, each folder's stamp
    goes there too, taken before the folder is listed (so an entry added after the listing changes it)."""
    files: Walk = {}
    root = str(folder)
    base = len(root) + 1
    if folders is not None:
        st = os.lstat(root)
        folders[""] = (st.st_size, st.st_ino, st.st_mtime_ns)
    stack = [root]
    while stack:
        current = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    if folders is not None:
                        st = entry.stat(follow_symlinks=False)
                        folders[entry.path[base:].replace(os.sep, "/")] = (st.st_size, st.st_ino, st.st_mtime_ns)
                else:
                    st = entry.stat(follow_symlinks=False)
                    files[entry.path[base:].replace(os.sep, "/")] = (st.st_size, st.st_ino, st.st_mtime_ns)
    return files


def site_matches(out: Path, state: OutputState, store: Store | None) -> FolderStamps | None:
    """The stamps of `out`'s folders when `out` holds exactly the files the last build wrote there (`state`),
    none of them changed since; else None."""
    key = "output-folders:" + str(out)
    kept = store.get(key, Folders) if store is not None and state.record else None
    if kept is not None and kept.record == state.record and hold(output_probes(out, state, kept.folders)):
        return kept.folders
    started, folders = time.time_ns(), {}
    try:
        found = walk_site(out, folders)
    except OSError:
        return None
    if found.keys() != state.files.keys():
        return None
    if not all(size == state.files[rel][1] and ino == state.files[rel][2] and mtime == 0
               for rel, (size, ino, mtime) in found.items()):
        return None
    if store is not None and state.record and all(m < started - TRUST_AFTER_NS for *_, m in folders.values()):
        store.put_many({key: Folders(state.record, folders)})
    return folders


def output_probes(out: Path, state: OutputState, folders: FolderStamps) -> list[Probe]:
    """What must stay as it is for `out` to hold what the build recorded in `state`: each folder listed in
    `folders` (an entry added, removed or renamed changes its mtime) and each file the build wrote (its size
    and inode, and the mtime 0 it wrote)."""
    prefix = str(out) + os.sep
    return [*((prefix + rel if rel else str(out), *stamp) for rel, stamp in folders.items()),
            *((prefix + rel, size, inode, 0) for rel, (_, size, inode) in state.files.items())]

"""The key that seals what the cache keeps: random, made once per user, kept outside every project.

Only rows and manifests this user's builds made carry a seal made with it, so a cache committed to a
repository, copied from elsewhere or damaged on disk is never believed. Imported by the quick answer to a build
with nothing to do (`quick`), so it needs nothing but `os`.
"""

from __future__ import annotations

import os


def key_file() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "briefing", "cache-key")


def cache_key() -> bytes | None:
    """The key (made by the first build on this machine); None when it can be neither read nor made."""
    path = key_file()
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        pass
    except OSError:
        return None
    import secrets  # here: only the first build on a machine makes the key

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(secrets.token_bytes(32))
        if os.path.exists(path):  # another build made it meanwhile: theirs is the key
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None

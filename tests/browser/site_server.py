"""Build the real project once and serve it over HTTP under a sub-path, as GitHub Pages serves a
project site (https://user.github.io/<repo>/).

Shared by tests/browser/conftest.py and the top-level verification tests (test_html_validator.py,
test_site_links_served.py). It is loaded by file path under one module name (see ``load()`` in
those files) so that every test module gets the same object and the site is built and served once
per pytest session, whichever module asks first.

The sub-path is the path of ``base_url`` in content/site.yaml when it has one (so the site is served
exactly where it will live), else /briefing-site/.

Set BRIEFING_TEST_SITE=/path/to/built/site to test an existing build instead of building (local
iteration only; CI always builds).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBPATH = "/briefing-site/"
BUILD_TIMEOUT_S = 600
_REFRESH = re.compile(
    r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["']\s*\d+\s*;\s*url=([^"'>]+)""", re.I
)


@dataclass
class Site:
    """A built site and the local server that serves it under SUBPATH."""

    root: Path  # the build output folder
    base_url: str  # e.g. http://127.0.0.1:41234/briefing-site/
    subpath: str = SUBPATH  # the path the site lives under, with both slashes
    production_url: str | None = None  # content/site.yaml's base_url, if any
    requests: list[str] = field(default_factory=list)  # every path the server was asked for

    @property
    def origin(self) -> str:
        return self.base_url[: -len(self.subpath)]

    def localize(self, url: str) -> str:
        """A URL under the production base_url, rewritten to the local copy; others unchanged."""
        if self.production_url and url.startswith(self.production_url):
            return self.base_url + url[len(self.production_url) :]
        return url

    def html_files(self) -> list[Path]:
        """Every .html file of the build, relative to root, sorted."""
        return sorted(p.relative_to(self.root) for p in self.root.rglob("*.html"))

    def url_for(self, rel: Path | str) -> str:
        """The URL a reader would use: folders for index.html, the file name otherwise."""
        rel = Path(rel).as_posix()
        if rel == "index.html":
            return self.base_url
        if rel.endswith("/index.html"):
            return self.base_url + rel[: -len("index.html")]
        return self.base_url + rel

    def pages(self) -> list[tuple[str, str]]:
        """(relative file, URL) for every HTML page a reader sees: redirect stubs left out."""
        return [(p.as_posix(), self.url_for(p)) for p in self.html_files()
                if self.redirect_of(p) is None]

    def redirects(self) -> list[tuple[str, str, str]]:
        """(relative file, URL, absolute target URL) for every <meta http-equiv="refresh"> stub."""
        out = []
        for p in self.html_files():
            target = self.redirect_of(p)
            if target is not None:
                url = self.url_for(p)
                out.append((p.as_posix(), url, urljoin(url, target)))
        return out

    def redirect_of(self, rel: Path | str) -> str | None:
        """The refresh target of a redirect stub, as written, or None for a real page."""
        head = (self.root / rel).read_text(encoding="utf-8", errors="replace")[:4000]
        m = _REFRESH.search(head)
        return m.group(1).strip() if m else None

    def find_page(self, *candidates: str, under: str | None = None) -> str | None:
        """The first candidate file that exists, else the first page under the folder ``under``."""
        files = [p.as_posix() for p in self.html_files()]
        for c in candidates:
            if c in files:
                return c
        if under:
            for f in files:
                # under/<slug>/index.html: a page of that kind, not the folder's own list page
                if f.startswith(under.rstrip("/") + "/") and f.endswith("/index.html") and f.count("/") == 2:
                    return f
        return None


class _Handler(SimpleHTTPRequestHandler):
    """Serves ``directory`` under SUBPATH only; anything outside the sub-path is a 404."""

    site: Site  # set on a subclass per server
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".wasm": "application/wasm",
        ".xml": "application/xml",
        ".webmanifest": "application/manifest+json",
    }

    def _outside(self) -> bool:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        return not (path + "/").startswith(self.site.subpath)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.site.requests.append(self.path)
        if self._outside():
            self.send_error(404, "outside the site's sub-path")
            return
        super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        self.site.requests.append(self.path)
        if self._outside():
            self.send_error(404, "outside the site's sub-path")
            return
        super().do_HEAD()

    def translate_path(self, path: str) -> str:
        # Strip the sub-path; redirects for folders still use self.path, so they keep it.
        sub = self.site.subpath
        if path.startswith(sub):
            path = "/" + path[len(sub) :]
        elif path + "/" == sub:
            path = "/"
        return super().translate_path(path)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the requests list is the log


def production_base_url() -> str | None:
    """base_url from content/site.yaml, ending in a slash, or None."""
    import yaml  # a dependency of the project itself

    config = REPO_ROOT / "content" / "site.yaml"
    if not config.exists():
        return None
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    base = data.get("base_url") if isinstance(data, dict) else None
    if not base:
        return None
    return str(base) if str(base).endswith("/") else f"{base}/"


def build_site(out: Path) -> None:
    """``python -m builder build --out OUT`` from the repo root; raise with its output on failure."""
    cmd = [sys.executable, "-m", "builder", "build", "--out", str(out)]
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"building the site failed: {' '.join(cmd)} (cwd {REPO_ROOT}) exited "
            f"{proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    if not any(out.rglob("*.html")):
        raise RuntimeError(f"the build wrote no .html file into {out}")


class _Shared:
    """The one built and served site of this process, reference-counted by the fixtures."""

    lock = threading.Lock()
    site: Site | None = None
    error: BaseException | None = None
    server: ThreadingHTTPServer | None = None
    tmp: Path | None = None
    users = 0


def acquire() -> Site:
    """Build (once) and serve (once) the site; each call must be paired with ``release()``."""
    with _Shared.lock:
        if _Shared.error is not None:
            raise RuntimeError(f"the site could not be built:\n{_Shared.error}") from _Shared.error
        if _Shared.site is None:
            try:
                _start()
            except BaseException as exc:
                _Shared.error = exc
                if _Shared.tmp is not None:
                    shutil.rmtree(_Shared.tmp, ignore_errors=True)
                raise
        assert _Shared.site is not None
        _Shared.users += 1
        return _Shared.site


def _start() -> None:
    given = os.environ.get("BRIEFING_TEST_SITE")
    if given:
        root = Path(given).resolve()
    else:
        _Shared.tmp = Path(tempfile.mkdtemp(prefix="briefing-test-site-"))
        root = _Shared.tmp / "site"
        build_site(root)
    production = production_base_url()
    subpath = urlsplit(production).path if production else SUBPATH
    if not subpath.startswith("/") or subpath == "/":
        subpath = SUBPATH
    _Shared.site, _Shared.server = serve(root, subpath, production)


def serve(root: Path, subpath: str = SUBPATH, production: str | None = None) -> tuple[Site, ThreadingHTTPServer]:
    """Serve the built site at ``root`` under ``subpath`` on 127.0.0.1 (call ``shutdown()`` when done)."""
    site = Site(root=root, base_url="", subpath=subpath, production_url=production)
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="site-server", daemon=True).start()
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}{subpath}"
    return site, server


def release() -> None:
    """Shut the server down and delete the build once the last user is done."""
    with _Shared.lock:
        _Shared.users -= 1
        if _Shared.users > 0:
            return
        if _Shared.server is not None:
            _Shared.server.shutdown()
            _Shared.server.server_close()
        if _Shared.tmp is not None:
            shutil.rmtree(_Shared.tmp, ignore_errors=True)
        _Shared.server = _Shared.site = _Shared.tmp = None

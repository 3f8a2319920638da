"""Serve: build the site, serve it on 127.0.0.1, rebuild on every save and reload the open page.

The reload script is injected into the HTML responses only, never into the files: the site on disk carries
no script and, once the search index and zip have caught up with an edit (a second after saves pause), is
byte-identical to `make site` output. A failed rebuild keeps the last good site served and shows the error
lines in the terminal and, over Server-Sent Events, as an overlay in the page.
"""

from __future__ import annotations

import functools
import gc
import ipaddress
import queue
import secrets
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import watchfiles

from builder.build import build
from builder.config import Paths
from builder.incremental.state import IncrementalState
from builder.problems import BuildFailed, summary

LIVE_PREFIX = "/__briefing/"
EVENTS_PATH = LIVE_PREFIX + "events"
SCRIPT_PATH = LIVE_PREFIX + "live.js"
# Same origin and not inline, so the pages' own CSP (`script-src 'self'`) allows it.
SCRIPT_TAG = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
WATCHED = ("content", "seeds", "templates", "assets")
KEEPALIVE_SECONDS = 15.0  # a comment line this often finds closed tabs, so their threads end
STEP_MS = 50  # a burst of saves closer together than this becomes one rebuild
DEBOUNCE_MS = 500  # and a longer burst (a git checkout) waits at most this long
WATCH_TIMEOUT_MS = 100  # how soon the watcher reports that it is ready (and then an idle tick this often)
FINISH_AFTER_SECONDS = 1.0  # an edit's rebuild skips the search index and zip; they follow once saves pause
POLL_SECONDS = 0.1  # how soon the HTTP loop notices a stop
IDLE_SECONDS = 20.0  # a connection silent this long is closed

# The live-reload script, an asset file beside this module (served, and injected into HTML, by the server only).
LIVE_JS = (Path(__file__).parent / "live.js").read_bytes()


def inject(html: bytes) -> bytes:
    """The page with the live script added before </head> (or at the end when there is none)."""
    at = html.lower().find(b"</head>")
    if at < 0:
        return html + SCRIPT_TAG + b"\n"
    return html[:at] + SCRIPT_TAG + b"\n" + html[at:]


def sse(event: str, data: str) -> bytes:
    """One Server-Sent Event; each line of `data` on its own `data:` line."""
    lines = data.splitlines() or [""]
    return (f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n").encode("utf-8")


class Hub:
    """Fans events out to every open page, one queue per connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[queue.Queue[bytes | None]] = set()

    def subscribe(self) -> queue.Queue[bytes | None]:
        client: queue.Queue[bytes | None] = queue.Queue()
        with self._lock:
            self._clients.add(client)
        return client

    def unsubscribe(self, client: queue.Queue[bytes | None]) -> None:
        with self._lock:
            self._clients.discard(client)

    def publish(self, message: bytes | None) -> None:
        with self._lock:
            for client in self._clients:
                client.put(message)

    def close(self) -> None:
        self.publish(None)  # ends every event stream, so shutdown does not wait on open tabs


@dataclass
class LiveSite:
    """The build state the server reports: a build number, and the error lines while the content is broken."""

    root: Path
    out: Path
    hub: Hub = field(default_factory=Hub)
    token: str = field(default_factory=lambda: secrets.token_hex(4))
    builds: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the last good build's, shown in the page too
    last_reload: float = 0.0  # time.time() of the last reload event, for measuring
    unfinished: bool = False  # the served search index and zip predate the pages (see finish_if_idle)
    last_build: float = 0.0  # time.monotonic() when the last rebuild ended
    state: IncrementalState | None = None  # what the last build left, held from build to build
    threaded: bool = False  # once the server's threads run, a rebuild must not fork (it could deadlock)

    @property
    def generation(self) -> str:
        return f"{self.token}-{self.builds}"

    def greeting(self) -> bytes:
        """What a page hears on connecting: the build number, and the errors if the content is broken."""
        hello = b"retry: 500\n\n" + sse("hello", self.generation)
        if self.errors:
            return hello + sse("error", "\n".join(self.errors))
        return hello + (sse("warnings", "\n".join(self.warnings)) if self.warnings else b"")

    def rebuild(self, finish: bool = True, catching_up: bool = False, warm: bool = False) -> bool:
        """Build into `out`; on success tell pages to reload, on failure keep the old site and show why.

        `finish=False`, for an edit: the pages now, the search index and zip by `finish_if_idle` later
        (on a large site they are most of a rebuild, and the editor is looking at a page, not searching)."""
        try:
            if self.state is None:
                self.state = IncrementalState.open(Paths(self.root))
            result = build(self.root, self.out, finish=finish, state=self.state, jobs=1 if self.threaded else None,
                           warm=warm)
        except BuildFailed as failed:  # the page gets every line, the terminal a summary past 20
            return self._failed([str(p) for p in failed.problems.sorted()], len(failed.problems.errors),
                                summary(failed.problems.items))
        except Exception as crash:  # an engine bug must not take the server down with it
            traceback.print_exc()
            return self._failed([f"error: the build crashed: {type(crash).__name__}: {crash} — "
                                 "see the terminal for the traceback"], 1)
        finally:
            self.last_build = time.monotonic()
        if finish:
            # Now, while the editor is not waiting: what the full build left for the cyclic collector (a second
            # of walking at 10,000 briefs) would otherwise fall due in the next edit's rebuild.
            gc.collect()
            self.state.survey_spare(self.out)  # the next edit's rebuild starts from it
        for note in result.notes:
            print(note, file=sys.stderr)
        warnings = [str(p) for p in result.problems.sorted()]
        if warnings != self.warnings:  # the catching-up build repeats the edit's: print each once
            for line in summary(result.problems.items):
                print(line, file=sys.stderr)
        self.warnings = warnings
        self.unfinished = result.deferred
        if catching_up and not result.written:  # only the search index and zip changed:
            print(f"search index and zip up to date ({result.seconds:.2f} s)", flush=True)  # nothing to reload
        else:
            self.builds += 1
            self.errors = []
            later = "; search index and zip once you pause" if result.deferred else ""
            print(f"built {result.pages} pages in {result.seconds:.2f} s, "
                  f"{len(result.problems.warnings)} warning(s){later}", flush=True)
            self.hub.publish(sse("reload", self.generation))
            self.last_reload = time.time()
        return True

    def finish_if_idle(self) -> None:
        """After an edit's quick rebuild, once saves have paused, the full build that brings the search
        index and zip up to date (its pages are unchanged, so it mostly runs Pagefind and the zip)."""
        if self.unfinished and not self.errors and time.monotonic() - self.last_build >= FINISH_AFTER_SECONDS:
            self.rebuild(finish=True, catching_up=True)
        elif not self.unfinished and self.state is not None and \
                time.monotonic() - self.last_build >= FINISH_AFTER_SECONDS:
            # A spare the full build's survey found too new to trust (the first build's): surveyed again, once.
            self.state.survey_spare(self.out)

    def _failed(self, lines: list[str], errors: int, printed: list[str] | None = None) -> bool:
        for line in lines if printed is None else printed:
            print(line, file=sys.stderr)
        print(f"build failed: {errors} error(s); still serving the last good site, "
              "fix and save to rebuild", file=sys.stderr, flush=True)
        self.errors = lines
        self.hub.publish(sse("error", "\n".join(lines)))
        return False


class LiveHandler(SimpleHTTPRequestHandler):
    """The site's files, HTML with the live script injected, and the live endpoints; nothing cached."""

    server: LiveHTTPServer
    # A connection that sends nothing for this long is closed: thousands of idle ones held a thread each.
    # (The event stream only writes, so it is not cut.)
    timeout = IDLE_SECONDS

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for build results, not one line per request

    def parse_request(self) -> bool:
        """The request line and headers, then the checks that keep the server a local tool."""
        if not super().parse_request():
            return False  # a malformed request: 400 already sent
        if not self._host_allowed():
            # DNS rebinding: a page on evil.example, re-pointed at 127.0.0.1, could read the site and the
            # error stream. Its requests carry Host: evil.example.
            self.send_error(421, "Misdirected Request", "this server answers only to localhost and 127.0.0.1")
            return False
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if any(ord(c) < 32 or ord(c) == 127 for c in path):  # %00 and friends: no file is named so
            self.send_error(400, "Bad Request", "control characters in the address")
            return False
        return True

    def _host_allowed(self) -> bool:
        host = self.headers.get("Host")
        if host is None:
            return self.request_version == "HTTP/1.0"  # HTTP/1.1 requires a Host header
        bound, port = self.server.server_address[:2]
        names = {"localhost", "127.0.0.1", str(bound)}
        return host.lower() in names | {f"{name}:{port}" for name in names}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload must fetch the rebuilt files
        super().end_headers()

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == EVENTS_PATH and not head:
            self._events()
        elif path == SCRIPT_PATH:
            self._send(200, "text/javascript; charset=utf-8", LIVE_JS, head)
        elif not self.server.live.out.is_dir():
            self._send(503, "text/html; charset=utf-8", inject(NOT_BUILT), head)
        elif (page := self._html_file(path)) is not None:
            self._send(200, "text/html; charset=utf-8", inject(page.read_bytes()), head)
        elif head:
            super().do_HEAD()
        else:
            super().do_GET()

    def _html_file(self, url_path: str) -> Path | None:
        """The HTML file a URL names (a folder URL names its index.html), or None for anything else."""
        target = Path(self.translate_path(self.path))  # translate_path refuses to leave the site
        if url_path.endswith("/") and target.is_dir():
            target = target / "index.html"
        return target if target.suffix == ".html" and target.is_file() else None

    def _send(self, status: int, kind: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        """A Server-Sent Events stream for one page, until the page goes away or the server stops."""
        live = self.server.live
        client = live.hub.subscribe()  # before the greeting, so no event falls in between
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.end_headers()
            self.wfile.write(live.greeting())
            self.wfile.flush()
            while (message := _next(client)) is not None:
                self.wfile.write(message)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab was closed or reloaded
        finally:
            live.hub.unsubscribe(client)
            self.close_connection = True


def _next(client: queue.Queue[bytes | None]) -> bytes | None:
    try:
        return client.get(timeout=KEEPALIVE_SECONDS)
    except queue.Empty:
        return b": keep-alive\n\n"


NOT_BUILT = (b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             b"<title>Not built yet</title>\n</head>\n<body>\n<p>The site has not been built yet: "
             b"see the errors in the terminal. This page reloads when the build succeeds.</p>\n</body>\n</html>\n")


class LiveHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default queue of 5 unaccepted connections overflowed under a burst (a browser opens
    # several at once), and each dropped connection waited a second to retry: 6 accepts a second.
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """One line for a request the handler could not answer (never a traceback in the editor's terminal)."""
        kind, problem = sys.exc_info()[:2]
        if kind is not None and not issubclass(kind, (ConnectionError, TimeoutError)):
            print(f"serve: a request failed: {kind.__name__}: {problem}", file=sys.stderr, flush=True)

    def __init__(self, address: tuple[str, int], live: LiveSite) -> None:
        self.live = live
        handler = functools.partial(LiveHandler, directory=str(live.out))
        super().__init__(address, handler)


def watched_dirs(root: Path) -> list[Path]:
    """The project's input folders, and the engine's templates and assets it falls back to."""
    paths = Paths(root)
    dirs = [root / name for name in WATCHED] + paths.template_dirs + paths.asset_dirs
    return [d for d in dict.fromkeys(d.resolve() for d in dirs) if d.is_dir()]


def loopback(host: str) -> str:
    """The host if it is an IPv4 loopback address; the dev server is not for a network."""
    host = "127.0.0.1" if host == "localhost" else host
    try:
        ok = ipaddress.ip_address(host).is_loopback and ipaddress.ip_address(host).version == 4
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"--host {host}: the dev server listens on 127.0.0.1 only")
    return host


class LiveServer:
    """The dev server: an HTTP thread and a watcher thread that rebuilds on every burst of saves."""

    def __init__(self, root: Path, out: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.live = LiveSite(root, out)
        self.httpd = LiveHTTPServer((loopback(host), port), self.live)  # binds now: a busy port fails early
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> None:
        """Build once, then serve and watch in the background; returns once the watcher is listening."""
        # On every core: no thread runs yet, so forking workers is safe. Warm: even an up-to-date site is
        # loaded, planned and its templates compiled, so the first edit costs what every later one does.
        self.live.rebuild(warm=True)
        self.live.threaded = True
        serve_http = functools.partial(self.httpd.serve_forever, poll_interval=POLL_SECONDS)
        for target, name in ((serve_http, "http"), (self._watch, "watch")):
            thread = threading.Thread(target=target, name=f"briefing-serve-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if not self.ready.wait(timeout=10):
            print("warning: the file watcher did not start; edits will not rebuild", file=sys.stderr)

    def stop(self) -> None:
        self.stop_event.set()  # the watcher sees it within one step
        self.live.hub.close()
        if self._threads:  # shutdown() waits for serve_forever, which never ran if start() was cut short
            self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _watch(self) -> None:
        """Rebuild after each burst of changes, until stopped; a watcher failure restarts the watcher."""
        while not self.stop_event.is_set():
            try:
                for changes in watchfiles.watch(*watched_dirs(self.live.root), stop_event=self.stop_event,
                                                step=STEP_MS, debounce=DEBOUNCE_MS, yield_on_timeout=True,
                                                rust_timeout=WATCH_TIMEOUT_MS, raise_interrupt=False):
                    self.ready.set()  # the first (empty) yield proves the watcher is listening
                    if self.stop_event.is_set():
                        break
                    if changes:
                        self.live.rebuild(finish=False)
                    else:
                        self.live.finish_if_idle()
            except Exception:  # e.g. a watched folder was deleted: report, wait, watch again
                traceback.print_exc()
                self.stop_event.wait(1.0)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000) -> int:
    """`python -m builder serve`: run until Ctrl-C."""
    try:
        server = LiveServer(root, root / "site", host, port)
    except ValueError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except OSError as problem:
        print(f"error: cannot listen on {host}:{port}: {problem.strerror} — pass another --port", file=sys.stderr)
        return 1
    try:
        server.start()
        print(f"serving {server.url} — rebuilding on every save in "
              f"{', '.join(WATCHED)}/; Ctrl-C to stop", flush=True)
        server.stop_event.wait()
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        server.stop()
        if server.live.state is not None:
            server.live.state.close()
    return 0

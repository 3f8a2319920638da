"""`make bench` (also alone: python -m bench.long_seed): one seed of many paragraphs loads in linear time.

A seed of 40,000 paragraphs once took 45 s to load and resolve while 6,000 took 1.5 s: a step counted each
paragraph's neighbours once per paragraph. This builds a one-source project per size, times `load_and_resolve`
in a fresh process (best of three), and checks that doubling the paragraphs at most about doubles the time.

    python -m bench.long_seed                  # 5,000 … 40,000 paragraphs
    python -m bench.long_seed --sizes 10000,80000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

NAMES = ("Jana Novak", "Piotr Lis", "the Harbour Institute", "Novak")
LIMIT = 2.6  # the most a doubling may cost: linear is 2, quadratic 4; the rest is noise and start-up
PROJECT = {
    "content/site.yaml": "title: Long seed\ndescription: One very long source.\nlanguage: en\n",
    "content/sources.yaml": "- id: long\n  seed: long.txt\n  title: A Very Long Article\n",
    "content/people.yaml": ("- id: novak\n  name: Jana Novak\n  aliases: [Novak]\n  role: Minister\n"
                            "  profile: A minister [@long#p1].\n- id: lis\n  name: Piotr Lis\n  role: Deputy\n"
                            "  profile: A deputy [@long#p2].\n"),
}
TIMER = """
import sys, time
from pathlib import Path
from builder.config import Paths
from builder.build import load_and_resolve
from builder.problems import Problems
start = time.perf_counter()
load_and_resolve(Paths(Path(sys.argv[1])), Problems())
print(time.perf_counter() - start)
"""


def seed(paragraphs: int) -> str:
    """A headline, then paragraphs naming people, with a section heading every 50."""
    out = ["A Very Long Article"]
    for i in range(paragraphs):
        if i % 50 == 49:
            out.append(f"Part {i // 50 + 1}")
        a, b = NAMES[i % 4], NAMES[(i * 7 + 1) % 4]
        out.append(f"In paragraph {i + 1}, {a} said the port would reopen soon. {b} doubted that it would.")
    return "\n\n".join(out) + "\n"


def time_load(root: Path, reps: int = 3) -> float:
    runs = [float(subprocess.run([sys.executable, "-c", TIMER, str(root)], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(reps)]
    return min(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,20000,40000", help="paragraph counts, doubling")
    sizes = [int(s) for s in parser.parse_args(argv).sizes.split(",")]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        previous = None
        for n in sizes:
            root = Path(tmp, f"n{n}")
            for rel, text in {**PROJECT, "seeds/long.txt": seed(n)}.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text, encoding="utf-8")
            seconds = time_load(root)
            line = f"seed of {n:>7,} paragraphs: load+resolve {seconds:6.2f} s"
            if previous:
                growth = (seconds / previous[1]) / (n / previous[0])
                ok = growth * 2 <= LIMIT
                failed |= not ok
                line += f"   ×{seconds / previous[1]:.2f} for ×{n / previous[0]:.0f} the paragraphs" + \
                        ("" if ok else f"  TOO SLOW (target: at most ×{LIMIT} per doubling)")
            print(line, flush=True)
            previous = (n, seconds)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

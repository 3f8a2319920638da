"""Rewrite the real briefing's citations from the old paragraph numbering to anchors that never move.

Until now a source's paragraphs were numbered p1, p2 … in reading order, so a furniture rule or a smarter
detector renumbered every later paragraph. Now each anchor is the position of its block among the seed's
non-blank lines as received (builder/ingest.py), so a dropped block leaves a gap and nothing moves.

This script holds the OLD→NEW table, computed once from the old numbering (with the ingest rules in
content/sources.yaml at the time) and written out below with each block's seed line. It rewrites, in one
pass per file (so p3→p5 and p5→p7 never chain):

- `source#anchor` wherever it occurs in content/ (`[@cbs-thaw#p3]` in Markdown and in YAML text fields,
  `cite: "cbs-thaw#p3"` in home.yaml);
- `at:` beside `source:` in any YAML mapping (the claims ledger's stances).

Run it on content written in the OLD numbering, once:
    .venv/bin/python tools/migrate_anchors.py [--project DIR] [--dry-run]
It refuses content whose claim excerpts already sit at the NEW anchors (migrated already), unless --force.
Afterwards `python -m builder check --strict` proves every citation resolves and every quotation is verbatim.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Iterator

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.textutil import fold  # noqa: E402

# source id → seed file, and old anchor → (the block's seed line, the new anchor)
SEEDS = {
    "reset-analysis": "000_6cb7a42f3f89fd76.txt",
    "rare-release-explainer": "001_c99b8aeb508b31dd.txt",
    "cbs-thaw": "002_95544114cf48327b.txt",
}
TABLE: dict[str, dict[str, tuple[int, str]]] = {
    'reset-analysis': {  # seeds/000_6cb7a42f3f89fd76.txt
        'fig1': (3, 'fig2'), 'p1': (5, 'p3'), 'p2': (7, 'p4'), 'p3': (9, 'p5'),
        'p4': (11, 'p6'), 'p5': (13, 'p7'), 'p6': (15, 'p8'), 'p7': (17, 'p9'),
        'p8': (19, 'p10'), 'p9': (21, 'p11'), 'p10': (23, 'p12'), 'p11': (25, 'p13'),
        'p12': (27, 'p14'), 'p13': (29, 'p15'), 'p14': (31, 'p16'),
    },
    'rare-release-explainer': {  # seeds/001_c99b8aeb508b31dd.txt
        'p1': (1, 'p1'), 'p2': (3, 'p3'), 'p3': (6, 'p5'), 'p4': (8, 'p7'),
        'p5': (10, 'p9'), 'p6': (12, 'p11'), 'p7': (14, 'p13'), 'p8': (16, 'p15'),
        'p9': (17, 'p16'), 'p10': (19, 'p18'),
    },
    'cbs-thaw': {  # seeds/002_95544114cf48327b.txt
        'p1': (5, 'p3'), 'p2': (7, 'p4'), 'fig1': (10, 'fig6'), 'p3': (14, 'p8'),
        'p4': (18, 'p10'), 'fig2': (21, 'fig12'), 'p5': (25, 'p14'), 'p6': (29, 'p16'),
        'p7': (33, 'p18'), 'fig3': (36, 'fig20'), 'p8': (40, 'p22'), 'p9': (44, 'p24'),
    },
}

_CITATION = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(TABLE, key=len, reverse=True)))
                       + r")#((?:p|fig)\d+)(?![\w-])")


def rewrite_citations(text: str, unknown: list[str]) -> tuple[str, int]:
    """Every `source#anchor` of a known source mapped to its new anchor, in one pass."""
    count = 0

    def new(match: re.Match[str]) -> str:
        nonlocal count
        source, anchor = match.group(1), match.group(2)
        if anchor not in TABLE[source]:
            unknown.append(f"{source}#{anchor}")
            return match.group(0)
        count += 1
        return f"{source}#{TABLE[source][anchor][1]}"
    return _CITATION.sub(new, text), count


def _stance_anchors(node: yaml.Node) -> Iterator[tuple[str, yaml.ScalarNode]]:
    """(source, the `at` value node) for every mapping with both keys, anywhere in a YAML document."""
    if isinstance(node, yaml.MappingNode):
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        source, at = keys.get("source"), keys.get("at")
        if isinstance(source, yaml.ScalarNode) and isinstance(at, yaml.ScalarNode):
            yield source.value, at
        for _, value in node.value:
            yield from _stance_anchors(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _stance_anchors(item)


def rewrite_stances(text: str, unknown: list[str]) -> tuple[str, int]:
    """`at: p1` beside `source: cbs-thaw` rewritten in place, the rest of the file untouched."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return text, 0
    edits = []
    for source, at in _stance_anchors(root):
        if source not in TABLE:
            continue
        if at.value not in TABLE[source]:
            unknown.append(f"{source} at {at.value}")
            continue
        start, end = at.start_mark.index, at.end_mark.index
        edits.append((start, end, text[start:end].replace(at.value, TABLE[source][at.value][1])))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, len(edits)


def _seed_lines(root: Path, source: str) -> tuple[list[str], dict[str, int]]:
    """The seed's lines, and each new anchor's line (anchors count non-blank lines as received)."""
    lines = (root / "seeds" / SEEDS[source]).read_text(encoding="utf-8").splitlines()
    ordinals = [number for number, line in enumerate(lines, start=1) if line.strip()]
    return lines, {f"{kind}{i}": line for i, line in enumerate(ordinals, start=1) for kind in ("p", "fig")}


def numbering(root: Path) -> tuple[int, int]:
    """How many claim excerpts sit at their `at` in the old numbering, and how many in the new."""
    path = root / "content" / "claims.yaml"
    claims = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    old = new = 0
    for claim in claims or []:
        for stance in claim.get("stances") or []:
            source, at, excerpt = stance.get("source"), stance.get("at"), stance.get("excerpt")
            if source not in TABLE or not at or not excerpt:
                continue
            lines, new_lines = _seed_lines(root, source)
            if at in TABLE[source] and fold(excerpt) in fold(lines[TABLE[source][at][0] - 1]):
                old += 1
            if at in new_lines and fold(excerpt) in fold(lines[new_lines[at] - 1]):
                new += 1
    return old, new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=REPO, help="project holding content/ and seeds/")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    parser.add_argument("--force", action="store_true", help="migrate even if the content looks migrated")
    args = parser.parse_args(argv)
    root = args.project.resolve()
    old, new = numbering(root)
    if new > old and not args.force:
        print(f"refusing: {new} claim excerpt(s) already sit at their new anchors and {old} at old ones; "
              "this content looks migrated already (--force to migrate anyway)", file=sys.stderr)
        return 1
    total, unknown = 0, list[str]()
    for path in sorted((root / "content").rglob("*")):
        if path.suffix not in (".md", ".yaml", ".yml") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        changed, cited = rewrite_citations(text, unknown)
        stances = 0
        if path.suffix != ".md":
            changed, stances = rewrite_stances(changed, unknown)
        if changed != text:
            if not args.dry_run:
                path.write_text(changed, encoding="utf-8")
            print(f"{path.relative_to(root)}: {cited} citation(s), {stances} stance anchor(s)")
            total += cited + stances
    for ref in dict.fromkeys(unknown):
        print(f"warning: {ref} is not in the old numbering; left as it was", file=sys.stderr)
    print(f"{'would rewrite' if args.dry_run else 'rewrote'} {total} anchor(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

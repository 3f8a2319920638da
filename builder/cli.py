"""The command line: parse arguments, call a stage, print, exit. Nothing else lives here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.problems import BuildFailed, Problems

DESCRIPTION = "Build a cited, cross-linked briefing site from seeds/ and content/."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=DESCRIPTION)
    parser.add_argument("--project", type=Path, default=Path("."),
                        help="the project folder holding content/ and seeds/ (default: the current folder)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="build the site into site/ (atomically: a failed build "
                                "leaves the last good site untouched)")
    build.add_argument("--out", type=Path, help="output folder (default: PROJECT/site)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check = commands.add_parser("check", help="run every stage and every check, but write nothing")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    ingest = commands.add_parser("ingest", help="write each seed as the cleaned, numbered Markdown "
                                 "the site shows, for editors to read (default: build/ingest/)")
    ingest.add_argument("--out", type=Path, help="output folder (default: PROJECT/build/ingest)")
    new = commands.add_parser("new", help="scaffold content: `new brief SLUG` drafts content/briefs/SLUG.md "
                              "from the outline content/outlines/SLUG.yaml (never overwrites a brief)")
    new.add_argument("kind", choices=["brief"], help="what to create")
    new.add_argument("slug", help="the brief's slug (its file name without .md)")
    serve = commands.add_parser("serve", help="build into site/, serve it on 127.0.0.1 and rebuild and "
                                "reload the open page on every save (Ctrl-C stops)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0: any free)")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default: 127.0.0.1)")
    return parser


def report(problems: Problems, notes: list[str] = ()) -> None:  # type: ignore[assignment]
    for line in [*notes, *problems.sorted()]:
        print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = args.project.resolve()
    try:
        if args.command == "build":
            from builder.build import build
            out = args.out or root / "site"
            result = build(root, out, strict=args.strict)
            report(result.problems, result.notes)
            print(f"built {result.pages} pages ({result.files} files) in {result.seconds:.2f} s into {out}: "
                  f"{result.written} pages written, {result.unchanged} unchanged, "
                  f"{len(result.problems.warnings)} warning(s)")
        elif args.command == "check":
            from builder.build import build
            result = build(root, None, strict=args.strict)
            report(result.problems, result.notes)
            print(f"checked {result.pages} pages: no errors, {len(result.problems.warnings)} warning(s)")
        elif args.command == "new":
            from builder.scaffold import new_brief
            target = new_brief(root, args.slug)
            print(f"wrote {target.relative_to(root)}: a draft; it is yours now, the build never overwrites it")
        elif args.command == "serve":
            from builder.serve import serve
            return serve(root, args.host, args.port)
        elif args.command == "ingest":
            from builder.ingest_command import ingest_all
            written = ingest_all(root, args.out or root / "build" / "ingest")
            print(f"wrote {len(written)} source file(s): " + ", ".join(written))
    except BuildFailed as failed:
        report(failed.problems)
        errors = len(failed.problems.errors)
        warnings = len(failed.problems.warnings)
        print(f"build failed: {errors} error(s), {warnings} warning(s)"
              + (" (warnings are errors with --strict)" if errors == 0 else ""), file=sys.stderr)
        return 1
    return 0

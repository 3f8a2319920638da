"""The command line: parse arguments, call a stage, print, exit. Nothing else lives here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.incremental.quick import summary_line
from builder.problems import BuildFailed, Problems, summary

DESCRIPTION = "Build a cited, cross-linked briefing site from seeds/ and content/."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=DESCRIPTION)
    parser.add_argument("--project", type=Path, default=Path("."),
                        help="the project folder holding content/ and seeds/ (default: the current folder)")
    parser.add_argument("--verbose", action="store_true",
                        help="print every problem (by default the first 20, then a count per kind)")
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
    add = commands.add_parser("add", help="add an article: `add source FILE` copies it into seeds/, appends "
                              "its entry to content/sources.yaml and shows what ingest found in it")
    add.add_argument("kind", choices=["source"], help="what to add")
    add.add_argument("file", type=Path, help="the article as received, a UTF-8 text file")
    add.add_argument("--id", help="the id citations will use (default: from the file name)")
    add.add_argument("--title", help="the title, when the article's headline is not to be used (marked as ours)")
    add.add_argument("--outlet", help="the publisher, when the text names one")
    add.add_argument("--url", help="the article's address, when known (never invented)")
    add.add_argument("--published", help="the publication date, YYYY-MM-DD, when the source gives it")
    add.add_argument("--author", help="who wrote it, when the text names them")
    serve = commands.add_parser("serve", help="build into site/, serve it on 127.0.0.1 and rebuild and "
                                "reload the open page on every save (Ctrl-C stops)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0: any free)")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default: 127.0.0.1)")
    return parser


def report(problems: Problems, verbose: bool = False, notes: list[str] | None = None) -> None:
    for line in [*(notes or []), *summary(problems.items, verbose)]:
        print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = args.project.resolve()
    try:
        if args.command == "build":
            from builder.build import build
            out = args.out or root / "site"
            result = build(root, out, strict=args.strict)
            report(result.problems, args.verbose, result.notes)
            print(summary_line(result.pages, result.files, result.seconds, out, result.written, result.unchanged,
                               len(result.problems.warnings)))
        elif args.command == "check":
            from builder.build import build
            result = build(root, None, strict=args.strict)
            report(result.problems, args.verbose, result.notes)
            print(f"checked {result.pages} pages: no errors, {len(result.problems.warnings)} warning(s)")
            from builder.suggest import spelling_notes_for
            for note in spelling_notes_for(root):
                print(note)
        elif args.command == "new":
            from builder.commands.new import new_brief
            target = new_brief(root, args.slug)
            print(f"wrote {target.relative_to(root)}: a draft; it is yours now, the build never overwrites it")
        elif args.command == "add":
            from builder.commands.add import Details, Refused, add_source
            details = Details(args.id, args.title, args.outlet, args.url, args.published, args.author)
            try:
                print("\n".join(add_source(root, args.file, details)))
            except Refused as refused:
                print(f"error: {refused}", file=sys.stderr)
                return 1
        elif args.command == "serve":
            from builder.commands.serve import serve
            return serve(root, args.host, args.port)
        elif args.command == "ingest":
            from builder.commands.ingest import ingest_all
            written = ingest_all(root, args.out or root / "build" / "ingest")
            print(f"wrote {len(written)} source file(s): " + ", ".join(written))
    except BuildFailed as failed:
        report(failed.problems, args.verbose)
        errors = len(failed.problems.errors)
        warnings = len(failed.problems.warnings)
        print(f"build failed: {errors} error(s), {warnings} warning(s)"
              + (" (warnings are errors with --strict)" if errors == 0 else ""), file=sys.stderr)
        return 1
    return 0

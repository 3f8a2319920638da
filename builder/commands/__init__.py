"""The commands a user runs (`python -m builder COMMAND`), beyond the build itself: the live server (`serve`),
drafting a brief (`new`), adding a source (`add-source`), and writing the cleaned seeds for editors (`ingest`).

Each is a thin layer over the stages: it parses nothing (builder/cli.py does), calls them, and reports.
"""

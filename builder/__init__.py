"""briefing: a static site generator for cited, cross-linked news briefings."""

__version__ = "0.1.0"

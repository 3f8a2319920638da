"""The incremental machinery: what a build remembers so that the next redoes only what changed.

Nothing outside this package knows about caching: the stages (load, resolve, render, check, write) take
plain inputs, and `builder.build` asks this package what it can skip.
"""

"""Benchmark machinery for briefing: a corpus generator and a runner comparing the engine with Hugo and Pelican.

`make bench` runs `python -m bench.run`; `python -m bench.corpus --n 100 --out DIR` writes one project.
"""

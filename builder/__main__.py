import gc

from builder.cli import main

status = main()
# The command is done and has closed what it opened. Frozen, the objects it leaves are not walked again by the
# collections the interpreter runs as it exits (a tenth of a build with nothing to do); they are still freed.
gc.freeze()
raise SystemExit(status)

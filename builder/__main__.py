import sys

from builder.incremental.quick import answer

# A build with nothing to do is answered from what the last such build left, before anything else is imported.
status = answer(sys.argv[1:])
if status is None:
    import gc

    from builder.cli import main

    status = main()
    # The command is done and has closed what it opened. Frozen, the objects it leaves are not walked again by
    # the collections the interpreter runs as it exits (a tenth of a build with nothing to do); they are still
    # freed.
    gc.freeze()
raise SystemExit(status)

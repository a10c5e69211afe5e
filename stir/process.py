"""The `stir` command's process: how its garbage collector is tuned, and how it ends.

A tier run imports SQLMesh, sqlglot, pandas and Luigi: millions of objects that live as long
as the process. Python's default collector thresholds (700, 10, 10) made it walk all of them
again and again: 0.5-0.6 s of a 2.9 s no-op tier run went to collections, 0.5 s of it to six
full ones. With larger thresholds the same run spends 0.1 s collecting and peaks about 40 MB
higher (of 1.1 GB, most of it chDB's).

The process ends with its exit handlers run and its output flushed as usual, but without
Python's interpreter teardown, which frees every module object one by one (0.45 s of a 3.4 s
no-op run, and chDB's engine shutting down 0.1 s more). That teardown does nothing a later
run needs: every part chDB wrote is on disk when its statement returns (the engine survives
SIGKILL, which the crash tests use), and no data waits in memory.
"""
from __future__ import annotations

import atexit
import gc
import os
import sys
import threading


# Young-generation size, and how many collections of each generation trigger one of the next.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Collect garbage less often than Python's defaults (the module docstring says why)."""
    gc.set_threshold(*GC_THRESHOLDS)


def end_process(code) -> None:
    """Exit with `code` (SystemExit's: None, an int, or a message for stderr and status 1)
    once the threads the command started have ended and the exit handlers have run (the
    embedded PostgreSQL's stop among them)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()   # logging's own shutdown among them
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # closed, or a broken pipe: nothing more to say there
            pass
    os._exit(status)

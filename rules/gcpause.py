"""`with paused_gc():` pauses Python's cyclic garbage collector, restoring its state after.

Loading and evaluating large inputs allocate many small objects and no reference cycles:
every collection would rescan everything already built, for nothing. Pausing it halves
evaluation time on large inputs and cuts loading a 50,000-deal data file by a third
(docs/decisions.md, "Evaluate speed (issue 14)"). Reference counting still frees memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()

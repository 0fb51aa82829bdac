"""A web process's long-lived objects, put out of the cyclic garbage collector's way.

Python's full (oldest-generation) collection walks every tracked object the process holds.
Most of a web worker's are made once and live as long as it does: Django's setup, then what
the first requests import and build (the broker's client, the API schema tools, URL patterns).
In a gunicorn worker taking callbacks at a steady 300/s there were 43,000-130,000 of them, a
full collection took 75-200 ms, and every request that arrived meanwhile waited: the slowest
answers of bench/callbacks.py's steady run. ``gc.freeze()`` moves every object alive at that
moment to a generation that collections skip; objects made afterwards are collected as before.
So a process freezes once it is set up, and again once it has served its first requests.
"""

from __future__ import annotations

import gc
import itertools
from typing import Any

from django.core.signals import request_finished

WARM_AFTER = 1_000  # requests: by then the objects the first requests build have stopped growing


def freeze() -> None:
    """Collect what is garbage now (frozen garbage would never be freed), then freeze the rest."""
    gc.collect()
    gc.freeze()


def freeze_when_warm(after: int = WARM_AFTER) -> None:
    """Freeze once more when this process has finished ``after`` requests."""
    finished = itertools.count(1)

    def count(**kwargs: Any) -> None:
        if next(finished) == after:
            request_finished.disconnect(count)
            freeze()

    request_finished.connect(count, weak=False)

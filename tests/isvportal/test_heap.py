"""A web process puts its long-lived objects out of the garbage collector's way
(isvportal/heap.py): once set up, and again after its first requests."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from django.core.signals import request_finished

from isvportal import heap

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_loading_the_wsgi_application_freezes_what_django_set_up(tmp_path):
    """In a fresh interpreter, as gunicorn's worker loads it."""
    env = {**os.environ, "DEBUG": "1", "ISVPORTAL_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = "import gc, isvportal.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 10_000  # Django's apps, settings, URL patterns and models
    assert tracked < frozen / 10  # little is left for a full collection to walk


@pytest.mark.django_db
def test_the_process_freezes_again_once_it_has_finished_its_first_requests(client, unfrozen):
    receivers = len(request_finished.receivers)
    heap.freeze_when_warm(after=3)
    for _ in range(2):
        client.get("/healthz/live")
    assert gc.get_freeze_count() == 0
    client.get("/healthz/live")
    assert gc.get_freeze_count() > 0

    assert len(request_finished.receivers) == receivers  # no cost on later requests
    gc.unfreeze()
    client.get("/healthz/live")
    assert gc.get_freeze_count() == 0  # once only


def test_a_freeze_collects_the_garbage_first(unfrozen):
    """Garbage frozen would never be freed: a cycle that is already unreachable is collected."""

    class Node:
        pass

    cycle = Node()
    cycle.self = cycle  # type: ignore[attr-defined]
    alive = weakref.ref(cycle)
    del cycle
    heap.freeze()
    assert alive() is None

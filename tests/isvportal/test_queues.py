"""Every task has a queue of its own kind, and every queue is declared in CELERY_TASK_QUEUES,
which is what a worker started without -Q consumes."""

from __future__ import annotations

from typing import Any, cast

import pytest

from isvportal.celery import app as celery_app

QUEUES = {"callbacks", "credentials", "webhooks", "housekeeping"}


def _queue(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


def test_every_platform_task_is_routed_to_a_named_queue():
    celery_app.loader.import_default_modules()
    names = [name for name in celery_app.tasks if not name.startswith("celery.")]
    assert names
    unrouted = {name: _queue(name) for name in names if _queue(name) not in QUEUES}
    assert unrouted == {}


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("callbacks.tasks.process_event", "callbacks"),
        ("callbacks.tasks.dispatch_events", "callbacks"),
        ("callbacks.tasks.requeue_stalled_events", "housekeeping"),
        ("tokens.tasks.refresh_credential", "credentials"),
        ("tokens.tasks.refresh_due_credentials", "credentials"),
        ("webhooks.tasks.deliver_webhook", "webhooks"),
        ("webhooks.tasks.purge_old_webhook_messages", "housekeeping"),
        ("oauth.tasks.purge_old_credential_grants", "housekeeping"),
        ("licenses.tasks.sync_all_licenses", "housekeeping"),
    ],
)
def test_callbacks_never_share_a_queue_with_webhooks_or_renewals(task, queue):
    assert _queue(task) == queue


def test_every_queue_is_declared_for_a_worker_without_q():
    declared = {queue.name for queue in celery_app.conf.task_queues}
    assert declared >= QUEUES


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # publishes on purpose
@pytest.mark.parametrize(
    "task",
    [
        "callbacks.tasks.process_event",
        "tokens.tasks.refresh_credential",
        "webhooks.tasks.deliver_webhook",
    ],
)
def test_a_published_task_lands_in_its_own_queue_only(task):
    """The queues declared and bound as a worker declares them, on kombu's in-memory broker,
    which routes a direct exchange as RabbitMQ and Redis do: queues bound with one routing key
    would each get a copy of every task."""
    queues = celery_app.amqp.queues
    with celery_app.connection_for_write("memory://") as connection:
        bound = {name: queue(connection.default_channel) for name, queue in queues.items()}
        for queue in bound.values():
            queue.declare()
            queue.purge()
        celery_app.send_task(task, args=[1], connection=connection)
        # kombu annotates queue_declare as returning the name; it returns the broker's answer.
        declared = {name: cast(Any, q.queue_declare(passive=True)) for name, q in bound.items()}
        sizes = {name: answer.message_count for name, answer in declared.items()}
    assert sizes == {name: int(name == _queue(task)) for name in queues}

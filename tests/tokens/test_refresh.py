"""Proactive renewal: planned within WeCom's per-minute limits, spread across the window,
resilient to one failing corp; and the stale suite_ticket alarm."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from corps.models import AuthorizedCorp, Suite
from corps.tasks import flag_stale_suite_tickets
from tokens import tasks
from tokens.models import Credential
from tokens.planning import plan_refreshes

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


class TestPlan:
    def test_overdue_renewals_share_the_minute_evenly(self):
        plan = plan_refreshes([(f"k{i}", NOW - timedelta(seconds=i)) for i in range(4)],
                              now=NOW, per_minute=10)  # fmt: skip
        seconds = [(eta - NOW).total_seconds() for _, eta in plan.scheduled]
        assert seconds == [0, 15, 30, 45]

    def test_future_renewals_keep_their_own_jittered_time(self):
        due = [("a", NOW + timedelta(seconds=7)), ("b", NOW + timedelta(seconds=41))]
        assert plan_refreshes(due, now=NOW, per_minute=10).scheduled == due

    def test_never_more_than_the_limit_and_the_rest_waits(self):
        plan = plan_refreshes([(f"k{i}", NOW) for i in range(25)], now=NOW, per_minute=10)
        assert len(plan.scheduled) == 10 and plan.deferred == 15
        assert [k for k, _ in plan.scheduled] == [f"k{i}" for i in range(10)]  # most urgent first

    def test_a_limit_below_one_is_refused(self):
        with pytest.raises(ValueError, match="per_minute"):
            plan_refreshes([], now=NOW, per_minute=0)


@pytest.fixture
def thousand_corps(db):
    from corps.models import Provider

    provider = Provider.objects.create(corpid="wwp", secret="s")
    suite = Suite.objects.create(
        provider=provider, suite_id="ww1", secret="s", token="t", encoding_aes_key="k" * 43
    )
    corps = AuthorizedCorp.objects.bulk_create(
        [AuthorizedCorp(suite=suite, corpid=f"wp{i:05d}", permanent_code="p") for i in range(1000)]
    )
    now = timezone.now()
    Credential.objects.bulk_create(
        [
            Credential(
                key=f"corp:{corp.pk}",
                kind="corp",
                corp=corp,
                value="v",
                expires_at=now + timedelta(minutes=20),
                refresh_at=now - timedelta(seconds=i % 90),  # all overdue, in no order
            )
            for i, corp in enumerate(corps)
        ]
    )
    return corps


def test_the_beat_task_paces_a_thousand_corps_under_the_limit(
    thousand_corps, settings, monkeypatch, time_machine
):
    settings.TOKEN_REFRESH_PER_MINUTE = 300
    enqueued: list[tuple[str, datetime]] = []
    monkeypatch.setattr(
        tasks.refresh_credential,
        "apply_async",
        lambda args, eta: enqueued.append((args[0], eta)),
    )
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    for minute in range(5):
        time_machine.move_to(start + timedelta(minutes=minute), tick=False)
        tasks.refresh_due_credentials()
    keys = [key for key, _ in enqueued]
    assert len(keys) == 1000 and len(set(keys)) == 1000  # each corp once
    per_minute = Counter(int((eta - start).total_seconds() // 60) for _, eta in enqueued)
    assert max(per_minute.values()) <= 300
    assert sorted(per_minute) == [0, 1, 2, 3]  # spread over four minutes, not one burst
    first_minute = sorted(eta for _, eta in enqueued if eta < start + timedelta(minutes=1))
    gaps = {round((b - a).total_seconds(), 3) for a, b in pairwise(first_minute)}
    assert gaps == {0.2}  # 300 renewals evenly across 60 seconds


def test_renewals_already_planned_are_not_planned_again(thousand_corps, settings, monkeypatch):
    settings.TOKEN_REFRESH_PER_MINUTE = 2000
    enqueued = []
    monkeypatch.setattr(
        tasks.refresh_credential, "apply_async", lambda args, eta: enqueued.append(args)
    )
    assert tasks.refresh_due_credentials() == 1000
    assert tasks.refresh_due_credentials() == 0


def test_cancelled_corps_are_not_renewed(thousand_corps, settings, monkeypatch):
    AuthorizedCorp.objects.filter(pk__in=[c.pk for c in thousand_corps[:400]]).update(
        status="cancelled"
    )
    settings.TOKEN_REFRESH_PER_MINUTE = 2000
    monkeypatch.setattr(tasks.refresh_credential, "apply_async", lambda args, eta: None)
    assert tasks.refresh_due_credentials() == 600


@pytest.fixture
def eager_retries():
    """Eager Celery re-runs a retried task only when errors do not propagate."""
    from isvportal.celery import app

    app.conf.update(task_eager_propagates=False)
    yield
    app.conf.update(task_eager_propagates=True)


@pytest.mark.django_db
def test_a_failing_corp_is_retried_and_does_not_stop_the_others(isv, time_machine, eager_retries):
    corps = [isv.install(i) for i in range(3)]
    from tokens.services import credential_get

    for corp in corps:
        credential_get(kind="corp", owner=corp)
    due_at = max(Credential.objects.filter(kind="corp").values_list("refresh_at", flat=True))
    time_machine.move_to(due_at + timedelta(seconds=1))
    isv.store_ticket()
    isv.wecom.action(
        "fault", endpoint="service/get_corp_token", count=2, errcode=45009, corpid=corps[0].corpid
    )
    isv.wecom.reset_logs()
    due = Credential.objects.filter(refresh_at__lt=timezone.now() + timedelta(minutes=1)).count()
    assert due >= 3  # the three corps, and the suite token if its own jitter made it due
    assert tasks.refresh_due_credentials() == due
    calls = isv.wecom.calls("service/get_corp_token")
    by_corp = {
        corp.corpid: [c["errcode"] for c in calls if c["corpid"] == corp.corpid] for corp in corps
    }
    assert by_corp[corps[0].corpid] == [45009, 45009, 0]  # retried until it worked
    assert by_corp[corps[1].corpid] == [0] and by_corp[corps[2].corpid] == [0]
    for row in Credential.objects.filter(kind="corp"):
        assert row.refresh_at > timezone.now() and row.failures == 0


def test_backoff_grows_with_each_retry_and_is_capped():
    for retries, ceiling in [(0, 10), (1, 20), (3, 80), (10, 600)]:
        samples = [tasks.backoff(retries) for _ in range(200)]
        assert min(samples) >= 0 and max(samples) <= ceiling
    assert max(tasks.backoff(3) for _ in range(200)) > 20  # it does grow


@pytest.mark.django_db
def test_stale_suite_tickets_raise_an_alarm(caplog):
    from corps.models import Provider

    provider = Provider.objects.create(corpid="wwp", secret="s")
    for suite_id, age in (("wwfresh", 5), ("wwstale", 45)):
        Suite.objects.create(
            provider=provider,
            suite_id=suite_id,
            secret="s",
            token="t",
            encoding_aes_key="k" * 43,
            suite_ticket="t",
            suite_ticket_at=timezone.now() - timedelta(minutes=age),
        )
    caplog.set_level(logging.WARNING, logger="corps.tasks")
    assert flag_stale_suite_tickets() == ["wwstale"]
    [record] = caplog.records
    assert record.suite_id == "wwstale" and record.ticket_age_seconds > 2600

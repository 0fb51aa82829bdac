"""Single-flight across processes: 1,000 callers in 4 processes ask a cold corp token at once,
while WeCom (the sandbox) takes a second to answer. Every caller gets the same token and WeCom
sees exactly one get_corp_token. On PostgreSQL each process runs on a psycopg pool of 10
connections (DATABASE_POOL) for its 250 callers. (That waiters hand their pooled connection back
while they wait is not what makes this pass: the crowd completes without it too.)"""

from __future__ import annotations

import os

from django.core.cache import cache
from django.db import connection

from bench.crowd import crowd_ask
from tests.drills.processes import subprocess_database_url
from tokens.models import Credential

PROCESSES, THREADS = 4, 250


def test_a_thousand_callers_in_four_processes_cause_one_upstream_call(portal):
    corp = portal.install(0)
    Credential.objects.filter(kind=Credential.Kind.CORP).delete()
    cache.clear()
    portal.wecom.reset_logs()
    portal.wecom.action("fault", endpoint="service/get_corp_token", after_ms=1000)
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "WECOM_API_BASE": portal.wecom.url,
        "LOG_LEVEL": "WARNING",
    }
    if connection.vendor == "postgresql":
        env.update(DATABASE_POOL="1", DATABASE_POOL_SIZE="10")

    answer = crowd_ask(
        kind=Credential.Kind.CORP, corp_pk=corp.pk, processes=PROCESSES, threads=THREADS, env=env
    )

    assert answer.errors == {}
    assert sum(answer.values.values()) == PROCESSES * THREADS
    assert len(answer.values) == 1  # every caller got the same token
    assert len(portal.wecom.calls("service/get_corp_token")) == 1
    (token,) = answer.values
    assert Credential.objects.get(kind=Credential.Kind.CORP).value == token
    print(
        f"crowd: {PROCESSES * THREADS} callers answered in {answer.seconds:.2f} s, 1 upstream call"
    )

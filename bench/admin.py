"""The console's corp list at scale: 100,000 corps and 1,000,000 members against 100 corps.

Renders the corp list, its filtered and its searched variants through Django (as a signed-in
superuser, in-process) first with 100 corps, then with the full set inserted by PostgreSQL
itself (generate_series), and prints median time per render, the ratio to the small set, and
the number of SQL queries (which must not grow). Target: < 300 ms per render.
Creates and drops its own database, ``isvportal_bench_admin`` (or BENCH_ADMIN_DATABASE_URL).

    python bench/admin.py [--corps 100000] [--members 1000000] [--renders 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgres://root@127.0.0.1:5432/isvportal_bench_admin"
)


def recreate(create: bool = True) -> None:
    import psycopg

    parts = urlsplit(DATABASE)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


recreate()
os.environ.update(
    DATABASE_URL=DATABASE,
    DJANGO_SETTINGS_MODULE="isvportal.settings",
    DEBUG="1",  # development defaults, as in the demo
    ISVPORTAL_VAR_DIR=tempfile.mkdtemp(prefix="isvportal-bench-"),
    LOG_LEVEL="WARNING",
)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from corps.models import Provider, Suite  # noqa: E402

PAGES = {
    "corp list": "/admin/corps/authorizedcorp/",
    "filtered (status, edition)": "/admin/corps/authorizedcorp/?status__exact=active"
    "&edition_name=专业版",
    "filtered (installed 7 days)": "/admin/corps/authorizedcorp/?installed_at__gte={week_ago}",
    "searched (name)": "/admin/corps/authorizedcorp/?q=企业4242",
    "searched (corpid)": "/admin/corps/authorizedcorp/?q=wpcorp0004242",
}


def insert(suite_id: int, first: int, corps: int, members_per_corp: int) -> None:
    """Corps ``first``..``first+corps-1`` and their members, inserted set-wise by the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO corps_authorizedcorp (suite_id, corpid, corp_name, corp_full_name,
              corp_type, corp_square_logo_url, corp_scale, corp_industry, corp_sub_industry,
              permanent_code,
              auth_mode, auth_scope, auth_info, edition_id, edition_name, admin_userid,
              admin_open_userid, install_state, status, installed_at, updated_at, agentid,
              app_closed)
            SELECT %s, 'wpcorp' || lpad(g::text, 7, '0'), '企业' || g, '企业' || g || '有限公司',
              'verified', '', '1-50人', 'IT服务', '', '', 0, '{}', '{}', 'E1',
              CASE WHEN g %% 3 = 0 THEN '试用版' ELSE '专业版' END, 'admin', '', '',
              CASE WHEN g %% 10 = 0 THEN 'cancelled' ELSE 'active' END,
              now() - (g %% 365) * interval '1 day', now(), 1000002, false
            FROM generate_series(%s::integer, %s::integer) AS g
            """,
            [suite_id, first, first + corps - 1],
        )
        if members_per_corp:
            cursor.execute(
                """
                INSERT INTO corps_member (corp_id, open_userid, userid, name, avatar, gender,
                  position, departments, status, is_admin, created_at, updated_at)
                SELECT c.id, 'wo' || c.id || '_' || m, 'u' || m, '成员' || m, '', 1, '', '[1]', 1,
                  m = 1, now(), now()
                FROM corps_authorizedcorp c CROSS JOIN generate_series(1, %s::integer) AS m
                WHERE c.id >= (SELECT min(id) FROM corps_authorizedcorp WHERE corpid >= %s)
                """,
                [members_per_corp, f"wpcorp{first:07d}"],
            )
        cursor.execute("ANALYZE")


def measure(client: Client, renders: int) -> dict[str, tuple[float, int]]:
    from datetime import timedelta
    from urllib.parse import quote

    from django.utils import timezone

    week_ago = quote((timezone.now() - timedelta(days=7)).isoformat())
    results = {}
    for label, url in PAGES.items():
        url = url.format(week_ago=week_ago)
        assert client.get(url).status_code == 200, url  # warm
        times = []
        for _ in range(renders):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[label] = (statistics.median(times), len(queries))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corps", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--renders", type=int, default=7)
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        provider = Provider.objects.create(corpid="wwp", secret="s")
        suite = Suite.objects.create(
            provider=provider, suite_id="ww1", secret="s", token="t", encoding_aes_key="k" * 43
        )
        admin = get_user_model().objects.create_superuser("bench", password="bench-password-1")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(admin)
        per_corp = max(args.members // args.corps, 0)
        insert(suite.pk, 1, 100, per_corp)
        small = measure(client, args.renders)
        started = time.perf_counter()
        insert(suite.pk, 101, args.corps - 100, per_corp)
        seeded = time.perf_counter() - started
        large = measure(client, args.renders)
    finally:
        connection.close()
        recreate(create=False)
    print(f"seeded {args.corps:,} corps and {per_corp * args.corps:,} members in {seeded:.1f} s")
    header = f"{'page':<30} {'100 corps':>10} {'full set':>10} {'ratio':>6} {'queries':>8}"
    print(f"{header}   target < 300 ms")
    for label in PAGES:
        (few_ms, few_q), (many_ms, many_q) = small[label], large[label]
        ratio = many_ms / few_ms
        print(f"{label:<30} {few_ms:8.1f}ms {many_ms:8.1f}ms {ratio:6.2f} {few_q:>3} → {many_q:<3}")


if __name__ == "__main__":
    main()

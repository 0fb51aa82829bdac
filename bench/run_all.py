"""Run every benchmark and write one table to bench/RESULTS.md: figure, measured, ratio, target.

Each benchmark measures against its own baseline in the same run (the machine is noisy), so
the ratios are the numbers to compare between runs. Needs PostgreSQL for the callback, storm
and admin benchmarks and RabbitMQ for the storm (see their docstrings); Redis is used when it
answers.

    python bench/run_all.py
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    command = [sys.executable, str(HERE / script), *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        raise SystemExit(f"{script} failed:\n{result.stdout}\n{result.stderr}")
    print(result.stdout, end="")
    return result.stdout


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"no match for {pattern!r} in:\n{text}")
    return float(match.group(1))


def _queries(text: str, name: str) -> str:
    count = number(re.escape(name) + r".*queries (\d+)", text)
    return f"{count:.0f} queries"


def main() -> None:
    plain = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    rows: list[tuple[str, str, str, str]] = []

    def row(figure: str, text: str, measured: str, ratio: str, target: str) -> None:
        """``measured`` and ``ratio`` are "pattern|format" pairs read from the output."""

        def read(spec: str) -> str:
            if "|" not in spec:
                return spec
            pattern, template = spec.split("|", 1)
            return template.format(number(pattern, text))

        rows.append((figure, read(measured), read(ratio), target))

    crypto = run("crypto.py", env=plain)
    row(
        "callback crypto pipeline, per 1.4 KB message",
        crypto,
        r"pipeline \(median\)\s+([\d.]+)|{:.1f} µs",
        r"ratio pipeline/floor\s+([\d.]+)|{:.1f}x the AES+SHA1 floor",
        "≤ 100 µs",
    )
    tokens = run("tokens.py", env=plain)
    row(
        "credential warm read (SQLite, local cache)",
        tokens,
        r"credential_get, warm\s+([\d.]+)|{:.1f} µs",
        r"ratio ([\d.]+)x  target < 1000|{:.1f}x a bare cache.get",
        "< 1 ms",
    )
    row(
        "1,000 callers in 4 processes ask a cold corp token",
        tokens,
        r"cold burst, \d+ callers\s+(\d+) upstream|{:.0f} upstream call",
        r"all answered in ([\d.]+) s|all answered in {:.1f} s (1 s upstream)",
        "1",
    )
    row(
        "renewal planning, 100,000 vs 10,000 corps",
        tokens,
        r"plan 100,000 due\s+([\d.]+)|{:.0f} ms",
        r"ratio ([\d.]+)x for 10x|{:.1f}x for 10x the corps",
        "linear (~10x)",
    )
    licences = run("licenses.py", env=plain)
    row(
        "licence sync, 1,000 vs 100 corps of 100 accounts",
        licences,
        r"sync 1000 corps\s+([\d.]+) s|{:.1f} s",
        r"ratio ([\d.]+)x for 10x|{:.1f}x for 10x the corps",
        "≤ 11x, no 45009",
    )
    sso = run("sso.py", "--logins", "150", env=plain)
    row(
        "SSO exchange, portal time per login",
        sso,
        r"snsapi_base\s+portal\s+([\d.]+)|{:.2f} ms",
        r"snsapi_base.*ratio portal/upstream ([\d.]+)|{:.2f}x the upstream time",
        "< 10 ms",
    )
    for database, label in (("postgres", "PostgreSQL"), ("sqlite", "SQLite")):
        callbacks = run("callbacks.py", "--database", database, "--seconds", "6")
        row(
            f"callback path vs a bare INSERT view (gunicorn, {label}), median of 3 rounds",
            callbacks,
            r"callback\s+(\d+) req/s|{:.0f} req/s",
            r"ratio callback/bare\s+([\d.]+)|{:.2f}x the bare view",
            "≥ 0.8x",
        )
        row(
            f"callback CPU per request in the gunicorn workers ({label})",
            callbacks,
            r"callback .*cpu/req app ([\d.]+) ms|{:.2f} ms app",
            r"bare .*cpu/req app ([\d.]+) ms|bare view {:.2f} ms app",
            "—",
        )
        row(
            f"where the callback's CPU goes, app + db per request ({label})",
            callbacks,
            r"checks \+([\d.]+) ms|checks +{:.2f} ms",
            r"its store \+([\d.]+) ms|store +{:.2f} ms",
            "—",
        )
        row(
            f"... beside the bare view's INSERT and the floor ({label})",
            callbacks,
            r"bare view's INSERT \+([\d.]+) ms|INSERT +{:.2f} ms",
            r"server and Django ([\d.]+) ms|floor (a no-op view) {:.2f} ms",
            "—",
        )
        slowest = number(r"at 300/s.*max ([\d.]+) ms", callbacks)
        over = number(r"at 300/s.*, (\d+) of \d+ over 20 ms", callbacks)
        answers = number(r"at 300/s.* of (\d+) over 20 ms", callbacks)
        row(
            f"callback p99 at a steady 300 callbacks/s, open loop ({label})",
            callbacks,
            r"at 300/s.*p99 ([\d.]+)|{:.1f} ms",
            f"{over:.0f} of {answers:.0f} answers over 20 ms, slowest {slowest:.0f} ms",
            "≤ 20 ms",
        )
        instructions = run("instructions.py", "--database", database)
        row(
            f"instructions per callback vs per bare INSERT request, one thread ({label})",
            instructions,
            r"callback\s+(\d+) k|{:.0f} k",
            r"ratio bare/callback instructions ([\d.]+)|{:.2f} (bare / callback)",
            "—",
        )
        row(
            f"... where the callback's instructions go ({label})",
            instructions,
            r"checks \+(\d+) k|checks +{:.0f} k",
            r"its store \+(\d+) k|store +{:.0f} k",
            "—",
        )
        contacts = run("instructions.py", "--database", database, "--event", "change_contact")
        row(
            f"instructions per contact-change callback, which names a corp ({label})",
            contacts,
            r"callback\s+(\d+) k|{:.0f} k",
            r"ratio bare/callback instructions ([\d.]+)|{:.2f} (bare / callback)",
            "—",
        )
    api = run("api.py")
    for name, target in (
        ("GET /api/v1/me/", "1-2 queries"),
        ("GET /api/v1/corp/members/", "1-2 queries"),
        ("GET /api/v1/jssdk/config/", "1-2 queries"),
        ("GET /healthz/live", "—"),
        ("GET /healthz (cached)", "—"),
        ("GET /healthz (every check)", "—"),
    ):
        pattern = re.escape(name) + r"\s+(\d+) req/s"
        row(
            f"{name} vs a bare one-SELECT view (gunicorn, PostgreSQL)",
            api,
            pattern + "|{:.0f} req/s",
            re.escape(name) + r".*ratio ([\d.]+)|{:.2f}x the bare view",
            target,
        )
        rows[-1] = (*rows[-1][:2], rows[-1][2] + ", " + _queries(api, name), rows[-1][3])
    backends = run(
        "backends.py",
        env={**os.environ, "BENCH_DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/isvportal_bench_backends")},
    )  # fmt: skip
    row(
        "1,000 asks of a cold corp token via the credential API, 4 processes",
        backends,
        r"cold\s+(\d+) upstream|{:.0f} upstream call",
        r"ratio cold/warm p99 ([\d.]+)x|p99 {:.1f}x the warm token's",
        "1",
    )
    row(
        "webhook fan-out, 10,000 events × 3 endpoints: publication → 2xx, p99",
        backends,
        r"receiver 2xx\s+p50 \d+ ms\s+p99 (\d+) ms|{:.0f} ms",
        r"ratio to ack p50 \d+x / p99 (\d+)x|{:.0f}x the callback ack p99",
        "—",
    )
    storm = run("storm.py")
    drained = number(r"drained in\s+([\d.]+) s", storm)
    ack_p99 = number(r"ack\s+p50 [\d.]+ ms\s+p99 ([\d.]+) ms", storm)
    pushed = number(r"pushed in .*\((\d+) events/s", storm)
    once = "every event processed once" if "exactly once  yes" in storm else "NOT exactly once"
    rows.append(
        (
            "storm: 20,000 change_contact over 500 corps, 3 web + 3 workers, PostgreSQL + "
            "RabbitMQ: drain time, ack p99 as the sandbox measured it",
            f"drained in {drained:.0f} s, {once}",
            f"ack p99 {ack_p99:.0f} ms (pushed at {pushed:.0f}/s on 16 connections)",
            "exactly once",
        )
    )
    admin = run("admin.py")
    slowest = max(
        number(re.escape(label) + r"\s+[\d.]+ms\s+([\d.]+)ms", admin)
        for label in ("corp list", "filtered (status, edition)", "searched (name)")
    )
    queries = "queries constant (6 → 6)" if "6 → 6" in admin else "queries changed"
    rows.append(
        (
            "console corp list, 100,000 corps / 1M members, slowest variant",
            f"{slowest:.0f} ms",
            queries,
            "< 300 ms",
        )
    )

    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run_all.py` on {datetime.date.today().isoformat()} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}).",
        "Ratios are against a baseline measured in the same run; see each script's docstring.",
        "",
        "| figure | measured | ratio | target |",
        "|---|---|---|---|",
        *[
            f"| {figure} | {measured} | {ratio} | {target} |"
            for figure, measured, ratio, target in rows
        ],
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"\nwrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()

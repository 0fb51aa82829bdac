"""Instructions per request of the callback path and the bare view, counted by valgrind.

On a shared two-core host the req/s of bench/callbacks.py swing by 2-4x between rounds, and a
change worth a few percent drowns in them. The instructions a request executes hardly move. So
this script serves bench/callbacks.py's four targets (floor, bare, checks, callback: the same
routes and the same pre-signed suite_ticket callbacks) through Django's WSGI handler in one
process under callgrind, and counts the instructions of ``--requests`` requests to each: the
whole request, from the WSGI call to the response body, middleware and database client
included. Each target is warmed up first (imports, caches, prepared statements) and its answers
must all be 200.

Only the request's own thread is counted: the callback's enqueue hands event ids to the
dispatcher thread, which publishes them in one message per 0.25 s (callbacks/dispatch.py), so
its share per event depends on the arrival rate. The database server's work is not counted
either (bench/callbacks.py reports its CPU). No gunicorn, no concurrency: the group commit
writes one row per statement here.

Needs valgrind (``apt-get install valgrind``; ``make bench-tools`` installs it) and, for
PostgreSQL, the database server (as bench/callbacks.py).

    python bench/instructions.py [--database postgres|sqlite] [--requests 200]
                                 [--event suite_ticket|change_contact]
"""

from __future__ import annotations

import argparse
import functools
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.callbacks import ROUTE, TARGETS
from bench.serving import HEADERS, Callbacks, Portal

WARM_UP_REQUESTS = 20  # psycopg prepares a statement on its 5th run
# Valgrind counts instructions only inside this C function, and writes a profile each time it
# returns: each target's requests are served inside one call of it.
MEASURED = "functools_reduce"
PROFILES = "callgrind.out.*"


def _environ(path: str, body: bytes) -> dict[str, object]:
    """A WSGI environ as gunicorn builds it, with the headers of the production proxy."""
    path_info, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        **{
            ("" if name == "Content-Type" else "HTTP_") + name.upper().replace("-", "_"): value
            for name, value in HEADERS.items()
        },
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def serve_targets(requests: int, profiles: Path, event: str) -> None:
    """In the process under valgrind: each target's requests inside one ``functools.reduce``.
    Prints how many profiles were written before (by a reduce of Django's or a library's)."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    application = WSGIHandler()

    def serve(_: None, environ: dict[str, object]) -> None:
        statuses: list[str] = []

        def start_response(status: str, headers: object, *exc_info: object) -> Callable[..., None]:
            statuses.append(status)
            return lambda data: None  # the legacy write(); Django returns the body instead

        body = b"".join(application(environ, start_response))
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{environ['PATH_INFO']}: {statuses[0]} {body[:200]!r}")

    callbacks = Callbacks(event)
    print(len(list(profiles.glob(PROFILES))), flush=True)
    for target in TARGETS:
        batch = ROUTE[target](callbacks.batch(WARM_UP_REQUESTS + requests))
        environs = [_environ(path, body) for path, body in batch]
        for environ in environs[:WARM_UP_REQUESTS]:
            serve(None, environ)
        functools.reduce(serve, environs[WARM_UP_REQUESTS:], None)


def totals(profiles: Iterable[Path]) -> list[int]:
    """The instruction count of each callgrind profile, in the order they were written."""
    counts = []
    for profile in sorted(profiles, key=lambda path: int(path.suffix[1:])):
        for line in profile.read_text().splitlines():
            if line.startswith("totals:"):
                counts.append(int(line.split()[1]))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--event", choices=Callbacks.EVENTS, default="suite_ticket",
        help="what the callbacks carry (a contact change names a corp)",
    )  # fmt: skip
    parser.add_argument("--serve-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_into:
        serve_targets(args.requests, args.serve_into, args.event)
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("bench/instructions.py needs valgrind: apt-get install valgrind")

    portal = Portal(args.database)
    portal.prepare()
    try:
        with tempfile.TemporaryDirectory() as directory:
            output = Path(directory) / "callgrind.out"
            served = subprocess.run(
                [valgrind, "--tool=callgrind", "--collect-atstart=no",
                 f"--toggle-collect={MEASURED}", f"--dump-after={MEASURED}",
                 f"--callgrind-out-file={output}", sys.executable, __file__,
                 "--database", args.database, "--requests", str(args.requests),
                 "--event", args.event, "--serve-into", directory],
                env=portal.env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            earlier = int(served.stdout.split()[0])
            counts = totals(Path(directory).glob(PROFILES))[earlier:]
    finally:
        portal.close()
    if len(counts) != len(TARGETS):
        raise SystemExit(f"expected {len(TARGETS)} profiles, got {len(counts)}")
    per_request = {
        target: count / args.requests for target, count in zip(TARGETS, counts, strict=True)
    }
    print(f"instructions per request, {args.database}, {args.requests} {args.event} requests "
          f"per target, one thread, Django's WSGI handler under callgrind")  # fmt: skip
    for target in TARGETS:
        print(f"{target:<9} {per_request[target] / 1000:8.0f} k")
    floor = per_request["floor"]
    print(f"breakdown: server and Django {floor / 1000:.0f} k; the bare view's INSERT "
          f"+{(per_request['bare'] - floor) / 1000:.0f} k; the callback's checks "
          f"+{(per_request['checks'] - floor) / 1000:.0f} k and its store "
          f"+{(per_request['callback'] - per_request['checks']) / 1000:.0f} k")  # fmt: skip
    ratio = per_request["bare"] / per_request["callback"]
    print(f"ratio bare/callback instructions {ratio:.2f}  (the req/s ratio's target: >= 0.80)")


if __name__ == "__main__":
    main()

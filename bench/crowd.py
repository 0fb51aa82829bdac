"""A crowd asks one credential at once: several processes, many threads each.

``crowd_ask`` starts the processes (this file run as a script), waits until every thread of
every process stands ready, releases them together, and gathers what each caller got. Used by
the single-flight drill (tests/drills/test_crowd.py) and by bench/tokens.py. The processes use
the database, cache and WeCom of their environment (DATABASE_URL, REDIS_URL, WECOM_API_BASE).

    python bench/crowd.py --kind corp --corp PK --threads 250   # one process of the crowd
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrowdAnswer:
    values: Counter[str]  # value → how many callers got it
    errors: Counter[str]  # exception class → how many callers got it
    seconds: float  # from the release to the last answer, slowest process


def crowd_ask(
    *, kind: str, corp_pk: int, processes: int, threads: int, env: dict[str, str]
) -> CrowdAnswer:
    command = [sys.executable, str(Path(__file__).resolve()), "--kind", kind]
    command += ["--corp", str(corp_pk), "--threads", str(threads)]
    crowd = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    try:
        for process in crowd:
            assert process.stdout is not None
            ready = process.stdout.readline().strip()
            if ready != "ready":
                raise RuntimeError(f"a crowd process did not start: {ready!r}")
        for process in crowd:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        answer = CrowdAnswer(Counter(), Counter(), 0.0)
        for process in crowd:
            out, _ = process.communicate(timeout=300)
            report = json.loads(out.strip().splitlines()[-1])
            answer.values.update(report["values"])
            answer.errors.update(report["errors"])
            answer.seconds = max(answer.seconds, report["seconds"])
        return answer
    finally:
        for process in crowd:
            if process.poll() is None:
                process.kill()
                process.wait()


def one_process(kind: str, corp_pk: int, threads: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "isvportal.settings")
    os.environ.setdefault("DEBUG", "1")  # development defaults, as in the demo
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import connections

    from corps.models import AuthorizedCorp
    from tokens.services import credential_get

    corp = AuthorizedCorp.objects.select_related("suite__provider").get(pk=corp_pk)
    connections.close_all()
    go = threading.Event()
    values: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    tally = threading.Lock()

    def ask() -> None:
        go.wait()
        try:
            value = credential_get(kind=kind, owner=corp)
            with tally:
                values[value] += 1
        except Exception as exc:  # counted and reported: the drill asserts there are none
            with tally:
                errors[type(exc).__name__] += 1
        finally:
            connections.close_all()

    askers = [threading.Thread(target=ask) for _ in range(threads)]
    for asker in askers:
        asker.start()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    go.set()
    for asker in askers:
        asker.join()
    seconds = time.perf_counter() - started
    print(json.dumps({"values": values, "errors": errors, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="corp")
    parser.add_argument("--corp", type=int, required=True)
    parser.add_argument("--threads", type=int, default=250)
    args = parser.parse_args()
    one_process(args.kind, args.corp, args.threads)
